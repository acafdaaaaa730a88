//! SQS: the queue port's semantics, the redrive to the dead-letter queue after
//! maxReceiveCount, and an operator's replay back to ingest over the port.

use aws_sdk_sqs::types::QueueAttributeName;
use std::time::Duration;
use wisaw_adapters::aws::SqsQueue;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ingest::{parse_ingest_message, replay_of, IngestRequest, S3Notification};
use wisaw_domain::ports::{Queue, QueueStats};
use wisaw_domain::{PhotoId, PortError};
use wisaw_testkit::aws_emulator::{create_queue, emulator};
use wisaw_testkit::queues::receive_one;

const HOLD: Duration = Duration::from_secs(60);
const BRIEFLY: Duration = Duration::from_secs(1);

#[tokio::test]
async fn send_receive_hide_show_and_delete() {
    let Some(config) = emulator("send_receive_hide_show_and_delete").await else {
        return;
    };
    let (url, _) = create_queue(&aws_sdk_sqs::Client::new(&config), "port", &[]).await;
    let queue = SqsQueue::from_config(&config, &url);
    assert!(url.ends_with(queue.name()));

    let id = queue.send(r#"{"hello":1}"#).await.unwrap();
    let first = receive_one(&queue, HOLD).await;
    assert_eq!(
        (first.message_id.as_str(), first.body.as_str()),
        (id.as_str(), r#"{"hello":1}"#)
    );
    assert_eq!(first.receive_count, 1);
    assert!(
        queue
            .receive(10, HOLD, Duration::ZERO)
            .await
            .unwrap()
            .is_empty(),
        "a received message stays hidden"
    );

    queue
        .change_visibility(&first.receipt_handle, Duration::ZERO)
        .await
        .unwrap();
    let second = receive_one(&queue, HOLD).await;
    assert_eq!(second.message_id, id);
    assert_eq!(second.receive_count, 2);

    queue.delete(&second.receipt_handle).await.unwrap();
    assert!(queue.receive(10, HOLD, BRIEFLY).await.unwrap().is_empty());
    assert!(queue.receive(0, HOLD, BRIEFLY).await.unwrap().is_empty());
}

#[tokio::test]
async fn stats_count_waiting_and_in_flight_messages() {
    let Some(config) = emulator("stats_count_waiting_and_in_flight_messages").await else {
        return;
    };
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (url, _) = create_queue(&sqs, "stats", &[]).await;
    let queue = SqsQueue::from_config(&config, &url);
    let counts = |stats: QueueStats| {
        // SQS does not tell the oldest message's age through the queue's attributes.
        assert_eq!(stats.oldest_age, None);
        (stats.visible, stats.in_flight)
    };
    assert_eq!(counts(queue.stats().await.unwrap()), (0, 0));

    let sent_from = chrono::Utc::now() - chrono::Duration::seconds(1);
    queue.send("first").await.unwrap();
    queue.send("second").await.unwrap();
    assert_eq!(counts(queue.stats().await.unwrap()), (2, 0));

    let received = receive_one(&queue, HOLD).await;
    let sent_at = received.sent_at.expect("SQS tells when a message was sent");
    assert!(
        sent_at >= sent_from && sent_at <= chrono::Utc::now() + chrono::Duration::seconds(1),
        "{sent_at}"
    );
    assert_eq!(counts(queue.stats().await.unwrap()), (1, 1));
    queue.delete(&received.receipt_handle).await.unwrap();
    assert_eq!(counts(queue.stats().await.unwrap()), (1, 0));

    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let gone = queue.stats().await;
    assert!(matches!(gone, Err(PortError::NotFound(_))), "{gone:?}");
}

/// `wisaw dlq replay --all` over the port: receive every dead letter, send it back to
/// ingest one attempt more, then delete it.
async fn replay_all(dead_letter: &dyn Queue, ingest: &dyn Queue) -> usize {
    let mut replayed = 0;
    loop {
        let batch = dead_letter.receive(10, HOLD, Duration::ZERO).await.unwrap();
        if batch.is_empty() {
            return replayed;
        }
        for message in batch {
            for letter in replay_of(&message.body).unwrap() {
                ingest
                    .send(&serde_json::to_string(&letter).unwrap())
                    .await
                    .unwrap();
                replayed += 1;
            }
            dead_letter.delete(&message.receipt_handle).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_message_received_too_often_is_redriven_then_replayed_to_ingest() {
    let Some(config) =
        emulator("a_message_received_too_often_is_redriven_then_replayed_to_ingest").await
    else {
        return;
    };
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (dlq_url, dlq_arn) = create_queue(&sqs, "dlq", &[]).await;
    let redrive = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"});
    let (ingest_url, _) = create_queue(
        &sqs,
        "ingest",
        &[(QueueAttributeName::RedrivePolicy, redrive.to_string())],
    )
    .await;
    let ingest = SqsQueue::from_config(&config, &ingest_url);
    let dead_letter = SqsQueue::from_config(&config, &dlq_url);

    let photo = PhotoId::new_random();
    let bucket = "wisaw-test-photos";
    let note =
        S3Notification::object_created(bucket, &photo.upload_key(), 123, "2026-01-01T00:00:00Z");
    let body = serde_json::to_string(&note).unwrap();
    ingest.send(&body).await.unwrap();

    // Two failed deliveries: dispatch would have let the message reappear each time.
    for expected_count in 1..=2 {
        let message = receive_one(&ingest, Duration::ZERO).await;
        assert_eq!(message.receive_count, expected_count);
    }
    assert!(
        ingest.receive(10, HOLD, BRIEFLY).await.unwrap().is_empty(),
        "past maxReceiveCount the message leaves the ingest queue"
    );
    let dead = receive_one(&dead_letter, Duration::ZERO).await;
    assert_eq!(dead.body, body, "the dead letter is the raw notification");

    assert_eq!(replay_all(&dead_letter, &ingest).await, 1);
    assert!(dead_letter
        .receive(10, HOLD, BRIEFLY)
        .await
        .unwrap()
        .is_empty());

    let replayed = receive_one(&ingest, HOLD).await;
    assert_eq!(replayed.receive_count, 1);
    let expected = ExecutionInput {
        photo_id: photo,
        attempt: 1,
    };
    assert_eq!(expected.execution_name(), format!("{photo}-replay-1"));
    assert_eq!(
        parse_ingest_message(&replayed.body).unwrap(),
        vec![IngestRequest::Process(expected)]
    );
}
