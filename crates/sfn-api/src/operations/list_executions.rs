//! `ListExecutions`: a machine's executions, newest first, a page at a time. The next
//! token holds the last execution of the page, so executions started meanwhile neither
//! shift nor repeat the pages after it.

use crate::errors::{ApiError, Code};
use crate::machines::Machines;
use crate::shapes::{
    page_size, required, EpochSeconds, ExecutionListItem, ListExecutionsRequest,
    ListExecutionsResponse,
};
use crate::tokens::{self, ListToken};
use wisaw_asl::{ExecutionRecord, ExecutionStatus, ListPosition};

/// Executions waiting to be redriven: a status AWS lists by, which none here ever has.
const PENDING_REDRIVE: &str = "PENDING_REDRIVE";

pub async fn list_executions(
    machines: &Machines,
    request: ListExecutionsRequest,
) -> Result<ListExecutionsResponse, ApiError> {
    if let (None, Some(map_run)) = (&request.state_machine_arn, &request.map_run_arn) {
        return Err(ApiError::new(
            Code::ResourceNotFound,
            format!("Map Run Does Not Exist: '{map_run}' (the engine has no Distributed Map)"),
        ));
    }
    let arn = required(&request.state_machine_arn, "stateMachineArn")?;
    let machine = machines.machine(arn)?;
    let filter = request.status_filter.as_deref();
    let status = match filter {
        None => None,
        Some(PENDING_REDRIVE) => return Ok(no_executions()),
        Some(text) => Some(status_filter(text)?),
    };
    let limit = page_size(request.max_results)?;
    let after = match &request.next_token {
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
    let mut records = machine
        .runner
        .list_after(status, after.as_ref(), limit + 1)
        .await
        .map_err(ApiError::runner)?;
    let next_token = if records.len() > limit as usize {
        records.truncate(limit as usize);
        let last = records.last().map(ListPosition::after);
        last.map(|last| tokens::encode(&ListToken::new(arn, filter, &last)))
    } else {
        None
    };
    Ok(ListExecutionsResponse {
        executions: records.into_iter().map(|r| item(arn, r)).collect(),
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

fn item(state_machine_arn: &str, record: ExecutionRecord) -> ExecutionListItem {
    ExecutionListItem {
        execution_arn: record.execution_id,
        state_machine_arn: state_machine_arn.to_string(),
        name: record.name,
        status: record.status,
        start_date: EpochSeconds(record.start_date),
        stop_date: record.stop_date.map(EpochSeconds),
        redrive_count: 0,
    }
}
