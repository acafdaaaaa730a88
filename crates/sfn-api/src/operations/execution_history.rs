//! `GetExecutionHistory`: an execution's events, oldest first or newest first, a page at
//! a time. The next token holds the last event id given, so events written meanwhile
//! (the execution still runs) join the end of a forward listing and never shift it.

use crate::errors::ApiError;
use crate::events::aws_event;
use crate::machines::Machines;
use crate::shapes::{GetExecutionHistoryRequest, GetExecutionHistoryResponse};
use crate::tokens::{self, HistoryToken};
use wisaw_asl::RunnerError;

pub async fn execution_history(
    machines: &Machines,
    request: GetExecutionHistoryRequest,
) -> Result<GetExecutionHistoryResponse, ApiError> {
    let (arn, machine, name) = machines.execution_of(&request.execution_arn)?;
    let limit = request.page.size()? as usize;
    let reverse = request.reverse_order.unwrap_or(false);
    let include_data = request.include_execution_data.unwrap_or(true);
    let after_id = match &request.page.next_token {
        None => None,
        Some(text) => {
            let token: HistoryToken = tokens::decode(text)?;
            if token.execution != arn || token.reverse != reverse {
                return Err(ApiError::invalid_token(text));
            }
            Some(token.after_id)
        }
    };
    let mut events = machine
        .runner
        .history(name)
        .await
        .map_err(|error| match error {
            RunnerError::NotFound(_) => ApiError::execution_does_not_exist(arn),
            other => ApiError::runner(other),
        })?;
    if reverse {
        events.reverse();
    }
    // One more than the page: whether there is a next page.
    let events: Vec<_> = events
        .into_iter()
        .filter(|event| match after_id {
            None => true,
            Some(after) if reverse => event.id < after,
            Some(after) => event.id > after,
        })
        .take(limit + 1)
        .collect();
    let (page, next_token) = tokens::page(events, limit, |last| {
        tokens::encode(&HistoryToken {
            execution: arn.to_string(),
            reverse,
            after_id: last.id,
        })
    });
    Ok(GetExecutionHistoryResponse {
        events: page.iter().map(|e| aws_event(e, include_data)).collect(),
        next_token,
    })
}
