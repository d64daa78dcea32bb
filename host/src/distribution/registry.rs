//! Talking to OCI registries: resolve a reference, fetch a plugin's
//! component and its cosign signatures, push both.
//!
//! Every byte that comes back is checked against the digest that names
//! it: a manifest against the digest it was asked for (or, for a tag, the
//! digest the signature names), a layer against the manifest. TLS is
//! always verified; plain HTTP is used only for a registry on loopback.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use oci_client::Client;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use oci_client::secrets::RegistryAuth;

use super::auth::RegistryCredentials;
use super::reference::PluginRef;
use super::signature::{
    CERTIFICATE_ANNOTATION, SIGNATURE_ANNOTATION, SIGNATURE_ARTIFACT_TYPE,
    SIMPLE_SIGNING_MEDIA_TYPE, sha256_digest, signature_tag,
};
use super::trust::{FoundSignature, TrustRefusal};

/// The layer media type of a WebAssembly component (`wkg`, `oci-wasm`).
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The older `wasm-to-oci` layer type, still accepted when pulling.
const LEGACY_WASM_LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.layer.v1+wasm";
/// The config media type of a Wasm artifact (`oci-wasm`).
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The empty config of artifacts such as cosign signatures.
const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The largest component kube-mcp pulls (the TypeScript and Python
/// runtimes are ~12-18 MiB).
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;
/// The largest signature payload (cosign's are a few hundred bytes).
const MAX_PAYLOAD_BYTES: i64 = 64 << 10;
/// The most signatures read for one artifact.
const MAX_SIGNATURES: usize = 32;

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry did not answer, or answered with a server error: the
    /// next poll tries again.
    #[error("the registry is unreachable: {0}")]
    Unreachable(String),
    #[error("{0} was not found in the registry")]
    NotFound(String),
    #[error("the registry refused the credentials: {0}")]
    Denied(String),
    /// What came back does not match its digest, or is not a plugin.
    #[error("{0}")]
    Refused(#[from] TrustRefusal),
    #[error("{0}")]
    Invalid(String),
}

impl RegistryError {
    /// The metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            RegistryError::Unreachable(_) => "unreachable",
            RegistryError::NotFound(_) => "not_found",
            RegistryError::Denied(_) => "denied",
            RegistryError::Refused(r) => r.reason(),
            RegistryError::Invalid(_) => "invalid",
        }
    }
}

/// A manifest as fetched, with the digest of its exact bytes.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub digest: String,
    pub bytes: Vec<u8>,
    pub parsed: OciImageManifest,
}

impl Manifest {
    /// The single WebAssembly layer of a plugin artifact.
    pub fn component_layer(&self) -> Result<&OciDescriptor, RegistryError> {
        let wasm: Vec<&OciDescriptor> = self
            .parsed
            .layers
            .iter()
            .filter(|l| {
                l.media_type == WASM_LAYER_MEDIA_TYPE
                    || l.media_type == LEGACY_WASM_LAYER_MEDIA_TYPE
            })
            .collect();
        match wasm.as_slice() {
            [layer] if (0..=MAX_COMPONENT_BYTES as i64).contains(&layer.size) => Ok(layer),
            [layer] => Err(RegistryError::Invalid(format!(
                "its component layer is {} bytes, more than the {} MiB limit",
                layer.size,
                MAX_COMPONENT_BYTES >> 20
            ))),
            [] => Err(RegistryError::Invalid(format!(
                "{} is not a WebAssembly artifact: no layer of media type {WASM_LAYER_MEDIA_TYPE} (its config is {})",
                self.digest, self.parsed.config.media_type
            ))),
            _ => Err(RegistryError::Invalid(format!(
                "{} has {} WebAssembly layers; a plugin artifact has one",
                self.digest,
                wasm.len()
            ))),
        }
    }

    /// The annotations of the manifest.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        self.parsed.annotations.clone().unwrap_or_default()
    }
}

/// A registry client that reuses connections and tokens per registry.
pub struct Registries {
    credentials: RegistryCredentials,
    clients: Mutex<HashMap<String, Client>>,
}

impl Registries {
    pub fn new(credentials: RegistryCredentials) -> Registries {
        Registries {
            credentials,
            clients: Mutex::default(),
        }
    }

    fn client(&self, reference: &PluginRef) -> (Client, RegistryAuth) {
        let registry = reference.registry().to_owned();
        let auth = self.credentials.for_registry(&registry);
        let mut clients = self.clients.lock().expect("registry clients lock");
        let client = clients
            .entry(registry.clone())
            .or_insert_with(|| {
                Client::new(ClientConfig {
                    protocol: protocol(reference),
                    connect_timeout: Some(Duration::from_secs(10)),
                    read_timeout: Some(Duration::from_secs(60)),
                    user_agent: concat!("kube-mcp/", env!("CARGO_PKG_VERSION")),
                    // An index is never a plugin.
                    platform_resolver: None,
                    ..ClientConfig::default()
                })
            })
            .clone();
        (client, auth)
    }

    /// Fetches the manifest `reference` names. For a digest reference the
    /// bytes must hash to it.
    pub async fn manifest(&self, reference: &PluginRef) -> Result<Manifest, RegistryError> {
        let (client, auth) = self.client(reference);
        let accepted = [OCI_IMAGE_MEDIA_TYPE, DOCKER_MANIFEST_MEDIA_TYPE];
        let (bytes, _) = client
            .pull_manifest_raw(reference.oci(), &auth, &accepted)
            .await
            .map_err(|e| classify(e, &reference.to_string(), Digested::Manifest))?;
        let digest = sha256_digest(&bytes);
        if let Some(pinned) = reference.digest()
            && pinned != digest
        {
            return Err(TrustRefusal::DigestMismatch(format!(
                "the registry returned a manifest whose digest is {digest} for {reference}"
            ))
            .into());
        }
        let parsed: OciImageManifest = serde_json::from_slice(&bytes).map_err(|e| {
            RegistryError::Invalid(format!(
                "{reference} is not an OCI image manifest (an index or another kind of object?): {e}"
            ))
        })?;
        Ok(Manifest {
            digest,
            bytes: bytes.to_vec(),
            parsed,
        })
    }

    /// The bytes of `layer` of the artifact at `reference`, checked against
    /// the layer's digest and size.
    pub async fn blob(
        &self,
        reference: &PluginRef,
        layer: &OciDescriptor,
    ) -> Result<Vec<u8>, RegistryError> {
        let (client, auth) = self.client(reference);
        client
            .store_auth_if_needed(reference.registry(), &auth)
            .await;
        let declared = usize::try_from(layer.size).unwrap_or(0);
        let mut bytes = Bounded {
            bytes: Vec::with_capacity(declared.min(MAX_COMPONENT_BYTES as usize)),
            limit: declared,
        };
        client
            .pull_blob(reference.oci(), layer, &mut bytes)
            .await
            .map_err(|e| {
                classify(
                    e,
                    &format!("{} of {reference}", layer.digest),
                    Digested::Layer,
                )
            })?;
        let bytes = bytes.bytes;
        if bytes.len() as i64 != layer.size {
            return Err(TrustRefusal::Tampered(format!(
                "layer {} is {} bytes, and its manifest says {}",
                layer.digest,
                bytes.len(),
                layer.size
            ))
            .into());
        }
        Ok(bytes)
    }

    /// The cosign signatures of manifest `digest`: the layers of the
    /// `sha256-<hex>.sig` tag, then OCI 1.1 referrers of cosign's artifact
    /// type. Payloads are checked against their layer digests; whether the
    /// signatures are good is the trust policy's call.
    pub async fn signatures(
        &self,
        reference: &PluginRef,
        digest: &str,
    ) -> Result<Vec<FoundSignature>, RegistryError> {
        let mut manifests = Vec::new();
        match self
            .manifest(&reference.at_tag(&signature_tag(digest)))
            .await
        {
            Ok(m) => manifests.push(m),
            Err(RegistryError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let (client, auth) = self.client(reference);
        client
            .store_auth_if_needed(reference.registry(), &auth)
            .await;
        // Referrers are optional: a registry without the API (and without
        // the fallback tag) has none.
        if let Ok(index) = client
            .pull_referrers(
                &reference.at_digest(digest).oci().clone(),
                Some(SIGNATURE_ARTIFACT_TYPE),
            )
            .await
        {
            for entry in index.manifests.iter().take(MAX_SIGNATURES) {
                if entry.artifact_type.as_deref() == Some(SIGNATURE_ARTIFACT_TYPE) {
                    manifests.push(self.manifest(&reference.at_digest(&entry.digest)).await?);
                }
            }
        }
        let mut found = Vec::new();
        for manifest in manifests {
            for layer in manifest
                .parsed
                .layers
                .iter()
                .filter(|l| l.media_type == SIMPLE_SIGNING_MEDIA_TYPE)
                .take(MAX_SIGNATURES)
            {
                let annotations = layer.annotations.clone().unwrap_or_default();
                let Some(signature) = annotations.get(SIGNATURE_ANNOTATION) else {
                    continue;
                };
                let Ok(signature) = super::signature::decode_base64(signature) else {
                    continue;
                };
                if !(0..=MAX_PAYLOAD_BYTES).contains(&layer.size) {
                    continue;
                }
                let payload = self.blob(reference, layer).await?;
                found.push(FoundSignature {
                    payload,
                    signature,
                    keyless: annotations.contains_key(CERTIFICATE_ANNOTATION),
                });
            }
        }
        Ok(found)
    }

    /// Pushes a blob unless the registry has it.
    pub async fn push_blob(
        &self,
        reference: &PluginRef,
        bytes: Vec<u8>,
    ) -> Result<String, RegistryError> {
        let (client, auth) = self.client(reference);
        let digest = sha256_digest(&bytes);
        client
            .store_auth_if_needed(reference.registry(), &auth)
            .await;
        let known = client
            .blob_exists(reference.oci(), &digest)
            .await
            .map_err(|e| classify(e, &reference.to_string(), Digested::Layer))?;
        if !known {
            match client.push_blob(reference.oci(), bytes, &digest).await {
                Ok(_) => {}
                // Some registries (go-containerregistry's, ECR) complete an
                // upload without a Location header; the blob is there.
                Err(OciDistributionError::RegistryNoLocationError)
                    if client
                        .blob_exists(reference.oci(), &digest)
                        .await
                        .unwrap_or(false) => {}
                Err(e) => return Err(classify(e, &reference.to_string(), Digested::Layer)),
            }
        }
        Ok(digest)
    }

    /// Pushes `manifest` at `reference` (a tag); returns its digest.
    pub async fn push_manifest(
        &self,
        reference: &PluginRef,
        manifest: &serde_json::Value,
    ) -> Result<String, RegistryError> {
        let (client, auth) = self.client(reference);
        client
            .store_auth_if_needed(reference.registry(), &auth)
            .await;
        let bytes = serde_json::to_vec(manifest).expect("a manifest serializes");
        let digest = sha256_digest(&bytes);
        client
            .push_manifest_raw(
                reference.oci(),
                bytes,
                http::HeaderValue::from_static(OCI_IMAGE_MEDIA_TYPE),
            )
            .await
            .map_err(|e| classify(e, &reference.to_string(), Digested::Manifest))?;
        Ok(digest)
    }

    /// Adds a cosign signature of `digest` to its `.sig` tag, keeping the
    /// signatures already there.
    pub async fn push_signature(
        &self,
        reference: &PluginRef,
        digest: &str,
        payload: Vec<u8>,
        signature: &[u8],
    ) -> Result<String, RegistryError> {
        let tag = reference.at_tag(&signature_tag(digest));
        let mut layers = match self.manifest(&tag).await {
            Ok(existing) => existing.parsed.layers,
            Err(RegistryError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let encoded = super::signature::encode_base64(signature);
        let size = payload.len() as i64;
        let payload_digest = self.push_blob(reference, payload).await?;
        layers.retain(|l| {
            l.annotations
                .as_ref()
                .and_then(|a| a.get(SIGNATURE_ANNOTATION))
                != Some(&encoded)
        });
        layers.push(OciDescriptor {
            media_type: SIMPLE_SIGNING_MEDIA_TYPE.into(),
            digest: payload_digest,
            size,
            annotations: Some(BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), encoded)])),
            ..OciDescriptor::default()
        });
        let config = b"{}".to_vec();
        let config_size = config.len();
        let config_digest = self.push_blob(reference, config).await?;
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_IMAGE_MEDIA_TYPE,
            "config": {"mediaType": EMPTY_CONFIG_MEDIA_TYPE, "digest": config_digest, "size": config_size},
            "layers": layers,
        });
        self.push_manifest(&tag, &manifest).await
    }
}

/// TLS, always, except for a registry on this machine.
fn protocol(reference: &PluginRef) -> ClientProtocol {
    if reference.is_loopback() {
        ClientProtocol::HttpsExcept(vec![reference.registry().to_owned()])
    } else {
        ClientProtocol::Https
    }
}

/// A buffer that refuses to grow past the size a manifest declared: a
/// registry that streams more is cut off, not buffered.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl tokio::io::AsyncWrite for Bounded {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.bytes.len() + buf.len() > self.limit {
            return std::task::Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the blob is longer than the {} bytes its manifest declares",
                    self.limit
                ),
            )));
        }
        self.bytes.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// What a digest error was about.
#[derive(Clone, Copy)]
enum Digested {
    Manifest,
    Layer,
}

/// Sorts an oci-client error into what the caller acts on.
fn classify(error: OciDistributionError, what: &str, digested: Digested) -> RegistryError {
    use OciDistributionError as E;
    match error {
        E::DigestError(oci_client::errors::DigestError::VerificationError { actual, .. })
            if matches!(digested, Digested::Manifest) =>
        {
            TrustRefusal::DigestMismatch(format!(
                "the registry returned a manifest whose digest is {actual} for {what}"
            ))
            .into()
        }
        E::DigestError(e) => match digested {
            Digested::Manifest => TrustRefusal::DigestMismatch(format!("{what}: {e}")).into(),
            Digested::Layer => {
                TrustRefusal::Tampered(format!("{what}: the blob does not match its digest ({e})"))
                    .into()
            }
        },
        E::RegistryError { envelope, .. } => {
            let not_found = envelope.errors.iter().any(|e| {
                matches!(
                    e.code,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NotFound
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::BlobUnknown
                )
            });
            let denied = envelope
                .errors
                .iter()
                .any(|e| matches!(e.code, OciErrorCode::Unauthorized | OciErrorCode::Denied));
            if not_found {
                RegistryError::NotFound(what.to_owned())
            } else if denied {
                RegistryError::Denied(format!("{what}: {envelope}"))
            } else {
                RegistryError::Invalid(format!("{what}: {envelope}"))
            }
        }
        E::ServerError { code: 404, .. } | E::ImageManifestNotFoundError(_) => {
            RegistryError::NotFound(what.to_owned())
        }
        E::ServerError { code, message, .. } if (400..500).contains(&code) => {
            RegistryError::Invalid(format!("{what}: HTTP {code} {}", message.trim()))
        }
        E::ServerError { code, message, .. } => {
            RegistryError::Unreachable(format!("{what}: HTTP {code} {}", message.trim()))
        }
        E::UnauthorizedError { url } => RegistryError::Denied(url),
        E::AuthenticationFailure(m) => RegistryError::Denied(m),
        E::RequestError(e) => RegistryError::Unreachable(one_line(&e)),
        E::IoError(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            TrustRefusal::Tampered(format!("{what}: {e}")).into()
        }
        E::IoError(e) => RegistryError::Unreachable(e.to_string()),
        other => RegistryError::Invalid(format!("{what}: {other}")),
    }
}

use crate::text::with_causes as one_line;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        let protocol = |r: &str| protocol(&PluginRef::parse(r).unwrap());
        for remote in [
            "oci://ghcr.io/a/b:1",
            "oci://10.0.0.5:5000/a/b:1",
            "oci://registry.local:5000/a/b:1",
            "oci://localhost.example.com/a/b:1",
        ] {
            assert_eq!(protocol(remote), ClientProtocol::Https, "{remote}");
        }
        assert_eq!(
            protocol("oci://127.0.0.1:5000/a/b:1"),
            ClientProtocol::HttpsExcept(vec!["127.0.0.1:5000".into()])
        );
        assert_eq!(
            protocol("oci://localhost:5000/a/b:1"),
            ClientProtocol::HttpsExcept(vec!["localhost:5000".into()])
        );
    }
}
