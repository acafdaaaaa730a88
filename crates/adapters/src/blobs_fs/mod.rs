//! The blob store of the local stack: objects are files under a root folder, served
//! over HTTP by `wisaw serve` at a base URL, with signed, expiring URLs standing in
//! for S3's presigned ones.
//!
//! On disk: `{root}/objects/{key}` holds the bytes, `{root}/meta/{key}` a small JSON
//! [`ObjectMeta`] (content type and length), `{root}/tmp/` the writes in progress.
//!
//! The HTTP side (another module's routes) does, for `PUT {base}/{key}?…`:
//! [`LocalBlobStore::verify_put`] with the decoded query and the request's headers, then
//! [`LocalBlobStore::write_upload`] with the body stream and the returned [`PutTicket`];
//! for `GET {base}/{key}?…`: [`LocalBlobStore::verify_get`] then [`LocalBlobStore::open`].
//! Each [`Refusal`] carries the HTTP status to answer with. The store itself sends no
//! event: after a stored upload, the caller plays S3's part and sends
//! [`wisaw_domain::ingest::S3Notification::object_created`] to the ingest queue.

mod files;
mod keys;
mod signing;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use files::{io_error, not_found, TempFile};
use futures::{Stream, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{BlobStore, PortResult, PutTerms, SignedRequest};

pub use files::ObjectMeta;
pub use keys::{key_path, prefix_path};
pub use signing::{
    PutTicket, Refusal, Signer, CONTENT_LENGTH_PARAM, CONTENT_TYPE_PARAM, EXPIRES_PARAM,
    SIGNATURE_PARAM,
};

/// The bucket name local S3-style events carry unless told otherwise.
pub const DEFAULT_LOCAL_BUCKET: &str = "wisaw-local";

/// Why an upload was not stored. Nothing is left in place in any case.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Refused(Refusal),
    /// The client's body stream broke off.
    #[error("The upload's body broke off: {0}.")]
    Body(String),
    #[error(transparent)]
    Store(PortError),
}

impl UploadError {
    /// 400 for a broken body, the refusal's own status, 503 when the disk fails.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Refused(refusal) => refusal.status_code(),
            Self::Body(_) => 400,
            Self::Store(_) => 503,
        }
    }
}

#[derive(Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
    base_url: String,
    bucket: String,
    signer: Signer,
}

impl fmt::Debug for LocalBlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBlobStore")
            .field("root", &self.root)
            .field("base_url", &self.base_url)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

fn refused_key(key: &str) -> Result<PathBuf, PortError> {
    key_path(key).map_err(|message| PortError::Invalid(message.into()))
}

/// Expiry as whole unix seconds, rounded up so the URL lives at least `ttl`.
fn expiry(now: DateTime<Utc>, ttl: Duration) -> i64 {
    let seconds = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    now.timestamp()
        .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))
}

fn url_with(base: &str, key: &str, params: &[(&str, String)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", urlencoding::encode(value)))
        .collect();
    format!("{base}/{key}?{}", query.join("&"))
}

impl LocalBlobStore {
    /// A store under `root` (created if missing), served at `base_url`
    /// (e.g. `http://127.0.0.1:3000/blobs`), signing URLs with `secret`.
    pub fn new(
        root: impl Into<PathBuf>,
        base_url: &str,
        secret: impl AsRef<[u8]>,
    ) -> PortResult<Self> {
        let root = root.into();
        for dir in ["objects", "meta", "tmp"] {
            std::fs::create_dir_all(root.join(dir)).map_err(|e| {
                PortError::Unavailable(format!("creating {}: {e}", root.join(dir).display()).into())
            })?;
        }
        Ok(Self {
            root,
            base_url: base_url.trim_end_matches('/').to_string(),
            bucket: DEFAULT_LOCAL_BUCKET.to_string(),
            signer: Signer::new(secret),
        })
    }

    /// The bucket name [`BlobStore::bucket`] reports (and local S3-style events carry).
    pub fn with_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = bucket.into();
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn object_path(&self, key: &str) -> PortResult<PathBuf> {
        Ok(self.root.join("objects").join(refused_key(key)?))
    }

    fn meta_path(&self, key: &str) -> PortResult<PathBuf> {
        Ok(self.root.join("meta").join(refused_key(key)?))
    }

    /// Checks a PUT to a signed URL: the key, the signature over key, content type, length
    /// and expiry, the expiry, then the request's headers against the ticket.
    /// `query` holds the URL's decoded query parameters.
    pub fn verify_put(
        &self,
        key: &str,
        query: &HashMap<String, String>,
        content_type_header: Option<&str>,
        content_length_header: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<PutTicket, Refusal> {
        key_path(key).map_err(Refusal::InvalidKey)?;
        self.signer
            .verify_put(key, query, content_type_header, content_length_header, now)
    }

    /// Checks a GET to a signed URL: the key, the signature over key and expiry, the expiry.
    pub fn verify_get(
        &self,
        key: &str,
        query: &HashMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        key_path(key).map_err(Refusal::InvalidKey)?;
        self.signer.verify_get(key, query, now)
    }

    /// Stores an upload's body if it has exactly `ticket.content_length` bytes: it streams
    /// into a temp file, stops as soon as the body runs past the length, and is put in place
    /// only when complete. Returns the byte count.
    pub async fn write_upload<S, E>(
        &self,
        key: &str,
        ticket: &PutTicket,
        body: S,
    ) -> Result<u64, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: fmt::Display,
    {
        let relative =
            key_path(key).map_err(|why| UploadError::Refused(Refusal::InvalidKey(why)))?;
        let target = self.root.join("objects").join(relative);
        let store = |e| UploadError::Store(io_error(e, key));
        let expected = ticket.content_length;
        let mut temp = TempFile::create(&self.root.join("tmp"))
            .await
            .map_err(store)?;
        let mut written: u64 = 0;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
            written += chunk.len() as u64;
            if written > expected {
                return Err(UploadError::Refused(Refusal::BodyTooLong { expected }));
            }
            temp.write_all(&chunk).await.map_err(store)?;
        }
        if written < expected {
            return Err(UploadError::Refused(Refusal::BodyTooShort {
                expected,
                got: written,
            }));
        }
        let meta = ObjectMeta {
            content_type: ticket.content_type.clone(),
            content_length: written,
        };
        self.commit(key, &target, temp, &meta)
            .await
            .map_err(UploadError::Store)?;
        Ok(written)
    }

    /// Puts the metadata, then the bytes, in place.
    async fn commit(
        &self,
        key: &str,
        target: &Path,
        object: TempFile,
        meta: &ObjectMeta,
    ) -> PortResult<()> {
        let meta_json =
            serde_json::to_vec(meta).map_err(|e| PortError::Invalid(e.to_string().into()))?;
        let tmp = self.root.join("tmp");
        let mut meta_file = TempFile::create(&tmp).await.map_err(|e| io_error(e, key))?;
        meta_file
            .write_all(&meta_json)
            .await
            .map_err(|e| io_error(e, key))?;
        meta_file
            .persist(&self.meta_path(key)?)
            .await
            .map_err(|e| io_error(e, key))?;
        object.persist(target).await.map_err(|e| io_error(e, key))
    }

    /// The object's metadata; objects written without it read as `application/octet-stream`.
    pub async fn meta(&self, key: &str) -> PortResult<ObjectMeta> {
        let object = self.object_path(key)?;
        let found = tokio::fs::metadata(&object)
            .await
            .map_err(|e| io_error(e, key))?;
        if !found.is_file() {
            return Err(not_found(key));
        }
        let length = found.len();
        match tokio::fs::read(self.meta_path(key)?).await {
            Ok(json) => serde_json::from_slice(&json)
                .map_err(|e| PortError::Invalid(format!("metadata of {key}: {e}").into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ObjectMeta {
                content_type: "application/octet-stream".into(),
                content_length: length,
            }),
            Err(e) => Err(io_error(e, key)),
        }
    }

    /// The object's bytes and metadata, for serving small objects.
    pub async fn read(&self, key: &str) -> PortResult<(Bytes, ObjectMeta)> {
        let bytes = tokio::fs::read(self.object_path(key)?)
            .await
            .map_err(|e| io_error(e, key))?;
        let mut meta = self.meta(key).await?;
        meta.content_length = bytes.len() as u64;
        Ok((Bytes::from(bytes), meta))
    }

    /// An open file and its metadata, for streaming a GET. A missing object (or a key
    /// that names a folder of other objects) is `NotFound`.
    pub async fn open(&self, key: &str) -> PortResult<(tokio::fs::File, ObjectMeta)> {
        let file = tokio::fs::File::open(self.object_path(key)?)
            .await
            .map_err(|e| io_error(e, key))?;
        // Opening a folder succeeds on Unix; only reading it fails, half-way through an answer.
        let opened = file.metadata().await.map_err(|e| io_error(e, key))?;
        if !opened.is_file() {
            return Err(not_found(key));
        }
        let mut meta = self.meta(key).await?;
        meta.content_length = opened.len();
        Ok((file, meta))
    }

    /// Removes the entries of `dir` whose names start with `name_start`, folders whole;
    /// returns how many files went. A missing `dir` holds nothing.
    async fn remove_matching(&self, dir: &Path, name_start: &str, key: &str) -> PortResult<u64> {
        let mut entries = match tokio::fs::read_dir(dir).await.map_err(|e| io_error(e, key)) {
            Ok(entries) => entries,
            Err(PortError::NotFound(_)) => return Ok(0),
            Err(other) => return Err(other),
        };
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await.map_err(|e| io_error(e, key))? {
            if !entry.file_name().to_string_lossy().starts_with(name_start) {
                continue;
            }
            let path = entry.path();
            let kind = entry.file_type().await.map_err(|e| io_error(e, key))?;
            let outcome = if kind.is_dir() {
                removed += count_files(&path).await;
                tokio::fs::remove_dir_all(&path).await
            } else {
                removed += 1;
                tokio::fs::remove_file(&path).await
            };
            match outcome {
                // Gone already: another delete got there first.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other.map_err(|e| io_error(e, key))?,
            }
        }
        Ok(removed)
    }

    /// Removes the folders a delete left empty, from `dir` up to the tree's root.
    async fn prune_empty_folders(&self, dir: Option<&Path>, tree: &Path) {
        let mut dir = dir;
        while let Some(current) = dir.filter(|d| d.starts_with(tree) && *d != tree) {
            if tokio::fs::remove_dir(current).await.is_err() {
                break; // Not empty (or already gone): stop climbing.
            }
            dir = current.parent();
        }
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn get(&self, key: &str) -> PortResult<Bytes> {
        let path = self.object_path(key)?;
        tokio::fs::read(path)
            .await
            .map(Bytes::from)
            .map_err(|e| io_error(e, key))
    }

    async fn size(&self, key: &str) -> PortResult<Option<u64>> {
        let path = self.object_path(key)?;
        match tokio::fs::metadata(path).await {
            Ok(metadata) => Ok(Some(metadata.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(e, key)),
        }
    }

    async fn put(&self, key: &str, content_type: &str, body: Bytes) -> PortResult<()> {
        let target = self.object_path(key)?;
        let mut temp = TempFile::create(&self.root.join("tmp"))
            .await
            .map_err(|e| io_error(e, key))?;
        temp.write_all(&body).await.map_err(|e| io_error(e, key))?;
        let meta = ObjectMeta {
            content_type: content_type.to_string(),
            content_length: body.len() as u64,
        };
        self.commit(key, &target, temp, &meta).await
    }

    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        let (folder, name_start) =
            prefix_path(prefix).map_err(|message| PortError::Invalid(message.into()))?;
        let mut objects_removed = 0;
        for tree in ["objects", "meta"] {
            let tree = self.root.join(tree);
            let dir = tree.join(&folder);
            let removed = self.remove_matching(&dir, &name_start, prefix).await?;
            if tree.ends_with("objects") {
                objects_removed = removed;
            }
            self.prune_empty_folders(Some(&dir), &tree).await;
        }
        Ok(objects_removed)
    }

    async fn delete(&self, key: &str) -> PortResult<()> {
        for (path, tree) in [
            (self.object_path(key)?, self.root.join("objects")),
            (self.meta_path(key)?, self.root.join("meta")),
        ] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => self.prune_empty_folders(path.parent(), &tree).await,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(e, key)),
            }
        }
        Ok(())
    }

    async fn presign_put(&self, terms: PutTerms<'_>, ttl: Duration) -> PortResult<SignedRequest> {
        refused_key(terms.key)?;
        let content_type = terms.content_type;
        if content_type.is_empty() || content_type.chars().any(|c| c.is_control()) {
            return Err(PortError::Invalid(
                format!("bad content type {content_type:?}").into(),
            ));
        }
        let expires = expiry(Utc::now(), ttl);
        let params = self
            .signer
            .put_params(terms.key, content_type, terms.content_length, expires);
        Ok(SignedRequest {
            method: "PUT".into(),
            url: url_with(&self.base_url, terms.key, &params),
            headers: BTreeMap::from([("Content-Type".to_string(), content_type.to_string())]),
            expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
        })
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String> {
        refused_key(key)?;
        let params = self.signer.get_params(key, expiry(Utc::now(), ttl));
        Ok(url_with(&self.base_url, key, &params))
    }
}

/// How many files a folder holds, at any depth (what a prefix delete reports).
async fn count_files(dir: &Path) -> u64 {
    let mut count = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
            continue;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            match entry.file_type().await {
                Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                Ok(_) => count += 1,
                Err(_) => {}
            }
        }
    }
    count
}
