//! `ListExecutions`: a machine's executions, newest first, a page at a time. The next
//! token holds the last execution of the page, so executions started meanwhile neither
//! shift nor repeat the pages after it. An Express machine's are not listed, as on AWS
//! (they are in its logs there).

use crate::errors::{ApiError, Code};
use crate::machines::Machines;
use crate::shapes::{ExecutionListItem, ListExecutionsRequest, ListExecutionsResponse};
use crate::tokens::{self, ListToken};
use wisaw_asl::{ExecutionStatus, ListPosition, WorkflowType};

/// Executions waiting to be redriven: a status AWS lists by, which none here ever has.
const PENDING_REDRIVE: &str = "PENDING_REDRIVE";

pub async fn list_executions(
    machines: &Machines,
    request: ListExecutionsRequest,
) -> Result<ListExecutionsResponse, ApiError> {
    match (&request.state_machine_arn, &request.map_run_arn) {
        // "You can specify either a mapRunArn or a stateMachineArn, but not both."
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                Code::ValidationException,
                "Only one of stateMachineArn and mapRunArn may be given, not both",
            ))
        }
        (None, Some(map_run)) => {
            return Err(ApiError::new(
                Code::ResourceNotFound,
                format!("Map Run Does Not Exist: '{map_run}' (the engine has no Distributed Map)"),
            ))
        }
        _ => {}
    }
    let (arn, machine) = machines.machine_of(&request.state_machine_arn)?;
    if machine.runner.state_machine().workflow_type() == WorkflowType::Express {
        return Err(ApiError::new(
            Code::StateMachineTypeNotSupported,
            "This operation is not supported by this type of state machine",
        ));
    }
    let filter = request.status_filter.as_deref();
    let status = match filter {
        None => None,
        Some(PENDING_REDRIVE) => return Ok(no_executions()),
        Some(text) => Some(status_filter(text)?),
    };
    let limit = request.page.size()?;
    let after = match &request.page.next_token {
        None => None,
        Some(text) => {
            let token: ListToken = tokens::decode(text)?;
            if token.machine != arn || token.status.as_deref() != filter {
                return Err(ApiError::invalid_token(text));
            }
            Some(
                token
                    .position()
                    .ok_or_else(|| ApiError::invalid_token(text))?,
            )
        }
    };
    // One more than the page: whether there is a next page.
    let records = machine
        .runner
        .list_after(status, after.as_ref(), limit + 1)
        .await
        .map_err(ApiError::runner)?;
    let (records, next_token) = tokens::page(records, limit as usize, |last| {
        tokens::encode(&ListToken::new(arn, filter, &ListPosition::after(last)))
    });
    Ok(ListExecutionsResponse {
        executions: records
            .iter()
            .map(|record| ExecutionListItem::of(arn, record))
            .collect(),
        next_token,
    })
}

/// A status as AWS spells it, exactly.
fn status_filter(text: &str) -> Result<ExecutionStatus, ApiError> {
    ExecutionStatus::ALL
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = ExecutionStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::invalid_member(
                Some(text),
                "statusFilter",
                &format!(
                    "must satisfy enum value set: [{}, {PENDING_REDRIVE}]",
                    names.join(", ")
                ),
            )
        })
}

fn no_executions() -> ListExecutionsResponse {
    ListExecutionsResponse {
        executions: Vec::new(),
        next_token: None,
    }
}
