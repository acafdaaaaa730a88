//! InputPath, Parameters, ResultPath and OutputPath in their order, and a path that
//! matches nothing.

use crate::support::*;
use serde_json::json;
use wisaw_asl::ExecutionStatus;

#[tokio::test]
async fn paths_shape_input_parameters_result_and_output_in_order() {
    let harness = Harness::with_function("paths.asl.json", "echo", Behaviour::Echo).await;
    let input = json!({"job": {"item": "x", "tags": ["a", "b"], "odd key": 7}, "other": true});
    let done = harness.run("paths-1", input).await;

    let job_with_result = json!({
        "item": "x", "tags": ["a", "b"], "odd key": 7,
        "result": {
            "echoed": {"item": "x", "first": "a", "quoted": 7, "execution": "paths-1", "state": "Work", "fixed": 1},
            "code": 200
        }
    });
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    // `Discard` ran (ResultPath null), and its result left the input unchanged.
    assert_eq!(done.output, Some(job_with_result));
    let echoes = harness.invoker.calls_to("echo");
    assert_eq!(echoes.len(), 2);
    assert_eq!(echoes[1].payload, json!({"ignored": true}));
}

#[tokio::test]
async fn a_path_that_matches_nothing_fails_the_execution_even_under_a_catch_all() {
    let harness = Harness::with_function("paths.asl.json", "echo", Behaviour::Echo).await;
    let done = harness
        .run(
            "paths-missing",
            json!({"job": {"tags": ["a"], "odd key": 1}}),
        )
        .await;

    assert_eq!(
        done.status,
        ExecutionStatus::Failed,
        "States.Runtime is not caught by States.ALL"
    );
    assert_eq!(done.error.as_deref(), Some("States.Runtime"));
    assert!(
        done.cause.as_deref().unwrap().contains("$.item"),
        "{:?}",
        done.cause
    );
    assert!(harness.invoker.calls_to("echo").is_empty());
}
