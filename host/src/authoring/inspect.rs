//! `kube-mcp plugin inspect` and `validate`: what a plugin says about
//! itself, checked the way the server checks it when loading.

use std::fmt::Write;
use std::path::Path;

use serde_json::{Value, json};

use crate::config::Config;
use crate::plugins::{Plugin, Runtime};
use crate::plugins::{client_feature_name, task_support_name};
use crate::wit::types::{Capability, Tool, ToolAnnotations};

/// What in the plugin's tool schemas is not JSON Schema 2020-12, each
/// naming the tool and the schema.
pub fn schema_problems(plugin: &Plugin) -> Vec<String> {
    let mut problems = Vec::new();
    for tool in &plugin.tools {
        let schemas = std::iter::once(("input", Some(&tool.input_schema)))
            .chain(std::iter::once(("output", tool.output_schema.as_ref())));
        for (which, schema) in schemas {
            let Some(schema) = schema.and_then(|s| serde_json::from_str::<Value>(s).ok()) else {
                continue;
            };
            for problem in crate::schema_dialect::problems(&schema) {
                problems.push(format!("tool '{}': {which} schema: {problem}", tool.name));
            }
        }
    }
    problems
}

/// What would hurt the plugin in use, though it loads: a fresh instance
/// near its memory limit; with a configuration, Kubernetes access requested
/// but not granted.
pub fn warnings(plugin: &Plugin, configured: bool) -> Vec<String> {
    let mut warnings: Vec<String> = plugin.memory_warning().into_iter().collect();
    if configured && !plugin.info.capabilities.is_empty() && plugin.grants().is_empty() {
        warnings.push(format!(
            "it requests Kubernetes access but the configuration has no plugins.grants.{}: \
             every Kubernetes call it makes will be denied",
            plugin.info.name
        ));
    }
    for asked in &plugin.views.ungranted {
        warnings.push(format!(
            "a view asks for {asked}, which plugins.overrides.{}.apps.domains does not grant: \
             clients are told to block it",
            plugin.info.name
        ));
    }
    warnings
}

/// Loads `file` as the server with `config` would (compile, or take the
/// compiled code from the cache; link, describe, check). Also says whether
/// it compiled.
pub fn load(file: &Path, config: &Config) -> Result<(Plugin, bool), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let plugins = Runtime::new(
            config.plugins.settings.clone(),
            config.plugins.cache_dir.clone(),
        )
        .map_err(|e| format!("{e:#}"))?;
        let plugin = plugins.load_file(file).await.map_err(|e| e.to_string())?;
        Ok((plugin, plugins.compilations().0 > 0))
    })
}

/// The plugin as JSON: schemas as JSON values, not strings.
pub fn to_json(plugin: &Plugin) -> Value {
    json!({
        "name": plugin.info.name,
        "version": plugin.info.version,
        "description": plugin.info.description,
        "capabilities": plugin.info.capabilities.iter().map(capability_json).collect::<Vec<_>>(),
        "tools": plugin.tools.iter().map(|t| {
            let mut tool = tool_json(t, plugin.execution(&t.name));
            if let Some(link) = plugin.views.link(&t.name) {
                tool["ui"] = crate::apps::meta::tool_ui(Some(link));
            }
            tool
        }).collect::<Vec<_>>(),
        "views": plugin.views.views.iter().map(|v| json!({
            "uri": v.uri,
            "name": v.name,
            "bytes": v.html.len(),
            "ui": crate::apps::meta::view_ui(v),
        })).collect::<Vec<_>>(),
        "prompts": plugin.prompts.iter().map(|p| json!({
            "name": p.name,
            "description": p.description,
            "arguments": p.arguments.iter().map(|a| json!({"name": a.name, "required": a.required})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "resources": plugin.resources.iter().map(|r| json!({"uri": r.uri, "name": r.name, "mimeType": r.mime_type})).collect::<Vec<_>>(),
        "resourceTemplates": plugin.templates.iter().map(|t| json!({"uriTemplate": t.uri_template, "name": t.name})).collect::<Vec<_>>(),
        "completions": plugin.completes(),
        "memory": {"initialBytes": plugin.initial_memory, "limitBytes": plugin.memory_limit()},
    })
}

fn capability_json(c: &Capability) -> Value {
    json!({
        "verbs": c.verbs,
        "apiGroups": c.api_groups,
        "resources": c.resources,
        "namespaces": c.namespaces,
    })
}

fn tool_json(tool: &Tool, execution: Option<&crate::wit::tool_execution::Execution>) -> Value {
    let schema = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let mut value = json!({
        "name": tool.name,
        "description": tool.description,
        "inputSchema": schema(&tool.input_schema),
        "annotations": annotations_json(&tool.annotations),
    });
    if let Some(title) = &tool.title {
        value["title"] = json!(title);
    }
    if let Some(output) = &tool.output_schema {
        value["outputSchema"] = schema(output);
    }
    if let Some(execution) = execution {
        let requires: Vec<&str> = execution
            .requires
            .iter()
            .map(|f| client_feature_name(*f))
            .collect();
        value["execution"] = json!({
            "taskSupport": task_support_name(execution.task_support),
            "requires": requires,
        });
    }
    value
}

fn annotations_json(a: &ToolAnnotations) -> Value {
    let mut value = serde_json::Map::new();
    for (key, hint) in [
        ("readOnlyHint", a.read_only_hint),
        ("destructiveHint", a.destructive_hint),
        ("idempotentHint", a.idempotent_hint),
        ("openWorldHint", a.open_world_hint),
    ] {
        if let Some(hint) = hint {
            value.insert(key.into(), json!(hint));
        }
    }
    Value::Object(value)
}

/// The plugin for people.
pub fn to_text(plugin: &Plugin) -> String {
    let info = &plugin.info;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", info.name, info.version);
    let _ = writeln!(out, "  {}", info.description);
    if info.capabilities.is_empty() {
        let _ = writeln!(out, "capabilities: none (no Kubernetes access)");
    } else {
        let _ = writeln!(out, "capabilities:");
        for c in &info.capabilities {
            let groups: Vec<String> = c
                .api_groups
                .iter()
                .map(|g| {
                    if g.is_empty() {
                        "core".to_owned()
                    } else {
                        g.clone()
                    }
                })
                .collect();
            let namespaces = if c.namespaces.is_empty() {
                "cluster-scoped".to_owned()
            } else {
                format!("namespaces {}", c.namespaces.join(","))
            };
            let _ = writeln!(
                out,
                "  {} {} in {} ({namespaces})",
                c.verbs.join(","),
                c.resources.join(","),
                groups.join(",")
            );
        }
    }
    let _ = writeln!(out, "tools ({}):", plugin.tools.len());
    let width = plugin.tools.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for tool in &plugin.tools {
        let read_only = if tool.annotations.read_only_hint == Some(true) {
            " [read-only]"
        } else {
            ""
        };
        let first_line = tool.description.lines().next().unwrap_or("");
        let execution = plugin
            .execution(&tool.name)
            .map(execution_note)
            .unwrap_or_default();
        let view = match plugin.views.link(&tool.name) {
            Some(link) if !link.visibility.model => " [app-only]".to_owned(),
            Some(link) => link
                .view
                .as_ref()
                .map(|v| format!(" [view {v}]"))
                .unwrap_or_default(),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:width$}  {first_line}{read_only}{execution}{view}",
            tool.name
        );
        let args = arguments(&tool.input_schema);
        if !args.is_empty() {
            let _ = writeln!(out, "  {:width$}    args: {args}", "");
        }
    }
    if !plugin.prompts.is_empty() {
        let _ = writeln!(out, "prompts ({}):", plugin.prompts.len());
        for prompt in &plugin.prompts {
            let _ = writeln!(out, "  {}  {}", prompt.name, prompt.description);
        }
    }
    if !plugin.resources.is_empty() || !plugin.templates.is_empty() {
        let _ = writeln!(
            out,
            "resources ({}):",
            plugin.resources.len() + plugin.templates.len()
        );
        for resource in &plugin.resources {
            let _ = writeln!(out, "  {}  {}", resource.uri, resource.name);
        }
        for template in &plugin.templates {
            let _ = writeln!(out, "  {}  {}", template.uri_template, template.name);
        }
    }
    if !plugin.views.views.is_empty() {
        let _ = writeln!(out, "views ({}, MCP Apps):", plugin.views.views.len());
        for view in &plugin.views.views {
            let csp = &view.csp;
            let origins: Vec<&str> = [&csp.connect, &csp.resource, &csp.frame, &csp.base_uri]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            let network = if origins.is_empty() {
                "no network".to_owned()
            } else {
                format!("may reach {}", origins.join(", "))
            };
            let _ = writeln!(
                out,
                "  {}  {} ({} bytes, {network})",
                view.uri,
                view.name,
                view.html.len()
            );
        }
    }
    if plugin.completes() {
        let _ = writeln!(out, "completions: yes");
    }
    let _ = writeln!(
        out,
        "memory: a fresh instance holds {:.1} MiB of its {} MiB limit",
        plugin.initial_memory as f64 / f64::from(1 << 20),
        plugin.memory_limit() >> 20
    );
    out
}

/// A tool's arguments in one line: `namespace (string, required), limit
/// (integer)`; `--json` has the whole schema.
fn arguments(schema: &str) -> String {
    let Ok(schema) = serde_json::from_str::<Value>(schema) else {
        return String::new();
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return String::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let kind = match &property["type"] {
                Value::String(kind) => kind.clone(),
                Value::Array(kinds) => kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("|"),
                _ if property.get("enum").is_some() => "enum".into(),
                _ => "any".into(),
            };
            if required.contains(&name.as_str()) {
                format!("{name} ({kind}, required)")
            } else {
                format!("{name} ({kind})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a tool runs, when it said: ` [task: optional, needs: sampling]`.
fn execution_note(execution: &crate::wit::tool_execution::Execution) -> String {
    use crate::wit::tool_execution::TaskSupport;
    let mut notes = Vec::new();
    if execution.task_support != TaskSupport::Forbidden {
        notes.push(format!(
            "task: {}",
            task_support_name(execution.task_support)
        ));
    }
    if !execution.requires.is_empty() {
        let needs: Vec<&str> = execution
            .requires
            .iter()
            .map(|f| client_feature_name(*f))
            .collect();
        notes.push(format!("needs: {}", needs.join(", ")));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", notes.join(", "))
    }
}
