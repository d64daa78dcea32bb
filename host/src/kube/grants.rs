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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// Narrows the capability to objects with these names; an entry ending
    /// in `*` is a prefix (`sh.helm.release.v1.*`). Empty: any name. A
    /// request that names no object (a list) is not covered.
    pub resource_names: Vec<String>,
    /// Narrows the capability to requests that carry these labels: a list
    /// whose label selector requires each `key=value`, or an object created
    /// or applied with them. Empty: no labels needed. A request that can
    /// show none (a get by name) is not covered.
    pub labels: Vec<(String, String)>,
    /// The clusters this grant holds on; empty: every cluster.
    pub clusters: Vec<String>,
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
    /// The object the request names (get, patch, delete, create), if any.
    pub name: Option<String>,
    /// The labels the request is sure to stay within: a list selector's
    /// equality terms, or the labels of an object it creates or applies.
    pub labels: Vec<(String, String)>,
}

impl Request {
    /// A request on `resource` with no name or labels.
    pub fn new(verb: Verb, group: &str, resource: &str, namespace: Option<String>) -> Request {
        Request {
            verb,
            group: group.into(),
            resource: resource.into(),
            namespace,
            all_namespaces: false,
            name: None,
            labels: Vec::new(),
        }
    }
}

/// The equality terms of a label selector (`app=web,tier==db` →
/// `[("app","web"),("tier","db")]`); other terms (`!=`, `in`, existence)
/// only narrow a list further and are left out.
pub fn selector_terms(selector: &str) -> Vec<(String, String)> {
    let mut terms = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    for part in parts {
        let part = part.trim();
        if part.contains("!=") {
            continue;
        }
        let pair = part.split_once("==").or_else(|| part.split_once('='));
        if let Some((key, value)) = pair {
            terms.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    terms
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The plugin did not declare that it needs this.
    NotRequested,
    /// The operator did not grant it.
    NotGranted,
    /// The operator granted it only for some names or labels, and this
    /// request is outside them; says which.
    Narrowed(String),
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::NotRequested => f.write_str("the plugin did not request this capability"),
            Denial::NotGranted => {
                f.write_str("the operator did not grant this capability to the plugin")
            }
            Denial::Narrowed(how) => write!(f, "the operator granted it only {how}"),
        }
    }
}

fn covers(list: &[String], value: &str) -> bool {
    list.iter().any(|item| item == "*" || item == value)
}

impl Capability {
    /// Whether this capability holds on cluster `name`.
    pub fn holds_on(&self, name: &str) -> bool {
        self.clusters.is_empty() || self.clusters.iter().any(|c| c == name)
    }

    /// Whether this capability covers `request`.
    pub fn covers(&self, request: &Request) -> bool {
        self.covers_kind(request) && self.covers_object(request)
    }

    /// Whether the names and labels `request` carries are within this
    /// capability's narrowing.
    fn covers_object(&self, request: &Request) -> bool {
        let named = self.resource_names.is_empty()
            || request.name.as_deref().is_some_and(|name| {
                self.resource_names
                    .iter()
                    .any(|allowed| match allowed.strip_suffix('*') {
                        Some(prefix) => name.starts_with(prefix),
                        None => name == allowed,
                    })
            });
        named && self.labels.iter().all(|term| request.labels.contains(term))
    }

    /// The narrowing in words: `for names sh.helm.release.v1.*`, `for lists
    /// and objects labelled owner=helm`.
    fn narrowing(&self) -> String {
        let mut parts = Vec::new();
        if !self.resource_names.is_empty() {
            parts.push(format!("for names {}", self.resource_names.join(", ")));
        }
        if !self.labels.is_empty() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            parts.push(format!(
                "for lists selecting, and objects labelled, {}",
                labels.join(",")
            ));
        }
        parts.join(" and ")
    }

    /// Whether this capability covers `request`'s verb, group, resource
    /// and namespace (its narrowing aside).
    fn covers_kind(&self, request: &Request) -> bool {
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

/// Whether a capability narrowed to names or labels covers `request`: the
/// operator meant those records for this plugin, so Helm's release records
/// among them are not redacted ([`Sight::HelmRecords`]).
///
/// [`Sight::HelmRecords`]: super::shape::Sight::HelmRecords
pub fn narrowed_cover(granted: &[Capability], request: &Request) -> bool {
    granted
        .iter()
        .any(|c| (!c.resource_names.is_empty() || !c.labels.is_empty()) && c.covers(request))
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
    if granted.iter().any(|c| c.covers(request)) {
        return Ok(());
    }
    let narrowed: Vec<String> = granted
        .iter()
        .filter(|c| c.covers_kind(request))
        .map(Capability::narrowing)
        .collect();
    if narrowed.is_empty() {
        return Err(Denial::NotGranted);
    }
    let this = match (&request.name, request.labels.is_empty()) {
        (Some(name), _) => format!("this request is for '{name}'"),
        (None, false) => {
            let labels: Vec<String> = request
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("this request selects {}", labels.join(","))
        }
        (None, true) => "this request names no object and selects no labels".to_owned(),
    };
    Err(Denial::Narrowed(format!(
        "{}; {this}",
        narrowed.join(", or ")
    )))
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
            resource_names: Vec::new(),
            labels: Vec::new(),
            clusters: Vec::new(),
        }
    }

    fn req(verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Request {
        Request::new(
            Verb::named(verb).unwrap(),
            group,
            resource,
            namespace.map(Into::into),
        )
    }

    /// The grant issue 26's Helm plugin gets: release records only.
    fn helm_grant() -> [Capability; 2] {
        [
            Capability {
                labels: vec![("owner".into(), "helm".into())],
                ..cap(&["list"], &[""], &["secrets"], &["*"])
            },
            Capability {
                resource_names: vec!["sh.helm.release.v1.*".into()],
                ..cap(
                    &["get", "create", "patch", "delete"],
                    &[""],
                    &["secrets"],
                    &["*"],
                )
            },
        ]
    }

    #[test]
    fn a_narrowed_grant_covers_its_names_and_labelled_lists_only() {
        let all = [cap(&["*"], &["*"], &["*"], &["*"])];
        let granted = helm_grant();
        let named = |verb: &str, name: &str| Request {
            name: Some(name.into()),
            ..req(verb, "", "secrets", Some("demo"))
        };
        let listed = |selector: &str| Request {
            labels: selector_terms(selector),
            ..req("list", "", "secrets", Some("demo"))
        };
        assert_eq!(
            check(&all, &granted, &named("get", "sh.helm.release.v1.web.v3")),
            Ok(())
        );
        assert_eq!(
            check(
                &all,
                &granted,
                &named("delete", "sh.helm.release.v1.web.v1")
            ),
            Ok(())
        );
        assert_eq!(check(&all, &granted, &listed("owner=helm")), Ok(()));
        assert_eq!(
            check(&all, &granted, &listed("name=web,owner==helm,status!=x")),
            Ok(())
        );

        let denied = |request: &Request| match check(&all, &granted, request) {
            Err(Denial::Narrowed(how)) => how,
            other => panic!("{request:?}: {other:?}"),
        };
        let how = denied(&named("get", "db-password"));
        assert!(how.contains("for names sh.helm.release.v1.*"), "{how}");
        assert!(how.contains("this request is for 'db-password'"), "{how}");
        let how = denied(&listed(""));
        assert!(
            how.contains("selecting, and objects labelled, owner=helm"),
            "{how}"
        );
        assert!(
            how.contains("names no object and selects no labels"),
            "{how}"
        );
        // Set-based and inequality terms do not count as carrying the label.
        denied(&listed("owner in (helm,x)"));
        denied(&listed("owner!=helm"));
        denied(&listed("owner=helmet"));
        // Verbs the narrowed grant lacks are plainly not granted.
        assert_eq!(
            check(
                &all,
                &granted,
                &named("update", "sh.helm.release.v1.web.v1")
            ),
            Err(Denial::NotGranted)
        );
    }

    #[test]
    fn selector_terms_are_the_equality_requirements() {
        assert_eq!(
            selector_terms("a=1, b==2,c!=3,d in (x,y),!e,f"),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert!(selector_terms("").is_empty());
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
