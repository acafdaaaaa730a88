//! The events the app hears about its photos: which outcome is announced, the id that
//! lets a subscriber drop a duplicate, the outbox row that makes the announcement
//! survive a crash, and the per-device channel it is published on.

use crate::ids::{DeviceId, PhotoId};
use crate::status::PhotoStatus;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize, Serializer};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

pub const PHOTO_READY: &str = "photo.ready";
pub const PHOTO_REJECTED: &str = "photo.rejected";

/// The event type announcing a photo in `status`: only final outcomes are announced
/// (a failure waits for its replay; nothing else is news to the phone).
pub fn announced_as(status: PhotoStatus) -> Option<&'static str> {
    match status {
        PhotoStatus::Ready => Some(PHOTO_READY),
        PhotoStatus::Rejected => Some(PHOTO_REJECTED),
        _ => None,
    }
}

/// The id every publication of one outcome carries: photo, event type and the attempt
/// that recorded the outcome. The same on every republication, so a subscriber drops
/// a second event with an id it has seen.
pub fn event_id(photo: PhotoId, event_type: &str, attempt: u32) -> String {
    format!("{photo}:{event_type}:{attempt}")
}

/// An announcement in the outbox: written in the same transaction as the outcome it
/// announces, marked sent once published. Its content (links, reason) is read from the
/// photo's row when it is published, so a late republication signs fresh links.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEvent {
    pub event_id: String,
    pub photo_id: PhotoId,
    pub event_type: String,
    pub recorded_at: DateTime<Utc>,
    /// When it was first published; `None` while it waits.
    pub sent_at: Option<DateTime<Utc>>,
}

/// An event as the app receives it on its device's channel.
// `remote = "Self"`: the derives become `PhotoEvent::serialize`/`deserialize` functions,
// which the trait impls below wrap (to write the type under a second name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct PhotoEvent {
    /// Stable across republications (`{photoId}:{type}:{attempt}`).
    pub event_id: String,
    /// `photo.ready` or `photo.rejected`: `eventType` in the app's contract.
    pub event_type: String,
    pub photo_id: PhotoId,
    /// The uploading device: the one that subscribes to the channel.
    pub device_id: DeviceId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the outcome was recorded, the same on every republication.
    pub occurred_at: DateTime<Utc>,
}

/// The type goes out under two names: `eventType` (the app's contract) and `type` (what
/// this server sent before, which a client may read).
impl Serialize for PhotoEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WithLegacyType<'a> {
            #[serde(flatten, with = "PhotoEvent")]
            event: &'a PhotoEvent,
            #[serde(rename = "type")]
            legacy_type: &'a str,
        }
        WithLegacyType {
            event: self,
            legacy_type: &self.event_type,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PhotoEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        PhotoEvent::deserialize(deserializer)
    }
}

/// Where the app reaches the event channels: AppSync Events' two endpoints in AWS,
/// `wisaw serve` itself locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsEndpoints {
    /// `wss://.../event/realtime`: the WebSocket the app subscribes on.
    pub realtime_url: String,
    /// `https://.../event`: the HTTP endpoint events are published to (by the backend).
    pub http_url: String,
}

/// The namespace of the device channels, in AppSync Events and locally.
pub const DEVICE_NAMESPACE: &str = "devices";

const TOKEN_ID_LEN: usize = 16;
const TOKEN_TAG_LEN: usize = 8;
/// Hex characters in a token: within the 50 an AppSync Events channel segment allows.
pub const TOKEN_LEN: usize = 2 * (TOKEN_ID_LEN + TOKEN_TAG_LEN);

/// Names each device's channel, `/devices/{token}`. The token is 128 bits derived from
/// the device id under the server's key (so it is unguessable and never shows the device
/// id), followed by a 64-bit tag of those bits (so the server tells a token it issued from
/// a made-up one without keeping a list). The key's `Debug` never shows it.
#[derive(Clone)]
pub struct DeviceChannels([u8; 32]);

/// Why a channel was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChannelRefusal {
    #[error("the channel must be /devices/ followed by a {TOKEN_LEN}-character token")]
    Malformed,
    #[error("the channel's token was not issued by this server")]
    Forged,
}

impl DeviceChannels {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// A key of its own derived from a wider secret (HMAC(secret, "device-channel")), so
    /// a channel token can never stand for a cursor's or a signed URL's tag.
    pub fn derived_from(secret: &[u8]) -> Self {
        Self(crate::keys::derived_key(secret, "device-channel"))
    }

    fn tag(&self, purpose: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    pub fn token_of(&self, device: DeviceId) -> String {
        let id = &self.tag(b"id\0", device.0.as_bytes())[..TOKEN_ID_LEN];
        let check = &self.tag(b"check\0", id)[..TOKEN_TAG_LEN];
        let mut token = hex::encode(id);
        token.push_str(&hex::encode(check));
        token
    }

    /// The channel the device subscribes to and its events are published on.
    pub fn channel_of(&self, device: DeviceId) -> String {
        format!("/{DEVICE_NAMESPACE}/{}", self.token_of(device))
    }

    /// Accepts a channel this server named, and only such a channel.
    pub fn check_channel(&self, channel: &str) -> Result<(), ChannelRefusal> {
        let token = channel
            .strip_prefix('/')
            .and_then(|rest| rest.strip_prefix(DEVICE_NAMESPACE))
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or(ChannelRefusal::Malformed)?;
        if token.len() != TOKEN_LEN
            || !token
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(ChannelRefusal::Malformed);
        }
        let bytes = hex::decode(token).map_err(|_| ChannelRefusal::Malformed)?;
        let (id, check) = bytes.split_at(TOKEN_ID_LEN);
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"check\0");
        mac.update(id);
        // Constant-time comparison of the truncated tag.
        mac.verify_truncated_left(check)
            .map_err(|_| ChannelRefusal::Forged)
    }
}

impl fmt::Debug for DeviceChannels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceChannels(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_names_its_type_as_the_apps_contract_does() {
        let event = PhotoEvent {
            event_id: "p:photo.rejected:0".into(),
            event_type: PHOTO_REJECTED.into(),
            photo_id: PhotoId::new_random(),
            device_id: DeviceId::new_random(),
            thumb_url: None,
            image_url: None,
            reason_code: Some("corrupt".into()),
            reason: Some("This file is damaged.".into()),
            occurred_at: Utc::now(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["eventType"], PHOTO_REJECTED, "{json}");
        assert_eq!(json["type"], PHOTO_REJECTED, "{json}");
        let mut names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        let contract = [
            "deviceId",
            "eventId",
            "eventType",
            "occurredAt",
            "photoId",
            "reason",
            "reasonCode",
            "type",
        ];
        assert_eq!(names, contract);
        let back: PhotoEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn a_channel_is_stable_private_and_checked() {
        let channels = DeviceChannels::derived_from(b"a server secret of some length");
        let device = DeviceId::new_random();
        let channel = channels.channel_of(device);
        assert_eq!(channel, channels.channel_of(device));
        assert!(!channel.contains(&device.to_string()));
        assert!(!channel.contains(&device.0.simple().to_string()));
        assert_eq!(channel.len(), "/devices/".len() + TOKEN_LEN);
        assert_eq!(channels.check_channel(&channel), Ok(()));
        assert_ne!(channel, channels.channel_of(DeviceId::new_random()));
    }

    #[test]
    fn a_token_of_another_key_or_altered_is_forged() {
        let ours = DeviceChannels::derived_from(b"ours");
        let theirs = DeviceChannels::derived_from(b"theirs");
        let device = DeviceId::new_random();
        assert_eq!(
            ours.check_channel(&theirs.channel_of(device)),
            Err(ChannelRefusal::Forged)
        );
        let mut altered = ours.channel_of(device).into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            ours.check_channel(std::str::from_utf8(&altered).unwrap()),
            Err(ChannelRefusal::Forged)
        );
    }

    #[test]
    fn anything_else_is_malformed() {
        let channels = DeviceChannels::derived_from(b"k");
        let good = channels.token_of(DeviceId::new_random());
        for channel in [
            String::new(),
            "/devices".into(),
            "/devices/".into(),
            format!("/devices/{}", &good[1..]),
            format!("/devices/{good}0"),
            format!("/devices/{}", good.to_uppercase()),
            format!("/other/{good}"),
            format!("devices/{good}"),
            format!("/devices/{good}/more"),
            "/devices/*".into(),
            format!("/devices/{}é", &good[2..]),
        ] {
            assert_eq!(
                channels.check_channel(&channel),
                Err(ChannelRefusal::Malformed),
                "{channel:?}"
            );
        }
    }

    #[test]
    fn only_final_outcomes_are_announced() {
        assert_eq!(announced_as(PhotoStatus::Ready), Some(PHOTO_READY));
        assert_eq!(announced_as(PhotoStatus::Rejected), Some(PHOTO_REJECTED));
        for status in [
            PhotoStatus::AwaitingUpload,
            PhotoStatus::Processing,
            PhotoStatus::Failed,
        ] {
            assert_eq!(announced_as(status), None);
        }
    }
}
