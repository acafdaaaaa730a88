//! The cost document's figures, as `bench/photo_cost.py --json` computes them from the
//! measurements under bench/results, the template and published prices: the shape a check
//! reads, the workflow type the template deploys, an idle stage for at most $2 a month beside
//! its database, and the path docs/cost.md draws from the template to the target starting
//! where the template is, the default deploy's 12 MP photo for at most half the app's Lambda
//! setup, and a database whose idle cost is its storage alone.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const WORKFLOWS: [&str; 3] = ["wisaw_standard", "wisaw_express", "original_lambda"];
const SIZES: [&str; 2] = ["12mp", "48mp"];
const MONTHLY_PHOTOS: [&str; 3] = ["0", "10000", "1000000"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace")
        .to_path_buf()
}

/// The script's JSON, run once from the workspace root as a fresh clone would run it.
fn figures() -> &'static Json {
    static FIGURES: OnceLock<Json> = OnceLock::new();
    FIGURES.get_or_init(|| {
        let output = Command::new("python3")
            .args(["bench/photo_cost.py", "--json"])
            .current_dir(repo_root())
            .output()
            .expect("python3 runs bench/photo_cost.py");
        assert!(
            output.status.success(),
            "bench/photo_cost.py --json failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("bench/photo_cost.py --json prints JSON")
    })
}

fn usd(value: &Json, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is a number of dollars, not {value}"))
}

fn default_config() -> (&'static str, &'static Json) {
    let monthly = &figures()["monthly"];
    let name = monthly["default_config"]
        .as_str()
        .expect("monthly.default_config names a configuration");
    (name, &monthly["configs"][name])
}

#[test]
fn the_figures_have_the_shape_a_check_reads() {
    let f = figures();
    for workflow in WORKFLOWS {
        for size in SIZES {
            let dollars = usd(
                &f["per_million"][workflow][size],
                &format!("per_million.{workflow}.{size}"),
            );
            assert!(dollars > 0.0, "per_million.{workflow}.{size} = {dollars}");
        }
    }
    let workflow = f["default_workflow"]
        .as_str()
        .expect("default_workflow is a string");
    assert!(
        ["STANDARD", "EXPRESS"].contains(&workflow),
        "default_workflow is {workflow}"
    );
    let configs = f["monthly"]["configs"]
        .as_object()
        .expect("monthly.configs is an object");
    assert!(!configs.is_empty(), "no configuration priced");
    let (name, _) = default_config();
    assert!(
        configs.contains_key(name),
        "the default configuration {name} is not priced"
    );
    for (name, months) in configs {
        for photos in MONTHLY_PHOTOS {
            let month = &months[photos];
            let total = usd(
                &month["total"],
                &format!("{name} at {photos} photos: total"),
            );
            let database = usd(
                &month["database"],
                &format!("{name} at {photos} photos: database"),
            );
            assert!(
                (0.0..=total).contains(&database),
                "{name} at {photos} photos: the database's ${database} is not part of the ${total}"
            );
        }
    }
}

#[test]
fn an_idle_stage_in_the_default_configuration_costs_at_most_two_dollars_besides_its_database() {
    let (name, config) = default_config();
    let total = usd(&config["0"]["total"], "the default configuration at rest");
    let database = usd(&config["0"]["database"], "its database at rest");
    assert!(
        total - database <= 2.0,
        "{name} costs ${:.2} a month at rest besides its database (${database:.2}): more than $2",
        total - database
    );
}

#[test]
fn the_default_workflow_is_the_templates() {
    let path = repo_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let template: Yaml = serde_norway::from_str(&text).expect("template.yaml is YAML");
    // A `WorkflowType` parameter's default when the template has one, else the state
    // machine's own `Type`.
    let default = template["Parameters"]["WorkflowType"]["Default"]
        .as_str()
        .or_else(|| template["Resources"]["UploadStateMachine"]["Properties"]["Type"].as_str())
        .expect("template.yaml says which workflow type it deploys");
    assert_eq!(
        figures()["default_workflow"].as_str(),
        Some(default),
        "bench/photo_cost.py prices another workflow type than the template deploys"
    );
}

#[test]
fn express_costs_less_a_photo_than_standard() {
    let f = figures();
    for size in SIZES {
        let standard = usd(&f["per_million"]["wisaw_standard"][size], "Standard");
        let express = usd(&f["per_million"]["wisaw_express"][size], "Express");
        assert!(
            express < standard,
            "per million {size} photos Express costs ${express:.2}, Standard ${standard:.2}"
        );
    }
}

#[test]
fn the_default_deploy_costs_at_most_half_the_app_on_lambda_a_photo() {
    let f = figures();
    let workflow = f["default_workflow"].as_str().expect("default_workflow");
    let key = format!("wisaw_{}", workflow.to_lowercase());
    let default = usd(
        &f["per_million"][key.as_str()]["12mp"],
        "the default deploy's 12 MP photo",
    );
    let original = usd(
        &f["per_million"]["original_lambda"]["12mp"],
        "the original app's 12 MP photo",
    );
    let target = usd(&f["target_per_million_12mp"], "target_per_million_12mp");
    assert!(
        (target - original / 2.0).abs() < 0.01,
        "the target ${target} is not half the original app's ${original}"
    );
    assert!(
        default <= target,
        "the default deploy's 12 MP photo costs ${default} a million, over the target ${target}"
    );
    let path = f["path_to_target"]
        .as_array()
        .expect("path_to_target is a list");
    let steps: Vec<f64> = path
        .iter()
        .map(|step| usd(&step["12mp"], &format!("path_to_target: {step}")))
        .collect();
    assert!(
        steps
            .first()
            .is_some_and(|first| (first - default).abs() < 0.01),
        "the path starts at {steps:?}, not at the default deploy's ${default}"
    );
    assert!(
        steps.windows(2).all(|pair| pair[1] <= pair[0]),
        "a change on the path raises the cost: {steps:?}"
    );
}

/// A database whose idle cost is its storage alone: no schedule of the template reads the
/// database at rest, so Aurora Serverless v2 with automatic pause stays paused when no photo
/// comes (in a VPC, without the public address a database reached from outside carries).
#[test]
fn some_database_costs_its_storage_alone_at_rest() {
    let configs = figures()["monthly"]["configs"]
        .as_object()
        .expect("monthly.configs");
    let (name, idle) = configs
        .iter()
        .map(|(name, config)| (name, usd(&config["0"]["database"], name)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a configuration");
    // The script's assumed 1 GB at Aurora's $0.10 a GB-month; a database awake any part of
    // the month (0.5 ACU at $0.12 an hour) or always on costs dollars.
    assert!(
        idle <= 0.25,
        "the cheapest database at rest, {name}, costs ${idle} a month"
    );
    assert!(name.contains("aurora"), "{name}");
}
