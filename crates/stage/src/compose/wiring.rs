//! Once the resources exist: each function made ready, the state machine on the local
//! engine behind the Step Functions API (its executions logged to its log group), the
//! Events API, the HTTP APIs, the queue's event source mapping and the schedules started,
//! and the outputs resolved.

use super::functions::{local_function, Surroundings};
use super::outputs::StageOutputs;
use super::{created_of, placement, random_word, Listeners, Read, StageOptions};
use crate::deploy::Where;
use crate::deployed::Deployed;
use crate::event_sources::http_api::HttpApi;
use crate::execution_logs::ExecutionLogs;
use crate::iam::events::IamPublishAuthorizer;
use crate::iam::{Context as IamContext, FrontDoor, Iam, Principal, Settings as IamSettings};
use crate::lambda::LocalFunction;
use crate::schedule::Schedule;
use crate::sqs_mapping::{MappingSettings, SqsMapping};
use crate::state_machine_tasks::StageTasks;
use crate::template::Pseudo;
use crate::template::{deployed_machine, Inputs, Resource, TemplateError};
use anyhow::{Context, Result};
use aws_config::SdkConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wisaw_adapters::aws::DEVICE_CHANNEL_SECRET_ARN_VAR;
use wisaw_adapters::sqlite_file::open_sqlite_file;
use wisaw_asl::LocalRunner;
use wisaw_domain::events::DeviceChannels;
use wisaw_local::events::{EventsSettings, LocalEvents, PublisherKey};
use wisaw_local::http_server::transport::Transport;
use wisaw_local::http_server::{serve, HttpLimits};
use wisaw_local::tls::ServerTls;
use wisaw_sfn_api::{Logging, StepFunctionsApi};

pub(super) struct Wiring<'a> {
    pub read: &'a Read,
    pub inputs: &'a Inputs,
    pub deployed: &'a Deployed,
    pub created: &'a [Resource],
    pub at: &'a Where,
    pub options: &'a StageOptions,
    pub emulator: &'a SdkConfig,
    pub ca_file: &'a str,
    pub shutdown: &'a CancellationToken,
}

pub(super) struct Running {
    pub outputs: StageOutputs,
    pub functions: BTreeMap<String, Arc<LocalFunction>>,
    pub runners: Vec<Arc<LocalRunner>>,
}

const FUNCTION: &str = "AWS::Serverless::Function";

impl Wiring<'_> {
    pub async fn run(
        self,
        listeners: Listeners,
        tls: ServerTls,
        tasks: &mut JoinSet<()>,
    ) -> Result<Running> {
        let front_url = format!("http://{}", listeners.front_addr);
        let surroundings = Surroundings {
            aws_endpoint: front_url.clone(),
            ca_file: self.ca_file.to_string(),
        };
        let iam = Arc::new(self.iam()?);
        let placement = placement(self.options);
        let mut functions = BTreeMap::new();
        for resource in created_of(self.created, FUNCTION) {
            let role = iam
                .principal(&resource.logical_id)
                .context("a function without its role")?;
            let function = local_function(resource, &placement, &surroundings, &role.credentials)?;
            functions.insert(resource.logical_id.clone(), function);
        }

        let machines = self.state_machines(&functions, &iam, tasks).await?;
        let states = machines
            .iter()
            .fold(StepFunctionsApi::new(), |api, (runner, logging)| {
                api.serving_logged((**runner).clone(), logging.clone())
            })
            // It checks no signature: an operator on this machine only, as `wisaw serve`'s.
            .only_loopback_clients()
            .router();
        tasks.spawn(serve_plain(listeners.states, states, self.shutdown.clone()));

        let events_url = format!("https://{}", listeners.events_addr);
        let events = self.events_api(&events_url, &functions, &iam).await?;
        let front = FrontDoor::new(iam.clone())
            .upstream("s3", &self.options.aws_endpoint)
            .upstream("sqs", &self.options.aws_endpoint)
            .upstream("secretsmanager", &self.options.aws_endpoint)
            .upstream("states", &format!("http://{}", listeners.states_addr))
            .secrets(Arc::new(self.secret_arns()))
            .router();
        tasks.spawn(serve_plain(listeners.front, front, self.shutdown.clone()));
        tasks.spawn(serve_tls(
            listeners.events,
            tls,
            events.router(),
            self.shutdown.clone(),
        ));

        let mut endpoints = BTreeMap::from([
            ("s3".to_string(), self.options.aws_endpoint.clone()),
            ("sqs".to_string(), self.options.aws_endpoint.clone()),
            (
                "secretsmanager".to_string(),
                self.options.aws_endpoint.clone(),
            ),
            ("logs".to_string(), self.options.aws_endpoint.clone()),
            (
                "stepfunctions".to_string(),
                format!("http://{}", listeners.states_addr),
            ),
            (
                "events".to_string(),
                format!("https://{}", listeners.events_addr),
            ),
        ]);

        let mut rewrites = Vec::new();
        for api in created_of(self.created, "AWS::Serverless::HttpApi") {
            let served = self.http_api(api, &functions, tasks).await?;
            let identity = self
                .deployed
                .identity(&api.logical_id)
                .context("an HTTP API without its identity")?;
            if let Some(aws_url) = identity.attributes["ApiEndpoint"].as_str() {
                rewrites.push((aws_url.to_string(), served.clone()));
            }
            endpoints.insert("httpapi".to_string(), served);
        }

        for mapping in created_of(self.created, "AWS::Lambda::EventSourceMapping") {
            self.event_source_mapping(mapping, &functions, &iam, tasks)?;
        }
        for resource in created_of(self.created, FUNCTION) {
            self.schedules(resource, &functions[&resource.logical_id], tasks)?;
        }

        let mut outputs = StageOutputs {
            outputs: self.read.template.outputs(self.inputs, self.deployed)?,
            endpoints,
            ca_file: self.ca_file.to_string(),
        };
        for (aws_url, local_url) in rewrites {
            outputs.rewrite(&aws_url, &local_url);
        }
        Ok(Running {
            outputs,
            functions,
            runners: machines.into_iter().map(|(runner, _)| runner).collect(),
        })
    }

    /// Each state machine on the local engine, of its workflow type, its tasks reaching
    /// the functions as Step Functions reaches them, its executions logged as its logging
    /// says; executions a previous run left unfinished are resumed.
    async fn state_machines(
        &self,
        functions: &BTreeMap<String, Arc<LocalFunction>>,
        iam: &Arc<Iam>,
        tasks: &mut JoinSet<()>,
    ) -> Result<Vec<(Arc<LocalRunner>, Logging)>> {
        let by_arn: BTreeMap<String, Arc<LocalFunction>> = functions
            .values()
            .map(|f| (f.config().arn(), f.clone()))
            .collect();
        let mut runners = Vec::new();
        for resource in created_of(self.created, "AWS::Serverless::StateMachine") {
            let deployed = deployed_machine(resource.clone(), &self.read.template_dir)?;
            let machine = deployed
                .machine
                .with_region_and_account(&self.at.region, &self.at.account_id)?;
            let file = self
                .options
                .data_dir
                .join(format!("{}.executions.db", deployed.name));
            let pool = open_sqlite_file(&file).await?;
            let invoker = StageTasks {
                functions: by_arn.clone(),
                sqs: aws_sdk_sqs::Client::new(self.emulator),
                role: role_check(iam, &resource.logical_id)?,
                region: self.at.region.clone(),
                account_id: self.at.account_id.clone(),
            };
            let runner = Arc::new(LocalRunner::with_pool(pool, machine, Arc::new(invoker)).await?);
            // Watching before anything starts, so no execution goes unlogged.
            let logs =
                ExecutionLogs::new((*runner).clone(), &deployed.logging, self.at.logs.clone());
            if let Some(logs) = logs {
                tasks.spawn(logs.run(self.shutdown.clone()));
            }
            let resumed = runner.resume_unfinished().await?;
            if resumed > 0 {
                tracing::info!(resumed, machine = %deployed.name, "resumed unfinished executions");
            }
            runners.push((runner, deployed.logging));
        }
        Ok(runners)
    }

    /// Each function's and state machine's role, with the policies SAM gives it.
    fn iam(&self) -> Result<Iam> {
        let pseudo = Pseudo {
            region: self.at.region.clone(),
            account_id: self.at.account_id.clone(),
            stack_name: self.read.stack_name.clone(),
        };
        let mut principals = Vec::new();
        for resource in self
            .created
            .iter()
            .filter(|r| r.kind == FUNCTION || r.kind == "AWS::Serverless::StateMachine")
        {
            principals.push(Principal::from_resource(resource, &pseudo)?);
        }
        let events_api_id = created_of(self.created, "AWS::AppSync::Api")
            .find_map(|api| {
                self.deployed
                    .identity(&api.logical_id)?
                    .attributes
                    .get("ApiId")?
                    .as_str()
            })
            .unwrap_or_default();
        Ok(Iam::new(
            IamSettings::new(&self.at.region, &self.at.account_id, events_api_id),
            principals,
        )?)
    }

    /// The template's secrets by name, for a call that names one by its name.
    fn secret_arns(&self) -> BTreeMap<String, String> {
        created_of(self.created, "AWS::SecretsManager::Secret")
            .filter_map(|secret| {
                let identity = self.deployed.identity(&secret.logical_id)?;
                Some((
                    identity.attributes.get("Name")?.as_str()?.to_string(),
                    identity.reference.as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// The Events API: the local events server (the app's real-time endpoint and the
    /// HTTP publish endpoint) with the template's key, its channels named with the
    /// device-channel secret the functions read.
    async fn events_api(
        &self,
        url: &str,
        functions: &BTreeMap<String, Arc<LocalFunction>>,
        iam: &Arc<Iam>,
    ) -> Result<Arc<LocalEvents>> {
        let channels = self.device_channels(functions).await?;
        let settings = EventsSettings {
            api_key: self.at.events_api_key.clone(),
            // Replaced by IAM below: no function holds this key.
            publisher: PublisherKey {
                access_key_id: random_word(20),
                secret_access_key: random_word(40),
                region: self.at.region.clone(),
            },
            keep_alive: Duration::from_secs(60),
            init_timeout: Duration::from_secs(10),
            max_subscriptions: 100,
            max_connections: 400,
        };
        let events = LocalEvents::new(url, settings, channels)?
            .with_publish_authorizer(Arc::new(IamPublishAuthorizer::new(iam.clone())));
        Ok(Arc::new(events))
    }

    /// The key the device channels are named with: the secret the functions are told of in
    /// `WISAW_DEVICE_CHANNEL_SECRET_ARN`, read as they read it.
    async fn device_channels(
        &self,
        functions: &BTreeMap<String, Arc<LocalFunction>>,
    ) -> Result<DeviceChannels> {
        let arn = functions
            .values()
            .find_map(|f| f.config().environment.get(DEVICE_CHANNEL_SECRET_ARN_VAR).cloned())
            .with_context(|| {
                format!("no function is given {DEVICE_CHANNEL_SECRET_ARN_VAR}: the events server cannot name channels")
            })?;
        let secret = self
            .at
            .secrets
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| crate::deploy::DeployError::service(&arn, e))?
            .secret_string
            .with_context(|| format!("{arn} holds no text"))?;
        Ok(DeviceChannels::derived_from(secret.as_bytes()))
    }

    /// Serves one HTTP API with the routes of every function's events for it.
    async fn http_api(
        &self,
        api: &Resource,
        functions: &BTreeMap<String, Arc<LocalFunction>>,
        tasks: &mut JoinSet<()>,
    ) -> Result<String> {
        let api_id = self
            .deployed
            .identity(&api.logical_id)
            .and_then(|identity| identity.reference.as_str())
            .context("an HTTP API without its id")?;
        let mut http_api =
            HttpApi::from_template(api, api_id, &self.at.region, &self.at.account_id)?;
        for function in created_of(self.created, FUNCTION) {
            http_api =
                http_api.with_routes_of(function, functions[&function.logical_id].clone())?;
        }
        let http_api = http_api.finish()?;
        let listener = tokio::net::TcpListener::bind((self.options.listen, 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = http_api
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let stop = self.shutdown.clone();
        tasks.spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(error) = server.await {
                tracing::error!(%error, "the HTTP API stopped");
            }
        });
        Ok(url)
    }

    fn event_source_mapping(
        &self,
        mapping: &Resource,
        functions: &BTreeMap<String, Arc<LocalFunction>>,
        iam: &Arc<Iam>,
        tasks: &mut JoinSet<()>,
    ) -> Result<()> {
        let settings = MappingSettings::from_resource(mapping)?;
        if !settings.enabled {
            return Ok(());
        }
        let function = functions
            .values()
            .find(|f| {
                f.config().name == settings.function_name
                    || f.config().arn() == settings.function_name
            })
            .cloned()
            .ok_or_else(|| {
                TemplateError::Unresolved(format!(
                    "{}'s function {}",
                    mapping.logical_id, settings.function_name
                ))
            })?;
        let queue_url = self
            .deployed
            .find("Arn", &settings.queue_arn)
            .and_then(|queue| queue.attributes.get("QueueUrl"))
            .and_then(|url| url.as_str())
            .map(String::from)
            .ok_or_else(|| {
                TemplateError::Unsupported(format!(
                    "{}'s event source {} (not a queue of this template)",
                    mapping.logical_id, settings.queue_arn
                ))
            })?;
        let function_id = functions
            .iter()
            .find(|(_, f)| Arc::ptr_eq(f, &function))
            .map(|(id, _)| id.clone())
            .unwrap_or_default();
        let check = role_check(iam, &function_id)?;
        // Lambda checks the role when the mapping is created, and refuses the mapping.
        for action in ["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"] {
            if let Err(refusal) = check(&format!("sqs:{action}"), &settings.queue_arn) {
                anyhow::bail!(
                    "{}: the provided execution role does not have permissions to call \
                     {action} on SQS (InvalidParameterValueException): {refusal}",
                    mapping.logical_id
                );
            }
        }
        let queue_arn = settings.queue_arn.clone();
        let role: crate::sqs_mapping::RoleCheck = Arc::new(move |action| check(action, &queue_arn));
        let mapping = Arc::new(SqsMapping {
            settings,
            queue_url,
            region: self.at.region.clone(),
            sqs: aws_sdk_sqs::Client::new(self.emulator),
            function,
            role,
        });
        tasks.spawn(mapping.run(self.shutdown.clone()));
        Ok(())
    }

    fn schedules(
        &self,
        function: &Resource,
        local: &Arc<LocalFunction>,
        tasks: &mut JoinSet<()>,
    ) -> Result<()> {
        let Some(events) = function.properties["Events"].as_object() else {
            return Ok(());
        };
        for (name, event) in events {
            match event["Type"].as_str() {
                Some("Schedule") => {
                    let schedule =
                        Schedule::from_event(&function.logical_id, name, &event["Properties"])?;
                    tasks.spawn(schedule.run(local.clone(), self.shutdown.clone()));
                }
                Some("HttpApi") => {}
                other => {
                    return Err(TemplateError::Unsupported(format!(
                        "{}'s event {name} of type {other:?}",
                        function.logical_id
                    ))
                    .into())
                }
            }
        }
        Ok(())
    }
}

/// Serves `app` over plain HTTP until `shutdown`.
async fn serve_plain(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: CancellationToken,
) {
    let served = HttpLimits::default();
    if let Err(error) = serve(listener, Transport::Plain, app, served, shutdown).await {
        tracing::error!(%error, "an endpoint of the stage stopped");
    }
}

/// Serves `app` over TLS with the stage's certificate until `shutdown`.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: ServerTls,
    app: axum::Router,
    shutdown: CancellationToken,
) {
    let transport = Transport::Tls(tls.config.clone().into());
    if let Err(error) = serve(listener, transport, app, HttpLimits::default(), shutdown).await {
        tracing::error!(%error, "the Events API stopped");
    }
}

/// What a role may do, checked in the stage itself (Lambda's poller, Step Functions'
/// tasks), as IAM checks it.
fn role_check(iam: &Arc<Iam>, logical_id: &str) -> Result<crate::state_machine_tasks::RoleCheck> {
    anyhow::ensure!(
        iam.principal(logical_id).is_some(),
        "{logical_id} has no role"
    );
    let (iam, name) = (iam.clone(), logical_id.to_string());
    Ok(Arc::new(move |action, resource| {
        let principal = iam.principal(&name).expect("checked above");
        iam.authorize(principal, action, resource, &IamContext::new())
            .map_err(|denied| denied.message())
    }))
}
