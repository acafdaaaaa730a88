//! IAM, enforced: policies evaluated as IAM evaluates them, the template's own policies,
//! SAM's policy templates against SAM's, SigV4 checked against the SDK's own signatures,
//! and the front door with the SDK's clients (against the emulator when there is one).

mod evaluation;
mod events;
mod front_door;
mod sam_templates;
mod signatures;
mod template_policies;

use crate::support::project_resources;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use wisaw_stage::iam::{FrontDoor, Iam, Principal, Settings};
use wisaw_stage::template::Resources;
use wisaw_testkit::aws_emulator;

pub use crate::support::{pseudo, ACCOUNT, REGION};

pub const EVENTS_API_ID: &str = "wisawevents01";
/// The bucket the template names for the `test` stage.
pub const BUCKET: &str = "wisaw-test-123456789012-us-east-1";

pub fn settings() -> Settings {
    Settings::new(REGION, ACCOUNT, EVENTS_API_ID)
}

/// What the template's `Ref` and `Fn::GetAtt` give: the values the policies name, as
/// AWS would give them, and a recognisable stand-in for the rest.
pub struct StandIns {
    pub references: BTreeMap<String, Value>,
    pub attributes: BTreeMap<String, Value>,
    /// The `DatabaseSecretArn` parameter.
    pub database_secret_arn: String,
}

impl Default for StandIns {
    fn default() -> Self {
        let queue = |name: &str| format!("arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-{name}");
        let secret = |name: &str| {
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:wisaw-test-{name}-AbCdEf")
        };
        let references = [
            ("ValidateFunction", json!("wisaw-test-validate")),
            ("ThumbnailFunction", json!("wisaw-test-thumbnail")),
            ("PersistFunction", json!("wisaw-test-persist")),
            ("NotifyFunction", json!("wisaw-test-notify")),
            ("FeedCursorSecret", json!(secret("feed-cursor"))),
            ("DeviceChannelSecret", json!(secret("device-channel"))),
        ];
        let attributes = [
            ("IngestQueue.Arn", json!(queue("ingest"))),
            ("DeadLetterQueue.Arn", json!(queue("dead-letter"))),
            ("EventsApi.ApiId", json!(EVENTS_API_ID)),
        ];
        Self {
            references: references
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            attributes: attributes
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            database_secret_arn: secret("database"),
        }
    }
}

impl Resources for StandIns {
    fn reference(&self, logical_id: &str) -> Option<Value> {
        Some(
            self.references
                .get(logical_id)
                .cloned()
                .unwrap_or_else(|| json!(format!("ref-{logical_id}"))),
        )
    }
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        Some(
            self.attributes
                .get(&format!("{logical_id}.{attribute}"))
                .cloned()
                .unwrap_or_else(|| json!(format!("att-{logical_id}-{attribute}"))),
        )
    }
}

/// The principals of the project's `template.yaml`, its references given by `stand_ins`.
pub fn template_iam(stand_ins: &StandIns) -> Iam {
    let mut principals = Vec::new();
    for kind in ["AWS::Serverless::Function", "AWS::Serverless::StateMachine"] {
        for resource in project_resources(kind, &stand_ins.database_secret_arn, stand_ins) {
            principals.push(Principal::from_resource(&resource, &pseudo()).unwrap());
        }
    }
    Iam::new(settings(), principals).unwrap()
}

/// A front door on a port of its own; its URL.
pub async fn serve(door: FrontDoor) -> String {
    serve_router(door.router()).await
}

pub async fn serve_router(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// The SDK's configuration for `principal`'s session, its calls sent to `endpoint`.
pub async fn sdk_config(endpoint: &str, principal: &Principal) -> aws_config::SdkConfig {
    let credentials = &principal.credentials;
    sdk_config_with(
        endpoint,
        &credentials.access_key_id,
        &credentials.secret_access_key,
        Some(&credentials.session_token),
    )
    .await
}

/// The emulator's configuration, its calls sent to `endpoint`, signed with these credentials.
pub async fn sdk_config_with(
    endpoint: &str,
    access_key_id: &str,
    secret: &str,
    session_token: Option<&str>,
) -> aws_config::SdkConfig {
    let token = session_token.map(str::to_string);
    let credentials = Credentials::new(access_key_id, secret, token, None, "test");
    let config = aws_emulator::config(endpoint).await.into_builder();
    config
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// An S3 client that addresses buckets by path, as the stage's functions do.
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// The principal of a logical id.
pub fn principal<'a>(iam: &'a Iam, name: &str) -> &'a Principal {
    iam.principal(name)
        .unwrap_or_else(|| panic!("no principal {name}"))
}
