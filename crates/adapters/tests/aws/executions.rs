//! Step Functions with the real `statemachines/upload.asl.json`: starting an execution
//! per photo, a duplicate start seen as handled, and reading it back as the operator
//! commands do.

use super::emulator::{create_queue, emulator, unique, REGION};
use aws_config::SdkConfig;
use std::time::Duration;
use wisaw_adapters::aws::{console_url, SqsQueue, StepFunctionsOrchestrator};
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ingest::{read_dead_letters, replay_of};
use wisaw_domain::ports::Queue;
use wisaw_domain::ports::{ExecutionStatus, ExecutionSummary, Orchestrator, StartOutcome};
use wisaw_domain::{PhotoId, PortError};

const ACCOUNT: &str = "123456789012";

/// The definition with every `${Name}` substituted as the template would, with
/// functions that do not exist on the emulator.
fn upload_definition(dead_letter_queue_url: &str) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachines/upload.asl.json"
    );
    let mut definition = std::fs::read_to_string(path).unwrap();
    while let Some(start) = definition.find("${") {
        let end = start + definition[start..].find('}').unwrap();
        let name = definition[start + 2..end].to_string();
        let value = if name.ends_with("FunctionArn") {
            format!(
                "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
                unique(&name)
            )
        } else if name == "DeadLetterQueueUrl" {
            dead_letter_queue_url.to_string()
        } else {
            panic!("the definition has a substitution this test does not know: {name}");
        };
        definition.replace_range(start..=end, &value);
    }
    definition
}

async fn upload_machine(config: &SdkConfig) -> (StepFunctionsOrchestrator, String) {
    let (dlq_url, _) = create_queue(&aws_sdk_sqs::Client::new(config), "dlq", &[]).await;
    let arn = aws_sdk_sfn::Client::new(config)
        .create_state_machine()
        .name(unique("upload"))
        .definition(upload_definition(&dlq_url))
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/wisaw-test-upload"))
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    (
        StepFunctionsOrchestrator::from_config(config, arn).unwrap(),
        dlq_url,
    )
}

fn input_for(photo: PhotoId, attempt: u32) -> ExecutionInput {
    ExecutionInput {
        photo_id: photo,
        bucket: "wisaw-test-photos".into(),
        source_key: photo.upload_key(),
        attempt,
    }
}

/// Waits (boundedly) for the execution to stop running.
async fn settled(orchestrator: &StepFunctionsOrchestrator, name: &str) -> ExecutionSummary {
    for _ in 0..60 {
        let execution = orchestrator
            .describe_execution(name)
            .await
            .unwrap()
            .unwrap();
        if execution.status != ExecutionStatus::Running {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{name} still runs after 30 s");
}

#[tokio::test]
async fn an_execution_per_photo_is_started_once_and_read_back() {
    let Some(config) = emulator("an_execution_per_photo_is_started_once_and_read_back").await
    else {
        return;
    };
    let (orchestrator, dlq_url) = upload_machine(&config).await;
    let photo = PhotoId::new_random();
    let input = input_for(photo, 0);
    let name = input.execution_name();

    assert_eq!(
        orchestrator.start_execution(&name, &input).await.unwrap(),
        StartOutcome::Started
    );
    let execution = settled(&orchestrator, &name).await;
    assert_eq!(execution.name, name);
    let expected_arn = format!(
        "arn:aws:states:{REGION}:{ACCOUNT}:execution:{}:{name}",
        orchestrator.state_machine_arn().rsplit(':').next().unwrap()
    );
    assert_eq!(execution.execution_id, expected_arn);
    assert_eq!(execution.console_url, console_url(&expected_arn));
    assert!(execution.stop_date.is_some());

    assert_eq!(
        orchestrator.start_execution(&name, &input).await.unwrap(),
        StartOutcome::AlreadyExists,
        "a second notification of the same upload is already handled"
    );

    // No function exists on the emulator: Validate fails, MarkFailed fails, and the
    // Catch path still sends the photo to the dead-letter queue, as the definition says.
    assert_eq!(execution.status, ExecutionStatus::Failed);
    let history = orchestrator.execution_history(&name).await.unwrap();
    assert!(history.windows(2).all(|w| w[0].id < w[1].id));
    let started = &history[0];
    assert_eq!(started.event_type, "ExecutionStarted");
    let recorded: ExecutionInput =
        serde_json::from_str(started.details["input"].as_str().unwrap()).unwrap();
    assert_eq!(recorded, input);
    let entered: Vec<&str> = history
        .iter()
        .filter(|e| e.event_type.ends_with("StateEntered"))
        .map(|e| e.details["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        entered,
        [
            "Validate",
            "MarkFailed",
            "SendToDeadLetterQueue",
            "PhotoFailed"
        ]
    );
    let task_failed = history
        .iter()
        .find(|e| e.event_type == "TaskFailed")
        .unwrap();
    assert_eq!(task_failed.details["resourceType"], "lambda");
    assert_eq!(
        task_failed.details["error"],
        "Lambda.ResourceNotFoundException"
    );
    let last = history.last().unwrap();
    assert_eq!(last.event_type, "ExecutionFailed");
    assert_eq!(last.details["error"], "PhotoFailed");

    let dead_letter = SqsQueue::from_config(&config, &dlq_url);
    let message = dead_letter
        .receive(1, Duration::from_secs(30), Duration::from_secs(1))
        .await
        .unwrap()
        .remove(0);
    let letters = read_dead_letters(&message.body).unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(
        (letter.photo_id, letter.source_key.as_str(), letter.attempt),
        (photo, input.source_key.as_str(), 0)
    );
    assert_eq!(letter.execution_name.as_deref(), Some(name.as_str()));
    assert_eq!(
        letter.error.as_ref().unwrap()["Error"],
        "Lambda.ResourceNotFoundException"
    );
    assert_eq!(
        replay_of(&message.body).unwrap()[0].attempt,
        1,
        "a replay is the next attempt"
    );

    assert_eq!(
        orchestrator
            .describe_execution("no-such-photo")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        orchestrator.execution_history("no-such-photo").await,
        Err(PortError::NotFound(_))
    ));
}

#[tokio::test]
async fn executions_are_listed_newest_first_and_filtered_by_status() {
    let Some(config) = emulator("executions_are_listed_newest_first_and_filtered_by_status").await
    else {
        return;
    };
    let (orchestrator, _) = upload_machine(&config).await;
    let photo = PhotoId::new_random();
    let mut names = Vec::new();
    for attempt in 0..3 {
        let input = input_for(photo, attempt);
        let name = input.execution_name();
        orchestrator.start_execution(&name, &input).await.unwrap();
        settled(&orchestrator, &name).await;
        names.push(name);
        // Start dates one apart, so newest first has one answer.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }

    let all = orchestrator.list_executions(None, 10).await.unwrap();
    let listed: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    let newest_first: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    assert!(all.iter().all(|e| e.console_url.is_some()));

    let two = orchestrator.list_executions(None, 2).await.unwrap();
    assert_eq!(two.len(), 2);
    assert!(orchestrator
        .list_executions(None, 0)
        .await
        .unwrap()
        .is_empty());

    assert!(all.iter().all(|e| e.status == ExecutionStatus::Failed));
    let failed = orchestrator
        .list_executions(Some(ExecutionStatus::Failed), 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 3);
    assert!(orchestrator
        .list_executions(Some(ExecutionStatus::Succeeded), 10)
        .await
        .unwrap()
        .is_empty());
}
