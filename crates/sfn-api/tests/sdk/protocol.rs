//! AWS JSON 1.0 on the wire, as a client without an SDK sees it: the answer's headers,
//! an error's namespaced `__type`, an operation not served, a body that is not the
//! request's JSON, a member missing.

use crate::support::*;
use serde_json::{json, Value};

/// POSTs `body` to `/` with `target` (none: no `X-Amz-Target`); the status, the
/// headers and the JSON answer.
async fn call(
    served: &Served,
    target: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/", served.url()))
        .header("content-type", "application/x-amz-json-1.0")
        .body(body.to_string());
    if let Some(target) = target {
        request = request.header("x-amz-target", format!("AWSStepFunctions.{target}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let answer = response.json().await.unwrap();
    (status, headers, answer)
}

#[tokio::test]
async fn an_answer_is_aws_json_with_a_request_id_and_epoch_second_dates() {
    let served = Served::start().await;
    let body = json!({"stateMachineArn": UPLOAD_ARN}).to_string();
    let (status, headers, answer) = call(&served, Some("DescribeStateMachine"), &body).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-amz-json-1.0");
    let request_id = headers["x-amzn-requestid"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    assert_eq!(answer["type"], "STANDARD");
    assert_eq!(answer["status"], "ACTIVE");
    let created = answer["creationDate"].as_f64().unwrap();
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(created > now - 60.0 && created <= now + 1.0, "{created}");
}

#[tokio::test]
async fn an_error_is_a_400_with_its_namespaced_type_and_message() {
    let served = Served::start().await;
    let arn = upload_execution("never-started");
    let body = json!({"executionArn": arn}).to_string();
    let (status, headers, answer) = call(&served, Some("DescribeExecution"), &body).await;
    assert_eq!(status, 400);
    assert_eq!(headers["content-type"], "application/x-amz-json-1.0");
    assert_eq!(
        answer,
        json!({
            "__type": "com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist",
            "message": format!("Execution Does Not Exist: '{arn}'"),
        })
    );
}

/// A call refused with a 400 and AWS's `__type` `error_type`, in AWS JSON; its message.
async fn refused_as(served: &Served, target: Option<&str>, body: &str, error_type: &str) -> String {
    let (status, headers, answer) = call(served, target, body).await;
    assert_eq!(status, 400, "{target:?} {body}");
    assert_eq!(headers["content-type"], "application/x-amz-json-1.0");
    assert_eq!(answer["__type"], error_type, "{target:?} {body}");
    answer["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_operation_not_served_or_no_target_is_unknown_operation() {
    let served = Served::start().await;
    let unknown = "com.amazon.coral.service#UnknownOperationException";
    for target in [Some("CreateStateMachine"), Some("SendTaskSuccess"), None] {
        refused_as(&served, target, "{}", unknown).await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_the_requests_json_is_a_serialization_exception() {
    let served = Served::start().await;
    let not_the_request = "com.amazon.coral.service#SerializationException";
    let wrong_member = r#"{"stateMachineArn": "a", "maxResults": "ten"}"#;
    for body in ["{not json", "[]", r#"{"stateMachineArn": 7}"#, wrong_member] {
        refused_as(&served, Some("ListExecutions"), body, not_the_request).await;
    }
}

#[tokio::test]
async fn a_missing_member_is_a_validation_exception_naming_it() {
    let served = Served::start().await;
    let invalid = "com.amazon.coral.validate#ValidationException";
    for (target, member) in [
        ("StartExecution", "stateMachineArn"),
        ("DescribeExecution", "executionArn"),
        ("GetExecutionHistory", "executionArn"),
        ("StopExecution", "executionArn"),
        ("DescribeStateMachine", "stateMachineArn"),
        ("ListExecutions", "stateMachineArn"),
    ] {
        let message = refused_as(&served, Some(target), "{}", invalid).await;
        assert!(
            message.contains(&format!("Value null at '{member}'")),
            "{target}: {message}"
        );
    }
}
