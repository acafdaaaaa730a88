//! An EXPRESS state machine's executions, read from its CloudWatch Logs log group: the
//! emulator runs them, their histories are in the log group as Step Functions writes
//! them (see `wisaw_testkit::aws_emulator::logged_history`), and the adapter lists,
//! describes and reads them from there alone, in the shape the Standard adapter reads
//! from Step Functions. And the log events of an execution on AWS, in AWS's own words.

use aws_config::SdkConfig;
use chrono::Utc;
use std::time::Duration;
use wisaw_adapters::aws::{
    console_url, execution_arn, AwsEnvironment, ExpressOrchestrator, StepFunctionsOrchestrator,
};
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ports::{ExecutionStatus, HistoryEvent, Orchestrator, StartOutcome};
use wisaw_domain::{PhotoId, PortError};
use wisaw_testkit::aws_emulator::{
    create_express_machine, create_log_group, create_queue, endpoint, express_execution_arn,
    logged_history, put_log_events, settled, upload_definition, LogGroup, REGION,
};

/// Pass, Choice, then Succeed or Fail, by the input's `fail`.
const CHOOSING: &str = r#"{
  "StartAt": "Mark",
  "States": {
    "Mark": {"Type": "Pass", "Result": {"marked": true}, "ResultPath": "$.mark", "Next": "Decide"},
    "Decide": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "Broken"}],
      "Default": "Done"
    },
    "Broken": {"Type": "Fail", "Error": "Wisaw.Broken", "Cause": "asked to fail"},
    "Done": {"Type": "Succeed"}
  }
}"#;

/// An EXPRESS machine of this definition on the emulator, logging to a group of its own.
struct ExpressMachine {
    endpoint: String,
    config: SdkConfig,
    arn: String,
    log_group: LogGroup,
    /// Reads what the emulator itself recorded (it answers Step Functions' history calls
    /// for Express executions too): what the logs are compared with.
    recorded: StepFunctionsOrchestrator,
    express: ExpressOrchestrator,
}

impl ExpressMachine {
    async fn new(test: &str, definition: &str) -> Option<Self> {
        let endpoint = endpoint(test)?;
        let config = wisaw_testkit::aws_emulator::config(&endpoint).await;
        let log_group = create_log_group(&endpoint).await;
        let arn = create_express_machine(&config, definition, Some(&log_group)).await;
        Some(Self {
            recorded: StepFunctionsOrchestrator::from_config(&config, arn.clone()).unwrap(),
            express: ExpressOrchestrator::from_config(&config, arn.clone(), &log_group.name)
                .unwrap(),
            endpoint,
            config,
            arn,
            log_group,
        })
    }

    /// Starts `name` with `input` and waits for it to end; returns its ARN.
    async fn run(&self, name: &str, input: serde_json::Value) -> String {
        let arn = aws_sdk_sfn::Client::new(&self.config)
            .start_execution()
            .state_machine_arn(&self.arn)
            .name(name)
            .input(input.to_string())
            .send()
            .await
            .unwrap()
            .execution_arn;
        settled(&self.recorded, name).await;
        arn
    }

    /// Writes the history of `execution_arn` to the log group as Step Functions does,
    /// under `logged_as`.
    async fn log(&self, execution_arn: &str, logged_as: &str) {
        let events = logged_history(&self.endpoint, execution_arn, logged_as).await;
        assert!(events.len() >= 2, "{events:?}");
        put_log_events(&self.endpoint, &self.log_group, &events).await;
    }
}

/// What an operator's page shows of an event; times to the nearest millisecond, as
/// logged (the SDK reads Step Functions' epoch seconds through a double: .824 as
/// .823999904).
fn shown(history: &[HistoryEvent]) -> Vec<(i64, i64, String, serde_json::Value, i64)> {
    history
        .iter()
        .map(|e| {
            (
                e.id,
                e.previous_event_id,
                e.event_type.clone(),
                e.details.clone(),
                (e.timestamp + chrono::Duration::microseconds(500)).timestamp_millis(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_express_upload_reads_from_its_logs_as_a_standard_one_reads_from_step_functions() {
    let test = "an_express_upload_reads_from_its_logs_as_a_standard_one_reads_from_step_functions";
    let Some(endpoint) = endpoint(test) else {
        return;
    };
    let config = wisaw_testkit::aws_emulator::config(&endpoint).await;
    let (dlq_url, _) = create_queue(&aws_sdk_sqs::Client::new(&config), "dlq", &[]).await;
    let definition = upload_definition(&dlq_url);
    let Some(machine) = ExpressMachine::new(test, &definition).await else {
        return;
    };
    let photo = PhotoId::new_random();
    let input = ExecutionInput {
        photo_id: photo,
        attempt: 0,
    };
    let name = input.execution_name();
    assert_eq!(
        machine.express.start_execution(&input).await.unwrap(),
        StartOutcome::Started
    );
    let recorded = settled(&machine.recorded, &name).await;
    let arn = execution_arn(&machine.arn, &name).unwrap();
    assert_eq!(
        machine.express.describe_execution(&name).await.unwrap(),
        None,
        "nothing is read before it is in the log group"
    );
    machine.log(&arn, &arn).await;

    // The same history, event for event: ids, what each follows, types, details, times.
    let from_logs = machine.express.execution_history(&name).await.unwrap();
    let from_step_functions = machine.recorded.execution_history(&name).await.unwrap();
    assert_eq!(shown(&from_logs), shown(&from_step_functions));
    // The upload's failure path, with its inputs and task details, is all there.
    let started: ExecutionInput =
        serde_json::from_str(from_logs[0].details["input"].as_str().unwrap()).unwrap();
    assert_eq!(started, input);
    super::failed_at_validate(&from_logs);

    let execution = machine
        .express
        .describe_execution(&name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(execution.name, name);
    assert_eq!(execution.execution_id, arn);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.status, recorded.status);
    assert_eq!(execution.start_date, from_logs[0].timestamp);
    assert_eq!(
        execution.stop_date,
        Some(from_logs.last().unwrap().timestamp)
    );
    assert_eq!(execution.console_url, console_url(&arn));
    assert_eq!(
        machine.express.definition().await.unwrap(),
        serde_json::from_str::<serde_json::Value>(&definition).unwrap()
    );

    assert_eq!(
        machine
            .express
            .describe_execution("no-such-photo")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        machine.express.execution_history("no-such-photo").await,
        Err(PortError::NotFound(_))
    ));
}

#[tokio::test]
async fn express_executions_are_listed_newest_first_by_status_from_the_logs() {
    let test = "express_executions_are_listed_newest_first_by_status_from_the_logs";
    let Some(machine) = ExpressMachine::new(test, CHOOSING).await else {
        return;
    };
    let runs = [
        ("first-ok", false),
        ("broken", true),
        ("second-ok", false),
        ("never-logged", false),
    ];
    for (name, fail) in runs {
        let arn = machine
            .run(name, serde_json::json!({"fail": fail, "name": name}))
            .await;
        if name != "never-logged" {
            machine.log(&arn, &arn).await;
        }
        // Start times a few milliseconds apart, so newest first has one answer.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let express = &machine.express;

    let all = express.list_executions(None, 10).await.unwrap();
    let listed: Vec<(&str, ExecutionStatus)> =
        all.iter().map(|e| (e.name.as_str(), e.status)).collect();
    assert_eq!(
        listed,
        [
            ("second-ok", ExecutionStatus::Succeeded),
            ("broken", ExecutionStatus::Failed),
            ("first-ok", ExecutionStatus::Succeeded),
        ],
        "what was never logged is not listed"
    );
    assert!(all.iter().all(|e| e.stop_date.is_some()));
    let failed = express
        .list_executions(Some(ExecutionStatus::Failed), 10)
        .await
        .unwrap();
    assert_eq!(
        failed.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["broken"]
    );
    let succeeded: Vec<String> = express
        .list_executions(Some(ExecutionStatus::Succeeded), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(succeeded, ["second-ok", "first-ok"]);
    let two: Vec<String> = express
        .list_executions(None, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(two, ["second-ok", "broken"]);
    assert!(express.list_executions(None, 0).await.unwrap().is_empty());
    assert!(express
        .list_executions(Some(ExecutionStatus::Running), 10)
        .await
        .unwrap()
        .is_empty());

    // The failed one: the Fail state's error and cause end it.
    let history = express.execution_history("broken").await.unwrap();
    let ids: Vec<i64> = history.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    assert!(history.windows(2).all(|w| w[1].previous_event_id < w[1].id));
    let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types[0], "ExecutionStarted");
    assert!(types.contains(&"ChoiceStateEntered"), "{types:?}");
    assert!(types.contains(&"FailStateEntered"), "{types:?}");
    let last = history.last().unwrap();
    assert_eq!(last.event_type, "ExecutionFailed");
    assert_eq!(
        last.details,
        serde_json::json!({"error": "Wisaw.Broken", "cause": "asked to fail"})
    );
    let input: serde_json::Value =
        serde_json::from_str(history[0].details["input"].as_str().unwrap()).unwrap();
    assert_eq!(input, serde_json::json!({"fail": true, "name": "broken"}));

    // A succeeded one's output is its last state's.
    let ok = express.execution_history("first-ok").await.unwrap();
    let succeeded = ok.last().unwrap();
    assert_eq!(succeeded.event_type, "ExecutionSucceeded");
    let output: serde_json::Value =
        serde_json::from_str(succeeded.details["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output,
        serde_json::json!({"fail": false, "name": "first-ok", "mark": {"marked": true}})
    );
    assert_eq!(
        succeeded.details["outputDetails"],
        serde_json::json!({"truncated": false})
    );

    // Ran, but never reached the logs: the logs are what is read.
    assert_eq!(
        express.describe_execution("never-logged").await.unwrap(),
        None
    );
    assert!(machine
        .recorded
        .describe_execution("never-logged")
        .await
        .unwrap()
        .is_some());
}

/// The log events of one Express execution as AWS wrote them (a published capture of an
/// execution's log stream: github.com/moralesl/masking-sensitive-express-step-functions,
/// its README; the fields are those the Step Functions Developer Guide describes for
/// CloudWatch Logs, https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html,
/// with `inputDetails` and `outputDetails` as in HistoryEventExecutionDataDetails). Only
/// the region and the machine's name in the ARN are the test's own.
const AWS_LOGGED: [&str; 4] = [
    r#"{"id": "1", "type": "ExecutionStarted", "details": {"input": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}", "inputDetails": {"truncated": false}, "roleArn": "arn:aws:iam::123456789012:role/masking-sensitive-express-LoggingAndMaskingWorkflow-PrqsMkZA1j2J"}, "previous_event_id": "0", "event_timestamp": "1713959670672", "execution_arn": "arn:aws:states:REGION:123456789012:express:MACHINE:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271", "redrive_count": "0"}"#,
    r#"{"id": "2", "type": "PassStateEntered", "details": {"input": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}", "inputDetails": {"truncated": false}, "name": "LogInput"}, "previous_event_id": "0", "event_timestamp": "1713959670680", "execution_arn": "arn:aws:states:REGION:123456789012:express:MACHINE:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271", "redrive_count": "0"}"#,
    r#"{"id": "3", "type": "PassStateExited", "details": {"name": "LogInput", "output": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}", "outputDetails": {"truncated": false}}, "previous_event_id": "2", "event_timestamp": "1713959670680", "execution_arn": "arn:aws:states:REGION:123456789012:express:MACHINE:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271", "redrive_count": "0"}"#,
    r#"{"id": "4", "type": "ExecutionSucceeded", "details": {"output": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}", "outputDetails": {"truncated": false}}, "previous_event_id": "3", "event_timestamp": "1713959670680", "execution_arn": "arn:aws:states:REGION:123456789012:express:MACHINE:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271", "redrive_count": "0"}"#,
];

#[tokio::test]
async fn an_express_execution_logged_in_aws_words_is_read() {
    let test = "an_express_execution_logged_in_aws_words_is_read";
    let Some(machine) = ExpressMachine::new(test, CHOOSING).await else {
        return;
    };
    let machine_name = machine.arn.rsplit(':').next().unwrap();
    let now = Utc::now().timestamp_millis();
    // Delivered now, whatever time the events themselves say.
    let logged: Vec<(i64, String)> = AWS_LOGGED
        .iter()
        .enumerate()
        .map(|(at, message)| {
            let message = message
                .replace("REGION", REGION)
                .replace("MACHINE", machine_name);
            (now - 60_000 + at as i64, message)
        })
        .collect();
    put_log_events(&machine.endpoint, &machine.log_group, &logged).await;
    let arn = format!(
        "arn:aws:states:{REGION}:123456789012:express:{machine_name}:cli-test-run:\
         4135929f-8d60-4ea5-b3c3-b243bec43271"
    );

    let execution = machine
        .express
        .describe_execution("cli-test-run")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(execution.execution_id, arn);
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(execution.start_date.timestamp_millis(), 1_713_959_670_672);
    assert_eq!(
        execution.stop_date.unwrap().timestamp_millis(),
        1_713_959_670_680
    );
    assert_eq!(
        execution.console_url.as_deref(),
        Some(
            format!(
                "https://{REGION}.console.aws.amazon.com/states/home?region={REGION}\
                 #/express-executions/details/{arn}?startDate=1713959670672"
            )
            .as_str()
        )
    );
    let history = machine
        .express
        .execution_history("cli-test-run")
        .await
        .unwrap();
    let read: Vec<(i64, i64, &str)> = history
        .iter()
        .map(|e| (e.id, e.previous_event_id, e.event_type.as_str()))
        .collect();
    assert_eq!(
        read,
        [
            (1, 0, "ExecutionStarted"),
            (2, 0, "PassStateEntered"),
            (3, 2, "PassStateExited"),
            (4, 3, "ExecutionSucceeded")
        ]
    );
    assert_eq!(
        history[1].details,
        serde_json::json!({
            "name": "LogInput",
            "input": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}",
            "inputDetails": {"truncated": false}
        })
    );

    // A second start under the same name runs again (Express refuses no repeat): the
    // name then means the newest, still running while only its start is logged.
    let again = express_execution_arn(&machine.arn, "cli-test-run");
    let started_again = serde_json::json!({
        "id": "1", "type": "ExecutionStarted", "previous_event_id": "0",
        "event_timestamp": now.to_string(), "execution_arn": again, "redrive_count": "0",
        "details": {"input": "{}", "inputDetails": {"truncated": false}, "roleArn": "r"}
    });
    // And an execution of another machine logging to the same group is not this one's.
    let other_machine = serde_json::json!({
        "id": "1", "type": "ExecutionStarted", "previous_event_id": "0",
        "event_timestamp": now.to_string(), "redrive_count": "0",
        "execution_arn": format!("arn:aws:states:{REGION}:123456789012:express:another:cli-test-run:1"),
        "details": {"input": "{}", "inputDetails": {"truncated": false}, "roleArn": "r"}
    });
    put_log_events(
        &machine.endpoint,
        &machine.log_group,
        &[
            (now, started_again.to_string()),
            (now, other_machine.to_string()),
        ],
    )
    .await;
    let newest = machine
        .express
        .describe_execution("cli-test-run")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newest.execution_id, again);
    assert_eq!(newest.status, ExecutionStatus::Running);
    assert_eq!(newest.stop_date, None);
    assert_eq!(
        machine
            .express
            .execution_history("cli-test-run")
            .await
            .unwrap()
            .len(),
        1
    );
    let both: Vec<String> = machine
        .express
        .list_executions(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.execution_id)
        .collect();
    assert_eq!(both, [again, arn]);
}

#[tokio::test]
async fn the_environment_reads_each_machine_as_its_type_asks() {
    let test = "the_environment_reads_each_machine_as_its_type_asks";
    let Some(machine) = ExpressMachine::new(test, CHOOSING).await else {
        return;
    };
    let environment = |arn: &str| {
        AwsEnvironment::from_parts(
            machine.config.clone(),
            [("WISAW_STATE_MACHINE_ARN".to_string(), arn.to_string())],
        )
        .orchestrator()
        .unwrap()
    };

    // EXPRESS: what its logs hold, and only that.
    let logged = machine
        .run("logged", serde_json::json!({"fail": false}))
        .await;
    machine.log(&logged, &logged).await;
    machine
        .run("not-logged", serde_json::json!({"fail": false}))
        .await;
    let express = environment(&machine.arn);
    let listed: Vec<String> = express
        .list_executions(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(listed, ["logged"]);
    assert!(express
        .describe_execution("not-logged")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        express
            .execution_history("logged")
            .await
            .unwrap()
            .last()
            .unwrap()
            .event_type,
        "ExecutionSucceeded"
    );

    // An EXPRESS machine that logs nothing cannot be read, and says why.
    let silent = create_express_machine(&machine.config, CHOOSING, None).await;
    let error = environment(&silent)
        .list_executions(None, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PortError::Invalid(m) if m.message().contains("level ALL")),
        "{error}"
    );

    // STANDARD: Step Functions' own history, logs or not.
    let standard_arn = wisaw_testkit::aws_emulator::create_upload_machine(
        &machine.config,
        r#"{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}"#,
    )
    .await;
    let standard = environment(&standard_arn);
    let input = ExecutionInput {
        photo_id: PhotoId::new_random(),
        attempt: 0,
    };
    assert_eq!(
        standard.start_execution(&input).await.unwrap(),
        StartOutcome::Started
    );
    let execution = settled(standard.as_ref(), &input.execution_name()).await;
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(standard.list_executions(None, 10).await.unwrap().len(), 1);
}
