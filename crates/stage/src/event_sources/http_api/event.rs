//! The request as API Gateway hands it to a function with payload format 2.0, as AWS's
//! "Working with AWS Lambda proxy integrations for HTTP APIs" shows it and as live events
//! have it: header names lower-case, a name's values joined with commas, cookies moved to
//! `cookies`; `rawPath` and `requestContext.http.path` percent-decoded (an HTTP API
//! decodes them, unlike a function URL), `rawQueryString` as sent, `queryStringParameters`
//! decoded as a form is (`+` a space) with repeated values joined with commas; the body
//! base64-encoded unless its content type is text.

use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST, USER_AGENT};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::IpAddr;

/// The request as received, and what API Gateway knows of it.
pub struct Received<'a> {
    pub parts: &'a Parts,
    pub body: &'a [u8],
    /// The path, decoded: what the route was chosen on.
    pub path: &'a str,
    pub source_ip: IpAddr,
    pub request_id: &'a str,
    pub at: DateTime<Utc>,
}

/// The API the request came through.
pub struct Api<'a> {
    pub id: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
    pub stage_variables: &'a HashMap<String, String>,
}

/// The matched route.
pub struct Route<'a> {
    pub key: &'a str,
    pub path_parameters: HashMap<String, String>,
}

/// The event's JSON, as the function receives it.
pub fn payload(received: &Received, api: &Api, route: Route) -> Vec<u8> {
    let event = event(received, api, route);
    let mut json = serde_json::to_value(&event).expect("an event serializes");
    if let Some(fields) = json.as_object_mut() {
        // The type also models authorizer payloads; a proxy event has none of these.
        for field in AUTHORIZER_FIELDS {
            fields.remove(field);
        }
        let no_variables = fields.get("stageVariables").and_then(|v| v.as_object());
        if no_variables.is_some_and(|v| v.is_empty()) {
            fields.remove("stageVariables");
        }
    }
    json.to_string().into_bytes()
}

const AUTHORIZER_FIELDS: [&str; 6] = [
    "type",
    "methodArn",
    "httpMethod",
    "identitySource",
    "authorizationToken",
    "resource",
];

/// Content types whose bodies API Gateway passes as text; any other body, and one
/// without a content type (even a form), is base64-encoded.
const TEXT_TYPES: [&str; 3] = [
    "application/json",
    "application/xml",
    "application/javascript",
];

fn event(received: &Received, api: &Api, route: Route) -> ApiGatewayV2httpRequest {
    let parts = received.parts;
    let (headers, cookies) = headers(received);
    let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
    let default_domain = format!("{}.execute-api.{}.amazonaws.com", api.id, api.region);
    // The domain the client called, as API Gateway reports a custom domain's.
    let domain_name = host.unwrap_or(&default_domain).to_string();
    let domain_prefix = domain_name
        .parse::<Authority>()
        .map(|a| a.host().split('.').next().unwrap_or_default().to_string())
        .unwrap_or_else(|_| api.id.to_string());

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(received.path.to_string());
    http.protocol = Some(format!("{:?}", parts.version));
    http.source_ip = Some(received.source_ip.to_string());
    http.user_agent = Some(
        parts
            .headers
            .get(USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default(),
    );

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route.key.to_string());
    context.account_id = Some(api.account_id.to_string());
    context.stage = Some("$default".to_string());
    context.request_id = Some(received.request_id.to_string());
    context.apiid = Some(api.id.to_string());
    context.domain_name = Some(domain_name);
    context.domain_prefix = Some(domain_prefix);
    context.time = Some(received.at.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = received.at.timestamp_millis();
    context.http = http;

    let raw_query = parts.uri.query().unwrap_or_default();
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_string());
    event.route_key = Some(route.key.to_string());
    event.raw_path = Some(received.path.to_string());
    event.raw_query_string = Some(raw_query.to_string());
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.query_string_parameters = QueryMap::from(query);
    event.path_parameters = route.path_parameters;
    event.stage_variables = api.stage_variables.clone();
    event.request_context = context;
    if !received.body.is_empty() {
        let text = is_text(&parts.headers);
        event.body = Some(match text {
            true => String::from_utf8_lossy(received.body).into_owned(),
            false => base64::engine::general_purpose::STANDARD.encode(received.body),
        });
        event.is_base64_encoded = !text;
    }
    event.headers = headers;
    event
}

/// One value per name, the values joined with commas; the cookies apart; and the headers
/// API Gateway adds on the way (`x-forwarded-*`, `x-amzn-trace-id`).
fn headers(received: &Received) -> (HeaderMap, Vec<String>) {
    let sent = &received.parts.headers;
    let mut headers = HeaderMap::with_capacity(sent.keys_len() + 4);
    let mut cookies = Vec::new();
    for name in sent.keys() {
        let values = sent
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()));
        if name == COOKIE {
            for value in values {
                let pairs = value.split(';').map(str::trim).filter(|c| !c.is_empty());
                cookies.extend(pairs.map(str::to_string));
            }
            continue;
        }
        let joined = values.collect::<Vec<_>>().join(",");
        if let Ok(value) = HeaderValue::from_str(&joined) {
            headers.insert(name.clone(), value);
        }
    }
    let ip = received.source_ip.to_string();
    let forwarded_for = match sent.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {ip}"),
        None => ip,
    };
    let authority = sent
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<Authority>().ok());
    let scheme = received.parts.uri.scheme_str().unwrap_or("http");
    let default_port = if scheme == "https" { 443 } else { 80 };
    let port = authority.and_then(|a| a.port_u16()).unwrap_or(default_port);
    let added = [
        ("x-forwarded-for", forwarded_for),
        ("x-forwarded-port", port.to_string()),
        ("x-forwarded-proto", scheme.to_string()),
    ];
    for (name, value) in added {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if !headers.contains_key("x-amzn-trace-id") {
        let trace = format!(
            "Root=1-{:08x}-{:024x}",
            received.at.timestamp(),
            uuid::Uuid::new_v4().as_u128() >> 32
        );
        headers.insert(
            "x-amzn-trace-id",
            HeaderValue::from_str(&trace).expect("ASCII"),
        );
    }
    (headers, cookies)
}

fn is_text(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/") || TEXT_TYPES.contains(&essence.as_str())
}
