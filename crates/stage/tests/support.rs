//! What the stage's tests share: the project's `template.yaml` as the `test` stage deploys
//! it, and a custom runtime of the tests' own, in Python, as a function's `bootstrap`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use wisaw_stage::template::{Pseudo, Resource, Resources, Template};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// The stack of the `test` stage, in [`REGION`] and [`ACCOUNT`].
pub fn pseudo() -> Pseudo {
    Pseudo {
        region: REGION.into(),
        account_id: ACCOUNT.into(),
        stack_name: "wisaw-test".into(),
    }
}

/// The resources of type `kind` in the project's `template.yaml`, resolved for the `test`
/// stage: its `DatabaseSecretArn` given, each `Ref` and `Fn::GetAtt` answered by `resources`.
pub fn project_resources(
    kind: &str,
    database_secret_arn: &str,
    resources: &dyn Resources,
) -> Vec<Resource> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let template = Template::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let overrides = BTreeMap::from([
        (
            "DatabaseSecretArn".to_string(),
            database_secret_arn.to_string(),
        ),
        ("EventsApiKeyExpires".to_string(), "1900000000".to_string()),
    ]);
    let inputs = template.inputs(&overrides, &pseudo(), resources).unwrap();
    template.resources_of(kind, &inputs, resources).unwrap()
}

/// A `bootstrap` file in `dir` that runs `fixtures/{runtime}` with this machine's Python,
/// after the shell lines of `extra_env` (`export NAME='value'\n`...).
pub fn python_bootstrap(dir: &tempfile::TempDir, runtime: &str, extra_env: &str) -> PathBuf {
    let python = std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("python3"))
                .find(|candidate| candidate.is_file())
        })
        .expect("python3 on the PATH");
    let runtime = format!("{}/tests/fixtures/{runtime}", env!("CARGO_MANIFEST_DIR"));
    let path = dir.path().join("bootstrap");
    let script = format!(
        "#!/bin/sh\n{extra_env}exec '{}' '{runtime}'\n",
        python.display()
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}
