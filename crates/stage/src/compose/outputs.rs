//! What `wisaw stage` prints once it is ready: the stack's `Outputs` as CloudFormation
//! resolves them, where an output names an AWS endpoint the stage stands in for, the
//! local address that answers it; and the endpoint of each stood-in service.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The outputs and endpoints, ready to print or write.
#[derive(Clone, Debug)]
pub struct StageOutputs {
    /// In the template's order.
    pub outputs: Vec<(String, Value)>,
    /// `stepfunctions`, `s3`, `sqs`, `secretsmanager`, `events`, `httpapi`, ...
    pub endpoints: BTreeMap<String, String>,
    /// The certificate authority the stage's TLS endpoints are issued by.
    pub ca_file: String,
}

impl StageOutputs {
    /// Replaces, in every output, an AWS URL (`https://{id}.execute-api...`) by the local
    /// one that answers for it.
    pub fn rewrite(&mut self, aws_url: &str, local_url: &str) {
        for (_, value) in &mut self.outputs {
            if let Value::String(text) = value {
                if let Some(rest) = text.strip_prefix(aws_url) {
                    *text = format!("{}{rest}", local_url.trim_end_matches('/'));
                }
            }
        }
    }

    /// One JSON object: each output by name, and `Endpoints`.
    pub fn to_json(&self) -> Value {
        let mut object: Map<String, Value> = self.outputs.iter().cloned().collect();
        object.insert(
            "Endpoints".into(),
            Value::Object(
                self.endpoints
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        );
        object.insert("CaFile".into(), Value::String(self.ca_file.clone()));
        Value::Object(object)
    }

    /// As `sam deploy` lists a stack's outputs: one `Key  Value` line each, then the
    /// endpoints.
    pub fn to_text(&self) -> String {
        let width = self
            .outputs
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0)
            .max(14);
        let mut text = String::from("Outputs\n");
        for (key, value) in &self.outputs {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text.push_str(&format!("  {key:width$}  {value}\n"));
        }
        text.push_str("Endpoints\n");
        for (service, url) in &self.endpoints {
            text.push_str(&format!("  {service:width$}  {url}\n"));
        }
        text.push_str(&format!("  {:width$}  {}\n", "CaFile", self.ca_file));
        text
    }

    /// Writes the JSON whole, then renames it into place: a reader never sees half of it.
    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        let partial = path.with_extension("partial");
        std::fs::write(&partial, serde_json::to_vec_pretty(&self.to_json())?)?;
        std::fs::rename(partial, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_aws_url_is_given_as_the_local_one_that_answers_it() {
        let mut outputs = StageOutputs {
            outputs: vec![
                (
                    "ApiUrl".into(),
                    json!("https://abc.execute-api.us-east-1.amazonaws.com"),
                ),
                ("BucketName".into(), json!("photos")),
            ],
            endpoints: BTreeMap::from([("s3".into(), "http://127.0.0.1:1".into())]),
            ca_file: "ca.pem".into(),
        };
        outputs.rewrite(
            "https://abc.execute-api.us-east-1.amazonaws.com",
            "http://127.0.0.1:9/",
        );
        let json = outputs.to_json();
        assert_eq!(json["ApiUrl"], "http://127.0.0.1:9");
        assert_eq!(json["BucketName"], "photos");
        assert_eq!(json["Endpoints"]["s3"], "http://127.0.0.1:1");
        assert!(outputs.to_text().contains("BucketName      photos"));
    }
}
