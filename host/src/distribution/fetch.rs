//! Fetching a plugin by reference, verified: the one path both the server
//! and `kube-mcp plugin pull` take.

use std::collections::BTreeMap;

use super::reference::PluginRef;
use super::registry::{Manifest, Registries, RegistryError};
use super::store::Store;
use super::trust::TrustPolicy;

/// A verified component.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The manifest digest: what was verified and what is now loaded.
    pub digest: String,
    pub component: Vec<u8>,
    /// How it came to be trusted.
    pub trusted_by: TrustedBy,
    /// The artifact's annotations. Informative only: names and grants come
    /// from the configuration, never from here.
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedBy {
    /// The source pins this digest.
    Pin,
    /// A signature by this trusted key.
    Key(String),
    /// Nothing: `kube-mcp plugin pull` without a policy.
    Unverified,
}

impl std::fmt::Display for TrustedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrustedBy::Pin => f.write_str("pinned digest"),
            TrustedBy::Key(name) => write!(f, "signature by key '{name}'"),
            TrustedBy::Unverified => f.write_str("not verified"),
        }
    }
}

/// Pulls, verifies and stores.
pub struct Fetcher {
    pub registries: Registries,
    pub store: Store,
    pub trust: TrustPolicy,
}

impl Fetcher {
    /// The digest `reference` names now (a tag's current manifest).
    pub async fn resolve(&self, reference: &PluginRef) -> Result<Manifest, RegistryError> {
        self.registries.manifest(reference).await
    }

    /// Plugin `name` from `reference`. A digest reference is trusted by its
    /// pin (and served from the store when it is there, with no registry);
    /// a tag needs a signature by a key `plugins.trust` lets sign `name` or
    /// the repository. `verify: false` skips the signature (pull for
    /// inspection).
    pub async fn fetch(
        &self,
        name: &str,
        reference: &PluginRef,
        verify: bool,
    ) -> Result<Fetched, RegistryError> {
        if let Some(pinned) = reference.digest()
            && let Some(fetched) = self.stored(pinned)
        {
            return Ok(fetched);
        }
        let manifest = self.registries.manifest(reference).await?;
        self.fetch_manifest(name, reference, manifest, verify).await
    }

    /// As [`Self::fetch`], for a manifest already resolved.
    pub async fn fetch_manifest(
        &self,
        name: &str,
        reference: &PluginRef,
        manifest: Manifest,
        verify: bool,
    ) -> Result<Fetched, RegistryError> {
        let trusted_by = if reference.digest().is_some() {
            TrustedBy::Pin
        } else if verify {
            let signatures = self
                .registries
                .signatures(reference, &manifest.digest)
                .await?;
            let key = self.trust.verify_artifact(
                name,
                &reference.repository(),
                &manifest.digest,
                &signatures,
            )?;
            TrustedBy::Key(key)
        } else {
            TrustedBy::Unverified
        };
        let layer = manifest.component_layer()?.clone();
        let component = match self.store.get(&layer.digest) {
            Some(bytes) => bytes,
            None => {
                let bytes = self
                    .registries
                    .blob(&reference.at_digest(&manifest.digest), &layer)
                    .await?;
                self.keep(&bytes);
                bytes
            }
        };
        self.keep(&manifest.bytes);
        Ok(Fetched {
            digest: manifest.digest.clone(),
            component,
            trusted_by,
            annotations: manifest.annotations(),
        })
    }

    /// A pinned artifact pulled before.
    fn stored(&self, digest: &str) -> Option<Fetched> {
        let bytes = self.store.get(digest)?;
        let parsed = serde_json::from_slice(&bytes).ok()?;
        let manifest = Manifest {
            digest: digest.to_owned(),
            bytes,
            parsed,
        };
        let layer = manifest.component_layer().ok()?;
        let component = self.store.get(&layer.digest)?;
        Some(Fetched {
            digest: digest.to_owned(),
            component,
            trusted_by: TrustedBy::Pin,
            annotations: manifest.annotations(),
        })
    }

    fn keep(&self, bytes: &[u8]) {
        if let Err(e) = self.store.put(bytes) {
            tracing::warn!(store = %self.store.dir().display(), "cannot write to the artifact store: {e}");
        }
    }
}
