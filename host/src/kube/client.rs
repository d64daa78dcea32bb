//! [`KubeCluster`]: the [`Cluster`] reached with kube-rs. It builds the API
//! request (paths from group, version and resource), adds impersonation
//! headers in `impersonate` mode, reads answers with caps and shapes what
//! comes back ([`shape`](super::shape)). The gateway has already checked
//! each [`Operation`] against the plugin's grant.

use std::sync::Arc;

use std::time::Duration;

use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderValue, Request};
use kube::core::params::{
    DeleteParams, GetParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy,
    VersionMatch,
};
use kube::core::subresource::{AttachParams, LogParams};
use kube::core::{DynamicObject, GroupVersionKind, Resource as _};
use serde_json::{Value, json};

use super::cluster::{Cluster, Impersonated, KubeCaller, Reply};
use super::config::{KubeIdentity, KubernetesConfig};
use super::discovery::Discovery;
use super::errors::api_error;
use super::exchange::TokenExchange;
use super::exec::{Collected, ExecRequest, Flow, stdin_frames};
use super::operation::Operation;
use super::proxy::ProxyRequest;
use super::shape::{self, Sight};
use crate::BoxFuture;
use crate::answer::{self, PageRequest, table::ACCEPT_TABLE, table::TableResponse};
use crate::wit::kubernetes::{
    ApiResource, ApiStatus, Error, ExecOutput, PatchType, Propagation, ProxyResponse, ResourceType,
    ServerVersion,
};

/// Adds `impersonated`'s headers. Authentication already refused
/// `system:` names; they are refused here again so no other path can send
/// one.
fn impersonate(request: &mut Request<Vec<u8>>, impersonated: &Impersonated) -> Result<(), Error> {
    let Impersonated { user, groups } = impersonated;
    if let Some(name) = std::iter::once(user)
        .chain(groups)
        .find(|n| n.starts_with("system:"))
    {
        return Err(Error::Forbidden(ApiStatus {
            code: 403,
            reason: "Forbidden".into(),
            message: format!("'{name}' is a system: name, which is never impersonated"),
        }));
    }
    let header = |value: &str| {
        HeaderValue::from_str(value).map_err(|_| {
            Error::BadRequest(format!(
                "'{value}' cannot be sent as an impersonation header"
            ))
        })
    };
    let headers = request.headers_mut();
    headers.insert("Impersonate-User", header(user)?);
    for group in groups {
        headers.append("Impersonate-Group", header(group)?);
    }
    Ok(())
}

/// The most items one list returns; longer lists carry a continue token.
pub const MAX_LIST_LIMIT: u32 = 500;

/// The most bytes read of one API answer. A page of 500 large objects stays
/// under it; a bigger answer is an error that says to ask for less, rather
/// than memory the server cannot bound.
pub const MAX_ANSWER_BYTES: usize = 16 << 20;
/// The most bytes read of an error answer (a `Status` is well under 1 KiB).
const MAX_ERROR_BYTES: usize = 64 << 10;

/// A cluster reached with kube-rs.
pub struct KubeCluster {
    /// With the server's own credentials: discovery, and every request
    /// unless the cluster exchanges callers' tokens.
    client: kube::Client,
    identity: KubeIdentity,
    /// `tokenExchange`: the exchange, and a client without the server's
    /// credentials (a client certificate would win over the caller's
    /// token at the API server).
    exchange: Option<(TokenExchange, kube::Client)>,
    reveal_secrets: bool,
    answers: answer::Defaults,
    discovery: Discovery,
}

impl KubeCluster {
    /// A client for the cluster `kube_config` reaches, acting as
    /// `identity`. Nothing is sent yet: a cluster that is down now is
    /// only an error for the calls aimed at it.
    pub fn connect(
        kube_config: kube::Config,
        identity: KubeIdentity,
        config: &KubernetesConfig,
    ) -> anyhow::Result<Arc<KubeCluster>> {
        use anyhow::Context;
        let exchange = match &identity {
            KubeIdentity::TokenExchange(exchange) => {
                let mut anonymous = kube_config.clone();
                anonymous.auth_info = Default::default();
                let client = kube::Client::try_from(bounded(anonymous))
                    .context("cannot build the Kubernetes client")?;
                Some((TokenExchange::new((**exchange).clone())?, client))
            }
            _ => None,
        };
        let client = kube::Client::try_from(bounded(kube_config))
            .context("cannot build the Kubernetes client")?;
        Ok(Arc::new(KubeCluster {
            discovery: Discovery::new(client.clone()),
            client,
            identity,
            exchange,
            reveal_secrets: config.reveal_secrets,
            answers: config.answers,
        }))
    }

    /// Makes `request` act as the caller, by the cluster's identity mode,
    /// and returns the client to send it with: the server's own, with
    /// impersonation headers in `impersonate` mode; in `tokenExchange`
    /// mode one without credentials, and the caller's exchanged token.
    async fn identify(
        &self,
        request: &mut Request<Vec<u8>>,
        as_user: &KubeCaller,
    ) -> Result<&kube::Client, Error> {
        let no_caller = |mode: &str| {
            Error::Forbidden(ApiStatus {
                code: 403,
                reason: "Forbidden".into(),
                message: format!(
                    "this cluster {mode}, and this request has no caller (authentication is off)"
                ),
            })
        };
        match (&self.identity, &self.exchange) {
            (KubeIdentity::ServiceAccount, _) => Ok(&self.client),
            (KubeIdentity::Impersonate, _) => {
                let impersonated = as_user
                    .impersonated
                    .as_ref()
                    .ok_or_else(|| no_caller("impersonates callers"))?;
                impersonate(request, impersonated)?;
                Ok(&self.client)
            }
            (KubeIdentity::TokenExchange(_), Some((exchange, client))) => {
                let subject = as_user
                    .token
                    .as_ref()
                    .ok_or_else(|| no_caller("acts as each caller with their own token"))?;
                let token = exchange.token_for(subject).await?;
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret()))
                    .map_err(|_| {
                        Error::Unavailable(
                            "the identity provider's token cannot be sent in a header".into(),
                        )
                    })?;
                value.set_sensitive(true);
                request
                    .headers_mut()
                    .insert(axum::http::header::AUTHORIZATION, value);
                Ok(client)
            }
            (KubeIdentity::TokenExchange(_), None) => {
                unreachable!("connect sets up the exchange of a tokenExchange cluster")
            }
        }
    }

    /// Sends `request` and reads at most `cap` bytes of the answer: beyond
    /// it, text (`cut_text`) is cut at a character boundary and anything
    /// else is an error. API errors keep their own code and reason.
    async fn read(
        &self,
        client: &kube::Client,
        request: Request<Vec<u8>>,
        cap: usize,
        cut_text: bool,
    ) -> Result<String, Error> {
        let response = client
            .send(request.map(kube::client::Body::from))
            .await
            .map_err(api_error)?;
        let status = response.status();
        if status.is_client_error() || status.is_server_error() {
            let (body, _) = read_capped(response.into_body(), MAX_ERROR_BYTES).await?;
            let text = String::from_utf8_lossy(&body);
            // A `Status` when the API server wrote one; otherwise (a proxy's
            // page, an empty body) the HTTP status and the start of the text.
            let error = serde_json::from_str::<kube::core::Status>(&text)
                .ok()
                .filter(|s| s.code != 0)
                .unwrap_or_else(|| kube::core::Status {
                    code: status.as_u16(),
                    message: text.chars().take(512).collect(),
                    reason: status.canonical_reason().unwrap_or("Unknown").to_owned(),
                    ..kube::core::Status::failure("", "")
                });
            return Err(api_error(kube::Error::Api(error.boxed())));
        }
        let (mut body, cut) = read_capped(response.into_body(), cap).await?;
        if cut && !cut_text {
            return Err(Error::Other(ApiStatus {
                code: 413,
                reason: "RequestEntityTooLarge".into(),
                message: format!(
                    "the API server's answer is larger than {} MiB; ask for fewer items (a \
                     smaller limit) or narrow it with a namespace or selector",
                    cap >> 20
                ),
            }));
        }
        // A cut can split a character; keep the whole ones.
        let text = match String::from_utf8(std::mem::take(&mut body)) {
            Ok(text) => text,
            Err(e) if cut => {
                let valid = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                bytes.truncate(valid);
                String::from_utf8(bytes).expect("valid up to here")
            }
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Ok(text)
    }

    async fn send_request(
        &self,
        mut request: Request<Vec<u8>>,
        as_user: &KubeCaller,
        answer: Answer,
        sight: Sight,
    ) -> Result<Reply, Error> {
        let client = self.identify(&mut request, as_user).await?;
        let cap = match answer {
            Answer::Text { limit } => limit.min(MAX_ANSWER_BYTES),
            _ => MAX_ANSWER_BYTES,
        };
        let text = self
            .read(client, request, cap, matches!(answer, Answer::Text { .. }))
            .await?;
        let not_json = |e: serde_json::Error| {
            Error::Other(ApiStatus {
                code: 500,
                reason: "InternalError".into(),
                message: format!("the API server's answer is not what was asked for: {e}"),
            })
        };
        match answer {
            Answer::Text { .. } => Ok(Reply::Text(text)),
            Answer::Table => serde_json::from_str::<TableResponse>(&text)
                .map(Reply::Table)
                .map_err(not_json),
            Answer::Json => {
                let mut value: Value = serde_json::from_str(&text).map_err(not_json)?;
                shape::shape_for(&mut value, self.reveal_secrets, sight);
                Ok(Reply::Json(value))
            }
        }
    }
}

impl KubeCluster {
    /// Runs a command in a container: opens the exec WebSocket, writes
    /// stdin, reads stdout and stderr up to the limit and the final status,
    /// and hangs up at the timeout.
    async fn exec(&self, exec: ExecRequest, as_user: &KubeCaller) -> Result<ExecOutput, Error> {
        use futures_util::{SinkExt as _, StreamExt as _};
        use tokio_tungstenite::tungstenite::Message;

        let params = AttachParams {
            container: exec.container.clone(),
            stdin: exec.stdin.is_some(),
            stdout: true,
            stderr: true,
            tty: false,
            ..AttachParams::default()
        };
        let mut request = api(&core_v1("pods"), Some(&exec.namespace))
            .exec(&exec.pod, exec.command.clone(), &params)
            .map_err(|e| Error::BadRequest(format!("cannot build the request: {e}")))?;
        let client = self.identify(&mut request, as_user).await?;
        let deadline = tokio::time::Instant::now() + exec.timeout;
        let late = || timed_out("the command", exec.timeout);
        let connection = tokio::time::timeout_at(deadline, client.connect(request))
            .await
            .map_err(|_| late())?
            .map_err(api_error)?;
        let can_close = connection.supports_stream_close();
        if exec.stdin.is_some() && !can_close {
            return Err(Error::BadRequest(
                "the API server speaks only v4.channel.k8s.io, which cannot close a command's \
                 standard input; run the command without stdin"
                    .into(),
            ));
        }
        let mut socket = connection.into_stream();
        if let Some(input) = &exec.stdin {
            let write = async {
                for frame in stdin_frames(input, can_close) {
                    socket.send(Message::Binary(frame.into())).await?;
                }
                Ok::<_, tokio_tungstenite::tungstenite::Error>(())
            };
            tokio::time::timeout_at(deadline, write)
                .await
                .map_err(|_| late())?
                .map_err(|e| Error::Unavailable(format!("writing the command's stdin: {e}")))?;
        }
        let mut collected = Collected::default();
        let timed_out = loop {
            match tokio::time::timeout_at(deadline, socket.next()).await {
                Err(_) => break true,
                Ok(None | Some(Ok(Message::Close(_)))) => break false,
                Ok(Some(Err(e))) => {
                    return Err(Error::Unavailable(format!("the exec stream broke: {e}")));
                }
                Ok(Some(Ok(Message::Binary(frame)))) => {
                    if collected.take(&frame, exec.limit) == Flow::Done {
                        break false;
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        };
        // Hang up (a command still running loses its streams); the answer
        // does not wait for a slow close.
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
        Ok(collected.finish(timed_out))
    }

    /// A GET through the `proxy` subresource. What the endpoint answers
    /// is passed on, error statuses included; the API server's own
    /// refusals (a `Status`: no such pod, no endpoints, RBAC) are errors.
    async fn proxy_get(
        &self,
        proxy: ProxyRequest,
        as_user: &KubeCaller,
    ) -> Result<ProxyResponse, Error> {
        let mut request = Request::get(proxy.uri())
            .body(Vec::new())
            .map_err(|e| Error::BadRequest(format!("cannot build the request: {e}")))?;
        let client = self.identify(&mut request, as_user).await?;
        let work = async {
            let response = client
                .send(request.map(kube::client::Body::from))
                .await
                .map_err(api_error)?;
            let status = response.status();
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let (body, truncated) = read_capped(response.into_body(), proxy.limit).await?;
            Ok::<_, Error>((status, content_type, body, truncated))
        };
        let (status, content_type, body, truncated) = tokio::time::timeout(proxy.timeout, work)
            .await
            .map_err(|_| timed_out("the proxied endpoint", proxy.timeout))??;
        if !status.is_success()
            && let Some(refusal) = api_server_status(&body)
        {
            return Err(api_error(kube::Error::Api(refusal.boxed())));
        }
        Ok(ProxyResponse {
            status: status.as_u16(),
            content_type,
            body: String::from_utf8_lossy(&body).into_owned(),
            truncated,
        })
    }
}

/// The API server's `Status`, when `body` is one (`kind: Status`).
fn api_server_status(body: &[u8]) -> Option<kube::core::Status> {
    let value: Value = serde_json::from_slice(body).ok()?;
    if value.get("kind")?.as_str()? != "Status" {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// `what` did not answer within `timeout`.
fn timed_out(what: &str, timeout: Duration) -> Error {
    Error::Timeout(ApiStatus {
        code: 504,
        reason: "Timeout".into(),
        message: format!(
            "{what} did not answer within {}",
            humantime::format_duration(timeout)
        ),
    })
}

/// The core `v1` type of `resource`.
fn core_v1(resource: &str) -> ResourceType {
    ResourceType {
        group: String::new(),
        version: "v1".into(),
        resource: resource.into(),
    }
}

/// What an answer is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// JSON, shaped.
    Json,
    /// Text, as it is (logs), cut at `limit` bytes.
    Text { limit: usize },
    /// A `meta.k8s.io/v1` Table (or a List's identities).
    Table,
}

/// At most `cap` bytes of `body`, and whether there was more (the rest is
/// never read).
async fn read_capped(mut body: kube::client::Body, cap: usize) -> Result<(Vec<u8>, bool), Error> {
    use http_body_util::BodyExt as _;
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| Error::Unavailable(format!("reading the API server's answer: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if bytes.len() + data.len() > cap {
            let room = cap - bytes.len();
            bytes.extend_from_slice(&data[..room]);
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&data);
    }
    Ok((bytes, false))
}

impl Cluster for KubeCluster {
    fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>> {
        Box::pin(async move { self.discovery.resources().await })
    }

    fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>> {
        Box::pin(async move {
            let info = self.client.apiserver_version().await.map_err(api_error)?;
            Ok(ServerVersion {
                major: info.major,
                minor: info.minor,
                git_version: info.git_version,
                platform: info.platform,
            })
        })
    }

    fn answers(&self) -> answer::Defaults {
        self.answers
    }

    fn send<'a>(
        &'a self,
        plugin: &'a str,
        as_user: &'a KubeCaller,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        self.send_seeing(plugin, as_user, operation, Sight::Shaped)
    }

    fn send_seeing<'a>(
        &'a self,
        plugin: &'a str,
        as_user: &'a KubeCaller,
        operation: Operation,
        sight: Sight,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            match operation {
                Operation::Exec(exec) => return self.exec(exec, as_user).await.map(Reply::Exec),
                Operation::ProxyGet(proxy) => {
                    return self.proxy_get(proxy, as_user).await.map(Reply::Proxy);
                }
                Operation::Get(ref object) => {
                    self.discovery
                        .check_scope(&object.type_, object.namespace.is_some())
                        .await?;
                }
                _ => {}
            }
            let (request, answer) = build(plugin, operation)?;
            self.send_request(request, as_user, answer, sight).await
        })
    }
}

/// The API request for `operation` (by `plugin`, the field manager of its
/// applies), built with kube-rs's request builders, and how its answer is
/// read.
fn build(plugin: &str, operation: Operation) -> Result<(Request<Vec<u8>>, Answer), Error> {
    let built = match operation {
        Operation::Get(object) => {
            let api = api(&object.type_, object.namespace.as_deref());
            (api.get(&object.name, &GetParams::default()), Answer::Json)
        }
        Operation::List { r#type, options } => {
            let limit = options
                .limit
                .unwrap_or(MAX_LIST_LIMIT)
                .clamp(1, MAX_LIST_LIMIT);
            let params = ListParams {
                label_selector: options.label_selector,
                field_selector: options.field_selector,
                limit: Some(limit),
                continue_token: options.continue_token,
                ..ListParams::default()
            };
            let api = api(&r#type, options.namespace.as_deref());
            (api.list(&params), Answer::Json)
        }
        Operation::ListPage {
            r#type,
            namespace,
            label_selector,
            field_selector,
            page:
                PageRequest {
                    continue_token,
                    resource_version,
                    limit,
                },
            table,
        } => {
            let params = ListParams {
                label_selector,
                field_selector,
                limit: Some(limit.clamp(1, MAX_LIST_LIMIT)),
                continue_token,
                version_match: resource_version.as_ref().map(|_| VersionMatch::Exact),
                resource_version,
                ..ListParams::default()
            };
            let api = api(&r#type, namespace.as_deref());
            let request = api.list(&params).map(|mut request| {
                if table {
                    // Rows carry their object's namespace only when
                    // asked to; within one namespace they need nothing.
                    let include = if namespace.is_some() {
                        "None"
                    } else {
                        "Metadata"
                    };
                    add_query(&mut request, "includeObject", include);
                    request
                        .headers_mut()
                        .insert(ACCEPT, HeaderValue::from_static(ACCEPT_TABLE));
                }
                request
            });
            let answer = if table { Answer::Table } else { Answer::Json };
            (request, answer)
        }
        Operation::PodLogs {
            namespace,
            pod,
            options,
        } => {
            let params = LogParams {
                container: options.container,
                tail_lines: options.tail_lines.map(i64::from),
                since_seconds: options.since_seconds.map(i64::from),
                previous: options.previous,
                limit_bytes: options.limit_bytes.map(i64::from),
                ..LogParams::default()
            };
            let limit = options.limit_bytes.map_or(MAX_ANSWER_BYTES, |l| l as usize);
            let pods = ResourceType {
                group: String::new(),
                version: "v1".into(),
                resource: "pods".into(),
            };
            let api = api(&pods, Some(&namespace));
            (api.logs(&pod, &params), Answer::Text { limit })
        }
        Operation::Events { namespace, about } => {
            let params = ListParams {
                field_selector: about.map(|a| {
                    format!(
                        "involvedObject.kind={},involvedObject.name={}",
                        a.kind, a.name
                    )
                }),
                limit: Some(MAX_LIST_LIMIT),
                ..ListParams::default()
            };
            let events = ResourceType {
                group: String::new(),
                version: "v1".into(),
                resource: "events".into(),
            };
            (
                api(&events, namespace.as_deref()).list(&params),
                Answer::Json,
            )
        }
        Operation::Apply {
            object,
            manifest,
            options,
        } => {
            let params = PatchParams {
                dry_run: options.dry_run,
                force: options.force,
                ..PatchParams::apply(&format!("kube-mcp-{plugin}"))
            };
            let api = api(&object.type_, object.namespace.as_deref());
            let patch = Patch::Apply(&manifest);
            (api.patch(&object.name, &params, &patch), Answer::Json)
        }
        Operation::Delete { object, options } => {
            let params = DeleteParams {
                dry_run: options.dry_run,
                grace_period_seconds: options.grace_period_seconds,
                propagation_policy: options.propagation.map(|p| match p {
                    Propagation::Background => PropagationPolicy::Background,
                    Propagation::Foreground => PropagationPolicy::Foreground,
                    Propagation::Orphan => PropagationPolicy::Orphan,
                }),
                ..DeleteParams::default()
            };
            let api = api(&object.type_, object.namespace.as_deref());
            (api.delete(&object.name, &params), Answer::Json)
        }
        Operation::Scale {
            object,
            replicas,
            dry_run,
        } => {
            let params = PatchParams {
                dry_run,
                ..PatchParams::default()
            };
            let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
            let api = api(&object.type_, object.namespace.as_deref());
            (
                api.patch_subresource("scale", &object.name, &params, &patch),
                Answer::Json,
            )
        }
        Operation::RolloutRestart { object, dry_run } => {
            let params = PatchParams {
                dry_run,
                ..PatchParams::default()
            };
            let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
            let patch = Patch::Strategic(json!({"spec": {"template": {"metadata": {
                "annotations": {"kubectl.kubernetes.io/restartedAt": now}
            }}}}));
            let api = api(&object.type_, object.namespace.as_deref());
            (api.patch(&object.name, &params, &patch), Answer::Json)
        }
        Operation::Patch {
            object,
            r#type,
            patch,
            subresource,
            dry_run,
        } => {
            let params = PatchParams {
                dry_run,
                ..PatchParams::default()
            };
            let api = api(&object.type_, object.namespace.as_deref());
            let request = match r#type {
                PatchType::Merge => patch_request(
                    &api,
                    &object.name,
                    subresource,
                    &params,
                    &Patch::Merge(&patch),
                ),
                PatchType::Strategic => patch_request(
                    &api,
                    &object.name,
                    subresource,
                    &params,
                    &Patch::Strategic(&patch),
                ),
                PatchType::Json => {
                    let operations: json_patch::Patch =
                        serde_json::from_value(patch).map_err(|e| {
                            Error::BadRequest(format!(
                                "the JSON Patch is not a list of operations: {e}"
                            ))
                        })?;
                    patch_request(
                        &api,
                        &object.name,
                        subresource,
                        &params,
                        &Patch::<()>::Json(operations),
                    )
                }
            };
            (request, Answer::Json)
        }
        Operation::Create {
            object,
            manifest,
            dry_run,
        } => {
            let params = PostParams {
                dry_run,
                field_manager: Some(format!("kube-mcp-{plugin}")),
            };
            let body = serde_json::to_vec(&manifest).expect("JSON serializes");
            let api = api(&object.type_, object.namespace.as_deref());
            (api.create(&params, body), Answer::Json)
        }
        Operation::CreateSubresource {
            object,
            subresource,
            body,
            dry_run,
        } => {
            let params = PostParams {
                dry_run,
                field_manager: Some(format!("kube-mcp-{plugin}")),
            };
            let body = serde_json::to_vec(&body).expect("JSON serializes");
            let api = api(&object.type_, object.namespace.as_deref());
            (
                api.create_subresource(&subresource, &object.name, &params, body),
                Answer::Json,
            )
        }
        Operation::Exec(_) | Operation::ProxyGet(_) => {
            unreachable!("exec and proxy-get are sent by KubeCluster::send itself")
        }
    };
    let (request, answer) = built;
    let request =
        request.map_err(|e| Error::BadRequest(format!("cannot build the request: {e}")))?;
    Ok((request, answer))
}

/// `config` without kube-rs's default retries. They retry 429, 503 and
/// 504 up to 15 times with backoff up to minutes, inside one plugin call
/// that cannot be interrupted while the host waits: an eviction a
/// PodDisruptionBudget refuses (429) hung the call past its request's
/// deadline. The API's answer goes to the plugin instead, which decides
/// (`nodes_drain` retries an eviction itself, and says so).
fn bounded(mut config: kube::Config) -> kube::Config {
    config.default_retry = false;
    // A cluster that does not answer a connection is down for this call;
    // kube-rs's 30 s would outlast the request deadline.
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config
}

/// How long a connection to an API server may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A patch of `name`, or of its `subresource`.
fn patch_request<P: serde::Serialize>(
    api: &kube::core::Request,
    name: &str,
    subresource: Option<String>,
    params: &PatchParams,
    patch: &Patch<P>,
) -> Result<Request<Vec<u8>>, kube::core::request::Error> {
    match subresource {
        Some(sub) => api.patch_subresource(&sub, name, params, patch),
        None => api.patch(name, params, patch),
    }
}

/// kube-rs's request builder for the collection of `t`, in `namespace`
/// when given (`/api/v1/namespaces/demo/pods`, `/apis/apps/v1/deployments`).
fn api(t: &ResourceType, namespace: Option<&str>) -> kube::core::Request {
    let gvk = GroupVersionKind::gvk(&t.group, &t.version, "");
    let resource = kube::core::ApiResource::from_gvk_with_plural(&gvk, &t.resource);
    kube::core::Request::new(DynamicObject::url_path(&resource, namespace))
}

/// Adds `key=value` to the query of `request`.
fn add_query(request: &mut Request<Vec<u8>>, key: &str, value: &str) {
    let uri = request.uri().to_string();
    let separator = if uri.ends_with('?') || uri.ends_with('&') {
        ""
    } else if uri.contains('?') {
        "&"
    } else {
        "?"
    };
    let pair = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .finish();
    *request.uri_mut() = format!("{uri}{separator}{pair}")
        .parse()
        .expect("a valid URI with one more query pair");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::kubernetes::{
        ApplyOptions, DeleteOptions, EventSubject, ListOptions, LogOptions, ObjectRef,
    };

    fn deployment(name: &str) -> ObjectRef {
        ObjectRef {
            type_: ResourceType {
                group: "apps".into(),
                version: "v1".into(),
                resource: "deployments".into(),
            },
            namespace: Some("demo".into()),
            name: name.into(),
        }
    }

    /// Method, path and query, content type, and body of `operation`.
    fn built(operation: Operation) -> (String, String, String, Value) {
        let (request, _) = build("kube-ops", operation).unwrap();
        let content_type = request
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = if request.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(request.body()).unwrap()
        };
        let uri = request.uri().to_string();
        (
            request.method().to_string(),
            uri.trim_end_matches('?').to_owned(),
            content_type,
            body,
        )
    }

    #[test]
    fn each_operation_becomes_the_api_request_kubectl_would_send() {
        let (method, uri, _, _) = built(Operation::Get(deployment("web")));
        assert_eq!(
            (method.as_str(), uri.as_str()),
            ("GET", "/apis/apps/v1/namespaces/demo/deployments/web")
        );

        let pods = ResourceType {
            group: String::new(),
            version: "v1".into(),
            resource: "pods".into(),
        };
        let (method, uri, _, _) = built(Operation::List {
            r#type: pods.clone(),
            options: ListOptions {
                namespace: None,
                label_selector: Some("app=web".into()),
                field_selector: None,
                limit: Some(10_000),
                continue_token: None,
            },
        });
        assert_eq!(method, "GET");
        assert_eq!(
            uri, "/api/v1/pods?&labelSelector=app%3Dweb&limit=500",
            "capped at {MAX_LIST_LIMIT}"
        );

        let (_, uri, _, _) = built(Operation::PodLogs {
            namespace: "demo".into(),
            pod: "web-1".into(),
            options: LogOptions {
                container: Some("app".into()),
                tail_lines: Some(20),
                since_seconds: None,
                previous: false,
                limit_bytes: Some(4096),
            },
        });
        assert!(
            uri.starts_with("/api/v1/namespaces/demo/pods/web-1/log?"),
            "{uri}"
        );
        for pair in ["container=app", "tailLines=20", "limitBytes=4096"] {
            assert!(uri.contains(pair), "{uri} lacks {pair}");
        }

        let (_, uri, _, _) = built(Operation::Events {
            namespace: Some("demo".into()),
            about: Some(EventSubject {
                kind: "Pod".into(),
                name: "web-1".into(),
            }),
        });
        assert!(uri.starts_with("/api/v1/namespaces/demo/events?"), "{uri}");
        assert!(
            uri.contains("fieldSelector=involvedObject.kind%3DPod%2CinvolvedObject.name%3Dweb-1"),
            "{uri}"
        );

        let manifest =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        let (method, uri, content_type, body) = built(Operation::Apply {
            object: deployment("web"),
            manifest: manifest.clone(),
            options: ApplyOptions {
                dry_run: true,
                force: true,
            },
        });
        assert_eq!(method, "PATCH");
        assert_eq!(content_type, "application/apply-patch+yaml");
        assert_eq!(body, manifest);
        for pair in ["dryRun=All", "force=true", "fieldManager=kube-mcp-kube-ops"] {
            assert!(uri.contains(pair), "{uri} lacks {pair}");
        }

        let (method, uri, _, body) = built(Operation::Delete {
            object: deployment("web"),
            options: DeleteOptions {
                dry_run: true,
                propagation: Some(Propagation::Foreground),
                grace_period_seconds: Some(0),
            },
        });
        assert_eq!(
            (method.as_str(), uri.as_str()),
            ("DELETE", "/apis/apps/v1/namespaces/demo/deployments/web")
        );
        assert_eq!(
            body,
            json!({"dryRun": ["All"], "gracePeriodSeconds": 0, "propagationPolicy": "Foreground"})
        );

        let (method, uri, content_type, body) = built(Operation::Scale {
            object: deployment("web"),
            replicas: 3,
            dry_run: false,
        });
        assert_eq!(
            (method.as_str(), uri.as_str()),
            (
                "PATCH",
                "/apis/apps/v1/namespaces/demo/deployments/web/scale"
            )
        );
        assert_eq!(content_type, "application/merge-patch+json");
        assert_eq!(body, json!({"spec": {"replicas": 3}}));

        let (_, _, content_type, body) = built(Operation::RolloutRestart {
            object: deployment("web"),
            dry_run: false,
        });
        assert_eq!(content_type, "application/strategic-merge-patch+json");
        assert!(body["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_string());
    }

    #[test]
    fn a_table_page_asks_for_a_table_and_its_rows_objects() {
        let page = |namespace: Option<&str>, continue_token: Option<&str>| Operation::ListPage {
            r#type: ResourceType {
                group: String::new(),
                version: "v1".into(),
                resource: "pods".into(),
            },
            namespace: namespace.map(str::to_owned),
            label_selector: None,
            field_selector: None,
            page: PageRequest {
                continue_token: continue_token.map(str::to_owned),
                resource_version: continue_token.is_none().then(|| "42".to_owned()),
                limit: 100,
            },
            table: true,
        };
        // A cursor resumed from scratch reads the same snapshot exactly.
        let (request, answer) = build("p", page(None, None)).unwrap();
        assert_eq!(answer, Answer::Table);
        assert_eq!(request.headers()[ACCEPT], ACCEPT_TABLE);
        let uri = request.uri().to_string();
        for pair in [
            "limit=100",
            "resourceVersion=42",
            "resourceVersionMatch=Exact",
            "includeObject=Metadata",
        ] {
            assert!(uri.contains(pair), "{uri} lacks {pair}");
        }
        // The API's continue token carries its snapshot itself.
        let (request, _) = build("p", page(Some("demo"), Some("abc"))).unwrap();
        let uri = request.uri().to_string();
        assert!(
            uri.contains("continue=abc") && uri.contains("includeObject=None"),
            "{uri}"
        );
        assert!(!uri.contains("resourceVersion"), "{uri}");
    }

    #[tokio::test]
    async fn answers_are_read_up_to_their_cap_and_no_further() {
        let body = || kube::client::Body::from(vec![b'x'; 10_000]);
        let (bytes, cut) = read_capped(body(), 4096).await.unwrap();
        assert_eq!((bytes.len(), cut), (4096, true));
        let (bytes, cut) = read_capped(body(), 10_000).await.unwrap();
        assert_eq!((bytes.len(), cut), (10_000, false));
    }
}
