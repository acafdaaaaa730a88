//! The ingest queue's event source mapping, as Lambda's poller runs it, against the AWS
//! emulator's SQS: batches no larger than `BatchSize`, and with `ReportBatchItemFailures`
//! only the records the function names stay, to be received again until the queue's
//! redrive moves them to the dead-letter queue.

use crate::support::python_bootstrap;
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wisaw_stage::lambda::{FunctionConfig, LocalFunction};
use wisaw_stage::sqs_mapping::{MappingSettings, SqsMapping};
use wisaw_testkit::aws_emulator::{self, create_queue};

/// Bodies of the messages waiting on `url`, read without deleting them.
async fn bodies(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let answer = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    answer
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_failed_records_stay_and_go_to_the_dead_letter_queue() {
    let Some(config) = aws_emulator::emulator("the event source mapping").await else {
        return;
    };
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (dead_letter_url, dead_letter_arn) = create_queue(&sqs, "mapping-dlq", &[]).await;
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dead_letter_arn}","maxReceiveCount":2}}"#);
    let (queue_url, queue_arn) = create_queue(
        &sqs,
        "mapping-source",
        &[
            // Longer than a batch takes (a cold start included), or a record still being
            // handled would be received again, as on AWS.
            (QueueAttributeName::VisibilityTimeout, "4".into()),
            (QueueAttributeName::RedrivePolicy, redrive),
        ],
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let batch_log = dir.path().join("batches");
    let function = Arc::new(LocalFunction::new(FunctionConfig {
        name: "wisaw-test-dispatch".into(),
        bootstrap: python_bootstrap(&dir, "sqs_batch_runtime.py", ""),
        environment: BTreeMap::from([("BATCH_LOG".to_string(), batch_log.display().to_string())]),
        memory_mb: 256,
        timeout: Duration::from_secs(10),
        concurrency: 2,
        region: aws_emulator::REGION.into(),
        account_id: aws_emulator::ACCOUNT.into(),
    }));
    let mapping = Arc::new(SqsMapping {
        settings: MappingSettings {
            queue_arn,
            function_name: "wisaw-test-dispatch".into(),
            batch_size: 3,
            window: Duration::from_secs(1),
            max_concurrency: 2,
            report_batch_item_failures: true,
            enabled: true,
        },
        queue_url: queue_url.clone(),
        region: aws_emulator::REGION.into(),
        sqs: sqs.clone(),
        function,
        role: Arc::new(|_| Ok(())),
    });
    for body in ["ok-1", "ok-2", "fail-1", "ok-3", "ok-4", "ok-5", "ok-6"] {
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let stop = CancellationToken::new();
    let polling = tokio::spawn(mapping.run(stop.clone()));

    // The failed record alone is received again, twice in all, then redriven.
    let mut moved = Vec::new();
    for _ in 0..60 {
        moved = bodies(&sqs, &dead_letter_url).await;
        if !moved.is_empty() {
            break;
        }
    }
    stop.cancel();
    polling.await.unwrap();
    assert_eq!(moved, vec!["fail-1".to_string()]);
    assert!(
        bodies(&sqs, &queue_url).await.is_empty(),
        "records were left on the queue"
    );

    let batches: Vec<usize> = std::fs::read_to_string(&batch_log)
        .unwrap()
        .lines()
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(batches.iter().all(|&n| (1..=3).contains(&n)), "{batches:?}");
    // Seven records, and the failed one a second time (delivery is at least once: a slow
    // batch may see a record again).
    assert!(batches.iter().sum::<usize>() >= 8, "{batches:?}");
}
