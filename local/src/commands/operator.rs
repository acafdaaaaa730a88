//! Where the operator commands act: the local stack under a data folder, or a
//! deployed stage in AWS (`--aws --stage S`, with the usual AWS environment and
//! the stage's `WISAW_*` variables, e.g. exported from the stack's outputs).

use crate::stack::LocalStack;
use anyhow::Result;
use std::path::Path;
use std::sync::Arc;
use wisaw_adapters::aws::AwsEnvironment;
use wisaw_domain::ports::{Orchestrator, Queue};

/// The ports the operator commands need, whatever is behind them.
pub struct OperatorPorts {
    pub orchestrator: Arc<dyn Orchestrator>,
    pub dead_letter: Arc<dyn Queue>,
    pub ingest: Arc<dyn Queue>,
}

impl OperatorPorts {
    pub async fn local(data_dir: &Path, database_url: Option<String>) -> Result<Self> {
        let stack = LocalStack::open_for_operator(data_dir, database_url).await?;
        Ok(Self {
            orchestrator: stack.orchestrator.clone(),
            dead_letter: stack.dead_letter.clone(),
            ingest: stack.ingest.clone(),
        })
    }

    pub async fn aws(stage: &str) -> Result<Self> {
        let environment = AwsEnvironment::for_stage(stage).await?;
        Ok(Self {
            orchestrator: environment.orchestrator()?,
            dead_letter: environment.dead_letter_queue()?,
            ingest: environment.ingest_queue()?,
        })
    }
}
