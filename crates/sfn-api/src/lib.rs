//! The Step Functions API served over the local engine: any Step Functions client (the
//! AWS SDKs with an endpoint URL, the AWS CLI with `--endpoint-url`) starts, reads, lists
//! and stops the executions of one or more [`LocalRunner`]s, each under its state
//! machine's ARN.
//!
//! The protocol is AWS JSON 1.0: `POST /` with `X-Amz-Target:
//! AWSStepFunctions.<Operation>` and a JSON body in AWS's field names; answers are JSON,
//! errors a 400 with AWS's `__type` (`protocol.rs`, `errors.rs`). The operations are
//! `StartExecution`, `DescribeExecution`, `ListExecutions`, `GetExecutionHistory`,
//! `StopExecution` and `DescribeStateMachine`, one module each in `operations/`; their
//! requests and answers are `shapes.rs`.
//!
//! ```text
//! let api = StepFunctionsApi::new().serving(runner).only_loopback_clients();
//! let app = api.in_front_of(app); // or `api.router()` on its own
//! ```

mod errors;
mod events;
mod logging;
mod machines;
mod operations;
mod protocol;
mod shapes;
mod tokens;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::routing::post;
use axum::Router;
use machines::Machines;
use std::sync::Arc;
use tower::Service;
use wisaw_asl::LocalRunner;

pub use logging::{LogLevel, Logging, UnknownLogLevel};
pub use protocol::{is_step_functions_call, CONTENT_TYPE, TARGET_HEADER, TARGET_PREFIX};

/// The API over its runners; built once, then turned into a router.
#[derive(Default)]
pub struct StepFunctionsApi {
    machines: Machines,
    only_loopback: bool,
}

/// What every request reads: the machines, and whom to serve.
pub(crate) struct Served {
    pub machines: Machines,
    pub only_loopback: bool,
}

impl StepFunctionsApi {
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `runner`'s state machine under its ARN (`StateMachine::arn`); a second
    /// runner of the same ARN replaces the first.
    pub fn serving(self, runner: LocalRunner) -> Self {
        self.serving_logged(runner, Logging::default())
    }

    /// As [`StepFunctionsApi::serving`], the machine created with `logging`, which
    /// `DescribeStateMachine` reports (the executions' logs are for the caller to deliver).
    pub fn serving_logged(mut self, runner: LocalRunner, logging: Logging) -> Self {
        self.machines.insert(runner, logging);
        self
    }

    /// Refuses (`AccessDeniedException`) a client not on this machine, or whose address
    /// the server did not give (`ConnectInfo<SocketAddr>`): nothing here checks AWS
    /// credentials, so a server reachable from elsewhere must not run its executions for
    /// anyone who asks.
    pub fn only_loopback_clients(mut self) -> Self {
        self.only_loopback = true;
        self
    }

    /// The API alone: `POST /` answers every operation.
    pub fn router(self) -> Router {
        let served = Arc::new(Served {
            machines: self.machines,
            only_loopback: self.only_loopback,
        });
        Router::new()
            .route("/", post(protocol::call))
            .with_state(served)
    }

    /// `app` with the API in front: a request that [`is_step_functions_call`] goes to the
    /// API, any other to `app` unchanged (its routes and its fallback alike).
    pub fn in_front_of(self, app: Router) -> Router {
        let api = self.router();
        app.layer(middleware::from_fn(move |request: Request, next: Next| {
            let mut api = api.clone();
            async move {
                if is_step_functions_call(request.headers()) {
                    // A router is always ready, and never fails: it answers.
                    match api.call(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                } else {
                    next.run(request).await
                }
            }
        }))
    }
}
