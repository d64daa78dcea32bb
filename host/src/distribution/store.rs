//! The local content-addressed store of pulled artifacts: manifests and
//! components, each in a file named by the SHA-256 of its bytes.
//!
//! Only verified content is written, and every read is hashed again, so a
//! file changed on disk is never loaded: it is dropped and pulled again.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::signature::sha256_digest;

#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// A store in `dir` (created when first written).
    pub fn new(dir: PathBuf) -> Store {
        Store { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join("sha256").join(hex))
    }

    /// The bytes stored for `digest`, if they are there and still hash to it.
    pub fn get(&self, digest: &str) -> Option<Vec<u8>> {
        let path = self.path(digest)?;
        let bytes = std::fs::read(&path).ok()?;
        if sha256_digest(&bytes) == digest {
            Some(bytes)
        } else {
            tracing::warn!(path = %path.display(), "a stored artifact no longer matches its digest; removing it");
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// Stores `bytes` (already verified) under their digest.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let digest = sha256_digest(bytes);
        let path = self.path(&digest).expect("a sha256 digest");
        if path.exists() {
            return Ok(digest);
        }
        let dir = path.parent().expect("in the store");
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_found_by_digest_and_rehashed_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("oci"));
        let digest = store.put(b"component").unwrap();
        assert_eq!(store.get(&digest).unwrap(), b"component");
        assert!(store.get("sha256:00").is_none());
        let file = store.path(&digest).unwrap();
        std::fs::write(&file, b"tampered").unwrap();
        assert!(store.get(&digest).is_none());
        assert!(!file.exists());
    }
}
