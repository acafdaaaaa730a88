//! What a Lambda function (or an operator command with `--aws`) needs from its
//! environment variables. Each adapter is built on demand from the variables it needs
//! alone, so a function that lacks a variable it never uses still starts; a missing
//! variable is named in the error.

#[cfg(feature = "appsync-events")]
use super::appsync_events::AppSyncEventsPublisher;
#[cfg(feature = "secrets")]
use super::errors::port_error;
#[cfg(feature = "s3")]
use super::s3::S3BlobStore;
#[cfg(feature = "sqs")]
use super::sqs::SqsQueue;
#[cfg(feature = "step-functions")]
use super::step_functions::StepFunctionsOrchestrator;
#[cfg(all(feature = "postgres", feature = "secrets"))]
use crate::postgres::{PostgresMetadataStore, PostgresSettings};
use aws_config::SdkConfig;
use std::collections::BTreeMap;
#[cfg(any(
    feature = "s3",
    feature = "sqs",
    feature = "step-functions",
    feature = "postgres",
    feature = "appsync-events"
))]
use std::sync::Arc;
use wisaw_domain::error::PortError;
#[cfg(feature = "secrets")]
use wisaw_domain::events::DeviceChannels;
use wisaw_domain::events::EventsEndpoints;
#[cfg(feature = "s3")]
use wisaw_domain::ports::BlobStore;
#[cfg(all(feature = "postgres", feature = "secrets"))]
use wisaw_domain::ports::MetadataStore;
#[cfg(feature = "appsync-events")]
use wisaw_domain::ports::Notifier;
#[cfg(feature = "step-functions")]
use wisaw_domain::ports::Orchestrator;
#[cfg(feature = "sqs")]
use wisaw_domain::ports::Queue;

pub const BUCKET_VAR: &str = "WISAW_BUCKET";
pub const INGEST_QUEUE_URL_VAR: &str = "WISAW_INGEST_QUEUE_URL";
pub const DEAD_LETTER_QUEUE_URL_VAR: &str = "WISAW_DEAD_LETTER_QUEUE_URL";
pub const STATE_MACHINE_ARN_VAR: &str = "WISAW_STATE_MACHINE_ARN";
/// Optional: image URLs are `{base}/{key}` instead of presigned GETs.
pub const CDN_BASE_URL_VAR: &str = "WISAW_CDN_BASE_URL";
/// The Secrets Manager secret of the RDS database, read at run time.
pub const DATABASE_SECRET_ARN_VAR: &str = "WISAW_DATABASE_SECRET_ARN";
/// Instead of the secret, for development and tests.
pub const DATABASE_URL_VAR: &str = "WISAW_DATABASE_URL";
/// The Secrets Manager secret the API signs its feed cursors with, read at run time.
pub const FEED_CURSOR_SECRET_ARN_VAR: &str = "WISAW_FEED_CURSOR_SECRET_ARN";
/// The Secrets Manager secret the device channels' tokens are derived with.
pub const DEVICE_CHANNEL_SECRET_ARN_VAR: &str = "WISAW_DEVICE_CHANNEL_SECRET_ARN";
/// The Events API's HTTP endpoint (`https://{Dns.Http}/event`), where notify publishes.
pub const EVENTS_HTTP_URL_VAR: &str = "WISAW_EVENTS_HTTP_URL";
/// The Events API's real-time endpoint (`wss://{Dns.Realtime}/event/realtime`), where the
/// app subscribes.
pub const EVENTS_REALTIME_URL_VAR: &str = "WISAW_EVENTS_REALTIME_URL";
/// Optional: the CA bundle that verifies the database's certificate.
pub const DATABASE_CA_FILE_VAR: &str = "WISAW_DATABASE_CA_FILE";
/// Optional: how many seconds a request waits for a database connection (5 by default):
/// above the time a database that pauses when idle takes to resume, for a function whose
/// request must not fail then (the api's ticket).
pub const DATABASE_WAIT_SECONDS_VAR: &str = "WISAW_DATABASE_WAIT_SECONDS";
/// Optional: the stage these variables describe, checked by [`AwsEnvironment::for_stage`].
pub const STAGE_VAR: &str = "WISAW_STAGE";
/// Optional: the upload state machine's type as deployed (STANDARD when unset).
pub const WORKFLOW_TYPE_VAR: &str = "WISAW_WORKFLOW_TYPE";

#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    #[error("the environment variable {variable} is not set ({purpose})")]
    Missing {
        variable: &'static str,
        purpose: &'static str,
    },
    #[error(
        "no database is configured: set {DATABASE_SECRET_ARN_VAR} (the RDS secret) \
         or {DATABASE_URL_VAR}"
    )]
    NoDatabase,
    #[error("the environment variable {variable}: {source}")]
    Invalid {
        variable: &'static str,
        source: PortError,
    },
    #[error("these variables describe the stage `{configured}` ({STAGE_VAR}), not `{requested}`")]
    WrongStage {
        configured: String,
        requested: String,
    },
    #[error("the metadata store: {0}")]
    Database(PortError),
}

type EnvResult<T> = Result<T, EnvironmentError>;

#[derive(Clone, Debug)]
pub struct AwsEnvironment {
    sdk: SdkConfig,
    vars: BTreeMap<String, String>,
}

impl AwsEnvironment {
    /// The usual AWS configuration (region, credentials, `AWS_ENDPOINT_URL` for an
    /// emulator) and the `WISAW_*` variables of this process.
    pub async fn load() -> EnvResult<Self> {
        let sdk = super::config_loader().load().await;
        Ok(Self::from_parts(sdk, std::env::vars()))
    }

    /// For an operator command aimed at `stage`: the same variables, refused when
    /// `WISAW_STAGE` says they describe another stage.
    pub async fn for_stage(stage: &str) -> EnvResult<Self> {
        let environment = Self::load().await?;
        environment.check_stage(stage)?;
        Ok(environment)
    }

    /// From an AWS configuration and variables given explicitly.
    pub fn from_parts(sdk: SdkConfig, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars = vars
            .into_iter()
            .filter(|(name, value)| name.starts_with("WISAW_") && !value.trim().is_empty())
            .map(|(name, value)| (name, value.trim().to_string()))
            .collect();
        Self { sdk, vars }
    }

    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The stage `WISAW_STAGE` names, if any.
    pub fn stage(&self) -> Option<&str> {
        self.optional(STAGE_VAR)
    }

    pub fn check_stage(&self, requested: &str) -> EnvResult<()> {
        match self.stage() {
            Some(configured) if configured != requested => Err(EnvironmentError::WrongStage {
                configured: configured.to_string(),
                requested: requested.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The upload state machine's type, as the deploy says it (`WISAW_WORKFLOW_TYPE`):
    /// what a function that cannot ask Step Functions (it may not describe the machine)
    /// needs to know of it.
    pub fn workflow_type(&self) -> EnvResult<wisaw_domain::ports::WorkflowType> {
        Ok(self.parsed(WORKFLOW_TYPE_VAR)?.unwrap_or_default())
    }

    fn optional(&self, variable: &str) -> Option<&str> {
        self.vars.get(variable).map(String::as_str)
    }

    /// An optional variable read as a `T`: `None` when unset, `Invalid` naming the
    /// variable and its value when it does not parse.
    fn parsed<T>(&self, variable: &'static str) -> EnvResult<Option<T>>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let Some(value) = self.optional(variable) else {
            return Ok(None);
        };
        value
            .parse()
            .map(Some)
            .map_err(|error| EnvironmentError::Invalid {
                variable,
                source: PortError::Invalid(format!("{value:?}: {error}").into()),
            })
    }

    fn required(&self, variable: &'static str, purpose: &'static str) -> EnvResult<&str> {
        self.optional(variable)
            .ok_or(EnvironmentError::Missing { variable, purpose })
    }

    #[cfg(feature = "s3")]
    pub fn s3_blob_store(&self) -> EnvResult<S3BlobStore> {
        let bucket = self.required(BUCKET_VAR, "the bucket of uploads and renditions")?;
        let store = S3BlobStore::from_config(&self.sdk, bucket);
        Ok(match self.optional(CDN_BASE_URL_VAR) {
            Some(base) => store.with_cdn_base(base),
            None => store,
        })
    }

    #[cfg(feature = "s3")]
    pub fn blobs(&self) -> EnvResult<Arc<dyn BlobStore>> {
        Ok(Arc::new(self.s3_blob_store()?))
    }

    #[cfg(feature = "sqs")]
    fn queue(&self, variable: &'static str, purpose: &'static str) -> EnvResult<Arc<dyn Queue>> {
        let url = self.required(variable, purpose)?;
        Ok(Arc::new(SqsQueue::from_config(&self.sdk, url)))
    }

    #[cfg(feature = "sqs")]
    pub fn ingest_queue(&self) -> EnvResult<Arc<dyn Queue>> {
        self.queue(
            INGEST_QUEUE_URL_VAR,
            "the queue of S3 upload notifications and replays",
        )
    }

    #[cfg(feature = "sqs")]
    pub fn dead_letter_queue(&self) -> EnvResult<Arc<dyn Queue>> {
        self.queue(
            DEAD_LETTER_QUEUE_URL_VAR,
            "the queue of photos that failed, for replay",
        )
    }

    #[cfg(feature = "appsync-events")]
    /// Events published on the Events API's HTTP endpoint, signed with this function's
    /// credentials.
    pub fn notifier(&self) -> EnvResult<Arc<dyn Notifier>> {
        let url = self.required(EVENTS_HTTP_URL_VAR, "the Events API's HTTP endpoint")?;
        let invalid = |source| EnvironmentError::Invalid {
            variable: EVENTS_HTTP_URL_VAR,
            source,
        };
        let region = self
            .sdk
            .region()
            .ok_or_else(|| invalid(PortError::Invalid("no AWS region is configured".into())))?;
        let credentials = self.sdk.credentials_provider().ok_or_else(|| {
            invalid(PortError::Invalid(
                "no AWS credentials are configured".into(),
            ))
        })?;
        let publisher =
            AppSyncEventsPublisher::new(url, region.as_ref(), credentials).map_err(invalid)?;
        Ok(Arc::new(publisher))
    }

    /// Where the app reaches its event channel, as the ticket answer tells it.
    pub fn events_endpoints(&self) -> EnvResult<EventsEndpoints> {
        Ok(EventsEndpoints {
            realtime_url: self
                .required(
                    EVENTS_REALTIME_URL_VAR,
                    "the Events API's real-time endpoint",
                )?
                .to_string(),
            http_url: self
                .required(EVENTS_HTTP_URL_VAR, "the Events API's HTTP endpoint")?
                .to_string(),
        })
    }

    #[cfg(feature = "step-functions")]
    /// The upload state machine's executions. With `execution-logs` (the operator's
    /// side), read as its type asks: from Step Functions for a STANDARD machine, from its
    /// CloudWatch Logs for an EXPRESS one. Without it (a Lambda function, which starts
    /// executions or describes a Standard one), from Step Functions.
    pub fn orchestrator(&self) -> EnvResult<Arc<dyn Orchestrator>> {
        let arn = self.required(STATE_MACHINE_ARN_VAR, "the upload state machine")?;
        let orchestrator =
            StepFunctionsOrchestrator::from_config(&self.sdk, arn).map_err(|source| {
                EnvironmentError::Invalid {
                    variable: STATE_MACHINE_ARN_VAR,
                    source,
                }
            })?;
        #[cfg(feature = "execution-logs")]
        let orchestrator = super::workflow_type::OrchestratorOfType::new(
            orchestrator,
            aws_sdk_cloudwatchlogs::Client::new(&self.sdk),
        );
        Ok(Arc::new(orchestrator))
    }

    #[cfg(all(feature = "postgres", feature = "secrets"))]
    /// How to reach the database: the RDS secret (fetched now) or the URL, one
    /// connection, the CA bundle when one is given.
    pub async fn postgres_settings(&self) -> EnvResult<PostgresSettings> {
        let settings = if let Some(arn) = self.optional(DATABASE_SECRET_ARN_VAR) {
            let invalid = |source| EnvironmentError::Invalid {
                variable: DATABASE_SECRET_ARN_VAR,
                source,
            };
            let secret = self
                .secret_string(arn, "the database secret")
                .await
                .map_err(invalid)?;
            PostgresSettings::from_rds_secret(&secret).map_err(invalid)?
        } else if let Some(url) = self.optional(DATABASE_URL_VAR) {
            PostgresSettings::from_url(url).map_err(|source| EnvironmentError::Invalid {
                variable: DATABASE_URL_VAR,
                source,
            })?
        } else {
            return Err(EnvironmentError::NoDatabase);
        };
        // One request at a time per Lambda instance: one connection is enough.
        let mut settings = settings.with_max_connections(1);
        if let Some(seconds) = self.parsed(DATABASE_WAIT_SECONDS_VAR)? {
            settings = settings.with_acquire_timeout(std::time::Duration::from_secs(seconds));
        }
        Ok(match self.optional(DATABASE_CA_FILE_VAR) {
            Some(ca_file) => settings.with_ssl_root_cert(ca_file),
            None => settings,
        })
    }

    #[cfg(all(feature = "postgres", feature = "secrets"))]
    /// Connects to Postgres and brings its schema up to date: the store itself, for a
    /// caller that uses more than one of its ports (the photos' metadata and the replays'
    /// audit log) over one connection.
    pub async fn postgres_store(&self) -> EnvResult<Arc<PostgresMetadataStore>> {
        let settings = self.postgres_settings().await?;
        let store = PostgresMetadataStore::connect(&settings)
            .await
            .map_err(EnvironmentError::Database)?;
        Ok(Arc::new(store))
    }

    #[cfg(all(feature = "postgres", feature = "secrets"))]
    /// Connects to Postgres and brings its schema up to date.
    pub async fn metadata(&self) -> EnvResult<Arc<dyn MetadataStore>> {
        Ok(self.postgres_store().await?)
    }

    #[cfg(feature = "secrets")]
    /// The secret the feed's cursors are signed with, fetched now. Every instance of
    /// the API reads the same one, so a cursor from one is good at any other.
    pub async fn feed_cursor_secret(&self) -> EnvResult<Vec<u8>> {
        self.long_secret(
            FEED_CURSOR_SECRET_ARN_VAR,
            "the secret the feed's cursors are signed with",
        )
        .await
    }

    #[cfg(feature = "secrets")]
    /// A generated secret, named by `variable`, fetched now.
    async fn long_secret(
        &self,
        variable: &'static str,
        purpose: &'static str,
    ) -> EnvResult<Vec<u8>> {
        let arn = self.required(variable, purpose)?;
        let secret = self
            .secret_string(arn, purpose)
            .await
            .map_err(|source| EnvironmentError::Invalid { variable, source })?;
        // A generated secret is 64 characters; anything short is a misconfiguration.
        if secret.len() < 32 {
            return Err(EnvironmentError::Invalid {
                variable,
                source: PortError::Invalid(format!("{purpose}: shorter than 32 bytes").into()),
            });
        }
        Ok(secret.into_bytes())
    }

    #[cfg(feature = "secrets")]
    /// The key the device channels are named with, derived from its secret (fetched
    /// now). The API (which tells a device its channel) and notify (which publishes on it)
    /// read the same one.
    pub async fn device_channels(&self) -> EnvResult<DeviceChannels> {
        let secret = self
            .long_secret(
                DEVICE_CHANNEL_SECRET_ARN_VAR,
                "the secret the device channels are named with",
            )
            .await?;
        Ok(DeviceChannels::derived_from(&secret))
    }

    #[cfg(feature = "secrets")]
    async fn secret_string(&self, arn: &str, what: &str) -> Result<String, PortError> {
        let client = aws_sdk_secretsmanager::Client::new(&self.sdk);
        let output = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| port_error(&format!("reading {what}"), e))?;
        output
            .secret_string
            .ok_or_else(|| PortError::Invalid(format!("{what} holds no text").into()))
    }
}

#[cfg(all(
    test,
    feature = "s3",
    feature = "sqs",
    feature = "step-functions",
    feature = "secrets",
    feature = "postgres"
))]
mod tests {
    use super::*;
    use aws_config::{BehaviorVersion, Region};

    fn environment(vars: &[(&str, &str)]) -> AwsEnvironment {
        let sdk = SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .behavior_version(BehaviorVersion::latest())
            .build();
        AwsEnvironment::from_parts(
            sdk,
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    fn missing_variable<T>(result: EnvResult<T>) -> &'static str {
        match result {
            Err(EnvironmentError::Missing { variable, .. }) => variable,
            Err(other) => panic!("expected a missing variable, got {other}"),
            Ok(_) => panic!("expected a missing variable"),
        }
    }

    #[test]
    fn each_adapter_names_the_variable_it_lacks() {
        let empty = environment(&[("WISAW_BUCKET", "  ")]);
        assert_eq!(missing_variable(empty.blobs()), BUCKET_VAR);
        assert_eq!(missing_variable(empty.ingest_queue()), INGEST_QUEUE_URL_VAR);
        assert_eq!(
            missing_variable(empty.dead_letter_queue()),
            DEAD_LETTER_QUEUE_URL_VAR
        );
        assert_eq!(
            missing_variable(empty.orchestrator()),
            STATE_MACHINE_ARN_VAR
        );
        let message = empty.blobs().err().unwrap().to_string();
        assert!(message.contains("WISAW_BUCKET"), "{message}");
    }

    #[test]
    fn a_function_starts_with_only_the_variables_it_uses() {
        let env = environment(&[(
            "WISAW_INGEST_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/wisaw-test-ingest",
        )]);
        assert_eq!(env.ingest_queue().unwrap().name(), "wisaw-test-ingest");
        assert!(env.blobs().is_err());
    }

    #[test]
    fn a_bad_state_machine_arn_is_named() {
        let env = environment(&[("WISAW_STATE_MACHINE_ARN", "wisaw-test-upload")]);
        let error = env.orchestrator().err().unwrap();
        assert!(
            matches!(
                error,
                EnvironmentError::Invalid {
                    variable: STATE_MACHINE_ARN_VAR,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[tokio::test]
    async fn the_database_comes_from_the_url_when_there_is_no_secret() {
        assert!(matches!(
            environment(&[]).postgres_settings().await,
            Err(EnvironmentError::NoDatabase)
        ));
        let env = environment(&[
            ("WISAW_DATABASE_URL", "postgres://u:p@db.example.com/photos"),
            ("WISAW_DATABASE_CA_FILE", "rds-global-bundle.pem"),
        ]);
        let settings = env.postgres_settings().await.unwrap();
        assert_eq!(settings.max_connections(), 1);
        assert_eq!(settings.connect_options().get_host(), "db.example.com");
        assert!(matches!(
            settings.connect_options().get_ssl_mode(),
            sqlx::postgres::PgSslMode::VerifyFull
        ));
        let refused = environment(&[(
            "WISAW_DATABASE_URL",
            "postgres://u:p@db.example.com/x?sslmode=disable",
        )])
        .postgres_settings()
        .await;
        assert!(matches!(
            refused,
            Err(EnvironmentError::Invalid {
                variable: DATABASE_URL_VAR,
                ..
            })
        ));
    }

    #[test]
    fn a_stage_mismatch_is_refused() {
        let env = environment(&[("WISAW_STAGE", "prod")]);
        assert!(env.check_stage("prod").is_ok());
        let error = env.check_stage("test").unwrap_err();
        assert!(error.to_string().contains("`prod`"), "{error}");
        assert!(environment(&[]).check_stage("test").is_ok());
    }
}
