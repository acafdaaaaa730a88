//! An `AWS::Serverless::HttpApi` as API Gateway runs it for Lambda integrations with
//! payload format 2.0: the routes of the functions' `HttpApi` events, chosen as API
//! Gateway chooses them; the request as the function receives it; the function's answer,
//! or its failure, as the client receives it.
//!
//! Stood in: the `$default` stage; routes (`ANY`, `{param}`, `{proxy+}`, `$default`);
//! `TimeoutInMillis` (503 when the integration times out, 30 s at most); route throttling
//! from `DefaultRouteSettings` and `RouteSettings` (429); stage variables; the 10 MB
//! payload limit (413); 404 for a request no route takes; 500 for a function error
//! (its own timeout included) or a malformed answer; `apigw-requestid` on every answer.
//! Accepted and not stood in: the access log's format (each request is logged through
//! `tracing` with the usual fields instead), detailed metrics, the account-level
//! throttle. Refused by name: authorizers, CORS, OpenAPI definitions, custom domains, a
//! named stage, payload format 1.0, route settings other than throttling, an `HttpApi`
//! event without `ApiId` (SAM's implicit API). Refused as API Gateway refuses them: a
//! throttle it would not take, route settings for a route no event defines.

mod answer;
mod event;
mod gateway;
mod routes;
mod target;
mod template;
mod throttle;

pub use routes::RouteKey;
pub use target::{Invocation, Invoke};

use crate::template::{Resource, TemplateError};
use axum::extract::DefaultBodyLimit;
use axum::Router;
use gateway::{Gateway, Integration};
use std::net::SocketAddr;
use std::sync::Arc;
use template::ApiSpec;
use throttle::Throttle;
use tokio_util::sync::CancellationToken;

/// The checks [`HttpApi::from_template`] makes of an `AWS::Serverless::HttpApi`'s own
/// properties, for a step that refuses a template before anything is built: what is
/// refused by name, what is malformed.
pub fn check_api(resource: &Resource) -> Result<(), TemplateError> {
    template::api(resource).map(|_| ())
}

/// One HTTP API: its id, its settings, and the routes added to it.
pub struct HttpApi {
    spec: ApiSpec,
    gateway: Gateway,
}

impl HttpApi {
    /// The API of the template's `api` resource, with no routes yet; `api_id` is what its
    /// `Ref` resolves to (the functions' events name it as their `ApiId`).
    pub fn from_template(
        api: &Resource,
        api_id: &str,
        region: &str,
        account_id: &str,
    ) -> Result<Self, TemplateError> {
        let spec = template::api(api)?;
        let gateway = Gateway {
            id: api_id.to_string(),
            region: region.to_string(),
            account_id: account_id.to_string(),
            stage_variables: spec.stage_variables.clone(),
            routes: Default::default(),
        };
        Ok(Self { spec, gateway })
    }

    /// Adds the routes of `function`'s `HttpApi` events for this API, each integrated
    /// with `target` (the function as Lambda runs it, a `LocalFunction`). Once every
    /// function's are added, [`HttpApi::finish`] checks the API's route settings.
    pub fn with_routes_of(
        mut self,
        function: &Resource,
        target: Arc<dyn Invoke>,
    ) -> Result<Self, TemplateError> {
        for route in template::routes_of(function, &self.gateway.id)? {
            let stage_settings = self.spec.route_throttle.get(route.key.as_str());
            let throttle = route
                .throttle
                .over(stage_settings.copied().unwrap_or_default())
                .over(self.spec.default_throttle);
            let integration = Integration {
                target: target.clone(),
                timeout: route.timeout,
                throttle: Arc::new(Throttle::new(throttle)),
            };
            self.gateway
                .routes
                .add(route.key, integration)
                .map_err(|conflict| {
                    TemplateError::Malformed(format!("{}: {conflict}", function.logical_id))
                })?;
        }
        Ok(self)
    }

    /// The API with every function's routes added: refuses `RouteSettings` for a route
    /// key no event defines, as API Gateway refuses a stage's settings for a route it
    /// does not have (they would otherwise throttle nothing, unnoticed).
    pub fn finish(self) -> Result<Self, TemplateError> {
        let defined = self.route_keys();
        let unknown = self
            .spec
            .route_throttle
            .keys()
            .find(|key| !defined.contains(&key.as_str()));
        if let Some(key) = unknown {
            let routes = if defined.is_empty() {
                "none".to_string()
            } else {
                defined.join(", ")
            };
            return Err(TemplateError::Malformed(format!(
                "{}'s RouteSettings for {key}: no HttpApi event defines that route (the \
                 API's routes: {routes})",
                self.spec.logical_id
            )));
        }
        Ok(self)
    }

    /// The API's id: the host label of its `execute-api` endpoint.
    pub fn id(&self) -> &str {
        &self.gateway.id
    }

    /// The route keys, in the order they were added.
    pub fn route_keys(&self) -> Vec<&str> {
        self.gateway.routes.keys().map(RouteKey::as_str).collect()
    }

    /// Every request, whatever its method and path, as the API answers it. Serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()` for the client's address
    /// (`sourceIp`); without it, the client is taken to be this machine.
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(gateway::answer)
            .layer(DefaultBodyLimit::max(gateway::MAX_BODY))
            .with_state(Arc::new(self.gateway.clone()))
    }

    /// Serves the API on `addr` (port 0 for any free port) until the answer is dropped.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<ServedApi> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(error) = server.await {
                tracing::error!(%error, "the HTTP API stopped");
            }
        });
        Ok(ServedApi {
            url: format!("http://{addr}"),
            addr,
            shutdown,
        })
    }
}

/// An API being served: the URL that stands in for its `execute-api` endpoint.
pub struct ServedApi {
    pub url: String,
    pub addr: SocketAddr,
    shutdown: CancellationToken,
}

impl Drop for ServedApi {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
