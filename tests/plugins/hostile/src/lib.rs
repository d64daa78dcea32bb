//! Misbehaves on purpose, one way per tool, so tests can show that the
//! sandbox confines each misbehaviour to its own call.

use std::hint::black_box;
use std::io::Write;

use kube_mcp_plugin::exports::kube_mcp::plugin::tool_provider::Guest;
use kube_mcp_plugin::kubernetes::{self, ListOptions, ObjectRef, ResourceType};
use kube_mcp_plugin::types::{CallError, CallResult, Caller, Capability, PluginInfo, Tool};
use kube_mcp_plugin::{NoArgs, tool};
use kube_mcp_plugin::{client, progress};

struct Hostile;

const TOOLS: &[(&str, &str)] = &[
    ("spin", "Loops forever."),
    ("hog_memory", "Allocates memory until something stops it."),
    ("recurse", "Recurses without end."),
    ("panic", "Panics."),
    ("huge_output", "Returns 5 MB of text."),
    ("read_host_file", "Tries to read /etc/passwd."),
    (
        "read_environment",
        "Reports the environment variables and arguments it can see.",
    ),
    ("open_socket", "Tries to connect to 127.0.0.1:9000."),
    (
        "read_data",
        "Reads /data/hello.txt (the directory an operator may lend).",
    ),
    ("write_data", "Writes /data/written.txt and reads it back."),
    ("flood_stdout", "Prints 10 000 lines to stdout."),
    ("flood_log", "Writes 10 000 lines through the log import."),
    (
        "count_calls",
        "Counts its calls in a static: 1 every time if no state survives.",
    ),
    (
        "read_secrets",
        "Lists Secrets in kube-system, which it never requested.",
    ),
    (
        "steal_secret",
        "Gets Secret demo/app-secret, outside a grant narrowed to Helm's records.",
    ),
    (
        "list_secrets_unlabelled",
        "Lists Secrets in demo without the label selector a narrowed grant needs.",
    ),
    (
        "list_secrets_forged",
        "Lists Secrets in demo with a set-based selector that only looks like owner=helm.",
    ),
    (
        "read_release_records",
        "Lists Secrets in demo with owner=helm, as a narrowed grant allows.",
    ),
    (
        "read_release_record",
        "Gets Secret demo/sh.helm.release.v1.web.v1, as a narrowed grant allows.",
    ),
    (
        "list_pods_elsewhere",
        "Lists pods in namespace prod: requested, but not granted in tests.",
    ),
    (
        "list_pods_granted",
        "Lists pods in namespace demo: requested and granted in tests.",
    ),
    (
        "ask_client",
        "Asks the client to confirm (elicitation) and reports the answer.",
    ),
    ("report_progress", "Reports progress 1/3, 2/3, 3/3."),
    (
        "delete_then_ask",
        "Deletes pod demo/victim, then asks the client (questions must come first).",
    ),
    (
        "ask_then_delete",
        "Asks the client, then deletes pod demo/victim (the right order).",
    ),
];

static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Misbehaves on purpose. For tests only.".into(),
            capabilities: vec![
                Capability {
                    verbs: vec!["get".into(), "list".into(), "delete".into()],
                    api_groups: vec!["".into()],
                    resources: vec!["pods".into()],
                    namespaces: vec!["*".into()],
                },
                // Asks for every Secret in demo; the tests grant it only
                // Helm's release records there.
                Capability {
                    verbs: vec!["get".into(), "list".into()],
                    api_groups: vec!["".into()],
                    resources: vec!["secrets".into()],
                    namespaces: vec!["demo".into()],
                },
            ],
        }
    }

    fn tools() -> Vec<Tool> {
        let mut tools: Vec<Tool> = TOOLS
            .iter()
            .map(|(name, description)| tool::<NoArgs>(name, description).build())
            .collect();
        // A schema in an older dialect: the server loads it, `plugin
        // validate` refuses it (MCP tool schemas are JSON Schema 2020-12).
        let mut draft7 = tool::<NoArgs>("draft7_schema", "Has a draft-07 input schema.").build();
        draft7.input_schema = r##"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","definitions":{"id":{"type":"string"}},"properties":{"id":{"$ref":"#/definitions/id"}}}"##.into();
        tools.push(draft7);
        tools
    }

    fn call_tool(
        name: String,
        _arguments: String,
        _caller: Caller,
    ) -> Result<CallResult, CallError> {
        Ok(match name.as_str() {
            "spin" => loop {
                black_box(());
            },
            "hog_memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(black_box(vec![1u8; 1 << 20]));
                }
            }
            "recurse" => CallResult::text(recurse(black_box(u64::MAX)).to_string()),
            "panic" => panic!("the hostile plugin panics on purpose"),
            "huge_output" => CallResult::text("x".repeat(5 << 20)),
            "read_host_file" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => CallResult::text(format!("READ {} bytes", text.len())),
                Err(e) => CallResult::error(format!("denied: {e}")),
            },
            "read_environment" => CallResult::text(format!(
                "vars={} args={}",
                std::env::vars().count(),
                std::env::args().count()
            )),
            "open_socket" => match std::net::TcpStream::connect("127.0.0.1:9000") {
                Ok(_) => CallResult::text("CONNECTED"),
                Err(e) => CallResult::error(format!("denied: {e}")),
            },
            "read_data" => match std::fs::read_to_string("/data/hello.txt") {
                Ok(text) => CallResult::text(text),
                Err(e) => CallResult::error(format!("denied: {e}")),
            },
            "write_data" => {
                let written = std::fs::write("/data/written.txt", "scratch")
                    .and_then(|()| std::fs::read_to_string("/data/written.txt"));
                match written {
                    Ok(text) => CallResult::text(format!("wrote and read back: {text}")),
                    Err(e) => CallResult::error(format!("denied: {e}")),
                }
            }
            "flood_stdout" => {
                let mut out = std::io::stdout().lock();
                for i in 0..10_000 {
                    let _ = writeln!(out, "flood line {i}");
                }
                CallResult::text("flooded")
            }
            "flood_log" => {
                for i in 0..10_000 {
                    kube_mcp_plugin::log::write(
                        kube_mcp_plugin::log::Level::Info,
                        &format!("log line {i}"),
                    );
                }
                CallResult::text("flooded")
            }
            "count_calls" => {
                let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                CallResult::text(n.to_string())
            }
            "read_secrets" => list("secrets", "kube-system"),
            "steal_secret" => get_secret("app-secret"),
            "list_secrets_unlabelled" => list("secrets", "demo"),
            "list_secrets_forged" => list_selected("secrets", "demo", "owner in (helm)"),
            "read_release_records" => list_selected("secrets", "demo", "owner=helm"),
            "read_release_record" => get_secret("sh.helm.release.v1.web.v1"),
            "list_pods_elsewhere" => list("pods", "prod"),
            "list_pods_granted" => list("pods", "demo"),
            "ask_client" => {
                let schema = r#"{"type":"object","properties":{"confirm":{"type":"boolean"}}}"#;
                match client::elicit("Really?", schema) {
                    Ok(client::Elicitation::Accept(content)) => {
                        CallResult::text(format!("accepted: {content}"))
                    }
                    Ok(other) => CallResult::text(format!("{other:?}")),
                    Err(e) => CallResult::error(format!("{e:?}")),
                }
            }
            "delete_then_ask" => {
                if let Err(e) = delete_victim() {
                    return Ok(CallResult::error(e.message()));
                }
                confirm_answer()
            }
            "ask_then_delete" => {
                let answer = confirm_answer();
                match delete_victim() {
                    Ok(_) => answer,
                    Err(e) => CallResult::error(e.message()),
                }
            }
            "report_progress" => {
                for step in 1..=3 {
                    progress::report(step as f64, Some(3.0), Some(&format!("step {step}")));
                }
                CallResult::text("reported")
            }
            _ => return Err(CallError::UnknownTool(name)),
        })
    }
}

/// Deletes pod demo/victim (granted in tests).
fn delete_victim() -> Result<String, kubernetes::Error> {
    let victim = kubernetes::ObjectRef {
        type_: ResourceType::new("v1", "pods"),
        namespace: Some("demo".into()),
        name: "victim".into(),
    };
    let options = kubernetes::DeleteOptions {
        dry_run: false,
        propagation: None,
        grace_period_seconds: None,
    };
    kubernetes::delete(&victim, options)
}

/// Asks the client to confirm; the answer as a result.
fn confirm_answer() -> CallResult {
    let schema = r#"{"type":"object","properties":{"confirm":{"type":"boolean"}}}"#;
    match client::elicit("Really?", schema) {
        Ok(answer) => CallResult::text(format!("{answer:?}")),
        Err(e) => CallResult::error(format!("{e:?}")),
    }
}

/// Gets Secret `name` in demo; the error, if any, as an error result.
fn get_secret(name: &str) -> CallResult {
    let secret = ObjectRef {
        type_: ResourceType::new("v1", "secrets"),
        namespace: Some("demo".into()),
        name: name.into(),
    };
    match kubernetes::get(&secret) {
        Ok(json) => CallResult::text(json),
        Err(e) => CallResult::error(e.message()),
    }
}

/// Lists `resource` in `namespace`; the error, if any, as an error result.
fn list(resource: &str, namespace: &str) -> CallResult {
    list_with(resource, namespace, None)
}

/// Lists `resource` in `namespace` with a label selector.
fn list_selected(resource: &str, namespace: &str, selector: &str) -> CallResult {
    list_with(resource, namespace, Some(selector.into()))
}

fn list_with(resource: &str, namespace: &str, label_selector: Option<String>) -> CallResult {
    let options = ListOptions {
        namespace: Some(namespace.into()),
        label_selector,
        field_selector: None,
        limit: None,
        continue_token: None,
    };
    match kubernetes::list(&ResourceType::new("v1", resource), &options) {
        Ok(json) => CallResult::text(json),
        Err(e) => CallResult::error(e.message()),
    }
}

/// Uses only wasm locals (no shadow stack), so it exhausts the wasm call
/// stack rather than linear memory.
#[inline(never)]
fn recurse(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        1 + recurse(black_box(n - 1))
    }
}

kube_mcp_plugin::export!(Hostile);
