//! Who may use the console. On a loopback address only this machine can reach it, so it
//! answers without a token (but only to a loopback `Host`, so a web page cannot reach it
//! through a DNS name it rebinds to 127.0.0.1). On any other address every request needs
//! the operator token, as `Authorization: Bearer TOKEN` or the cookie `/console/login`
//! sets; without a token configured there, it refuses everything. Every action is a POST
//! carrying the page's CSRF token.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub const TOKEN_COOKIE: &str = "wisaw_console";
/// The environment variable the operator token may come from.
pub const TOKEN_VAR: &str = "WISAW_CONSOLE_TOKEN";

#[derive(Clone)]
pub struct ConsoleAccess {
    token: Option<String>,
    /// The address the console answers on.
    addr: SocketAddr,
    csrf: String,
    exposed: bool,
}

/// Why a request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 401: no token, or the wrong one.
    Unauthorized(&'static str),
    /// 403: a form without the page's CSRF token, or a foreign Host or Origin.
    Forbidden(&'static str),
}

impl ConsoleAccess {
    /// `exposed`: other machines reach this address through something in between (a
    /// proxy, a tunnel: `wisaw serve --public-url` elsewhere), so loopback proves nothing.
    pub fn new(addr: SocketAddr, token: Option<String>, exposed: bool) -> Self {
        let token = token.filter(|t| !t.trim().is_empty());
        // A fresh key per process: a form from a page of an earlier run is refused.
        let key: Vec<u8> = (0..2)
            .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
            .collect();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(b"console-csrf");
        let csrf = hex::encode(mac.finalize().into_bytes());
        Self {
            token,
            addr,
            csrf,
            exposed,
        }
    }

    /// The token every form of this console carries.
    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }

    /// Only this machine can reach the console.
    pub fn loopback(&self) -> bool {
        self.addr.ip().is_loopback() && !self.exposed
    }

    fn token_matches(&self, given: &str) -> bool {
        self.token
            .as_deref()
            .is_some_and(|token| bool::from(token.as_bytes().ct_eq(given.as_bytes())))
    }

    /// Whether `headers` may see the console.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        // A browser says where a request comes from: a page of another site may not
        // even look (a GET that reads the dead-letter queue holds its messages a moment).
        if headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes() == b"cross-site")
        {
            return Err(Refusal::Forbidden(
                "the console does not answer other sites' pages",
            ));
        }
        if self.token.is_none() && self.loopback() {
            if !self.host_is_loopback(headers) {
                return Err(Refusal::Forbidden(
                    "this console answers only to a loopback host name",
                ));
            }
            // A proxy in front of a loopback console would let anyone in without a token.
            if ["forwarded", "x-forwarded-for", "via"]
                .iter()
                .any(|name| headers.contains_key(*name))
            {
                return Err(Refusal::Unauthorized(
                    "this console was reached through a proxy: start it with --console-token",
                ));
            }
        }
        match (&self.token, self.loopback()) {
            (None, true) => Ok(()),
            (None, false) => Err(Refusal::Unauthorized(
                "this console is reachable beyond this machine: start it with --console-token",
            )),
            (Some(_), _) => {
                if presented_token(headers).is_some_and(|t| self.token_matches(t)) {
                    Ok(())
                } else {
                    Err(Refusal::Unauthorized(
                        "the operator token is missing or wrong",
                    ))
                }
            }
        }
    }

    fn host_is_loopback(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(is_loopback_authority)
    }

    /// Whether a form may act: its CSRF token is this console's, and an `Origin` the
    /// browser sent is this console's host.
    pub fn check_form(&self, headers: &HeaderMap, csrf: Option<&str>) -> Result<(), Refusal> {
        if !csrf.is_some_and(|given| bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes()))) {
            return Err(Refusal::Forbidden(
                "the form's CSRF token is missing or stale: reload the page",
            ));
        }
        if let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST))
        {
            let origin = origin.to_str().unwrap_or_default();
            let host = host.to_str().unwrap_or_default();
            let same = origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority == host);
            if !same {
                return Err(Refusal::Forbidden("the form came from another site"));
            }
        }
        Ok(())
    }

    /// The cookie `/console/login?token=` sets, when the token is right.
    pub fn login_cookie(&self, given: &str) -> Option<String> {
        self.token_matches(given).then(|| {
            let path = super::paths::ROOT;
            format!("{TOKEN_COOKIE}={given}; Path={path}; HttpOnly; SameSite=Strict")
        })
    }
}

/// Whether `host[:port]` names this machine: `localhost`, `127.x.x.x` or `[::1]`.
pub fn is_loopback_authority(authority: &str) -> bool {
    let name = match authority.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => authority,
    };
    name == "localhost"
        || name
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    {
        return Some(bearer.trim());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, reason) = match self {
            Self::Unauthorized(reason) => (StatusCode::UNAUTHORIZED, reason),
            Self::Forbidden(reason) => (StatusCode::FORBIDDEN, reason),
        };
        let mut response = super::pages::layout::error_page(status, reason).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"wisaw console\""
                    .parse()
                    .expect("a valid header"),
            );
        }
        response
    }
}

/// The middleware in front of every console route but the login.
pub async fn require_access(
    State(access): State<Arc<ConsoleAccess>>,
    request: Request,
    next: Next,
) -> Response {
    match access.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    /// How `access` answers a request with these headers.
    fn answer(access: &ConsoleAccess, pairs: &[(&str, &str)]) -> &'static str {
        match access.check(&headers(pairs)) {
            Ok(()) => "ok",
            Err(Refusal::Unauthorized(_)) => "unauthorized",
            Err(Refusal::Forbidden(_)) => "forbidden",
        }
    }

    #[test]
    fn loopback_needs_no_token_but_a_loopback_host() {
        let access = ConsoleAccess::new("127.0.0.1:3000".parse().unwrap(), None, false);
        assert_eq!(answer(&access, &[("host", "127.0.0.1:3000")]), "ok");
        assert_eq!(answer(&access, &[("host", "localhost:3000")]), "ok");
        assert_eq!(
            answer(&access, &[("host", "evil.example:3000")]),
            "forbidden"
        );
    }

    #[test]
    fn through_a_proxy_or_from_another_site_loopback_proves_nothing() {
        let access = ConsoleAccess::new("127.0.0.1:3000".parse().unwrap(), None, false);
        let host = ("host", "127.0.0.1:3000");
        for proxied in ["forwarded", "x-forwarded-for", "via"] {
            assert_eq!(
                answer(&access, &[host, (proxied, "for=203.0.113.9")]),
                "unauthorized"
            );
        }
        for (site, expected) in [("cross-site", "forbidden"), ("same-origin", "ok")] {
            let headers = [host, ("sec-fetch-site", site)];
            assert_eq!(answer(&access, &headers), expected, "{site}");
        }
        let exposed = ConsoleAccess::new("127.0.0.1:3000".parse().unwrap(), None, true);
        assert_eq!(answer(&exposed, &[host]), "unauthorized");
    }

    #[test]
    fn beyond_loopback_the_token_is_required() {
        let open = ConsoleAccess::new("0.0.0.0:3000".parse().unwrap(), None, false);
        assert_eq!(answer(&open, &[("host", "10.0.0.2:3000")]), "unauthorized");
        let access = ConsoleAccess::new(
            "0.0.0.0:3000".parse().unwrap(),
            Some("s3cret".into()),
            false,
        );
        let host = ("host", "10.0.0.2:3000");
        assert_eq!(answer(&access, &[host]), "unauthorized");
        for (proof, expected) in [
            (("authorization", "Bearer wrong"), "unauthorized"),
            (("authorization", "Bearer s3cret"), "ok"),
            (("cookie", "a=b; wisaw_console=s3cret"), "ok"),
        ] {
            assert_eq!(answer(&access, &[host, proof]), expected, "{proof:?}");
        }
        assert!(access.login_cookie("wrong").is_none());
        assert!(access.login_cookie("s3cret").unwrap().contains("HttpOnly"));
    }

    #[test]
    fn a_form_needs_the_csrf_token_and_its_own_origin() {
        let access = ConsoleAccess::new("127.0.0.1:3000".parse().unwrap(), None, false);
        let token = access.csrf_token().to_string();
        let own = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert_eq!(access.check_form(&own, Some(&token)), Ok(()));
        assert!(access.check_form(&own, None).is_err());
        assert!(access.check_form(&own, Some("00")).is_err());
        let foreign = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://evil.example"),
        ]);
        assert!(access.check_form(&foreign, Some(&token)).is_err());
        let other = ConsoleAccess::new("127.0.0.1:3000".parse().unwrap(), None, false);
        assert_ne!(other.csrf_token(), token);
    }
}
