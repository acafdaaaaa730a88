//! The parameters `sam deploy` would give the template: `samconfig.toml`'s
//! `parameter_overrides` of the chosen environment, then the ones given on the command
//! line, which win.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// SAM's default environment, as `sam deploy` without `--config-env` uses it.
pub const DEFAULT_CONFIG_ENV: &str = "default";

/// What a `samconfig.toml` environment says of a deploy.
#[derive(Debug, Default, PartialEq)]
pub struct DeployConfig {
    pub stack_name: Option<String>,
    pub parameters: BTreeMap<String, String>,
}

/// Reads `environment`'s deploy settings from `path`; a missing file is an empty config.
pub fn read(path: &Path, environment: &str) -> Result<DeployConfig> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DeployConfig::default()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let config: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
    let section = |command: &str| -> Option<&toml::Table> {
        config
            .get(environment)?
            .get(command)?
            .get("parameters")?
            .as_table()
    };
    let mut deploy = DeployConfig::default();
    for command in ["global", "deploy"] {
        let Some(parameters) = section(command) else {
            continue;
        };
        if let Some(name) = parameters.get("stack_name").and_then(|v| v.as_str()) {
            deploy.stack_name = Some(name.to_string());
        }
        if let Some(overrides) = parameters.get("parameter_overrides") {
            let pairs: Vec<String> = match overrides {
                toml::Value::String(text) => split_overrides(text),
                toml::Value::Array(items) => items
                    .iter()
                    .filter_map(|item| item.as_str().map(String::from))
                    .collect(),
                other => anyhow::bail!("{}: parameter_overrides is {other}", path.display()),
            };
            deploy.parameters.extend(parse_overrides(&pairs)?);
        }
    }
    Ok(deploy)
}

/// `KEY=VALUE` pairs, as `--parameter-overrides` takes them.
pub fn parse_overrides(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .with_context(|| format!("{pair:?} is not KEY=VALUE"))?;
            let value = value.trim_matches('"');
            Ok((key.trim().to_string(), value.to_string()))
        })
        .collect()
}

/// `"A=1 B=2"`: SAM's one-string form, split on spaces outside quotes.
fn split_overrides(text: &str) -> Vec<String> {
    let mut pairs = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ' ' if !quoted => {
                if !current.is_empty() {
                    pairs.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        pairs.push(current);
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projects_samconfig_gives_its_test_parameters() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samconfig.toml"));
        let test = read(path, "test").unwrap();
        assert_eq!(test.stack_name.as_deref(), Some("wisaw-test"));
        assert_eq!(test.parameters["Stage"], "test");
        assert_eq!(test.parameters["SubnetIds"], "");
        let default = read(path, DEFAULT_CONFIG_ENV).unwrap();
        assert!(default.parameters.is_empty());
    }

    #[test]
    fn the_one_string_form_keeps_quoted_spaces() {
        assert_eq!(
            split_overrides(r#"A=1 B="x y"  C="#),
            vec!["A=1", r#"B="x y""#, "C="]
        );
        let parsed = parse_overrides(&split_overrides(r#"B="x y""#)).unwrap();
        assert_eq!(parsed["B"], "x y");
        assert!(parse_overrides(&["nothing".to_string()]).is_err());
    }
}
