//! The project's `template.yaml`: each function's and the state machine's role, and what
//! its policies allow and do not.

use super::{principal, pseudo, template_iam, StandIns, ACCOUNT, BUCKET, EVENTS_API_ID, REGION};
use serde_json::json;
use wisaw_stage::iam::{Context, Iam, PolicyError, Principal};
use wisaw_stage::template::Resource;

fn may(iam: &Iam, who: &str, action: &str, resource: &str, context: &Context) -> bool {
    iam.authorize(principal(iam, who), action, resource, context)
        .is_ok()
}

fn object(key: &str) -> String {
    format!("arn:aws:s3:::{BUCKET}/{key}")
}

#[test]
fn every_function_and_the_state_machine_has_a_role_of_its_own() {
    let iam = template_iam(&StandIns::default());
    let mut names: Vec<&str> = iam.principals().iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "ApiFunction",
            "DispatchFunction",
            "NotifyFunction",
            "PersistFunction",
            "ThumbnailFunction",
            "UploadStateMachine",
            "ValidateFunction"
        ]
    );
    let api = principal(&iam, "ApiFunction");
    assert_eq!(
        api.arn("aws"),
        "arn:aws:sts::123456789012:assumed-role/wisaw-test-ApiFunctionRole/wisaw-test-api"
    );
    let keys: std::collections::BTreeSet<&str> = iam
        .principals()
        .iter()
        .map(|p| p.credentials.access_key_id.as_str())
        .collect();
    assert_eq!(keys.len(), 7, "each its own key");
    assert!(keys.iter().all(|k| k.starts_with("ASIA") && k.len() == 20));
}

#[test]
fn the_thumbnail_step_writes_renditions_and_never_originals() {
    let iam = template_iam(&StandIns::default());
    let none = Context::new();
    assert!(may(
        &iam,
        "ThumbnailFunction",
        "s3:PutObject",
        &object("photos/x"),
        &none
    ));
    assert!(!may(
        &iam,
        "ThumbnailFunction",
        "s3:PutObject",
        &object("uploads/x"),
        &none
    ));
    assert!(may(
        &iam,
        "ThumbnailFunction",
        "s3:GetObject",
        &object("uploads/x"),
        &none
    ));
    assert!(!may(
        &iam,
        "ThumbnailFunction",
        "s3:GetObject",
        &object("photos/x"),
        &none
    ));
    assert!(!may(
        &iam,
        "ThumbnailFunction",
        "s3:DeleteObject",
        &object("photos/x"),
        &none
    ));
    let other_bucket = "arn:aws:s3:::wisaw-prod-123456789012-us-east-1/photos/x";
    assert!(!may(
        &iam,
        "ThumbnailFunction",
        "s3:PutObject",
        other_bucket,
        &none
    ));
}

#[test]
fn the_api_lists_only_the_photos_and_uploads_prefixes() {
    let iam = template_iam(&StandIns::default());
    let bucket = format!("arn:aws:s3:::{BUCKET}");
    let prefix = |p: &str| Context::new().with("s3:prefix", p);
    assert!(may(
        &iam,
        "ApiFunction",
        "s3:ListBucket",
        &bucket,
        &prefix("uploads/")
    ));
    assert!(may(
        &iam,
        "ApiFunction",
        "s3:ListBucket",
        &bucket,
        &prefix("photos/abc/")
    ));
    assert!(!may(
        &iam,
        "ApiFunction",
        "s3:ListBucket",
        &bucket,
        &prefix("")
    ));
    assert!(!may(
        &iam,
        "ApiFunction",
        "s3:ListBucket",
        &bucket,
        &prefix("secrets/")
    ));
    assert!(!may(
        &iam,
        "ApiFunction",
        "s3:ListBucket",
        &bucket,
        &Context::new()
    ));
    assert!(!may(
        &iam,
        "ValidateFunction",
        "s3:ListBucket",
        &bucket,
        &prefix("uploads/")
    ));
}

#[test]
fn each_role_reads_its_own_secrets_only() {
    let stand_ins = StandIns::default();
    let iam = template_iam(&stand_ins);
    let none = Context::new();
    let feed = stand_ins.references["FeedCursorSecret"].as_str().unwrap();
    let device = stand_ins.references["DeviceChannelSecret"]
        .as_str()
        .unwrap();
    let database = stand_ins.database_secret_arn.as_str();
    let get = "secretsmanager:GetSecretValue";
    assert!(may(&iam, "ApiFunction", get, feed, &none));
    assert!(may(&iam, "ApiFunction", get, device, &none));
    assert!(may(&iam, "PersistFunction", get, database, &none));
    assert!(!may(&iam, "PersistFunction", get, feed, &none));
    assert!(may(&iam, "NotifyFunction", get, device, &none));
    assert!(!may(&iam, "NotifyFunction", get, feed, &none));
    assert!(!may(&iam, "ValidateFunction", get, database, &none));
    assert!(!may(
        &iam,
        "ApiFunction",
        "secretsmanager:PutSecretValue",
        feed,
        &none
    ));
}

#[test]
fn dispatch_starts_executions_and_the_api_only_describes_them() {
    let iam = template_iam(&StandIns::default());
    let none = Context::new();
    let machine = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:wisaw-test-upload");
    let execution = format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:wisaw-test-upload:p1");
    assert!(may(
        &iam,
        "DispatchFunction",
        "states:StartExecution",
        &machine,
        &none
    ));
    assert!(!may(
        &iam,
        "ApiFunction",
        "states:StartExecution",
        &machine,
        &none
    ));
    assert!(may(
        &iam,
        "ApiFunction",
        "states:DescribeExecution",
        &execution,
        &none
    ));
    let elsewhere = format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:other:p1");
    assert!(!may(
        &iam,
        "ApiFunction",
        "states:DescribeExecution",
        &elsewhere,
        &none
    ));
    let ingest = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-ingest");
    let dead = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-dead-letter");
    assert!(may(
        &iam,
        "DispatchFunction",
        "sqs:ReceiveMessage",
        &ingest,
        &none
    ));
    assert!(may(
        &iam,
        "DispatchFunction",
        "sqs:DeleteMessage",
        &ingest,
        &none
    ));
    assert!(!may(
        &iam,
        "DispatchFunction",
        "sqs:SendMessage",
        &ingest,
        &none
    ));
    assert!(!may(
        &iam,
        "DispatchFunction",
        "sqs:ReceiveMessage",
        &dead,
        &none
    ));
    assert!(may(
        &iam,
        "UploadStateMachine",
        "sqs:SendMessage",
        &dead,
        &none
    ));
    assert!(!may(
        &iam,
        "UploadStateMachine",
        "sqs:SendMessage",
        &ingest,
        &none
    ));
}

#[test]
fn the_state_machine_invokes_its_four_functions_by_sams_lambda_invoke_policy() {
    let iam = template_iam(&StandIns::default());
    let none = Context::new();
    let function = |name: &str| format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}");
    for step in ["validate", "thumbnail", "persist", "notify"] {
        let arn = function(&format!("wisaw-test-{step}"));
        assert!(may(
            &iam,
            "UploadStateMachine",
            "lambda:InvokeFunction",
            &arn,
            &none
        ));
        // SAM's template ends in `*`: an alias or version of the function too.
        let alias = format!("{arn}:live");
        assert!(may(
            &iam,
            "UploadStateMachine",
            "lambda:InvokeFunction",
            &alias,
            &none
        ));
    }
    let api = function("wisaw-test-api");
    assert!(!may(
        &iam,
        "UploadStateMachine",
        "lambda:InvokeFunction",
        &api,
        &none
    ));
    assert!(!may(
        &iam,
        "DispatchFunction",
        "lambda:InvokeFunction",
        &function("wisaw-test-validate"),
        &none
    ));
}

#[test]
fn only_notify_publishes_and_only_on_the_devices_namespace() {
    let iam = template_iam(&StandIns::default());
    let none = Context::new();
    let namespace = |ns: &str| {
        format!("arn:aws:appsync:{REGION}:{ACCOUNT}:apis/{EVENTS_API_ID}/channelNamespace/{ns}")
    };
    assert!(may(
        &iam,
        "NotifyFunction",
        "appsync:EventPublish",
        &namespace("devices"),
        &none
    ));
    assert!(!may(
        &iam,
        "NotifyFunction",
        "appsync:EventPublish",
        &namespace("admin"),
        &none
    ));
    assert!(!may(
        &iam,
        "ApiFunction",
        "appsync:EventPublish",
        &namespace("devices"),
        &none
    ));
}

fn function_with(policies: serde_json::Value, extra: serde_json::Value) -> Resource {
    let mut properties = json!({"FunctionName": "wisaw-test-x", "Policies": policies});
    properties
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    Resource {
        logical_id: "XFunction".into(),
        kind: "AWS::Serverless::Function".into(),
        properties,
        metadata: serde_json::Value::Null,
    }
}

fn refusal(resource: &Resource) -> String {
    match Principal::from_resource(resource, &pseudo()).unwrap_err() {
        PolicyError::Unsupported(what) => what,
        other => panic!("{other:?}"),
    }
}

#[test]
fn managed_policies_and_grants_the_stage_cannot_see_are_refused_by_name() {
    let managed = refusal(&function_with(json!("AmazonS3ReadOnlyAccess"), json!({})));
    assert!(
        managed.contains("the managed policy AmazonS3ReadOnlyAccess"),
        "{managed}"
    );
    let arn = "arn:aws:iam::aws:policy/AmazonSQSFullAccess";
    let by_arn = refusal(&function_with(json!([arn]), json!({})));
    assert!(by_arn.contains(arn), "{by_arn}");
    let role = refusal(&function_with(
        json!([]),
        json!({"Role": "arn:aws:iam::123456789012:role/r"}),
    ));
    assert!(role.contains("XFunction's Role"), "{role}");
    let boundary = refusal(&function_with(
        json!([]),
        json!({"PermissionsBoundary": "arn:x"}),
    ));
    assert!(boundary.contains("PermissionsBoundary"), "{boundary}");
    let sqs_event = refusal(&function_with(
        json!([]),
        json!({"Events": {"Ingest": {"Type": "SQS", "Properties": {"Queue": "arn:q"}}}}),
    ));
    assert!(
        sqs_event.contains("AWSLambdaSQSQueueExecutionRole"),
        "{sqs_event}"
    );
    // An HTTP API or schedule event gives the role nothing: accepted.
    let quiet = function_with(
        json!([]),
        json!({"Events": {"Sweep": {"Type": "Schedule"}, "Api": {"Type": "HttpApi"}}}),
    );
    assert!(Principal::from_resource(&quiet, &pseudo()).is_ok());
    // A one-key object that is no template SAM defines is no policy.
    let unknown = function_with(
        json!([{"LambdaInvokePolicyy": {"FunctionName": "f"}}]),
        json!({}),
    );
    assert!(matches!(
        Principal::from_resource(&unknown, &pseudo()),
        Err(PolicyError::Malformed(_))
    ));
}

#[test]
fn a_policy_template_without_its_parameters_is_refused() {
    let missing = function_with(json!([{"SQSSendMessagePolicy": {}}]), json!({}));
    let error = Principal::from_resource(&missing, &pseudo()).unwrap_err();
    assert!(error.to_string().contains("QueueName"), "{error}");
}
