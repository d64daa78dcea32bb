//! [`KubeAccess`]: the gateway's check. Every request a plugin makes is an
//! [`Operation`] whose path segments are checked and which the plugin's
//! effective grant must cover before a [`Cluster`] sees it.
//!
//! A request outside what the plugin requested and the operator granted is
//! refused with `denied-by-grant` and never sent.

use std::sync::Arc;

use super::cluster::{Cluster, KubeCaller, Reply};
use super::clusters::{ClusterSet, Member};
use super::grants::{self, Capability, Request, Verb};
use super::operation::Operation;
use super::shape::Sight;
use crate::wit::kubernetes::{ApiResource, Error, GrantDenial, ServerVersion};

/// What one plugin may do in the clusters: the capabilities it requested,
/// those the operator granted, the server's clusters, and the one this
/// call's requests go to.
#[derive(Clone)]
pub struct KubeAccess {
    pub requested: Arc<[Capability]>,
    pub granted: Arc<[Capability]>,
    pub clusters: Arc<ClusterSet>,
    /// The cluster this call is aimed at; `None` is the default one.
    pub on: Option<Arc<str>>,
}

impl std::fmt::Debug for KubeAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeAccess")
            .field("requested", &self.requested)
            .field("granted", &self.granted)
            .finish_non_exhaustive()
    }
}

impl Default for KubeAccess {
    /// Nothing requested, nothing granted, no cluster.
    fn default() -> Self {
        KubeAccess {
            requested: Arc::new([]),
            granted: Arc::new([]),
            clusters: Arc::default(),
            on: None,
        }
    }
}

impl KubeAccess {
    /// The same access, aimed at cluster `name` (`None`: the default).
    pub fn on(&self, name: Option<Arc<str>>) -> KubeAccess {
        KubeAccess {
            on: name,
            ..self.clone()
        }
    }

    /// The cluster this call's requests go to.
    pub fn member(&self) -> Result<&Member, Error> {
        self.clusters.member(self.on.as_deref()).ok_or_else(|| {
            Error::Unavailable(format!(
                "this server has no cluster named '{}'",
                self.on.as_deref().unwrap_or_default()
            ))
        })
    }

    /// The cluster this call's requests go to, as a [`Cluster`].
    pub fn cluster(&self) -> Result<&dyn Cluster, Error> {
        Ok(&*self.member()?.cluster)
    }

    /// Every resource type the call's cluster offers.
    pub async fn api_resources(&self) -> Result<Vec<ApiResource>, Error> {
        let member = self.member()?;
        self.naming(member, member.cluster.api_resources().await)
    }

    /// The call's cluster's version.
    pub async fn server_version(&self) -> Result<ServerVersion, Error> {
        let member = self.member()?;
        self.naming(member, member.cluster.server_version().await)
    }

    /// How answers are written on the call's cluster.
    pub fn answers(&self) -> crate::answer::Defaults {
        self.member()
            .map(|m| m.cluster.answers())
            .unwrap_or_default()
    }

    /// `result`, its `unavailable` error naming the cluster once there are
    /// several: which one is down matters then.
    fn naming<T>(&self, member: &Member, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|error| match error {
            Error::Unavailable(why) if self.clusters.several() => {
                Error::Unavailable(format!("cluster '{}': {why}", member.name))
            }
            other => other,
        })
    }

    /// Checks `operation` against the grant and, if it is covered, sends it.
    pub async fn run(
        &self,
        plugin: &str,
        as_user: &KubeCaller,
        operation: Operation,
    ) -> Result<Reply, Error> {
        let request = operation.access();
        // Every Kubernetes request of a plugin call is a span of that call.
        let span = tracing::info_span!(
            target: crate::traces::TARGET,
            "kubernetes.request",
            otel.kind = "client",
            otel.name = %format!("{} {}", request.verb, request.resource),
            k8s.verb = %request.verb,
            k8s.group = %request.group,
            k8s.resource = %request.resource,
            k8s.namespace = request.namespace.as_deref(),
            cluster = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let result = tracing::Instrument::instrument(
            async {
                let member = self.member()?;
                tracing::Span::current().record("cluster", &*member.name);
                let result = self.run_on(member, plugin, as_user, operation).await;
                self.naming(member, result)
            },
            span.clone(),
        )
        .await;
        if let Err(error) = &result {
            span.record("error", error_summary(error));
        }
        result
    }

    async fn run_on(
        &self,
        member: &Member,
        plugin: &str,
        as_user: &KubeCaller,
        operation: Operation,
    ) -> Result<Reply, Error> {
        let cluster = &*member.cluster;
        operation.check_path()?;
        let mut request = operation.access();
        if request.namespace.is_none() {
            request.all_namespaces = namespaced(cluster, &request).await;
        }
        // Grants that name clusters hold only there.
        let granted_here: std::borrow::Cow<[Capability]> =
            if self.granted.iter().all(|c| c.clusters.is_empty()) {
                std::borrow::Cow::Borrowed(&self.granted)
            } else {
                self.granted
                    .iter()
                    .filter(|c| c.holds_on(&member.name))
                    .cloned()
                    .collect()
            };
        let denied = |request: Request, reason: String| {
            tracing::info!(
                plugin,
                verb = %request.verb,
                group = %request.group,
                resource = %request.resource,
                namespace = request.namespace.as_deref().unwrap_or(""),
                reason = %reason,
                "Kubernetes request denied by grant"
            );
            Error::DeniedByGrant(GrantDenial {
                verb: request.verb.to_string(),
                group: request.group,
                resource: request.resource,
                namespace: request.namespace,
                reason,
            })
        };
        if let Err(denial) = grants::check(&self.requested, &granted_here, &request) {
            let elsewhere = grants::check(&self.requested, &self.granted, &request).is_ok();
            let reason = if elsewhere {
                let mut names: Vec<&str> = self
                    .granted
                    .iter()
                    .filter(|c| c.covers(&request))
                    .flat_map(|c| c.clusters.iter().map(String::as_str))
                    .collect();
                names.sort_unstable();
                names.dedup();
                format!(
                    "the operator granted it only on cluster {}, and this call is for cluster '{}'",
                    names.join(", "),
                    member.name
                )
            } else if request.all_namespaces {
                format!(
                    "{denial} (with no namespace, {} spans every namespace: the grant \
                     needs namespaces: [\"*\"])",
                    request.resource
                )
            } else {
                denial.to_string()
            };
            return Err(denied(request, reason));
        }
        // Server-side apply creates what does not exist: that needs `create`
        // as well as `patch`, as it does in RBAC.
        if let Operation::Apply { object, .. } = &operation {
            let exists = match cluster
                .send(plugin, as_user, Operation::Get(object.clone()))
                .await
            {
                Ok(_) => true,
                Err(Error::NotFound(_)) => false,
                Err(other) => return Err(other),
            };
            let creating = Request {
                verb: Verb::Create,
                ..request.clone()
            };
            if !exists && let Err(denial) = grants::check(&self.requested, &granted_here, &creating)
            {
                let reason = format!(
                    "applying would create {} '{}', and {denial} (create)",
                    creating.resource, object.name
                );
                return Err(denied(creating, reason));
            }
        }
        let sight = if grants::narrowed_cover(&granted_here, &request) {
            Sight::HelmRecords
        } else {
            Sight::Shaped
        };
        cluster.send_seeing(plugin, as_user, operation, sight).await
    }
}

/// Whether `request`'s resource is namespaced, by `cluster`'s discovery; a
/// resource discovery does not know (or cannot tell now) counts as
/// namespaced.
async fn namespaced(cluster: &dyn Cluster, request: &Request) -> bool {
    let base = request.resource.split('/').next().unwrap_or_default();
    match cluster.api_resources().await {
        Ok(resources) => resources
            .iter()
            .find(|r| r.type_.group == request.group && r.type_.resource == base)
            .is_none_or(|r| r.namespaced),
        Err(_) => true,
    }
}

/// Converts a capability a plugin declared into the policy's type.
pub fn requested_capability(c: &crate::wit::types::Capability) -> Capability {
    Capability {
        verbs: c.verbs.clone(),
        api_groups: c.api_groups.clone(),
        resources: c.resources.clone(),
        namespaces: c.namespaces.clone(),
        resource_names: Vec::new(),
        labels: Vec::new(),
        clusters: Vec::new(),
    }
}

/// One line for a trace: what kind of error, and the API's (or the
/// host's) own words.
fn error_summary(error: &Error) -> String {
    match error {
        Error::NotFound(s)
        | Error::Forbidden(s)
        | Error::Conflict(s)
        | Error::Invalid(s)
        | Error::Unauthorized(s)
        | Error::Timeout(s)
        | Error::Other(s) => format!("{} {}: {}", s.code, s.reason, s.message),
        Error::Unavailable(why) => format!("unavailable: {why}"),
        Error::BadRequest(why) => format!("bad request: {why}"),
        Error::DeniedByGrant(d) => format!(
            "denied by grant: {} on {} in namespace {}: {}",
            d.verb,
            if d.group.is_empty() {
                d.resource.clone()
            } else {
                format!("{}.{}", d.resource, d.group)
            },
            d.namespace.as_deref().unwrap_or("(every)"),
            d.reason
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::RecordingCluster;
    use crate::kube::operation::*;
    use crate::kube::segments::*;
    use crate::wit::kubernetes::*;

    fn pods() -> ResourceType {
        ResourceType {
            group: String::new(),
            version: "v1".into(),
            resource: "pods".into(),
        }
    }

    fn pod(namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            type_: pods(),
            namespace: Some(namespace.into()),
            name: name.into(),
        }
    }

    fn cap(verbs: &[&str], resources: &[&str], namespaces: &[&str]) -> Capability {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Capability {
            verbs: v(verbs),
            api_groups: vec![String::new(), "apps".into()],
            resources: v(resources),
            namespaces: v(namespaces),
            resource_names: Vec::new(),
            labels: Vec::new(),
            clusters: Vec::new(),
        }
    }

    /// Records what reaches it; answers `{}`.
    fn recorder() -> RecordingCluster {
        RecordingCluster::json(serde_json::json!({}))
    }

    #[tokio::test]
    async fn a_call_reaches_its_cluster_and_grants_naming_clusters_hold_only_there() {
        let (a, b) = (Arc::new(recorder()), Arc::new(recorder()));
        let clusters = Arc::new(ClusterSet::of(vec![
            ("a", a.clone() as Arc<dyn Cluster>),
            ("b", b.clone() as Arc<dyn Cluster>),
        ]));
        let everything = cap(&["*"], &["*"], &["*"]);
        let access = KubeAccess {
            requested: Arc::new([everything.clone()]),
            granted: Arc::new([Capability {
                clusters: vec!["a".into()],
                ..everything
            }]),
            clusters,
            on: None,
        };
        let get = || Operation::Get(pod("demo", "web"));
        access
            .run("p", &KubeCaller::default(), get())
            .await
            .unwrap();
        access
            .on(Some("a".into()))
            .run("p", &KubeCaller::default(), get())
            .await
            .unwrap();
        assert_eq!((a.sent().len(), b.sent().len()), (2, 0));
        let Err(Error::DeniedByGrant(denial)) = access
            .on(Some("b".into()))
            .run("p", &KubeCaller::default(), get())
            .await
        else {
            panic!("denied on b");
        };
        assert_eq!(
            denial.reason,
            "the operator granted it only on cluster a, and this call is for cluster 'b'"
        );
        assert!(b.sent().is_empty(), "never sent");
        let Err(Error::Unavailable(why)) = access
            .on(Some("c".into()))
            .run("p", &KubeCaller::default(), get())
            .await
        else {
            panic!("no cluster c");
        };
        assert_eq!(why, "this server has no cluster named 'c'");
    }

    #[tokio::test]
    async fn denied_requests_never_reach_the_cluster() {
        let recorder = Arc::new(recorder());
        let access = KubeAccess {
            requested: Arc::new([cap(&["get", "list"], &["pods", "pods/log"], &["*"])]),
            granted: Arc::new([cap(&["get"], &["pods"], &["demo"])]),
            clusters: Arc::new(ClusterSet::single(recorder.clone())),
            on: None,
        };
        let allowed = access
            .run(
                "p",
                &KubeCaller::default(),
                Operation::Get(pod("demo", "web")),
            )
            .await;
        assert_eq!(allowed, Ok(Reply::Json(serde_json::json!({}))));

        let denied = |op| async {
            match access.run("p", &KubeCaller::default(), op).await {
                Err(Error::DeniedByGrant(d)) => d,
                other => panic!("expected a denial, got {other:?}"),
            }
        };
        let d = denied(Operation::Get(pod("prod", "web"))).await;
        assert_eq!(d.namespace.as_deref(), Some("prod"));
        assert!(d.reason.contains("operator did not grant"), "{}", d.reason);
        let d = denied(Operation::Delete {
            object: pod("demo", "web"),
            options: DeleteOptions {
                dry_run: false,
                propagation: None,
                grace_period_seconds: None,
            },
        })
        .await;
        assert_eq!(
            (d.verb.as_str(), d.reason.contains("did not request")),
            ("delete", true)
        );
        let d = denied(Operation::PodLogs {
            namespace: "demo".into(),
            pod: "web".into(),
            options: LogOptions {
                container: None,
                tail_lines: None,
                since_seconds: None,
                previous: false,
                limit_bytes: None,
            },
        })
        .await;
        assert_eq!(d.resource, "pods/log", "requested but not granted");

        assert_eq!(
            recorder.sent().as_slice(),
            &[Operation::Get(pod("demo", "web"))],
            "only the allowed request was sent"
        );
    }

    #[test]
    fn each_operation_needs_its_verb_and_resource() {
        let deploy = ObjectRef {
            type_: ResourceType {
                group: "apps".into(),
                version: "v1".into(),
                resource: "deployments".into(),
            },
            namespace: Some("demo".into()),
            name: "web".into(),
        };
        let scale = Operation::Scale {
            object: deploy.clone(),
            replicas: 3,
            dry_run: false,
        }
        .access();
        assert_eq!(
            (
                scale.verb.as_str(),
                scale.group.as_str(),
                scale.resource.as_str()
            ),
            ("patch", "apps", "deployments/scale")
        );
        let restart = Operation::RolloutRestart {
            object: deploy,
            dry_run: true,
        }
        .access();
        assert_eq!(
            (restart.verb.as_str(), restart.resource.as_str()),
            ("patch", "deployments")
        );
        let events = Operation::Events {
            namespace: None,
            about: None,
        }
        .access();
        assert_eq!(
            (
                events.verb.as_str(),
                events.resource.as_str(),
                events.namespace
            ),
            ("list", "events", None)
        );
        let exec = Operation::Exec(crate::kube::exec::ExecRequest {
            namespace: "demo".into(),
            pod: "web".into(),
            container: None,
            command: vec!["ls".into()],
            stdin: None,
            timeout: std::time::Duration::from_secs(1),
            limit: 1,
        });
        assert!(exec.changes_cluster(), "a command may change anything");
        let exec = exec.access();
        assert_eq!(
            (exec.verb.as_str(), exec.resource.as_str(), exec.namespace),
            ("create", "pods/exec", Some("demo".into()))
        );
        let proxy = Operation::ProxyGet(crate::kube::proxy::ProxyRequest {
            object: pod("demo", "web"),
            port: None,
            path: "/".into(),
            query: None,
            limit: 1,
            timeout: std::time::Duration::from_secs(1),
        });
        assert!(!proxy.changes_cluster());
        let proxy = proxy.access();
        assert_eq!(
            (proxy.verb.as_str(), proxy.resource.as_str()),
            ("get", "pods/proxy")
        );
    }

    #[test]
    fn names_that_would_change_the_path_are_refused() {
        for name in ["", "..", "a/b", "a%2Fb", "a b", "x?watch=1"] {
            assert!(
                matches!(check_object(&pod("demo", name)), Err(Error::BadRequest(_))),
                "{name:?}"
            );
        }
        assert!(check_object(&pod("demo", "web-7d4b9c.abc")).is_ok());
        assert!(check_object(&pod("../kube-system", "web")).is_err());
        let mut t = pods();
        t.resource = "pods/../secrets".into();
        assert!(check_type(&t).is_err());
    }

    #[test]
    fn every_path_segment_is_checked() {
        let with = |group: &str, version: &str, resource: &str| ResourceType {
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
        };
        // `/apis/../v1/secrets` would be `/v1/secrets` to the server.
        for group in [
            "..",
            ".",
            ".apps",
            "apps.",
            "apps..k8s.io",
            "a%2e%2e",
            "apps/v1",
        ] {
            assert!(
                check_type(&with(group, "v1", "pods")).is_err(),
                "group {group:?}"
            );
        }
        for version in ["..", ".", "v1%2F", "v1/x"] {
            assert!(
                check_type(&with("apps", version, "pods")).is_err(),
                "version {version:?}"
            );
        }
        for resource in ["..", ".", "%2e%2e", "a/b"] {
            assert!(
                check_type(&with("apps", "v1", resource)).is_err(),
                "resource {resource:?}"
            );
        }
        assert!(check_type(&with("networking.k8s.io", "v1", "ingresses")).is_ok());
        assert!(check_type(&with("", "v1", "pods")).is_ok());
    }

    /// A cluster where only `web` exists; it records what is sent.
    fn only_web() -> RecordingCluster {
        RecordingCluster::answering(|operation| match operation {
            Operation::Get(o) if o.name != "web" => Err(Error::NotFound(ApiStatus {
                code: 404,
                reason: "NotFound".into(),
                message: "not found".into(),
            })),
            _ => Ok(Reply::Json(serde_json::json!({}))),
        })
    }

    #[tokio::test]
    async fn applying_a_new_object_needs_create_as_well_as_patch() {
        let apply = |name: &str| Operation::Apply {
            object: pod("demo", name),
            manifest: serde_json::json!({}),
            options: ApplyOptions {
                dry_run: false,
                force: false,
            },
        };
        let everything = cap(&["*"], &["*"], &["*"]);
        let patch_only = cap(&["get", "patch"], &["pods"], &["demo"]);
        let cluster = Arc::new(only_web());
        let access = |granted: Capability| KubeAccess {
            requested: Arc::new([everything.clone()]),
            granted: Arc::new([granted]),
            clusters: Arc::new(ClusterSet::single(cluster.clone())),
            on: None,
        };
        // Updating what exists: patch is enough.
        access(patch_only.clone())
            .run("p", &KubeCaller::default(), apply("web"))
            .await
            .unwrap();
        // Creating: refused without create, and nothing is applied.
        let before = cluster.sent().len();
        match access(patch_only)
            .run("p", &KubeCaller::default(), apply("new"))
            .await
        {
            Err(Error::DeniedByGrant(d)) => {
                assert_eq!(d.verb, "create");
                assert!(
                    d.reason.contains("applying would create pods 'new'"),
                    "{}",
                    d.reason
                );
            }
            other => panic!("expected a denial, got {other:?}"),
        }
        let sent = cluster.sent()[before..].to_vec();
        assert!(
            sent.iter().all(|o| matches!(o, Operation::Get(_))),
            "{sent:?}"
        );
        let with_create = cap(&["get", "patch", "create"], &["pods"], &["demo"]);
        access(with_create)
            .run("p", &KubeCaller::default(), apply("new"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn bad_segments_never_reach_the_cluster_whatever_the_path() {
        let recorder = Arc::new(recorder());
        let everything = cap(&["*"], &["*"], &["*"]);
        let access = KubeAccess {
            requested: Arc::new([everything.clone()]),
            granted: Arc::new([everything]),
            clusters: Arc::new(ClusterSet::single(recorder.clone())),
            on: None,
        };
        let mut dots = pods();
        dots.group = "..".into();
        let operations = [
            Operation::Get(ObjectRef {
                type_: dots.clone(),
                namespace: Some("demo".into()),
                name: "web".into(),
            }),
            Operation::Get(pod("%2e%2e", "web")),
            Operation::PodLogs {
                namespace: "demo".into(),
                pod: "web".into(),
                options: LogOptions {
                    container: Some("../../secrets".into()),
                    tail_lines: None,
                    since_seconds: None,
                    previous: false,
                    limit_bytes: None,
                },
            },
        ];
        for operation in operations {
            let outcome = access
                .run("p", &KubeCaller::default(), operation.clone())
                .await;
            assert!(
                matches!(outcome, Err(Error::BadRequest(_))),
                "{operation:?}: {outcome:?}"
            );
        }
        assert!(recorder.sent().is_empty());
    }

    #[test]
    fn manifests_resolve_through_discovery() {
        let resources = vec![ApiResource {
            type_: ResourceType {
                group: "apps".into(),
                version: "v1".into(),
                resource: "deployments".into(),
            },
            kind: "Deployment".into(),
            namespaced: true,
            verbs: vec![],
            short_names: vec![],
            categories: vec![],
        }];
        let manifest: serde_json::Value = serde_yaml_ng::from_str(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: demo}\n",
        )
        .unwrap();
        let target = manifest_target(&manifest, &resources).unwrap();
        assert_eq!(target.type_.resource, "deployments");
        assert_eq!(target.namespace.as_deref(), Some("demo"));

        let error =
            |yaml: &str| match manifest_target(&serde_yaml_ng::from_str(yaml).unwrap(), &resources)
            {
                Err(Error::BadRequest(m)) => m,
                other => panic!("{other:?}"),
            };
        assert!(
            error("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
                .contains("needs 'metadata.namespace'")
        );
        assert!(
            error("apiVersion: v1\nkind: Deployment\nmetadata: {name: web, namespace: d}\n")
                .contains("no kind 'Deployment' in apiVersion 'v1'")
        );
        assert!(error("kind: Deployment\n").contains("no 'apiVersion'"));
        assert!(error("[1, 2]\n").contains("one object"));
    }
}
