//! What a definition may be: features refused by name, transitions to missing states,
//! the upload definition and its substitutions.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use wisaw_asl::{LoadError, StateMachine};

/// Why a fixture that must not load is refused.
fn fixture_error(file: &str) -> LoadError {
    StateMachine::load_file("m", fixture_path(file), &HashMap::new()).unwrap_err()
}

/// The error's message names each of `words`.
fn assert_names(error: &LoadError, words: &[&str]) {
    let message = error.to_string();
    assert!(
        words.iter().all(|word| message.contains(word)),
        "{words:?} in {message}"
    );
}

#[test]
fn unsupported_features_are_refused_at_load_by_name() {
    let error = fixture_error("unsupported_distributed_map.asl.json");
    assert!(matches!(error, LoadError::Unsupported { .. }), "{error:?}");
    assert_names(&error, &["ExecutionType", "EachPhoto"]);

    let task = |extra: Value| {
        let mut state =
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
        state
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"StartAt": "S", "States": {"S": state}})
    };
    let cases = [
        (
            json!({"StartAt": "S", "States": {"S": {"Type": "Map", "End": true,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "A",
                                  "States": {"A": {"Type": "Succeed"}}}}}}),
            "Map mode DISTRIBUTED",
        ),
        (
            json!({"StartAt": "S", "States": {"S": {"Type": "Map", "End": true, "ItemReader": {},
                "ItemProcessor": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}}}),
            "ItemReader",
        ),
        (
            json!({"StartAt": "S", "States": {"S": {"Type": "Fail", "ErrorPath": "$.e"}}}),
            "ErrorPath",
        ),
        (task(json!({"HeartbeatSeconds": 10})), "HeartbeatSeconds"),
        (
            task(json!({"Credentials": {"RoleArn": "r"}})),
            "Credentials",
        ),
        (task(json!({"ItemsPath": "$.items"})), "ItemsPath"),
        (task(json!({"QueryLanguage": "JSONata"})), "JSONata"),
        (
            task(json!({"Parameters": {"text.$": "States.Translate('{}', $.a)"}})),
            "States.Translate",
        ),
        (
            task(json!({"Resource": "arn:aws:states:::dynamodb:putItem"})),
            "dynamodb:putItem",
        ),
        (
            task(json!({"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"})),
            "waitForTaskToken",
        ),
    ];
    for (definition, feature) in cases {
        let error = load_inline(definition).unwrap_err();
        assert!(
            matches!(error, LoadError::Unsupported { .. }),
            "{feature}: {error:?}"
        );
        assert_names(&error, &[feature, "\"S\""]);
    }

    let jsonata = load_inline(
        json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
    );
    assert!(jsonata.unwrap_err().to_string().contains("JSONata"));
}

#[test]
fn transitions_to_missing_states_are_refused_at_load() {
    let error = fixture_error("missing_next.asl.json");
    assert!(matches!(error, LoadError::MissingState { .. }), "{error:?}");
    assert_names(&error, &["Nowhere", "Start"]);

    let cases = [
        (
            json!({"StartAt": "Nope", "States": {"S": {"Type": "Succeed"}}}),
            "Nope",
        ),
        (
            json!({"StartAt": "S", "States": {
                "S": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "T"}], "Default": "Gone"},
                "T": {"Type": "Succeed"}}}),
            "Gone",
        ),
        (
            json!({"StartAt": "S", "States": {"S": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Lost"}]}}}),
            "Lost",
        ),
    ];
    for (definition, target) in cases {
        let error = load_inline(definition).unwrap_err();
        assert!(
            matches!(&error, LoadError::MissingState { target: t, .. } if t == target),
            "{error:?}"
        );
    }
}

#[test]
fn the_upload_definition_loads_with_its_substitutions_and_names_what_is_missing() {
    let machine =
        StateMachine::load_file("upload", upload_definition(), &upload_substitutions()).unwrap();
    assert_eq!(machine.start_at(), "Validate");
    assert!(machine.state("SendToDeadLetterQueue").is_some());
    assert!(machine.unresolved_placeholders().is_empty());

    // As SAM does, a placeholder without a substitution stays as written; the
    // caller sees which ones did (the local stack refuses to start then).
    let mut partial = upload_substitutions();
    partial.remove("DeadLetterQueueUrl");
    let machine = StateMachine::load_file("upload", upload_definition(), &partial).unwrap();
    assert_eq!(
        machine.unresolved_placeholders(),
        ["DeadLetterQueueUrl".to_string()]
    );
    // One that leaves a Task without a function to call cannot load: refused by its name.
    let mut partial = upload_substitutions();
    partial.remove("NotifyFunctionArn");
    let error = StateMachine::load_file("upload", upload_definition(), &partial).unwrap_err();
    assert!(
        matches!(&error, LoadError::Unresolved { placeholders, .. } if placeholders == &["NotifyFunctionArn"]),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("${NotifyFunctionArn}"),
        "{error}"
    );
}

#[test]
fn the_definition_text_is_kept_as_written_with_its_substitutions_applied() {
    let function = "arn:aws:lambda:us-east-1:123456789012:function:echo";
    let substitutions = HashMap::from([("EchoArn".to_string(), function.to_string())]);
    let text = r#"{
  "Comment": "kept as written",
  "StartAt": "Call",
  "States": {
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "${EchoArn}", "Payload.$": "$"}, "End": true}
  }
}
"#;
    let machine = StateMachine::load("m", text, &substitutions).unwrap();
    assert_eq!(machine.definition(), text.replace("${EchoArn}", function));

    // Built from a value, it is that value's JSON, substituted.
    let value: Value = serde_json::from_str(text).unwrap();
    let built = StateMachine::from_value("m", value, &substitutions).unwrap();
    let read: Value = serde_json::from_str(built.definition()).unwrap();
    assert_eq!(
        read["States"]["Call"]["Parameters"]["FunctionName"],
        function
    );
    assert_eq!(read["Comment"], "kept as written");
}
