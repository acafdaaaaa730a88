//! What the stage does with each property of a resource type: runs it, or accepts it as
//! not stood in (`docs/deploy.md` says what that leaves untested). Any other property is
//! refused by name, so that nothing in a template is silently ignored.

use crate::template::{Resource, TemplateError};

/// A resource type's properties, as the stage treats them.
pub struct Treatment {
    pub kind: &'static str,
    /// Run as AWS runs them.
    pub run: &'static [&'static str],
    /// Accepted and not run.
    pub not_stood_in: &'static [&'static str],
}

impl Treatment {
    /// Refuses the resource if it has a property the stage neither runs nor lists.
    pub fn check(&self, resource: &Resource) -> Result<(), TemplateError> {
        let Some(properties) = resource.properties.as_object() else {
            return Ok(());
        };
        for name in properties.keys() {
            if !self.run.contains(&name.as_str()) && !self.not_stood_in.contains(&name.as_str()) {
                return Err(TemplateError::Unsupported(format!(
                    "{}'s property {name} (of {})",
                    resource.logical_id, self.kind
                )));
            }
        }
        Ok(())
    }
}
