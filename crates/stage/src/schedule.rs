//! A function's `Schedule` event, as EventBridge runs it: the function invoked at each
//! `rate(...)`, with the event's `Input` as its payload.

use crate::lambda::LocalFunction;
use crate::template::TemplateError;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub every: Duration,
    pub input: String,
    /// `Enabled: false`: the rule exists and never fires.
    pub enabled: bool,
}

impl Schedule {
    /// From a `Schedule` event's properties; a `cron(...)` expression is refused by name.
    pub fn from_event(
        function: &str,
        event: &str,
        properties: &Value,
    ) -> Result<Self, TemplateError> {
        let expression = properties["Schedule"].as_str().ok_or_else(|| {
            TemplateError::Malformed(format!("{function}'s event {event} needs Schedule"))
        })?;
        let every = rate(expression).ok_or_else(|| {
            TemplateError::Unsupported(format!(
                "{function}'s event {event} schedule {expression:?} (the stage runs rate(...))"
            ))
        })?;
        for property in properties.as_object().into_iter().flat_map(|p| p.keys()) {
            if !["Schedule", "Input", "Enabled", "Description"].contains(&property.as_str()) {
                return Err(TemplateError::Unsupported(format!(
                    "{function}'s event {event} property {property}"
                )));
            }
        }
        let input = match &properties["Input"] {
            Value::String(input) => input.clone(),
            Value::Null => "{}".to_string(),
            other => other.to_string(),
        };
        let enabled = match &properties["Enabled"] {
            Value::Null => true,
            Value::Bool(enabled) => *enabled,
            Value::String(text) if text == "true" || text == "false" => text == "true",
            other => {
                return Err(TemplateError::Malformed(format!(
                    "{function}'s event {event} Enabled is {other}"
                )))
            }
        };
        Ok(Self {
            every,
            input,
            enabled,
        })
    }

    /// Invokes `function` at each period until `shutdown`.
    pub async fn run(self, function: Arc<LocalFunction>, shutdown: CancellationToken) {
        if !self.enabled {
            return;
        }
        let mut ticks = tokio::time::interval(self.every);
        ticks.tick().await; // the first tick is now; EventBridge's first is a period away
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.cancelled() => return,
            }
            if let Err(error) = function.invoke(self.input.clone().into_bytes()).await {
                tracing::warn!(function = %function.config().name, "the scheduled invocation failed: {error}");
            }
        }
    }
}

/// `rate(5 minutes)`, `rate(1 hour)`, `rate(2 days)`.
fn rate(expression: &str) -> Option<Duration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: u64 = count.parse().ok().filter(|n| *n > 0)?;
    let seconds = match (count, unit.trim()) {
        (1, "minute") | (2.., "minutes") => 60,
        (1, "hour") | (2.., "hours") => 3600,
        (1, "day") | (2.., "days") => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(count * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rate_is_read_as_eventbridge_reads_it() {
        assert_eq!(rate("rate(5 minutes)"), Some(Duration::from_secs(300)));
        assert_eq!(rate("rate(1 hour)"), Some(Duration::from_secs(3600)));
        // EventBridge wants the singular for one, the plural for more.
        assert_eq!(rate("rate(1 minutes)"), None);
        assert_eq!(rate("rate(5 minute)"), None);
        assert_eq!(rate("rate(0 minutes)"), None);
        let refused = Schedule::from_event("F", "E", &json!({"Schedule": "cron(0 * * * ? *)"}));
        assert!(matches!(refused, Err(TemplateError::Unsupported(what)) if what.contains("cron")));
    }

    #[test]
    fn the_input_is_the_payload() {
        let schedule = Schedule::from_event(
            "NotifyFunction",
            "OutboxSweep",
            &json!({"Schedule": "rate(5 minutes)", "Input": "{\"sweep\": {}}"}),
        )
        .unwrap();
        assert_eq!(schedule.input, "{\"sweep\": {}}");
        assert!(schedule.enabled);
        let disabled = Schedule::from_event(
            "F",
            "E",
            &json!({"Schedule": "rate(1 hour)", "Enabled": false}),
        )
        .unwrap();
        assert!(!disabled.enabled);
    }
}
