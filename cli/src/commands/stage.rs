//! `wisaw stage`: the template as deployed, on this machine, until Ctrl-C. Prints the
//! stack's outputs once every endpoint answers, and writes them as JSON when asked.

use super::serve::shutdown_signal;
use anyhow::{Context, Result};
use std::path::PathBuf;
use wisaw_stage::compose::{Stage, StageOptions};

pub async fn run(options: StageOptions, outputs_json: Option<PathBuf>) -> Result<()> {
    let stage = Stage::start(options).await?;
    print!("{}", stage.outputs.to_text());
    if let Some(path) = outputs_json {
        stage
            .outputs
            .write_json(&path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    shutdown_signal().await;
    tracing::info!("stopping the stage");
    stage.stop().await;
    Ok(())
}
