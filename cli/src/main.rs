//! `wisaw`: run the whole pipeline on one machine, act as a phone, and operate it.

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use wisaw::commands::{console, dlq, executions, photo, render, serve, stage, upload};
use wisaw_console::access::TOKEN_VAR;
use wisaw_console::ConsoleOptions;
use wisaw_domain::ids::PhotoId;
use wisaw_domain::PhotoStatus;
use wisaw_local::events::DEFAULT_API_KEY;
use wisaw_local::tls::TlsOptions;
use wisaw_local::{LocalStack, StackOptions, WorkflowType, DATA_DIR_VAR, DEFAULT_DATA_DIR};
use wisaw_operator::dead_letters::DeadLetterFilter;
use wisaw_operator::replay::{ReplayRequest, DEFAULT_MAX_FAILED_REPLAYS, DEFAULT_RATE};
use wisaw_operator::{default_operator, parse_time, Failure, OperatorError, OperatorPorts};

#[derive(Parser)]
#[command(
    name = "wisaw",
    version,
    about = "The wisaw photo pipeline, on one machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API, the blob store, the queues, the state machine and the workers in one process.
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        #[command(flatten)]
        data: DataDir,
        /// The base URL phones use to reach this server (defaults to http://ADDR).
        #[arg(long)]
        public_url: Option<String>,
        /// The key the app connects to its event channel with.
        #[arg(long, env = "WISAW_EVENTS_API_KEY", default_value = DEFAULT_API_KEY)]
        events_api_key: String,
        /// A test hook: every event publish waits until this file exists.
        #[arg(long, env = "WISAW_PUBLISH_GATE", hide = true)]
        publish_gate: Option<PathBuf>,
        #[command(flatten)]
        console: ConsoleArgs,
        #[command(flatten)]
        tls: TlsArgs,
        /// How the state machine runs: `standard` (one execution per name) or `express` (a
        /// repeated start runs again, each run five minutes at most), in either letter case.
        #[arg(long, value_name = "TYPE", default_value = "standard")]
        workflow_type: WorkflowType,
    },
    /// Run a SAM template as deployed, on this machine: its functions' bootstraps behind
    /// a Lambda Runtime API, its event sources, its state machine, each AWS call held to
    /// its caller's policies, the rest played by an AWS emulator.
    Stage {
        /// The SAM template.
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
        /// Its parameters, over samconfig.toml's (KEY=VALUE ...).
        #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
        parameter_overrides: Vec<String>,
        /// samconfig.toml's environment to read parameters from.
        #[arg(long, default_value = wisaw_stage::compose::samconfig::DEFAULT_CONFIG_ENV)]
        config_env: String,
        /// The bootstraps: `cargo lambda build`'s folder (DIR/<binary>/bootstrap), or
        /// cargo's (DIR/<binary>).
        #[arg(long, default_value = "target/release")]
        functions: PathBuf,
        /// The AWS emulator that plays S3, SQS and Secrets Manager.
        #[arg(
            long,
            env = "WISAW_STAGE_AWS_ENDPOINT",
            default_value = "http://127.0.0.1:5000"
        )]
        aws_endpoint: String,
        /// The database the stage's database secret points at.
        #[arg(long, env = "WISAW_DATABASE_URL")]
        database_url: Option<String>,
        /// Write the outputs and endpoints here, as one JSON object, once the stage is ready.
        #[arg(long)]
        outputs_json: Option<PathBuf>,
        /// Where the stage keeps its executions and its certificate authority.
        #[arg(long, default_value = "./wisaw-stage")]
        data_dir: PathBuf,
        /// The address the stage's endpoints listen on.
        #[arg(long, default_value = "127.0.0.1")]
        listen: std::net::IpAddr,
    },
    /// Serve the operator console on its own port, for the local stack or a deployed stage.
    Console {
        #[arg(long, default_value = "127.0.0.1:3001")]
        addr: SocketAddr,
        #[command(flatten)]
        console: ConsoleArgs,
        #[command(flatten)]
        target: Target,
    },
    /// A photo's whole story: row, blobs, executions, dead letter, announcements.
    Photo {
        #[command(subcommand)]
        command: PhotoCommand,
        #[command(flatten)]
        target: Target,
    },
    /// Do what a phone does: ask for a ticket, upload FILE, follow it until it is done.
    Upload {
        file: PathBuf,
        #[arg(long, default_value_t = 37.7749, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, default_value_t = -122.4194, allow_hyphen_values = true)]
        lon: f64,
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        /// The uploading device (a random one when absent).
        #[arg(long)]
        device_id: Option<uuid::Uuid>,
        /// Seconds to wait for the photo to be processed.
        #[arg(long, default_value_t = 120)]
        wait: u64,
        /// Poll the photo's status instead of subscribing to the device's event channel.
        #[arg(long)]
        no_events: bool,
        /// The app's key for the event channel (AppSync Events' API key on AWS).
        #[arg(long, env = "WISAW_EVENTS_API_KEY", default_value = DEFAULT_API_KEY)]
        events_api_key: String,
        /// Trust this certificate authority beside the public ones (a `wisaw serve --tls`'s
        /// DATA_DIR/tls/ca.pem; that of ./wisaw-data, or of WISAW_DATA_DIR, when present).
        #[arg(long, env = "WISAW_TLS_CA")]
        tls_ca: Option<PathBuf>,
    },
    /// Validate FILE and write its renditions (thumb.webp, display.webp) into DIR.
    Render {
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Inspect the state machine's executions.
    Executions {
        #[command(subcommand)]
        command: ExecutionsCommand,
        #[command(flatten)]
        target: Target,
    },
    /// Inspect and replay the dead-letter queue.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Args)]
struct ConsoleArgs {
    /// The operator token the console requires (needed on any address but loopback).
    #[arg(long, env = TOKEN_VAR, hide_env_values = true)]
    console_token: Option<String>,
    /// The operator's name in the replay audit log (the OS user when absent).
    #[arg(long)]
    operator: Option<String>,
}

impl ConsoleArgs {
    fn options(self) -> ConsoleOptions {
        ConsoleOptions {
            token: self.console_token,
            operator: self.operator,
            exposed: false,
        }
    }
}

#[derive(Args)]
struct TlsArgs {
    /// Serve HTTPS and WSS on --addr (a local certificate authority in DATA_DIR/tls/
    /// issues the certificate, unless --tls-cert and --tls-key are given).
    #[arg(long)]
    tls: bool,
    /// The server's certificate chain (PEM), instead of the local authority's.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_key"])]
    tls_cert: Option<PathBuf>,
    /// The key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_cert"])]
    tls_key: Option<PathBuf>,
    /// Another name or address the local certificate covers, e.g. the LAN address a real
    /// phone uses (repeatable; localhost, 127.0.0.1, ::1 and the public URL's host always are).
    #[arg(
        long,
        value_name = "NAME",
        requires = "tls",
        conflicts_with = "tls_cert"
    )]
    tls_host: Vec<String>,
}

impl TlsArgs {
    /// The TLS to serve with, if any.
    fn options(self, addr: SocketAddr, public_url: &str) -> Result<Option<TlsOptions>> {
        if !self.tls {
            return Ok(None);
        }
        Ok(Some(match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => TlsOptions::Files { cert, key },
            _ => TlsOptions::local(public_url, Some(addr.ip()), self.tls_host)?,
        }))
    }
}

#[derive(Args)]
struct DataDir {
    /// Where the local stack keeps its databases and blobs.
    #[arg(
        long,
        global = true,
        default_value = DEFAULT_DATA_DIR,
        env = DATA_DIR_VAR
    )]
    data_dir: PathBuf,
    /// Keep the photos' metadata in this Postgres database instead of SQLite
    /// (postgres://user:password@host:port/dbname).
    #[arg(long, global = true, env = "WISAW_DATABASE_URL")]
    database_url: Option<String>,
}

/// Which pipeline an operator command acts on.
#[derive(Args)]
struct Target {
    #[command(flatten)]
    data: DataDir,
    /// Act on a deployed stage in AWS instead of the local stack (the usual AWS
    /// environment, and the stage's WISAW_* variables).
    #[arg(long, global = true)]
    aws: bool,
    /// The deployed stage (with --aws).
    #[arg(long, global = true, default_value = "test", env = "WISAW_STAGE")]
    stage: String,
}

impl Target {
    async fn ports(self) -> Result<OperatorPorts> {
        if self.aws {
            OperatorPorts::aws(&self.stage).await
        } else {
            let stack =
                LocalStack::open_for_operator(&self.data.data_dir, self.data.database_url).await?;
            Ok(stack.operator_ports())
        }
    }
}

#[derive(Subcommand)]
enum ExecutionsCommand {
    /// Newest first.
    List {
        /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Every execution of one photo, with its event history.
    Show { photo_id: PhotoId },
}

#[derive(Subcommand)]
enum PhotoCommand {
    Show {
        id: PhotoId,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DlqCommand {
    /// The photos waiting in the dead-letter queue.
    List,
    /// Send dead letters back to ingest for a new execution, at a rate, recorded in the
    /// audit log. Say which: --photo, --error, --since (together they narrow), or --all.
    Replay {
        /// Only these photos (repeatable).
        #[arg(long)]
        photo: Vec<PhotoId>,
        /// Only this error class (e.g. Wisaw.Transient, States.Timeout).
        #[arg(long)]
        error: Option<String>,
        /// Only dead letters since then (an age: 30m, 2h, 7d; or a time).
        #[arg(long)]
        since: Option<String>,
        /// Every dead letter.
        #[arg(long, conflicts_with_all = ["photo", "error", "since"])]
        all: bool,
        /// Print what would be replayed and held back, and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Photos per second.
        #[arg(long, default_value_t = DEFAULT_RATE)]
        rate: f64,
        /// Replay photos that have failed --max-failed-replays replays already, too.
        #[arg(long)]
        force: bool,
        #[arg(long, default_value_t = DEFAULT_MAX_FAILED_REPLAYS)]
        max_failed_replays: u32,
        /// The operator's name in the audit log (the OS user when absent).
        #[arg(long)]
        operator: Option<String>,
    },
}

/// An error ends the command with the code of its class (see
/// [`wisaw_operator::Failure::exit_code`]): 2 for a request to ask differently, 3 for
/// nothing by that name, 4 for a stage that could not be reached, 1 otherwise.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    wisaw::telemetry::init();
    match run(Cli::parse().command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            std::process::ExitCode::from(Failure::of(error.as_ref()).exit_code())
        }
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Stage {
            template,
            parameter_overrides,
            config_env,
            functions,
            aws_endpoint,
            database_url,
            outputs_json,
            data_dir,
            listen,
        } => {
            let options = wisaw_stage::compose::StageOptions {
                template,
                config_env,
                overrides: wisaw_stage::compose::samconfig::parse_overrides(&parameter_overrides)?,
                functions_dir: functions,
                aws_endpoint,
                database_url,
                data_dir,
                listen,
            };
            stage::run(options, outputs_json).await
        }
        Command::Serve {
            addr,
            data,
            public_url,
            events_api_key,
            publish_gate,
            console,
            tls,
            workflow_type,
        } => {
            let scheme = if tls.tls { "https" } else { "http" };
            let public_url = public_url.unwrap_or_else(|| format!("{scheme}://{addr}"));
            let tls = tls.options(addr, &public_url)?;
            let options = StackOptions {
                database_url: data.database_url,
                events_api_key,
                publish_gate,
                console: console.options(),
                tls,
                workflow_type,
                ..StackOptions::new(&public_url)
            };
            serve::run(addr, &data.data_dir, options).await
        }
        Command::Console {
            addr,
            console: args,
            target,
        } => console::run(addr, target.ports().await?, args.options()).await,
        Command::Photo { command, target } => {
            let ports = target.ports().await?;
            match command {
                PhotoCommand::Show { id, json } => {
                    print!("{}", photo::show(&ports, id, json).await?)
                }
            }
            Ok(())
        }
        Command::Upload {
            file,
            lat,
            lon,
            url,
            device_id,
            wait,
            no_events,
            events_api_key,
            tls_ca,
        } => {
            let options = upload::UploadOptions {
                api_url: url,
                lat,
                lon,
                device_id: device_id.unwrap_or_else(uuid::Uuid::new_v4),
                wait: Duration::from_secs(wait),
                progress: true,
                events_api_key: (!no_events).then_some(events_api_key),
                trust: upload::trust(tls_ca.as_deref())?,
            };
            let outcome = upload::upload(&file, &options).await?;
            if let Some((event, _)) = &outcome.event {
                eprintln!("{}", serde_json::to_string_pretty(event)?);
            }
            println!("{}", serde_json::to_string_pretty(&outcome.status)?);
            if outcome.status.status != PhotoStatus::Ready {
                std::process::exit(2);
            }
            Ok(())
        }
        Command::Render { file, out } => {
            println!("{}", render::render(&file, &out)?);
            Ok(())
        }
        Command::Executions { command, target } => {
            let ports = target.ports().await?;
            let orchestrator = ports.orchestrator.as_ref();
            let text = match command {
                ExecutionsCommand::List { status, limit } => {
                    executions::list(orchestrator, status.as_deref(), limit).await?
                }
                ExecutionsCommand::Show { photo_id } => {
                    executions::show(orchestrator, photo_id).await?
                }
            };
            print!("{text}");
            Ok(())
        }
        Command::Dlq { command, target } => {
            let ports = target.ports().await?;
            match command {
                DlqCommand::List => print!("{}", dlq::list(ports.dead_letter.as_ref()).await?),
                DlqCommand::Replay {
                    photo,
                    error,
                    since,
                    all,
                    dry_run,
                    rate,
                    force,
                    max_failed_replays,
                    operator,
                } => {
                    let since = since
                        .map(|text| parse_time(&text, chrono::Utc::now()))
                        .transpose()
                        .map_err(OperatorError::Invalid)?;
                    let filter = DeadLetterFilter {
                        error,
                        since,
                        photos: (!photo.is_empty()).then(|| photo.into_iter().collect()),
                    };
                    let operator = operator.unwrap_or_else(default_operator);
                    let request = ReplayRequest {
                        everything: all,
                        force,
                        max_failed_replays,
                        rate,
                        ..ReplayRequest::new(filter, operator)
                    };
                    print!("{}", dlq::replay(&ports, &request, dry_run).await?);
                }
            }
            Ok(())
        }
    }
}
