//! The host side of the `kubernetes` interface: validate, check the
//! plugin's effective grant, then hand the request to a [`Cluster`].
//!
//! The check happens here, before anything reaches a [`Cluster`]: a request
//! outside what the plugin requested and the operator granted is refused
//! with `denied-by-grant` and never sent.

use std::sync::Arc;

pub use super::bindings::kubernetes::{
    ApiResource, ApiStatus, ApplyOptions, DeleteOptions, Error, EventSubject, GrantDenial,
    ListFormat, ListOptions, LogOptions, ObjectFormat, ObjectRef, Page, PageOptions, Propagation,
    ResourceType, ServerVersion,
};

use super::bindings::kubernetes;
use super::call::CallState;
use super::context::BoxFuture;
use crate::answer::{self, ApiPage, Cursor, PageRequest, table::TableResponse};
use crate::policy::grants::{self, Capability, Request};

/// What the cluster answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// An object or a List, shaped (see [`Cluster`]).
    Json(serde_json::Value),
    /// Text (a log).
    Text(String),
    /// The API server's table of a list (or the List's identities, for an
    /// API that renders no tables).
    Table(TableResponse),
}

impl Reply {
    /// The answer as text, for the functions that return it as it is.
    pub fn into_text(self) -> String {
        match self {
            Reply::Json(value) => value.to_string(),
            Reply::Text(text) => text,
            Reply::Table(_) => unreachable!("tables are only asked for by list-page"),
        }
    }
}

/// One Kubernetes operation a plugin asked for, validated and resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Get(ObjectRef),
    List {
        r#type: ResourceType,
        options: ListOptions,
    },
    /// One API page of `list-page`: a table, or the shaped List.
    ListPage {
        r#type: ResourceType,
        namespace: Option<String>,
        label_selector: Option<String>,
        field_selector: Option<String>,
        page: PageRequest,
        table: bool,
    },
    PodLogs {
        namespace: String,
        pod: String,
        options: LogOptions,
    },
    Events {
        namespace: Option<String>,
        about: Option<EventSubject>,
    },
    /// `manifest` is the object to apply (already parsed), `object` where it
    /// goes.
    Apply {
        object: ObjectRef,
        manifest: serde_json::Value,
        options: ApplyOptions,
    },
    Delete {
        object: ObjectRef,
        options: DeleteOptions,
    },
    Scale {
        object: ObjectRef,
        replicas: u32,
        dry_run: bool,
    },
    RolloutRestart {
        object: ObjectRef,
        dry_run: bool,
    },
}

impl Operation {
    /// Checks every segment the request's path is built from (group,
    /// version, resource, namespace, name, pod, container): whatever path
    /// reached this operation, none of them can add, drop or escape a
    /// segment (`/`, `.`, `..`, percent-encoding).
    pub fn check_path(&self) -> Result<(), Error> {
        let namespace = |ns: &Option<String>| match ns {
            Some(ns) => check_name("namespace", ns),
            None => Ok(()),
        };
        match self {
            Operation::Get(o)
            | Operation::Apply { object: o, .. }
            | Operation::Delete { object: o, .. }
            | Operation::Scale { object: o, .. }
            | Operation::RolloutRestart { object: o, .. } => check_object(o),
            Operation::List { r#type, options } => {
                check_type(r#type)?;
                namespace(&options.namespace)
            }
            Operation::ListPage {
                r#type,
                namespace: ns,
                ..
            } => {
                check_type(r#type)?;
                namespace(ns)
            }
            Operation::PodLogs {
                namespace: ns,
                pod,
                options,
            } => {
                check_name("namespace", ns)?;
                check_name("pod", pod)?;
                match &options.container {
                    Some(c) => check_name("container", c),
                    None => Ok(()),
                }
            }
            Operation::Events { namespace: ns, .. } => namespace(ns),
        }
    }

    /// The request the grant must cover: verb × group × resource × namespace.
    pub fn access(&self) -> Request {
        let on =
            |verb: &str, t: &ResourceType, resource: String, namespace: &Option<String>| Request {
                verb: verb.into(),
                group: t.group.clone(),
                resource,
                namespace: namespace.clone(),
                all_namespaces: false,
            };
        let core = |verb: &str, resource: &str, namespace: Option<String>| Request {
            verb: verb.into(),
            group: String::new(),
            resource: resource.into(),
            namespace,
            all_namespaces: false,
        };
        match self {
            Operation::Get(o) => on("get", &o.type_, o.type_.resource.clone(), &o.namespace),
            Operation::List { r#type, options } => {
                on("list", r#type, r#type.resource.clone(), &options.namespace)
            }
            Operation::ListPage {
                r#type, namespace, ..
            } => on("list", r#type, r#type.resource.clone(), namespace),
            Operation::PodLogs { namespace, .. } => {
                core("get", "pods/log", Some(namespace.clone()))
            }
            Operation::Events { namespace, .. } => core("list", "events", namespace.clone()),
            Operation::Apply { object: o, .. } | Operation::RolloutRestart { object: o, .. } => {
                on("patch", &o.type_, o.type_.resource.clone(), &o.namespace)
            }
            Operation::Delete { object: o, .. } => {
                on("delete", &o.type_, o.type_.resource.clone(), &o.namespace)
            }
            Operation::Scale { object: o, .. } => on(
                "patch",
                &o.type_,
                format!("{}/scale", o.type_.resource),
                &o.namespace,
            ),
        }
    }
}

/// A Kubernetes cluster the host talks to on plugins' behalf.
///
/// Implementations choose the identity (the server's service account, or
/// the caller impersonated), shape what comes back, and map API errors onto
/// [`Error`] keeping the API's reason and message. They never see a request
/// the plugin's grant does not cover.
pub trait Cluster: Send + Sync {
    /// Every resource type the API server offers (cached).
    fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>>;

    /// The API server's version.
    fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>>;

    /// Sends one operation for `plugin`, as `as_user` when the server
    /// impersonates callers. Returns the
    /// API server's answer: shaped JSON, text for logs, a table for
    /// [`Operation::ListPage`] with `table` set.
    fn send<'a>(
        &'a self,
        plugin: &'a str,
        as_user: Option<&'a Impersonated>,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>>;

    /// How answers are written and how big they may be.
    fn answers(&self) -> answer::Defaults {
        answer::Defaults::default()
    }
}

/// Who a request acts as in Kubernetes when the server impersonates
/// callers: `Impersonate-User` and one `Impersonate-Group` per group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonated {
    pub user: String,
    pub groups: Vec<String>,
}

/// The cluster of a server that has none configured: every call is
/// `unavailable`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCluster;

const NO_CLUSTER: &str = "this server has no Kubernetes cluster configured";

impl Cluster for NoCluster {
    fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>> {
        Box::pin(async { Err(Error::Unavailable(NO_CLUSTER.into())) })
    }

    fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>> {
        Box::pin(async { Err(Error::Unavailable(NO_CLUSTER.into())) })
    }

    fn send<'a>(
        &'a self,
        _: &'a str,
        _: Option<&'a Impersonated>,
        _: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async { Err(Error::Unavailable(NO_CLUSTER.into())) })
    }
}

/// What one plugin may do in the cluster: the capabilities it requested,
/// those the operator granted, and the cluster to send allowed requests to.
#[derive(Clone)]
pub struct KubeAccess {
    pub requested: Arc<[Capability]>,
    pub granted: Arc<[Capability]>,
    pub cluster: Arc<dyn Cluster>,
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
            cluster: Arc::new(NoCluster),
        }
    }
}

impl KubeAccess {
    /// Checks `operation` against the grant and, if it is covered, sends it.
    pub async fn run(
        &self,
        plugin: &str,
        as_user: Option<&Impersonated>,
        operation: Operation,
    ) -> Result<Reply, Error> {
        operation.check_path()?;
        let mut request = operation.access();
        if request.namespace.is_none() {
            request.all_namespaces = self.namespaced(&request).await;
        }
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
                verb: request.verb,
                group: request.group,
                resource: request.resource,
                namespace: request.namespace,
                reason,
            })
        };
        if let Err(denial) = grants::check(&self.requested, &self.granted, &request) {
            let reason = if request.all_namespaces {
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
            let exists = match self
                .cluster
                .send(plugin, as_user, Operation::Get(object.clone()))
                .await
            {
                Ok(_) => true,
                Err(Error::NotFound(_)) => false,
                Err(other) => return Err(other),
            };
            let creating = Request {
                verb: "create".into(),
                ..request
            };
            if !exists && let Err(denial) = grants::check(&self.requested, &self.granted, &creating)
            {
                let reason = format!(
                    "applying would create {} '{}', and {denial} (create)",
                    creating.resource, object.name
                );
                return Err(denied(creating, reason));
            }
        }
        self.cluster.send(plugin, as_user, operation).await
    }
}

impl KubeAccess {
    /// Whether `request`'s resource is namespaced, by discovery; a resource
    /// discovery does not know (or cannot tell now) counts as namespaced.
    async fn namespaced(&self, request: &Request) -> bool {
        let base = request.resource.split('/').next().unwrap_or_default();
        match self.cluster.api_resources().await {
            Ok(resources) => resources
                .iter()
                .find(|r| r.type_.group == request.group && r.type_.resource == base)
                .is_none_or(|r| r.namespaced),
            Err(_) => true,
        }
    }
}

/// Converts a capability a plugin declared into the policy's type.
pub fn requested_capability(c: &super::bindings::types::Capability) -> Capability {
    Capability {
        verbs: c.verbs.clone(),
        api_groups: c.api_groups.clone(),
        resources: c.resources.clone(),
        namespaces: c.namespaces.clone(),
    }
}

/// Refuses names that could not be a Kubernetes name and could change the
/// request's path (`/`, `%`, `..`), before the grant check looks at them.
fn check_name(what: &str, value: &str) -> Result<(), Error> {
    let bad = value.is_empty()
        || value.len() > 253
        || value == "."
        || value == ".."
        || value.chars().any(|c| {
            c == '/' || c == '%' || c == '?' || c == '#' || c.is_control() || c.is_whitespace()
        });
    if bad {
        return Err(Error::BadRequest(format!(
            "{what} '{}' is not a valid Kubernetes name",
            value.escape_debug()
        )));
    }
    Ok(())
}

fn check_type(t: &ResourceType) -> Result<(), Error> {
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    // A group is a DNS subdomain: dot-separated labels, none empty, so no
    // `.` or `..` segment can reach the path.
    let subdomain = |s: &str| token(s) && s.split('.').all(|label| !label.is_empty());
    if !t.group.is_empty() && !subdomain(&t.group) {
        return Err(Error::BadRequest(format!(
            "API group '{}' is not a valid group name",
            t.group.escape_debug()
        )));
    }
    if !token(&t.version) || t.version.contains('.') {
        return Err(Error::BadRequest(format!(
            "API version '{}' is not a valid version (like v1 or v1beta1)",
            t.version.escape_debug()
        )));
    }
    if !token(&t.resource) || t.resource.contains('.') {
        return Err(Error::BadRequest(format!(
            "resource '{}' is not a plural resource name (like pods or deployments)",
            t.resource.escape_debug()
        )));
    }
    Ok(())
}

fn check_object(o: &ObjectRef) -> Result<(), Error> {
    check_type(&o.type_)?;
    if let Some(ns) = &o.namespace {
        check_name("namespace", ns)?;
    }
    check_name("name", &o.name)
}

/// Reads the target of a manifest to apply: its `apiVersion`, `kind`,
/// `metadata.name` and `metadata.namespace`, resolved through discovery.
fn manifest_target(
    manifest: &serde_json::Value,
    resources: &[ApiResource],
) -> Result<ObjectRef, Error> {
    let bad = |m: String| Error::BadRequest(m);
    let object = manifest
        .as_object()
        .ok_or_else(|| bad("the manifest must be one object (a mapping)".into()))?;
    let field = |key: &str| -> Result<&str, Error> {
        object
            .get(key)
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad(format!("the manifest has no '{key}' string")))
    };
    let (api_version, kind) = (field("apiVersion")?, field("kind")?);
    let metadata = object.get("metadata").and_then(|m| m.as_object());
    let meta = |key: &str| metadata.and_then(|m| m.get(key)).and_then(|v| v.as_str());
    let name = meta("name").ok_or_else(|| bad("the manifest has no 'metadata.name'".into()))?;
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let found = resources
        .iter()
        .find(|r| {
            r.kind == kind
                && r.type_.group == group
                && r.type_.version == version
                && !r.type_.resource.contains('/')
        })
        .ok_or_else(|| {
            bad(format!(
                "the cluster has no kind '{kind}' in apiVersion '{api_version}'"
            ))
        })?;
    let namespace = meta("namespace");
    let namespace = match (found.namespaced, namespace) {
        (true, Some(ns)) => Some(ns.to_owned()),
        (true, None) => {
            return Err(bad(format!(
                "{kind} is namespaced: the manifest needs 'metadata.namespace'"
            )));
        }
        (false, Some(_)) => {
            return Err(bad(format!(
                "{kind} is cluster-scoped: remove 'metadata.namespace' from the manifest"
            )));
        }
        (false, None) => None,
    };
    let object = ObjectRef {
        type_: found.type_.clone(),
        namespace,
        name: name.to_owned(),
    };
    check_object(&object)?;
    Ok(object)
}

/// Workloads `kubectl rollout restart` restarts.
const RESTARTABLE: &[&str] = &["deployments", "statefulsets", "daemonsets"];

impl CallState {
    /// Runs `operation` under this call's grant. Borrows fields, not the
    /// whole (non-`Sync`) state, so the future stays `Send`.
    fn kube(
        &self,
        operation: Operation,
    ) -> impl Future<Output = Result<String, Error>> + Send + '_ {
        let (access, plugin, as_user) =
            (&self.kube, &self.plugin, self.context.impersonated.as_ref());
        async move { Ok(access.run(plugin, as_user, operation).await?.into_text()) }
    }
}

/// The API pages of one `list-page` call, each grant-checked.
struct GatewayPages<'a> {
    access: &'a KubeAccess,
    plugin: &'a str,
    as_user: Option<&'a Impersonated>,
    r#type: &'a ResourceType,
    options: &'a ListOptions,
}

impl answer::Source for GatewayPages<'_> {
    type Error = Error;

    fn too_large(error: &Error) -> bool {
        matches!(error, Error::Other(status) if status.code == 413)
    }

    fn fetch(
        &mut self,
        page: PageRequest,
        table: bool,
    ) -> impl Future<Output = Result<ApiPage, Error>> + Send {
        let operation = Operation::ListPage {
            r#type: self.r#type.clone(),
            namespace: self.options.namespace.clone(),
            label_selector: self.options.label_selector.clone(),
            field_selector: self.options.field_selector.clone(),
            page,
            table,
        };
        let (access, plugin, as_user) = (self.access, self.plugin, self.as_user);
        async move {
            match access.run(plugin, as_user, operation).await? {
                Reply::Table(table) => Ok(ApiPage::Table(table)),
                Reply::Json(list) => Ok(ApiPage::List(list)),
                Reply::Text(_) => Err(Error::Other(ApiStatus {
                    code: 500,
                    reason: "InternalError".into(),
                    message: "the API server answered a list with text".into(),
                })),
            }
        }
    }
}

impl From<ListFormat> for answer::ListFormat {
    fn from(format: ListFormat) -> Self {
        match format {
            ListFormat::Table => answer::ListFormat::Table,
            ListFormat::Yaml => answer::ListFormat::Yaml,
            ListFormat::Json => answer::ListFormat::Json,
        }
    }
}

/// `No pods found in namespace demo.`
fn nothing_found(r#type: &ResourceType, options: &ListOptions) -> String {
    let selected = if options.label_selector.is_some() || options.field_selector.is_some() {
        " matching the selectors"
    } else {
        ""
    };
    match &options.namespace {
        Some(ns) => format!("No {}{selected} found in namespace {ns}.", r#type.resource),
        None => format!("No {}{selected} found.", r#type.resource),
    }
}

/// `kubernetes`: validated, grant-checked, then sent by the [`Cluster`].
impl kubernetes::Host for CallState {
    async fn api_resources(&mut self) -> Result<Vec<ApiResource>, Error> {
        self.kube.cluster.api_resources().await
    }

    async fn version(&mut self) -> Result<ServerVersion, Error> {
        self.kube.cluster.server_version().await
    }

    async fn get(&mut self, object: ObjectRef) -> Result<String, Error> {
        check_object(&object)?;
        self.kube(Operation::Get(object)).await
    }

    async fn list(&mut self, r#type: ResourceType, options: ListOptions) -> Result<String, Error> {
        check_type(&r#type)?;
        if let Some(ns) = &options.namespace {
            check_name("namespace", ns)?;
        }
        self.kube(Operation::List { r#type, options }).await
    }

    async fn get_as(&mut self, object: ObjectRef, format: ObjectFormat) -> Result<String, Error> {
        check_object(&object)?;
        let (access, plugin, as_user) =
            (&self.kube, &self.plugin, self.context.impersonated.as_ref());
        let format = match format {
            ObjectFormat::Yaml => answer::ObjectFormat::Yaml,
            ObjectFormat::Json => answer::ObjectFormat::Json,
        };
        match access.run(plugin, as_user, Operation::Get(object)).await? {
            Reply::Json(value) => Ok(answer::object_text(&value, format)),
            other => Ok(other.into_text()),
        }
    }

    async fn list_page(
        &mut self,
        r#type: ResourceType,
        options: ListOptions,
        page: PageOptions,
    ) -> Result<Page, Error> {
        check_type(&r#type)?;
        if let Some(ns) = &options.namespace {
            check_name("namespace", ns)?;
        }
        let defaults = self.kube.cluster.answers();
        let cursor = Cursor::decode(options.continue_token.as_deref())
            .map_err(|e| Error::BadRequest(e.to_string()))?;
        let request = answer::ListRequest {
            format: page.format.map_or(defaults.list_format, Into::into),
            wide: page.wide,
            budget: page.budget.map_or(defaults.budget, |b| {
                b.clamp(*answer::BUDGET_RANGE.start(), defaults.budget)
            }),
            max_items: options.limit.map(|l| l.max(1)),
            cursor,
            across_namespaces: options.namespace.is_none(),
            empty: nothing_found(&r#type, &options),
        };
        let mut pages = GatewayPages {
            access: &self.kube,
            plugin: &self.plugin,
            as_user: self.context.impersonated.as_ref(),
            r#type: &r#type,
            options: &options,
        };
        let page = answer::list_page(&mut pages, request).await?;
        Ok(Page {
            text: page.text,
            more: page.more,
            structured: page.structured,
            items: page.items,
            continue_token: page.continue_token,
            remaining_item_count: page.remaining_item_count,
        })
    }

    async fn pod_logs(
        &mut self,
        namespace: String,
        pod: String,
        mut options: LogOptions,
    ) -> Result<String, Error> {
        // The host caps every log read at the plugin's output limit (the
        // WIT promises it): a plugin that asks for no limit gets that much.
        let cap = u32::try_from(self.output_bytes).unwrap_or(u32::MAX);
        options.limit_bytes = Some(options.limit_bytes.map_or(cap, |l| l.min(cap)));
        check_name("namespace", &namespace)?;
        check_name("pod", &pod)?;
        if let Some(container) = &options.container {
            check_name("container", container)?;
        }
        self.kube(Operation::PodLogs {
            namespace,
            pod,
            options,
        })
        .await
    }

    async fn events(
        &mut self,
        namespace: Option<String>,
        about: Option<EventSubject>,
    ) -> Result<String, Error> {
        if let Some(ns) = &namespace {
            check_name("namespace", ns)?;
        }
        if let Some(subject) = &about {
            check_name("kind", &subject.kind)?;
            check_name("name", &subject.name)?;
        }
        self.kube(Operation::Events { namespace, about }).await
    }

    async fn apply(&mut self, manifest: String, options: ApplyOptions) -> Result<String, Error> {
        // YAML is a superset of JSON: one parser takes both.
        let manifest: serde_json::Value = serde_yaml_ng::from_str(&manifest).map_err(|e| {
            Error::BadRequest(format!("the manifest is not valid YAML or JSON: {e}"))
        })?;
        let resources = self.kube.cluster.api_resources().await?;
        let object = manifest_target(&manifest, &resources)?;
        self.kube(Operation::Apply {
            object,
            manifest,
            options,
        })
        .await
    }

    async fn delete(&mut self, object: ObjectRef, options: DeleteOptions) -> Result<String, Error> {
        check_object(&object)?;
        self.kube(Operation::Delete { object, options }).await
    }

    async fn scale(
        &mut self,
        object: ObjectRef,
        replicas: u32,
        dry_run: bool,
    ) -> Result<String, Error> {
        check_object(&object)?;
        self.kube(Operation::Scale {
            object,
            replicas,
            dry_run,
        })
        .await
    }

    async fn rollout_restart(&mut self, object: ObjectRef, dry_run: bool) -> Result<String, Error> {
        check_object(&object)?;
        if object.type_.group != "apps" || !RESTARTABLE.contains(&object.type_.resource.as_str()) {
            return Err(Error::BadRequest(format!(
                "only apps deployments, statefulsets and daemonsets can be restarted, not {}",
                object.type_.resource
            )));
        }
        self.kube(Operation::RolloutRestart { object, dry_run })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

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
        }
    }

    /// Records what reaches it; answers `{}`.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Operation>>);

    impl Cluster for Recorder {
        fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>> {
            Box::pin(async { Err(Error::Unavailable("n/a".into())) })
        }
        fn send<'a>(
            &'a self,
            _: &'a str,
            _: Option<&'a Impersonated>,
            operation: Operation,
        ) -> BoxFuture<'a, Result<Reply, Error>> {
            self.0.lock().unwrap().push(operation);
            Box::pin(async { Ok(Reply::Json(serde_json::json!({}))) })
        }
    }

    #[tokio::test]
    async fn denied_requests_never_reach_the_cluster() {
        let recorder = Arc::new(Recorder::default());
        let access = KubeAccess {
            requested: Arc::new([cap(&["get", "list"], &["pods", "pods/log"], &["*"])]),
            granted: Arc::new([cap(&["get"], &["pods"], &["demo"])]),
            cluster: recorder.clone(),
        };
        let allowed = access
            .run("p", None, Operation::Get(pod("demo", "web")))
            .await;
        assert_eq!(allowed, Ok(Reply::Json(serde_json::json!({}))));

        let denied = |op| async {
            match access.run("p", None, op).await {
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
            recorder.0.lock().unwrap().as_slice(),
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
    #[derive(Default)]
    struct OnlyWeb(std::sync::Mutex<Vec<Operation>>);

    impl Cluster for OnlyWeb {
        fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>> {
            Box::pin(async { Err(Error::Unavailable("no".into())) })
        }
        fn send<'a>(
            &'a self,
            _: &'a str,
            _: Option<&'a Impersonated>,
            operation: Operation,
        ) -> BoxFuture<'a, Result<Reply, Error>> {
            let missing = matches!(&operation, Operation::Get(o) if o.name != "web");
            self.0.lock().unwrap().push(operation);
            Box::pin(async move {
                if missing {
                    Err(Error::NotFound(ApiStatus {
                        code: 404,
                        reason: "NotFound".into(),
                        message: "not found".into(),
                    }))
                } else {
                    Ok(Reply::Json(serde_json::json!({})))
                }
            })
        }
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
        let cluster = Arc::new(OnlyWeb::default());
        let access = |granted: Capability| KubeAccess {
            requested: Arc::new([everything.clone()]),
            granted: Arc::new([granted]),
            cluster: cluster.clone(),
        };
        // Updating what exists: patch is enough.
        access(patch_only.clone())
            .run("p", None, apply("web"))
            .await
            .unwrap();
        // Creating: refused without create, and nothing is applied.
        let before = cluster.0.lock().unwrap().len();
        match access(patch_only).run("p", None, apply("new")).await {
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
        let sent = cluster.0.lock().unwrap()[before..].to_vec();
        assert!(
            sent.iter().all(|o| matches!(o, Operation::Get(_))),
            "{sent:?}"
        );
        let with_create = cap(&["get", "patch", "create"], &["pods"], &["demo"]);
        access(with_create)
            .run("p", None, apply("new"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn bad_segments_never_reach_the_cluster_whatever_the_path() {
        let recorder = Arc::new(Recorder::default());
        let everything = cap(&["*"], &["*"], &["*"]);
        let access = KubeAccess {
            requested: Arc::new([everything.clone()]),
            granted: Arc::new([everything]),
            cluster: recorder.clone(),
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
            let outcome = access.run("p", None, operation.clone()).await;
            assert!(
                matches!(outcome, Err(Error::BadRequest(_))),
                "{operation:?}: {outcome:?}"
            );
        }
        assert!(recorder.0.lock().unwrap().is_empty());
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
