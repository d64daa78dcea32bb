//! `plugins.sources`, `plugins.trust`, `plugins.requireSignatures` and
//! `plugins.registry`: plugins pulled by reference, and who may sign them.

use std::time::Duration;

use super::error::ConfigError;
use super::layer::{RawPluginSettings, RawSource, RawTrustKey};
use super::origin::{Origin, Sourced};
use super::values::{parse_bool, parse_duration};
use crate::distribution::signature::PublicKey;
use crate::distribution::{
    DEFAULT_POLL_INTERVAL, DistributionConfig, PluginRef, RegistryCredentials, Source, TrustPolicy,
    TrustedKey,
};

const MIN_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Resolves `plugins.sources`, `plugins.trust`, `plugins.requireSignatures`
/// and `plugins.registry`.
pub(super) fn resolve_distribution(
    raw: &mut RawPluginSettings,
) -> Result<DistributionConfig, ConfigError> {
    let mut sources: Vec<Source> = Vec::new();
    for raw in std::mem::take(&mut raw.sources) {
        let (source, at) = resolve_source(raw)?;
        if sources.iter().any(|s| s.name == source.name) {
            return Err(ConfigError::Invalid {
                origin: at,
                message: format!("plugin '{}' has two sources", source.name),
            });
        }
        sources.push(source);
    }
    let keys = std::mem::take(&mut raw.trust_keys)
        .into_iter()
        .map(resolve_key)
        .collect::<Result<Vec<_>, _>>()?;
    let require_signatures = match raw.require_signatures.take() {
        Some(v) => v.try_map(|t| parse_bool(&t))?.value,
        None => false,
    };
    let credentials = match raw.registry_auth_file.take() {
        Some(path) => {
            path.try_map(|p| RegistryCredentials::from_file(std::path::Path::new(p.trim())))?
                .value
        }
        None => RegistryCredentials::default(),
    };
    let poll_interval = match raw.registry_poll_interval.take() {
        Some(v) => {
            v.try_map(|t| {
                let d = parse_duration(&t)?;
                if d < MIN_POLL_INTERVAL {
                    return Err(format!("'{t}' is too short (at least 200ms)"));
                }
                Ok(d)
            })?
            .value
        }
        None => DEFAULT_POLL_INTERVAL,
    };
    let store = raw.registry_store.take().map(|s| s.value.trim().into());
    Ok(DistributionConfig {
        sources,
        trust: TrustPolicy { keys },
        require_signatures,
        credentials,
        poll_interval,
        store,
    })
}

fn missing(at: &Origin, key: &str, what: &str) -> ConfigError {
    ConfigError::Invalid {
        origin: at.clone(),
        message: format!("missing {key}: {what}"),
    }
}

fn resolve_source(raw: RawSource) -> Result<(Source, Origin), ConfigError> {
    let name = raw
        .name
        .ok_or_else(|| missing(&raw.at, "name", "the plugin name grants bind to"))?
        .try_map(|n| {
            let n = n.trim().to_owned();
            let ok = !n.is_empty()
                && n.len() <= 63
                && !n.starts_with('-')
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if ok {
                Ok(n)
            } else {
                Err(format!(
                    "'{n}' is not a plugin name (1-63 lowercase letters, digits and '-')"
                ))
            }
        })?;
    let (name, at) = (name.value, name.origin);
    let reference = raw
        .reference
        .ok_or_else(|| {
            missing(
                &raw.at,
                "ref",
                "oci://REGISTRY/REPOSITORY:TAG or @sha256:DIGEST",
            )
        })?
        .try_map(|r| PluginRef::parse(&r))?
        .value;
    Ok((Source { name, reference }, at))
}

fn resolve_key(raw: RawTrustKey) -> Result<TrustedKey, ConfigError> {
    let name = raw
        .name
        .ok_or_else(|| missing(&raw.at, "name", "what logs call this key"))?
        .value;
    let key = match (raw.public_key, raw.public_key_file) {
        (Some(text), None) => text.try_map(|t| PublicKey::from_pem(&t))?.value,
        (None, Some(path)) => {
            path.try_map(|p| {
                let text = std::fs::read_to_string(p.trim())
                    .map_err(|e| format!("cannot read {p}: {e}"))?;
                PublicKey::from_pem(&text).map_err(|e| format!("{p}: {e}"))
            })?
            .value
        }
        (Some(a), Some(b)) => {
            return Err(ConfigError::Conflict {
                first: a.origin,
                second: b.origin,
                message: "give the key inline or as a file, not both",
            });
        }
        (None, None) => {
            return Err(missing(
                &raw.at,
                "publicKey or publicKeyFile",
                "a PEM public key (cosign.pub)",
            ));
        }
    };
    let list = |v: Option<Sourced<Vec<String>>>| v.map(|l| l.value).unwrap_or_default();
    let (plugins, repositories) = (list(raw.plugins), list(raw.repositories));
    if plugins.is_empty() && repositories.is_empty() {
        return Err(ConfigError::Invalid {
            origin: raw.at,
            message: "a trusted key must say what it may sign: plugins (names, or '*') or repositories (registry/path, or registry/path/*)".into(),
        });
    }
    Ok(TrustedKey {
        name,
        key,
        plugins,
        repositories,
    })
}
