//! The front door: the endpoint every function is given as `AWS_ENDPOINT_URL`. Each
//! request is authenticated (its SigV4 signature names a principal, and is checked
//! again), classified (the action, resource and condition keys it asks), authorized
//! against the principal's policies, then forwarded unchanged (method, path, query,
//! headers, body) to the upstream of its service (the signature scope's service: `s3`,
//! `sqs`, ...), whose answer is streamed back. A refusal is answered as the service
//! refuses ([`super::refusal`]).

use super::refusal::Rejection;
use super::requests::{self, Incoming, NotClassified, Protocol, SecretArns};
use super::sigv4::Received;
use super::Iam;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method};
use axum::response::Response;
use axum::Router;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;
use wisaw_adapters::aws::sigv4::Claim;

/// The most of a body read to check its signature or classify it (an S3 upload whose
/// payload is unsigned streams through unread, whatever its size).
const DEFAULT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Headers of one connection, not of the request: never forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
];

/// The front door's settings: IAM, and the upstream of each service.
pub struct FrontDoor {
    iam: Arc<Iam>,
    upstreams: BTreeMap<String, String>,
    secrets: Arc<dyn SecretArns>,
    body_limit: usize,
    http: reqwest::Client,
}

impl FrontDoor {
    /// A front door with no upstream yet: every service is refused until given one.
    pub fn new(iam: Arc<Iam>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client without TLS settings builds");
        Self {
            iam,
            upstreams: BTreeMap::new(),
            secrets: Arc::new(BTreeMap::<String, String>::new()),
            body_limit: DEFAULT_BODY_LIMIT,
            http,
        }
    }

    /// Requests signed for `service` (`s3`, `sqs`, `secretsmanager`, `states`,
    /// `appsync`) go to `base_url` (`http://127.0.0.1:5000`), their path and query after it.
    pub fn upstream(mut self, service: &str, base_url: &str) -> Self {
        self.upstreams.insert(
            service.to_string(),
            base_url.trim_end_matches('/').to_string(),
        );
        self
    }

    /// The secrets' full ARNs by name, for Secrets Manager's requests by name.
    pub fn secrets(mut self, secrets: Arc<dyn SecretArns>) -> Self {
        self.secrets = secrets;
        self
    }

    /// The most of a body read (64 MiB unless told).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Every path, every method: the router to serve.
    pub fn router(self) -> Router {
        Router::new().fallback(pass).with_state(Arc::new(self))
    }
}

/// What the service speaks when the signature does not say which service it is.
fn guessed_protocol(headers: &HeaderMap) -> Protocol {
    requests::protocol_of("", headers)
}

async fn pass(State(door): State<Arc<FrontDoor>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str();
    let head = parts.method == Method::HEAD;
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let headers = &parts.headers;
    let unread = Received {
        method,
        path_and_query,
        headers,
        body: None,
    };

    let signer = match door.iam.signer(&unread) {
        Ok(signer) => signer,
        Err(failure) => {
            let protocol = match Claim::read(&unread) {
                Ok(Some(claim)) => requests::protocol_of(&claim.service, headers),
                _ => guessed_protocol(headers),
            };
            return Rejection::Auth(failure).answer(protocol, head);
        }
    };
    let service = signer.claim.service.clone();
    let protocol = requests::protocol_of(&service, headers);
    let refuse = |rejection: Rejection| rejection.answer(protocol, head);
    let Some(upstream) = door.upstreams.get(&service) else {
        return refuse(Rejection::NotClassified(NotClassified::Unknown(format!(
            "the service {service}"
        ))));
    };

    let (read, unread_body) =
        if signer.needs_body() || requests::needs_body(&service, method, query) {
            match axum::body::to_bytes(body, door.body_limit).await {
                Ok(bytes) => (Some(bytes), None),
                Err(_) => return refuse(Rejection::TooLarge(door.body_limit)),
            }
        } else {
            (None, Some(body))
        };
    let received = Received {
        body: read.as_deref(),
        ..unread
    };
    if let Err(failure) = signer.verify(&received, SystemTime::now(), &door.iam) {
        return refuse(Rejection::Auth(failure));
    }
    if let Err(why) = forwarded_as_sent(path_and_query) {
        return refuse(Rejection::NotClassified(NotClassified::Malformed(why)));
    }
    let incoming = Incoming {
        method,
        path,
        query,
        headers,
        body: read.as_deref(),
    };
    let operation = match requests::classify(
        &service,
        &incoming,
        door.iam.settings(),
        door.secrets.as_ref(),
    ) {
        Ok(operation) => operation,
        Err(why) => return refuse(Rejection::NotClassified(why)),
    };
    for ask in &operation.asks {
        // The front door is plain HTTP.
        let context = ask.context.clone().with("aws:SecureTransport", "false");
        if let Err(denied) =
            door.iam
                .authorize(signer.principal, &ask.action, &ask.resource, &context)
        {
            tracing::info!(principal = %signer.principal.name, operation = %operation.name, "{denied}");
            return refuse(Rejection::Denied(denied));
        }
    }
    tracing::debug!(principal = %signer.principal.name, operation = %operation.name, "allowed");

    let body = match (read, unread_body) {
        (Some(bytes), _) => reqwest::Body::from(bytes),
        (None, Some(body)) => reqwest::Body::wrap_stream(body.into_data_stream()),
        (None, None) => reqwest::Body::from(Vec::new()),
    };
    let mut forwarded = door
        .http
        .request(parts.method.clone(), format!("{upstream}{path_and_query}"));
    for (name, value) in headers {
        if !is_hop_by_hop(name) {
            forwarded = forwarded.header(name, value);
        }
    }
    let answer = match forwarded.body(body).send().await {
        Ok(answer) => answer,
        Err(error) => {
            return refuse(Rejection::Upstream(format!(
                "The stage's {service} did not answer: {error}"
            )))
        }
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !is_hop_by_hop(name) {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap_or_else(|error| {
            refuse(Rejection::Upstream(format!(
                "The stage's {service} answered what cannot be passed on: {error}"
            )))
        })
}

/// Refuses a target the upstream would not be sent as it came. IAM authorizes the path
/// as sent, but the forwarding client parses it as a URL, which resolves `.` and `..`
/// segments (`%2e` spelled ones too) and reads `\` as `/`: `photos/../uploads/p1` would
/// be authorized as a key under `photos/` and written as `uploads/p1`. S3 takes such a
/// path literally, as a key with dots in it; but this client cannot send it so, and no
/// key the pipeline names has a dot segment, so it is refused rather than forwarded as
/// another request. The bytes the client percent-encodes decode to what was sent, so
/// the two are compared decoded.
fn forwarded_as_sent(path_and_query: &str) -> Result<(), String> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let changed = || {
        format!(
            "the path `{path}` would reach the service as another: it has a `.` or `..` \
             segment (`%2e` too) or a `\\`, which HTTP clients resolve"
        )
    };
    let url =
        reqwest::Url::parse(&format!("http://upstream{path_and_query}")).map_err(|_| changed())?;
    let decoded = |text: &str| urlencoding::decode_binary(text.as_bytes()).into_owned();
    let same_path = decoded(url.path()) == decoded(path);
    let same_query = decoded(url.query().unwrap_or_default()) == decoded(query);
    if same_path && same_query {
        Ok(())
    } else {
        Err(changed())
    }
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}
