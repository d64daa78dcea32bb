//! The `plugins` settings: where plugins come from, their cache, the
//! limits of every call, and what differs per plugin.

use std::path::PathBuf;
use std::time::Duration;

use super::DEFAULT_PLUGINS_DIR;
use super::distribution::resolve_distribution;
use super::error::ConfigError;
use super::layer::{RawCapability, RawLimits, RawOverride, RawPluginSettings};
use super::origin::Sourced;
use super::settings::Layer;
use super::values::{existing_dir, non_empty, parse_duration, parse_size};
use crate::distribution::DistributionConfig;
use crate::kube::grants::{self, Capability, Verb};
use crate::plugins::settings::{
    DirectoryGrant, MAX_MEMORY, PluginLimits, PluginOverride, PluginSettings,
};

/// Hard bounds on what any configuration may set.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);
const MIN_MEMORY: u64 = 1 << 20;

#[derive(Debug, Clone)]
pub struct PluginsConfig {
    /// The plugin folder; `None` when every plugin comes from a registry.
    pub dir: Option<PathBuf>,
    /// Plugins pulled by reference, and the trust policy.
    pub distribution: DistributionConfig,
    /// More directories of plugins.
    pub extra_dirs: Vec<PathBuf>,
    /// Where compiled code is cached; `None` when the cache is off.
    pub cache_dir: Option<PathBuf>,
    /// Limits and directory grants, by plugin.
    pub settings: PluginSettings,
}

/// `plugins.*`: where plugins come from, their cache, limits and grants.
pub(super) fn plugins_section(layer: &mut Layer) -> Result<PluginsConfig, ConfigError> {
    let distribution = resolve_distribution(&mut layer.plugin_settings)?;
    let plugin_settings = resolve_settings(std::mem::take(&mut layer.plugin_settings))?;
    let plugins_dir = match layer.plugins_dir.take() {
        Some(dir) => Some(dir.try_map(|dir| existing_dir(&dir))?.value),
        // Plugins from registries only: no folder unless one is there.
        None if !distribution.sources.is_empty() => {
            Some(PathBuf::from(DEFAULT_PLUGINS_DIR)).filter(|d| d.is_dir())
        }
        None => Some({
            Sourced::default_value(DEFAULT_PLUGINS_DIR, "plugins.dir")
                .try_map(|dir| {
                    existing_dir(dir)
                        .map_err(|e| format!("{e}; set --plugins-dir or KUBE_MCP_PLUGINS_DIR"))
                })?
                .value
        }),
    };
    Ok(PluginsConfig {
        dir: plugins_dir,
        distribution,
        extra_dirs: match layer.plugins_extra_dirs.take() {
            Some(dirs) => {
                dirs.try_map(|dirs| dirs.iter().map(|d| existing_dir(d)).collect())?
                    .value
            }
            None => Vec::new(),
        },
        cache_dir: match layer.plugin_cache_dir.take() {
            Some(dir) if dir.value.trim() == "none" => None,
            Some(dir) => Some(dir.try_map(|d| non_empty(&d))?.value.into()),
            None => default_cache_dir(),
        },
        settings: plugin_settings,
    })
}

/// `$XDG_CACHE_HOME/kube-mcp/compiled`, else `~/.cache/kube-mcp/compiled`.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("kube-mcp/compiled"))
}

/// Resolves `plugins.limits`, `plugins.overrides`, `plugins.grants` and
/// `plugins.pins`.
pub(super) fn resolve_settings(raw: RawPluginSettings) -> Result<PluginSettings, ConfigError> {
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
    let resource_names = match raw.resource_names {
        None => Vec::new(),
        Some(names) => names.try_map(|names| {
            if names.is_empty() {
                return Err("must list at least one name (leave it out for any name)".into());
            }
            match names.iter().find(|n| {
                let stem = n.strip_suffix('*').unwrap_or(n);
                stem.is_empty() || stem.contains('*') || stem.contains('/')
            }) {
                Some(bad) => Err(format!(
                    "'{bad}' is not a name or a name prefix ending in '*' (like sh.helm.release.v1.*)"
                )),
                None => Ok(names),
            }
        })?
        .value,
    };
    let labels = match raw.label_selector {
        None => Vec::new(),
        Some(selector) => selector
            .try_map(|selector| {
                let terms = grants::selector_terms(&selector);
                let written = selector.split(',').filter(|t| !t.trim().is_empty()).count();
                if terms.is_empty()
                    || terms.len() != written
                    || terms.iter().any(|(k, v)| k.is_empty() || v.is_empty())
                {
                    Err(format!(
                        "'{selector}' must be key=value terms joined by commas (like owner=helm): \
                         a grant can only require labels, not exclude them"
                    ))
                } else {
                    Ok(terms)
                }
            })?
            .value,
    };
    Ok(Capability {
        verbs: verbs.value,
        api_groups,
        resources,
        namespaces,
        resource_names,
        labels,
        clusters: super::kubernetes::cluster_names(raw.clusters)?,
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
    let app_domains = match raw.app_domains {
        None => Vec::new(),
        Some(domains) => {
            domains
                .try_map(|list| {
                    for origin in &list {
                        crate::apps::check::check_origin(origin)
                            .map_err(|why| format!("'{origin}' {why}"))?;
                    }
                    Ok::<_, String>(list.iter().map(|o| o.to_ascii_lowercase()).collect())
                })?
                .value
        }
    };
    Ok(PluginOverride {
        limits,
        directory,
        app_domains,
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
        resolve_settings(layer.plugin_settings).map_err(|e| e.to_string())
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
    fn grants_narrow_to_names_and_labels_with_precise_errors() {
        let s = settings(
            "plugins:\n  grants:\n    helm:\n      - {verbs: [list], apiGroups: [\"\"], resources: [secrets], namespaces: [\"*\"], labelSelector: owner=helm}\n      - {verbs: [get], apiGroups: [\"\"], resources: [secrets], namespaces: [\"*\"], resourceNames: [\"sh.helm.release.v1.*\"]}\n",
        )
        .unwrap();
        let grants = s.grants_for("helm");
        assert_eq!(
            grants[0].labels,
            vec![("owner".to_owned(), "helm".to_owned())]
        );
        assert_eq!(grants[1].resource_names, vec!["sh.helm.release.v1.*"]);
        let line = |extra: &str| {
            settings(&format!(
                "plugins:\n  grants:\n    x:\n      - {{verbs: [get], apiGroups: [\"\"], resources: [secrets], {extra}}}\n"
            ))
            .unwrap_err()
        };
        let err = line("labelSelector: \"owner!=helm\"");
        assert!(
            err.starts_with("key 'plugins.grants.x[0].labelSelector' in c.yaml: 'owner!=helm' must be key=value terms"),
            "{err}"
        );
        let err = line("resourceNames: [\"a*b\"]");
        assert!(
            err.starts_with("key 'plugins.grants.x[0].resourceNames' in c.yaml: 'a*b' is not a name or a name prefix"),
            "{err}"
        );
        let err = line("resourceNames: []");
        assert!(err.contains("must list at least one name"), "{err}");
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
