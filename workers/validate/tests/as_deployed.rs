//! The `validate` bootstrap as the stage runs it: wired from `template.yaml`'s own
//! configuration for ValidateFunction, behind a Lambda Runtime API. Without a variable its
//! code needs, its init fails and its log names the variable; with them all, it serves an
//! invocation and answers a failure to reach S3 as the state machine's retryable error.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use wisaw_stage::functions::{function_config, Placement};
use wisaw_stage::lambda::{FunctionConfig, LocalFunction};
use wisaw_stage::template::{Pseudo, Resources, Template};

/// Every resource answers `Ref` and `Fn::GetAtt` with a recognisable name.
struct AnyResource;

impl Resources for AnyResource {
    fn reference(&self, logical_id: &str) -> Option<Value> {
        Some(json!(format!("http://127.0.0.1:9/{logical_id}")))
    }
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        Some(json!(format!("{logical_id}.{attribute}")))
    }
}

/// ValidateFunction's configuration from the project's template, its bootstrap this
/// package's `validate` binary.
fn validate_function() -> FunctionConfig {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let template = Template::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let overrides = BTreeMap::from([
        (
            "DatabaseSecretArn".to_string(),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db".to_string(),
        ),
        ("EventsApiKeyExpires".to_string(), "1900000000".to_string()),
    ]);
    let pseudo = Pseudo {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "wisaw-test".into(),
    };
    let inputs = template.inputs(&overrides, &pseudo, &AnyResource).unwrap();
    let functions = template
        .resources_of("AWS::Serverless::Function", &inputs, &AnyResource)
        .unwrap();
    let validate = functions
        .iter()
        .find(|f| f.logical_id == "ValidateFunction")
        .unwrap();
    let placement = Placement {
        functions_dir: std::path::Path::new("/unused"),
        region: "us-east-1",
        account_id: "123456789012",
        default_concurrency: 1,
    };
    let mut config = function_config(validate, &placement).unwrap();
    config.bootstrap = env!("CARGO_BIN_EXE_validate").into();
    config
}

fn source_image() -> Vec<u8> {
    let id = "0193a7d2-5b1c-7000-8000-000000000001";
    json!({ "photoId": id }).to_string().into_bytes()
}

#[tokio::test]
async fn without_a_variable_it_needs_the_init_fails_and_the_log_names_it() {
    let mut config = validate_function();
    assert_eq!(
        config.environment["WISAW_BUCKET"],
        "wisaw-test-123456789012-us-east-1"
    );
    config.environment.remove("WISAW_BUCKET");
    let function = LocalFunction::new(config);
    let error = function.invoke(source_image()).await.unwrap_err();
    assert_eq!(error.error_type, "Runtime.ExitError", "{error}");
    let log = function.log().join("\n");
    assert!(log.contains("WISAW_BUCKET"), "{log}");
}

#[tokio::test]
async fn with_its_variables_it_serves_and_a_store_out_of_reach_is_transient() {
    let mut config = validate_function();
    // S3 stands nowhere: every call is refused at once.
    config
        .environment
        .insert("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into());
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        config.environment.insert(name.into(), value.into());
    }
    let function = LocalFunction::new(config);
    let error = function.invoke(source_image()).await.unwrap_err();
    assert_eq!(error.error_type, "Wisaw.Transient", "{error}");
    assert_eq!(function.warm(), 1, "the environment lives on");
}
