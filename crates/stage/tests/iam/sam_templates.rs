//! SAM's policy templates: the embedded copy is SAM's file, and each template expands as
//! aws-sam-translator itself expands it (read from the project's Python environment when
//! there is one, as in CI).

use super::pseudo;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use wisaw_stage::iam::sam_templates;

const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python");

/// The installed aws-sam-translator's answer to `script`, as JSON; `None` (after saying
/// so) without the environment, unless the tests are required to have it.
fn sam(script: &str, test: &str) -> Option<Value> {
    if !Path::new(PYTHON).exists() {
        assert!(
            std::env::var("WISAW_REQUIRE_AWS_EMULATOR").as_deref() != Ok("1"),
            "WISAW_REQUIRE_AWS_EMULATOR=1 but there is no {PYTHON} with aws-sam-translator"
        );
        eprintln!("skipped {test}: no {PYTHON} with aws-sam-translator");
        return None;
    }
    let output = Command::new(PYTHON).arg("-c").arg(script).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

/// Each template's parameters given `value-of-NAME`.
fn sample_values(name: &str) -> Value {
    let file: Value = serde_json::from_str(sam_templates::POLICY_TEMPLATES_JSON).unwrap();
    let parameters = file["Templates"][name]["Parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    parameters
        .keys()
        .map(|p| (p.clone(), json!(format!("value-of-{p}"))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[test]
fn the_embedded_templates_are_the_installed_sam_translators() {
    let script = r#"
import json, sys
import samtranslator
from samtranslator import policy_templates_data
print(json.dumps({"version": samtranslator.__version__,
                  "file": json.load(open(policy_templates_data.POLICY_TEMPLATES_FILE))}))
"#;
    let Some(reference) = sam(
        script,
        "the_embedded_templates_are_the_installed_sam_translators",
    ) else {
        return;
    };
    let embedded: Value = serde_json::from_str(sam_templates::POLICY_TEMPLATES_JSON).unwrap();
    assert_eq!(embedded, reference["file"], "copy SAM's file again");
    let version = reference["version"].as_str().unwrap();
    assert!(
        sam_templates::SOURCE.contains(&format!("aws-sam-translator {version},")),
        "{} names another version than {version}",
        sam_templates::SOURCE
    );
}

#[test]
fn every_template_expands_as_sam_expands_it() {
    let script = r#"
import json, sys
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor
processor = PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())
out = {}
for name, template in processor.policy_templates.items():
    values = {p: "value-of-" + p for p in template.parameters}
    out[name] = processor.convert(name, values)
print(json.dumps(out))
"#;
    let Some(reference) = sam(script, "every_template_expands_as_sam_expands_it") else {
        return;
    };
    let reference = reference.as_object().unwrap();
    let ours: Vec<&str> = sam_templates::names().collect();
    assert_eq!(ours.len(), reference.len());
    for name in ours {
        let expanded = sam_templates::expand(name, &sample_values(name)).unwrap();
        assert_eq!(&expanded, &reference[name], "{name}");
        // And CloudFormation resolves every one of them.
        sam_templates::resolve(name, &expanded, &pseudo())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn lambda_invoke_policy_allows_invoking_the_function_its_aliases_and_versions() {
    let values = json!({"FunctionName": "wisaw-test-validate"});
    let document = sam_templates::document("LambdaInvokePolicy", &values, &pseudo()).unwrap();
    assert_eq!(
        document,
        json!({"Statement": [{
            "Action": ["lambda:InvokeFunction"],
            "Effect": "Allow",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:wisaw-test-validate*"
        }]})
    );
    // SAM's own expansion leaves CloudFormation its Fn::Sub.
    let script = r#"
import json
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor
processor = PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())
print(json.dumps(processor.convert("LambdaInvokePolicy", {"FunctionName": "wisaw-test-validate"})))
"#;
    let Some(reference) = sam(
        script,
        "lambda_invoke_policy_allows_invoking_the_function_its_aliases_and_versions",
    ) else {
        return;
    };
    assert_eq!(
        sam_templates::expand("LambdaInvokePolicy", &values).unwrap(),
        reference
    );
}

#[test]
fn a_template_is_refused_without_its_parameters_and_ignores_others() {
    let error = sam_templates::expand("LambdaInvokePolicy", &json!({"Name": "x"})).unwrap_err();
    assert!(error.to_string().contains("FunctionName"), "{error}");
    let with_extra = json!({"FunctionName": "f", "Other": "ignored"});
    assert!(sam_templates::expand("LambdaInvokePolicy", &with_extra).is_ok());
    assert!(sam_templates::expand("NoSuchPolicy", &json!({})).is_err());
}
