//! The host side of the `kubernetes` interface: each function validates
//! its arguments, resolves them into an [`Operation`] and runs it through
//! the plugin's [`KubeAccess`] (grant check, then the [`Cluster`]).
//!
//! The `Host` impl is on [`KubeView`], the part of a call's state this
//! interface needs, as wasmtime-wasi implements its interfaces on views of
//! the store: this module knows nothing of the plugin runtime.

use std::time::Duration;

use super::cluster::{KubeCaller, Reply};
use super::exec::ExecRequest;
use super::gateway::KubeAccess;
use super::operation::{Operation, RESTARTABLE, manifest_target};
use super::proxy::ProxyRequest;
use super::segments::{check_name, check_object, check_subresource, check_type};
use crate::answer::{self, ApiPage, Cursor, PageRequest};
use crate::wit::kubernetes::{
    self, ApiResource, ApiStatus, ApplyOptions, ClusterContext, DeleteOptions, Error, EventSubject,
    ExecOptions, ExecOutput, ListFormat, ListOptions, LogOptions, ObjectFormat, ObjectRef, Page,
    PageOptions, PatchOptions, PatchType, ProxyOptions, ProxyResponse, ResourceType, ServerVersion,
};

#[cfg(doc)]
use super::cluster::Cluster;

/// What the `kubernetes` interface sees of one call: the plugin's access,
/// its name, who it acts as, and the most it may return.
pub struct KubeView<'a> {
    pub access: &'a KubeAccess,
    pub plugin: &'a str,
    pub as_user: &'a KubeCaller,
    /// The plugin's output limit; also the most of a pod's log it reads.
    pub output_bytes: u64,
    /// Set once the call has changed the cluster (see the `client`
    /// interface: a stateless client's retry reruns the plugin).
    pub changed: &'a std::sync::atomic::AtomicBool,
    /// When the call is stopped; waits inside the host (exec, proxied
    /// GETs) end before it, so the plugin still gets their answer.
    pub deadline: std::time::Instant,
    /// The clusters the caller may aim this call at (`contexts`).
    pub clusters_allowed: &'a [std::sync::Arc<str>],
}

/// Selects [`KubeView`] as the data the `kubernetes` bindings work on.
pub struct KubeHost;

impl wasmtime::component::HasData for KubeHost {
    type Data<'a> = KubeView<'a>;
}

impl KubeView<'_> {
    /// Runs `operation` under the call's grant and returns the answer's
    /// text.
    async fn run(&self, operation: Operation) -> Result<String, Error> {
        Ok(self.reply(operation).await?.into_text())
    }

    /// Runs `operation` under the call's grant.
    async fn reply(&self, operation: Operation) -> Result<Reply, Error> {
        let changes = operation.changes_cluster();
        let reply = self
            .access
            .run(self.plugin, self.as_user, operation)
            .await?;
        if changes {
            self.changed
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(reply)
    }

    /// How long a wait inside the host may last: what the plugin asked
    /// (10 s when it did not), ending a moment before the call's deadline.
    fn wait(&self, seconds: Option<u32>) -> Duration {
        const DEFAULT: Duration = Duration::from_secs(10);
        const MARGIN: Duration = Duration::from_millis(250);
        let asked = seconds.map_or(DEFAULT, |s| Duration::from_secs(s.max(1).into()));
        let left = self
            .deadline
            .saturating_duration_since(std::time::Instant::now())
            .saturating_sub(MARGIN);
        asked.min(left)
    }

    /// The most bytes an answer read inside the host may have: what the
    /// plugin asked, at most its output limit.
    fn cap(&self, limit: Option<u32>) -> usize {
        let cap = usize::try_from(self.output_bytes).unwrap_or(usize::MAX);
        limit.map_or(cap, |l| (l as usize).min(cap))
    }
}

/// The API pages of one `list-page` call, each grant-checked.
struct GatewayPages<'a> {
    access: &'a KubeAccess,
    plugin: &'a str,
    as_user: &'a KubeCaller,
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
                _ => Err(unexpected("a list")),
            }
        }
    }
}

/// Why a cluster did not answer, in words.
fn reason(error: &Error) -> String {
    match error {
        Error::Unavailable(why) | Error::BadRequest(why) => why.clone(),
        Error::Unauthorized(status)
        | Error::Forbidden(status)
        | Error::Timeout(status)
        | Error::Other(status) => {
            format!("{} {}: {}", status.code, status.reason, status.message)
        }
        other => format!("{other:?}"),
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
impl kubernetes::Host for KubeView<'_> {
    async fn api_resources(&mut self) -> Result<Vec<ApiResource>, Error> {
        self.access.api_resources().await
    }

    async fn contexts(&mut self, probe: bool) -> Vec<ClusterContext> {
        const PROBE: u32 = 3;
        let wait = self.wait(Some(PROBE));
        let clusters = &self.access.clusters;
        let current = self.access.member().map(|m| m.name.clone()).ok();
        let current = current.as_deref();
        let members = self
            .clusters_allowed
            .iter()
            .filter_map(|name| clusters.member(Some(name)));
        let answers = members.map(|member| async move {
            let mut context = ClusterContext {
                name: member.name.to_string(),
                server: member.about.server.clone(),
                is_default: *member.name == *clusters.default_name(),
                current: current == Some(&*member.name),
                identity: member.about.identity.to_string(),
                version: None,
                unreachable: member.about.broken.clone(),
            };
            if probe && context.unreachable.is_none() {
                match tokio::time::timeout(wait, member.cluster.server_version()).await {
                    Ok(Ok(version)) => context.version = Some(version.git_version),
                    Ok(Err(error)) => context.unreachable = Some(reason(&error)),
                    Err(_) => {
                        context.unreachable =
                            Some(format!("no answer within {} ms", wait.as_millis()))
                    }
                }
            }
            context
        });
        futures_util::future::join_all(answers).await
    }

    async fn version(&mut self) -> Result<ServerVersion, Error> {
        self.access.server_version().await
    }

    async fn get(&mut self, object: ObjectRef) -> Result<String, Error> {
        check_object(&object)?;
        self.run(Operation::Get(object)).await
    }

    async fn list(&mut self, r#type: ResourceType, options: ListOptions) -> Result<String, Error> {
        check_type(&r#type)?;
        if let Some(ns) = &options.namespace {
            check_name("namespace", ns)?;
        }
        self.run(Operation::List { r#type, options }).await
    }

    async fn get_as(&mut self, object: ObjectRef, format: ObjectFormat) -> Result<String, Error> {
        check_object(&object)?;
        let (access, plugin, as_user) = (self.access, self.plugin, self.as_user);
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
        let defaults = self.access.answers();
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
            access: self.access,
            plugin: self.plugin,
            as_user: self.as_user,
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
        self.run(Operation::PodLogs {
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
        self.run(Operation::Events { namespace, about }).await
    }

    async fn apply(&mut self, manifest: String, options: ApplyOptions) -> Result<String, Error> {
        let manifest = parse_body("the manifest", &manifest)?;
        let resources = self.access.api_resources().await?;
        let object = manifest_target(&manifest, &resources)?;
        self.run(Operation::Apply {
            object,
            manifest,
            options,
        })
        .await
    }

    async fn delete(&mut self, object: ObjectRef, options: DeleteOptions) -> Result<String, Error> {
        check_object(&object)?;
        self.run(Operation::Delete { object, options }).await
    }

    async fn scale(
        &mut self,
        object: ObjectRef,
        replicas: u32,
        dry_run: bool,
    ) -> Result<String, Error> {
        check_object(&object)?;
        self.run(Operation::Scale {
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
        self.run(Operation::RolloutRestart { object, dry_run })
            .await
    }

    async fn patch(
        &mut self,
        object: ObjectRef,
        r#type: PatchType,
        patch: String,
        options: PatchOptions,
    ) -> Result<String, Error> {
        check_object(&object)?;
        if let Some(sub) = &options.subresource {
            check_subresource(sub)?;
        }
        let patch = parse_body("the patch", &patch)?;
        let shape_ok = match r#type {
            PatchType::Json => patch.is_array(),
            PatchType::Merge | PatchType::Strategic => patch.is_object(),
        };
        if !shape_ok {
            return Err(Error::BadRequest(match r#type {
                PatchType::Json => "a JSON Patch is a list of operations".into(),
                _ => "a merge patch is an object".into(),
            }));
        }
        self.run(Operation::Patch {
            object,
            r#type,
            patch,
            subresource: options.subresource,
            dry_run: options.dry_run,
        })
        .await
    }

    async fn create(&mut self, manifest: String, dry_run: bool) -> Result<String, Error> {
        let manifest = parse_body("the manifest", &manifest)?;
        let resources = self.access.api_resources().await?;
        let object = manifest_target(&manifest, &resources)?;
        self.run(Operation::Create {
            object,
            manifest,
            dry_run,
        })
        .await
    }

    async fn create_subresource(
        &mut self,
        object: ObjectRef,
        subresource: String,
        body: String,
        dry_run: bool,
    ) -> Result<String, Error> {
        check_object(&object)?;
        check_subresource(&subresource)?;
        let body = parse_body("the body", &body)?;
        if !body.is_object() {
            return Err(Error::BadRequest("the body must be one object".into()));
        }
        self.run(Operation::CreateSubresource {
            object,
            subresource,
            body,
            dry_run,
        })
        .await
    }

    async fn exec(
        &mut self,
        namespace: String,
        pod: String,
        command: Vec<String>,
        options: ExecOptions,
    ) -> Result<ExecOutput, Error> {
        self.exec_reply(ExecRequest {
            namespace,
            pod,
            container: options.container,
            command,
            stdin: options.stdin,
            timeout: self.wait(options.timeout_seconds),
            limit: self.cap(options.limit_bytes),
        })
        .await
    }

    async fn proxy_get(
        &mut self,
        object: ObjectRef,
        path: String,
        options: ProxyOptions,
    ) -> Result<ProxyResponse, Error> {
        self.proxy_reply(ProxyRequest {
            object,
            port: options.port,
            path,
            query: options.query,
            limit: self.cap(options.limit_bytes),
            timeout: self.wait(options.timeout_seconds),
        })
        .await
    }
}

impl KubeView<'_> {
    async fn exec_reply(&self, exec: ExecRequest) -> Result<ExecOutput, Error> {
        exec.check()?;
        match self.reply(Operation::Exec(exec)).await? {
            Reply::Exec(output) => Ok(output),
            _ => Err(unexpected("exec")),
        }
    }

    async fn proxy_reply(&self, proxy: ProxyRequest) -> Result<ProxyResponse, Error> {
        proxy.check()?;
        match self.reply(Operation::ProxyGet(proxy)).await? {
            Reply::Proxy(response) => Ok(response),
            _ => Err(unexpected("proxy-get")),
        }
    }
}

/// A cluster answered `function` with the wrong kind of reply.
fn unexpected(function: &str) -> Error {
    Error::Other(ApiStatus {
        code: 500,
        reason: "InternalError".into(),
        message: format!("the cluster answered {function} with something else"),
    })
}

/// `text` as JSON; YAML is a superset of JSON, so one parser takes both.
fn parse_body(what: &str, text: &str) -> Result<serde_json::Value, Error> {
    serde_yaml_ng::from_str(text)
        .map_err(|e| Error::BadRequest(format!("{what} is not valid YAML or JSON: {e}")))
}
