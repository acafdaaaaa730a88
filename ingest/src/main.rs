//! The `dispatch` Lambda function: batches of the ingest queue (S3 upload
//! notifications and replays) to executions of the upload state machine.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::convert::Infallible;
use wisaw_adapters::aws::AwsEnvironment;
use wisaw_ingest::{lambda, DispatchPorts};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Logs as the function's logging configuration asks (JSON, with the span fields).
    lambda_runtime::tracing::init_default_subscriber();
    let env = AwsEnvironment::load().await?;
    let ports = DispatchPorts {
        metadata: env.metadata().await?,
        orchestrator: env.orchestrator()?,
        // Uploads whose photo is gone are deleted (s3:DeleteObject on uploads/*).
        blobs: env.blobs()?,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async {
        let response: SqsBatchResponse = lambda::dispatch_batch(&ports, event.payload).await;
        Ok::<_, Infallible>(response)
    }))
    .await
}
