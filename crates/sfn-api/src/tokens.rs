//! Next tokens: where the next page starts, and for which request. Opaque to clients
//! (JSON in URL-safe base64); a token used with another request's parameters, or not
//! made here, is `InvalidToken`.

use crate::errors::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wisaw_asl::ListPosition;

/// `ListExecutions`: after this execution, for this machine and filter.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct ListToken {
    pub machine: String,
    pub status: Option<String>,
    after_start_millis: i64,
    after_name: String,
    after_execution_id: String,
}

impl ListToken {
    pub fn new(machine: &str, status: Option<&str>, after: &ListPosition) -> Self {
        Self {
            machine: machine.to_string(),
            status: status.map(str::to_string),
            after_start_millis: after.start_date.timestamp_millis(),
            after_name: after.name.clone(),
            after_execution_id: after.execution_id.clone(),
        }
    }

    pub fn position(&self) -> Option<ListPosition> {
        Some(ListPosition {
            start_date: DateTime::<Utc>::from_timestamp_millis(self.after_start_millis)?,
            name: self.after_name.clone(),
            execution_id: self.after_execution_id.clone(),
        })
    }
}

/// `GetExecutionHistory`: the events after (or, in reverse, before) this event id.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct HistoryToken {
    pub execution: String,
    pub reverse: bool,
    pub after_id: i64,
}

/// A page of at most `limit` of `items` (read one more than the page, to know whether
/// another follows), and when another follows, its token: `token_after` the page's last.
pub fn page<T>(
    mut items: Vec<T>,
    limit: usize,
    token_after: impl FnOnce(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let next_token = items.last().map(token_after);
    (items, next_token)
}

pub fn encode<T: Serialize>(token: &T) -> String {
    // A token is plain data: serializing it cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(token).unwrap_or_default())
}

pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::invalid_token(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_as_written_and_anything_else_is_invalid() {
        let token = HistoryToken {
            execution: "arn:aws:states:local:000000000000:execution:m:e".into(),
            reverse: true,
            after_id: 7,
        };
        assert_eq!(decode::<HistoryToken>(&encode(&token)).unwrap(), token);
        for bad in ["", "not base64!", &encode(&serde_json::json!({"other": 1}))] {
            assert!(decode::<HistoryToken>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_page_holds_its_limit_and_has_a_token_only_when_more_follow() {
        let token = |last: &u32| format!("after {last}");
        assert_eq!(
            page(vec![1, 2, 3], 2, token),
            (vec![1, 2], Some("after 2".to_string()))
        );
        assert_eq!(page(vec![1, 2], 2, token), (vec![1, 2], None));
        assert_eq!(page(Vec::new(), 2, token), (vec![], None));
    }
}
