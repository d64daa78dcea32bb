//! kube-core: read-only Kubernetes tools.
//!
//! The 22 tools of the Go kube-mcp, with the same names and arguments (list
//! tools also take selectors and pagination), plus generic `resources_list`
//! and `resources_get` for any type including custom resources (argument
//! names as in containers/kubernetes-mcp-server), `pods_log`, `events_list`
//! and `api_resources_list`. List tools answer with the API server's own
//! table (or YAML, or JSON: `output`) within the server's answer budget,
//! with the rows as structured content and a continue token for the rest;
//! get tools with the object as YAML (or JSON). Failures are tool errors
//! naming the API's reason, or the grant that refused the call.

mod contexts;
mod describe;
mod quantity;
mod top;
mod view;

/// The resources view: list tools render their rows with it.
const VIEW: &str = view::URI;

use kube_mcp_plugin::kubernetes::{
    self, Error, ListOptions, LogOptions, ObjectRef, PageOptions, ResourceType,
};
use kube_mcp_plugin::types::{CallResult, Capability, PluginInfo};
use kube_mcp_plugin::{GetOutput, ListOutput, NoArgs, Plugin, Tools, tool};
use schemars::JsonSchema;
use serde::Deserialize;

/// Selectors, paging and form of a list.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
struct Paging {
    /// Only objects with these labels, e.g. `app=web,tier!=cache`.
    label_selector: Option<String>,
    /// Only objects with these field values, e.g. `status.phase=Running`.
    field_selector: Option<String>,
    /// At most this many objects in this answer. An answer also stops
    /// where the server's size budget is reached; either way its last line
    /// gives the `continue` token for the next page.
    limit: Option<u32>,
    /// The continue token the previous page ended with.
    #[serde(rename = "continue")]
    continue_token: Option<String>,
    /// `table` (the columns `kubectl get` shows; the default unless the
    /// server sets another), `yaml` or `json` (whole objects: far bigger).
    output: Option<ListOutput>,
    /// Tables only: also the columns `kubectl get -o wide` adds (IP, node...).
    #[serde(default)]
    wide: bool,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ClusterListArgs {
    #[serde(flatten)]
    paging: Paging,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct NamespacedListArgs {
    /// The namespace; omit or leave empty for every namespace.
    namespace: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ClusterGetArgs {
    /// The object's name.
    name: String,
    /// `yaml` (the default) or `json`.
    output: Option<GetOutput>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NamespacedGetArgs {
    /// The object's name.
    name: String,
    /// Its namespace.
    namespace: String,
    /// `yaml` (the default) or `json`.
    output: Option<GetOutput>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ResourcesListArgs {
    /// API version of the kind: `v1`, `apps/v1`, `example.kube-mcp.io/v1`.
    api_version: String,
    /// The kind, e.g. `Pod`, `Deployment`, `Widget`.
    kind: String,
    /// The namespace, for namespaced kinds; omit for every namespace.
    namespace: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResourcesGetArgs {
    /// API version of the kind: `v1`, `apps/v1`, `example.kube-mcp.io/v1`.
    api_version: String,
    /// The kind, e.g. `Pod`, `Deployment`, `Widget`.
    kind: String,
    /// The namespace, for namespaced kinds.
    namespace: Option<String>,
    /// The object's name.
    name: String,
    /// `yaml` (the default) or `json`.
    output: Option<GetOutput>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResourcesDescribeArgs {
    /// API version of the kind: `v1`, `apps/v1`, `example.kube-mcp.io/v1`.
    api_version: String,
    /// The kind, e.g. `Pod`, `Node`, `Deployment`, `Widget`.
    kind: String,
    /// The namespace, for namespaced kinds.
    namespace: Option<String>,
    /// The object's name.
    name: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApiResourcesListArgs {
    /// Only this API group: `apps`, `example.kube-mcp.io`, `""` for the
    /// core group.
    api_group: Option<String>,
    /// `table` (the default) or `json` (the rows as a JSON array).
    output: Option<ListOutput>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PodsLogArgs {
    /// The pod's namespace.
    namespace: String,
    /// The pod's name.
    name: String,
    /// The container; needed when the pod has more than one.
    container: Option<String>,
    /// The previous, terminated container's log.
    #[serde(default)]
    previous: bool,
    /// Only the last N lines.
    tail: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
struct EventsListArgs {
    /// The namespace; omit for every namespace.
    namespace: Option<String>,
    /// Only events about objects of this kind (with `name`), e.g. `Pod`.
    kind: Option<String>,
    /// Only events about the object of this name (with `kind`).
    name: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// The most log bytes `pods_log` returns; it says so when it cut there.
const LOG_LIMIT: u32 = 512 * 1024;

/// A seed tool over one built-in type.
struct Builtin {
    list: &'static str,
    get: &'static str,
    api_version: &'static str,
    resource: &'static str,
    /// Its kind, as `resources_describe` takes it.
    kind: &'static str,
    what: &'static str,
    namespaced: bool,
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        list: "list_nodes",
        get: "get_node",
        api_version: "v1",
        resource: "nodes",
        kind: "Node",
        what: "nodes (machines) of the cluster, with capacity, conditions and addresses",
        namespaced: false,
    },
    Builtin {
        list: "list_namespaces",
        get: "get_namespace",
        api_version: "v1",
        resource: "namespaces",
        kind: "Namespace",
        what: "namespaces",
        namespaced: false,
    },
    Builtin {
        list: "list_persistent_volumes",
        get: "get_persistent_volume",
        api_version: "v1",
        resource: "persistentvolumes",
        kind: "PersistentVolume",
        what: "persistent volumes (cluster-wide storage), with capacity and claim",
        namespaced: false,
    },
    Builtin {
        list: "list_pods",
        get: "get_pod",
        api_version: "v1",
        resource: "pods",
        kind: "Pod",
        what: "pods, with their containers, node, phase and conditions",
        namespaced: true,
    },
    Builtin {
        list: "list_services",
        get: "get_service",
        api_version: "v1",
        resource: "services",
        kind: "Service",
        what: "services, with type, cluster IP, ports and selector",
        namespaced: true,
    },
    Builtin {
        list: "list_deployments",
        get: "get_deployment",
        api_version: "apps/v1",
        resource: "deployments",
        kind: "Deployment",
        what: "deployments, with replicas wanted and available and the pod template",
        namespaced: true,
    },
    Builtin {
        list: "list_ingresses",
        get: "get_ingress",
        api_version: "networking.k8s.io/v1",
        resource: "ingresses",
        kind: "Ingress",
        what: "ingresses, with hosts, paths, backends and TLS",
        namespaced: true,
    },
    Builtin {
        list: "list_persistent_volume_claims",
        get: "get_persistent_volume_claim",
        api_version: "v1",
        resource: "persistentvolumeclaims",
        kind: "PersistentVolumeClaim",
        what: "persistent volume claims, with requested size and bound volume",
        namespaced: true,
    },
    Builtin {
        list: "list_config_maps",
        get: "get_config_map",
        api_version: "v1",
        resource: "configmaps",
        kind: "ConfigMap",
        what: "config maps, with their data",
        namespaced: true,
    },
    Builtin {
        list: "list_secrets",
        get: "get_secret",
        api_version: "v1",
        resource: "secrets",
        kind: "Secret",
        what: "secrets (values redacted unless the operator chose otherwise)",
        namespaced: true,
    },
];

struct KubeCore;

impl Plugin for KubeCore {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "kube-core".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Read-only Kubernetes tools: list and get any resource, logs, events, discovery."
                    .into(),
            capabilities: vec![Capability {
                verbs: vec!["get".into(), "list".into()],
                api_groups: vec!["*".into()],
                resources: vec!["*".into()],
                namespaces: vec!["*".into()],
            }],
        }
    }

    fn views() -> Vec<kube_mcp_plugin::app_provider::View> {
        vec![view::resources()]
    }

    fn tools() -> Tools {
        let mut tools = Tools::new().add(
            tool::<NoArgs>(
                "get_server_version",
                "The Kubernetes version of the cluster's API server (gitVersion, platform).",
            )
            .read_only(),
            |_, _| Ok(server_version()),
        );
        for b in BUILTINS {
            tools = builtin(tools, b);
        }
        tools
            .add(tool::<NamespacedListArgs>("list_events", "List events (what happened to objects: scheduling, pulls, failures) in a namespace or in every namespace, as a table; supports selectors and continue tokens.").read_only().list_output().view(VIEW), |args, _| {
                Ok(list(
                    ResourceType::new("v1", "events"),
                    args.namespace.filter(|n| !n.is_empty()),
                    args.paging,
                ))
            })
            .add(tool::<ResourcesListArgs>("resources_list", "List objects of any kind, including custom resources, by apiVersion and kind (use api_resources_list to find them), as the API server's table (a custom resource's printer columns) or as YAML/JSON. Supports namespace, label and field selectors; a long list ends with a continue token for the next page.").read_only().list_output().view(VIEW), |args, _| {
                Ok(match resolve(&args.api_version, &args.kind) {
                    Ok(t) => list(t, args.namespace.filter(|n| !n.is_empty()), args.paging),
                    Err(result) => result,
                })
            })
            .add(tool::<ResourcesGetArgs>("resources_get", "Get one object of any kind, including custom resources, by apiVersion, kind, name and (for namespaced kinds) namespace, as YAML (or JSON).").read_only(), |args, _| {
                Ok(match resolve(&args.api_version, &args.kind) {
                    Ok(t) => get(
                        ObjectRef {
                            type_: t,
                            namespace: args.namespace.filter(|n| !n.is_empty()),
                            name: args.name,
                        },
                        args.output,
                    ),
                    Err(result) => result,
                })
            })
            .add(tool::<ResourcesDescribeArgs>("resources_describe", "Describe one object of any kind, as `kubectl describe` does, in compact text: identity, labels, owner chain, spec highlights, status and conditions with reasons and ages, what it owns (a Deployment's ReplicaSets and pods), and its recent events deduplicated with counts. Pods: each container's state, last termination (reason, exit code), restarts, probes, resources, node and volumes. Nodes: conditions, capacity, taints and the pods on it with their requests. Start here to find out what is wrong with something.").read_only().app_visible(), |args, _| {
                Ok(match describe::describe(&args.api_version, &args.kind, args.namespace, args.name) {
                    Ok(text) => CallResult::text(text),
                    Err(message) => CallResult::error(message),
                })
            })
            .add(tool::<top::PodsTopArgs>("pods_top", "What pods use right now (CPU cores and memory working set), from the Metrics API, as kubectl top pod shows it: the heaviest first (sortBy cpu or memory), in a namespace or every namespace, optionally per container or by label selector; the rows as structured content. Says so in one line when the cluster has no Metrics API.").read_only().list_output(), |args, _| Ok(top::pods_top(args)))
            .add(tool::<top::NodesTopArgs>("nodes_top", "What nodes use right now (CPU and memory, and their share of what the node can allocate), from the Metrics API, as kubectl top node shows it: the busiest first (sortBy cpu or memory); the rows as structured content. Says so in one line when the cluster has no Metrics API.").read_only().list_output(), |args, _| Ok(top::nodes_top(args)))
            .add(tool::<PodsLogArgs>("pods_log", "Read a pod container's log: the last `tail` lines, or the previous container's log after a restart. At most 512 KiB: use `tail` for the end of a long log.").read_only().app_visible(), |args, _| Ok(pods_log(args)))
            .add(tool::<EventsListArgs>("events_list", "List events as a table, optionally only those about one object (kind and name): use it to see why a pod is not running.").read_only().list_output().view(VIEW), |args, _| Ok(events_list(args)))
            .add(tool::<contexts::ContextsListArgs>("configuration_contexts_list", "List the clusters (kubeconfig contexts) this server serves that you may use: name, API server URL, which is the default, whose identity requests carry, and whether each answers now (its version). Tools take one of these names as `context`; no credentials are shown.").read_only().list_output(), |args, _| Ok(contexts::contexts_list(args)))
            .add(tool::<contexts::ViewArgs>("configuration_view", "Show the clusters you may use as a kubeconfig (clusters, contexts, current-context) without users or any credential; minified (the default) shows only the cluster this call is aimed at.").read_only(), |args, _| Ok(contexts::view(args)))
            .add(tool::<NoArgs>("resources_view_kinds", "For the resources view only: the built-in kinds the view can open, by list tool (apiVersion, kind, namespaced).").read_only().app_only().output::<view::Kinds>(), |_, _| Ok(view::kinds(BUILTINS)))
            .add(tool::<ApiResourcesListArgs>("api_resources_list", "List every resource type the cluster offers, including custom resources, as a table (name, short names, apiVersion, namespaced, kind, verbs) with the rows as structured content; `apiGroup` keeps one group.").read_only().list_output(), |args, _| Ok(api_resources_list(args)))
    }
}

/// The list and get tools of built-in kind `b`.
fn builtin(tools: Tools, b: &'static Builtin) -> Tools {
    let type_ = || ResourceType::new(b.api_version, b.resource);
    let object = move |name, namespace| ObjectRef {
        type_: type_(),
        namespace,
        name,
    };
    if b.namespaced {
        let list_desc = format!(
            "List {} in a namespace, or in every namespace when none is given, as a table (output: yaml or json for whole objects). Supports label and field selectors; a long list ends with a continue token for the next page.",
            b.what
        );
        let get_desc = format!(
            "Get one of the {} by name and namespace, as YAML (or JSON).",
            b.what
        );
        tools
            .add(
                tool::<NamespacedListArgs>(b.list, &list_desc)
                    .read_only()
                    .list_output()
                    .view(VIEW),
                move |args, _| {
                    Ok(list(
                        type_(),
                        args.namespace.filter(|n| !n.is_empty()),
                        args.paging,
                    ))
                },
            )
            .add(
                tool::<NamespacedGetArgs>(b.get, &get_desc).read_only(),
                move |args, _| Ok(get(object(args.name, Some(args.namespace)), args.output)),
            )
    } else {
        let list_desc = format!(
            "List the {}, as a table (output: yaml or json for whole objects). Supports label and field selectors; a long list ends with a continue token for the next page.",
            b.what
        );
        let get_desc = format!("Get one of the {} by name, as YAML (or JSON).", b.what);
        tools
            .add(
                tool::<ClusterListArgs>(b.list, &list_desc)
                    .read_only()
                    .list_output()
                    .view(VIEW),
                move |args, _| Ok(list(type_(), None, args.paging)),
            )
            .add(
                tool::<ClusterGetArgs>(b.get, &get_desc).read_only(),
                move |args, _| Ok(get(object(args.name, None), args.output)),
            )
    }
}

fn server_version() -> CallResult {
    answer(kubernetes::version().map(|v| {
        serde_json::json!({
            "major": v.major, "minor": v.minor, "gitVersion": v.git_version, "platform": v.platform,
        })
        .to_string()
    }))
}

fn pods_log(args: PodsLogArgs) -> CallResult {
    answer(
        kubernetes::pod_logs(
            &args.namespace,
            &args.name,
            &LogOptions {
                container: args.container,
                tail_lines: args.tail,
                since_seconds: None,
                previous: args.previous,
                limit_bytes: Some(LOG_LIMIT),
            },
        )
        .map(|log| {
            if log.len() < LOG_LIMIT as usize {
                return log;
            }
            format!(
                "{log}\n(the log was cut after its first {} KiB: pass tail to read its last lines)",
                LOG_LIMIT / 1024
            )
        }),
    )
}

fn events_list(mut args: EventsListArgs) -> CallResult {
    let about = match (&args.kind, &args.name) {
        (Some(kind), Some(name)) => Some(format!(
            "involvedObject.kind={kind},involvedObject.name={name}"
        )),
        (None, None) => None,
        _ => return CallResult::error("give both kind and name, or neither"),
    };
    args.paging.field_selector = match (about, args.paging.field_selector.take()) {
        (Some(a), Some(f)) => Some(format!("{a},{f}")),
        (a, f) => a.or(f),
    };
    list(
        ResourceType::new("v1", "events"),
        args.namespace.filter(|n| !n.is_empty()),
        args.paging,
    )
}

/// The API server's resource types as `kubectl api-resources -o wide`
/// shows them: an aligned table for the model, the same rows as
/// structured content (or the rows as JSON: `output: json`).
fn api_resources_list(args: ApiResourcesListArgs) -> CallResult {
    let resources = match kubernetes::api_resources() {
        Ok(resources) => resources,
        Err(e) => return CallResult::error(e.message()),
    };
    let group = args.api_group.as_deref();
    let rows: Vec<serde_json::Value> = resources
        .iter()
        .filter(|r| !r.type_.resource.contains('/'))
        .filter(|r| group.is_none_or(|g| r.type_.group == g))
        .map(|r| {
            serde_json::json!({
                "Name": r.type_.resource,
                "Short Names": r.short_names.join(","),
                "API Version": r.type_.api_version(),
                "Namespaced": r.namespaced,
                "Kind": r.kind,
                "Verbs": r.verbs.join(","),
            })
        })
        .collect();
    if args.output == Some(ListOutput::Json) {
        return CallResult::json(&rows);
    }
    const COLUMNS: [&str; 6] = [
        "Name",
        "Short Names",
        "API Version",
        "Namespaced",
        "Kind",
        "Verbs",
    ];
    let cell = |row: &serde_json::Value, c: &str| match &row[c] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut table = describe::Doc::default();
    let header: Vec<String> = COLUMNS
        .iter()
        .map(|c| c.to_uppercase().replace(' ', ""))
        .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| COLUMNS.iter().map(|c| cell(row, c)).collect())
        .collect();
    table.table_at(
        0,
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        &cells,
    );
    let types = |c: &str| {
        if c == "Namespaced" {
            "boolean"
        } else {
            "string"
        }
    };
    let structured = serde_json::json!({
        "columns": COLUMNS.iter().map(|c| serde_json::json!({"name": c, "type": types(c)})).collect::<Vec<_>>(),
        "rows": rows,
    });
    CallResult {
        content: vec![kube_mcp_plugin::types::Content::text(table.text())],
        structured_content: Some(structured.to_string()),
        is_error: false,
    }
}

/// The resource type of `kind` in `api_version`, through discovery.
fn resolve(api_version: &str, kind: &str) -> Result<ResourceType, CallResult> {
    ResourceType::of_kind(api_version, kind).map_err(CallResult::error)
}

fn list(t: ResourceType, namespace: Option<String>, paging: Paging) -> CallResult {
    let page = kubernetes::list_page(
        &t,
        &ListOptions {
            namespace,
            label_selector: paging.label_selector.filter(|s| !s.is_empty()),
            field_selector: paging.field_selector.filter(|s| !s.is_empty()),
            limit: paging.limit,
            continue_token: paging.continue_token.filter(|s| !s.is_empty()),
        },
        PageOptions {
            format: paging.output.map(Into::into),
            wide: paging.wide,
            budget: None,
        },
    );
    match page {
        Ok(page) => CallResult::page(page),
        Err(e) => CallResult::error(e.message()),
    }
}

fn get(object: ObjectRef, output: Option<GetOutput>) -> CallResult {
    answer(kubernetes::get_as(
        &object,
        output.unwrap_or_default().into(),
    ))
}

fn answer(result: Result<String, Error>) -> CallResult {
    match result {
        Ok(text) => CallResult::text(text),
        Err(e) => CallResult::error(e.message()),
    }
}

kube_mcp_plugin::export_plugin!(KubeCore);
