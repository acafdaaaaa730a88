//! Choice states: the first matching rule, the Default, and none matching.

use crate::support::*;
use serde_json::json;
use wisaw_asl::ExecutionStatus;

#[tokio::test]
async fn choice_rules_pick_the_first_matching_branch_or_the_default() {
    let harness = Harness::new(fixture("choice.asl.json"), TestInvoker::default()).await;
    let cases = [
        (
            json!({"size": 500, "kind": "photo", "public": true, "owner": "a"}),
            "Big",
        ),
        (
            json!({"size": 5, "kind": "photo", "public": true, "owner": "a"}),
            "PublicPhoto",
        ),
        (
            json!({"size": 5, "kind": "photo", "public": false}),
            "Orphan",
        ),
        (json!({"size": 5, "kind": "video", "owner": null}), "Orphan"),
        (
            json!({"size": 5, "kind": "video", "owner": "a", "expectedKind": "video"}),
            "AsExpected",
        ),
        (
            json!({"size": 5, "kind": "doc", "owner": "a", "expectedKind": "video"}),
            "Other",
        ),
    ];
    for (index, (input, _)) in cases.iter().enumerate() {
        harness
            .runner
            .start(&format!("choice-{index}"), input.clone())
            .await
            .unwrap();
    }
    for (index, (input, branch)) in cases.iter().enumerate() {
        let done = harness
            .runner
            .wait_for(&format!("choice-{index}"), WAIT)
            .await
            .unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{input}");
        assert_eq!(done.output.unwrap()["branch"], *branch, "{input}");
    }

    // A comparison on a path that is not there is a runtime error, not a mismatch.
    let done = harness
        .run("choice-missing", json!({"kind": "photo"}))
        .await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.Runtime"));
    assert!(done.cause.unwrap().contains("$.size"));
}

#[tokio::test]
async fn no_matching_choice_without_a_default_fails_with_no_choice_matched() {
    let harness = Harness::new(
        fixture("choice_no_default.asl.json"),
        TestInvoker::default(),
    )
    .await;
    let done = harness.run("big", json!({"size": 50})).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.NoChoiceMatched"));

    let done = harness.run("small", json!({"size": 3})).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output, Some(json!({"size": 3})));
}
