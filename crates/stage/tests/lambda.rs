//! Each function as Lambda runs it, with a custom runtime of the tests' own
//! (`fixtures/runtime_client.py`) as its bootstrap.

use crate::support::{python_bootstrap, ACCOUNT, REGION};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use wisaw_stage::lambda::{FunctionConfig, LocalFunction};

/// A function of the fixture's runtime, in a folder of its own (kept while the test runs).
fn function(concurrency: usize, extra_env: &str) -> (tempfile::TempDir, Arc<LocalFunction>) {
    let dir = tempfile::tempdir().unwrap();
    let function = Arc::new(LocalFunction::new(FunctionConfig {
        name: "wisaw-test-validate".into(),
        bootstrap: python_bootstrap(&dir, "runtime_client.py", extra_env),
        environment: BTreeMap::from([("WISAW_BUCKET".into(), "photos".into())]),
        memory_mb: 512,
        timeout: Duration::from_secs(2),
        concurrency,
        region: REGION.into(),
        account_id: ACCOUNT.into(),
    }));
    (dir, function)
}

async fn invoke(
    function: &LocalFunction,
    event: Value,
) -> Result<Value, wisaw_stage::lambda::InvokeError> {
    let answer = function.invoke(event.to_string().into_bytes()).await?;
    Ok(serde_json::from_slice(&answer).unwrap())
}

#[tokio::test]
async fn a_warm_environment_answers_in_turn_with_lambdas_variables() {
    let (_dir, function) = function(1, "");
    let first = invoke(&function, json!({"echo": 1})).await.unwrap();
    assert_eq!(first["echo"], 1);
    assert_eq!(first["function"], "wisaw-test-validate");
    assert_eq!(first["memory"], "512");
    assert_eq!(first["variable"], "photos");
    let ms_left = first["ms_left"].as_i64().unwrap();
    assert!(ms_left > 0 && ms_left <= 2000, "{ms_left}");
    let second = invoke(&function, json!({"echo": 2})).await.unwrap();
    assert_eq!(second["pid"], first["pid"], "kept warm");
    assert_eq!(function.warm(), 1);
}

#[tokio::test]
async fn a_function_error_is_the_invocations_and_the_environment_lives_on() {
    let (_dir, function) = function(1, "");
    let before = invoke(&function, json!({})).await.unwrap();
    let error = invoke(&function, json!({"fail": "Wisaw.Permanent"}))
        .await
        .unwrap_err();
    assert_eq!(error.error_type, "Wisaw.Permanent");
    assert_eq!(error.message, "asked to fail");
    let after = invoke(&function, json!({})).await.unwrap();
    assert_eq!(after["pid"], before["pid"]);
}

#[tokio::test]
async fn a_timeout_and_an_exit_are_lambdas_errors_and_the_next_call_gets_a_new_process() {
    let (_dir, function) = function(1, "");
    let first = invoke(&function, json!({})).await.unwrap();

    let slow = invoke(&function, json!({"sleep": 5})).await.unwrap_err();
    assert_eq!(slow.error_type, "Sandbox.Timedout");
    assert!(
        slow.message.contains("Task timed out after 2.00 seconds"),
        "{slow}"
    );
    let fresh = invoke(&function, json!({})).await.unwrap();
    assert_ne!(
        fresh["pid"], first["pid"],
        "the timed-out process was ended"
    );

    let crashed = invoke(&function, json!({"exit": 3})).await.unwrap_err();
    assert_eq!(crashed.error_type, "Runtime.ExitError");
    assert!(crashed.message.contains("exit status: 3"), "{crashed}");
    let again = invoke(&function, json!({})).await.unwrap();
    assert_ne!(again["pid"], fresh["pid"]);
}

/// A runtime gone while its environment was idle (killed, say) is never handed an
/// invocation: Lambda starts a new environment for it, as it does after any exit.
#[tokio::test]
async fn an_environment_whose_process_died_while_idle_is_not_reused() {
    let (_dir, function) = function(1, "");
    let first = invoke(&function, json!({})).await.unwrap();
    let pid = first["pid"].as_i64().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // Until the kernel has taken it down: a zombie is gone too, for this test's purpose.
    let gone = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_or(true, |stat| stat.split_whitespace().nth(2) == Some("Z"))
    };
    for _ in 0..100 {
        if gone(&pid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone(&pid), "process {pid} still runs");

    let next = invoke(&function, json!({})).await.unwrap();
    assert_ne!(next["pid"], first["pid"], "a new process answered");
    assert_eq!(function.warm(), 1, "the dead environment was dropped");
}

#[tokio::test]
async fn invocations_at_once_run_in_environments_of_their_own_up_to_the_concurrency() {
    let (_dir, function) = function(2, "");
    let slow = |f: Arc<LocalFunction>| async move { invoke(&f, json!({"sleep": 0.5})).await };
    let (a, b) = tokio::join!(slow(function.clone()), slow(function.clone()));
    assert_ne!(a.unwrap()["pid"], b.unwrap()["pid"]);
    assert_eq!(function.warm(), 2);
}

#[tokio::test]
async fn an_init_error_is_reported_as_the_runtime_reported_it() {
    let (_dir, function) = function(1, "export FAIL_INIT='WISAW_BUCKET is not set'\n");
    let error = invoke(&function, json!({})).await.unwrap_err();
    assert_eq!(error.error_type, "Runtime.ConfigError");
    assert_eq!(error.message, "WISAW_BUCKET is not set");
    assert_eq!(function.warm(), 0);
}
