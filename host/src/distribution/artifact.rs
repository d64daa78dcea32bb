//! The layout kube-mcp pushes: a Wasm OCI artifact as `wkg` and `oci-wasm`
//! write it (config `application/vnd.wasm.config.v0+json`, one
//! `application/wasm` layer), with annotations that say what the plugin is.

use std::collections::BTreeMap;

use oci_client::manifest::OCI_IMAGE_MEDIA_TYPE;

use super::reference::PluginRef;
use super::registry::{Registries, RegistryError, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use super::signature::sha256_digest;

/// The plugin's name, as its `describe` says (informative: grants bind to
/// the name the operator configures).
pub const NAME_ANNOTATION: &str = "dev.kube-mcp.plugin.name";
/// The WIT package and version the component targets.
pub const WIT_ANNOTATION: &str = "dev.kube-mcp.plugin.wit";
/// The Kubernetes capabilities the plugin requests, as JSON.
pub const CAPABILITIES_ANNOTATION: &str = "dev.kube-mcp.plugin.capabilities";
/// The tools it offers, comma-separated.
pub const TOOLS_ANNOTATION: &str = "dev.kube-mcp.plugin.tools";
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";
pub const VERSION_ANNOTATION: &str = "org.opencontainers.image.version";
pub const DESCRIPTION_ANNOTATION: &str = "org.opencontainers.image.description";
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";

/// A component and what the artifact says about it.
#[derive(Debug, Clone, Default)]
pub struct Artifact {
    /// The component (or an encoded WIT package).
    pub wasm: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
    /// What the component imports and exports (the config's `component`).
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// The world it targets, when it is a plugin.
    pub target: Option<String>,
}

/// When the artifact was made: `SOURCE_DATE_EPOCH` if set, else the epoch,
/// so that pushing the same file twice gives the same digest.
fn created() -> String {
    let seconds: i64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Howard Hinnant's days-to-civil: the date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Pushes `artifact` to `reference` (a tag); returns the manifest digest.
pub async fn push(
    registries: &Registries,
    reference: &PluginRef,
    artifact: Artifact,
) -> Result<String, RegistryError> {
    let layer_size = artifact.wasm.len();
    let layer_digest = sha256_digest(&artifact.wasm);
    let created = created();
    let config = serde_json::json!({
        "created": created,
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer_digest],
        "component": {
            "exports": artifact.exports,
            "imports": artifact.imports,
            "target": artifact.target,
        },
    });
    let config = serde_json::to_vec(&config).expect("config serializes");
    let config_size = config.len();
    let config_digest = registries.push_blob(reference, config).await?;
    let pushed = registries.push_blob(reference, artifact.wasm).await?;
    debug_assert_eq!(pushed, layer_digest);
    let mut annotations = artifact.annotations;
    annotations.insert(CREATED_ANNOTATION.into(), created);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MEDIA_TYPE,
        "artifactType": WASM_CONFIG_MEDIA_TYPE,
        "config": {"mediaType": WASM_CONFIG_MEDIA_TYPE, "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": WASM_LAYER_MEDIA_TYPE, "digest": layer_digest, "size": layer_size}],
        "annotations": annotations,
    });
    registries.push_manifest(reference, &manifest).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_civil() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(super::civil_from_days(19_782), (2024, 2, 29));
    }
}
