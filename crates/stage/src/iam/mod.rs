//! IAM, enforced: every AWS call a function (or the state machine) makes is authorized
//! against the policies the template gives it, action and resource both.
//!
//! - [`Principal`]: a function's or the state machine's role, its own random credentials,
//!   and its policies as SAM gives them ([`principal`], [`sam_templates`]).
//! - [`Iam::authorize`]: identity-policy evaluation as IAM does it ([`evaluate`]): an
//!   explicit `Deny` wins, then any `Allow`, else the request is implicitly denied.
//! - [`Iam::authenticate`]: who signed a request, by its SigV4 signature checked again
//!   ([`sigv4`]).
//! - [`requests`]: what an AWS request asks (action, resource ARN, condition keys).
//! - [`front`]: the endpoint every function is given as `AWS_ENDPOINT_URL`: authenticate,
//!   classify, authorize, then forward to the emulator, or refuse as the service refuses.
//! - [`events::IamPublishAuthorizer`]: the Events endpoint's publishes, held to
//!   `appsync:EventPublish`.
//!
//! Only identity policies are evaluated: resource policies (a bucket's, a queue's),
//! permissions boundaries and session policies are not, and a template that relies on
//! them is refused where it names them (a function's `PermissionsBoundary`).

mod condition;
pub mod evaluate;
pub mod events;
pub mod front;
pub mod policy;
pub mod principal;
mod refusal;
pub mod requests;
pub mod sam_templates;
pub mod sigv4;

pub use evaluate::{Context, Decision};
pub use front::FrontDoor;
pub use policy::{Policy, PolicyError};
pub use principal::{Credentials, Principal};
pub use sigv4::AuthFailure;

use std::collections::HashMap;
use std::time::Duration;

/// Where the stage stands, for what IAM and the services know of it.
#[derive(Clone, Debug)]
pub struct Settings {
    pub partition: String,
    pub region: String,
    pub account_id: String,
    /// The Events API's id, in the ARN of its channel namespaces.
    pub events_api_id: String,
    /// How far a header signature's time may be from now: 15 minutes, as AWS allows.
    pub max_skew: Duration,
}

impl Settings {
    pub fn new(region: &str, account_id: &str, events_api_id: &str) -> Self {
        Self {
            partition: "aws".into(),
            region: region.into(),
            account_id: account_id.into(),
            events_api_id: events_api_id.into(),
            max_skew: Duration::from_secs(15 * 60),
        }
    }
}

/// A request refused by IAM, with AWS's words for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Denied {
    /// The caller: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub principal_arn: String,
    pub action: String,
    pub resource: String,
    /// A `Deny` statement matched (rather than no `Allow`).
    pub explicit: bool,
}

impl Denied {
    /// The message AWS gives: S3 quotes the resource, the other services do not.
    pub fn message(&self) -> String {
        let resource = if self.action.to_ascii_lowercase().starts_with("s3:") {
            format!("\"{}\"", self.resource)
        } else {
            self.resource.clone()
        };
        let why = if self.explicit {
            "with an explicit deny in an identity-based policy".to_string()
        } else {
            format!(
                "because no identity-based policy allows the {} action",
                self.action
            )
        };
        format!(
            "User: {} is not authorized to perform: {} on resource: {resource} {why}",
            self.principal_arn, self.action
        )
    }
}

/// The principals of a stage, and the checks made for them.
pub struct Iam {
    settings: Settings,
    principals: Vec<Principal>,
    by_name: HashMap<String, usize>,
    by_access_key: HashMap<String, usize>,
}

impl Iam {
    /// Refuses two principals of one name or one access key.
    pub fn new(settings: Settings, principals: Vec<Principal>) -> Result<Self, PolicyError> {
        let mut by_name = HashMap::new();
        let mut by_access_key = HashMap::new();
        for (index, principal) in principals.iter().enumerate() {
            if by_name.insert(principal.name.clone(), index).is_some() {
                return Err(PolicyError::Malformed(format!(
                    "two principals are named {}",
                    principal.name
                )));
            }
            let key = principal.credentials.access_key_id.clone();
            if by_access_key.insert(key, index).is_some() {
                return Err(PolicyError::Malformed(format!(
                    "{} shares its access key with another principal",
                    principal.name
                )));
            }
        }
        Ok(Self {
            settings,
            principals,
            by_name,
            by_access_key,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn principals(&self) -> &[Principal] {
        &self.principals
    }

    /// The principal of a function's or state machine's logical id.
    pub fn principal(&self, name: &str) -> Option<&Principal> {
        self.by_name.get(name).map(|&i| &self.principals[i])
    }

    pub fn by_access_key(&self, access_key_id: &str) -> Option<&Principal> {
        self.by_access_key
            .get(access_key_id)
            .map(|&i| &self.principals[i])
    }

    /// Whether `principal` may do `action` on `resource`, the request's condition keys in
    /// `context`; the caller's global keys (`aws:PrincipalArn`, `aws:PrincipalAccount`,
    /// `aws:PrincipalType`, `aws:RequestedRegion`) are added unless given.
    pub fn authorize(
        &self,
        principal: &Principal,
        action: &str,
        resource: &str,
        context: &Context,
    ) -> Result<(), Denied> {
        let mut context = context.clone();
        for (key, value) in [
            (
                "aws:PrincipalArn",
                principal.role_arn(&self.settings.partition),
            ),
            ("aws:PrincipalAccount", principal.account_id.clone()),
            ("aws:PrincipalType", "AssumedRole".to_string()),
            ("aws:RequestedRegion", self.settings.region.clone()),
        ] {
            if context.get(key).is_none() {
                context.insert(key, value);
            }
        }
        match evaluate::decide(&principal.policies, action, resource, &context) {
            Decision::Allow => Ok(()),
            decision => Err(Denied {
                principal_arn: principal.arn(&self.settings.partition),
                action: action.to_string(),
                resource: resource.to_string(),
                explicit: decision == Decision::ExplicitDeny,
            }),
        }
    }
}
