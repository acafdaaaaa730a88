//! `wisaw stage`, put together: the template read with its parameters, its resources
//! created (in the AWS emulator, or stood in here), each function ready to start as
//! Lambda starts it, the state machine on the local engine, the event sources feeding
//! them, and every AWS call held to its caller's policies at the stage's front door.

mod database;
mod functions;
mod outputs;
pub mod samconfig;
mod wiring;

pub use outputs::StageOutputs;

use crate::deploy::{self, secrets, Where};
use crate::deployed::Deployed;
use crate::functions::Placement;
use crate::lambda::LocalFunction;
use crate::template::{Inputs, Pseudo, Resource, Template};
use anyhow::{Context, Result};
use aws_config::SdkConfig;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wisaw_local::tls::{ServerTls, TlsOptions};

/// The account and region the stage deploys into: the emulator's default account.
pub const REGION: &str = "us-east-1";
pub const ACCOUNT_ID: &str = "123456789012";
/// The emulator takes any credentials; the stage's own calls (creating resources,
/// polling for Lambda) use these.
const EMULATOR_KEY: &str = "test";

/// What `wisaw stage` is given.
#[derive(Clone, Debug)]
pub struct StageOptions {
    pub template: PathBuf,
    /// `samconfig.toml`'s environment whose parameters are read.
    pub config_env: String,
    /// `--parameter-overrides`, which win over samconfig.toml's.
    pub overrides: BTreeMap<String, String>,
    /// Where the bootstraps are: `cargo lambda build`'s folder, or cargo's `target/release`.
    pub functions_dir: PathBuf,
    /// The AWS emulator (S3, SQS, Secrets Manager, CloudWatch Logs).
    pub aws_endpoint: String,
    /// The database the stage's database secret points at.
    pub database_url: Option<String>,
    /// Where the stage keeps its executions and its certificate authority.
    pub data_dir: PathBuf,
    /// The address the stage's endpoints listen on.
    pub listen: IpAddr,
}

/// A running stage.
pub struct Stage {
    pub outputs: StageOutputs,
    /// The template's functions, by logical id.
    pub functions: BTreeMap<String, Arc<LocalFunction>>,
    /// Each state machine's executions.
    pub runners: Vec<Arc<wisaw_asl::LocalRunner>>,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

impl Stage {
    /// Deploys the template and starts everything it describes. Returns once every
    /// endpoint answers; functions start on their first invocation, as on Lambda.
    pub async fn start(options: StageOptions) -> Result<Stage> {
        // Each function starts in its own folder: the paths it is given must not be relative.
        let options = StageOptions {
            functions_dir: std::path::absolute(&options.functions_dir)?,
            data_dir: std::path::absolute(&options.data_dir)?,
            template: std::path::absolute(&options.template)?,
            ..options
        };
        let read = read(&options)?;
        std::fs::create_dir_all(&options.data_dir)
            .with_context(|| format!("creating {}", options.data_dir.display()))?;
        let listeners = Listeners::bind(options.listen).await?;
        let emulator = emulator_config(&options.aws_endpoint).await;
        let secrets_client = aws_sdk_secretsmanager::Client::new(&emulator);
        let parameters = parameters(
            &options,
            &read.template,
            &read.stack_name,
            &secrets_client,
            read.samconfig_parameters.clone(),
        )
        .await?;
        let mut deployed = Deployed::default();
        let inputs = inputs(&read, &parameters, &deployed)?;
        let at = Where {
            region: REGION.into(),
            account_id: ACCOUNT_ID.into(),
            events_host: listeners.events_addr.to_string(),
            events_api_key: format!("da2-{}", random_word(26)),
            seed: read.stack_name.clone(),
            s3: s3_client(&emulator),
            sqs: aws_sdk_sqs::Client::new(&emulator),
            secrets: secrets_client,
            logs: aws_sdk_cloudwatchlogs::Client::new(&emulator),
        };
        let created = deploy::deploy(&read.template, &inputs, &at, &mut deployed).await?;
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let tls = events_tls(&options, &listeners)?;
        let ca_file = tls
            .ca_path
            .clone()
            .context("the stage's authority has no certificate file")?
            .display()
            .to_string();
        let running = wiring::Wiring {
            read: &read,
            inputs: &inputs,
            deployed: &deployed,
            created: &created,
            at: &at,
            options: &options,
            emulator: &emulator,
            ca_file: &ca_file,
            shutdown: &shutdown,
        }
        .run(listeners, tls, &mut tasks)
        .await?;
        Ok(Stage {
            outputs: running.outputs,
            functions: running.functions,
            runners: running.runners,
            shutdown,
            tasks,
        })
    }

    /// Stops every endpoint, poller and function process.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// The function whose template logical id is `id`.
    pub fn function(&self, id: &str) -> Option<&Arc<LocalFunction>> {
        self.functions.get(id)
    }
}

/// The stage's listening sockets, bound before anything is deployed: the template's
/// resources are named after them (the Events API's host, for one).
pub(crate) struct Listeners {
    /// Every AWS call a function makes: the IAM front door.
    pub front: TcpListener,
    pub front_addr: SocketAddr,
    /// The Events API (TLS: the template names it `https://` and `wss://`).
    pub events: TcpListener,
    pub events_addr: SocketAddr,
    /// The Step Functions API.
    pub states: TcpListener,
    pub states_addr: SocketAddr,
}

impl Listeners {
    async fn bind(ip: IpAddr) -> Result<Self> {
        let (front, front_addr) = bind(ip).await?;
        let (events, events_addr) = bind(ip).await?;
        let (states, states_addr) = bind(ip).await?;
        Ok(Self {
            front,
            front_addr,
            events,
            events_addr,
            states,
            states_addr,
        })
    }
}

/// The Events API's certificate, from the stage's own authority (kept in the data folder
/// across restarts, so a device trusts it once).
fn events_tls(options: &StageOptions, listeners: &Listeners) -> Result<ServerTls> {
    let url = format!("https://{}", listeners.events_addr);
    let tls = TlsOptions::local(&url, Some(options.listen), Vec::new())?;
    ServerTls::prepare(&tls, &options.data_dir)
}

/// Lower-case letters and digits, as AWS's generated ids are.
pub(crate) fn random_word(length: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..length)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The emulator's client configuration.
async fn emulator_config(endpoint: &str) -> SdkConfig {
    wisaw_adapters::aws::config_loader()
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            EMULATOR_KEY,
            EMULATOR_KEY,
            None,
            None,
            "wisaw-stage",
        ))
        .load()
        .await
}

fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

async fn bind(ip: IpAddr) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((ip, 0))
        .await
        .with_context(|| format!("binding a port on {ip}"))?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// The parameters the template is deployed with: samconfig.toml's, the command line's,
/// and the database secret the stage makes when none is given.
async fn parameters(
    options: &StageOptions,
    template: &Template,
    stack_name: &str,
    secrets_client: &aws_sdk_secretsmanager::Client,
    from_samconfig: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut parameters = from_samconfig;
    parameters.extend(options.overrides.clone());
    let wants_secret = template
        .parameter_names()
        .any(|n| n == DATABASE_SECRET_PARAMETER);
    if wants_secret && !options.overrides.contains_key(DATABASE_SECRET_PARAMETER) {
        let url = options.database_url.as_deref().with_context(|| {
            format!(
                "the stage needs a database: give --database-url (or \
                 --parameter-overrides {DATABASE_SECRET_PARAMETER}=ARN)"
            )
        })?;
        let arn = secrets::put(
            secrets_client,
            &format!("{stack_name}-database"),
            &database::secret_value(url)?,
        )
        .await?;
        parameters.insert(DATABASE_SECRET_PARAMETER.into(), arn);
    }
    Ok(parameters)
}

/// The template's parameter that names the database secret.
const DATABASE_SECRET_PARAMETER: &str = "DatabaseSecretArn";

/// The resources of `kind` among those created.
fn created_of<'a>(created: &'a [Resource], kind: &'a str) -> impl Iterator<Item = &'a Resource> {
    created.iter().filter(move |r| r.kind == kind)
}

/// The template, read and resolved.
struct Read {
    template: Template,
    template_dir: PathBuf,
    stack_name: String,
    samconfig_parameters: BTreeMap<String, String>,
}

fn read(options: &StageOptions) -> Result<Read> {
    let text = std::fs::read_to_string(&options.template)
        .with_context(|| format!("reading {}", options.template.display()))?;
    let template = Template::parse(&text)?;
    let template_dir = options
        .template
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let samconfig = samconfig::read(&template_dir.join("samconfig.toml"), &options.config_env)?;
    Ok(Read {
        template,
        template_dir,
        stack_name: samconfig
            .stack_name
            .unwrap_or_else(|| "wisaw-stage".to_string()),
        samconfig_parameters: samconfig.parameters,
    })
}

/// Inputs resolved against the stage's pseudo parameters.
fn inputs(
    read: &Read,
    parameters: &BTreeMap<String, String>,
    deployed: &Deployed,
) -> Result<Inputs> {
    let pseudo = Pseudo {
        region: REGION.into(),
        account_id: ACCOUNT_ID.into(),
        stack_name: read.stack_name.clone(),
    };
    Ok(read.template.inputs(parameters, &pseudo, deployed)?)
}

/// Placement of the functions.
fn placement(options: &StageOptions) -> Placement<'_> {
    Placement {
        functions_dir: &options.functions_dir,
        region: REGION,
        account_id: ACCOUNT_ID,
        default_concurrency: 10,
    }
}
