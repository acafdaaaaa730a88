//! The operator commands against AWS (`--aws`), on the emulator: from a photo id
//! to its execution and history with `wisaw executions show --aws`, and a failed
//! photo from the dead-letter queue back to ingest with `wisaw dlq replay --aws`.

use aws_config::{Region, SdkConfig};
use aws_sdk_sqs::config::Credentials;
use std::process::Command;
use std::time::Duration;
use wisaw_adapters::aws::{SqsQueue, StepFunctionsOrchestrator};
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ingest::read_dead_letters;
use wisaw_domain::ports::{ExecutionStatus, Orchestrator, Queue};
use wisaw_domain::PhotoId;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

fn endpoint() -> Option<String> {
    let endpoint = std::env::var("WISAW_TEST_AWS_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    if endpoint.is_none() {
        assert!(
            std::env::var("WISAW_REQUIRE_AWS_EMULATOR").as_deref() != Ok("1"),
            "WISAW_REQUIRE_AWS_EMULATOR=1 but WISAW_TEST_AWS_ENDPOINT is not set"
        );
        eprintln!("skipped: WISAW_TEST_AWS_ENDPOINT is not set");
    }
    endpoint
}

async fn config(endpoint: &str) -> SdkConfig {
    wisaw_adapters::aws::config_loader()
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .load()
        .await
}

fn unique(prefix: &str) -> String {
    format!(
        "wisaw-{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// The real definition, with Lambda functions that do not exist on the emulator:
/// every execution fails at Validate and sends its photo to the dead-letter queue.
fn upload_definition(dead_letter_queue_url: &str) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../statemachines/upload.asl.json"
    );
    let mut definition = std::fs::read_to_string(path).unwrap();
    for function in ["Validate", "Thumbnail", "Persist", "Notify"] {
        let arn = format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
            unique(function)
        );
        definition = definition.replace(&format!("${{{function}FunctionArn}}"), &arn);
    }
    definition.replace("${DeadLetterQueueUrl}", dead_letter_queue_url)
}

fn wisaw(endpoint: &str, machine: &str, dead_letter: &str, ingest: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_wisaw"))
        .args(args)
        .args(["--aws", "--stage", "test"])
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", REGION)
        .env("WISAW_STATE_MACHINE_ARN", machine)
        .env("WISAW_DEAD_LETTER_QUEUE_URL", dead_letter)
        .env("WISAW_INGEST_QUEUE_URL", ingest)
        .env_remove("WISAW_STAGE")
        .env("WISAW_LOG", "warn")
        .output()
        .expect("running wisaw");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "wisaw {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn an_operator_follows_a_failed_photo_and_replays_it_on_aws() {
    let Some(endpoint) = endpoint() else { return };
    let config = config(&endpoint).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let dead_letter_url = sqs
        .create_queue()
        .queue_name(unique("dlq"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let ingest_url = sqs
        .create_queue()
        .queue_name(unique("ingest"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let machine = aws_sdk_sfn::Client::new(&config)
        .create_state_machine()
        .name(unique("upload"))
        .definition(upload_definition(&dead_letter_url))
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/wisaw-test-upload"))
        .send()
        .await
        .unwrap()
        .state_machine_arn;

    let orchestrator = StepFunctionsOrchestrator::from_config(&config, machine.clone()).unwrap();
    let photo = PhotoId::new_random();
    let input = ExecutionInput {
        photo_id: photo,
        bucket: "photos".into(),
        source_key: photo.upload_key(),
        attempt: 0,
    };
    orchestrator
        .start_execution(&input.execution_name(), &input)
        .await
        .unwrap();
    let mut status = None;
    for _ in 0..100 {
        status = orchestrator
            .describe_execution(&input.execution_name())
            .await
            .unwrap()
            .map(|e| e.status);
        if status != Some(ExecutionStatus::Running) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, Some(ExecutionStatus::Failed));

    let shown = wisaw(
        &endpoint,
        &machine,
        &dead_letter_url,
        &ingest_url,
        &["executions", "show", &photo.to_string()],
    );
    assert!(shown.contains(&format!("execution {photo}")), "{shown}");
    assert!(shown.contains("status:  FAILED"), "{shown}");
    assert!(
        shown.contains("ExecutionStarted") && shown.contains("TaskStateEntered"),
        "{shown}"
    );
    assert!(
        shown.contains("console: https://us-east-1.console.aws.amazon.com/states/"),
        "{shown}"
    );

    let listed = wisaw(
        &endpoint,
        &machine,
        &dead_letter_url,
        &ingest_url,
        &["executions", "list", "--status", "FAILED"],
    );
    assert!(listed.contains(&photo.to_string()), "{listed}");

    let dead = wisaw(
        &endpoint,
        &machine,
        &dead_letter_url,
        &ingest_url,
        &["dlq", "list"],
    );
    assert!(dead.contains(&photo.to_string()), "{dead}");

    let replayed = wisaw(
        &endpoint,
        &machine,
        &dead_letter_url,
        &ingest_url,
        &["dlq", "replay", "--photo", &photo.to_string()],
    );
    assert!(replayed.contains("replayed 1 photo(s)"), "{replayed}");

    let ingest = SqsQueue::from_config(&config, ingest_url);
    let messages = ingest
        .receive(10, Duration::from_secs(30), Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    let letters = read_dead_letters(&messages[0].body).unwrap();
    assert_eq!((letters[0].photo_id, letters[0].attempt), (photo, 1));
    let dead_letter = SqsQueue::from_config(&config, dead_letter_url);
    assert!(dead_letter
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
}
