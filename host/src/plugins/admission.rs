//! Whether a plugin may serve, decided in one place for folder files and
//! registry sources alike: its digest against `plugins.pins`, its detached
//! signature when folder plugins must be signed, and its name.
//!
//! A registry source's signature is checked by the fetcher, against the
//! manifest it pulled, before its bytes reach this step.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::loader::LoadError;
use super::plugin::Plugin;
use crate::distribution::signature::{decode_detached, detached_path};
use crate::distribution::{PluginRef, TrustPolicy, TrustRefusal};
use crate::text::hex;

/// Where a loaded plugin came from, and what it is kept under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginKey {
    /// A file in a plugin directory; the plugin's name is the file's.
    Folder(PathBuf),
    /// A registry reference in `plugins.sources`, under its configured name.
    Registry(PluginRef),
}

impl Hash for PluginKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            PluginKey::Folder(path) => path.hash(state),
            PluginKey::Registry(reference) => reference.to_string().hash(state),
        }
    }
}

impl fmt::Display for PluginKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginKey::Folder(path) => write!(f, "{}", path.display()),
            PluginKey::Registry(reference) => write!(f, "{reference}"),
        }
    }
}

impl PluginKey {
    /// Where the plugin is said to live, in messages and its `path`.
    pub fn place(&self) -> PathBuf {
        match self {
            PluginKey::Folder(path) => path.clone(),
            PluginKey::Registry(reference) => PathBuf::from(reference.to_string()),
        }
    }

    pub fn is_registry(&self) -> bool {
        matches!(self, PluginKey::Registry(_))
    }
}

/// The checks every plugin passes before it serves.
pub struct Admission<'a> {
    /// Plugin name → the SHA-256 its component must have.
    pub pins: &'a BTreeMap<String, [u8; 32]>,
    /// With `plugins.requireSignatures`, the policy a folder plugin's
    /// detached signature must satisfy (a pin stands in for it).
    pub folder_trust: Option<&'a TrustPolicy>,
}

impl Admission<'_> {
    /// Checks the bytes of plugin `name` from `key` before they are
    /// compiled; their digest when admitted.
    pub async fn bytes(
        &self,
        key: &PluginKey,
        name: &str,
        bytes: &[u8],
    ) -> Result<[u8; 32], LoadError> {
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        match self.pins.get(name) {
            Some(pin) if *pin != digest => {
                return Err(LoadError::Invalid(format!(
                    "its digest sha256:{} is not the one plugins.pins.{name} names (sha256:{})",
                    hex(&digest),
                    hex(pin)
                )));
            }
            // A pin is its own trust.
            Some(_) => {}
            None => {
                if let (PluginKey::Folder(path), Some(policy)) = (key, self.folder_trust) {
                    folder_signature(policy, path, name, bytes).await?;
                }
            }
        }
        Ok(digest)
    }

    /// Checks that the plugin `key` holds calls itself `name`, the name its
    /// grants, limits and directories bind to: the operator's, not the
    /// plugin's.
    pub fn named(&self, key: &PluginKey, name: &str, plugin: Plugin) -> Result<Plugin, LoadError> {
        if plugin.name() == name {
            return Ok(plugin);
        }
        let called = plugin.name();
        Err(LoadError::Invalid(match key {
            PluginKey::Folder(_) => format!(
                "it calls itself '{called}', and its file names it '{name}': a plugin's name \
                 (which grants bind to) is its file name; rename the file to {called}.wasm \
                 if that is the plugin you mean to install"
            ),
            PluginKey::Registry(_) => format!(
                "it calls itself '{called}', and plugins.sources names it '{name}': grants bind \
                 to the configured name, so the two must agree; name the source '{called}' if \
                 that is the plugin you mean to install"
            ),
        }))
    }
}

/// Whether folder plugin `name` at `path` carries a detached signature
/// `policy` accepts.
async fn folder_signature(
    policy: &TrustPolicy,
    path: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<String, TrustRefusal> {
    let signature_path = detached_path(path);
    let read = {
        let signature_path = signature_path.clone();
        tokio::task::spawn_blocking(move || super::folder::read_plugin(&signature_path)).await
    };
    let text = match read.unwrap_or_else(|e| Err(std::io::Error::other(e))) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TrustRefusal::Unsigned(format!(
                "it is not signed (plugins.requireSignatures is on, and there is no {} next to \
                 it, nor a pin in plugins.pins)",
                signature_path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
            )));
        }
        Err(e) => {
            return Err(TrustRefusal::BadSignature(format!(
                "cannot read {}: {e}",
                signature_path.display()
            )));
        }
    };
    let signature = decode_detached(&text).map_err(TrustRefusal::BadSignature)?;
    policy.verify_file(name, bytes, &signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinned(name: &str, bytes: &[u8]) -> BTreeMap<String, [u8; 32]> {
        BTreeMap::from([(name.to_owned(), Sha256::digest(bytes).into())])
    }

    fn keys() -> [PluginKey; 2] {
        [
            PluginKey::Folder(PathBuf::from("/plugins/tools.wasm")),
            PluginKey::Registry(PluginRef::parse("oci://registry.example/acme/tools:1").unwrap()),
        ]
    }

    #[tokio::test]
    async fn a_pin_holds_for_folder_files_and_registry_sources_alike() {
        let pins = pinned("tools", b"the pinned build");
        let admission = Admission {
            pins: &pins,
            folder_trust: None,
        };
        for key in keys() {
            let refused = admission.bytes(&key, "tools", b"another build").await;
            let message = refused.expect_err("an unpinned digest").to_string();
            assert!(
                message.contains("is not the one plugins.pins.tools names"),
                "{key}: {message}"
            );
            assert!(
                admission
                    .bytes(&key, "tools", b"the pinned build")
                    .await
                    .is_ok()
            );
        }
    }

    #[tokio::test]
    async fn a_folder_plugin_needs_a_signature_or_a_pin_when_signatures_are_required() {
        let dir = tempfile::tempdir().unwrap();
        let key = PluginKey::Folder(dir.path().join("tools.wasm"));
        let policy = TrustPolicy::default();
        let none = BTreeMap::new();
        let strict = Admission {
            pins: &none,
            folder_trust: Some(&policy),
        };
        let refused = strict.bytes(&key, "tools", b"bytes").await.unwrap_err();
        assert!(
            matches!(&refused, LoadError::Refused(TrustRefusal::Unsigned(_))),
            "{refused}"
        );
        // A pin is its own trust.
        let pins = pinned("tools", b"bytes");
        let pinned = Admission {
            pins: &pins,
            folder_trust: Some(&policy),
        };
        assert!(pinned.bytes(&key, "tools", b"bytes").await.is_ok());
        // Registry sources are verified by the fetcher, not here.
        let registry = PluginKey::Registry(PluginRef::parse("oci://r.example/a/tools:1").unwrap());
        assert!(strict.bytes(&registry, "tools", b"bytes").await.is_ok());
    }
}
