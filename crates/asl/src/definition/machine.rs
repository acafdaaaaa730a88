//! The state machine: a whole definition, loaded from its JSON text or file with
//! its `${Name}` substitutions applied, and what the runner asks of it.

use super::fields::{check_query_language, invalid};
use super::states::{Branch, State};
use crate::error::LoadError;
use crate::substitution::{placeholders, substitute};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// A loaded, checked definition.
#[derive(Clone, Debug)]
pub struct StateMachine {
    name: String,
    root: Branch,
    /// `${Name}` placeholders no substitution replaced (left as written, as SAM does).
    unresolved: Vec<String>,
}

/// The fields the definition allows at its top, besides those of a branch.
const TOP_LEVEL_FIELDS: [&str; 2] = ["Version", "QueryLanguage"];

impl StateMachine {
    /// Loads a definition; `name` is the state machine's name (it appears in
    /// execution ids and in `$$.StateMachine.Name`).
    pub fn load(
        name: &str,
        definition: &str,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let raw: Value =
            serde_json::from_str(definition).map_err(|e| LoadError::Json(e.to_string()))?;
        Self::from_value(name, raw, substitutions)
    }

    pub fn load_file(
        name: &str,
        path: impl AsRef<Path>,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
        Self::load(name, &text, substitutions)
    }

    pub fn from_value(
        name: &str,
        raw: Value,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let raw = substitute(raw, substitutions);
        let top = raw
            .as_object()
            .ok_or_else(|| invalid(None, "the definition must be a JSON object"))?;
        check_query_language(None, top)?;
        let root = Branch::load(None, &raw, &TOP_LEVEL_FIELDS)?;
        Ok(Self {
            name: name.to_string(),
            root,
            unresolved: placeholders(&raw),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    /// The local ARN, shaped like the AWS one.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:states:local:000000000000:stateMachine:{}",
            self.name
        )
    }
    /// The `${Name}` placeholders that no substitution replaced.
    pub fn unresolved_placeholders(&self) -> &[String] {
        &self.unresolved
    }
    /// The machine's own states.
    pub fn root(&self) -> &Branch {
        &self.root
    }
    pub fn start_at(&self) -> &str {
        self.root.start_at()
    }
    pub fn state(&self, name: &str) -> Option<&State> {
        self.root.state(name)
    }
    pub fn state_names(&self) -> impl Iterator<Item = &str> {
        self.root.state_names()
    }
}
