//! kube-http: an HTTP GET to a pod's or a service's own endpoint (its
//! health page, its metrics, its admin API) through the API server's proxy
//! subresource, as `kubectl get --raw .../proxy/...` does.
//!
//! This is what a remote assistant can do instead of `kubectl
//! port-forward`, which would open a port on the server's machine, not the
//! user's. Reads only; no default grant (`get` on `pods/proxy` or
//! `services/proxy`). The host checks the path stays inside the target,
//! caps the body and bounds the wait.

use kube_mcp_plugin::kubernetes::{self, ObjectRef, ProxyOptions, ResourceType};
use kube_mcp_plugin::types::{CallResult, Capability, PluginInfo};
use kube_mcp_plugin::{Plugin, Tools, tool};
use schemars::JsonSchema;
use serde::Deserialize;

pub const PLUGIN: &str = "kube-http";

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GetArgs {
    /// The namespace.
    namespace: String,
    /// The pod's or service's name.
    name: String,
    /// The port, by number or name (`8080`, `http`); `https:` before it
    /// speaks TLS (`https:8443`). Absent: the first port.
    port: Option<String>,
    /// The path on the endpoint, starting with `/` (`/healthz`,
    /// `/metrics`). Default `/`.
    #[serde(default = "root")]
    path: String,
    /// The query, without `?` (`verbose=1`).
    query: Option<String>,
    /// At most this many bytes of the body (default and most: the plugin's
    /// output limit).
    #[schemars(range(min = 1))]
    limit_bytes: Option<u32>,
    /// Seconds to wait for the answer (default 10; never past the plugin's
    /// call limit).
    #[schemars(range(min = 1))]
    timeout_seconds: Option<u32>,
}

fn root() -> String {
    "/".into()
}

struct KubeHttp;

impl Plugin for KubeHttp {
    fn info() -> PluginInfo {
        PluginInfo {
            name: PLUGIN.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "HTTP GETs to pods and services through the API server's proxy. \
                          No default grant."
                .into(),
            capabilities: vec![Capability {
                verbs: vec!["get".into()],
                api_groups: vec!["".into()],
                resources: vec!["pods/proxy".into(), "services/proxy".into()],
                namespaces: vec!["*".into()],
            }],
        }
    }

    fn tools() -> Tools {
        Tools::new()
            .add(
                tool::<GetArgs>(
                    "pods_proxy_get",
                    "HTTP GET of a path on a pod's port through the API server's proxy (what \
                     to use instead of port-forward): status, content type and body, capped \
                     and time-bounded.",
                )
                .read_only()
                .proxy_output(),
                |args, _| Ok(get("pods", "pod", args)),
            )
            .add(
                tool::<GetArgs>(
                    "services_proxy_get",
                    "HTTP GET of a path on a service's port through the API server's proxy, \
                     which picks one of its ready endpoints: status, content type and body, \
                     capped and time-bounded.",
                )
                .read_only()
                .proxy_output(),
                |args, _| Ok(get("services", "service", args)),
            )
    }
}

fn get(resource: &str, kind: &str, args: GetArgs) -> CallResult {
    let object = ObjectRef {
        type_: ResourceType::new("v1", resource),
        namespace: Some(args.namespace.clone()),
        name: args.name.clone(),
    };
    let target = format!(
        "{kind} {}/{}{}{}",
        args.namespace,
        args.name,
        args.port
            .as_deref()
            .map(|p| format!(" port {p}"))
            .unwrap_or_default(),
        args.path
    );
    let options = ProxyOptions {
        port: args.port,
        query: args.query,
        limit_bytes: args.limit_bytes,
        timeout_seconds: args.timeout_seconds,
    };
    match kubernetes::proxy_get(&object, &args.path, &options) {
        Ok(response) => CallResult::proxied(&target, response),
        Err(e) => CallResult::error(format!("{target}: {}", e.message())),
    }
}

kube_mcp_plugin::export_plugin!(KubeHttp);
