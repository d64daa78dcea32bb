//! The `plugins` settings: limits of every call, and what differs per plugin.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::layer::{RawCapability, RawLimits, RawOverride, RawPluginSettings};
use super::values::{parse_duration, parse_size};
use super::{ConfigError, Sourced};
use crate::kube::grants::{Capability, Verb};

/// Limits of one plugin call. Defaults are deliberately tight: a tool that
/// needs more gets it by name, in `plugins.overrides`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    /// Wall-clock time a call may run.
    pub timeout: Duration,
    /// Maximum size of the plugin's linear memory.
    pub memory_bytes: u64,
    /// Maximum size of a call's result (content and structured content).
    pub output_bytes: u64,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            timeout: Duration::from_secs(10),
            memory_bytes: 64 << 20,
            output_bytes: 1 << 20,
        }
    }
}

/// Hard bounds on what any configuration may set.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);
const MIN_MEMORY: u64 = 1 << 20;
/// The pooling allocator reserves this much address space per instance.
pub const MAX_MEMORY: u64 = 1 << 30;

/// A directory an operator lends one plugin, preopened at `/data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryGrant {
    /// An existing host directory, read-only.
    ReadOnly(PathBuf),
    /// A fresh empty directory for each call, writable, removed afterwards.
    Scratch,
}

/// What differs for one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginOverride {
    pub limits: Option<PluginLimits>,
    pub directory: Option<DirectoryGrant>,
    /// What the plugin reads through the `config` import.
    pub settings: BTreeMap<String, String>,
}

/// Resolved `plugins.limits`, `plugins.overrides` and `plugins.grants`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginSettings {
    pub limits: PluginLimits,
    pub overrides: BTreeMap<String, PluginOverride>,
    /// Plugin name → the SHA-256 its file must have (`plugins.pins`).
    pub pins: BTreeMap<String, [u8; 32]>,
    /// Plugin name → Kubernetes capabilities granted. No entry, no access.
    pub grants: BTreeMap<String, Vec<Capability>>,
}

impl PluginSettings {
    /// The limits of `plugin`'s calls.
    pub fn limits_for(&self, plugin: &str) -> PluginLimits {
        self.overrides
            .get(plugin)
            .and_then(|o| o.limits)
            .unwrap_or(self.limits)
    }

    /// The settings `plugin` reads through the `config` import.
    pub fn settings_for(&self, plugin: &str) -> BTreeMap<String, String> {
        self.overrides
            .get(plugin)
            .map(|o| o.settings.clone())
            .unwrap_or_default()
    }

    /// The directory lent to `plugin`, if any.
    pub fn directory_for(&self, plugin: &str) -> Option<&DirectoryGrant> {
        self.overrides.get(plugin)?.directory.as_ref()
    }

    /// The Kubernetes capabilities granted to `plugin` (none when absent).
    pub fn grants_for(&self, plugin: &str) -> &[Capability] {
        self.grants.get(plugin).map_or(&[], Vec::as_slice)
    }

    pub(super) fn resolve(raw: RawPluginSettings) -> Result<PluginSettings, ConfigError> {
        let limits = resolve_limits(raw.limits, PluginLimits::default())?;
        let overrides = raw
            .overrides
            .into_iter()
            .map(|(name, o)| Ok((name.clone(), resolve_override(&name, o, limits)?)))
            .collect::<Result<_, ConfigError>>()?;
        let grants = raw
            .grants
            .into_iter()
            .map(|(name, capabilities)| {
                let resolved = capabilities
                    .into_iter()
                    .map(resolve_capability)
                    .collect::<Result<_, _>>()?;
                Ok((name, resolved))
            })
            .collect::<Result<_, ConfigError>>()?;
        let pins = raw
            .pins
            .into_iter()
            .map(|(name, pin)| Ok((name, pin.try_map(|p| parse_pin(&p))?.value)))
            .collect::<Result<_, ConfigError>>()?;
        Ok(PluginSettings {
            limits,
            overrides,
            grants,
            pins,
        })
    }
}

/// Values left out inherit from `base` (the defaults, or `plugins.limits`).
/// `sha256:` and 64 hex digits, as `sha256sum` and OCI write digests.
fn parse_pin(text: &str) -> Result<[u8; 32], String> {
    let bad = || format!("'{text}' is not a digest like sha256:<64 hex digits>");
    let hex = text.trim().strip_prefix("sha256:").ok_or_else(bad)?;
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(digest)
}

fn resolve_limits(raw: RawLimits, base: PluginLimits) -> Result<PluginLimits, ConfigError> {
    let parse = |v: Option<Sourced<String>>, f: fn(&str) -> Result<u64, String>| {
        v.map(|v| v.try_map(|t| f(&t))).transpose()
    };
    let timeout = raw
        .timeout
        .map(|v| {
            v.try_map(|t| {
                let d = parse_duration(&t)?;
                if d.is_zero() || d > MAX_TIMEOUT {
                    return Err(format!("'{t}' must be more than 0 and at most 10m"));
                }
                Ok(d)
            })
        })
        .transpose()?;
    let memory = parse(raw.memory, |t| {
        let n = parse_size(t)?;
        if !(MIN_MEMORY..=MAX_MEMORY).contains(&n) {
            return Err(format!("'{t}' must be between 1MiB and 1GiB"));
        }
        Ok(n)
    })?;
    let output = parse(raw.output, |t| {
        let n = parse_size(t)?;
        if n < 1024 {
            return Err(format!("'{t}' must be at least 1KiB"));
        }
        Ok(n)
    })?;
    Ok(PluginLimits {
        timeout: timeout.map_or(base.timeout, |t| t.value),
        memory_bytes: memory.map_or(base.memory_bytes, |m| m.value),
        output_bytes: output.map_or(base.output_bytes, |o| o.value),
    })
}

fn resolve_capability(raw: RawCapability) -> Result<Capability, ConfigError> {
    let required = |list: Option<Sourced<Vec<String>>>, what: &str| match list {
        Some(list) if list.value.is_empty() => Err(ConfigError::Invalid {
            origin: list.origin,
            message: format!("must list at least one {what} (or '*')"),
        }),
        Some(list) => Ok(list),
        None => Err(ConfigError::Invalid {
            origin: raw.at.clone(),
            message: format!("missing {what}s (use '*' for all)"),
        }),
    };
    let verbs = required(raw.verbs, "verb")?.try_map(|verbs| {
        match verbs.iter().find(|v| *v != "*" && Verb::named(v).is_none()) {
            Some(bad) => Err(format!(
                "unknown verb '{bad}' (expected {} or '*')",
                Verb::ALL.map(Verb::as_str).join(", ")
            )),
            None => Ok(verbs),
        }
    })?;
    // The core group is "", which a comma list cannot express; a YAML list can.
    let api_groups = match raw.api_groups {
        Some(groups) => groups.value,
        None => {
            return Err(ConfigError::Invalid {
                origin: raw.at,
                message: "missing apiGroups (\"\" is the core group, '*' all)".into(),
            });
        }
    };
    let resources = required(raw.resources, "resource")?.value;
    // Absent namespaces: cluster-scoped resources only.
    let namespaces = raw.namespaces.map(|n| n.value).unwrap_or_default();
    Ok(Capability {
        verbs: verbs.value,
        api_groups,
        resources,
        namespaces,
    })
}

fn resolve_override(
    name: &str,
    raw: RawOverride,
    base: PluginLimits,
) -> Result<PluginOverride, ConfigError> {
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return Err(ConfigError::Invalid {
            origin: raw.at,
            message: format!("'{name}' is not a plugin name (lowercase letters, digits and '-')"),
        });
    }
    let has_limits =
        raw.limits.timeout.is_some() || raw.limits.memory.is_some() || raw.limits.output.is_some();
    let limits = if has_limits {
        Some(resolve_limits(raw.limits, base)?)
    } else {
        None
    };
    let directory = match raw.directory {
        None => None,
        Some(d) => {
            let mode = d.mode.map(|m| m.value);
            match (mode.as_deref(), d.path) {
                (Some("scratch"), None) => Some(DirectoryGrant::Scratch),
                (Some("readOnly") | None, Some(path)) => {
                    let path = path.try_map(|p| {
                        let path = PathBuf::from(&p);
                        if path.is_dir() {
                            Ok(path)
                        } else {
                            Err(format!("{p} is not an existing directory"))
                        }
                    })?;
                    Some(DirectoryGrant::ReadOnly(path.value))
                }
                (mode, path) => {
                    return Err(ConfigError::Invalid {
                        origin: d.at,
                        message: format!(
                            "expected either {{mode: readOnly, path: DIR}} or {{mode: scratch}} \
                             (got mode {mode:?}, path {:?})",
                            path.map(|p| p.value)
                        ),
                    });
                }
            }
        }
    };
    Ok(PluginOverride {
        limits,
        directory,
        settings: raw.settings,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::file;

    fn settings(yaml: &str) -> Result<PluginSettings, String> {
        let layer = file::parse(yaml, Path::new("c.yaml")).map_err(|e| e.to_string())?;
        PluginSettings::resolve(layer.plugin_settings).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_then_global_then_per_plugin() {
        let s = settings(
            "plugins:\n  limits: {timeout: 5s, memory: 32MiB}\n  overrides:\n    big: {limits: {memory: 256Mi}}\n",
        )
        .unwrap();
        assert_eq!(s.limits_for("other").timeout, Duration::from_secs(5));
        assert_eq!(s.limits_for("other").memory_bytes, 32 << 20);
        assert_eq!(s.limits_for("other").output_bytes, 1 << 20);
        // An override inherits what it does not set from plugins.limits.
        assert_eq!(s.limits_for("big").memory_bytes, 256 << 20);
        assert_eq!(s.limits_for("big").timeout, Duration::from_secs(5));
    }

    #[test]
    fn errors_name_the_key() {
        let err =
            settings("plugins:\n  overrides:\n    x: {limits: {memory: 4GiB}}\n").unwrap_err();
        assert!(
            err.starts_with("key 'plugins.overrides.x.limits.memory' in c.yaml"),
            "{err}"
        );
        assert!(err.contains("between 1MiB and 1GiB"), "{err}");
        let err = settings("plugins:\n  limits: {timeout: 0s}\n").unwrap_err();
        assert!(err.starts_with("key 'plugins.limits.timeout'"), "{err}");
        let err = settings("plugins:\n  overrides:\n    Bad_Name: {}\n").unwrap_err();
        assert!(err.contains("'Bad_Name' is not a plugin name"), "{err}");
        let err =
            settings("plugins:\n  overrides:\n    x: {directory: {mode: scratch, path: /tmp}}\n")
                .unwrap_err();
        assert!(
            err.starts_with("key 'plugins.overrides.x.directory'"),
            "{err}"
        );
        let err = settings("plugins:\n  overrides:\n    x: {directory: {path: /nonexistent}}\n")
            .unwrap_err();
        assert!(
            err.contains("/nonexistent is not an existing directory"),
            "{err}"
        );
    }

    #[test]
    fn grants_are_parsed_and_checked() {
        let s = settings(
            "plugins:\n  grants:\n    kube-core:\n      - {verbs: [get, list], apiGroups: [\"\", apps], resources: [pods, deployments], namespaces: [\"*\"]}\n      - {verbs: [get], apiGroups: [\"\"], resources: [nodes]}\n",
        )
        .unwrap();
        let grants = s.grants_for("kube-core");
        assert_eq!(grants.len(), 2);
        assert_eq!(grants[0].api_groups, vec!["", "apps"]);
        assert!(grants[1].namespaces.is_empty(), "cluster-scoped only");
        assert!(s.grants_for("other").is_empty(), "no entry, no access");

        let err = settings("plugins:\n  grants:\n    x:\n      - {verbs: [get, nuke], apiGroups: [\"\"], resources: [pods]}\n")
            .unwrap_err();
        assert!(
            err.starts_with("key 'plugins.grants.x[0].verbs' in c.yaml: unknown verb 'nuke'"),
            "{err}"
        );
        let err =
            settings("plugins:\n  grants:\n    x:\n      - {verbs: [get], resources: [pods]}\n")
                .unwrap_err();
        assert!(
            err.starts_with("key 'plugins.grants.x[0]' in c.yaml: missing apiGroups"),
            "{err}"
        );
        let err = settings("plugins:\n  grants:\n    x:\n      - {verbs: [get], apiGroups: [\"\"], resources: []}\n").unwrap_err();
        assert!(err.contains("plugins.grants.x[0].resources"), "{err}");
        let err = settings("plugins:\n  grants:\n    x:\n      - {verb: [get]}\n").unwrap_err();
        assert!(err.contains("unknown field `verb`"), "{err}");
    }

    #[test]
    fn directories_read_only_or_scratch() {
        let s = settings(
            "plugins:\n  overrides:\n    a: {directory: {path: /tmp}}\n    b: {directory: {mode: scratch}}\n",
        )
        .unwrap();
        assert_eq!(
            s.directory_for("a"),
            Some(&DirectoryGrant::ReadOnly("/tmp".into()))
        );
        assert_eq!(s.directory_for("b"), Some(&DirectoryGrant::Scratch));
        assert_eq!(s.directory_for("c"), None);
    }
}
