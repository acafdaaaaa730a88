//! A command that fails says why and ends with the code of its class, decided by the
//! operator's functions: 2 to ask differently, 3 for nothing by that name.

use std::process::{Command, Output, Stdio};

fn wisaw(args: &[&str], data_dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wisaw"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .output()
        .expect("running wisaw")
}

fn assert_fails(output: &Output, code: i32, says: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(says), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A local stack's stores, made as `wisaw serve` makes them, for the commands to act on.
async fn a_local_stack() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let options = wisaw_local::StackOptions::new("http://127.0.0.1:0");
    wisaw_local::LocalStack::open(data.path(), options)
        .await
        .unwrap();
    data
}

#[tokio::test]
async fn a_request_to_ask_differently_exits_2_and_a_missing_thing_3() {
    let data = a_local_stack().await;
    let dir = data.path();
    assert_fails(&wisaw(&["dlq", "replay"], dir), 2, "say which dead letters");
    assert_fails(
        &wisaw(&["dlq", "replay", "--all", "--rate", "0"], dir),
        2,
        "the rate must be",
    );
    assert_fails(
        &wisaw(&["executions", "list", "--status", "PAUSED"], dir),
        2,
        "TIMED_OUT",
    );
    assert_fails(
        &wisaw(&["dlq", "replay", "--since", "tomorrow"], dir),
        2,
        "is not a time",
    );
    let photo = "0193a7d2-5b1c-7000-8000-000000000001";
    assert_fails(
        &wisaw(&["photo", "show", photo], dir),
        3,
        "nothing is known of photo",
    );
    assert_fails(
        &wisaw(&["executions", "show", photo], dir),
        3,
        "no execution for photo",
    );
}

/// `serve` takes STANDARD or EXPRESS, in any case; anything else is refused before it
/// starts, naming both.
#[test]
fn serve_refuses_a_workflow_type_it_does_not_know() {
    let data = tempfile::tempdir().unwrap();
    let refused = wisaw(&["serve", "--workflow-type", "sometimes"], data.path());
    assert_fails(
        &refused,
        2,
        "`sometimes` is not a workflow type: STANDARD or EXPRESS",
    );
    assert!(
        std::fs::read_dir(data.path()).unwrap().next().is_none(),
        "nothing was opened"
    );
}
