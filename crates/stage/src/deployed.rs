//! What the stage has created so far, as the template refers to it: each resource's
//! `Ref` value and its `Fn::GetAtt` attributes, as CloudFormation gives them for its type.

use crate::template::Resources;
use serde_json::Value;
use std::collections::BTreeMap;

/// One created resource's answers to `Ref` and `Fn::GetAtt`.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    pub reference: Value,
    pub attributes: BTreeMap<String, Value>,
}

impl Identity {
    pub fn new(reference: impl Into<Value>) -> Self {
        Self {
            reference: reference.into(),
            attributes: BTreeMap::new(),
        }
    }

    pub fn with(mut self, attribute: &str, value: impl Into<Value>) -> Self {
        self.attributes.insert(attribute.to_string(), value.into());
        self
    }
}

/// The created resources, by logical id.
#[derive(Clone, Debug, Default)]
pub struct Deployed {
    identities: BTreeMap<String, Identity>,
}

impl Deployed {
    pub fn record(&mut self, logical_id: &str, identity: Identity) {
        self.identities.insert(logical_id.to_string(), identity);
    }

    pub fn contains(&self, logical_id: &str) -> bool {
        self.identities.contains_key(logical_id)
    }

    pub fn identity(&self, logical_id: &str) -> Option<&Identity> {
        self.identities.get(logical_id)
    }

    /// The resource whose `attribute` is `value` (a queue by its `Arn`, say).
    pub fn find(&self, attribute: &str, value: &str) -> Option<&Identity> {
        self.identities.values().find(|identity| {
            identity.attributes.get(attribute).and_then(|v| v.as_str()) == Some(value)
        })
    }
}

impl Resources for Deployed {
    fn reference(&self, logical_id: &str) -> Option<Value> {
        Some(self.identities.get(logical_id)?.reference.clone())
    }

    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        self.identities
            .get(logical_id)?
            .attributes
            .get(attribute)
            .cloned()
    }
}
