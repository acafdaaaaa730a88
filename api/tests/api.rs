//! The mobile API through its router, over real local stores: every route of the
//! contract, races, panics, and API Gateway events through the Lambda adapter.

mod common;
mod feed;
mod lambda_http;
mod panics;
mod photos;
mod races;
mod tickets;

/// The operator console lives beside this router in `wisaw serve`, never inside it: the
/// mobile API (and its Lambda function) has no route to any of its pages or actions.
#[tokio::test]
async fn the_operator_console_is_not_reachable_through_the_mobile_api() {
    let harness = common::Harness::new().await;
    for path in [
        "/console",
        "/console/dlq",
        "/console/executions",
        "/console/replays",
    ] {
        harness.get(path).await.assert_problem(404);
    }
    harness
        .post_raw(
            "/console/dlq/replay",
            "application/x-www-form-urlencoded",
            "photo=x".into(),
        )
        .await
        .assert_problem(404);
}
