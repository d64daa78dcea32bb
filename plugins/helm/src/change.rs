//! `helm_rollback` and `helm_uninstall`: changes made the way Helm makes
//! them, so the Helm CLI reads the result as its own. A rollback applies
//! the target revision's manifest, removes what only the current revision
//! had, writes a new revision (`Rollback to N`) and marks the current one
//! superseded. An uninstall deletes the release's objects except those
//! annotated `helm.sh/resource-policy: keep`, then its records, or keeps
//! them marked uninstalled. Hooks are not run (the plugin renders no
//! templates); the answer says so when the release has any.

use kube_mcp_plugin::kubernetes::{
    self, ApiResource, ApplyOptions, DeleteOptions, ObjectRef, PatchOptions, PatchType,
    ResourceType,
};
use kube_mcp_plugin::types::CallResult;
use kube_mcp_plugin::{confirm, find_resource};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::record::{self, Record};
use crate::{PLUGIN, revisions};

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollbackArgs {
    /// The release's name.
    name: String,
    /// The release's namespace.
    namespace: String,
    /// The revision to go back to; absent: the one before the current.
    #[schemars(range(min = 1))]
    to_revision: Option<i64>,
    /// Show what would change, without changing it.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UninstallArgs {
    /// The release's name.
    name: String,
    /// The release's namespace.
    namespace: String,
    /// Keep the release's records, marked uninstalled (helm uninstall
    /// --keep-history): helm_history still shows it and it can be rolled
    /// back.
    #[serde(default)]
    keep_history: bool,
    /// Show what would be deleted, without deleting it.
    #[serde(default)]
    dry_run: bool,
}

/// One object of a manifest, where it goes.
struct Object {
    target: ObjectRef,
    body: Value,
    keep: bool,
}

/// The objects of `manifest`, resolved through discovery; a namespaced one
/// without a namespace goes to the release's.
fn objects(
    manifest: &str,
    namespace: &str,
    resources: &[ApiResource],
) -> Result<Vec<Object>, String> {
    let mut found = Vec::new();
    for document in manifest.split("\n---") {
        let body: Value = match serde_yaml_ng::from_str(document.trim_start_matches("---")) {
            Ok(Value::Object(map)) => Value::Object(map),
            Ok(_) => continue,
            Err(e) => return Err(format!("the manifest has a document that is not YAML: {e}")),
        };
        let api_version = body["apiVersion"].as_str().unwrap_or("");
        let kind = body["kind"].as_str().unwrap_or("");
        let name = body["metadata"]["name"].as_str().unwrap_or("").to_owned();
        let resource = find_resource(resources, api_version, kind)
            .ok_or_else(|| format!("the cluster has no kind {kind} in {api_version}"))?;
        let object_namespace = resource.namespaced.then(|| {
            body["metadata"]["namespace"]
                .as_str()
                .unwrap_or(namespace)
                .to_owned()
        });
        let keep = body
            .pointer("/metadata/annotations/helm.sh~1resource-policy")
            .and_then(Value::as_str)
            == Some("keep");
        let mut body = body;
        if let Some(ns) = &object_namespace {
            body["metadata"]["namespace"] = json!(ns);
        }
        found.push(Object {
            target: ObjectRef {
                type_: resource.type_.clone(),
                namespace: object_namespace,
                name,
            },
            body,
            keep,
        });
    }
    Ok(found)
}

fn label(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.type_.resource, o.name),
        None => format!("{} {}", o.type_.resource, o.name),
    }
}

fn same(a: &ObjectRef, b: &ObjectRef) -> bool {
    a.type_.group == b.type_.group
        && a.type_.resource == b.type_.resource
        && a.namespace == b.namespace
        && a.name == b.name
}

/// Rewrites the record of `release` (its status changed) in place.
fn rewrite(release: &Value, modified_at: u64) -> Result<(), String> {
    let driver = crate::driver()?;
    let object = record::object(release, modified_at, driver);
    let patch =
        json!({"metadata": {"labels": object["metadata"]["labels"]}, "data": object["data"]});
    let target = ObjectRef {
        type_: ResourceType::new("v1", driver.resource()),
        namespace: release["namespace"].as_str().map(Into::into),
        name: object["metadata"]["name"].as_str().unwrap_or("").into(),
    };
    kubernetes::patch(
        &target,
        PatchType::Merge,
        &patch.to_string(),
        &PatchOptions::default(),
    )
    .map(drop)
    .map_err(|e| format!("cannot update the record {}: {}", target.name, e.message()))
}

pub fn rollback(args: RollbackArgs) -> CallResult {
    let all = match revisions(&args.name, &args.namespace) {
        Ok(all) => all,
        Err(e) => return e,
    };
    let current = all.last().expect("not empty").clone();
    let wanted = args.to_revision.unwrap_or(current.revision() - 1);
    let Some(target) = all.iter().find(|r| r.revision() == wanted).cloned() else {
        let have: Vec<String> = all.iter().map(|r| r.revision().to_string()).collect();
        return CallResult::error(format!(
            "release {}/{} has no revision {wanted} to roll back to (it has {}); nothing was changed",
            args.namespace,
            args.name,
            have.join(", ")
        ));
    };
    let resources = match kubernetes::api_resources() {
        Ok(r) => r,
        Err(e) => return CallResult::error(e.message()),
    };
    let (to_apply, now_only) = match (
        objects(target.str("/manifest"), &args.namespace, &resources),
        objects(current.str("/manifest"), &args.namespace, &resources),
    ) {
        (Ok(to), Ok(from)) => {
            let gone: Vec<Object> = from
                .into_iter()
                .filter(|o| !o.keep && !to.iter().any(|t| same(&t.target, &o.target)))
                .collect();
            (to, gone)
        }
        (Err(e), _) | (_, Err(e)) => return CallResult::error(format!("{e}; nothing was changed")),
    };
    let new_revision = current.revision() + 1;
    let plan = format!(
        "roll back release {}/{} from revision {} to {wanted} (as revision {new_revision}): apply {} object(s){}",
        args.namespace,
        args.name,
        current.revision(),
        to_apply.len(),
        if now_only.is_empty() {
            String::new()
        } else {
            format!(
                ", delete {}",
                now_only
                    .iter()
                    .map(|o| label(&o.target))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if let Some(refused) = confirm(PLUGIN, args.dry_run, &format!("{}?", capitalised(&plan))) {
        return refused;
    }
    for object in &to_apply {
        let options = ApplyOptions {
            dry_run: args.dry_run,
            force: true,
        };
        if let Err(e) = kubernetes::apply(&object.body.to_string(), options) {
            return CallResult::error(format!(
                "applying {} failed: {} (objects before it were applied; no revision was recorded)",
                label(&object.target),
                e.message()
            ));
        }
    }
    if args.dry_run {
        return CallResult::text(format!("dry run: would {plan}; nothing was changed"));
    }
    for object in &now_only {
        let _ = kubernetes::delete(&object.target, DeleteOptions::default());
    }
    let (now, modified_at) = record::now();
    let mut release = target.release.clone();
    release["version"] = json!(new_revision);
    release["info"] = json!({
        "first_deployed": current.release["info"]["first_deployed"],
        "last_deployed": now,
        "description": format!("Rollback to {wanted}"),
        "status": "deployed",
        // As Helm 4 records it (Helm 3 ignores it).
        "rollback_revision": wanted,
        "notes": target.release["info"]["notes"],
    });
    let driver = match crate::driver() {
        Ok(d) => d,
        Err(e) => return CallResult::error(format!("{e}; nothing was recorded")),
    };
    if let Err(e) = kubernetes::create(
        &record::object(&release, modified_at, driver).to_string(),
        false,
    ) {
        return CallResult::error(format!(
            "the objects were rolled back, but recording revision {new_revision} failed: {}",
            e.message()
        ));
    }
    let mut superseded = current.release.clone();
    superseded["info"]["status"] = json!("superseded");
    if let Err(e) = rewrite(&superseded, modified_at) {
        return CallResult::error(format!("rolled back as revision {new_revision}, but {e}"));
    }
    CallResult::text(format!(
        "release {}/{} rolled back to revision {wanted}: now revision {new_revision}, deployed{}",
        args.namespace,
        args.name,
        hooks_note(&target)
    ))
}

pub fn uninstall(args: UninstallArgs) -> CallResult {
    let all = match revisions(&args.name, &args.namespace) {
        Ok(all) => all,
        Err(e) => return e,
    };
    let current = all.last().expect("not empty").clone();
    if current.status() == "uninstalled" {
        return CallResult::error(format!(
            "release {}/{} is already uninstalled (its history was kept); nothing was changed",
            args.namespace, args.name
        ));
    }
    let resources = match kubernetes::api_resources() {
        Ok(r) => r,
        Err(e) => return CallResult::error(e.message()),
    };
    let objects = match objects(current.str("/manifest"), &args.namespace, &resources) {
        Ok(o) => o,
        Err(e) => return CallResult::error(format!("{e}; nothing was changed")),
    };
    let (kept, deleted): (Vec<&Object>, Vec<&Object>) = objects.iter().partition(|o| o.keep);
    let plan = format!(
        "uninstall release {}/{}: delete {} object(s){}{}",
        args.namespace,
        args.name,
        deleted.len(),
        if kept.is_empty() {
            String::new()
        } else {
            format!(
                ", keep {} (helm.sh/resource-policy: keep)",
                kept.iter()
                    .map(|o| label(&o.target))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        if args.keep_history {
            ", keep its history"
        } else {
            ", delete its records"
        }
    );
    if let Some(refused) = confirm(PLUGIN, args.dry_run, &format!("{}?", capitalised(&plan))) {
        return refused;
    }
    if args.dry_run {
        return CallResult::text(format!("dry run: would {plan}; nothing was changed"));
    }
    let mut failures = Vec::new();
    // Helm deletes in the reverse of the order it installs.
    for object in deleted.iter().rev() {
        match kubernetes::delete(&object.target, DeleteOptions::default()) {
            Ok(_) | Err(kubernetes::Error::NotFound(_)) => {}
            Err(e) => failures.push(format!("{}: {}", label(&object.target), e.message())),
        }
    }
    let (now, modified_at) = record::now();
    let records_done = if args.keep_history {
        let mut release = current.release.clone();
        release["info"]["status"] = json!("uninstalled");
        release["info"]["deleted"] = json!(now);
        release["info"]["description"] = json!("Uninstallation complete");
        rewrite(&release, modified_at)
    } else {
        let records = match crate::records_type() {
            Ok(t) => t,
            Err(e) => return CallResult::error(e),
        };
        all.iter().try_for_each(|r| {
            let target = ObjectRef {
                type_: records.clone(),
                namespace: Some(args.namespace.clone()),
                name: format!("sh.helm.release.v1.{}.v{}", args.name, r.revision()),
            };
            kubernetes::delete(&target, DeleteOptions::default())
                .map(drop)
                .map_err(|e| format!("cannot delete the record {}: {}", target.name, e.message()))
        })
    };
    if let Err(e) = records_done {
        failures.push(e);
    }
    if failures.is_empty() {
        CallResult::text(format!(
            "release {}/{} uninstalled: {} object(s) deleted{}{}{}",
            args.namespace,
            args.name,
            deleted.len(),
            if kept.is_empty() {
                String::new()
            } else {
                format!(", {} kept by helm.sh/resource-policy", kept.len())
            },
            if args.keep_history {
                "; history kept"
            } else {
                ""
            },
            hooks_note(&current)
        ))
    } else {
        CallResult::error(format!(
            "release {}/{} was partly uninstalled: {}",
            args.namespace,
            args.name,
            failures.join("; ")
        ))
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A note when the release has hooks, which the plugin does not run.
fn hooks_note(record: &Record) -> String {
    match record.release["hooks"].as_array() {
        Some(hooks) if !hooks.is_empty() => format!(
            " (its {} hook(s) were not run: the plugin renders no templates)",
            hooks.len()
        ),
        _ => String::new(),
    }
}
