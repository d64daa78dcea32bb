//! [`Operation`]: one Kubernetes request a plugin made, validated (every
//! path segment) and resolved, and the grant request it needs.

use super::exec::ExecRequest;
use super::grants::{Request, Verb, selector_terms};
use super::proxy::ProxyRequest;
use super::segments::{check_name, check_object, check_subresource, check_type};
use crate::answer::PageRequest;
use crate::wit::kubernetes::{
    ApiResource, ApplyOptions, DeleteOptions, Error, EventSubject, ListOptions, LogOptions,
    ObjectRef, PatchType, ResourceType,
};

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
    /// `patch` (parsed JSON) on the object, or on its `subresource`.
    Patch {
        object: ObjectRef,
        r#type: PatchType,
        patch: serde_json::Value,
        subresource: Option<String>,
        dry_run: bool,
    },
    /// `manifest` (already parsed) created as `object`.
    Create {
        object: ObjectRef,
        manifest: serde_json::Value,
        dry_run: bool,
    },
    /// `body` created as `subresource` of `object` (`pods/eviction`).
    CreateSubresource {
        object: ObjectRef,
        subresource: String,
        body: serde_json::Value,
        dry_run: bool,
    },
    /// A command run in a pod's container (`pods/exec`).
    Exec(ExecRequest),
    /// A GET through a pod's, service's or node's `proxy` subresource.
    ProxyGet(ProxyRequest),
}

impl Operation {
    /// Whether the operation changes the cluster when it succeeds (a dry
    /// run does not).
    pub fn changes_cluster(&self) -> bool {
        match self {
            Operation::Get(_)
            | Operation::List { .. }
            | Operation::ListPage { .. }
            | Operation::PodLogs { .. }
            | Operation::Events { .. }
            | Operation::ProxyGet(_) => false,
            // A command can change anything; the host cannot tell.
            Operation::Exec(_) => true,
            Operation::Apply { options, .. } => !options.dry_run,
            Operation::Delete { options, .. } => !options.dry_run,
            Operation::Scale { dry_run, .. }
            | Operation::RolloutRestart { dry_run, .. }
            | Operation::Patch { dry_run, .. }
            | Operation::Create { dry_run, .. }
            | Operation::CreateSubresource { dry_run, .. } => !dry_run,
        }
    }

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
            | Operation::RolloutRestart { object: o, .. }
            | Operation::Create { object: o, .. } => check_object(o),
            Operation::Patch {
                object: o,
                subresource,
                ..
            } => {
                check_object(o)?;
                match subresource {
                    Some(sub) => check_subresource(sub),
                    None => Ok(()),
                }
            }
            Operation::CreateSubresource {
                object: o,
                subresource,
                ..
            } => {
                check_object(o)?;
                check_subresource(subresource)
            }
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
            Operation::Exec(exec) => exec.check(),
            Operation::ProxyGet(proxy) => proxy.check(),
        }
    }

    /// The request the grant must cover: verb × group × resource × namespace.
    pub fn access(&self) -> Request {
        Request {
            name: self.object_name(),
            labels: self.labels(),
            ..self.kind_of_access()
        }
    }

    /// The object the operation names, for grants narrowed to names.
    fn object_name(&self) -> Option<String> {
        match self {
            Operation::Get(o)
            | Operation::Apply { object: o, .. }
            | Operation::Delete { object: o, .. }
            | Operation::Scale { object: o, .. }
            | Operation::RolloutRestart { object: o, .. }
            | Operation::Patch { object: o, .. }
            | Operation::Create { object: o, .. }
            | Operation::CreateSubresource { object: o, .. }
            | Operation::ProxyGet(ProxyRequest { object: o, .. }) => Some(o.name.clone()),
            Operation::PodLogs { pod, .. } => Some(pod.clone()),
            Operation::Exec(exec) => Some(exec.pod.clone()),
            Operation::List { .. } | Operation::ListPage { .. } | Operation::Events { .. } => None,
        }
    }

    /// The labels the operation stays within, for grants narrowed to
    /// labels: a list selector's equality terms, a manifest's labels.
    fn labels(&self) -> Vec<(String, String)> {
        let manifest_labels = |manifest: &serde_json::Value| {
            manifest
                .pointer("/metadata/labels")
                .and_then(|l| l.as_object())
                .map(|labels| {
                    labels
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default()
        };
        match self {
            Operation::List { options, .. } => options
                .label_selector
                .as_deref()
                .map(selector_terms)
                .unwrap_or_default(),
            Operation::ListPage { label_selector, .. } => label_selector
                .as_deref()
                .map(selector_terms)
                .unwrap_or_default(),
            Operation::Apply { manifest, .. } | Operation::Create { manifest, .. } => {
                manifest_labels(manifest)
            }
            _ => Vec::new(),
        }
    }

    /// Verb × group × resource × namespace.
    fn kind_of_access(&self) -> Request {
        let on = |verb: Verb, t: &ResourceType, resource: String, namespace: &Option<String>| {
            Request::new(verb, &t.group, &resource, namespace.clone())
        };
        let core = |verb: Verb, resource: &str, namespace: Option<String>| {
            Request::new(verb, "", resource, namespace)
        };
        match self {
            Operation::Get(o) => on(Verb::Get, &o.type_, o.type_.resource.clone(), &o.namespace),
            Operation::List { r#type, options } => on(
                Verb::List,
                r#type,
                r#type.resource.clone(),
                &options.namespace,
            ),
            Operation::ListPage {
                r#type, namespace, ..
            } => on(Verb::List, r#type, r#type.resource.clone(), namespace),
            Operation::PodLogs { namespace, .. } => {
                core(Verb::Get, "pods/log", Some(namespace.clone()))
            }
            Operation::Events { namespace, .. } => core(Verb::List, "events", namespace.clone()),
            Operation::Apply { object: o, .. } | Operation::RolloutRestart { object: o, .. } => on(
                Verb::Patch,
                &o.type_,
                o.type_.resource.clone(),
                &o.namespace,
            ),
            Operation::Delete { object: o, .. } => on(
                Verb::Delete,
                &o.type_,
                o.type_.resource.clone(),
                &o.namespace,
            ),
            Operation::Scale { object: o, .. } => on(
                Verb::Patch,
                &o.type_,
                format!("{}/scale", o.type_.resource),
                &o.namespace,
            ),
            Operation::Patch {
                object: o,
                subresource,
                ..
            } => on(
                Verb::Patch,
                &o.type_,
                match subresource {
                    Some(sub) => format!("{}/{sub}", o.type_.resource),
                    None => o.type_.resource.clone(),
                },
                &o.namespace,
            ),
            Operation::Create { object: o, .. } => on(
                Verb::Create,
                &o.type_,
                o.type_.resource.clone(),
                &o.namespace,
            ),
            Operation::CreateSubresource {
                object: o,
                subresource,
                ..
            } => on(
                Verb::Create,
                &o.type_,
                format!("{}/{subresource}", o.type_.resource),
                &o.namespace,
            ),
            Operation::Exec(exec) => core(Verb::Create, "pods/exec", Some(exec.namespace.clone())),
            Operation::ProxyGet(ProxyRequest { object: o, .. }) => on(
                Verb::Get,
                &o.type_,
                format!("{}/proxy", o.type_.resource),
                &o.namespace,
            ),
        }
    }
}

/// Reads the target of a manifest to apply: its `apiVersion`, `kind`,
/// `metadata.name` and `metadata.namespace`, resolved through discovery.
pub(super) fn manifest_target(
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
pub(super) const RESTARTABLE: &[&str] = &["deployments", "statefulsets", "daemonsets"];
