//! The template's functions as the stage runs them: each `AWS::Serverless::Function`'s
//! name, memory, timeout, concurrency and variables, and the bootstrap `cargo lambda
//! build` made for it (`DIR/<Binary>/bootstrap`, the binary its SAM metadata names), or
//! cargo's own binary of that name (`target/release/<Binary>`).

use crate::lambda::FunctionConfig;
use crate::template::{texts, whole_number, Resource, TemplateError};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Lambda's defaults where the template says nothing.
const DEFAULT_MEMORY_MB: u64 = 128;
const DEFAULT_TIMEOUT_S: u64 = 3;

/// Where the stage stands, for what Lambda would know of it.
pub struct Placement<'a> {
    /// The directory of bootstraps, one folder per binary.
    pub functions_dir: &'a Path,
    pub region: &'a str,
    pub account_id: &'a str,
    /// Environments at once for a function that reserves none.
    pub default_concurrency: usize,
}

pub fn function_config(
    function: &Resource,
    placement: &Placement,
) -> Result<FunctionConfig, TemplateError> {
    let id = &function.logical_id;
    let properties = &function.properties;
    let binary = function.metadata["BuildProperties"]["Binary"]
        .as_str()
        .ok_or_else(|| {
            TemplateError::Malformed(format!(
                "{id} names no binary (Metadata.BuildProperties.Binary)"
            ))
        })?;
    let number = |name: &str, default: u64| -> Result<u64, TemplateError> {
        match &properties[name] {
            Value::Null => Ok(default),
            value => whole_number(value)
                .ok_or_else(|| TemplateError::Malformed(format!("{id}'s {name} is {value}"))),
        }
    };
    let concurrency = match &properties["ReservedConcurrentExecutions"] {
        Value::Null => placement.default_concurrency,
        value => whole_number(value).ok_or_else(|| {
            TemplateError::Malformed(format!("{id}'s ReservedConcurrentExecutions is {value}"))
        })? as usize,
    };
    Ok(FunctionConfig {
        name: properties["FunctionName"]
            .as_str()
            .unwrap_or(id)
            .to_string(),
        bootstrap: bootstrap(placement.functions_dir, binary),
        environment: texts(id, "variable", &properties["Environment"]["Variables"])?,
        memory_mb: number("MemorySize", DEFAULT_MEMORY_MB)? as u32,
        timeout: Duration::from_secs(number("Timeout", DEFAULT_TIMEOUT_S)?),
        concurrency,
        region: placement.region.to_string(),
        account_id: placement.account_id.to_string(),
    })
}

/// `DIR/<binary>/bootstrap` as `cargo lambda build` lays it out, else `DIR/<binary>` as
/// `cargo build` does.
fn bootstrap(functions_dir: &Path, binary: &str) -> std::path::PathBuf {
    let lambda_layout = functions_dir.join(binary).join("bootstrap");
    let cargo_layout = functions_dir.join(binary);
    if !lambda_layout.exists() && cargo_layout.is_file() {
        cargo_layout
    } else {
        lambda_layout
    }
}
