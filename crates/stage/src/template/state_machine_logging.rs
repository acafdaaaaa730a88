//! A state machine's `Logging`, read as Step Functions' `CreateStateMachine` takes its
//! logging configuration: a level (OFF when none), whether the execution's data goes
//! with the events, and one CloudWatch Logs log group, which any level but OFF needs.

use super::TemplateError;
use serde_json::Value;
use wisaw_sfn_api::{LogLevel, Logging};

/// What `Logging` may hold, and what a destination may.
const PROPERTIES: [&str; 3] = ["Level", "IncludeExecutionData", "Destinations"];
const DESTINATION: &str = "CloudWatchLogsLogGroup";

/// The logging of the state machine `id`, from its `Logging` property.
pub fn logging(id: &str, property: &Value) -> Result<Logging, TemplateError> {
    let malformed = |what: String| TemplateError::Malformed(format!("{id}'s Logging {what}"));
    let properties = match property {
        Value::Null => return Ok(Logging::default()),
        Value::Object(properties) => properties,
        other => return Err(malformed(format!("is {other}, not an object"))),
    };
    if let Some(unknown) = properties
        .keys()
        .find(|k| !PROPERTIES.contains(&k.as_str()))
    {
        return Err(TemplateError::Unsupported(format!(
            "{id}'s Logging property {unknown}"
        )));
    }
    let level = match &properties.get("Level") {
        None | Some(Value::Null) => LogLevel::Off,
        Some(Value::String(level)) => level.parse().map_err(|e| malformed(format!("{e}")))?,
        Some(other) => return Err(malformed(format!("Level is {other}"))),
    };
    let include_execution_data = match properties.get("IncludeExecutionData") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(include)) => *include,
        // A parameter gives it as text.
        Some(Value::String(text)) if text == "true" || text == "false" => text == "true",
        Some(other) => return Err(malformed(format!("IncludeExecutionData is {other}"))),
    };
    let log_group_arn = destination(properties.get("Destinations"), &malformed)?;
    if level != LogLevel::Off && log_group_arn.is_none() {
        return Err(malformed(format!(
            "at level {level} names no destination (Step Functions needs one log group)"
        )));
    }
    Ok(Logging {
        level,
        include_execution_data,
        log_group_arn,
    })
}

/// The one log group's ARN of `Destinations` (Step Functions takes one at most).
fn destination(
    destinations: Option<&Value>,
    malformed: &impl Fn(String) -> TemplateError,
) -> Result<Option<String>, TemplateError> {
    let destinations = match destinations {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(destinations)) => destinations,
        Some(other) => return Err(malformed(format!("Destinations is {other}, not a list"))),
    };
    let [destination] = destinations.as_slice() else {
        return match destinations.len() {
            0 => Ok(None),
            n => Err(malformed(format!(
                "has {n} destinations (Step Functions takes one)"
            ))),
        };
    };
    let group = match destination.as_object() {
        Some(only) if only.len() == 1 && only.contains_key(DESTINATION) => &only[DESTINATION],
        _ => {
            return Err(malformed(format!(
                "destination {destination}: a {DESTINATION} is the one kind"
            )))
        }
    };
    let arn = group["LogGroupArn"]
        .as_str()
        .filter(|arn| log_group_name(arn).is_some())
        .ok_or_else(|| malformed(format!("destination {group} names no log group's ARN")))?;
    Ok(Some(arn.to_string()))
}

/// `arn:P:logs:R:A:log-group:NAME` or `…:NAME:*` → `NAME`.
pub fn log_group_name(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "logs", _, _, "log-group", rest] => {
            let name = rest.strip_suffix(":*").unwrap_or(rest);
            (!name.is_empty() && !name.contains(':')).then_some(name)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/m:*";

    #[test]
    fn the_templates_logging_is_read_with_its_one_log_group() {
        let read = logging(
            "M",
            &json!({"Level": "ERROR", "IncludeExecutionData": "true",
                    "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": ARN}}]}),
        )
        .unwrap();
        assert_eq!(
            read,
            Logging {
                level: LogLevel::Error,
                include_execution_data: true,
                log_group_arn: Some(ARN.into()),
            }
        );
        assert_eq!(
            log_group_name(ARN),
            Some("/aws/vendedlogs/states/m"),
            "the name, without the ARN's `:*`"
        );
        assert_eq!(logging("M", &Value::Null).unwrap(), Logging::default());
        let off = logging("M", &json!({"Level": "OFF"})).unwrap();
        assert_eq!(off.level, LogLevel::Off);
    }

    #[test]
    fn a_logging_step_functions_would_refuse_is_refused_by_name() {
        let group = json!({"CloudWatchLogsLogGroup": {"LogGroupArn": ARN}});
        for (property, why) in [
            (json!({"Level": "ALL"}), "at level ALL names no destination"),
            (
                json!({"Level": "all", "Destinations": [group]}),
                "`all` is not a log level",
            ),
            (
                json!({"Level": "ALL", "Destinations": [group, group]}),
                "has 2 destinations",
            ),
            (
                json!({"Level": "ALL", "Destinations": [{"CloudWatchLogsLogGroup":
                    {"LogGroupArn": "arn:aws:s3:::bucket"}}]}),
                "names no log group's ARN",
            ),
            (
                json!({"Level": "ALL", "Destinations": [{"S3": {}}]}),
                "a CloudWatchLogsLogGroup is the one kind",
            ),
            (
                json!({"IncludeExecutionData": "yes"}),
                "IncludeExecutionData is",
            ),
        ] {
            let refused = logging("M", &property).unwrap_err();
            assert!(refused.to_string().contains(why), "{property}: {refused}");
        }
        assert_eq!(
            logging("M", &json!({"Level": "ALL", "Format": "JSON"})).unwrap_err(),
            TemplateError::Unsupported("M's Logging property Format".into())
        );
    }
}
