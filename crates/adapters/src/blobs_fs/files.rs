//! Writing objects so a reader sees the old one or the new one, never half of one:
//! bytes go to a temp file in the store's own folder, then a rename puts them in place.

use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use tokio::fs::File;
use tokio::io::AsyncWriteExt;
use wisaw_domain::error::PortError;

/// How many times a put makes its folder again when a concurrent delete prunes it: each
/// prune needs the folder empty, which the put's own object ends.
const FOLDER_ATTEMPTS: u32 = 8;

/// What the store keeps beside each object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    pub content_type: String,
    pub content_length: u64,
}

/// The store's lack of an object, or its failing disk. A key whose path runs into a
/// file (`a/b` where `a` is an object) or ends at a folder of other objects names no
/// object either, as S3 answers NoSuchKey for both.
pub fn io_error(error: io::Error, key: &str) -> PortError {
    match error.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory => {
            not_found(key)
        }
        _ => PortError::Unavailable(format!("object {key}: {error}").into()),
    }
}

pub fn not_found(key: &str) -> PortError {
    PortError::NotFound(format!("object {key}").into())
}

/// A temp file that removes itself unless [`TempFile::persist`] moved it into place,
/// so an aborted upload leaves nothing behind, whatever the way out.
pub struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    pub async fn create(tmp_dir: &Path) -> io::Result<Self> {
        let path = tmp_dir.join(format!("{}.part", uuid::Uuid::new_v4()));
        let file = File::create(&path).await?;
        Ok(Self {
            path,
            file: Some(file),
        })
    }

    pub async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.write_all(bytes).await,
            None => Err(io::Error::other("the temp file is closed")),
        }
    }

    /// Flushes to disk, then renames over `target` (creating its folder). A delete
    /// elsewhere in the tree prunes the folders it leaves empty, so the folder can vanish
    /// between its making and the rename: then it is made again.
    pub async fn persist(mut self, target: &Path) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all().await?;
        }
        let mut attempt = 1;
        loop {
            match self.rename_into(target).await {
                Ok(()) => return Ok(()),
                // The folder went while it was being made (`AlreadyExists`: made, then gone
                // before it could be checked) or before the rename (`NotFound`).
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::AlreadyExists
                    ) && attempt < FOLDER_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn rename_into(&mut self, target: &Path) -> io::Result<()> {
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::fs::rename(&self.path, target).await?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            // Best effort: a leftover temp file is never visible as an object.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
