//! An operator's round, in headless Chromium: the health page, a photo looked up by id
//! (its blobs and executions), a failed execution (the failed state highlighted, its
//! error), the dead letter dry-run and replayed, the photo ready and the audit entry
//! there. With `WISAW_SCREENSHOTS_DIR` set, each page is photographed for the runbook.

use super::browser::Browser;
use crate::support::{
    images::{jpeg, two_tone},
    Store, TestStack, ALWAYS, SF, TEST_OPERATOR,
};
use std::time::Duration;
use wisaw_domain::PhotoStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_finds_a_failed_photo_and_replays_it_from_the_console() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (stack, flaky) = TestStack::start_with_flaky_reads(Store::Sqlite, ALWAYS).await;
    let failed = stack
        .upload(&jpeg(&two_tone(320, 240)), "image/jpeg", SF.0, SF.1)
        .await;
    assert_eq!(stack.wait_final(&failed).await.status, PhotoStatus::Failed);
    flaky.hook.heal();
    let ready = stack
        .upload(&jpeg(&two_tone(640, 480)), "image/jpeg", SF.0, SF.1)
        .await;
    assert_eq!(stack.wait_final(&ready).await.status, PhotoStatus::Ready);
    let console = format!("{}/console", stack.base_url);

    // Health: the failure shows in the counts and the dead-letter depth.
    browser.goto(&console).await;
    assert!(browser.text("#queues").await.contains("dead letters"));
    let depth = browser.text("#queues tr:last-child td:nth-child(2)").await;
    assert_eq!(depth.trim(), "1", "dead-letter depth");
    browser.screenshot("health").await;

    // A photo by its id, from the search box: its blobs and its execution.
    browser
        .find("form.search input[name=id]")
        .await
        .send_keys(&ready)
        .await
        .unwrap();
    browser.click("form.search button").await;
    browser.find("#blobs").await;
    assert!(browser.text("#status").await.contains("ready"));
    // Its original was deleted once it was announced, and the page says so.
    let upload = browser.text("figure[data-blob=upload] figcaption").await;
    assert!(
        upload.contains("deleted once the photo was announced"),
        "upload: {upload}"
    );
    assert_eq!(browser.count("figure[data-blob=upload] img").await, 0);
    for blob in ["thumb", "display"] {
        let caption = browser
            .text(&format!("figure[data-blob={blob}] figcaption"))
            .await;
        assert!(caption.contains("bytes"), "{blob}: {caption}");
        assert_eq!(
            browser
                .count(&format!("figure[data-blob={blob}] img"))
                .await,
            1
        );
    }
    let executions = browser.text("#executions").await;
    assert!(
        executions.contains(&ready) && executions.contains("SUCCEEDED"),
        "{executions}"
    );
    assert!(browser.text("#events").await.contains("photo.ready"));
    browser.screenshot("photo").await;

    // The failed execution, from the filtered list: Validate caught, PhotoFailed failed.
    browser
        .goto(&format!("{console}/executions?status=FAILED"))
        .await;
    assert!(browser.text("#counts").await.contains("FAILED"));
    browser
        .click(&format!(
            "#executions tr[data-name='{failed}'] td:first-child a"
        ))
        .await;
    browser.find("#diagram svg").await;
    assert_eq!(
        browser
            .count("#diagram g.state.caught[data-state=Validate]")
            .await,
        1
    );
    assert_eq!(
        browser
            .count("#diagram g.state.failed[data-state=PhotoFailed]")
            .await,
        1
    );
    assert_eq!(
        browser
            .count("#diagram g.state.not-entered[data-state=Thumbnail]")
            .await,
        1
    );
    assert!(browser.text("#error").await.contains("PhotoFailed"));
    let states = browser.text("#states tr[data-state=Validate]").await;
    assert!(
        states.contains("Wisaw.Transient") && states.contains(" 3 "),
        "{states}"
    );
    browser.screenshot("execution").await;

    // The dead letters: grouped by error, dry run, then the replay.
    browser.goto(&format!("{console}/dlq")).await;
    assert!(browser.text("#groups").await.contains("Wisaw.Transient"));
    assert!(browser.text("#dead-letters").await.contains(&failed));
    browser.screenshot("dead-letters").await;
    browser.click("#dry-run").await;
    assert!(browser.text("#would-replay").await.contains(&failed));
    assert_eq!(browser.count("#held-back tbody tr").await, 0);
    browser.screenshot("dry-run").await;
    assert!(
        stack.stack().dead_letter.stats().await.unwrap().visible == 1,
        "a dry run sends nothing"
    );
    browser.click("#replay").await;
    let row = format!("#photos tr[data-photo='{failed}']");
    browser
        .wait_text(
            &format!("{row} td.outcome"),
            "replayed",
            Duration::from_secs(30),
        )
        .await;
    browser
        .wait_text(&format!("{row} td.now"), "ready", Duration::from_secs(60))
        .await;
    browser
        .wait_text("#finished", "20", Duration::from_secs(30))
        .await;
    browser.screenshot("replay").await;

    // The audit log: who, which photo, how it went.
    browser.goto(&format!("{console}/replays")).await;
    let entry = browser.text("#replays tbody tr").await;
    assert!(
        entry.contains(&failed) && entry.contains("replayed"),
        "{entry}"
    );
    assert_eq!(
        browser.text("#replays td.operator").await.trim(),
        TEST_OPERATOR
    );
    browser.screenshot("replays").await;

    // The photo's page tells the whole story now: two executions, no dead letter.
    browser.goto(&format!("{console}/photos/{failed}")).await;
    let executions = browser.text("#executions").await;
    assert!(
        executions.contains(&format!("{failed}-replay-1")),
        "{executions}"
    );
    assert!(browser.text("#dead-letter").await.contains("None"));
    assert!(browser.text("#status").await.contains("ready"));

    browser.close().await;
    stack.finish().await;
}
