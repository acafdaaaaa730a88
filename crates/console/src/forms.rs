//! The console's query strings and forms, read into the operator's filters. A value that
//! cannot be read is a 400 that names it, never a silent default.

use super::PageError;
use chrono::Utc;
use std::collections::BTreeSet;
use wisaw_domain::ids::PhotoId;

use wisaw_operator::dead_letters::DeadLetterFilter;
use wisaw_operator::executions::{parse_status, ExecutionFilter};
use wisaw_operator::parse_time;

/// The pairs of a query string or a form body, in order (keys may repeat).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(encoded: &[u8]) -> Self {
        Self(form_urlencoded::parse(encoded).into_owned().collect())
    }

    pub fn of_query(query: Option<&str>) -> Self {
        Self::parse(query.unwrap_or_default().as_bytes())
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .flat_map(|(_, value)| value.split([',', ' ', '\n', '\r', '\t']))
            .filter(|value| !value.is_empty())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v != "0" && v != "false")
    }

    pub fn number(&self, name: &str, default: f64) -> Result<f64, PageError> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| PageError::bad_request(format!("{name}: `{text}` is not a number"))),
        }
    }

    /// A page number, 1 when absent; anything but a whole number from 1 is a 400.
    pub fn page(&self) -> Result<usize, PageError> {
        match self.get("page") {
            None => Ok(1),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|page| (1..=1_000_000).contains(page))
                .ok_or_else(|| {
                    PageError::bad_request(format!("page: `{text}` is not a page number"))
                }),
        }
    }

    fn time(&self, name: &str) -> Result<Option<chrono::DateTime<Utc>>, PageError> {
        self.get(name)
            .map(|text| {
                parse_time(text, Utc::now())
                    .map_err(|e| PageError::bad_request(format!("{name}: {e}")))
            })
            .transpose()
    }

    pub fn execution_filter(&self) -> Result<ExecutionFilter, PageError> {
        let status = match self.get("status") {
            None => None,
            Some(text) => Some(parse_status(text)?),
        };
        Ok(ExecutionFilter {
            status,
            from: self.time("from")?,
            to: self.time("to")?,
            name: self.get("q").map(str::to_string),
        })
    }

    pub fn dead_letter_filter(&self) -> Result<DeadLetterFilter, PageError> {
        let photos: BTreeSet<PhotoId> = self
            .all("photo")
            .map(|id| {
                id.parse::<PhotoId>()
                    .map_err(|_| PageError::bad_request(format!("photo: `{id}` is not a photo id")))
            })
            .collect::<Result<_, _>>()?;
        Ok(DeadLetterFilter {
            error: self.get("error").map(str::to_string),
            since: self.time("since")?,
            photos: (!photos.is_empty()).then_some(photos),
        })
    }

    /// The query string that asks for the same filters again (for links).
    pub fn encode_without(&self, skip: &str) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &self.0 {
            if key != skip && key != "csrf" && !value.is_empty() {
                out.append_pair(key, value);
            }
        }
        out.finish()
    }
}
