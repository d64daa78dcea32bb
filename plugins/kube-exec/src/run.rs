//! `pods_run`: an image as a pod, as `kubectl run` makes it; with
//! `oneShot`, run to completion, its log and exit code read, and the pod
//! deleted whatever happened.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kube_mcp_plugin::kubernetes::{self, DeleteOptions, LogOptions, ObjectRef, ResourceType};
use kube_mcp_plugin::types::CallResult;
use kube_mcp_plugin::{Wait, begin_wait, confirm};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::PLUGIN;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunArgs {
    /// The namespace to run it in.
    namespace: String,
    /// The pod's name (also its container's).
    name: String,
    /// The image: `busybox:1.37`, `registry.example.com/tools/debug@sha256:...`.
    image: String,
    /// Replaces the image's entrypoint: the program and its arguments, one
    /// item each. No shell is added.
    command: Option<Vec<String>>,
    /// Arguments to the entrypoint (or to `command`).
    args: Option<Vec<String>>,
    /// Environment variables of the container.
    env: Option<BTreeMap<String, String>>,
    /// Run to completion (restartPolicy Never): wait for it to end, return
    /// its log and exit code, then delete the pod. Without it the pod keeps
    /// running (restartPolicy Always) until someone deletes it.
    #[serde(default)]
    one_shot: bool,
    /// One-shot only: how long to wait for it to end, in seconds. Within a
    /// request default 8, at most 55 and never past the plugin's call
    /// limit; as a task default 600, at most 3600. At the limit the pod is
    /// deleted anyway.
    timeout_seconds: Option<u64>,
    /// Show the pod that would be created, without creating it.
    #[serde(default)]
    dry_run: bool,
}

/// The pod `kubectl run` would make of `args`.
fn manifest(args: &RunArgs) -> Value {
    let env: Vec<Value> = args
        .env
        .iter()
        .flatten()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let mut container = json!({"name": args.name, "image": args.image});
    if let Some(command) = &args.command {
        container["command"] = json!(command);
    }
    if let Some(arguments) = &args.args {
        container["args"] = json!(arguments);
    }
    if !env.is_empty() {
        container["env"] = json!(env);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": args.name,
            "namespace": args.namespace,
            "labels": {"run": args.name, "app.kubernetes.io/managed-by": "kube-mcp"},
        },
        "spec": {
            "containers": [container],
            "restartPolicy": if args.one_shot { "Never" } else { "Always" },
        },
    })
}

fn pod(args: &RunArgs) -> ObjectRef {
    ObjectRef {
        type_: ResourceType::new("v1", "pods"),
        namespace: Some(args.namespace.clone()),
        name: args.name.clone(),
    }
}

pub fn run(args: RunArgs) -> CallResult {
    let manifest = manifest(&args);
    let what = format!(
        "image {} as pod {}/{}{}",
        args.image,
        args.namespace,
        args.name,
        if args.one_shot {
            " (one-shot: deleted when it ends)"
        } else {
            ""
        }
    );
    if let Some(refused) = confirm(PLUGIN, args.dry_run, &format!("Run {what}?")) {
        return refused;
    }
    if let Err(e) = kubernetes::create(&manifest.to_string(), args.dry_run) {
        return CallResult::error(format!("cannot create the pod: {}", e.message()));
    }
    if args.dry_run {
        return CallResult::text(format!(
            "dry run: would run {what}; nothing was created. The pod:\n{}",
            serde_json::to_string_pretty(&manifest).expect("serializes")
        ));
    }
    if !args.one_shot {
        return CallResult::text(format!(
            "running {what}; follow it with pods_get and pods_log, remove it with pods_delete"
        ));
    }
    let Wait { timeout, .. } = begin_wait(args.timeout_seconds);
    let ended = wait_for_end(&pod(&args), timeout);
    let log = kubernetes::pod_logs(
        &args.namespace,
        &args.name,
        &LogOptions {
            container: None,
            tail_lines: Some(200),
            since_seconds: None,
            previous: false,
            limit_bytes: Some(16 << 10),
        },
    )
    .unwrap_or_else(|e| format!("(its log could not be read: {})", e.message()));
    let deleted = kubernetes::delete(
        &pod(&args),
        DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        },
    );
    let deleted = match deleted {
        Ok(_) => "the pod was deleted".to_owned(),
        Err(e) => format!(
            "the pod could not be deleted ({}); delete it with pods_delete",
            e.message()
        ),
    };
    let log = if log.is_empty() {
        "(its log is empty)".to_owned()
    } else {
        format!("--- log ---\n{log}")
    };
    match ended {
        Ok(End { phase, exit_code }) => {
            let code = exit_code.map_or(String::new(), |c| format!(", exit code {c}"));
            CallResult {
                is_error: phase != "Succeeded",
                ..CallResult::text(format!(
                    "pod {}/{} ran to completion: {phase}{code}; {deleted}\n{log}",
                    args.namespace, args.name
                ))
            }
        }
        Err(why) => CallResult::error(format!(
            "pod {}/{} {why}; {deleted}\n{log}",
            args.namespace, args.name
        )),
    }
}

struct End {
    phase: String,
    exit_code: Option<i64>,
}

/// Waits for the pod to succeed or fail, polling once a second.
fn wait_for_end(pod: &ObjectRef, timeout: Duration) -> Result<End, String> {
    const POLL: Duration = Duration::from_secs(1);
    let start = Instant::now();
    loop {
        let json =
            kubernetes::get(pod).map_err(|e| format!("could not be read: {}", e.message()))?;
        let object: Value = serde_json::from_str(&json).unwrap_or_default();
        let phase = object
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("Pending");
        if matches!(phase, "Succeeded" | "Failed") {
            let exit_code = object
                .pointer("/status/containerStatuses/0/state/terminated/exitCode")
                .and_then(Value::as_i64);
            return Ok(End {
                phase: phase.to_owned(),
                exit_code,
            });
        }
        let Some(remaining) = timeout
            .checked_sub(start.elapsed())
            .filter(|r| !r.is_zero())
        else {
            return Err(format!(
                "did not end within {} s (it was {phase})",
                timeout.as_secs()
            ));
        };
        std::thread::sleep(POLL.min(remaining));
    }
}
