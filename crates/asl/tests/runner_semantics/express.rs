//! An Express machine: a start under a name already used starts another execution, and
//! both run, each kept with its own id; an execution ends TIMED_OUT five minutes after it
//! started, counted across a restart. A journal written before Express existed keeps its
//! executions.

use crate::support::*;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use wisaw_asl::{
    ExecutionStatus, ListPosition, StartOutcome, StateMachine, WorkflowType, EXPRESS_MAX_DURATION,
};

fn express(machine: StateMachine) -> StateMachine {
    machine.with_workflow_type(WorkflowType::Express)
}

#[tokio::test]
async fn an_express_start_under_a_name_already_used_starts_another_execution_and_both_run() {
    // The second task takes a while, so both executions are in flight at once.
    let harness = Harness::new(
        express(fixture("two_steps.asl.json")),
        two_steps_invoker(Behaviour::Sleep(Duration::from_millis(400))),
    )
    .await;
    let runner = &harness.runner;
    let (first_start, first) = runner
        .start_and_describe("same", json!({"id": 1}))
        .await
        .unwrap();
    let (second_start, second) = runner
        .start_and_describe("same", json!({"id": 1}))
        .await
        .unwrap();
    assert_eq!(first_start, StartOutcome::Started);
    assert_eq!(second_start, StartOutcome::Started);
    assert_eq!(runner.in_flight(), 2, "both run at once");
    assert_ne!(first.execution_id, second.execution_id);
    for record in [&first, &second] {
        assert!(
            record
                .execution_id
                .starts_with("arn:aws:states:local:000000000000:express:two_steps:same:"),
            "{}",
            record.execution_id
        );
        assert_eq!(record.name, "same");
    }

    for record in [&first, &second] {
        let done = runner
            .wait_for_id(&record.execution_id, WAIT)
            .await
            .unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
        let history = runner.history_by_id(&record.execution_id).await.unwrap();
        assert_eq!(event_types(&history)[0], "ExecutionStarted");
        assert_eq!(event_types(&history).last(), Some(&"ExecutionSucceeded"));
    }
    assert_eq!(
        harness.invoker.calls_to("gate").len(),
        2,
        "each ran its tasks"
    );

    // Both are kept: listed apart, and the name describes the newest.
    let listed = runner.list(None, 10).await.unwrap();
    let mut ids: Vec<&str> = listed.iter().map(|r| r.execution_id.as_str()).collect();
    ids.sort();
    let mut started = vec![first.execution_id.as_str(), second.execution_id.as_str()];
    started.sort();
    assert_eq!(ids, started);
    let newest = runner.describe("same").await.unwrap().unwrap();
    assert_eq!(newest.execution_id, second.execution_id);
    assert_eq!(
        runner.history("same").await.unwrap(),
        runner.history_by_id(&second.execution_id).await.unwrap()
    );
    let elsewhere = "arn:aws:states:local:000000000000:express:other:same:0";
    assert!(runner.describe_by_id(elsewhere).await.unwrap().is_none());
}

#[tokio::test]
async fn executions_sharing_a_name_and_a_start_are_listed_page_by_page_each_once() {
    let harness = Harness::new(
        express(fixture("two_steps.asl.json")),
        two_steps_invoker(Behaviour::Echo),
    )
    .await;
    let runner = &harness.runner;
    let mut started = Vec::new();
    for _ in 0..5 {
        let (_, record) = runner
            .start_and_describe("burst", json!({"id": 1}))
            .await
            .unwrap();
        started.push(record.execution_id);
    }
    let mut listed: Vec<String> = Vec::new();
    let mut after: Option<ListPosition> = None;
    loop {
        let page = runner.list_after(None, after.as_ref(), 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(ListPosition::after(last));
        listed.extend(page.into_iter().map(|record| record.execution_id));
    }
    listed.sort();
    started.sort();
    assert_eq!(listed, started);
}

/// The two-step machine as an Express workflow, its second task held (called, never
/// answering), execution `name` waiting in it; then the process stops, as at a shutdown.
/// Returns the runner's file.
async fn held_then_stopped(dir: &Path, name: &str) -> std::path::PathBuf {
    let database = dir.join("runner.sqlite");
    let (entered_tx, entered_rx) = mpsc::channel();
    let invoker = two_steps_invoker(Behaviour::Hold(Mutex::new(entered_tx)));
    let machine = express(fixture("two_steps.asl.json"));
    let runner = open_runner(&database, machine, Arc::new(invoker))
        .await
        .unwrap();
    runner.start(name, json!({"id": 1})).await.unwrap();
    tokio::task::spawn_blocking(move || entered_rx.recv_timeout(WAIT))
        .await
        .unwrap()
        .expect("the held task was called");
    runner.shutdown(Duration::ZERO).await;
    database
}

/// Moves the start of execution `name` back to `started`, as if it had started then.
async fn started_at(database: &Path, name: &str, started: DateTime<Utc>) {
    let url = format!("sqlite://{}", database.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let text = started.to_rfc3339_opts(SecondsFormat::Millis, true);
    sqlx::query("UPDATE executions SET start_date = ? WHERE name = ?")
        .bind(text)
        .bind(name)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// The file of a stopped runner, resumed by a runner whose held task reports its calls.
async fn resume_held(
    database: &Path,
) -> (wisaw_asl::LocalRunner, Arc<TestInvoker>, mpsc::Receiver<()>) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let invoker = Arc::new(two_steps_invoker(Behaviour::Hold(Mutex::new(entered_tx))));
    let machine = express(fixture("two_steps.asl.json"));
    let runner = open_runner(database, machine, invoker.clone())
        .await
        .unwrap();
    assert_eq!(runner.resume_unfinished().await.unwrap(), 1);
    (runner, invoker, entered_rx)
}

#[tokio::test]
async fn an_express_execution_ends_timed_out_five_minutes_after_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let database = held_then_stopped(dir.path(), "slow").await;
    // Started a second and a half short of five minutes ago: what is left runs, then ends.
    let almost = chrono::Duration::from_std(EXPRESS_MAX_DURATION).unwrap()
        - chrono::Duration::milliseconds(1_500);
    started_at(&database, "slow", Utc::now() - almost).await;

    let resumed_at = Instant::now();
    let (runner, invoker, entered) = resume_held(&database).await;
    let done = runner.wait_for("slow", WAIT).await.unwrap();
    let after = resumed_at.elapsed();
    assert_eq!(done.status, ExecutionStatus::TimedOut, "{done:?}");
    assert!(
        (Duration::from_millis(1_000)..Duration::from_secs(10)).contains(&after),
        "ended {after:?} after the resume; 1.5 s were left"
    );
    assert!(
        entered.try_recv().is_ok(),
        "it ran on until its time was up"
    );
    assert_eq!(invoker.calls_to("gate").len(), 1);
    assert_eq!(done.error.as_deref(), Some("States.Timeout"));
    assert_eq!(done.output, None);
    assert!(done.checkpoint.is_none());
    let stopped = done.stop_date.unwrap();
    assert!(stopped - done.start_date >= almost, "{done:?}");
    assert_eq!(runner.in_flight(), 0, "the held task was dropped");

    let history = runner.history("slow").await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.event_type, "ExecutionTimedOut");
    assert_eq!(last.details, json!({"error": "States.Timeout"}));
    assert_eq!(last.id, done.last_event_id);
    assert_eq!(
        event_types(&history[..history.len() - 1]).last(),
        Some(&"TaskStarted"),
        "nothing of the dropped task was written after the end"
    );
}

#[tokio::test]
async fn an_express_execution_resumed_after_its_five_minutes_times_out_without_running_on() {
    let dir = tempfile::tempdir().unwrap();
    let database = held_then_stopped(dir.path(), "stale").await;
    let six_minutes = chrono::Duration::minutes(6);
    started_at(&database, "stale", Utc::now() - six_minutes).await;

    let (runner, invoker, _entered) = resume_held(&database).await;
    let done = tokio::time::timeout(Duration::from_secs(2), runner.wait_for("stale", WAIT))
        .await
        .expect("it ended at once")
        .unwrap();
    assert_eq!(done.status, ExecutionStatus::TimedOut, "{done:?}");
    assert!(
        invoker.calls.lock().unwrap().is_empty(),
        "no task ran after its time"
    );
}

#[tokio::test]
async fn a_standard_execution_has_no_five_minute_limit() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("runner.sqlite");
    let (entered_tx, entered_rx) = mpsc::channel();
    let invoker = two_steps_invoker(Behaviour::Hold(Mutex::new(entered_tx)));
    let runner = open_runner(&database, fixture("two_steps.asl.json"), Arc::new(invoker))
        .await
        .unwrap();
    runner.start("patient", json!({"id": 1})).await.unwrap();
    tokio::task::spawn_blocking(move || entered_rx.recv_timeout(WAIT))
        .await
        .unwrap()
        .expect("the held task was called");
    runner.shutdown(Duration::ZERO).await;
    started_at(
        &database,
        "patient",
        Utc::now() - chrono::Duration::minutes(6),
    )
    .await;

    let (_, done) = resume_to_success(
        &database,
        fixture("two_steps.asl.json"),
        Arc::new(two_steps_invoker(Behaviour::Echo)),
        "patient",
    )
    .await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
}

/// A journal from before Express (a name unique by the table's own constraint) keeps its
/// executions and their histories; an Express machine may then use a name again, and a
/// Standard one still may not.
#[tokio::test]
async fn a_journal_from_before_express_keeps_its_executions_and_histories() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("runner.sqlite");
    let earlier_migrations = dir.path().join("migrations");
    std::fs::create_dir(&earlier_migrations).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/runner");
    for file in [
        "0001_executions.sql",
        "0002_checkpoint_entered_event_and_variables.sql",
    ] {
        std::fs::copy(source.join(file), earlier_migrations.join(file)).unwrap();
    }
    let url = format!("sqlite://{}?mode=rwc", database.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(earlier_migrations.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let kept_id = "arn:aws:states:local:000000000000:execution:two_steps:kept";
    sqlx::query(
        "INSERT INTO executions (execution_id, state_machine, name, input, status, output, \
         start_date, stop_date, last_event_id) VALUES (?, 'two_steps', 'kept', '{\"id\":1}', \
         'SUCCEEDED', '{\"id\":1}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', 2)",
    )
    .bind(kept_id)
    .execute(&pool)
    .await
    .unwrap();
    for (id, event_type) in [(1, "ExecutionStarted"), (2, "ExecutionSucceeded")] {
        sqlx::query(
            "INSERT INTO history_events (execution_id, event_id, previous_event_id, timestamp, \
             event_type, details) VALUES (?, ?, ?, '2025-01-01T00:00:00.000Z', ?, '{}')",
        )
        .bind(kept_id)
        .bind(id)
        .bind(id - 1)
        .bind(event_type)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let invoker = Arc::new(two_steps_invoker(Behaviour::Echo));
    let machine = express(fixture("two_steps.asl.json"));
    let runner = open_runner(&database, machine, invoker.clone())
        .await
        .unwrap();
    let kept = runner.describe("kept").await.unwrap().unwrap();
    assert_eq!(kept.execution_id, kept_id);
    assert_eq!(kept.status, ExecutionStatus::Succeeded);
    assert_eq!(kept.output, Some(json!({"id": 1})));
    let history = runner.history_by_id(kept_id).await.unwrap();
    assert_eq!(
        event_types(&history),
        ["ExecutionStarted", "ExecutionSucceeded"]
    );

    let (outcome, again) = runner
        .start_and_describe("kept", json!({"id": 2}))
        .await
        .unwrap();
    assert_eq!(outcome, StartOutcome::Started);
    assert_ne!(again.execution_id, kept_id);
    let done = runner.wait_for_id(&again.execution_id, WAIT).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(runner.list(None, 10).await.unwrap().len(), 2);
    runner.shutdown(Duration::ZERO).await;

    let standard = open_runner(&database, fixture("two_steps.asl.json"), invoker)
        .await
        .unwrap();
    assert_eq!(
        standard.start("kept", json!({"id": 3})).await.unwrap(),
        StartOutcome::AlreadyExists,
        "a Standard start refuses a name any execution has"
    );
}
