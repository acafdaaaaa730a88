//! The template deployed with `WorkflowType=EXPRESS` (its default), as AWS runs it: Step
//! Functions neither lists nor describes an Express execution, nor gives its history; the
//! stage logs each event of it to the state machine's log group as Step Functions does,
//! and the operator's tools (`wisaw executions`, `wisaw photo show`, the console) read it
//! there. A failed one, its dead letter and its replay: `failures.rs`, on the default
//! deploy.

use super::harness::{
    operator_environment, output, photo_heard_ready, wisaw, ConsoleProcess, Fixture,
};
use serde_json::{json, Value};
use std::time::Duration;
use wisaw_stage::compose::Stage;

const WITHIN: Duration = Duration::from_secs(180);
const EXPRESS: [(&str, &str); 1] = [("WorkflowType", "EXPRESS")];
/// The template's log group of the state machine, in stage `test`.
const LOG_GROUP: &str = "/aws/vendedlogs/states/wisaw-test-upload";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_express_photo_is_followed_through_the_state_machines_logs() {
    let Some(fixture) = Fixture::new("the stage under Express").await else {
        return;
    };
    let stage = fixture.stage_with(None, &EXPRESS).await;

    let photo = photo_heard_ready(&stage, WITHIN).await;

    // An Express execution, which Step Functions keeps no record of.
    let arn = express_execution(&stage, &photo).await;
    assert_refused_by_step_functions(&stage, &arn).await;
    let described = states_call(
        &stage,
        "DescribeStateMachine",
        json!({"stateMachineArn": output(&stage, "StateMachineArn")}),
    )
    .await;
    assert_eq!(described.0, 200, "{}", described.1);
    assert_eq!(described.1["type"], "EXPRESS");
    assert_eq!(
        described.1["loggingConfiguration"],
        json!({"level": "ALL", "includeExecutionData": true, "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn":
                format!("arn:aws:logs:us-east-1:123456789012:log-group:{LOG_GROUP}:*")}}]})
    );

    // Its log group holds its history: one log event an event, as the engine recorded it.
    let logged = logged_until(&fixture.endpoint, &arn, "ExecutionSucceeded").await;
    let history = stage.runners[0].history_by_id(&arn).await.unwrap();
    let read: Vec<(i64, String)> = logged
        .iter()
        .map(|(_, message)| {
            let id = message["id"].as_str().unwrap().parse().unwrap();
            (id, message["type"].as_str().unwrap().to_string())
        })
        .collect();
    let recorded: Vec<(i64, String)> = history
        .iter()
        .map(|e| (e.id, e.event_type.clone()))
        .collect();
    assert_eq!(read, recorded);
    let started = &logged[0].1;
    assert_eq!(started["execution_arn"], arn.as_str());
    assert_eq!(started["redrive_count"], "0");
    // With the execution's data, as the template asks.
    assert!(
        started["details"]["input"]
            .as_str()
            .unwrap()
            .contains(&photo),
        "{started}"
    );
    for (stream, _) in &logged {
        assert!(stream.starts_with("states/wisaw-test-upload/"), "{stream}");
    }

    // The operator's commands read it there.
    let operator = operator_environment(&stage, &fixture.database);
    let listed = wisaw(&operator, &["executions", "list", "--aws"]);
    let line = listed
        .lines()
        .find(|line| line.starts_with(&photo))
        .unwrap_or_else(|| panic!("{photo} is not listed: {listed}"));
    assert!(line.contains("SUCCEEDED"), "{line}");
    let shown = wisaw(&operator, &["executions", "show", "--aws", &photo]);
    for expected in [
        format!("id:      {arn}"),
        "status:  SUCCEEDED".to_string(),
        "express-executions".to_string(),
        "ExecutionStarted".to_string(),
        "TaskStateEntered".to_string(),
        "ExecutionSucceeded".to_string(),
    ] {
        assert!(shown.contains(&expected), "{expected}: {shown}");
    }
    let story: Value = serde_json::from_str(&wisaw(
        &operator,
        &["photo", "show", "--aws", "--json", &photo],
    ))
    .unwrap();
    let execution = &story["executions"][0];
    assert_eq!(execution["executionId"], arn.as_str(), "{story}");
    assert_eq!(execution["status"], "SUCCEEDED", "{story}");
    assert_eq!(execution["recorded"], "ready", "{story}");

    // And the console draws it.
    let console = ConsoleProcess::start(&operator).await;
    let page = console.page(&format!("/console/executions/{photo}")).await;
    for expected in [arn.as_str(), "ExecutionSucceeded", "express-executions"] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let page = console.page(&format!("/console/photos/{photo}")).await;
    assert!(page.contains("SUCCEEDED"), "{page}");
    drop(console);

    fixture.finish(stage).await;
}

/// The ARN of the photo's execution, once it has ended: an Express one, with an id of
/// its own after its name.
pub(super) async fn express_execution(stage: &Stage, photo: &str) -> String {
    let runner = &stage.runners[0];
    let ended = runner.wait_for(photo, WITHIN).await.unwrap();
    let prefix =
        format!("arn:aws:states:us-east-1:123456789012:express:wisaw-test-upload:{photo}:");
    assert!(
        ended.execution_id.starts_with(&prefix),
        "{}",
        ended.execution_id
    );
    ended.execution_id
}

/// Step Functions answers nothing of an Express execution: its history, its description
/// and the machine's list of executions are refused as AWS refuses them.
pub(super) async fn assert_refused_by_step_functions(stage: &Stage, arn: &str) {
    for operation in ["GetExecutionHistory", "DescribeExecution"] {
        let (status, answer) = states_call(stage, operation, json!({"executionArn": arn})).await;
        assert_eq!(status, 400, "{operation}: {answer}");
        let kind = answer["__type"].as_str().unwrap_or_default();
        assert!(kind.ends_with("InvalidArn"), "{operation}: {answer}");
    }
    let machine = output(stage, "StateMachineArn");
    let (status, answer) =
        states_call(stage, "ListExecutions", json!({"stateMachineArn": machine})).await;
    assert_eq!(status, 400, "{answer}");
    let kind = answer["__type"].as_str().unwrap_or_default();
    assert!(kind.ends_with("StateMachineTypeNotSupported"), "{answer}");
}

/// One call of the stage's Step Functions API, as any SDK makes it: its status and body.
async fn states_call(stage: &Stage, operation: &str, body: Value) -> (u16, Value) {
    let endpoint = stage.outputs.to_json()["Endpoints"]["stepfunctions"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("AWSStepFunctions.{operation}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

/// The execution's log events (each stream's name and message), in the order of their
/// ids, once its event `last` is among them.
pub(super) async fn logged_until(endpoint: &str, arn: &str, last: &str) -> Vec<(String, Value)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut logged = execution_log_events(endpoint, arn).await;
        logged.sort_by_key(|(_, message)| message["id"].as_str().unwrap().parse::<i64>().unwrap());
        if logged.iter().any(|(_, message)| message["type"] == last) {
            return logged;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {last} logged of {arn}: {logged:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every log event of the execution `arn` in the log group, read from the emulator.
async fn execution_log_events(endpoint: &str, arn: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({"logGroupName": LOG_GROUP});
        if let Some(token) = token.take() {
            request["nextToken"] = json!(token);
        }
        let page = logs_call(endpoint, "FilterLogEvents", request).await;
        for event in page["events"].as_array().unwrap() {
            let message: Value = serde_json::from_str(event["message"].as_str().unwrap()).unwrap();
            if message["execution_arn"] == arn {
                let stream = event["logStreamName"].as_str().unwrap().to_string();
                found.push((stream, message));
            }
        }
        match page["nextToken"].as_str() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return found,
        }
    }
}

/// One CloudWatch Logs call to the emulator (which routes by the credential's service).
async fn logs_call(endpoint: &str, action: &str, body: Value) -> Value {
    let answer = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("Logs_20140328.{action}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/logs/aws4_request, \
             SignedHeaders=host;x-amz-target, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "{action}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}
