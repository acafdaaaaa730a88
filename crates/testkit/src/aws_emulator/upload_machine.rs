//! The real upload state machine on the emulator. Its Lambda functions do not exist
//! there: every execution fails at Validate and sends its photo to the dead-letter queue.

use super::{unique, ACCOUNT, REGION};
use aws_config::SdkConfig;
use std::time::Duration;
use wisaw_domain::ports::{ExecutionStatus, ExecutionSummary, Orchestrator};

/// `statemachines/upload.asl.json` with every `${Name}` substituted as the template
/// would, with functions that do not exist on the emulator.
pub fn upload_definition(dead_letter_queue_url: &str) -> String {
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
            panic!("the definition has a substitution the tests do not know: {name}");
        };
        definition.replace_range(start..=end, &value);
    }
    definition
}

/// Creates a state machine of this definition (see [`upload_definition`]); returns its ARN.
pub async fn create_upload_machine(config: &SdkConfig, definition: &str) -> String {
    aws_sdk_sfn::Client::new(config)
        .create_state_machine()
        .name(unique("upload"))
        .definition(definition)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/wisaw-test-upload"))
        .send()
        .await
        .unwrap()
        .state_machine_arn
}

/// Waits (boundedly) for the execution `name` to stop running.
pub async fn settled(orchestrator: &dyn Orchestrator, name: &str) -> ExecutionSummary {
    for _ in 0..300 {
        let execution = orchestrator
            .describe_execution(name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no execution {name}"));
        if execution.status != ExecutionStatus::Running {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} still runs after 30 s");
}
