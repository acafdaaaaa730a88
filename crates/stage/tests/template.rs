//! The project's own `template.yaml` read as CloudFormation reads it, and what the stage
//! refuses by name rather than ignores.

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use wisaw_asl::WorkflowType;
use wisaw_sfn_api::{LogLevel, Logging};
use wisaw_stage::template::{Inputs, Pseudo, Resources, Template, TemplateError};

/// Resources that answer for the logical ids they know, in a recognisable shape.
struct StoodIn(BTreeSet<String>);

impl Resources for StoodIn {
    fn reference(&self, logical_id: &str) -> Option<Value> {
        self.0
            .contains(logical_id)
            .then(|| json!(format!("ref:{logical_id}")))
    }
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        // Log groups' and functions' ARNs have their shapes: the state machine's logging
        // and its Tasks (on a function's ARN) are held to them.
        let arn = |kind: &str| logical_id.ends_with(kind) && attribute == "Arn";
        let value = if arn("LogGroup") {
            format!("arn:aws:logs:us-east-1:123456789012:log-group:/stood-in/{logical_id}:*")
        } else if arn("Function") {
            format!("arn:aws:lambda:us-east-1:123456789012:function:stood-in-{logical_id}")
        } else {
            format!("att:{logical_id}.{attribute}")
        };
        self.0.contains(logical_id).then(|| json!(value))
    }
}

fn stood_in(ids: &[&str]) -> StoodIn {
    StoodIn(ids.iter().map(|id| id.to_string()).collect())
}

fn pseudo() -> Pseudo {
    Pseudo {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "wisaw-test".into(),
    }
}

fn project_template() -> Template {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    Template::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every logical id of the project's template, as resources that stand in.
fn every_resource() -> StoodIn {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let yaml: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ids: Vec<&str> = yaml["Resources"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    stood_in(&ids)
}

/// The parameters `template.yaml` has no default for.
const REQUIRED: [(&str, &str); 2] = [
    (
        "DatabaseSecretArn",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:wisaw-test-db",
    ),
    ("EventsApiKeyExpires", "1900000000"),
];

fn inputs(template: &Template, overrides: &[(&str, &str)], resources: &StoodIn) -> Inputs {
    let overrides: BTreeMap<String, String> = REQUIRED
        .iter()
        .chain(overrides)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    template.inputs(&overrides, &pseudo(), resources).unwrap()
}

fn variables(function: &Value) -> &serde_json::Map<String, Value> {
    function["Environment"]["Variables"].as_object().unwrap()
}

#[test]
fn every_function_gets_the_globals_and_its_variables_resolved() {
    let template = project_template();
    let resources = every_resource();
    let inputs = inputs(&template, &[("Stage", "test")], &resources);
    let functions = template
        .resources_of("AWS::Serverless::Function", &inputs, &resources)
        .unwrap();
    assert_eq!(functions.len(), 6, "api, dispatch and the four steps");
    for function in &functions {
        let properties = &function.properties;
        let id = &function.logical_id;
        assert_eq!(properties["Runtime"], "provided.al2023", "{id}");
        assert_eq!(properties["Architectures"], json!(["arm64"]), "{id}");
        assert_eq!(properties["LoggingConfig"]["LogFormat"], "JSON", "{id}");
        let variables = variables(properties);
        assert_eq!(
            variables["WISAW_BUCKET"], "wisaw-test-123456789012-us-east-1",
            "{id}"
        );
        assert_eq!(
            variables["WISAW_INGEST_QUEUE_URL"], "ref:IngestQueue",
            "{id}"
        );
        assert_eq!(
            variables["WISAW_STATE_MACHINE_ARN"],
            "arn:aws:states:us-east-1:123456789012:stateMachine:wisaw-test-upload",
            "{id}"
        );
        // No CDN by default: `!If [HasCdn, ..., !Ref AWS::NoValue]` leaves it out.
        assert!(!variables.contains_key("WISAW_CDN_BASE_URL"), "{id}");
        // Nothing of the template's own syntax is left.
        let text = properties.to_string();
        assert!(
            !text.contains("${") && !text.contains("Fn::"),
            "{id}: {text}"
        );
    }
}

#[test]
fn parameters_and_conditions_change_what_resolves() {
    let template = project_template();
    let resources = every_resource();
    let overrides = [("Stage", "prod"), ("CdnBaseUrl", "https://cdn.example")];
    let inputs = inputs(&template, &overrides, &resources);
    assert!(inputs.conditions["HasCdn"]);
    assert!(!inputs.conditions["HasVpc"]);
    let functions = template
        .resources_of("AWS::Serverless::Function", &inputs, &resources)
        .unwrap();
    for function in &functions {
        let variables = variables(&function.properties);
        assert_eq!(variables["WISAW_CDN_BASE_URL"], "https://cdn.example");
        assert_eq!(variables["WISAW_STAGE"], "prod");
    }
}

#[test]
fn what_the_stage_does_not_run_is_refused_by_name() {
    let resources = stood_in(&["Queue"]);
    let refused = |text: &str| -> TemplateError {
        let template = match Template::parse(text) {
            Ok(template) => template,
            Err(error) => return error,
        };
        let inputs = match template.inputs(&BTreeMap::new(), &pseudo(), &resources) {
            Ok(inputs) => inputs,
            Err(error) => return error,
        };
        template
            .resources_of("AWS::Serverless::Function", &inputs, &resources)
            .expect_err("refused")
    };
    let function = |property: &str| {
        format!("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment:\n        Variables:\n          X: {property}\n")
    };
    assert_eq!(
        refused(&function("!ImportValue shared-vpc")),
        TemplateError::Unsupported("Fn::ImportValue".into())
    );
    assert_eq!(
        refused(&function("!Ref Nowhere")),
        TemplateError::Unresolved("Ref Nowhere".into())
    );
    assert_eq!(
        refused(&function("!GetAtt Nowhere.Arn")),
        TemplateError::Unresolved("Fn::GetAtt Nowhere.Arn".into())
    );
    assert_eq!(
        refused("Mappings:\n  M: {}\nResources: {}\n"),
        TemplateError::Unsupported("the section Mappings".into())
    );
    assert_eq!(
        refused("Parameters:\n  Secret:\n    Type: String\nResources: {}\n"),
        TemplateError::MissingParameter("Secret".into())
    );
    assert!(matches!(
        refused("Conditions:\n  A: !Condition B\n  B: !Condition A\nResources: {}\n"),
        TemplateError::Unresolved(what) if what.contains("the condition")
    ));
    // What is supported resolves: `!Sub` with variables and a literal, `!Join`, `!Select`.
    let template = Template::parse(&function(
        "!Join [\"-\", [!Sub [\"${A}.${!B}\", {A: !Ref Queue}], !Select [1, !Split [\",\", \"x,y\"]]]]",
    ))
    .unwrap();
    let inputs = template
        .inputs(&BTreeMap::new(), &pseudo(), &resources)
        .unwrap();
    let resolved = template
        .resources_of("AWS::Serverless::Function", &inputs, &resources)
        .unwrap();
    assert_eq!(
        resolved[0].properties["Environment"]["Variables"]["X"],
        "ref:Queue.${B}-y"
    );
}

#[test]
fn the_state_machine_is_the_definition_file_with_the_templates_substitutions() {
    let template = project_template();
    let resources = every_resource();
    let inputs = inputs(&template, &[], &resources);
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let machines = template.state_machines(&inputs, &resources, root).unwrap();
    assert_eq!(machines.len(), 1);
    let deployed = &machines[0];
    assert_eq!(deployed.name, "wisaw-test-upload");
    // Express unless the deploy says otherwise (the parameter's default).
    assert_eq!(deployed.workflow_type, WorkflowType::Express);
    assert_eq!(deployed.machine.workflow_type(), WorkflowType::Express);
    // Every event, with its data, to the template's log group.
    assert_eq!(
        deployed.logging,
        Logging {
            level: LogLevel::All,
            include_execution_data: true,
            log_group_arn: Some(
                "arn:aws:logs:us-east-1:123456789012:log-group:/stood-in/StateMachineLogGroup:*"
                    .into()
            ),
        }
    );
    // Every `${...}` of the file substituted from the stood-in resources.
    assert!(deployed.machine.unresolved_placeholders().is_empty());
    assert!(deployed.machine.state("Validate").is_some());

    // A placeholder the template gives no value is refused by name, not deployed as text.
    let without = std::fs::read_to_string(root.join("template.yaml"))
        .unwrap()
        .replace(
            "        NotifyFunctionArn: !GetAtt NotifyFunction.Arn\n",
            "",
        );
    let template = Template::parse(&without).unwrap();
    let inputs = self::inputs(&template, &[], &resources);
    let refused = template
        .state_machines(&inputs, &resources, root)
        .err()
        .expect("refused");
    assert_eq!(
        refused,
        TemplateError::Unresolved(
            "UploadStateMachine's definition placeholder ${NotifyFunctionArn}".into()
        )
    );

    // An Express workflow runs as one, logging at the level it is given.
    let template = project_template();
    let overrides = [
        ("WorkflowType", "EXPRESS"),
        ("StateMachineLogLevel", "ERROR"),
    ];
    let inputs = self::inputs(&template, &overrides, &resources);
    let express = template
        .state_machines(&inputs, &resources, root)
        .unwrap()
        .remove(0);
    assert_eq!(express.workflow_type, WorkflowType::Express);
    assert_eq!(express.machine.workflow_type(), WorkflowType::Express);
    assert_eq!(express.logging.level, LogLevel::Error);

    // A type CloudFormation does not know is refused by name.
    let inputs = self::inputs(&template, &[], &resources);
    let unknown = std::fs::read_to_string(root.join("template.yaml"))
        .unwrap()
        .replace("      Type: !Ref WorkflowType\n", "      Type: express\n");
    let template = Template::parse(&unknown).unwrap();
    assert_eq!(
        template.state_machines(&inputs, &resources, root).err(),
        Some(TemplateError::Malformed(
            "UploadStateMachine's Type \"express\": STANDARD or EXPRESS".into()
        ))
    );
}

#[test]
fn each_function_is_configured_as_lambda_would_run_it() {
    use wisaw_stage::functions::{function_config, Placement};
    let template = project_template();
    let resources = every_resource();
    let inputs = inputs(&template, &[], &resources);
    let placement = Placement {
        functions_dir: std::path::Path::new("/functions"),
        region: "us-east-1",
        account_id: "123456789012",
        default_concurrency: 4,
    };
    let configs: BTreeMap<String, _> = template
        .resources_of("AWS::Serverless::Function", &inputs, &resources)
        .unwrap()
        .iter()
        .map(|f| {
            (
                f.logical_id.clone(),
                function_config(f, &placement).unwrap(),
            )
        })
        .collect();
    let api = &configs["ApiFunction"];
    assert_eq!(api.name, "wisaw-test-api");
    assert_eq!(
        api.bootstrap,
        std::path::Path::new("/functions/api/bootstrap")
    );
    assert_eq!((api.memory_mb, api.timeout.as_secs()), (446, 28));
    assert_eq!(api.environment["WISAW_STAGE"], "test");
    assert_eq!(
        api.arn(),
        "arn:aws:lambda:us-east-1:123456789012:function:wisaw-test-api"
    );
    let dispatch = &configs["DispatchFunction"];
    assert_eq!(
        dispatch.bootstrap,
        std::path::Path::new("/functions/dispatch/bootstrap")
    );
    assert_eq!((dispatch.memory_mb, dispatch.timeout.as_secs()), (453, 30));
    assert_eq!(configs.len(), 6);
    assert!(configs.values().all(|c| c.concurrency == 4));
}

#[test]
fn a_parameter_is_held_to_its_declaration_before_anything_is_made() {
    let template = project_template();
    let resources = every_resource();
    let refused = |overrides: &[(&str, &str)]| {
        let overrides: BTreeMap<String, String> = REQUIRED
            .iter()
            .chain(overrides)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        template
            .inputs(&overrides, &pseudo(), &resources)
            .err()
            .expect("refused")
    };
    let names = |error: &TemplateError, name: &str| matches!(error, TemplateError::InvalidParameter(n, _) if n == name);
    assert!(names(&refused(&[("Stage", "staging")]), "Stage"));
    let secret = refused(&[("DatabaseSecretArn", "hunter2")]);
    assert!(names(&secret, "DatabaseSecretArn"), "{secret}");
    assert!(
        secret
            .to_string()
            .contains("the ARN of a Secrets Manager secret"),
        "{secret}"
    );
    assert!(names(
        &refused(&[("UploadRetentionDays", "0")]),
        "UploadRetentionDays"
    ));
    assert!(names(
        &refused(&[("LogRetentionDays", "31")]),
        "LogRetentionDays"
    ));
    assert!(names(
        &refused(&[("EventsApiKeyExpires", "soon")]),
        "EventsApiKeyExpires"
    ));
    // The values the template's own samconfig and defaults give pass.
    inputs(
        &template,
        &[("Stage", "prod"), ("LogRetentionDays", "365")],
        &resources,
    );
}
