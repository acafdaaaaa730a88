//! The front door with the SDK's own clients: a call a role's policies do not allow gets
//! the SDK's access-denied error with AWS's message (no emulator needed: nothing denied
//! goes further); against the emulator, an allowed call does what it does on AWS.

use super::{
    principal, s3_client, sdk_config, serve, template_iam, StandIns, ACCOUNT, BUCKET, REGION,
};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use wisaw_stage::iam::{FrontDoor, Iam};
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

#[tokio::test]
async fn each_sdk_sees_a_denied_call_as_access_denied_with_awss_message() {
    let (iam, url) = closed_door().await;

    let thumbnail = sdk_config(&url, principal(&iam, "ThumbnailFunction")).await;
    let error = s3_client(&thumbnail)
        .put_object()
        .bucket(BUCKET)
        .key("uploads/p1")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    assert_eq!(
        error.message(),
        Some(
            format!(
                "User: {} is not authorized to perform: s3:PutObject on resource: \
                 \"arn:aws:s3:::{BUCKET}/uploads/p1\" because no identity-based policy allows \
                 the s3:PutObject action",
                role("ThumbnailFunction", "thumbnail")
            )
            .as_str()
        )
    );

    let machine = sdk_config(&url, principal(&iam, "UploadStateMachine")).await;
    let error = aws_sdk_sqs::Client::new(&machine)
        .send_message()
        .queue_url(format!("http://127.0.0.1/{ACCOUNT}/wisaw-test-ingest"))
        .message_body("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    let message = error.message().unwrap();
    assert!(
        message.contains(&format!(
            "is not authorized to perform: sqs:SendMessage on resource: \
             arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-ingest"
        )),
        "{message}"
    );

    let persist = sdk_config(&url, principal(&iam, "PersistFunction")).await;
    let feed = StandIns::default().references["FeedCursorSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let error = aws_sdk_secretsmanager::Client::new(&persist)
        .get_secret_value()
        .secret_id(&feed)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDeniedException"));
    assert!(
        error.message().unwrap().contains(&format!(
            "secretsmanager:GetSecretValue on resource: {feed} because"
        )),
        "{error:?}"
    );

    let api = sdk_config(&url, principal(&iam, "ApiFunction")).await;
    let machine_arn = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:wisaw-test-upload");
    let error = aws_sdk_sfn::Client::new(&api)
        .start_execution()
        .state_machine_arn(&machine_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDeniedException"));
    assert!(error.message().unwrap().contains("states:StartExecution"));
}

#[tokio::test]
async fn listing_and_batch_deletes_are_held_to_each_prefix_and_key() {
    let (iam, url) = closed_door().await;
    let api = s3_client(&sdk_config(&url, principal(&iam, "ApiFunction")).await);
    let error = api
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("other/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    assert!(error.message().unwrap().contains("s3:ListBucket"));

    let dispatch = s3_client(&sdk_config(&url, principal(&iam, "DispatchFunction")).await);
    let objects = ["uploads/p1", "photos/p1/thumb.webp"]
        .into_iter()
        .map(|key| ObjectIdentifier::builder().key(key).build().unwrap())
        .collect();
    let error = dispatch
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .set_objects(Some(objects))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    assert!(
        error
            .message()
            .unwrap()
            .contains(&format!("\"arn:aws:s3:::{BUCKET}/photos/p1/thumb.webp\"")),
        "{error:?}"
    );
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
    assert_eq!(error.code(), Some("AccessDeniedException"));
    assert_eq!(
        error.message(),
        Some(
            "The stage does not know the Step Functions operation CreateActivity, so it lets \
             no such request through."
        )
    );
    let error = s3_client(&dispatch)
        .get_object_torrent()
        .bucket(BUCKET)
        .key("uploads/p1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    assert!(
        error
            .message()
            .unwrap()
            .contains("does not know the S3 request GET"),
        "{error:?}"
    );
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
    world
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(&original)
        .body(b"the original".to_vec().into())
        .send()
        .await
        .unwrap();

    // S3: validate reads the original; thumbnail writes a rendition, and may not read it.
    let validate = s3_client(&sdk_config(&url, principal(&iam, "ValidateFunction")).await);
    let read = validate
        .get_object()
        .bucket(BUCKET)
        .key(&original)
        .send()
        .await
        .unwrap();
    let bytes = read.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], b"the original");
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
    let stored = world
        .s3
        .get_object()
        .bucket(BUCKET)
        .key(&rendition)
        .send()
        .await
        .unwrap();
    assert_eq!(
        &stored.body.collect().await.unwrap().into_bytes()[..],
        b"a rendition"
    );
    let error = thumbnail
        .get_object()
        .bucket(BUCKET)
        .key(&rendition)
        .send()
        .await
        .unwrap_err();
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
    let listed = api
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(format!("photos/{id}/"))
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, [rendition.as_str()]);
    let objects = [&original, &rendition]
        .into_iter()
        .map(|key| ObjectIdentifier::builder().key(key).build().unwrap())
        .collect();
    let deleted = api
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
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
    machine
        .send_message()
        .queue_url(&world.dead_letter_url)
        .message_body(r#"{"photoId":"p"}"#)
        .send()
        .await
        .unwrap();
    let error = machine
        .send_message()
        .queue_url(&world.ingest_url)
        .message_body("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    let dispatch =
        aws_sdk_sqs::Client::new(&sdk_config(&url, principal(&iam, "DispatchFunction")).await);
    dispatch
        .receive_message()
        .queue_url(&world.ingest_url)
        .send()
        .await
        .unwrap();
    let error = dispatch
        .receive_message()
        .queue_url(&world.dead_letter_url)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));

    // Secrets Manager: persist reads the database's secret, by ARN or by name, and no other.
    let persist = aws_sdk_secretsmanager::Client::new(
        &sdk_config(&url, principal(&iam, "PersistFunction")).await,
    );
    let database = &world.stand_ins.database_secret_arn;
    let value = persist
        .get_secret_value()
        .secret_id(database)
        .send()
        .await
        .unwrap();
    assert_eq!(value.secret_string(), Some("database secret"));
    let (name, _) = world
        .secrets_by_name
        .iter()
        .find(|(_, arn)| *arn == database)
        .unwrap();
    persist
        .get_secret_value()
        .secret_id(name)
        .send()
        .await
        .unwrap();
    let feed = world.stand_ins.references["FeedCursorSecret"]
        .as_str()
        .unwrap();
    let error = persist
        .get_secret_value()
        .secret_id(feed)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDeniedException"));
}
