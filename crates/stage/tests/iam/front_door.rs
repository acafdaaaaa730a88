//! The front door with the SDK's own clients: a call a role's policies do not allow gets
//! the SDK's access-denied error with AWS's message (no emulator needed: nothing denied
//! goes further); against the emulator, an allowed call does what it does on AWS.

use super::{
    principal, raw_request, recording_door, s3_client, sdk_config, serve, signed_headers,
    template_iam, StandIns, ACCOUNT, BUCKET, REGION,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::delete_objects::{DeleteObjectsError, DeleteObjectsOutput};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::list_objects_v2::{ListObjectsV2Error, ListObjectsV2Output};
use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_secretsmanager::operation::get_secret_value::{
    GetSecretValueError, GetSecretValueOutput,
};
use aws_sdk_sqs::operation::receive_message::{ReceiveMessageError, ReceiveMessageOutput};
use aws_sdk_sqs::operation::send_message::{SendMessageError, SendMessageOutput};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use wisaw_adapters::aws::sigv4::Payload;
use wisaw_stage::iam::{FrontDoor, Iam, Principal};
use wisaw_testkit::aws_emulator;

/// The template's principals behind a front door whose upstreams answer nothing: every
/// call here is refused before it would go on.
async fn closed_door() -> (Arc<Iam>, String) {
    let iam = Arc::new(template_iam(&StandIns::default()));
    let mut door = FrontDoor::new(iam.clone());
    for service in ["s3", "sqs", "secretsmanager", "states"] {
        door = door.upstream(service, "http://127.0.0.1:9");
    }
    let url = serve(door).await;
    (iam, url)
}

fn role(name: &str, function: &str) -> String {
    format!("arn:aws:sts::{ACCOUNT}:assumed-role/wisaw-test-{name}Role/wisaw-test-{function}")
}

/// A refusal's AWS code and message.
fn refusal(error: &impl ProvideErrorMetadata) -> (&str, &str) {
    let code = error.code().unwrap_or_default();
    (code, error.message().unwrap_or_default())
}

/// A refusal with AWS's `code`, its message saying `said`.
fn assert_refused(error: &impl ProvideErrorMetadata, code: &str, said: &str) {
    let (refused_as, message) = refusal(error);
    assert_eq!(refused_as, code, "{message}");
    assert!(message.contains(said), "{message}");
}

// Each call the tests make, as the functions make it.

async fn put(
    s3: &aws_sdk_s3::Client,
    key: &str,
    body: &[u8],
) -> Result<PutObjectOutput, SdkError<PutObjectError>> {
    let put = s3.put_object().bucket(BUCKET).key(key);
    put.body(body.to_vec().into()).send().await
}

/// The object's bytes.
async fn get(s3: &aws_sdk_s3::Client, key: &str) -> Result<Vec<u8>, SdkError<GetObjectError>> {
    let object = s3.get_object().bucket(BUCKET).key(key).send().await?;
    Ok(object.body.collect().await.unwrap().to_vec())
}

/// A listing of the keys under `prefix`.
async fn list(
    s3: &aws_sdk_s3::Client,
    prefix: &str,
) -> Result<ListObjectsV2Output, SdkError<ListObjectsV2Error>> {
    s3.list_objects_v2()
        .bucket(BUCKET)
        .prefix(prefix)
        .send()
        .await
}

/// A DeleteObjects of `keys`, its answer `quiet` (errors only) or not.
async fn delete(
    s3: &aws_sdk_s3::Client,
    keys: &[&str],
    quiet: bool,
) -> Result<DeleteObjectsOutput, SdkError<DeleteObjectsError>> {
    let objects = keys
        .iter()
        .map(|key| ObjectIdentifier::builder().key(*key).build().unwrap())
        .collect();
    let delete = Delete::builder().set_objects(Some(objects)).quiet(quiet);
    let request = s3.delete_objects().bucket(BUCKET);
    request.delete(delete.build().unwrap()).send().await
}

async fn send(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    body: &str,
) -> Result<SendMessageOutput, SdkError<SendMessageError>> {
    let send = sqs.send_message().queue_url(queue_url);
    send.message_body(body).send().await
}

async fn receive(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<ReceiveMessageOutput, SdkError<ReceiveMessageError>> {
    sqs.receive_message().queue_url(queue_url).send().await
}

async fn secret(
    secrets: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<GetSecretValueOutput, SdkError<GetSecretValueError>> {
    secrets.get_secret_value().secret_id(id).send().await
}

#[tokio::test]
async fn each_sdk_sees_a_denied_call_as_access_denied_with_awss_message() {
    let (iam, url) = closed_door().await;

    let thumbnail = sdk_config(&url, principal(&iam, "ThumbnailFunction")).await;
    let error = put(&s3_client(&thumbnail), "uploads/p1", b"x")
        .await
        .unwrap_err();
    let message = format!(
        "User: {} is not authorized to perform: s3:PutObject on resource: \
         \"arn:aws:s3:::{BUCKET}/uploads/p1\" because no identity-based policy allows \
         the s3:PutObject action",
        role("ThumbnailFunction", "thumbnail")
    );
    assert_eq!(refusal(&error), ("AccessDenied", message.as_str()));

    let machine = sdk_config(&url, principal(&iam, "UploadStateMachine")).await;
    let ingest = format!("http://127.0.0.1/{ACCOUNT}/wisaw-test-ingest");
    let error = send(&aws_sdk_sqs::Client::new(&machine), &ingest, "{}")
        .await
        .unwrap_err();
    let said = format!(
        "is not authorized to perform: sqs:SendMessage on resource: \
         arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-ingest"
    );
    assert_refused(&error, "AccessDenied", &said);

    let persist = sdk_config(&url, principal(&iam, "PersistFunction")).await;
    let feed = StandIns::default().references["FeedCursorSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let error = secret(&aws_sdk_secretsmanager::Client::new(&persist), &feed)
        .await
        .unwrap_err();
    let said = format!("secretsmanager:GetSecretValue on resource: {feed} because");
    assert_refused(&error, "AccessDeniedException", &said);

    let api = sdk_config(&url, principal(&iam, "ApiFunction")).await;
    let machine_arn = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:wisaw-test-upload");
    let error = aws_sdk_sfn::Client::new(&api)
        .start_execution()
        .state_machine_arn(&machine_arn)
        .send()
        .await
        .unwrap_err();
    assert_refused(&error, "AccessDeniedException", "states:StartExecution");
}

#[tokio::test]
async fn listing_and_batch_deletes_are_held_to_each_prefix_and_key() {
    let (iam, url) = closed_door().await;
    let api = s3_client(&sdk_config(&url, principal(&iam, "ApiFunction")).await);
    let error = list(&api, "other/").await.unwrap_err();
    assert_refused(&error, "AccessDenied", "s3:ListBucket");

    let dispatch = s3_client(&sdk_config(&url, principal(&iam, "DispatchFunction")).await);
    let error = delete(&dispatch, &["uploads/p1", "photos/p1/thumb.webp"], false)
        .await
        .unwrap_err();
    let said = format!("\"arn:aws:s3:::{BUCKET}/photos/p1/thumb.webp\"");
    assert_refused(&error, "AccessDenied", &said);
}

#[tokio::test]
async fn an_operation_the_stage_does_not_know_is_refused_by_name() {
    let (iam, url) = closed_door().await;
    let dispatch = sdk_config(&url, principal(&iam, "DispatchFunction")).await;
    let error = aws_sdk_sfn::Client::new(&dispatch)
        .create_activity()
        .name("anything")
        .send()
        .await
        .unwrap_err();
    let message = "The stage does not know the Step Functions operation CreateActivity, so it \
                   lets no such request through.";
    assert_eq!(refusal(&error), ("AccessDeniedException", message));
    let error = s3_client(&dispatch)
        .get_object_torrent()
        .bucket(BUCKET)
        .key("uploads/p1")
        .send()
        .await
        .unwrap_err();
    assert_refused(&error, "AccessDenied", "does not know the S3 request GET");
}

/// A PUT of `body` to `target` (`/bucket/key`, as sent), signed by `principal` as the
/// SDK signs S3's: its status and answer.
async fn raw_put(url: &str, principal: &Principal, target: &str, body: &[u8]) -> (u16, String) {
    let target_url = format!("{url}{target}");
    let headers = [("content-type", "application/octet-stream")];
    let signed = signed_headers(
        principal,
        "s3",
        "PUT",
        &target_url,
        &headers,
        Payload::Bytes(body),
    );
    raw_request(url, "PUT", target, &signed, body).await
}

#[tokio::test]
async fn a_path_the_upstream_would_read_as_another_is_refused_not_forwarded() {
    let (iam, url, seen) = recording_door().await;
    // The thumbnail function writes renditions (`photos/*`), never originals (`uploads/*`).
    let thumbnail = principal(&iam, "ThumbnailFunction");

    // The SDK sends a key's dot segments as they are.
    let s3 = s3_client(&sdk_config(&url, thumbnail).await);
    let error = put(&s3, "photos/../uploads/p1", b"x").await.unwrap_err();
    assert_refused(&error, "AccessDenied", "photos/../uploads/p1");

    // By hand: dot segments percent-encoded, a lone `.`, and backslashes, which an HTTP
    // client takes for slashes.
    for key in [
        "photos/%2e%2e/uploads/p1",
        "photos/%2E./uploads/p1",
        "photos/.%2e/uploads/p1",
        "photos/./../uploads/p1",
        "photos/p1/..",
        "photos/..\\uploads/p1",
    ] {
        let (status, answer) = raw_put(&url, thumbnail, &format!("/{BUCKET}/{key}"), b"x").await;
        assert_eq!(status, 403, "{key}: {answer}");
        assert!(answer.contains("<Code>AccessDenied</Code>"), "{answer}");
        assert!(
            answer.contains("would reach the service as another"),
            "{answer}"
        );
    }
    let reached: Vec<String> = seen.lock().unwrap().iter().map(|r| r.1.clone()).collect();
    assert!(reached.is_empty(), "went on as {reached:?}");

    // Dots that are no segment of their own are a key's like any other character.
    let target = format!("/{BUCKET}/photos/p1/..thumb.webp");
    let (status, answer) = raw_put(&url, thumbnail, &target, b"x").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(seen.lock().unwrap().last().unwrap().1, target);
}

/// The emulator's resources the template names: the bucket, two queues, three secrets.
struct Emulated {
    stand_ins: StandIns,
    secrets_by_name: BTreeMap<String, String>,
    ingest_url: String,
    dead_letter_url: String,
    s3: aws_sdk_s3::Client,
}

async fn emulated(config: &aws_config::SdkConfig) -> Emulated {
    let s3 = s3_client(config);
    if s3.head_bucket().bucket(BUCKET).send().await.is_err() {
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    }
    let sqs = aws_sdk_sqs::Client::new(config);
    let (ingest_url, ingest_arn) = aws_emulator::create_queue(&sqs, "ingest", &[]).await;
    let (dead_letter_url, dead_letter_arn) =
        aws_emulator::create_queue(&sqs, "dead-letter", &[]).await;
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    let mut secrets_by_name = BTreeMap::new();
    let secret = |purpose: &'static str| {
        let secrets = secrets.clone();
        let name = aws_emulator::unique(purpose);
        async move {
            let arn = secrets
                .create_secret()
                .name(&name)
                .secret_string(format!("{purpose} secret"))
                .send()
                .await
                .unwrap()
                .arn
                .unwrap();
            (name, arn)
        }
    };
    let mut stand_ins = StandIns::default();
    for (logical_id, purpose) in [
        ("FeedCursorSecret", "feed-cursor"),
        ("DeviceChannelSecret", "device-channel"),
        ("DatabaseSecret", "database"),
    ] {
        let (name, arn) = secret(purpose).await;
        secrets_by_name.insert(name, arn.clone());
        if logical_id == "DatabaseSecret" {
            stand_ins.database_secret_arn = arn;
        } else {
            stand_ins.references.insert(logical_id.into(), arn.into());
        }
    }
    stand_ins
        .attributes
        .insert("IngestQueue.Arn".into(), ingest_arn.into());
    stand_ins
        .attributes
        .insert("DeadLetterQueue.Arn".into(), dead_letter_arn.into());
    Emulated {
        stand_ins,
        secrets_by_name,
        ingest_url,
        dead_letter_url,
        s3,
    }
}

#[tokio::test]
async fn against_the_emulator_allowed_calls_succeed_and_others_are_denied() {
    let Some(emulator) = aws_emulator::endpoint("front door against the emulator") else {
        return;
    };
    let world = emulated(&aws_emulator::config(&emulator).await).await;
    let iam = Arc::new(template_iam(&world.stand_ins));
    let mut door = FrontDoor::new(iam.clone()).secrets(Arc::new(world.secrets_by_name.clone()));
    for service in ["s3", "sqs", "secretsmanager", "states"] {
        door = door.upstream(service, &emulator);
    }
    let url = serve(door).await;
    let id = aws_emulator::unique("photo");
    let original = format!("uploads/{id}");
    let rendition = format!("photos/{id}/thumb.webp");
    put(&world.s3, &original, b"the original").await.unwrap();

    // S3: validate reads the original; thumbnail writes a rendition, and may not read it.
    let validate = s3_client(&sdk_config(&url, principal(&iam, "ValidateFunction")).await);
    assert_eq!(get(&validate, &original).await.unwrap(), b"the original");
    let thumbnail = s3_client(&sdk_config(&url, principal(&iam, "ThumbnailFunction")).await);
    thumbnail
        .put_object()
        .bucket(BUCKET)
        .key(&rendition)
        .content_type("image/webp")
        .body(b"a rendition".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(get(&world.s3, &rendition).await.unwrap(), b"a rendition");
    let error = get(&thumbnail, &rendition).await.unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));

    // The api: a presigned GET of the rendition works; it lists the photo and deletes it all.
    let api = s3_client(&sdk_config(&url, principal(&iam, "ApiFunction")).await);
    let link = api
        .get_object()
        .bucket(BUCKET)
        .key(&rendition)
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let fetched = reqwest::get(link.uri()).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(&fetched.bytes().await.unwrap()[..], b"a rendition");
    let listed = list(&api, &format!("photos/{id}/")).await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, [rendition.as_str()]);
    let deleted = delete(&api, &[&original, &rendition], true).await.unwrap();
    assert!(deleted.errors().is_empty(), "{deleted:?}");
    assert!(world
        .s3
        .head_object()
        .bucket(BUCKET)
        .key(&original)
        .send()
        .await
        .is_err());

    // SQS: the state machine sends dead letters only; dispatch receives the ingest queue.
    let machine =
        aws_sdk_sqs::Client::new(&sdk_config(&url, principal(&iam, "UploadStateMachine")).await);
    let dead_letter = &world.dead_letter_url;
    send(&machine, dead_letter, r#"{"photoId":"p"}"#)
        .await
        .unwrap();
    let error = send(&machine, &world.ingest_url, "{}").await.unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    let dispatch =
        aws_sdk_sqs::Client::new(&sdk_config(&url, principal(&iam, "DispatchFunction")).await);
    receive(&dispatch, &world.ingest_url).await.unwrap();
    let error = receive(&dispatch, dead_letter).await.unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));

    // Secrets Manager: persist reads the database's secret, by ARN or by name, and no other.
    let persist = aws_sdk_secretsmanager::Client::new(
        &sdk_config(&url, principal(&iam, "PersistFunction")).await,
    );
    let database = &world.stand_ins.database_secret_arn;
    let value = secret(&persist, database).await.unwrap();
    assert_eq!(value.secret_string(), Some("database secret"));
    let (name, _) = world
        .secrets_by_name
        .iter()
        .find(|(_, arn)| *arn == database)
        .unwrap();
    secret(&persist, name).await.unwrap();
    let feed = world.stand_ins.references["FeedCursorSecret"]
        .as_str()
        .unwrap();
    let error = secret(&persist, feed).await.unwrap_err();
    assert_eq!(error.code(), Some("AccessDeniedException"));
}
