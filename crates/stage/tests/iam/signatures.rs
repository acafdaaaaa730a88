//! SigV4 as the front door checks it, against the SDK's own signatures: header-signed
//! requests of the S3, SQS and Secrets Manager clients, and the S3 presigner's URLs. The
//! upstream here records what reached it and answers 200.

use super::{
    principal, recording_door, s3_client, sdk_config, sdk_config_with, signed_headers, ACCOUNT,
    BUCKET,
};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use std::time::{Duration, SystemTime};
use wisaw_adapters::aws::sigv4::Payload;

#[tokio::test]
async fn a_header_signed_call_passes_through_unchanged() {
    let (iam, url, seen) = recording_door().await;
    let thumbnail = principal(&iam, "ThumbnailFunction");
    let s3 = s3_client(&sdk_config(&url, thumbnail).await);
    s3.put_object()
        .bucket(BUCKET)
        .key("photos/p1/thumb.webp")
        .content_type("image/webp")
        .body(b"webp bytes".to_vec().into())
        .send()
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    let (method, target, headers, body) = seen.last().unwrap();
    assert_eq!(method, "PUT");
    assert!(
        target.starts_with(&format!("/{BUCKET}/photos/p1/thumb.webp")),
        "{target}"
    );
    assert!(headers["authorization"]
        .to_str()
        .unwrap()
        .contains(&thumbnail.credentials.access_key_id));
    assert_eq!(
        headers["x-amz-security-token"],
        thumbnail.credentials.session_token.as_str()
    );
    assert_eq!(headers["content-type"], "image/webp");
    // The body as sent: whole, or in the aws-chunked framing the SDK chose.
    assert!(
        body.windows(10).any(|w| w == b"webp bytes"),
        "{:?}",
        String::from_utf8_lossy(body)
    );
}

#[tokio::test]
async fn a_presigned_url_is_honoured_until_it_expires_and_never_once_changed() {
    let (iam, url, _) = recording_door().await;
    let api = principal(&iam, "ApiFunction");
    let s3 = s3_client(&sdk_config(&url, api).await);
    let http = reqwest::Client::new();
    // The URL the SDK's presigner makes.
    let presign = |key: &str, config: PresigningConfig| {
        let request = s3.get_object().bucket(BUCKET).key(key).presigned(config);
        async move { request.await.unwrap().uri().to_string() }
    };
    let fresh = || PresigningConfig::expires_in(Duration::from_secs(600)).unwrap();
    let signed = presign("photos/p1/display.webp", fresh()).await;
    assert!(signed.contains("X-Amz-Signature="), "{signed}");
    let answer = http.get(&signed).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "ok");

    // The status and body of a GET of `url`.
    let refused = |url: String| {
        let request = http.get(url).send();
        async move {
            let answer = request.await.unwrap();
            let status = answer.status().as_u16();
            (status, answer.text().await.unwrap())
        }
    };
    let (status, body) = refused(signed.replace("display.webp", "thumb.webp")).await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );

    let signature_at = signed.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut forged = signed.clone();
    let flipped = if &forged[signature_at..signature_at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    forged.replace_range(signature_at..signature_at + 1, flipped);
    let (status, body) = refused(forged).await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );

    let expired = PresigningConfig::builder()
        .start_time(SystemTime::now() - Duration::from_secs(7200))
        .expires_in(Duration::from_secs(3600))
        .build()
        .unwrap();
    let (status, body) = refused(presign("photos/p1/display.webp", expired).await).await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(body.contains("Request has expired"), "{body}");

    // A GET of an original: signed by the api's role, which may not read originals.
    let (status, body) = refused(presign("uploads/p1", fresh()).await).await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(
        body.contains(
            "is not authorized to perform: s3:GetObject on resource: &quot;arn:aws:s3:::"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn a_presigned_put_holds_the_uploader_to_its_type_and_length() {
    let (iam, url, seen) = recording_door().await;
    let api = principal(&iam, "ApiFunction");
    let s3 = s3_client(&sdk_config(&url, api).await);
    let ticket = s3
        .put_object()
        .bucket(BUCKET)
        .key("uploads/p2")
        .content_type("image/jpeg")
        .content_length(5)
        .presigned(PresigningConfig::expires_in(Duration::from_secs(600)).unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let put = |content_type: &'static str, body: &'static [u8]| {
        // The length is the body's own, as a phone's client sends it.
        let mut request = http.put(ticket.uri()).body(body);
        for (name, value) in ticket.headers() {
            if name != "content-type" && name != "content-length" {
                request = request.header(name, value);
            }
        }
        request.header("content-type", content_type).send()
    };
    assert_eq!(put("image/jpeg", b"12345").await.unwrap().status(), 200);
    assert_eq!(seen.lock().unwrap().last().unwrap().3, b"12345");
    assert_eq!(put("image/png", b"12345").await.unwrap().status(), 403);
    assert_eq!(put("image/jpeg", b"123456").await.unwrap().status(), 403);
}

#[tokio::test]
async fn a_wrong_secret_an_unknown_key_or_another_token_is_refused_as_aws_refuses_it() {
    let (iam, url, seen) = recording_door().await;
    let thumbnail = principal(&iam, "ThumbnailFunction");
    let credentials = &thumbnail.credentials;
    let put = |config: aws_config::SdkConfig| async move {
        s3_client(&config)
            .put_object()
            .bucket(BUCKET)
            .key("photos/x")
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap_err()
    };
    let token = Some(credentials.session_token.as_str());
    let wrong_secret = sdk_config_with(&url, &credentials.access_key_id, "not the secret", token);
    assert_eq!(
        put(wrong_secret.await).await.code(),
        Some("SignatureDoesNotMatch")
    );
    let unknown = sdk_config_with(
        &url,
        "ASIAUNKNOWNKEY000000",
        &credentials.secret_access_key,
        token,
    );
    assert_eq!(put(unknown.await).await.code(), Some("InvalidAccessKeyId"));
    let another_token = principal(&iam, "ApiFunction")
        .credentials
        .session_token
        .clone();
    let stolen = sdk_config_with(
        &url,
        &credentials.access_key_id,
        &credentials.secret_access_key,
        Some(&another_token),
    );
    assert_eq!(put(stolen.await).await.code(), Some("InvalidToken"));
    let no_token = sdk_config_with(
        &url,
        &credentials.access_key_id,
        &credentials.secret_access_key,
        None,
    );
    assert_eq!(put(no_token.await).await.code(), Some("InvalidToken"));

    // The JSON services' words for the same.
    let persist = principal(&iam, "PersistFunction");
    let secrets = |config: aws_config::SdkConfig| async move {
        aws_sdk_secretsmanager::Client::new(&config)
            .get_secret_value()
            .secret_id("anything")
            .send()
            .await
            .unwrap_err()
    };
    let token = Some(persist.credentials.session_token.as_str());
    let wrong = sdk_config_with(&url, &persist.credentials.access_key_id, "wrong", token).await;
    assert_eq!(
        secrets(wrong).await.code(),
        Some("InvalidSignatureException")
    );
    let unknown = sdk_config_with(&url, "ASIAUNKNOWNKEY000000", "wrong", token).await;
    assert_eq!(
        secrets(unknown).await.code(),
        Some("UnrecognizedClientException")
    );

    let machine = principal(&iam, "UploadStateMachine");
    let token = Some(machine.credentials.session_token.as_str());
    let wrong = sdk_config_with(&url, &machine.credentials.access_key_id, "wrong", token).await;
    let error = aws_sdk_sqs::Client::new(&wrong)
        .send_message()
        .queue_url("http://127.0.0.1/123456789012/wisaw-test-dead-letter")
        .message_body("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));

    assert!(seen.lock().unwrap().is_empty(), "nothing refused went on");
}

#[tokio::test]
async fn an_unsigned_request_is_refused() {
    let (_, url, seen) = recording_door().await;
    let answer = reqwest::get(format!("{url}/{BUCKET}/photos/x"))
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let body = answer.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    let answer = reqwest::Client::new()
        .post(&url)
        .header("x-amz-target", "secretsmanager.GetSecretValue")
        .header("content-type", "application/x-amz-json-1.1")
        .body(r#"{"SecretId":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["__type"], "MissingAuthenticationTokenException");
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unsigned_payload_is_s3s_alone_the_other_services_sign_their_bodies() {
    let (iam, url, seen) = recording_door().await;
    let machine = principal(&iam, "UploadStateMachine");
    let queue_url = format!("http://127.0.0.1/{ACCOUNT}/wisaw-test-dead-letter");
    let signed_body = serde_json::json!({"QueueUrl": queue_url, "MessageBody": "signed"});
    let headers = [
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "AmazonSQS.SendMessage"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ];
    // Signed as S3 signs a body it leaves out; SQS reads the hash of the body it got.
    let signed = signed_headers(machine, "sqs", "POST", &url, &headers, Payload::Unsigned);
    let changed = signed_body.to_string().replace("signed", "changed");
    let mut request = reqwest::Client::new().post(&url).body(changed);
    for (name, value) in &signed {
        request = request.header(name, value);
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), 403);
    assert_eq!(
        answer.headers()["x-amzn-query-error"],
        "SignatureDoesNotMatch;Sender"
    );
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["__type"], "InvalidSignatureException");
    assert!(seen.lock().unwrap().is_empty(), "nothing refused went on");
}
