//! The served state machines, by ARN, and which one an ARN in a request names. Every
//! ARN is built by the engine (`StateMachine::arn`, `LocalRunner::execution_id`); here
//! they are only compared.

use crate::errors::ApiError;
use crate::logging::Logging;
use crate::shapes::required;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use wisaw_asl::LocalRunner;

/// One served state machine.
pub struct Machine {
    pub runner: LocalRunner,
    /// When it began to be served: the creation date `DescribeStateMachine` gives.
    pub created: DateTime<Utc>,
    /// How its executions are logged, as it was created.
    pub logging: Logging,
}

#[derive(Default)]
pub struct Machines {
    by_arn: BTreeMap<String, Machine>,
}

/// An ARN of Step Functions, split: `arn:PARTITION:states:REGION:ACCOUNT:TYPE:RESOURCE`.
struct StatesArn<'a> {
    resource_type: &'a str,
    resource: &'a str,
}

fn split(arn: &str) -> Option<StatesArn<'_>> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", region, account, resource_type, resource]
            if [partition, region, account, resource_type, resource]
                .iter()
                .all(|part| !part.is_empty()) =>
        {
            Some(StatesArn {
                resource_type,
                resource,
            })
        }
        _ => None,
    }
}

impl Machines {
    pub fn insert(&mut self, runner: LocalRunner, logging: Logging) {
        let machine = Machine {
            runner,
            created: Utc::now(),
            logging,
        };
        self.by_arn
            .insert(machine.runner.state_machine().arn(), machine);
    }

    /// The machine `arn` names. `InvalidArn` when it is no state machine's ARN,
    /// `StateMachineDoesNotExist` when no served machine has it (a version's or an
    /// alias's ARN included: the engine has neither).
    pub fn machine(&self, arn: &str) -> Result<&Machine, ApiError> {
        let parts = split(arn).ok_or_else(|| ApiError::invalid_arn(arn))?;
        if parts.resource_type != "stateMachine" {
            return Err(ApiError::invalid_arn(&format!(
                "Resource type not valid in this context: {}",
                parts.resource_type
            )));
        }
        self.by_arn
            .get(arn)
            .ok_or_else(|| ApiError::state_machine_does_not_exist(arn))
    }

    /// The machine a request's `stateMachineArn` names, which it must give: the ARN and
    /// the machine, as [`Machines::machine`] finds it.
    pub fn machine_of<'a>(
        &self,
        state_machine_arn: &'a Option<String>,
    ) -> Result<(&'a str, &Machine), ApiError> {
        let arn = required(state_machine_arn, "stateMachineArn")?;
        Ok((arn, self.machine(arn)?))
    }

    /// The execution a request's `executionArn` names, which it must give: the ARN, the
    /// machine and the execution's name, as [`Machines::execution`] finds them.
    pub fn execution_of<'a>(
        &self,
        execution_arn: &'a Option<String>,
    ) -> Result<(&'a str, &Machine, &'a str), ApiError> {
        let arn = required(execution_arn, "executionArn")?;
        let (machine, name) = self.execution(arn)?;
        Ok((arn, machine, name))
    }

    /// The machine of execution `arn`, and the execution's name. `InvalidArn` when it
    /// is no execution's ARN, `ExecutionDoesNotExist` when it is no served machine's;
    /// whether the execution exists is for its runner to say.
    pub fn execution<'a>(&self, arn: &'a str) -> Result<(&Machine, &'a str), ApiError> {
        let parts = split(arn).ok_or_else(|| ApiError::invalid_arn(arn))?;
        let name = match (parts.resource_type, parts.resource.split_once(':')) {
            ("execution", Some((_, name))) if !name.is_empty() => name,
            ("execution", _) => return Err(ApiError::invalid_arn(arn)),
            (other, _) => {
                return Err(ApiError::invalid_arn(&format!(
                    "Resource type not valid in this context: {other}"
                )))
            }
        };
        self.by_arn
            .values()
            .find(|machine| machine.runner.execution_id(name) == arn)
            .map(|machine| (machine, name))
            .ok_or_else(|| ApiError::execution_does_not_exist(arn))
    }
}
