//! The runner's SQLite file: executions with their checkpoint, and their history.
//! Every change an execution makes (events plus checkpoint or final status) is
//! one transaction, so a crash leaves either the step before or the step after.

use super::context::timestamp;
use super::history::NewEvent;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sfn_vocabulary::{ExecutionStatus, HistoryEvent};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, SqlitePool};

/// Where an execution stands: the state in progress and what it needs to run it again.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub state: String,
    /// The state's raw input.
    pub input: Value,
    pub entered_at: DateTime<Utc>,
    /// Retries done so far, one counter per Retrier of the state.
    pub retry_attempts: Vec<u32>,
    /// The id of the state's `...StateEntered` event.
    pub entered_event_id: i64,
    /// The workflow variables the state sees.
    pub variables: Map<String, Value>,
}

/// One execution as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionRecord {
    pub execution_id: String,
    pub state_machine: String,
    pub name: String,
    pub input: Value,
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: DateTime<Utc>,
    pub stop_date: Option<DateTime<Utc>>,
    /// Present while the execution runs.
    pub checkpoint: Option<Checkpoint>,
    pub last_event_id: i64,
}

/// What a journal entry does to the execution besides adding events.
#[derive(Clone, Debug)]
pub enum Update {
    Events,
    Checkpoint(Checkpoint),
    Finish {
        status: ExecutionStatus,
        output: Option<Value>,
        error: Option<String>,
        cause: Option<String>,
    },
}

/// Another writer moved the execution on (or it is no longer running): this
/// writer must stop.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("execution {0} was advanced by another writer or has finished")]
    Superseded(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

#[derive(Debug)]
pub struct Store {
    pool: SqlitePool,
    /// One writer at a time in this process: SQLite allows one anyway, and
    /// waiting here is cheaper than busy retries.
    write: tokio::sync::Mutex<()>,
}

impl Store {
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, super::RunnerError> {
        sqlx::migrate!("./migrations/runner").run(&pool).await?;
        Ok(Self {
            pool,
            write: tokio::sync::Mutex::new(()),
        })
    }

    /// Records a new RUNNING execution with its first events and checkpoint. With
    /// `unique_name`, only when the state machine has no execution of that name yet
    /// (false otherwise); without it, always.
    pub async fn insert_execution(
        &self,
        record: &ExecutionRecord,
        checkpoint: &Checkpoint,
        events: &[NewEvent],
        unique_name: bool,
    ) -> Result<bool, sqlx::Error> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        // One statement checks the name and inserts, so no other writer comes between.
        let insert = sqlx::query(
            "INSERT INTO executions (execution_id, state_machine, name, input, status, start_date, \
             current_state, state_input, state_entered_at, retry_attempts, state_entered_event_id, \
             variables, last_event_id) \
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? \
             WHERE NOT (? AND EXISTS (SELECT 1 FROM executions WHERE state_machine = ? AND name = ?))",
        )
        .bind(&record.execution_id)
        .bind(&record.state_machine)
        .bind(&record.name)
        .bind(record.input.to_string())
        .bind(ExecutionStatus::Running.as_str())
        .bind(timestamp(record.start_date));
        let inserted = bind_checkpoint(insert, checkpoint)
            .bind(events.len() as i64)
            .bind(unique_name)
            .bind(&record.state_machine)
            .bind(&record.name)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !inserted {
            return Ok(false);
        }
        insert_events(&mut tx, &record.execution_id, 0, events, record.start_date).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Appends events after `last_event_id` and applies `update`, if the
    /// execution is still RUNNING and nobody else wrote since. Returns the new
    /// last event id.
    pub async fn append(
        &self,
        execution_id: &str,
        last_event_id: i64,
        events: &[NewEvent],
        update: &Update,
    ) -> Result<i64, AppendError> {
        let new_last = last_event_id + events.len() as i64;
        let now = Utc::now();
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let guard = "WHERE execution_id = ? AND status = 'RUNNING' AND last_event_id = ?";
        let updated = match update {
            Update::Events => {
                sqlx::query(&format!("UPDATE executions SET last_event_id = ? {guard}"))
                    .bind(new_last)
                    .bind(execution_id)
                    .bind(last_event_id)
                    .execute(&mut *tx)
                    .await?
            }
            Update::Checkpoint(checkpoint) => {
                let sql = format!(
                    "UPDATE executions SET last_event_id = ?, current_state = ?, state_input = ?, \
                     state_entered_at = ?, retry_attempts = ?, state_entered_event_id = ?, variables = ? {guard}"
                );
                bind_checkpoint(sqlx::query(&sql).bind(new_last), checkpoint)
                    .bind(execution_id)
                    .bind(last_event_id)
                    .execute(&mut *tx)
                    .await?
            }
            Update::Finish {
                status,
                output,
                error,
                cause,
            } => {
                sqlx::query(&format!(
                    "UPDATE executions SET last_event_id = ?, {FINISH} {guard}"
                ))
                .bind(new_last)
                .bind(status.as_str())
                .bind(output.as_ref().map(Value::to_string))
                .bind(error)
                .bind(cause)
                .bind(timestamp(now))
                .bind(execution_id)
                .bind(last_event_id)
                .execute(&mut *tx)
                .await?
            }
        };
        if updated.rows_affected() != 1 {
            return Err(AppendError::Superseded(execution_id.to_string()));
        }
        insert_events(&mut tx, execution_id, last_event_id, events, now).await?;
        tx.commit().await?;
        Ok(new_last)
    }

    /// Ends a RUNNING execution as `status` (ABORTED by a stop, TIMED_OUT by its time
    /// limit) with `event` after whatever it wrote last, in one transaction. False when it
    /// was not running.
    pub async fn end(
        &self,
        execution_id: &str,
        status: ExecutionStatus,
        error: Option<&str>,
        cause: Option<&str>,
        event: &NewEvent,
    ) -> Result<bool, sqlx::Error> {
        let now = Utc::now();
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        // A write first, so the transaction holds SQLite's write lock from its start.
        let last_event_id: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE executions SET last_event_id = last_event_id + 1, {FINISH} \
             WHERE execution_id = ? AND status = 'RUNNING' RETURNING last_event_id"
        ))
        .bind(status.as_str())
        .bind(None::<String>)
        .bind(error)
        .bind(cause)
        .bind(timestamp(now))
        .bind(execution_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(last_event_id) = last_event_id else {
            return Ok(false);
        };
        let event = std::slice::from_ref(event);
        insert_events(&mut tx, execution_id, last_event_id - 1, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The newest execution named `name` (a Standard machine has one at most).
    pub async fn get(
        &self,
        state_machine: &str,
        name: &str,
    ) -> Result<Option<ExecutionRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "{SELECT_EXECUTION} WHERE state_machine = ? AND name = ? \
             ORDER BY start_date DESC, rowid DESC LIMIT 1"
        ))
        .bind(state_machine)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| record_from_row(&row))
        .transpose()
    }

    pub async fn get_by_id(
        &self,
        execution_id: &str,
    ) -> Result<Option<ExecutionRecord>, sqlx::Error> {
        sqlx::query(&format!("{SELECT_EXECUTION} WHERE execution_id = ?"))
            .bind(execution_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| record_from_row(&row))
            .transpose()
    }

    /// Newest first (then by name, last first, then by id), from just after `after` when
    /// given.
    pub async fn list(
        &self,
        state_machine: &str,
        status: Option<ExecutionStatus>,
        after: Option<&ListPosition>,
        limit: u32,
    ) -> Result<Vec<ExecutionRecord>, sqlx::Error> {
        // Timestamps are stored as text of one width, so text order is time order.
        let sql = format!(
            "{SELECT_EXECUTION} WHERE state_machine = ? AND (? IS NULL OR status = ?) \
             AND (? IS NULL OR (start_date, name, execution_id) < (?, ?, ?)) \
             ORDER BY start_date DESC, name DESC, execution_id DESC LIMIT ?"
        );
        let after_date = after.map(|position| timestamp(position.start_date));
        let after_name = after.map(|position| position.name.as_str());
        let after_id = after.map(|position| position.execution_id.as_str());
        let query = sqlx::query(&sql)
            .bind(state_machine)
            .bind(status.map(ExecutionStatus::as_str))
            .bind(status.map(ExecutionStatus::as_str))
            .bind(after_date.clone())
            .bind(after_date)
            .bind(after_name)
            .bind(after_id)
            .bind(i64::from(limit));
        self.records(query).await
    }

    /// Every RUNNING execution, oldest first.
    pub async fn running(&self, state_machine: &str) -> Result<Vec<ExecutionRecord>, sqlx::Error> {
        let sql = format!(
            "{SELECT_EXECUTION} WHERE state_machine = ? AND status = 'RUNNING' ORDER BY start_date, rowid"
        );
        self.records(sqlx::query(&sql).bind(state_machine)).await
    }

    /// The executions a query over `SELECT_EXECUTION` finds.
    async fn records(&self, query: SqliteQuery<'_>) -> Result<Vec<ExecutionRecord>, sqlx::Error> {
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }

    pub async fn history(&self, execution_id: &str) -> Result<Vec<HistoryEvent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT event_id, previous_event_id, timestamp, event_type, details FROM history_events \
             WHERE execution_id = ? ORDER BY event_id",
        )
        .bind(execution_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HistoryEvent {
                    id: row.try_get("event_id")?,
                    previous_event_id: row.try_get("previous_event_id")?,
                    timestamp: parse_time(row.try_get("timestamp")?)?,
                    event_type: row.try_get("event_type")?,
                    details: parse_json(row.try_get("details")?)?,
                })
            })
            .collect()
    }
}

/// Where a listing of executions stands: the next page starts after the execution
/// that started at `start_date` under `name` with the id `execution_id` (the last one of
/// the page before; Express executions may share a start and a name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPosition {
    pub start_date: DateTime<Utc>,
    pub name: String,
    pub execution_id: String,
}

impl ListPosition {
    /// Just after `record`.
    pub fn after(record: &ExecutionRecord) -> Self {
        Self {
            start_date: record.start_date,
            name: record.name.clone(),
            execution_id: record.execution_id.clone(),
        }
    }
}

/// The columns an execution's end sets, binding its status, output, error, cause and
/// stop date; its checkpoint is cleared.
const FINISH: &str = "status = ?, output = ?, error = ?, cause = ?, stop_date = ?, \
     current_state = NULL, state_input = NULL, state_entered_at = NULL, \
     retry_attempts = '[]', variables = '{}'";

const SELECT_EXECUTION: &str =
    "SELECT execution_id, state_machine, name, input, status, output, error, cause, \
     start_date, stop_date, current_state, state_input, state_entered_at, retry_attempts, \
     state_entered_event_id, variables, last_event_id \
     FROM executions";

/// All of an append's events in one statement: each statement is a round trip to the
/// connection's thread.
async fn insert_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    execution_id: &str,
    last_event_id: i64,
    events: &[NewEvent],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = sqlx::QueryBuilder::new(
        "INSERT INTO history_events (execution_id, event_id, previous_event_id, timestamp, event_type, details) ",
    );
    insert.push_values(events.iter().enumerate(), |mut row, (offset, event)| {
        let id = last_event_id + offset as i64 + 1;
        row.push_bind(execution_id)
            .push_bind(id)
            .push_bind(event.previous.unwrap_or(id - 1))
            .push_bind(timestamp(at))
            .push_bind(&event.event_type)
            .push_bind(event.details.to_string());
    });
    insert.build().execute(&mut **tx).await?;
    Ok(())
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments<'q>>;

/// Binds a checkpoint's columns in the order both writers list them: `current_state,
/// state_input, state_entered_at, retry_attempts, state_entered_event_id, variables`.
fn bind_checkpoint<'q>(query: SqliteQuery<'q>, checkpoint: &'q Checkpoint) -> SqliteQuery<'q> {
    query
        .bind(&checkpoint.state)
        .bind(checkpoint.input.to_string())
        .bind(timestamp(checkpoint.entered_at))
        .bind(serde_json::to_string(&checkpoint.retry_attempts).unwrap_or_else(|_| "[]".into()))
        .bind(checkpoint.entered_event_id)
        .bind(variables_text(&checkpoint.variables))
}

fn record_from_row(row: &SqliteRow) -> Result<ExecutionRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let status = ExecutionStatus::parse(&status).ok_or_else(|| {
        sqlx::Error::Decode(format!("unknown execution status {status:?}").into())
    })?;
    let checkpoint = match row.try_get::<Option<String>, _>("current_state")? {
        Some(state) => Some(Checkpoint {
            state,
            input: parse_json(
                row.try_get::<Option<String>, _>("state_input")?
                    .unwrap_or_default(),
            )?,
            entered_at: parse_time(
                row.try_get::<Option<String>, _>("state_entered_at")?
                    .unwrap_or_default(),
            )?,
            retry_attempts: serde_json::from_str(&row.try_get::<String, _>("retry_attempts")?)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            entered_event_id: row.try_get("state_entered_event_id")?,
            variables: serde_json::from_str(&row.try_get::<String, _>("variables")?)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
        }),
        None => None,
    };
    Ok(ExecutionRecord {
        execution_id: row.try_get("execution_id")?,
        state_machine: row.try_get("state_machine")?,
        name: row.try_get("name")?,
        input: parse_json(row.try_get("input")?)?,
        status,
        output: row
            .try_get::<Option<String>, _>("output")?
            .map(parse_json)
            .transpose()?,
        error: row.try_get("error")?,
        cause: row.try_get("cause")?,
        start_date: parse_time(row.try_get("start_date")?)?,
        stop_date: row
            .try_get::<Option<String>, _>("stop_date")?
            .map(parse_time)
            .transpose()?,
        checkpoint,
        last_event_id: row.try_get("last_event_id")?,
    })
}

fn variables_text(variables: &Map<String, Value>) -> String {
    serde_json::to_string(variables).unwrap_or_else(|_| "{}".into())
}

fn parse_json(text: String) -> Result<Value, sqlx::Error> {
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
}

fn parse_time(text: String) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| sqlx::Error::Decode(e.into()))
}
