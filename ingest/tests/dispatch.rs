//! The dispatcher over real local stores and a recording orchestrator: one message at a
//! time, and whole SQS batches as the Lambda function gets them.

mod lambda_batches;
mod messages;
