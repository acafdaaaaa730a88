//! The blob store on S3. Upload tickets are presigned PUTs whose signature covers the
//! key, the content type and the exact content length, so the phone can upload only
//! the object it asked for; image URLs are presigned GETs, or plain URLs under a CDN.

use super::errors::{item_error, port_error};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{BlobStore, PortResult, PutTerms, SignedRequest};

/// Headers every client sends on its own; the phone need not be told about them.
const IMPLICIT_HEADERS: &[&str] = &["host"];

#[derive(Clone, Debug)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
    cdn_base: Option<String>,
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            cdn_base: None,
        }
    }

    /// A client for this configuration. With a custom endpoint (an emulator), objects are
    /// addressed by path: `bucket.127.0.0.1` names no host.
    pub fn from_config(config: &SdkConfig, bucket: impl Into<String>) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self::new(Client::from_conf(s3_config), bucket)
    }

    /// Serves image URLs as `{cdn_base}/{key}` instead of presigned GETs.
    pub fn with_cdn_base(mut self, cdn_base: impl Into<String>) -> Self {
        let base: String = cdn_base.into();
        self.cdn_base = Some(base.trim_end_matches('/').to_string());
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

fn presigning(ttl: Duration) -> PortResult<PresigningConfig> {
    PresigningConfig::builder()
        .start_time(SystemTime::now())
        .expires_in(ttl)
        .build()
        .map_err(|e| PortError::Invalid(format!("presigning for {ttl:?}: {e}").into()))
}

fn expiry(ttl: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|ttl| Utc::now().checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The canonical spelling of the headers the phone must send.
fn display_name(header: &str) -> String {
    match header {
        "content-type" => "Content-Type".into(),
        "content-length" => "Content-Length".into(),
        other => other.to_string(),
    }
}

/// Each segment of the key escaped, its slashes kept.
fn cdn_url(base: &str, key: &str) -> String {
    let path: Vec<String> = key
        .split('/')
        .map(|segment| urlencoding::encode(segment).into_owned())
        .collect();
    format!("{base}/{}", path.join("/"))
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn get(&self, key: &str) -> PortResult<Bytes> {
        let action = || format!("reading {}", self.location(key));
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| port_error(&action(), e))?;
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| PortError::Unavailable(format!("{}: {e}", action()).into()))?;
        Ok(body.into_bytes())
    }

    async fn size(&self, key: &str) -> PortResult<Option<u64>> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(head.content_length().unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(e) => Err(port_error(
                &format!("reading the size of {}", self.location(key)),
                e,
            )),
        }
    }

    async fn put(&self, key: &str, content_type: &str, body: Bytes) -> PortResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| port_error(&format!("writing {}", self.location(key)), e))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> PortResult<()> {
        // S3 answers a delete of a missing object with success, as the port wants.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| port_error(&format!("deleting {}", self.location(key)), e))?;
        Ok(())
    }

    /// Lists the prefix a page at a time and deletes each page with one DeleteObjects
    /// (both take at most 1,000 keys). Deleting what was listed does not disturb the
    /// listing: the paginator's continuation token points past the page's last key.
    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        if prefix.is_empty() {
            return Err(PortError::Invalid(
                "A key prefix cannot be empty: it would name every object.".into(),
            ));
        }
        let action = format!("deleting everything under {}", self.location(prefix));
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut deleted = 0;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error(&action, e))?;
            let objects = page
                .contents()
                .iter()
                .filter_map(|object| object.key())
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| PortError::Invalid(format!("{action}: {e}").into()))?;
            if objects.is_empty() {
                continue;
            }
            let count = objects.len() as u64;
            let batch = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| PortError::Invalid(format!("{action}: {e}").into()))?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(batch)
                .send()
                .await
                .map_err(|e| port_error(&action, e))?;
            // A batch answers 200 even when some of its keys failed.
            if let Some(failed) = output.errors().first() {
                return Err(item_error(&action, failed.code(), failed.message()));
            }
            deleted += count;
        }
        Ok(deleted)
    }

    async fn presign_put(&self, terms: PutTerms<'_>, ttl: Duration) -> PortResult<SignedRequest> {
        let length = i64::try_from(terms.content_length).map_err(|_| {
            PortError::Invalid(format!("content length {}", terms.content_length).into())
        })?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(terms.key)
            .content_type(terms.content_type)
            .content_length(length)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| {
                port_error(
                    &format!("presigning a PUT of {}", self.location(terms.key)),
                    e,
                )
            })?;
        let headers: BTreeMap<String, String> = presigned
            .headers()
            .filter(|(name, _)| !IMPLICIT_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
            .map(|(name, value)| (display_name(&name.to_ascii_lowercase()), value.to_string()))
            .collect();
        Ok(SignedRequest {
            method: presigned.method().to_string(),
            url: presigned.uri().to_string(),
            headers,
            expires_at: expiry(ttl),
        })
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String> {
        if let Some(base) = &self.cdn_base {
            return Ok(cdn_url(base, key));
        }
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| port_error(&format!("presigning a GET of {}", self.location(key)), e))?;
        Ok(presigned.uri().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdn_urls_keep_the_key_path_and_escape_the_rest() {
        assert_eq!(
            cdn_url("https://cdn.example.com", "photos/abc/thumb.webp"),
            "https://cdn.example.com/photos/abc/thumb.webp"
        );
        assert_eq!(
            cdn_url("https://cdn.example.com", "photos/a b+c.webp"),
            "https://cdn.example.com/photos/a%20b%2Bc.webp"
        );
    }
}
