//! The `dispatch` Lambda function: batches of the ingest queue (S3 upload
//! notifications and replays) to executions of the upload state machine.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::convert::Infallible;
use wisaw_api::dispatch::DispatchPorts;
use wisaw_api::lambda;
use wisaw_core::adapters::aws::AwsEnvironment;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_json_logs();
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
