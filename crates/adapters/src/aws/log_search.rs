//! `FilterLogEvents` over a state machine's log group, newest first and bounded: the
//! time back to [`LOOKBACK`] is searched in windows that double (the last six hours, the
//! twelve before them, the day before that...), each window paged through, until the
//! caller has what it looks for or [`MAX_PAGES`] pages were read. CloudWatch Logs answers
//! each window oldest first; the windows only decide how far back a search has to go,
//! in few calls (CloudWatch Logs allows an account a few `FilterLogEvents` a second).

use super::errors::port_error;
use super::log_event::{parse, LoggedEvent};
use aws_sdk_cloudwatchlogs::Client;
use chrono::{DateTime, Duration, Utc};
use wisaw_domain::error::PortError;
use wisaw_domain::ports::PortResult;

/// How far back executions are looked for: past the longest retention a stage is given
/// by default, and a bound on what one question can cost.
pub(crate) const LOOKBACK: Duration = Duration::days(90);
const FIRST_WINDOW: Duration = Duration::hours(6);
/// Pages of up to 10,000 events (1 MB) one search reads at most.
pub(crate) const MAX_PAGES: usize = 200;

#[derive(Clone, Debug)]
pub(crate) struct LogGroup {
    client: Client,
    name: String,
}

/// The windows to search, newest first: `(start, end)` in epoch milliseconds, both
/// included (as `FilterLogEvents` reads them), next to each other without overlap.
fn windows(now: DateTime<Utc>) -> Vec<(i64, i64)> {
    let oldest = (now - LOOKBACK).timestamp_millis();
    let mut end = now.timestamp_millis();
    let mut span = FIRST_WINDOW.num_milliseconds();
    let mut windows = Vec::new();
    while end >= oldest {
        let start = (end - span + 1).max(oldest);
        windows.push((start, end));
        end = start - 1;
        span *= 2;
    }
    windows
}

impl LogGroup {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The events that match `pattern`, window after window back in time, until
    /// `enough` says the events found so far (in no particular order) answer the
    /// question. A message that is not a Step Functions event is left out.
    pub async fn search(
        &self,
        pattern: &str,
        mut enough: impl FnMut(&[LoggedEvent]) -> bool,
    ) -> PortResult<Vec<LoggedEvent>> {
        let mut found = Vec::new();
        let mut pages = 0;
        for (start, end) in windows(Utc::now()) {
            let mut token: Option<String> = None;
            loop {
                if pages == MAX_PAGES {
                    tracing::warn!(
                        log_group = %self.name,
                        pattern,
                        "stopped reading the execution logs after {MAX_PAGES} pages"
                    );
                    return Ok(found);
                }
                pages += 1;
                let page = self
                    .client
                    .filter_log_events()
                    .log_group_name(&self.name)
                    .filter_pattern(pattern)
                    .start_time(start)
                    .end_time(end)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| {
                        // A missing group is the stage's misconfiguration, not a
                        // missing execution.
                        match port_error(&format!("reading the log group {}", self.name), e) {
                            PortError::NotFound(reason) => PortError::Invalid(reason),
                            other => other,
                        }
                    })?;
                for message in page.events().iter().filter_map(|e| e.message()) {
                    match parse(message) {
                        Ok(event) => found.push(event),
                        Err(error) => {
                            tracing::warn!(log_group = %self.name, %error, "skipped a log event")
                        }
                    }
                }
                match page.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => break,
                }
            }
            if enough(&found) {
                break;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_windows_cover_the_lookback_newest_first_without_overlap() {
        let now = DateTime::from_timestamp_millis(1_800_000_000_000).unwrap();
        let windows = windows(now);
        assert_eq!(
            windows[0],
            (
                now.timestamp_millis() - 6 * 3_600_000 + 1,
                now.timestamp_millis()
            )
        );
        for pair in windows.windows(2) {
            assert_eq!(pair[1].1 + 1, pair[0].0, "{pair:?}");
            assert!(
                pair[1].1 - pair[1].0 > pair[0].1 - pair[0].0
                    || pair[1].0 == (now - LOOKBACK).timestamp_millis()
            );
        }
        assert_eq!(
            windows.last().unwrap().0,
            (now - LOOKBACK).timestamp_millis()
        );
        // Ninety days in windows doubling from six hours: nine calls, not hundreds.
        assert_eq!(windows.len(), 9);
    }
}
