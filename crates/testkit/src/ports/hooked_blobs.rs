//! A blob store that is another one, except for what a test hooks: every call goes to the
//! inner store, after a [`BlobHook`] has seen it (and perhaps answered in its place with
//! an error). A test double then states the one behaviour it changes, not the whole port.

use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;
use wisaw_domain::ports::{BlobStore, PortResult, PutTerms, SignedRequest};

/// A call to the blob port, with its arguments, as a hook sees it.
#[derive(Clone, Copy, Debug)]
pub enum BlobCall<'a> {
    Get(&'a str),
    Size(&'a str),
    Put { key: &'a str, content_type: &'a str },
    Delete(&'a str),
    DeletePrefix(&'a str),
    PresignPut(PutTerms<'a>),
    PresignGet(&'a str),
}

/// What a test changes about a blob store.
pub trait BlobHook: Send + Sync {
    /// Runs before `call` reaches the store; an error is the call's answer.
    fn before(&self, call: BlobCall<'_>) -> PortResult<()>;
}

/// `inner`, with `hook` before every call.
pub struct HookedBlobStore<H> {
    pub inner: Arc<dyn BlobStore>,
    pub hook: H,
}

impl<H: BlobHook> HookedBlobStore<H> {
    pub fn new(inner: Arc<dyn BlobStore>, hook: H) -> Self {
        Self { inner, hook }
    }
}

#[async_trait]
impl<H: BlobHook> BlobStore for HookedBlobStore<H> {
    fn bucket(&self) -> &str {
        self.inner.bucket()
    }
    async fn get(&self, key: &str) -> PortResult<Bytes> {
        self.hook.before(BlobCall::Get(key))?;
        self.inner.get(key).await
    }
    async fn size(&self, key: &str) -> PortResult<Option<u64>> {
        self.hook.before(BlobCall::Size(key))?;
        self.inner.size(key).await
    }
    async fn put(&self, key: &str, content_type: &str, body: Bytes) -> PortResult<()> {
        self.hook.before(BlobCall::Put { key, content_type })?;
        self.inner.put(key, content_type, body).await
    }
    async fn delete(&self, key: &str) -> PortResult<()> {
        self.hook.before(BlobCall::Delete(key))?;
        self.inner.delete(key).await
    }
    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        self.hook.before(BlobCall::DeletePrefix(prefix))?;
        self.inner.delete_prefix(prefix).await
    }
    async fn presign_put(&self, terms: PutTerms<'_>, ttl: Duration) -> PortResult<SignedRequest> {
        self.hook.before(BlobCall::PresignPut(terms))?;
        self.inner.presign_put(terms, ttl).await
    }
    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String> {
        self.hook.before(BlobCall::PresignGet(key))?;
        self.inner.presign_get(key, ttl).await
    }
}
