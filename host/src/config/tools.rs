//! `tools.*`: which tools exist, and the per-caller rules.

use super::error::ConfigError;
use super::layer;
use super::origin::Sourced;
use super::settings::Layer;
use crate::policy::tools::{Condition, Effect, ToolFilter, ToolRule};

/// `tools.*`: the global lists and the per-caller rules.
pub(super) fn tools_section(layer: &mut Layer) -> Result<(ToolFilter, Vec<ToolRule>), ConfigError> {
    let tool_rules = std::mem::take(&mut layer.access.rules)
        .into_iter()
        .map(tool_rule)
        .collect::<Result<Vec<_>, _>>()?;

    let tools = tool_filter(layer.allowed_tools.take(), layer.disallowed_tools.take())?;
    Ok((tools, tool_rules))
}

/// One entry of `tools.rules`: exactly one of `allow` and `deny`.
fn tool_rule(raw: layer::RawToolRule) -> Result<ToolRule, ConfigError> {
    let (effect, patterns) = match (raw.allow, raw.deny) {
        (Some(a), None) => (Effect::Allow, a.value),
        (None, Some(d)) => (Effect::Deny, d.value),
        (Some(a), Some(d)) => {
            return Err(ConfigError::Conflict {
                first: a.origin,
                second: d.origin,
                message: "a rule either allows or denies; write two rules",
            });
        }
        (None, None) => {
            return Err(ConfigError::Invalid {
                origin: raw.at,
                message: "a rule needs 'allow' or 'deny' (a list of tool names or patterns)".into(),
            });
        }
    };
    if patterns.is_empty() {
        return Err(ConfigError::Invalid {
            origin: raw.at,
            message: "the rule names no tools".into(),
        });
    }
    let clusters = super::kubernetes::cluster_names(raw.clusters)?;
    Ok(ToolRule {
        effect,
        patterns,
        clusters,
        when: Condition {
            scopes: raw.scopes.map(|s| s.value).unwrap_or_default(),
            groups: raw.groups.map(|g| g.value).unwrap_or_default(),
            claims: raw.claims.into_iter().map(|(k, v)| (k, v.value)).collect(),
        },
    })
}

/// The seed's rule: an allow-list or a deny-list, never both.
fn tool_filter(
    allowed: Option<Sourced<Vec<String>>>,
    disallowed: Option<Sourced<Vec<String>>>,
) -> Result<ToolFilter, ConfigError> {
    // An empty list is the same as an unset one (the seed chart's `""`).
    let allowed = allowed.filter(|a| !a.value.is_empty());
    let disallowed = disallowed.filter(|d| !d.value.is_empty());
    match (allowed, disallowed) {
        (Some(a), Some(d)) => Err(ConfigError::Conflict {
            first: a.origin,
            second: d.origin,
            message: "give either an allowed-tools or a disallowed-tools list, not both",
        }),
        (Some(a), None) => Ok(ToolFilter::Allowed(a.value)),
        (None, Some(d)) => Ok(ToolFilter::Disallowed(d.value)),
        (None, None) => Ok(ToolFilter::All),
    }
}
