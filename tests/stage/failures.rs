//! What a deploy would have found only in AWS, found on the stage: a permission the
//! thumbnail function lacks, a variable the api function lacks. And the operator's way
//! back: the failed photo in the dead-letter queue, seen in the console, replayed once
//! the template is fixed, then ready.

use super::express;
use super::harness::{
    self, becomes, edited_template, line_index, operator_environment, output, phone, wisaw,
    without_lines, without_thumbnail_write, ConsoleProcess, Fixture,
};
use std::time::Duration;
use wisaw::commands::upload::upload;
use wisaw_domain::PhotoStatus;
use wisaw_testkit::images::{jpeg, two_tone};

const WITHIN: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_permission_fails_the_photo_and_the_operator_replays_it_after_the_fix() {
    let Some(fixture) = Fixture::new("the stage's IAM").await else {
        return;
    };
    let copy = tempfile::tempdir().unwrap();
    let broken = without_thumbnail_write(copy.path());
    let stage = fixture.stage(Some(&broken)).await;

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), jpeg(&two_tone(320, 240))).unwrap();
    let failed = upload(file.path(), &phone(&stage, false, WITHIN))
        .await
        .unwrap();
    assert_eq!(
        failed.status.status,
        PhotoStatus::Failed,
        "{:?}",
        failed.status
    );
    let photo = failed.status.photo_id.to_string();

    // The execution's history says why, in AWS's words.
    let runner = &stage.runners[0];
    let execution = runner
        .list(None, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.name.contains(&photo))
        .expect("the photo's execution");
    // The photo reads `failed` once MarkFailed ran; the dead letter is sent after it.
    runner.wait_for(&execution.name, WITHIN).await.unwrap();
    let history = runner.history(&execution.name).await.unwrap();
    let history = serde_json::to_string(&history).unwrap();
    assert!(
        history.contains("is not authorized to perform: s3:PutObject")
            && history.contains("/photos/"),
        "{history}"
    );

    // An Express execution (the template's default): Step Functions answers nothing of
    // it, its events are in the state machine's log group.
    let arn = express::express_execution(&stage, &photo).await;
    express::assert_refused_by_step_functions(&stage, &arn).await;
    express::logged_until(&fixture.endpoint, &arn, "ExecutionFailed").await;

    // The operator sees it in the dead-letter queue and in the console, read from there.
    let operator = operator_environment(&stage, &fixture.database);
    let listed = wisaw(&operator, &["dlq", "list", "--aws"]);
    assert!(listed.contains(&photo), "{listed}");
    let failed_executions = wisaw(
        &operator,
        &["executions", "list", "--aws", "--status", "FAILED"],
    );
    assert!(failed_executions.contains(&photo), "{failed_executions}");
    let story = wisaw(&operator, &["executions", "show", "--aws", &photo]);
    // The command shows the failed task and the start of its cause (the write refused).
    for expected in [
        arn.as_str(),
        "LambdaFunctionFailed",
        "Wisaw.Permanent",
        "/photos/",
        "ExecutionFailed",
    ] {
        assert!(story.contains(expected), "{expected}: {story}");
    }
    let shown = wisaw(&operator, &["photo", "show", "--aws", "--json", &photo]);
    assert!(shown.contains("failed"), "{shown}");
    let console = ConsoleProcess::start(&operator).await;
    let page = console.page("/console/dlq").await;
    assert!(page.contains(&photo), "{page}");
    let page = console.page(&format!("/console/executions/{photo}")).await;
    assert!(
        page.contains("ExecutionFailed") && page.contains("Wisaw.Permanent"),
        "{page}"
    );
    // Its original waits for the replay.
    assert!(harness::original_kept(&fixture, &stage, &photo).await);
    drop(console);
    stage.stop().await;

    // The template fixed (the project's own), the photo replayed: ready.
    let stage = fixture.stage(None).await;
    let operator = operator_environment(&stage, &fixture.database);
    let replayed = wisaw(
        &operator,
        &[
            "dlq",
            "replay",
            "--aws",
            "--photo",
            &photo,
            "--operator",
            "stage-test",
        ],
    );
    assert!(replayed.contains(&photo), "{replayed}");
    assert_eq!(
        becomes(&stage, &photo, PhotoStatus::Ready, WITHIN).await,
        PhotoStatus::Ready
    );
    assert!(harness::original_deleted(&fixture, &stage, &photo).await);
    // The operator watches the replay beside the first run, both read from the state
    // machine's log group (an Express replay: Step Functions keeps no history of it).
    let replay = format!("{photo}-replay-1");
    stage.runners[0].wait_for(&replay, WITHIN).await.unwrap();
    let mut story = String::new();
    for _ in 0..50 {
        story = wisaw(&operator, &["executions", "show", "--aws", &photo]);
        if story.contains("SUCCEEDED") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for expected in [replay.as_str(), "SUCCEEDED", "FAILED"] {
        assert!(story.contains(expected), "{expected}: {story}");
    }

    fixture.finish(stage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_variable_fails_the_functions_start_and_its_log_names_it() {
    let Some(fixture) = Fixture::new("the stage's variables").await else {
        return;
    };
    let copy = tempfile::tempdir().unwrap();
    let broken = edited_template(copy.path(), |text| {
        let at = line_index(
            &text,
            "          WISAW_FEED_CURSOR_SECRET_ARN: !Ref FeedCursorSecret",
        );
        without_lines(&text, at, 1)
    });
    let stage = fixture.stage(Some(&broken)).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/v1/feed?lat=1&lon=2", output(&stage, "ApiUrl")))
        .send()
        .await
        .unwrap();
    // API Gateway's answer to a function that could not start.
    assert_eq!(answer.status(), 500);
    assert_eq!(
        answer.text().await.unwrap(),
        r#"{"message":"Internal Server Error"}"#
    );
    let log = stage.function("ApiFunction").unwrap().log().join("\n");
    assert!(log.contains("WISAW_FEED_CURSOR_SECRET_ARN"), "{log}");
    fixture.finish(stage).await;
}
