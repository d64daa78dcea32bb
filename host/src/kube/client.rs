//! [`KubeCluster`]: the [`Cluster`] reached with kube-rs. It builds the API
//! request (paths from group, version and resource), adds impersonation
//! headers in `impersonate` mode, reads answers with caps and shapes what
//! comes back ([`shape`](super::shape)). The gateway has already checked
//! each [`Operation`] against the plugin's grant.

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{HeaderValue, Method, Request};
use serde_json::{Value, json};

use super::cluster::{Cluster, Impersonated, Reply};
use super::discovery::Discovery;
use super::errors::api_error;
use super::operation::Operation;
use super::shape;
use crate::BoxFuture;
use crate::answer::{self, PageRequest, table::ACCEPT_TABLE, table::TableResponse};
use crate::wit::kubernetes::{
    ApiResource, ApiStatus, Error, ObjectRef, Propagation, ResourceType, ServerVersion,
};

#[derive(Debug, Clone)]
pub struct KubernetesConfig {
    pub kubeconfig: Option<PathBuf>,
    pub out_of_cluster: bool,
    pub identity: KubeIdentity,
    /// Return Secret values instead of redacting them.
    pub reveal_secrets: bool,
    /// How lists are written by default, and how big an answer may be.
    pub answers: answer::Defaults,
}

/// Whose identity the server's Kubernetes requests carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeIdentity {
    /// The server's own credentials.
    ServiceAccount,
    /// The caller's, named by their issuer's [`KubeNaming`]:
    /// `Impersonate-User` and one `Impersonate-Group` per group.
    Impersonate,
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
    client: kube::Client,
    identity: KubeIdentity,
    reveal_secrets: bool,
    answers: answer::Defaults,
    discovery: Discovery,
}

impl KubeCluster {
    /// A client for the configured cluster: `--kubeconfig`, or with
    /// `--out-of-cluster` the usual kubeconfig search, else the in-cluster
    /// service account.
    pub async fn connect(config: &KubernetesConfig) -> anyhow::Result<Arc<KubeCluster>> {
        use anyhow::Context;
        let kube_config = if let Some(path) = &config.kubeconfig {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                .await
                .with_context(|| format!("cannot use kubeconfig {}", path.display()))?
        } else if config.out_of_cluster {
            kube::Config::from_kubeconfig(&Default::default())
                .await
                .context("cannot load a kubeconfig ($KUBECONFIG or ~/.kube/config)")?
        } else {
            kube::Config::incluster().context(
                "not running in a cluster (no service account); give --kubeconfig or --out-of-cluster",
            )?
        };
        let client =
            kube::Client::try_from(kube_config).context("cannot build the Kubernetes client")?;
        Ok(Arc::new(KubeCluster {
            discovery: Discovery::new(client.clone()),
            client,
            identity: config.identity.clone(),
            reveal_secrets: config.reveal_secrets,
            answers: config.answers,
        }))
    }

    /// Adds the caller's identity in `impersonate` mode. Authentication
    /// already refused `system:` names; they are refused here again so no
    /// other path to this function can send one.
    fn identify(
        &self,
        request: &mut Request<Vec<u8>>,
        as_user: Option<&Impersonated>,
    ) -> Result<(), Error> {
        if self.identity != KubeIdentity::Impersonate {
            return Ok(());
        }
        let Some(Impersonated { user, groups }) = as_user else {
            return Err(Error::Forbidden(ApiStatus {
                code: 403,
                reason: "Forbidden".into(),
                message: "the server impersonates callers, and this request has none \
                          (authentication is off)"
                    .into(),
            }));
        };
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

    /// Sends `request` and reads at most `cap` bytes of the answer: beyond
    /// it, text (`cut_text`) is cut at a character boundary and anything
    /// else is an error. API errors keep their own code and reason.
    async fn read(
        &self,
        request: Request<Vec<u8>>,
        cap: usize,
        cut_text: bool,
    ) -> Result<String, Error> {
        let response = self
            .client
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
        as_user: Option<&Impersonated>,
        answer: Answer,
    ) -> Result<Reply, Error> {
        self.identify(&mut request, as_user)?;
        let cap = match answer {
            Answer::Text { limit } => limit.min(MAX_ANSWER_BYTES),
            _ => MAX_ANSWER_BYTES,
        };
        let text = self
            .read(request, cap, matches!(answer, Answer::Text { .. }))
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
                shape::shape(&mut value, self.reveal_secrets);
                Ok(Reply::Json(value))
            }
        }
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

/// `/api/v1` or `/apis/<group>/<version>`.
fn group_path(t: &ResourceType) -> String {
    if t.group.is_empty() {
        format!("/api/{}", t.version)
    } else {
        format!("/apis/{}/{}", t.group, t.version)
    }
}

/// The collection path of `t`, in `namespace` if given.
fn collection(t: &ResourceType, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{}/namespaces/{ns}/{}", group_path(t), t.resource),
        None => format!("{}/{}", group_path(t), t.resource),
    }
}

fn object_path(o: &ObjectRef) -> String {
    format!(
        "{}/{}",
        collection(&o.type_, o.namespace.as_deref()),
        o.name
    )
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if let Some(value) = value {
            serializer.append_pair(key, value);
        }
    }
    let q = serializer.finish();
    if q.is_empty() { q } else { format!("?{q}") }
}

fn request(
    method: Method,
    uri: String,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Request<Vec<u8>> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        builder = builder.header("Content-Type", content_type);
    }
    builder.body(body).expect("a request of valid parts")
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

fn dry_run(on: bool) -> Option<String> {
    on.then(|| "All".to_owned())
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
        as_user: Option<&'a Impersonated>,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let get = |uri: String| request(Method::GET, uri, None, Vec::new());
            match operation {
                Operation::Get(object) => {
                    self.discovery
                        .check_scope(&object.type_, object.namespace.is_some())
                        .await?;
                    self.send_request(get(object_path(&object)), as_user, Answer::Json)
                        .await
                }
                Operation::List { r#type, options } => {
                    let limit = options
                        .limit
                        .unwrap_or(MAX_LIST_LIMIT)
                        .clamp(1, MAX_LIST_LIMIT);
                    let uri = collection(&r#type, options.namespace.as_deref())
                        + &query(&[
                            ("labelSelector", options.label_selector),
                            ("fieldSelector", options.field_selector),
                            ("limit", Some(limit.to_string())),
                            ("continue", options.continue_token),
                        ]);
                    self.send_request(get(uri), as_user, Answer::Json).await
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
                    let exact = resource_version.as_ref().map(|_| "Exact".to_owned());
                    // Rows carry their object's namespace only when asked
                    // to; within one namespace they need nothing.
                    let include_object = match (table, namespace.is_some()) {
                        (false, _) => None,
                        (true, true) => Some("None".to_owned()),
                        (true, false) => Some("Metadata".to_owned()),
                    };
                    let uri = collection(&r#type, namespace.as_deref())
                        + &query(&[
                            ("labelSelector", label_selector),
                            ("fieldSelector", field_selector),
                            ("limit", Some(limit.clamp(1, MAX_LIST_LIMIT).to_string())),
                            ("continue", continue_token),
                            ("resourceVersion", resource_version),
                            ("resourceVersionMatch", exact),
                            ("includeObject", include_object),
                        ]);
                    let mut request = get(uri);
                    let accept = if table {
                        ACCEPT_TABLE
                    } else {
                        "application/json"
                    };
                    request
                        .headers_mut()
                        .insert("Accept", HeaderValue::from_static(accept));
                    let answer = if table { Answer::Table } else { Answer::Json };
                    self.send_request(request, as_user, answer).await
                }
                Operation::PodLogs {
                    namespace,
                    pod,
                    options,
                } => {
                    let uri = format!("/api/v1/namespaces/{namespace}/pods/{pod}/log")
                        + &query(&[
                            ("container", options.container),
                            ("tailLines", options.tail_lines.map(|n| n.to_string())),
                            ("sinceSeconds", options.since_seconds.map(|n| n.to_string())),
                            ("previous", options.previous.then(|| "true".to_owned())),
                            ("limitBytes", options.limit_bytes.map(|n| n.to_string())),
                        ]);
                    let limit = options.limit_bytes.map_or(MAX_ANSWER_BYTES, |l| l as usize);
                    self.send_request(get(uri), as_user, Answer::Text { limit })
                        .await
                }
                Operation::Events { namespace, about } => {
                    let selector = about.map(|a| {
                        format!(
                            "involvedObject.kind={},involvedObject.name={}",
                            a.kind, a.name
                        )
                    });
                    let events = ResourceType {
                        group: String::new(),
                        version: "v1".into(),
                        resource: "events".into(),
                    };
                    let uri = collection(&events, namespace.as_deref())
                        + &query(&[
                            ("fieldSelector", selector),
                            ("limit", Some(MAX_LIST_LIMIT.to_string())),
                        ]);
                    self.send_request(get(uri), as_user, Answer::Json).await
                }
                Operation::Apply {
                    object,
                    manifest,
                    options,
                } => {
                    let uri = object_path(&object)
                        + &query(&[
                            ("fieldManager", Some(format!("kube-mcp-{plugin}"))),
                            ("force", options.force.then(|| "true".to_owned())),
                            ("dryRun", dry_run(options.dry_run)),
                        ]);
                    let body = serde_json::to_vec(&manifest).expect("JSON");
                    self.send_request(
                        request(
                            Method::PATCH,
                            uri,
                            Some("application/apply-patch+yaml"),
                            body,
                        ),
                        as_user,
                        Answer::Json,
                    )
                    .await
                }
                Operation::Delete { object, options } => {
                    let propagation = options.propagation.map(|p| match p {
                        Propagation::Background => "Background",
                        Propagation::Foreground => "Foreground",
                        Propagation::Orphan => "Orphan",
                    });
                    let mut body = json!({"kind": "DeleteOptions", "apiVersion": "v1"});
                    if let Some(p) = propagation {
                        body["propagationPolicy"] = p.into();
                    }
                    if let Some(g) = options.grace_period_seconds {
                        body["gracePeriodSeconds"] = g.into();
                    }
                    if options.dry_run {
                        body["dryRun"] = json!(["All"]);
                    }
                    let body = serde_json::to_vec(&body).expect("JSON");
                    self.send_request(
                        request(
                            Method::DELETE,
                            object_path(&object),
                            Some("application/json"),
                            body,
                        ),
                        as_user,
                        Answer::Json,
                    )
                    .await
                }
                Operation::Scale {
                    object,
                    replicas,
                    dry_run: dry,
                } => {
                    let uri = format!("{}/scale", object_path(&object))
                        + &query(&[("dryRun", dry_run(dry))]);
                    let body =
                        serde_json::to_vec(&json!({"spec": {"replicas": replicas}})).expect("JSON");
                    self.send_request(
                        request(
                            Method::PATCH,
                            uri,
                            Some("application/merge-patch+json"),
                            body,
                        ),
                        as_user,
                        Answer::Json,
                    )
                    .await
                }
                Operation::RolloutRestart {
                    object,
                    dry_run: dry,
                } => {
                    let uri = object_path(&object) + &query(&[("dryRun", dry_run(dry))]);
                    let now =
                        humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
                    let body = serde_json::to_vec(&json!({"spec": {"template": {"metadata": {
                        "annotations": {"kubectl.kubernetes.io/restartedAt": now}
                    }}}}))
                    .expect("JSON");
                    self.send_request(
                        request(
                            Method::PATCH,
                            uri,
                            Some("application/strategic-merge-patch+json"),
                            body,
                        ),
                        as_user,
                        Answer::Json,
                    )
                    .await
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_are_read_up_to_their_cap_and_no_further() {
        let body = || kube::client::Body::from(vec![b'x'; 10_000]);
        let (bytes, cut) = read_capped(body(), 4096).await.unwrap();
        assert_eq!((bytes.len(), cut), (4096, true));
        let (bytes, cut) = read_capped(body(), 10_000).await.unwrap();
        assert_eq!((bytes.len(), cut), (10_000, false));
    }
}
