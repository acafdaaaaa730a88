//! Route selection as API Gateway does it for an HTTP API ("Routing API requests" in its
//! developer guide): a full match (literal segments, then `{param}`) before a greedy
//! `{proxy+}` match, the more literal path first, an explicit method before `ANY`; the
//! `$default` route when nothing else matches.

use axum::http::Method;
use std::cmp::Ordering;
use std::collections::HashMap;

/// A route key as API Gateway writes it: `"GET /v1/photos/{photoId}"` or `"$default"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteKey {
    text: String,
    pattern: Option<Pattern>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    /// `None` for `ANY`.
    method: Option<Method>,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    /// `{name+}`: the rest of the path, one segment or more.
    Greedy(String),
}

/// The methods a route may name, as API Gateway accepts them.
const METHODS: [&str; 8] = [
    "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

impl RouteKey {
    pub const DEFAULT: &'static str = "$default";

    /// The route of a SAM `HttpApi` event's `Method` and `Path` (`$default` with `ANY`).
    pub fn parse(method: &str, path: &str) -> Result<Self, String> {
        let method = method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(format!("the method {method} is not one API Gateway routes"));
        }
        if path == Self::DEFAULT {
            return match method.as_str() {
                "ANY" => Ok(Self::default_route()),
                _ => Err(format!("$default takes the method ANY, not {method}")),
            };
        }
        let rest = path
            .strip_prefix('/')
            .ok_or_else(|| format!("the path {path} does not start with /"))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            segments.push(
                match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) => match name.strip_suffix('+') {
                        Some(name) if i + 1 == parts.len() && !name.is_empty() => {
                            Segment::Greedy(name.to_string())
                        }
                        Some(_) => {
                            return Err(format!("{path}: a greedy variable ends the path"));
                        }
                        None if !name.is_empty() => Segment::Param(name.to_string()),
                        None => return Err(format!("{path}: a path variable has no name")),
                    },
                    // API Gateway takes a variable as a whole segment only.
                    None if part.contains(['{', '}']) => {
                        return Err(format!("{path}: a variable is a whole segment"));
                    }
                    None => Segment::Literal(part.to_string()),
                },
            );
        }
        let text = format!("{method} {path}");
        let method = match method.as_str() {
            "ANY" => None,
            named => Some(Method::from_bytes(named.as_bytes()).map_err(|e| e.to_string())?),
        };
        Ok(Self {
            text,
            pattern: Some(Pattern { method, segments }),
        })
    }

    pub fn default_route() -> Self {
        Self {
            text: Self::DEFAULT.to_string(),
            pattern: None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Two routes API Gateway would take for one: the same method and the same shape of
    /// path, whatever its variables are named.
    pub(super) fn conflicts_with(&self, other: &Self) -> bool {
        match (&self.pattern, &other.pattern) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a.method == b.method
                    && a.segments.len() == b.segments.len()
                    && a.segments.iter().zip(&b.segments).all(|pair| match pair {
                        (Segment::Literal(x), Segment::Literal(y)) => x == y,
                        (Segment::Param(_), Segment::Param(_)) => true,
                        (Segment::Greedy(_), Segment::Greedy(_)) => true,
                        _ => false,
                    })
            }
            _ => false,
        }
    }
}

/// A route that matched, with the path's variables.
pub struct Selected<'a, T> {
    pub key: &'a RouteKey,
    pub target: &'a T,
    pub path_parameters: HashMap<String, String>,
}

/// The API's routes, each with what it leads to.
#[derive(Clone)]
pub struct RouteTable<T> {
    routes: Vec<(RouteKey, T)>,
}

impl<T> Default for RouteTable<T> {
    fn default() -> Self {
        Self { routes: Vec::new() }
    }
}

impl<T> RouteTable<T> {
    /// Adds a route; one API Gateway would take for a route already here is refused.
    pub fn add(&mut self, key: RouteKey, target: T) -> Result<(), String> {
        if let Some((existing, _)) = self.routes.iter().find(|(k, _)| k.conflicts_with(&key)) {
            return Err(format!(
                "the routes {} and {} conflict",
                existing.as_str(),
                key.as_str()
            ));
        }
        self.routes.push((key, target));
        Ok(())
    }

    pub fn keys(&self) -> impl Iterator<Item = &RouteKey> {
        self.routes.iter().map(|(key, _)| key)
    }

    /// The route a request takes; `path` is the decoded path, as API Gateway routes on it.
    pub fn select(&self, method: &Method, path: &str) -> Option<Selected<'_, T>> {
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let best = self
            .routes
            .iter()
            .filter_map(|(key, target)| {
                let pattern = key.pattern.as_ref()?;
                if pattern.method.as_ref().is_some_and(|m| m != method) {
                    return None;
                }
                let parameters = pattern.matches(&segments)?;
                Some((pattern, key, target, parameters))
            })
            .max_by(|a, b| a.0.specificity(b.0));
        match best {
            Some((_, key, target, path_parameters)) => Some(Selected {
                key,
                target,
                path_parameters,
            }),
            None => self
                .routes
                .iter()
                .find(|(key, _)| key.pattern.is_none())
                .map(|(key, target)| Selected {
                    key,
                    target,
                    path_parameters: HashMap::new(),
                }),
        }
    }
}

impl Pattern {
    fn matches(&self, path: &[&str]) -> Option<HashMap<String, String>> {
        let mut parameters = HashMap::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(literal) => {
                    if path.get(i) != Some(&literal.as_str()) {
                        return None;
                    }
                }
                Segment::Param(name) => match path.get(i) {
                    Some(value) if !value.is_empty() => {
                        parameters.insert(name.clone(), value.to_string());
                    }
                    _ => return None,
                },
                Segment::Greedy(name) => {
                    let rest = path.get(i..).unwrap_or_default().join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    parameters.insert(name.clone(), rest);
                    return Some(parameters);
                }
            }
        }
        (path.len() == self.segments.len()).then_some(parameters)
    }

    fn is_greedy(&self) -> bool {
        matches!(self.segments.last(), Some(Segment::Greedy(_)))
    }

    /// Which of two matching routes API Gateway prefers (the greater).
    fn specificity(&self, other: &Self) -> Ordering {
        let rank = |segment: &Segment| match segment {
            Segment::Literal(_) => 3,
            Segment::Param(_) => 2,
            Segment::Greedy(_) => 1,
        };
        other
            .is_greedy()
            .cmp(&self.is_greedy())
            .then_with(|| {
                self.segments
                    .iter()
                    .map(rank)
                    .cmp(other.segments.iter().map(rank))
            })
            .then_with(|| self.method.is_some().cmp(&other.method.is_some()))
    }
}
