//! Kubernetes capabilities: what a plugin requests, what an operator grants,
//! and whether one request is allowed by both.
//!
//! A plugin's effective power is the intersection of the two: a request is
//! allowed only when some requested capability and some granted capability
//! each cover it. No grant entry for a plugin means no access at all.

use std::fmt;

/// A Kubernetes API verb, as RBAC names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    /// Every verb a capability may name (`*` is any).
    pub const ALL: [Verb; 8] = [
        Verb::Get,
        Verb::List,
        Verb::Watch,
        Verb::Create,
        Verb::Update,
        Verb::Patch,
        Verb::Delete,
        Verb::DeleteCollection,
    ];

    /// RBAC's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }

    /// The verb RBAC spells `name`.
    pub fn named(name: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Verbs × API groups × resources × namespaces, each list allowing `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    pub verbs: Vec<String>,
    /// `""` is the core group.
    pub api_groups: Vec<String>,
    /// Plural resource names; a subresource is written `pods/log` and is
    /// covered by `pods/*` or `*`, never by `pods` alone.
    pub resources: Vec<String>,
    /// Namespaces; `*` is every namespace (a namespaced resource across all
    /// of them included) and cluster-scoped requests too. Empty means
    /// cluster-scoped resources only.
    pub namespaces: Vec<String>,
}

/// One Kubernetes request, as the host sees it before sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub verb: Verb,
    pub group: String,
    pub resource: String,
    /// `None` for cluster-scoped resources and for all-namespace lists.
    pub namespace: Option<String>,
    /// With no namespace: whether the resource is namespaced (so the request
    /// spans every namespace), as discovery says. Unknown resources count
    /// as namespaced, the stricter reading.
    pub all_namespaces: bool,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The plugin did not declare that it needs this.
    NotRequested,
    /// The operator did not grant it.
    NotGranted,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Denial::NotRequested => "the plugin did not request this capability",
            Denial::NotGranted => "the operator did not grant this capability to the plugin",
        })
    }
}

fn covers(list: &[String], value: &str) -> bool {
    list.iter().any(|item| item == "*" || item == value)
}

impl Capability {
    /// Whether this capability covers `request`.
    pub fn covers(&self, request: &Request) -> bool {
        covers(&self.verbs, request.verb.as_str())
            && covers(&self.api_groups, &request.group)
            && self.covers_resource(&request.resource)
            && match &request.namespace {
                Some(ns) => covers(&self.namespaces, ns),
                None if request.all_namespaces => covers(&self.namespaces, "*"),
                None => self.namespaces.is_empty() || covers(&self.namespaces, "*"),
            }
    }

    fn covers_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| {
            r == "*"
                || r == resource
                || match (r.split_once('/'), resource.split_once('/')) {
                    (Some((base, "*")), Some((wanted, _))) => base == wanted,
                    _ => false,
                }
        })
    }
}

/// Whether `request` is within what the plugin `requested` and the operator
/// `granted`.
pub fn check(
    requested: &[Capability],
    granted: &[Capability],
    request: &Request,
) -> Result<(), Denial> {
    if !requested.iter().any(|c| c.covers(request)) {
        return Err(Denial::NotRequested);
    }
    if !granted.iter().any(|c| c.covers(request)) {
        return Err(Denial::NotGranted);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(verbs: &[&str], groups: &[&str], resources: &[&str], namespaces: &[&str]) -> Capability {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Capability {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            namespaces: v(namespaces),
        }
    }

    fn req(verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Request {
        Request {
            verb: Verb::named(verb).unwrap(),
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.map(Into::into),
            all_namespaces: false,
        }
    }

    #[test]
    fn a_grant_without_namespaces_never_reaches_into_namespaces() {
        let cluster_only = [cap(&["get", "list"], &[""], &["*"], &[])];
        let everywhere = [cap(&["get", "list"], &[""], &["*"], &["*"])];
        let nodes = req("list", "", "nodes", None);
        let all_secrets = Request {
            all_namespaces: true,
            ..req("list", "", "secrets", None)
        };
        assert_eq!(check(&everywhere, &cluster_only, &nodes), Ok(()));
        assert_eq!(
            check(&everywhere, &cluster_only, &all_secrets),
            Err(Denial::NotGranted),
            "list_secrets with no namespace is /api/v1/secrets: every namespace"
        );
        assert_eq!(check(&everywhere, &everywhere, &all_secrets), Ok(()));
        let demo = [cap(&["list"], &[""], &["*"], &["demo"])];
        assert_eq!(
            check(&everywhere, &demo, &all_secrets),
            Err(Denial::NotGranted)
        );
    }

    #[test]
    fn the_intersection_of_requested_and_granted() {
        let requested = [cap(&["get", "list", "delete"], &[""], &["pods"], &["*"])];
        let granted = [cap(
            &["get", "list"],
            &[""],
            &["pods", "services"],
            &["demo"],
        )];
        assert_eq!(
            check(&requested, &granted, &req("list", "", "pods", Some("demo"))),
            Ok(())
        );
        // Requested but not granted: a verb, a namespace.
        assert_eq!(
            check(
                &requested,
                &granted,
                &req("delete", "", "pods", Some("demo"))
            ),
            Err(Denial::NotGranted)
        );
        assert_eq!(
            check(&requested, &granted, &req("list", "", "pods", Some("prod"))),
            Err(Denial::NotGranted)
        );
        // Granted but not requested.
        assert_eq!(
            check(
                &requested,
                &granted,
                &req("list", "", "services", Some("demo"))
            ),
            Err(Denial::NotRequested)
        );
    }

    #[test]
    fn no_grant_entry_means_no_access() {
        let requested = [cap(&["*"], &["*"], &["*"], &["*"])];
        assert_eq!(
            check(&requested, &[], &req("get", "", "pods", Some("demo"))),
            Err(Denial::NotGranted)
        );
    }

    #[test]
    fn wildcards_groups_and_cluster_scope() {
        let all = [cap(&["*"], &["*"], &["*"], &["*"])];
        assert_eq!(check(&all, &all, &req("list", "", "nodes", None)), Ok(()));
        let namespaced_only = [cap(&["list"], &[""], &["pods"], &["demo"])];
        assert_eq!(
            check(&all, &namespaced_only, &req("list", "", "pods", None)),
            Err(Denial::NotGranted),
            "listing across all namespaces needs '*'"
        );
        let cluster_only = [cap(&["get"], &[""], &["nodes"], &[])];
        assert_eq!(
            check(&all, &cluster_only, &req("get", "", "nodes", None)),
            Ok(())
        );
        assert_eq!(
            check(&all, &cluster_only, &req("get", "", "nodes", Some("demo"))),
            Err(Denial::NotGranted)
        );
        let apps = [cap(&["get"], &["apps"], &["deployments"], &["*"])];
        assert_eq!(
            check(&all, &apps, &req("get", "", "deployments", Some("demo"))),
            Err(Denial::NotGranted),
            "the core group is not apps"
        );
    }

    #[test]
    fn subresources_must_be_named() {
        let all = [cap(&["*"], &["*"], &["*"], &["*"])];
        let pods = [cap(&["get"], &[""], &["pods"], &["*"])];
        assert_eq!(
            check(&all, &pods, &req("get", "", "pods/log", Some("demo"))),
            Err(Denial::NotGranted)
        );
        let logs = [cap(&["get"], &[""], &["pods/*"], &["*"])];
        assert_eq!(
            check(&all, &logs, &req("get", "", "pods/log", Some("demo"))),
            Ok(())
        );
        assert_eq!(
            check(&all, &logs, &req("get", "", "pods", Some("demo"))),
            Err(Denial::NotGranted)
        );
    }
}
