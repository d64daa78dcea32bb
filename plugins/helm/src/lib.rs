//! helm: Helm releases read from the release records Helm keeps in the
//! cluster, decoded in the sandbox: `helm_list`, `helm_status`, `helm_get`
//! and `helm_history` answer as the Helm CLI does (v3 and v4 records alike).
//!
//! Its grant opens Helm's records and no other Secret: `list` on secrets
//! with `labelSelector: owner=helm`, and `get` on secrets with
//! `resourceNames: ["sh.helm.release.v1.*"]` (see docs/configuration.md).
//! Secret values in a release's manifest are redacted unless the operator
//! sets `plugins.overrides.helm.settings.revealSecrets: "true"`.

mod change;
mod manifest;
mod record;
mod values;

use kube_mcp_plugin::kubernetes::{self, ListOptions, ResourceType};
use kube_mcp_plugin::types::{CallResult, Capability, Content, PluginInfo};
use kube_mcp_plugin::{Plugin, Tools, config, tool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use record::{Record, go_time};

pub const PLUGIN: &str = "helm";

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListArgs {
    /// Only releases in this namespace; absent: every namespace.
    namespace: Option<String>,
    /// Releases in every status, as Helm 3's `helm list --all` and Helm 4's
    /// default; without it (and without `statuses`), deployed and failed
    /// ones, as Helm 3's default and Helm 4's `--deployed --failed`.
    #[serde(default)]
    all: bool,
    /// Only releases whose latest revision has one of these statuses:
    /// deployed, failed, uninstalled, uninstalling, superseded,
    /// pending-install, pending-upgrade, pending-rollback.
    statuses: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseArgs {
    /// The release's name.
    name: String,
    /// The release's namespace.
    namespace: String,
    /// A revision; absent: the latest.
    #[schemars(range(min = 1))]
    revision: Option<i64>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Part {
    /// The values the user supplied (`helm get values`).
    Values,
    /// The rendered manifest (`helm get manifest`), Secret values redacted.
    Manifest,
    /// The chart's notes (`helm get notes`).
    Notes,
    /// The hooks' manifests (`helm get hooks`).
    Hooks,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GetArgs {
    /// The release's name.
    name: String,
    /// The release's namespace.
    namespace: String,
    /// What to show: values, manifest, notes or hooks.
    what: Part,
    /// Values only: every computed value (the chart's defaults with the
    /// user's on top), as `helm get values --all`.
    #[serde(default)]
    all_values: bool,
    /// A revision; absent: the latest.
    #[schemars(range(min = 1))]
    revision: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HistoryArgs {
    /// The release's name.
    name: String,
    /// The release's namespace.
    namespace: String,
    /// At most this many revisions, the newest (default 256, as Helm).
    #[schemars(range(min = 1))]
    max: Option<usize>,
}

struct Helm;

impl Plugin for Helm {
    fn info() -> PluginInfo {
        PluginInfo {
            name: PLUGIN.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Helm releases from the cluster's own release records: list, status, \
                          values, manifest, notes, hooks, history."
                .into(),
            capabilities: vec![
                // The records: Secrets, or ConfigMaps with Helm's ConfigMap driver.
                Capability {
                    verbs: vec!["get".into(), "list".into()],
                    api_groups: vec!["".into()],
                    resources: vec!["secrets".into(), "configmaps".into()],
                    namespaces: vec!["*".into()],
                },
                // helm_rollback and helm_uninstall: a release's objects are
                // whatever its chart made, and its records are Secrets.
                Capability {
                    verbs: vec![
                        "get".into(),
                        "create".into(),
                        "patch".into(),
                        "delete".into(),
                    ],
                    api_groups: vec!["*".into()],
                    resources: vec!["*".into()],
                    namespaces: vec!["*".into()],
                },
            ],
        }
    }

    fn tools() -> Tools {
        Tools::new()
            .add(
                tool::<ListArgs>("helm_list", "Helm releases, as helm list: name, namespace, revision, updated, status, chart and app version of each release's latest revision; deployed and failed ones unless all is set. Read from Helm's release records in the cluster.")
                    .read_only()
                    .list_output(),
                |args, _| Ok(list(args)),
            )
            .add(
                tool::<ReleaseArgs>("helm_status", "A Helm release's status, as helm status: revision, status, description, first and last deployed, chart, and the chart's notes.")
                    .read_only(),
                |args, _| Ok(status(args)),
            )
            .add(
                tool::<GetArgs>("helm_get", "Part of a Helm release, as helm get: the values (user-supplied, or all computed), the manifest (Secret values redacted), the notes or the hooks.")
                    .read_only(),
                |args, _| Ok(get(args)),
            )
            .add(
                tool::<change::RollbackArgs>("helm_rollback", "Roll a Helm release back to an earlier revision (the previous one by default), as helm rollback: applies that revision's manifest, removes what only the current one had, records a new revision 'Rollback to N' and marks the current one superseded, so the Helm CLI sees a Helm rollback. Hooks are not run. Asks the user to confirm; dryRun shows the plan.")
                    .annotations(kube_mcp_plugin::types::ToolAnnotations {
                        read_only_hint: Some(false),
                        destructive_hint: Some(true),
                        idempotent_hint: Some(false),
                        open_world_hint: Some(false),
                    }),
                |args, _| Ok(change::rollback(args)),
            )
            .add(
                tool::<change::UninstallArgs>("helm_uninstall", "Uninstall a Helm release, as helm uninstall: deletes its objects except those annotated helm.sh/resource-policy: keep, then its records (or, with keepHistory, marks them uninstalled). Hooks are not run. Asks the user to confirm; dryRun shows the plan.")
                    .annotations(kube_mcp_plugin::types::ToolAnnotations {
                        read_only_hint: Some(false),
                        destructive_hint: Some(true),
                        idempotent_hint: Some(true),
                        open_world_hint: Some(false),
                    }),
                |args, _| Ok(change::uninstall(args)),
            )
            .add(
                tool::<HistoryArgs>("helm_history", "A Helm release's revisions, as helm history: revision, updated, status, chart, app version and description, oldest first.")
                    .read_only()
                    .list_output(),
                |args, _| Ok(history(args)),
            )
    }
}

/// The driver the operator chose.
fn driver() -> Result<record::Driver, String> {
    record::Driver::from_setting(config::get("driver").as_deref())
}

/// The resource Helm's records are, for the chosen driver.
fn records_type() -> Result<ResourceType, String> {
    Ok(ResourceType::new("v1", driver()?.resource()))
}

/// Every record matching `selector` (always within `owner=helm`), in
/// `namespace` or all; records that do not decode are reported, not fatal.
fn records(namespace: Option<&str>, selector: &str) -> Result<(Vec<Record>, Vec<String>), String> {
    let mut found = Vec::new();
    let mut corrupt = Vec::new();
    let mut continue_token = None;
    loop {
        let options = ListOptions {
            namespace: namespace.map(Into::into),
            label_selector: Some(selector.into()),
            field_selector: None,
            limit: Some(500),
            continue_token: continue_token.take(),
        };
        let driver = driver()?;
        let records_type = ResourceType::new("v1", driver.resource());
        let list: Value = kubernetes::list(&records_type, &options)
            .map_err(|e| e.message())
            .and_then(|json| serde_json::from_str(&json).map_err(|e| e.to_string()))?;
        for item in list["items"].as_array().into_iter().flatten() {
            let object = item["metadata"]["name"].as_str().unwrap_or("").to_owned();
            match record::encoded_release(item, driver).and_then(|r| record::decode(&r)) {
                Ok(release) => found.push(Record { release }),
                Err(why) => corrupt.push(format!(
                    "{}/{object}: {why}",
                    item["metadata"]["namespace"].as_str().unwrap_or("")
                )),
            }
        }
        match list.pointer("/metadata/continue").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => continue_token = Some(token.to_owned()),
            _ => break,
        }
    }
    Ok((found, corrupt))
}

/// The revisions of release `name` in `namespace`, oldest first.
fn revisions(name: &str, namespace: &str) -> Result<Vec<Record>, CallResult> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(CallResult::error(format!(
            "'{name}' is not a Helm release name"
        )));
    }
    let (mut found, corrupt) = records(Some(namespace), &format!("owner=helm,name={name}"))
        .map_err(|e| CallResult::error(format!("cannot read release {namespace}/{name}: {e}")))?;
    if found.is_empty() {
        return Err(CallResult::error(match corrupt.first() {
            Some(why) => format!("release {namespace}/{name} has only corrupt records: {why}"),
            None => format!("release {namespace}/{name} not found (helm_list shows the releases)"),
        }));
    }
    found.sort_by_key(Record::revision);
    Ok(found)
}

/// The given revision of a release, or its latest.
fn revision(name: &str, namespace: &str, wanted: Option<i64>) -> Result<Record, CallResult> {
    let all = revisions(name, namespace)?;
    match wanted {
        None => Ok(all.last().expect("not empty").clone()),
        Some(n) => all
            .iter()
            .find(|r| r.revision() == n)
            .cloned()
            .ok_or_else(|| {
                let have: Vec<String> = all.iter().map(|r| r.revision().to_string()).collect();
                CallResult::error(format!(
                    "release {namespace}/{name} has no revision {n} (it has {})",
                    have.join(", ")
                ))
            }),
    }
}

/// Rows as `helm list -o json` writes them, and as a table.
fn list(args: ListArgs) -> CallResult {
    let (found, corrupt) = match records(args.namespace.as_deref(), "owner=helm") {
        Ok(found) => found,
        Err(e) => return CallResult::error(format!("cannot list Helm's release records: {e}")),
    };
    let mut latest: std::collections::BTreeMap<(String, String), Record> = Default::default();
    for record in found {
        let key = (record.namespace().to_owned(), record.name().to_owned());
        if latest
            .get(&key)
            .is_none_or(|r| r.revision() < record.revision())
        {
            latest.insert(key, record);
        }
    }
    let mut releases: Vec<Record> = latest
        .into_values()
        .filter(|r| match &args.statuses {
            Some(wanted) => wanted.iter().any(|s| s == r.status()),
            None => args.all || matches!(r.status(), "deployed" | "failed"),
        })
        .collect();
    // Helm sorts by name.
    releases.sort_by(|a, b| (a.name(), a.namespace()).cmp(&(b.name(), b.namespace())));
    let rows: Vec<Value> = releases
        .iter()
        .map(|r| {
            json!({
                "name": r.name(),
                "namespace": r.namespace(),
                "revision": r.revision().to_string(),
                "updated": go_time(r.str("/info/last_deployed")),
                "status": r.status(),
                "chart": r.chart(),
                "app_version": r.app_version(),
            })
        })
        .collect();
    let columns = [
        "name",
        "namespace",
        "revision",
        "updated",
        "status",
        "chart",
        "app_version",
    ];
    let mut text = if rows.is_empty() {
        "No Helm releases found.".to_owned()
    } else {
        table(
            &[
                "NAME",
                "NAMESPACE",
                "REVISION",
                "UPDATED",
                "STATUS",
                "CHART",
                "APP VERSION",
            ],
            &columns,
            &rows,
        )
    };
    if !corrupt.is_empty() {
        text.push_str(&format!(
            "\nSkipped {} corrupt record(s): {}",
            corrupt.len(),
            corrupt.join("; ")
        ));
    }
    list_result(text, &columns, rows)
}

/// An aligned table of `rows` (their `keys`, under `headers`).
fn table(headers: &[&str], keys: &[&str], rows: &[Value]) -> String {
    let cell = |row: &Value, key: &str| match &row[key] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let widths: Vec<usize> = headers
        .iter()
        .zip(keys)
        .map(|(h, k)| {
            rows.iter()
                .map(|r| cell(r, k).len())
                .max()
                .unwrap_or(0)
                .max(h.len())
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers.iter().map(|h| h.to_string()).collect())];
    for row in rows {
        out.push(line(keys.iter().map(|k| cell(row, k)).collect()));
    }
    out.join("\n")
}

/// A list tool's result: the text, and the rows as structured content in
/// the list-page schema.
fn list_result(text: String, columns: &[&str], rows: Vec<Value>) -> CallResult {
    let structured = json!({
        "columns": columns.iter().map(|c| json!({"name": c, "type": "string"})).collect::<Vec<_>>(),
        "rows": rows,
    });
    CallResult {
        content: vec![Content::text(text)],
        structured_content: Some(structured.to_string()),
        is_error: false,
    }
}

fn status(args: ReleaseArgs) -> CallResult {
    let record = match revision(&args.name, &args.namespace, args.revision) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let info = &record.release["info"];
    let mut text = format!(
        "NAME: {}\nLAST DEPLOYED: {}\nNAMESPACE: {}\nSTATUS: {}\nREVISION: {}\nCHART: {}\nAPP VERSION: {}\nDESCRIPTION: {}",
        record.name(),
        go_time(record.str("/info/last_deployed")),
        record.namespace(),
        record.status(),
        record.revision(),
        record.chart(),
        record.app_version(),
        record.str("/info/description"),
    );
    let notes = record.str("/info/notes");
    if !notes.is_empty() {
        text.push_str(&format!("\nNOTES:\n{}", notes.trim_end()));
    }
    let reveal = config::get("revealSecrets").as_deref() == Some("true");
    let structured = json!({
        "name": record.name(),
        "namespace": record.namespace(),
        "version": record.revision(),
        // As `helm status -o json` has them; the manifest's Secret values
        // redacted unless revealed.
        "config": record.release.get("config").cloned().unwrap_or(Value::Null),
        "manifest": manifest::redact(record.str("/manifest"), reveal),
        "chart": record.chart(),
        "app_version": record.app_version(),
        "info": {
            "first_deployed": info["first_deployed"],
            "last_deployed": info["last_deployed"],
            "deleted": info.get("deleted").cloned().unwrap_or(json!("")),
            "description": info["description"],
            "status": info["status"],
            "notes": info.get("notes").cloned().unwrap_or(json!("")),
        },
    });
    CallResult {
        content: vec![Content::text(text)],
        structured_content: Some(structured.to_string()),
        is_error: false,
    }
}

fn get(args: GetArgs) -> CallResult {
    let record = match revision(&args.name, &args.namespace, args.revision) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let reveal = config::get("revealSecrets").as_deref() == Some("true");
    match args.what {
        Part::Values => {
            let user = record.release.get("config").cloned().unwrap_or(Value::Null);
            let shown = if args.all_values {
                values::coalesce(
                    record
                        .release
                        .pointer("/chart/values")
                        .cloned()
                        .unwrap_or(Value::Null),
                    user,
                )
            } else {
                user
            };
            let shown = if shown.is_null() { json!({}) } else { shown };
            let yaml = serde_yaml_ng::to_string(&shown).unwrap_or_default();
            let title = if args.all_values {
                "COMPUTED VALUES"
            } else {
                "USER-SUPPLIED VALUES"
            };
            CallResult {
                content: vec![Content::text(format!("{title}:\n{yaml}"))],
                structured_content: Some(json!({"values": shown}).to_string()),
                is_error: false,
            }
        }
        Part::Manifest => CallResult::text(manifest::redact(record.str("/manifest"), reveal)),
        Part::Notes => {
            let notes = record.str("/info/notes");
            CallResult::text(if notes.is_empty() {
                "(the chart has no notes)".to_owned()
            } else {
                notes.to_owned()
            })
        }
        Part::Hooks => {
            let hooks: Vec<String> = record.release["hooks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| {
                    format!(
                        "---\n# Source: {}\n{}",
                        h["path"].as_str().unwrap_or(""),
                        manifest::redact(h["manifest"].as_str().unwrap_or(""), reveal).trim_end()
                    )
                })
                .collect();
            CallResult::text(if hooks.is_empty() {
                "(the release has no hooks)".to_owned()
            } else {
                hooks.join("\n")
            })
        }
    }
}

fn history(args: HistoryArgs) -> CallResult {
    let all = match revisions(&args.name, &args.namespace) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let max = args.max.unwrap_or(256);
    let shown = &all[all.len().saturating_sub(max)..];
    let rows: Vec<Value> = shown
        .iter()
        .map(|r| {
            let mut row = json!({
                "revision": r.revision(),
                "updated": r.str("/info/last_deployed"),
                "status": r.status(),
                "chart": r.chart(),
                "app_version": r.app_version(),
                "description": r.str("/info/description"),
            });
            // Helm 4 records which revision a rollback went back to.
            if let Some(to) = r
                .release
                .pointer("/info/rollback_revision")
                .and_then(Value::as_i64)
            {
                row["rollback_revision"] = json!(to);
            }
            row
        })
        .collect();
    let columns = [
        "revision",
        "updated",
        "status",
        "chart",
        "app_version",
        "description",
    ];
    let text = table(
        &[
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
            "DESCRIPTION",
        ],
        &columns,
        &rows,
    );
    let structured = json!({
        "columns": [
            {"name": "revision", "type": "integer"},
            {"name": "updated", "type": "string"},
            {"name": "status", "type": "string"},
            {"name": "chart", "type": "string"},
            {"name": "app_version", "type": "string"},
            {"name": "description", "type": "string"},
            {"name": "rollback_revision", "type": "integer"},
        ],
        "rows": rows,
    });
    CallResult {
        content: vec![Content::text(text)],
        structured_content: Some(structured.to_string()),
        is_error: false,
    }
}

kube_mcp_plugin::export_plugin!(Helm);
