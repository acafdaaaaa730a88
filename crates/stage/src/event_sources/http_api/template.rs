//! The HTTP API as the template declares it: the `AWS::Serverless::HttpApi` resource's
//! stage and route settings, and the routes of a function's `HttpApi` events. Whatever
//! would change an answer and is not run here (authorizers, CORS, an OpenAPI definition,
//! payload format 1.0, a route setting other than throttling) is refused by name.

use super::routes::RouteKey;
use super::throttle::ThrottleSettings;
use crate::template::{texts, whole_number, Resource, TemplateError};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

pub const KIND: &str = "AWS::Serverless::HttpApi";

/// The largest `ThrottlingBurstLimit` API Gateway takes.
const MAX_BURST: u64 = i32::MAX as u64;

/// API Gateway's integration timeout for a route that sets none, and its bounds.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);
const MIN_TIMEOUT_MS: u64 = 50;

/// The API's own properties the routes depend on.
pub struct ApiSpec {
    pub logical_id: String,
    pub stage_variables: HashMap<String, String>,
    pub default_throttle: ThrottleSettings,
    /// The API's `RouteSettings`, by route key.
    pub route_throttle: BTreeMap<String, ThrottleSettings>,
}

/// One route of a function's `HttpApi` event.
pub struct RouteSpec {
    pub key: RouteKey,
    pub timeout: Duration,
    /// The event's `RouteSettings`.
    pub throttle: ThrottleSettings,
}

/// Properties that change nothing a client sees. `AccessLogSettings`: each request is
/// logged through `tracing` with the fields of the usual format, not the template's.
const API_ACCEPTED: [&str; 6] = [
    "Name",
    "Description",
    "Tags",
    "PropagateTags",
    "FailOnWarnings",
    "AccessLogSettings",
];

pub fn api(resource: &Resource) -> Result<ApiSpec, TemplateError> {
    let id = &resource.logical_id;
    if resource.kind != KIND {
        return Err(TemplateError::Malformed(format!(
            "{id} is a {}, not an {KIND}",
            resource.kind
        )));
    }
    let mut spec = ApiSpec {
        logical_id: id.clone(),
        stage_variables: HashMap::new(),
        default_throttle: ThrottleSettings::default(),
        route_throttle: BTreeMap::new(),
    };
    let empty = serde_json::Map::new();
    for (name, value) in resource.properties.as_object().unwrap_or(&empty) {
        match name.as_str() {
            "StageName" => match value.as_str() {
                Some("$default") => {}
                _ => {
                    return Err(TemplateError::Unsupported(format!(
                        "{id}'s StageName {value} (the stage serves `$default`)"
                    )))
                }
            },
            "StageVariables" => {
                spec.stage_variables = texts(id, "stage variable", value)?.into_iter().collect();
            }
            "DefaultRouteSettings" => {
                spec.default_throttle = throttle(&format!("{id}'s DefaultRouteSettings"), value)?;
            }
            "RouteSettings" => {
                for (key, settings) in value.as_object().unwrap_or(&empty) {
                    let owner = format!("{id}'s RouteSettings for {key}");
                    spec.route_throttle
                        .insert(key.clone(), throttle(&owner, settings)?);
                }
            }
            "DisableExecuteApiEndpoint" if value != &Value::Bool(true) => {}
            accepted if API_ACCEPTED.contains(&accepted) => {}
            other => {
                return Err(TemplateError::Unsupported(format!(
                    "{id}'s property {other} (of {KIND})"
                )))
            }
        }
    }
    Ok(spec)
}

/// The routes `function`'s `HttpApi` events give the API whose id is `api_id`; events
/// of other APIs are theirs.
pub fn routes_of(function: &Resource, api_id: &str) -> Result<Vec<RouteSpec>, TemplateError> {
    let empty = serde_json::Map::new();
    let events = function.properties["Events"].as_object().unwrap_or(&empty);
    let mut routes = Vec::new();
    for (name, event) in events {
        if event["Type"] != "HttpApi" {
            continue;
        }
        let owner = format!("{}'s HttpApi event {name}", function.logical_id);
        let properties = event["Properties"].as_object().unwrap_or(&empty);
        match properties.get("ApiId") {
            None => {
                return Err(TemplateError::Unsupported(format!(
                    "{owner} without ApiId (SAM's implicit HttpApi)"
                )))
            }
            Some(Value::String(id)) if id == api_id => {}
            Some(_) => continue,
        }
        routes.push(route(&owner, properties)?);
    }
    Ok(routes)
}

fn route(
    owner: &str,
    properties: &serde_json::Map<String, Value>,
) -> Result<RouteSpec, TemplateError> {
    let malformed = |what: String| TemplateError::Malformed(format!("{owner}: {what}"));
    let text = |name: &str| properties.get(name).and_then(Value::as_str);
    let key = match (text("Method"), text("Path")) {
        // SAM's catch-all: an event with neither is the API's `$default` route.
        (None, None) => RouteKey::default_route(),
        (Some(method), Some(path)) => RouteKey::parse(method, path).map_err(malformed)?,
        _ => return Err(malformed("Method and Path go together".into())),
    };
    let mut spec = RouteSpec {
        key,
        timeout: MAX_TIMEOUT,
        throttle: ThrottleSettings::default(),
    };
    for (name, value) in properties {
        match name.as_str() {
            "ApiId" | "Method" | "Path" => {}
            "PayloadFormatVersion" => match value.as_str() {
                Some("2.0") => {}
                Some("1.0") => {
                    return Err(TemplateError::Unsupported(format!(
                        "{owner}'s PayloadFormatVersion 1.0"
                    )))
                }
                _ => return Err(malformed(format!("PayloadFormatVersion {value}"))),
            },
            "TimeoutInMillis" => {
                let max = MAX_TIMEOUT.as_millis() as u64;
                match whole_number(value) {
                    Some(ms) if (MIN_TIMEOUT_MS..=max).contains(&ms) => {
                        spec.timeout = Duration::from_millis(ms);
                    }
                    _ => {
                        return Err(malformed(format!(
                            "TimeoutInMillis {value} (from {MIN_TIMEOUT_MS} to {max})"
                        )))
                    }
                }
            }
            "RouteSettings" => {
                spec.throttle = throttle(&format!("{owner}'s RouteSettings"), value)?
            }
            // `NONE` opts a route out of a default authorizer, which is refused anyway.
            "Auth" if value == &serde_json::json!({"Authorizer": "NONE"}) => {}
            "Auth" => {
                return Err(TemplateError::Unsupported(format!(
                    "{owner}'s Auth (authorizers)"
                )))
            }
            other => return Err(TemplateError::Unsupported(format!("{owner}'s {other}"))),
        }
    }
    Ok(spec)
}

/// A route settings object: throttling is run; detailed metrics are accepted (they
/// change no answer, and are not kept); anything else is refused.
fn throttle(owner: &str, settings: &Value) -> Result<ThrottleSettings, TemplateError> {
    let mut throttle = ThrottleSettings::default();
    let empty = serde_json::Map::new();
    for (name, value) in settings.as_object().unwrap_or(&empty) {
        let malformed = |takes: &str| {
            TemplateError::Malformed(format!(
                "{owner}'s {name} is {value}: API Gateway takes {takes}"
            ))
        };
        match name.as_str() {
            // A Double in API Gateway's model: text may spell what no JSON number is.
            "ThrottlingRateLimit" => {
                let rate = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                };
                let rate = rate.filter(|r| r.is_finite() && *r >= 0.0);
                throttle.rate = Some(rate.ok_or_else(|| malformed("a finite number from 0"))?);
            }
            // An Integer in API Gateway's model: 32 bits.
            "ThrottlingBurstLimit" => {
                let burst = whole_number(value).filter(|b| *b <= MAX_BURST);
                let takes = format!("a whole number from 0 to {MAX_BURST}");
                throttle.burst = Some(burst.ok_or_else(|| malformed(&takes))?);
            }
            "DetailedMetricsEnabled" => {}
            other => return Err(TemplateError::Unsupported(format!("{owner}'s {other}"))),
        }
    }
    Ok(throttle)
}
