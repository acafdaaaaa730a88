//! SAM's `Globals`, merged into a resource as SAM merges them: maps key by key (the
//! resource's value wins), lists with the globals' items first, and any other value the
//! resource's own. The merge happens before intrinsics are resolved, as SAM does it.

use super::cfn::Cfn;

/// The `Globals` entry for resources of `kind` (`Function` for
/// `AWS::Serverless::Function`, ...).
pub fn of_kind<'a>(globals: Option<&'a Cfn>, kind: &str) -> Option<&'a Cfn> {
    let section = kind.strip_prefix("AWS::Serverless::")?;
    globals?.get(section)
}

pub fn merged(global: &Cfn, local: &Cfn) -> Cfn {
    match (global, local) {
        (Cfn::Map(global), Cfn::Map(local)) => {
            let mut entries = global.clone();
            for (key, value) in local {
                match entries.iter_mut().find(|(k, _)| k == key) {
                    Some((_, existing)) => *existing = merged(existing, value),
                    None => entries.push((key.clone(), value.clone())),
                }
            }
            Cfn::Map(entries)
        }
        (Cfn::List(global), Cfn::List(local)) => {
            Cfn::List(global.iter().chain(local).cloned().collect())
        }
        (_, local) => local.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfn(value: serde_json::Value) -> Cfn {
        let yaml: serde_norway::Value = serde_norway::from_str(&value.to_string()).unwrap();
        Cfn::from_yaml(&yaml).unwrap()
    }

    #[test]
    fn maps_merge_lists_add_and_the_resource_wins_elsewhere() {
        let global = cfn(json!({
            "Runtime": "provided.al2023",
            "Timeout": 10,
            "Layers": ["a"],
            "Environment": {"Variables": {"STAGE": "test", "SHARED": "global"}}
        }));
        let local = cfn(json!({
            "Timeout": 30,
            "Layers": ["b"],
            "Environment": {"Variables": {"SHARED": "local", "OWN": "x"}}
        }));
        assert_eq!(
            merged(&global, &local),
            cfn(json!({
                "Runtime": "provided.al2023",
                "Timeout": 30,
                "Layers": ["a", "b"],
                "Environment": {"Variables": {"STAGE": "test", "SHARED": "local", "OWN": "x"}}
            }))
        );
    }
}
