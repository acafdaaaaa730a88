//! AppSync Events' HTTP publish (`POST /event`, `{channel, events}`): `appsync:EventPublish`
//! on the channel's namespace, `arn:aws:appsync:REGION:ACCOUNT:apis/API_ID/channelNamespace/NS`
//! (the namespace is the channel's first segment).

use super::{Ask, Incoming, NotClassified, Operation};
use crate::iam::Settings;

pub(super) fn classify(
    request: &Incoming<'_>,
    settings: &Settings,
) -> Result<Operation, NotClassified> {
    if request.method != "POST" || request.path != "/event" {
        return Err(NotClassified::Unknown(format!(
            "the AppSync request {} {}",
            request.method, request.path
        )));
    }
    let body: serde_json::Value = serde_json::from_slice(request.body.unwrap_or_default())
        .map_err(|e| NotClassified::Malformed(format!("the publish is not JSON: {e}")))?;
    let channel = body["channel"]
        .as_str()
        .ok_or_else(|| NotClassified::Malformed("the publish names no channel".into()))?;
    let namespace = channel
        .strip_prefix('/')
        .and_then(|rest| rest.split('/').next())
        .filter(|ns| !ns.is_empty())
        .ok_or_else(|| {
            NotClassified::Malformed(format!("the channel {channel:?} is not /namespace/..."))
        })?;
    let resource = format!(
        "arn:{}:appsync:{}:{}:apis/{}/channelNamespace/{namespace}",
        settings.partition, settings.region, settings.account_id, settings.events_api_id
    );
    Ok(Operation {
        name: "EventPublish".into(),
        asks: vec![Ask::new("appsync:EventPublish", resource)],
    })
}
