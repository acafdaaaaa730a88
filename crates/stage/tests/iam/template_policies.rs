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

/// `(principal, action, resource, allowed)`: whether each principal may do each action on
/// each resource, with no condition keys.
type Grant<'a> = (&'a str, &'a str, &'a str, bool);

fn assert_grants(iam: &Iam, grants: &[Grant<'_>]) {
    let none = Context::new();
    for &(who, action, resource, allowed) in grants {
        let decided = may(iam, who, action, resource, &none);
        assert_eq!(decided, allowed, "{who} {action} {resource}");
    }
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
    let (photo, upload) = (object("photos/x"), object("uploads/x"));
    let other_bucket = "arn:aws:s3:::wisaw-prod-123456789012-us-east-1/photos/x";
    #[rustfmt::skip]
    let grants: &[Grant] = &[
        ("ThumbnailFunction", "s3:PutObject", &photo, true),
        ("ThumbnailFunction", "s3:PutObject", &upload, false),
        ("ThumbnailFunction", "s3:GetObject", &upload, true),
        ("ThumbnailFunction", "s3:GetObject", &photo, false),
        ("ThumbnailFunction", "s3:DeleteObject", &photo, false),
        ("ThumbnailFunction", "s3:PutObject", other_bucket, false),
    ];
    assert_grants(&iam, grants);
}

#[test]
fn the_api_lists_only_the_photos_and_uploads_prefixes() {
    let iam = template_iam(&StandIns::default());
    let bucket = format!("arn:aws:s3:::{BUCKET}");
    // The principal, the `s3:prefix` of its listing (none: a listing without one).
    for (who, prefix, allowed) in [
        ("ApiFunction", Some("uploads/"), true),
        ("ApiFunction", Some("photos/abc/"), true),
        ("ApiFunction", Some(""), false),
        ("ApiFunction", Some("secrets/"), false),
        ("ApiFunction", None, false),
        // Validate may list the bucket, so that S3 answers a missing original with 404.
        ("ValidateFunction", None, true),
        ("PersistFunction", Some("uploads/"), false),
    ] {
        let mut context = Context::new();
        if let Some(prefix) = prefix {
            context.insert("s3:prefix", prefix);
        }
        let decided = may(&iam, who, "s3:ListBucket", &bucket, &context);
        assert_eq!(decided, allowed, "{who} {prefix:?}");
    }
}

#[test]
fn each_role_reads_its_own_secrets_only() {
    let stand_ins = StandIns::default();
    let iam = template_iam(&stand_ins);
    let feed = stand_ins.references["FeedCursorSecret"].as_str().unwrap();
    let device = stand_ins.references["DeviceChannelSecret"]
        .as_str()
        .unwrap();
    let database = stand_ins.database_secret_arn.as_str();
    let get = "secretsmanager:GetSecretValue";
    #[rustfmt::skip]
    let grants: &[Grant] = &[
        ("ApiFunction", get, feed, true),
        ("ApiFunction", get, device, true),
        ("PersistFunction", get, database, true),
        ("PersistFunction", get, feed, false),
        ("NotifyFunction", get, device, true),
        ("NotifyFunction", get, feed, false),
        ("ValidateFunction", get, database, false),
        ("ApiFunction", "secretsmanager:PutSecretValue", feed, false),
    ];
    assert_grants(&iam, grants);
}

#[test]
fn dispatch_starts_executions_and_the_api_only_describes_them() {
    let iam = template_iam(&StandIns::default());
    let states = format!("arn:aws:states:{REGION}:{ACCOUNT}");
    let machine = format!("{states}:stateMachine:wisaw-test-upload");
    let execution = format!("{states}:execution:wisaw-test-upload:p1");
    let elsewhere = format!("{states}:execution:other:p1");
    let ingest = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-ingest");
    let dead = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-dead-letter");
    #[rustfmt::skip]
    let grants: &[Grant] = &[
        ("DispatchFunction", "states:StartExecution", &machine, true),
        ("ApiFunction", "states:StartExecution", &machine, false),
        ("ApiFunction", "states:DescribeExecution", &execution, true),
        ("ApiFunction", "states:DescribeExecution", &elsewhere, false),
        ("DispatchFunction", "sqs:ReceiveMessage", &ingest, true),
        ("DispatchFunction", "sqs:DeleteMessage", &ingest, true),
        ("DispatchFunction", "sqs:SendMessage", &ingest, false),
        ("DispatchFunction", "sqs:ReceiveMessage", &dead, false),
        ("UploadStateMachine", "sqs:SendMessage", &dead, true),
        ("UploadStateMachine", "sqs:SendMessage", &ingest, false),
    ];
    assert_grants(&iam, grants);
}

#[test]
fn the_state_machine_invokes_its_four_functions_by_sams_lambda_invoke_policy() {
    let iam = template_iam(&StandIns::default());
    let function =
        |name: &str| format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:wisaw-test-{name}");
    let invoke = "lambda:InvokeFunction";
    for step in ["validate", "thumbnail", "persist", "notify"] {
        let arn = function(step);
        // SAM's template ends in `*`: an alias or version of the function too.
        let alias = format!("{arn}:live");
        assert_grants(
            &iam,
            &[
                ("UploadStateMachine", invoke, &arn, true),
                ("UploadStateMachine", invoke, &alias, true),
            ],
        );
    }
    #[rustfmt::skip]
    let grants: &[Grant] = &[
        ("UploadStateMachine", invoke, &function("api"), false),
        ("DispatchFunction", invoke, &function("validate"), false),
    ];
    assert_grants(&iam, grants);
}

#[test]
fn only_notify_publishes_and_only_on_the_devices_namespace() {
    let iam = template_iam(&StandIns::default());
    let namespace = |ns: &str| {
        format!("arn:aws:appsync:{REGION}:{ACCOUNT}:apis/{EVENTS_API_ID}/channelNamespace/{ns}")
    };
    let publish = "appsync:EventPublish";
    #[rustfmt::skip]
    let grants: &[Grant] = &[
        ("NotifyFunction", publish, &namespace("devices"), true),
        ("NotifyFunction", publish, &namespace("admin"), false),
        ("ApiFunction", publish, &namespace("devices"), false),
    ];
    assert_grants(&iam, grants);
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
