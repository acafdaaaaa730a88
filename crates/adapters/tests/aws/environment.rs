//! `AwsEnvironment`: the adapters a Lambda function builds from its variables, and the
//! database secret read from Secrets Manager at run time.

use aws_config::SdkConfig;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::time::Duration;
use wisaw_adapters::aws::{
    AwsEnvironment, EnvironmentError, DATABASE_SECRET_ARN_VAR, DATABASE_URL_VAR,
    FEED_CURSOR_SECRET_ARN_VAR,
};
use wisaw_domain::ports::{MetadataStore, ReplayAudit};
use wisaw_domain::replay::{ReplayOutcome, ReplayRecord, ReplayedPhoto};
use wisaw_domain::PortError;
use wisaw_testkit::aws_emulator::{create_bucket, create_queue, emulator, unique, REGION};
use wisaw_testkit::aws_environment::{invalid_variable, missing_variable};
use wisaw_testkit::queues::receive_one;

fn environment(config: &SdkConfig, vars: &[(&str, &str)]) -> AwsEnvironment {
    AwsEnvironment::from_parts(
        config.clone(),
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

#[tokio::test]
async fn the_adapters_built_from_the_variables_reach_their_resources() {
    let Some(config) =
        emulator("the_adapters_built_from_the_variables_reach_their_resources").await
    else {
        return;
    };
    let (_, bucket) = create_bucket(&config).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (ingest_url, _) = create_queue(&sqs, "ingest", &[]).await;
    let env = environment(
        &config,
        &[
            ("WISAW_BUCKET", &bucket),
            ("WISAW_INGEST_QUEUE_URL", &ingest_url),
        ],
    );

    let blobs = env.blobs().unwrap();
    blobs
        .put("uploads/x", "image/png", Bytes::from_static(b"png"))
        .await
        .unwrap();
    assert_eq!(
        blobs.get("uploads/x").await.unwrap(),
        Bytes::from_static(b"png")
    );

    let ingest = env.ingest_queue().unwrap();
    ingest.send("{}").await.unwrap();
    let received = receive_one(ingest.as_ref(), Duration::from_secs(30)).await;
    assert_eq!(received.body, "{}");

    assert_eq!(
        missing_variable(env.dead_letter_queue()),
        "WISAW_DEAD_LETTER_QUEUE_URL"
    );
}

async fn secret(config: &SdkConfig, value: &str) -> String {
    aws_sdk_secretsmanager::Client::new(config)
        .create_secret()
        .name(unique("database"))
        .secret_string(value)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap()
}

#[tokio::test]
async fn the_database_secret_is_read_at_run_time() {
    let Some(config) = emulator("the_database_secret_is_read_at_run_time").await else {
        return;
    };
    // Nothing listens on port 1: the connection fails after the secret was read and used.
    let arn = secret(
        &config,
        r#"{"engine":"postgres","host":"127.0.0.1","port":1,"username":"wisaw",
            "password":"not-a-real-password","dbname":"photos"}"#,
    )
    .await;
    let env = environment(&config, &[(DATABASE_SECRET_ARN_VAR, &arn)]);
    let settings = env.postgres_settings().await.unwrap();
    let options = settings.connect_options();
    assert_eq!(
        (
            options.get_host(),
            options.get_port(),
            options.get_username()
        ),
        ("127.0.0.1", 1, "wisaw")
    );
    assert_eq!(options.get_database(), Some("photos"));
    assert_eq!(settings.max_connections(), 1);
    let unreachable = env
        .metadata()
        .await
        .err()
        .expect("nothing listens on port 1");
    assert!(
        matches!(
            unreachable,
            EnvironmentError::Database(PortError::Unavailable(_))
        ),
        "{unreachable}"
    );

    let mysql = secret(
        &config,
        r#"{"engine":"mysql","host":"h","username":"u","password":"p"}"#,
    )
    .await;
    let (variable, refused) = invalid_variable(
        environment(&config, &[(DATABASE_SECRET_ARN_VAR, &mysql)])
            .postgres_settings()
            .await,
    );
    assert_eq!(variable, DATABASE_SECRET_ARN_VAR);
    assert!(matches!(refused, PortError::Invalid(_)), "{refused}");

    let (variable, missing) = invalid_variable(
        environment(
            &config,
            &[(
                DATABASE_SECRET_ARN_VAR,
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:none",
            )],
        )
        .postgres_settings()
        .await,
    );
    assert_eq!(variable, DATABASE_SECRET_ARN_VAR);
    assert!(matches!(missing, PortError::NotFound(_)), "{missing}");
}

/// The api function's cursor key comes from Secrets Manager at cold start; a short
/// secret is refused rather than signing cursors with a weak key.
#[tokio::test]
async fn the_feed_cursor_secret_is_read_at_run_time() {
    let Some(config) = emulator("the_feed_cursor_secret_is_read_at_run_time").await else {
        return;
    };
    let value = "k".repeat(64);
    let arn = secret(&config, &value).await;
    let env = environment(&config, &[(FEED_CURSOR_SECRET_ARN_VAR, &arn)]);
    assert_eq!(env.feed_cursor_secret().await.unwrap(), value.into_bytes());

    let short = secret(&config, "too short").await;
    let refused = environment(&config, &[(FEED_CURSOR_SECRET_ARN_VAR, &short)])
        .feed_cursor_secret()
        .await;
    assert_eq!(invalid_variable(refused).0, FEED_CURSOR_SECRET_ARN_VAR);
    let missing = environment(&config, &[]).feed_cursor_secret().await;
    assert_eq!(missing_variable(missing), FEED_CURSOR_SECRET_ARN_VAR);
}

/// A caller that keeps both the photos and the replays' audit log (the operator's
/// replay) gets one store for both. Needs Postgres, not the emulator.
#[tokio::test]
async fn one_postgres_store_serves_the_metadata_and_the_replay_log() {
    let Some(schema) = wisaw_testkit::TestSchema::create("environment").await else {
        println!("skipped on Postgres");
        return;
    };
    let sdk = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .build();
    let env = environment(&sdk, &[(DATABASE_URL_VAR, &schema.url())]);
    let store = env.postgres_store().await.unwrap();
    let (metadata, audit): (&dyn MetadataStore, &dyn ReplayAudit) = (&*store, &*store);

    let photo = wisaw_testkit::photos::new_photo("image/jpeg", 1234);
    metadata.create_photo(&photo).await.unwrap();
    let record = ReplayRecord {
        id: uuid::Uuid::new_v4(),
        operator: "ops".into(),
        started_at: DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap(),
        finished_at: None,
        selection: "all".into(),
        forced: false,
        rate: 5.0,
        photos: vec![ReplayedPhoto {
            photo_id: photo.id,
            attempt: 0,
            error: "Wisaw.Transient".into(),
            outcome: ReplayOutcome::Pending,
        }],
    };
    audit.save_replay(&record).await.unwrap();

    // `metadata()` reaches the same database.
    let again = env.metadata().await.unwrap();
    assert!(again.get_photo(photo.id).await.unwrap().is_some());
    assert_eq!(audit.replay(record.id).await.unwrap(), Some(record));
}
