//! ListExecutions: newest first, a page at a time with tokens that really page, by
//! status, one machine's executions only.

use crate::support::*;
use aws_sdk_sfn::operation::list_executions::ListExecutionsError;
use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus};

fn names(items: &[ExecutionListItem]) -> Vec<&str> {
    items.iter().map(|item| item.name()).collect()
}

#[tokio::test]
async fn executions_are_listed_newest_first_a_page_at_a_time() {
    let served = Served::start().await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let name = format!("run-{i}");
        served.settled(&served.start_other(&name).await).await;
        expected.push(name);
    }
    expected.reverse();
    // The upload machine's executions are not the other machine's.
    served.start_upload("elsewhere", &quick("e")).await;

    let (listed, pages) = all_pages(3, |token| {
        let request = served.list(OTHER_ARN).max_results(3).set_next_token(token);
        let request = request.send();
        async move {
            let page = request.await.unwrap();
            let next_token = page.next_token().map(str::to_string);
            (page.executions().to_vec(), next_token)
        }
    })
    .await;
    assert_eq!(pages, 3);
    assert_eq!(names(&listed), expected);
    let first = &listed[0];
    assert_eq!(
        first.execution_arn(),
        "arn:aws:states:local:000000000000:execution:other:run-6"
    );
    assert_eq!(first.state_machine_arn(), OTHER_ARN);
    assert_eq!(*first.status(), ExecutionStatus::Succeeded);
    assert!(millis(first.stop_date().unwrap()) >= millis(first.start_date()));

    // The SDK's own paginator reads the same, page after page.
    let by_paginator: Vec<ExecutionListItem> = served
        .list(OTHER_ARN)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(names(&by_paginator), expected);

    // One page holds them all by default.
    let all = served.list(OTHER_ARN).send().await.unwrap();
    assert_eq!(names(all.executions()), expected);
    assert_eq!(all.next_token(), None);
}

#[tokio::test]
async fn a_status_filter_lists_only_executions_of_that_status() {
    let served = Served::start().await;
    let done = served.start_upload("done", &quick("a")).await;
    served.settled(&done).await;
    served.start_upload("waiting", &waiting("b")).await;
    let stopped = served.start_upload("stopped", &waiting("c")).await;
    served.stop(&stopped).send().await.unwrap();

    for (status, expected) in [
        (ExecutionStatus::Running, vec!["waiting"]),
        (ExecutionStatus::Succeeded, vec!["done"]),
        (ExecutionStatus::Aborted, vec!["stopped"]),
        (ExecutionStatus::Failed, vec![]),
        (ExecutionStatus::PendingRedrive, vec![]),
    ] {
        let filtered = served.list(UPLOAD_ARN).status_filter(status.clone());
        let page = filtered.send().await.unwrap();
        assert_eq!(names(page.executions()), expected, "{status:?}");
    }
}

#[tokio::test]
async fn a_token_of_another_listing_or_made_up_is_invalid_token() {
    let served = Served::start().await;
    for i in 0..3 {
        served.start_other(&format!("t-{i}")).await;
    }
    let page = served.list(OTHER_ARN).max_results(1).send().await.unwrap();
    let token = page.next_token().unwrap().to_string();

    let list = |machine: &str, status: Option<ExecutionStatus>, token: &str| {
        served
            .list(machine)
            .set_status_filter(status)
            .max_results(1)
            .next_token(token)
            .send()
    };
    for (machine, status, token) in [
        (UPLOAD_ARN, None, token.as_str()),
        (OTHER_ARN, Some(ExecutionStatus::Running), token.as_str()),
        (OTHER_ARN, None, "made-up"),
    ] {
        let error = refused(list(machine, status, token)).await;
        assert!(
            matches!(error, ListExecutionsError::InvalidToken(_)),
            "{machine} {token}: {error:?}"
        );
    }
    let next = list(OTHER_ARN, None, &token).await.unwrap();
    assert_eq!(names(next.executions()), ["t-1"]);
}

#[tokio::test]
async fn listing_a_machine_that_is_not_served_or_too_large_a_page_is_refused() {
    let served = Served::start().await;
    let unknown = refused(
        served
            .list("arn:aws:states:us-east-1:123456789012:stateMachine:nope")
            .send(),
    )
    .await;
    assert!(matches!(
        unknown,
        ListExecutionsError::StateMachineDoesNotExist(_)
    ));
    let too_many = refused(served.list(OTHER_ARN).max_results(1001).send()).await;
    assert!(
        matches!(too_many, ListExecutionsError::ValidationException(_)),
        "{too_many:?}"
    );
    assert!(too_many.to_string().contains("maxResults"), "{too_many}");
}

#[tokio::test]
async fn a_machine_and_a_map_run_both_named_are_refused() {
    let served = Served::start().await;
    served.start_other("one").await;
    let map_run = format!(
        "{}/map:00000000-0000-0000-0000-000000000000",
        OTHER_ARN.replace(":stateMachine:", ":mapRun:")
    );
    let both = refused(served.list(OTHER_ARN).map_run_arn(&map_run).send()).await;
    assert!(
        matches!(both, ListExecutionsError::ValidationException(_)),
        "{both:?}"
    );
    let message = both.to_string();
    assert!(
        message.contains("stateMachineArn") && message.contains("mapRunArn"),
        "{message}"
    );
}
