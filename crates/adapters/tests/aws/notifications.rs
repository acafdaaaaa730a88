//! S3 → SQS: the notification of an upload, read from the ingest queue and parsed as
//! `dispatch` parses it, keys with spaces and `+` included.

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use std::collections::BTreeMap;
use std::time::Duration;
use wisaw_adapters::aws::SqsQueue;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ingest::{decode_s3_key, parse_ingest_message, IngestRequest, S3Notification};
use wisaw_domain::ports::Queue;
use wisaw_domain::PhotoId;
use wisaw_testkit::aws_emulator::{create_bucket, create_queue, emulator};

#[tokio::test]
async fn an_upload_notification_arrives_on_the_queue_and_parses() {
    let Some(config) = emulator("an_upload_notification_arrives_on_the_queue_and_parses").await
    else {
        return;
    };
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (queue_url, queue_arn) = create_queue(&sqs, "ingest", &[]).await;
    let (s3, bucket) = create_bucket(&config).await;
    let uploads_only = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("uploads/")
                        .build(),
                )
                .build(),
        )
        .build();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(&queue_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .filter(uploads_only)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let photo = PhotoId::new_random();
    let odd_key = "uploads/a b+c.jpg";
    for key in [photo.upload_key().as_str(), odd_key, "photos/x/thumb.webp"] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(b"bytes".to_vec().into())
            .send()
            .await
            .unwrap();
    }

    // Keyed by the decoded object key; S3's test event, if any, is set aside.
    let queue = SqsQueue::from_config(&config, &queue_url);
    let mut by_key = BTreeMap::new();
    for _ in 0..10 {
        for message in queue
            .receive(10, Duration::from_secs(30), Duration::from_secs(1))
            .await
            .unwrap()
        {
            let note: S3Notification = serde_json::from_str(&message.body).unwrap();
            for record in &note.records {
                let key = decode_s3_key(&record.s3.object.key);
                by_key.insert(key, (record.s3.object.key.clone(), message.body.clone()));
            }
            queue.delete(&message.receipt_handle).await.unwrap();
        }
        if by_key.len() >= 2 {
            break;
        }
    }
    let mut expected = vec![odd_key.to_string(), photo.upload_key()];
    expected.sort();
    assert_eq!(
        by_key.keys().cloned().collect::<Vec<_>>(),
        expected,
        "only the uploads are notified, keys decoded as written"
    );

    let (raw_key, body) = &by_key[odd_key];
    assert!(!raw_key.contains(' '), "S3 encodes the key: {raw_key}");
    assert!(matches!(
        parse_ingest_message(body).unwrap().as_slice(),
        [IngestRequest::Ignore(reason)] if reason.contains(odd_key)
    ));

    let (_, body) = &by_key[&photo.upload_key()];
    assert_eq!(
        parse_ingest_message(body).unwrap(),
        vec![IngestRequest::Process(ExecutionInput {
            photo_id: photo,
            attempt: 0,
        })]
    );
}
