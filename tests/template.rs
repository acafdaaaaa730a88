//! The SAM template and the state machine definition read together: what one
//! refers to, the other has. A mismatch here would only show up in AWS, as a
//! failed deploy or an execution that cannot call its step.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace")
        .to_path_buf()
}

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Template {
    doc: Yaml,
}

impl Template {
    fn load() -> Self {
        // CloudFormation's short forms (`!Ref`, `!GetAtt`, `!Sub`) stay as tagged values.
        let doc = serde_norway::from_str(&read("template.yaml")).expect("template.yaml is YAML");
        Self { doc }
    }

    fn resources(&self) -> BTreeMap<String, &Yaml> {
        self.doc["Resources"]
            .as_mapping()
            .expect("Resources")
            .iter()
            .map(|(k, v)| (k.as_str().expect("logical id").to_string(), v))
            .collect()
    }

    fn resource(&self, id: &str) -> &Yaml {
        &self.doc["Resources"][id]
    }

    fn of_type(&self, kind: &str) -> BTreeMap<String, &Yaml> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .collect()
    }

    fn functions(&self) -> BTreeMap<String, &Yaml> {
        self.of_type("AWS::Serverless::Function")
    }

    fn state_machine(&self) -> (String, &Yaml) {
        let machines = self.of_type("AWS::Serverless::StateMachine");
        assert_eq!(machines.len(), 1, "one state machine");
        machines.into_iter().next().unwrap()
    }

    /// A property of the function, or of `Globals.Function` when it has none.
    fn function_property<'a>(&'a self, function: &'a Yaml, name: &str) -> &'a Yaml {
        match &function["Properties"][name] {
            Yaml::Null => &self.doc["Globals"]["Function"][name],
            own => own,
        }
    }
}

/// The resource a `!GetAtt Id.Attr`, `!Ref Id` or `Fn::GetAtt: [Id, Attr]` points at.
fn referenced_resource(value: &Yaml) -> Option<String> {
    match value {
        Yaml::Tagged(tagged) => {
            let inner = tagged.value.as_str()?;
            match tagged.tag.to_string().as_str() {
                "!Ref" => Some(inner.to_string()),
                "!GetAtt" => inner.split('.').next().map(str::to_string),
                _ => None,
            }
        }
        Yaml::Mapping(map) => {
            let (key, inner) = map.iter().next()?;
            match key.as_str()? {
                "Ref" => inner.as_str().map(str::to_string),
                "Fn::GetAtt" => inner[0].as_str().map(str::to_string),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The `${Name}` placeholders of a definition, with the `${}` removed.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after.find('}').expect("an unclosed ${ in the definition");
        found.insert(after[..end].to_string());
        rest = &after[end + 1..];
    }
    found
}

struct Definition {
    text: String,
    json: Json,
}

impl Definition {
    fn load(template: &Template) -> Self {
        let (_, machine) = template.state_machine();
        let uri = machine["Properties"]["DefinitionUri"]
            .as_str()
            .expect("DefinitionUri is a path in the repository");
        let text = read(uri);
        let json = serde_json::from_str(&text).expect("the definition is JSON");
        Self { text, json }
    }

    /// Every Task state, by name.
    fn tasks(&self) -> Vec<(&str, &Json)> {
        self.json["States"]
            .as_object()
            .expect("States")
            .iter()
            .filter(|(_, s)| s["Type"] == "Task")
            .map(|(name, s)| (name.as_str(), s))
            .collect()
    }
}

fn substitutions(template: &Template) -> BTreeMap<String, &Yaml> {
    let (_, machine) = template.state_machine();
    machine["Properties"]["DefinitionSubstitutions"]
        .as_mapping()
        .expect("DefinitionSubstitutions")
        .iter()
        .map(|(k, v)| (k.as_str().expect("a name").to_string(), v))
        .collect()
}

/// The function a Task calls, as a template logical id.
fn task_function(template: &Template, state: &Json) -> String {
    let name = invoked_function(state).expect("a Task invoking a function");
    let key = name
        .strip_prefix("${")
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or_else(|| panic!("function {name} is not a substitution"));
    let value = substitutions(template)
        .remove(key)
        .unwrap_or_else(|| panic!("{key} is not substituted"));
    referenced_resource(value).unwrap_or_else(|| panic!("{key} does not refer to a resource"))
}

/// The function a Task invokes, as the definition names it: its `Resource` (a function's
/// ARN) or, through `lambda:invoke`, its `FunctionName`. `None` for other services.
fn invoked_function(state: &Json) -> Option<&str> {
    match state["Resource"].as_str()? {
        "arn:aws:states:::lambda:invoke" => state["Parameters"]["FunctionName"].as_str(),
        resource if resource.ends_with("FunctionArn}") => Some(resource),
        _ => None,
    }
}

/// The binaries the workspace builds: the `[[bin]]` names of each member.
fn workspace_binaries() -> BTreeSet<String> {
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).expect("Cargo.toml");
    let members = manifest["workspace"]["members"]
        .as_array()
        .expect("workspace members");
    members
        .iter()
        .filter_map(toml::Value::as_str)
        .flat_map(package_binaries)
        .collect()
}

/// The binaries the package in `folder` declares.
fn package_binaries(folder: &str) -> BTreeSet<String> {
    let package: toml::Table = toml::from_str(&read(&format!("{folder}/Cargo.toml")))
        .unwrap_or_else(|e| panic!("{folder}/Cargo.toml: {e}"));
    let declared = package.get("bin").and_then(toml::Value::as_array);
    declared
        .into_iter()
        .flatten()
        .map(|bin| bin["name"].as_str().expect("a binary's name").to_string())
        .collect()
}

#[test]
fn every_placeholder_of_the_definition_is_substituted_and_every_substitution_used() {
    let template = Template::load();
    let definition = Definition::load(&template);
    let used = placeholders(&definition.text);
    let given: BTreeSet<String> = substitutions(&template).into_keys().collect();
    assert!(!used.is_empty(), "the definition has no placeholders");
    let missing: Vec<_> = used.difference(&given).collect();
    assert!(missing.is_empty(), "not substituted: {missing:?}");
    let unused: Vec<_> = given.difference(&used).collect();
    assert!(unused.is_empty(), "substituted but never used: {unused:?}");
}

#[test]
fn every_function_builds_a_binary_of_the_workspace() {
    let template = Template::load();
    let binaries = workspace_binaries();
    let functions = template.functions();
    assert_eq!(
        functions.len(),
        6,
        "api, dispatch and the four steps: {:?}",
        functions.keys()
    );
    for (id, function) in functions {
        let metadata = &function["Metadata"];
        assert_eq!(
            metadata["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id}"
        );
        let binary = metadata["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names no binary"));
        assert!(
            binaries.contains(binary),
            "{id} builds `{binary}`, which the workspace does not have ({binaries:?})"
        );
        // The code is the function's own package, which declares that binary: cargo
        // lambda builds it there, with that package's features alone.
        let code = function["Properties"]["CodeUri"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} has no CodeUri of its own"));
        assert_eq!(
            package_binaries(code),
            BTreeSet::from([binary.to_string()]),
            "{id}: the package at {code}"
        );
        assert_eq!(
            template.function_property(function, "Runtime").as_str(),
            Some("provided.al2023"),
            "{id}"
        );
        assert_eq!(
            template.function_property(function, "Architectures")[0].as_str(),
            Some("arm64"),
            "{id}"
        );
    }
}

#[test]
fn every_task_calls_a_function_of_the_template_that_the_state_machine_may_invoke() {
    let template = Template::load();
    let definition = Definition::load(&template);
    let functions = template.functions();
    let (_, machine) = template.state_machine();
    let invocable: BTreeSet<String> = machine["Properties"]["Policies"]
        .as_sequence()
        .expect("Policies")
        .iter()
        .filter_map(|p| referenced_resource(&p["LambdaInvokePolicy"]["FunctionName"]))
        .collect();
    let mut called = BTreeSet::new();
    for (state, task) in definition.tasks() {
        if invoked_function(task).is_none() {
            continue;
        }
        let function = task_function(&template, task);
        assert!(
            functions.contains_key(&function),
            "{state} calls {function}, which is not a function of the template"
        );
        assert!(
            invocable.contains(&function),
            "{state} calls {function}, which the state machine may not invoke"
        );
        called.insert(function);
    }
    assert_eq!(called.len(), 4, "validate, thumbnail, persist, notify");
}

/// A state that times out raises `States.Timeout`, which the Retry matches; a Lambda
/// that times out first raises `Sandbox.Timedout`, which it does not. So every
/// function must outlast its state's `TimeoutSeconds`.
#[test]
fn every_task_times_out_before_its_function() {
    let template = Template::load();
    let definition = Definition::load(&template);
    for (state, task) in definition.tasks() {
        if invoked_function(task).is_none() {
            continue;
        }
        let function_id = task_function(&template, task);
        let function = template.resource(&function_id);
        let function_timeout = template
            .function_property(function, "Timeout")
            .as_u64()
            .unwrap_or_else(|| panic!("{function_id} has no Timeout"));
        let state_timeout = task["TimeoutSeconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("{state} has no TimeoutSeconds"));
        assert!(
            state_timeout < function_timeout,
            "{state} waits {state_timeout} s but {function_id} stops at {function_timeout} s"
        );
    }
}

#[test]
fn dead_letters_go_to_the_queue_the_ingest_queue_redrives_to() {
    let template = Template::load();
    let substitutions = substitutions(&template);
    let dead_letters = referenced_resource(substitutions["DeadLetterQueueUrl"])
        .expect("DeadLetterQueueUrl refers to a queue");
    assert_eq!(
        template.resource(&dead_letters)["Type"].as_str(),
        Some("AWS::SQS::Queue")
    );
    let redrive = &template.resource("IngestQueue")["Properties"]["RedrivePolicy"];
    assert_eq!(
        referenced_resource(&redrive["deadLetterTargetArn"]).as_deref(),
        Some(dead_letters.as_str())
    );
}

/// Lambda refuses an SQS source whose visibility timeout is below the function's
/// timeout, and only `ReportBatchItemFailures` lets one bad record fail alone.
#[test]
fn dispatch_reads_the_ingest_queue_record_by_record() {
    let template = Template::load();
    let mappings = template.of_type("AWS::Lambda::EventSourceMapping");
    let (_, mapping) = mappings
        .iter()
        .find(|(_, m)| {
            referenced_resource(&m["Properties"]["EventSourceArn"]).as_deref()
                == Some("IngestQueue")
        })
        .expect("an event source on the ingest queue");
    let properties = &mapping["Properties"];
    let function_id = referenced_resource(&properties["FunctionName"]).expect("a function");
    let function = template.resource(&function_id);
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"].as_str(),
        Some("dispatch")
    );
    assert_eq!(
        properties["FunctionResponseTypes"][0].as_str(),
        Some("ReportBatchItemFailures")
    );
    assert!(!properties["ScalingConfig"]["MaximumConcurrency"].is_null());
    let visibility = template.resource("IngestQueue")["Properties"]["VisibilityTimeout"]
        .as_u64()
        .expect("VisibilityTimeout");
    let timeout = template
        .function_property(function, "Timeout")
        .as_u64()
        .expect("dispatch Timeout");
    assert!(visibility >= timeout, "{visibility} < {timeout}");
}

#[test]
fn the_placeholder_scan_reads_every_name() {
    assert_eq!(
        placeholders(r#"{"a":"${One}","b":"x${Two}y ${One}"}"#),
        BTreeSet::from(["One".to_string(), "Two".to_string()])
    );
}

/// The function building `binary`.
fn function_of<'a>(template: &'a Template, binary: &str) -> &'a Yaml {
    template
        .functions()
        .into_iter()
        .find(|(_, f)| f["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary))
        .map(|(_, f)| f)
        .unwrap_or_else(|| panic!("no function builds {binary}"))
}

fn statements(function: &Yaml) -> Vec<&Yaml> {
    function["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|policy| policy["Statement"].as_sequence().into_iter().flatten())
        .collect()
}

fn resources_of(statement: &Yaml) -> Vec<&Yaml> {
    match &statement["Resource"] {
        Yaml::Sequence(resources) => resources.iter().collect(),
        one => vec![one],
    }
}

/// `secret_id` is a secret Secrets Manager generates (no value in the template or the
/// repository), and each of `binaries` is given its ARN in `variable` and may read it.
fn assert_generated_secret_read_by(secret_id: &str, variable: &str, binaries: &[&str]) {
    let template = Template::load();
    let secrets = template.of_type("AWS::SecretsManager::Secret");
    let secret = secrets
        .get(secret_id)
        .unwrap_or_else(|| panic!("a secret {secret_id}"));
    let properties = &secret["Properties"];
    assert!(
        properties["SecretString"].is_null(),
        "no literal secret value"
    );
    assert!(
        properties["GenerateSecretString"]["PasswordLength"]
            .as_u64()
            .is_some_and(|length| length >= 32),
        "a generated secret of 32 characters or more"
    );
    for binary in binaries {
        let function = function_of(&template, binary);
        let given = &function["Properties"]["Environment"]["Variables"][variable];
        assert_eq!(
            referenced_resource(given).as_deref(),
            Some(secret_id),
            "{binary} is given the secret's ARN in {variable}"
        );
        let may_read = statements(function).into_iter().any(|statement| {
            statement["Action"].as_str() == Some("secretsmanager:GetSecretValue")
                && resources_of(statement)
                    .into_iter()
                    .any(|r| referenced_resource(r).as_deref() == Some(secret_id))
        });
        assert!(may_read, "{binary} may read {secret_id}");
    }
}

/// The api function signs feed cursors with a key Secrets Manager generates and it
/// reads at run time: no key in the template, none in the repository.
#[test]
fn the_api_reads_its_cursor_key_from_a_generated_secret() {
    assert_generated_secret_read_by(
        "FeedCursorSecret",
        wisaw_adapters::aws::FEED_CURSOR_SECRET_ARN_VAR,
        &["api"],
    );
}

/// The api (which names a phone's channel) and notify (which publishes on it) derive the
/// channels from the same generated secret.
#[test]
fn the_api_and_notify_name_the_channels_with_one_generated_secret() {
    assert_generated_secret_read_by(
        "DeviceChannelSecret",
        wisaw_adapters::aws::DEVICE_CHANNEL_SECRET_ARN_VAR,
        &["api", "notify"],
    );
}

/// Least privilege on the event channels: the namespace takes IAM to publish and the
/// app's API key to subscribe; notify alone is granted the publish, on that namespace
/// alone; the api and notify are told the endpoints; nothing uses an SQS queue of events.
#[test]
fn only_notify_may_publish_on_the_devices_channels() {
    use wisaw_adapters::aws::{EVENTS_HTTP_URL_VAR, EVENTS_REALTIME_URL_VAR};
    let template = Template::load();
    let namespaces = template.of_type("AWS::AppSync::ChannelNamespace");
    assert_eq!(namespaces.len(), 1);
    let namespace = &namespaces.values().next().unwrap()["Properties"];
    assert_eq!(
        namespace["Name"].as_str(),
        Some(wisaw_domain::events::DEVICE_NAMESPACE)
    );
    let modes = |key: &str| -> Vec<String> {
        namespace[key]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|mode| mode["AuthType"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(modes("PublishAuthModes"), ["AWS_IAM"]);
    assert_eq!(modes("SubscribeAuthModes"), ["API_KEY"]);

    for (id, function) in template.functions() {
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        let publishes: Vec<&Yaml> = statements(function)
            .into_iter()
            .filter(|statement| {
                let actions = match &statement["Action"] {
                    Yaml::Sequence(actions) => actions.iter().collect(),
                    one => vec![one],
                };
                actions.iter().any(|a| {
                    a.as_str()
                        .is_some_and(|a| a.starts_with("appsync:") || a == "*")
                })
            })
            .collect();
        if binary == "notify" {
            assert_eq!(publishes.len(), 1, "{id}: {publishes:?}");
            assert_eq!(
                publishes[0]["Action"].as_str(),
                Some("appsync:EventPublish")
            );
            let resource = format!("{:?}", publishes[0]["Resource"]);
            assert!(
                resource.contains("/channelNamespace/devices") && !resource.contains('*'),
                "{id} publishes on the devices namespace only: {resource}"
            );
            assert!(
                !function["Properties"]["Environment"]["Variables"][EVENTS_HTTP_URL_VAR].is_null()
            );
        } else {
            assert!(
                publishes.is_empty(),
                "{id} must not touch AppSync: {publishes:?}"
            );
        }
    }
    let api = function_of(&template, "api");
    for variable in [EVENTS_HTTP_URL_VAR, EVENTS_REALTIME_URL_VAR] {
        assert!(
            !api["Properties"]["Environment"]["Variables"][variable].is_null(),
            "the api tells the phone {variable}"
        );
    }
    // The schedule sweeps the outbox through the notify function, with a request it reads.
    let notify = function_of(&template, "notify");
    let sweeps: Vec<wisaw_domain::contracts::SweepRequest> = notify["Properties"]["Events"]
        .as_mapping()
        .expect("notify's events")
        .values()
        .filter(|event| event["Type"].as_str() == Some("Schedule"))
        .map(|event| {
            let input: serde_json::Value =
                serde_json::from_str(event["Properties"]["Input"].as_str().unwrap()).unwrap();
            serde_json::from_value(input["sweep"].clone()).unwrap()
        })
        .collect();
    assert_eq!(sweeps.len(), 1, "one scheduled sweep of the outbox");
    assert!(sweeps[0].limit > 0);
    // At rest it must not wake the database: it asks the dead-letter queue first, which
    // notify may read the counts of (and nothing else of).
    assert!(
        sweeps[0].only_while_dead_letters_wait,
        "the scheduled sweep reads the database only while a dead letter waits"
    );
    let queue_reads: Vec<&Yaml> = statements(notify)
        .into_iter()
        .filter(|statement| format!("{:?}", statement["Action"]).contains("sqs:"))
        .collect();
    assert_eq!(queue_reads.len(), 1, "{queue_reads:?}");
    assert_eq!(
        queue_reads[0]["Action"].as_str(),
        Some("sqs:GetQueueAttributes")
    );
    let read: Vec<Option<String>> = resources_of(queue_reads[0])
        .into_iter()
        .map(referenced_resource)
        .collect();
    assert_eq!(read, [Some("DeadLetterQueue".to_string())]);

    let queues: Vec<String> = template.of_type("AWS::SQS::Queue").into_keys().collect();
    assert_eq!(
        queues,
        ["DeadLetterQueue", "IngestQueue"],
        "no queue nobody reads"
    );
}

/// The one list of steps (`wisaw_step::Step`) is what the state machine calls, what the
/// template deploys, and what `wisaw serve` runs in process.
#[test]
fn the_step_list_is_every_function_the_state_machine_invokes() {
    use wisaw_step::Step;
    let template = Template::load();
    let definition = Definition::load(&template);
    let invoked: BTreeSet<String> = definition
        .tasks()
        .into_iter()
        .filter(|(_, state)| invoked_function(state).is_some())
        .map(|(_, state)| task_function(&template, state))
        .collect();
    let steps: BTreeSet<String> = Step::ALL
        .iter()
        .map(|step| step.template_function().to_string())
        .collect();
    assert_eq!(invoked, steps, "the functions the state machine invokes");

    let functions = template.functions();
    for step in Step::ALL {
        let function = functions
            .get(step.template_function())
            .unwrap_or_else(|| panic!("{step} is not in the template"));
        assert_eq!(
            function["Metadata"]["BuildProperties"]["Binary"].as_str(),
            Some(step.function_name()),
            "{step}'s binary"
        );
        assert!(
            substitutions(&template).contains_key(&step.function_arn_substitution()),
            "{step} is not substituted into the definition"
        );
    }
    let others: BTreeSet<&str> = functions
        .values()
        .filter_map(|f| f["Metadata"]["BuildProperties"]["Binary"].as_str())
        .filter(|binary| Step::from_function_name(binary).is_none())
        .collect();
    assert_eq!(
        others,
        BTreeSet::from(["api", "dispatch"]),
        "functions that are not steps"
    );

    let local = wisaw_local::definition_substitutions();
    for step in Step::ALL {
        let arn = &local[&step.function_arn_substitution()];
        assert_eq!(arn.rsplit(':').next(), Some(step.function_name()), "{arn}");
    }
}

/// The devices namespace's `onSubscribe` handler, run by Node with AppSync's `util`
/// stood in (the handler is APPSYNC_JS, a subset of JavaScript): a phone's own channel is
/// let through; a wildcard, which would read every device's events, or any other shape
/// is refused, as the local event server refuses them.
#[test]
fn the_subscribe_handler_lets_a_phone_read_its_own_channel_only() {
    let template = Template::load();
    let namespaces = template.of_type("AWS::AppSync::ChannelNamespace");
    let code = namespaces.values().next().unwrap()["Properties"]["CodeHandlers"]
        .as_str()
        .expect("an onSubscribe handler");
    let import = "import { util } from '@aws-appsync/utils';";
    assert!(code.contains(import), "{code}");
    let stand_in = "const util = { unauthorized() { throw new Error('Unauthorized'); } };";
    let script = format!(
        "{}\nconst paths = JSON.parse(process.argv[2]);\n\
         console.log(JSON.stringify(paths.map((path) => {{\n\
           const segments = path.split('/').filter((s) => s.length > 0);\n\
           try {{ onSubscribe({{ info: {{ channel: {{ path, segments }} }} }}); return true; }}\n\
           catch (e) {{ return false; }}\n\
         }})));",
        code.replace(import, stand_in)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("handler.mjs");
    std::fs::write(&file, script).unwrap();

    let channels = wisaw_domain::events::DeviceChannels::derived_from(b"k");
    let own = channels.channel_of(wisaw_domain::DeviceId::new_random());
    let cases = [
        (own.clone(), true),
        ("/devices/*".to_string(), false),
        (format!("{own}/more"), false),
        ("/devices/short".to_string(), false),
        ("/devices".to_string(), false),
    ];
    let paths: Vec<&String> = cases.iter().map(|(path, _)| path).collect();
    let output = std::process::Command::new("node")
        .arg(&file)
        .arg(serde_json::to_string(&paths).unwrap())
        .output()
        .expect("node runs the handler (CI installs Node)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let allowed: Vec<bool> = serde_json::from_slice(&output.stdout).unwrap();
    let expected: Vec<bool> = cases.iter().map(|(_, allowed)| *allowed).collect();
    assert_eq!(allowed, expected, "{cases:?}");
}

#[test]
fn every_function_has_the_memory_size_the_model_chose_from_measurements() {
    // bench/lambda_model.py chose these from bench/lambda_harness.py's figures; a size
    // changed by hand, or a model rerun not carried into the template, fails here.
    let model: Json = serde_json::from_str(&read("bench/results/lambda_model.json"))
        .expect("bench/results/lambda_model.json is JSON");
    let template = Template::load();
    let functions = template.functions();
    let chosen = model["functions"]
        .as_object()
        .expect("the model's functions");
    assert_eq!(
        chosen.len(),
        functions.len(),
        "the model sizes every function"
    );
    for (name, choice) in chosen {
        let logical_id = choice["logical_id"].as_str().expect("a logical id");
        let function = functions
            .get(logical_id)
            .unwrap_or_else(|| panic!("the model's {name} is {logical_id}, not in the template"));
        let memory = template.function_property(function, "MemorySize").as_u64();
        assert_eq!(
            memory,
            choice["memory_mb"].as_u64(),
            "{logical_id}'s MemorySize against the model's choice for {name}"
        );
    }
}

/// The longest an execution can take, whatever fails: every Task on its path waiting out
/// each attempt's `TimeoutSeconds` and the retrier's intervals, then going on (or to its
/// Catch). An Express execution is ended at five minutes with nothing after it (no
/// MarkFailed, no dead letter): the photo would stay `processing` with no one to replay
/// it. So the worst path ends, dead letter included, with half a minute to spare for cold
/// starts and the service's own time.
#[test]
fn the_longest_path_ends_within_an_express_execution() {
    const EXPRESS_LIMIT_S: u64 = 300;
    const SPARE_S: u64 = 30;
    let template = Template::load();
    let definition = Definition::load(&template);
    let states = definition.json["States"].as_object().expect("States");

    fn worst_wait(name: &str, state: &Json) -> u64 {
        if state["Type"] != "Task" {
            return 0;
        }
        let timeout = state["TimeoutSeconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} has no TimeoutSeconds: AWS would wait 99999999 s"));
        // The retrier a timeout meets (the first that names it or everything).
        let retrier = state["Retry"].as_array().and_then(|retriers| {
            retriers.iter().find(|r| {
                r["ErrorEquals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == "States.Timeout" || e == "States.ALL")
            })
        });
        let Some(retrier) = retrier else {
            return timeout;
        };
        let retries = retrier["MaxAttempts"].as_u64().unwrap_or(3);
        let interval = retrier["IntervalSeconds"].as_f64().unwrap_or(1.0);
        let backoff = retrier["BackoffRate"].as_f64().unwrap_or(2.0);
        let cap = retrier["MaxDelaySeconds"].as_f64().unwrap_or(f64::INFINITY);
        let waits: f64 = (0..retries)
            .map(|i| (interval * backoff.powi(i as i32)).min(cap))
            .sum();
        (retries + 1) * timeout + waits.ceil() as u64
    }

    fn next_states(state: &Json) -> Vec<&str> {
        let mut next: Vec<&str> = Vec::new();
        next.extend(state["Next"].as_str());
        next.extend(state["Default"].as_str());
        for list in ["Choices", "Catch"] {
            for rule in state[list].as_array().into_iter().flatten() {
                next.extend(rule["Next"].as_str());
            }
        }
        next
    }

    // The longest path from each state to an end (the graph has no cycle: checked by
    // refusing to revisit a state on the way).
    fn longest<'a>(
        name: &'a str,
        states: &'a serde_json::Map<String, Json>,
        on_the_way: &mut Vec<&'a str>,
    ) -> (u64, Vec<&'a str>) {
        assert!(!on_the_way.contains(&name), "a cycle through {name}");
        on_the_way.push(name);
        let state = &states[name];
        let own = worst_wait(name, state);
        let (rest, mut path) = next_states(state)
            .into_iter()
            .map(|next| longest(next, states, on_the_way))
            .max_by_key(|(seconds, _)| *seconds)
            .unwrap_or_default();
        on_the_way.pop();
        path.insert(0, name);
        (own + rest, path)
    }

    let start = definition.json["StartAt"].as_str().expect("StartAt");
    let (seconds, path) = longest(start, states, &mut Vec::new());
    assert!(
        seconds + SPARE_S <= EXPRESS_LIMIT_S,
        "the longest path takes up to {seconds} s, over the {EXPRESS_LIMIT_S} s of an Express \
         execution less {SPARE_S} s: {}",
        path.join(" → ")
    );
}

/// The ticket call must not fail after the database paused: Aurora Serverless v2 holds a
/// connection while it resumes, about 15 s (Aurora User Guide, "Scaling to Zero ACUs with
/// automatic pause and resume"). The api waits longer than that for its connection, its
/// function longer than the wait, and both end under API Gateway's 30 s.
#[test]
fn the_api_waits_out_a_database_resuming_from_a_pause() {
    const AURORA_RESUME_S: u64 = 15;
    const API_GATEWAY_LIMIT_S: u64 = 30;
    let template = Template::load();
    let api = function_of(&template, "api");
    let wait: u64 = api["Properties"]["Environment"]["Variables"]
        [wisaw_adapters::aws::DATABASE_WAIT_SECONDS_VAR]
        .as_str()
        .expect("the api's database wait, in seconds")
        .parse()
        .unwrap();
    let timeout = template.function_property(api, "Timeout").as_u64().unwrap();
    assert!(
        AURORA_RESUME_S < wait && wait < timeout && timeout < API_GATEWAY_LIMIT_S,
        "resume {AURORA_RESUME_S} s < wait {wait} s < timeout {timeout} s < {API_GATEWAY_LIMIT_S} s"
    );
}
