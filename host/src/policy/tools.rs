//! Which tools, prompts and resources a caller may see and use.
//!
//! Every kind of plugin export is an [`Export`]: a tool, a prompt, or a
//! resource (by URI or URI template; reading, subscribing to and completing
//! it). A pattern names tools by name (`pods_*`, or `tool:pods_*`), prompts
//! (`prompt:*`), resources (`resource:k8s://*`) or every export of a plugin
//! (`plugin:kube-ops`).
//!
//! Evaluation, in order:
//!
//! 1. The global list (`--allowed-tools` or `--disallowed-tools`): an
//!    export outside it exists for nobody. An allowed list restricts tools,
//!    and prompts or resources only once it names that kind (or their
//!    plugin): the flag names tools, as in the Go server.
//! 2. `deny` rules: a tool matched by a deny rule whose condition the caller
//!    meets is refused. Deny wins over any allow.
//! 3. `allow` rules: when there is at least one, a tool must be matched by
//!    an allow rule whose condition the caller meets. With no allow rules,
//!    every tool that passed 1 and 2 is allowed.
//!
//! A condition holds when the caller has *every* listed scope, *any* of the
//! listed groups (when groups are listed), and every listed claim value; an
//! empty condition holds for everyone.

use crate::auth::Principal;

/// Which tools exist at all, before any per-caller policy
/// (`tools.allowed` / `tools.disallowed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolFilter {
    All,
    Allowed(Vec<String>),
    Disallowed(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Who a rule applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    pub scopes: Vec<String>,
    pub groups: Vec<String>,
    /// Claim name and the value it must have (for a list claim: contain).
    pub claims: Vec<(String, String)>,
}

/// One `tools.rules` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRule {
    pub effect: Effect,
    /// Tool names; `*` matches any run of characters.
    pub patterns: Vec<String>,
    pub when: Condition,
    /// The clusters the rule speaks of; empty: every cluster.
    pub clusters: Vec<String>,
}

/// What kind of thing a plugin exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tool,
    Prompt,
    Resource,
}

/// One export a caller wants to see or use, on one cluster.
#[derive(Debug, Clone, Copy)]
pub struct Export<'a> {
    pub kind: Kind,
    /// The tool or prompt name, or the resource URI (template).
    pub name: &'a str,
    pub plugin: &'a str,
    /// The cluster its Kubernetes requests go to; rules that name
    /// clusters apply only there.
    pub cluster: &'a str,
}

impl<'a> Export<'a> {
    pub fn tool(name: &'a str, plugin: &'a str) -> Self {
        Export {
            kind: Kind::Tool,
            name,
            plugin,
            cluster: "",
        }
    }
    pub fn prompt(name: &'a str, plugin: &'a str) -> Self {
        Export {
            kind: Kind::Prompt,
            name,
            plugin,
            cluster: "",
        }
    }
    pub fn resource(uri: &'a str, plugin: &'a str) -> Self {
        Export {
            kind: Kind::Resource,
            name: uri,
            plugin,
            cluster: "",
        }
    }

    /// The same export, used on `cluster`.
    pub fn on(self, cluster: &'a str) -> Self {
        Export { cluster, ..self }
    }
}

/// What a pattern names: a plugin's every export, or exports of one kind.
enum Target<'p> {
    Plugin(&'p str),
    Named(Kind, &'p str),
}

fn target(pattern: &str) -> Target<'_> {
    if let Some(p) = pattern.strip_prefix("plugin:") {
        Target::Plugin(p)
    } else if let Some(n) = pattern.strip_prefix("prompt:") {
        Target::Named(Kind::Prompt, n)
    } else if let Some(n) = pattern.strip_prefix("resource:") {
        Target::Named(Kind::Resource, n)
    } else {
        Target::Named(Kind::Tool, pattern.strip_prefix("tool:").unwrap_or(pattern))
    }
}

/// Whether `pattern` matches `export`.
pub fn covers(pattern: &str, export: &Export) -> bool {
    match target(pattern) {
        Target::Plugin(p) => matches(p, export.plugin),
        Target::Named(kind, n) => kind == export.kind && matches(n, export.name),
    }
}

/// Whether `pattern` speaks about exports of `export`'s kind at all.
fn names_kind(pattern: &str, export: &Export) -> bool {
    match target(pattern) {
        Target::Plugin(_) => true,
        Target::Named(kind, _) => kind == export.kind,
    }
}

/// A decision, and why, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
}

/// Why a caller may or may not use an export; shown in the audit line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("not in allowed-tools")]
    NotInAllowedTools,
    #[error("in disallowed-tools")]
    InDisallowedTools,
    /// The anonymous caller of stdio and `--no-auth`.
    #[error("no authentication")]
    NoAuthentication,
    /// The index of the `tools.rules` entry that denies.
    #[error("denied by tools.rules[{0}]")]
    DeniedByRule(usize),
    #[error("no allow rules")]
    NoAllowRules,
    /// The index of the first `tools.rules` entry that allows.
    #[error("allowed by tools.rules[{0}]")]
    AllowedByRule(usize),
    #[error("no allow rule matches")]
    NoAllowRuleMatches,
}

/// Tool lists and rules, as configured.
#[derive(Debug, Clone)]
pub struct ToolPolicy {
    pub filter: ToolFilter,
    pub rules: Vec<ToolRule>,
}

impl ToolPolicy {
    /// Whether `principal` may see and call `tool`. `None` is the anonymous
    /// caller of stdio and `--no-auth`: only the global list applies.
    pub fn decide(&self, principal: Option<&Principal>, tool: &str) -> Decision {
        self.decide_export(principal, &Export::tool(tool, ""))
    }

    /// Whether `principal` may see and use `export`.
    pub fn decide_export(&self, principal: Option<&Principal>, export: &Export) -> Decision {
        let decision = |allowed: bool, reason: Reason| Decision { allowed, reason };
        match &self.filter {
            ToolFilter::Allowed(list)
                if (export.kind == Kind::Tool || list.iter().any(|p| names_kind(p, export)))
                    && !list.iter().any(|p| covers(p, export)) =>
            {
                return decision(false, Reason::NotInAllowedTools);
            }
            ToolFilter::Disallowed(list) if list.iter().any(|p| covers(p, export)) => {
                return decision(false, Reason::InDisallowedTools);
            }
            _ => {}
        }
        let Some(principal) = principal else {
            return decision(true, Reason::NoAuthentication);
        };
        let applies = |rule: &&ToolRule| {
            rule.patterns.iter().any(|p| covers(p, export))
                && holds(&rule.when, principal)
                && (rule.clusters.is_empty() || rule.clusters.iter().any(|c| c == export.cluster))
        };
        if let Some((i, _)) = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.effect == Effect::Deny && applies(r))
        {
            return decision(false, Reason::DeniedByRule(i));
        }
        if !self.rules.iter().any(|r| r.effect == Effect::Allow) {
            return decision(true, Reason::NoAllowRules);
        }
        match self
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.effect == Effect::Allow && applies(r))
        {
            Some((i, _)) => decision(true, Reason::AllowedByRule(i)),
            None => decision(false, Reason::NoAllowRuleMatches),
        }
    }
}

fn holds(condition: &Condition, principal: &Principal) -> bool {
    condition
        .scopes
        .iter()
        .all(|s| principal.scopes.contains(s))
        && (condition.groups.is_empty()
            || condition
                .groups
                .iter()
                .any(|g| principal.groups.contains(g)))
        && condition
            .claims
            .iter()
            .all(|(claim, value)| principal.claim_has(claim, value))
}

/// `*` matches any run of characters (including none); everything else
/// matches itself.
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(scopes: &[&str], groups: &[&str]) -> Principal {
        Principal {
            id: crate::auth::CallerId {
                issuer: "https://idp".into(),
                subject: "alice".into(),
            },
            username: None,
            groups: groups.iter().map(|s| s.to_string()).collect(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            impersonated: None,
            token: None,
            claims: serde_json::json!({"tenant": "blue", "roles": ["ops", "dev"]})
                .as_object()
                .unwrap()
                .clone(),
        }
    }

    fn rule(effect: Effect, patterns: &[&str], when: Condition) -> ToolRule {
        ToolRule {
            clusters: Vec::new(),
            effect,
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
            when,
        }
    }

    #[test]
    fn patterns() {
        assert!(matches("pods_*", "pods_list"));
        assert!(matches("*", "anything"));
        assert!(matches("*_delete", "resources_delete"));
        assert!(matches("a*b*c", "a-b-c"));
        assert!(!matches("a*b*c", "a-c-b"));
        assert!(!matches("pods_*", "nodes_list"));
        assert!(matches("exact", "exact") && !matches("exact", "exactly"));
    }

    #[test]
    fn prompts_and_resources_are_under_the_same_policy() {
        let viewer = principal(&["mcp"], &["viewers"]);
        let policy = ToolPolicy {
            filter: ToolFilter::All,
            rules: vec![
                rule(Effect::Deny, &["plugin:kube-ops"], Condition::default()),
                rule(
                    Effect::Deny,
                    &["prompt:admin_*", "resource:k8s://secrets/*"],
                    Condition::default(),
                ),
                rule(Effect::Allow, &["*", "prompt:*"], Condition::default()),
            ],
        };
        let decide = |e: Export| policy.decide_export(Some(&viewer), &e).allowed;
        assert!(decide(Export::tool("pods_list", "kube-core")));
        assert!(!decide(Export::tool("resources_delete", "kube-ops")));
        assert!(
            !decide(Export::prompt("ops_help", "kube-ops")),
            "plugin: covers prompts"
        );
        assert!(decide(Export::prompt("explain", "kube-core")));
        assert!(!decide(Export::prompt("admin_reset", "kube-core")));
        assert!(!decide(Export::resource("k8s://secrets/demo", "kube-core")));
        // With allow rules, a resource no allow rule names is refused: a
        // bare pattern names tools only.
        assert!(!decide(Export::resource("k8s://pods/demo", "kube-core")));
        // The global allowed list restricts prompts once it names them.
        let listed = ToolPolicy {
            filter: ToolFilter::Allowed(vec!["pods_*".into()]),
            rules: Vec::new(),
        };
        assert!(
            listed
                .decide_export(None, &Export::prompt("explain", "p"))
                .allowed
        );
        let listed = ToolPolicy {
            filter: ToolFilter::Allowed(vec!["pods_*".into(), "prompt:explain".into()]),
            rules: Vec::new(),
        };
        assert!(
            listed
                .decide_export(None, &Export::prompt("explain", "p"))
                .allowed
        );
        assert!(
            !listed
                .decide_export(None, &Export::prompt("other", "p"))
                .allowed
        );
        let hidden = ToolPolicy {
            filter: ToolFilter::Disallowed(vec!["plugin:kube-ops".into()]),
            rules: Vec::new(),
        };
        assert!(
            !hidden
                .decide_export(None, &Export::resource("ops://x", "kube-ops"))
                .allowed
        );
    }

    #[test]
    fn deny_wins_and_allow_rules_restrict() {
        let policy = ToolPolicy {
            filter: ToolFilter::All,
            rules: vec![
                rule(Effect::Allow, &["*_list", "*_get"], Condition::default()),
                rule(
                    Effect::Allow,
                    &["resources_*"],
                    Condition {
                        groups: vec!["admins".into()],
                        ..Condition::default()
                    },
                ),
                rule(
                    Effect::Deny,
                    &["secrets_*"],
                    Condition {
                        claims: vec![("tenant".into(), "blue".into())],
                        ..Condition::default()
                    },
                ),
            ],
        };
        let viewer = principal(&["mcp"], &["viewers"]);
        let admin = principal(&["mcp"], &["admins"]);
        assert!(policy.decide(Some(&viewer), "pods_list").allowed);
        assert!(!policy.decide(Some(&viewer), "resources_delete").allowed);
        assert_eq!(
            policy.decide(Some(&admin), "resources_delete").reason,
            Reason::AllowedByRule(1)
        );
        assert_eq!(
            Reason::AllowedByRule(1).to_string(),
            "allowed by tools.rules[1]"
        );
        let denied = policy.decide(Some(&admin), "secrets_list");
        assert_eq!(
            (denied.allowed, denied.reason),
            (false, Reason::DeniedByRule(2))
        );
    }

    #[test]
    fn the_global_list_comes_first_and_scopes_all_must_hold() {
        let policy = ToolPolicy {
            filter: ToolFilter::Disallowed(vec!["pods_exec".into()]),
            rules: vec![rule(
                Effect::Allow,
                &["*"],
                Condition {
                    scopes: vec!["mcp".into(), "k8s:read".into()],
                    claims: vec![("roles".into(), "ops".into())],
                    ..Condition::default()
                },
            )],
        };
        let both = principal(&["mcp", "k8s:read"], &[]);
        assert!(policy.decide(Some(&both), "pods_list").allowed);
        assert!(!policy.decide(Some(&both), "pods_exec").allowed);
        assert!(
            !policy
                .decide(Some(&principal(&["mcp"], &[])), "pods_list")
                .allowed
        );
        assert!(
            policy.decide(None, "pods_list").allowed,
            "anonymous: list only"
        );
        assert!(!policy.decide(None, "pods_exec").allowed);
    }

    #[test]
    fn rules_that_name_clusters_hold_only_there() {
        let devs = Condition {
            groups: vec!["dev".into()],
            ..Default::default()
        };
        let policy = ToolPolicy {
            filter: ToolFilter::All,
            rules: vec![
                ToolRule {
                    clusters: vec!["staging".into()],
                    ..rule(Effect::Allow, &["*"], devs.clone())
                },
                ToolRule {
                    clusters: vec!["prod".into()],
                    ..rule(Effect::Deny, &["pods_delete"], Condition::default())
                },
                rule(Effect::Allow, &["pods_delete"], Condition::default()),
            ],
        };
        let dev = principal(&[], &["dev"]);
        let on = |tool, cluster| {
            policy
                .decide_export(Some(&dev), &Export::tool(tool, "p").on(cluster))
                .allowed
        };
        assert!(on("pods_list", "staging"));
        assert!(!on("pods_list", "prod"), "the allow names staging only");
        assert!(on("pods_delete", "staging"));
        assert!(
            !on("pods_delete", "prod"),
            "denied on prod, allowed elsewhere"
        );
        assert_eq!(
            policy
                .decide_export(Some(&dev), &Export::tool("pods_delete", "p").on("prod"))
                .reason,
            Reason::DeniedByRule(1)
        );
    }
}
