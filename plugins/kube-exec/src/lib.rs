//! kube-exec: run things in the cluster, as `kubectl exec` and `kubectl
//! run` do. The most powerful tools a server can offer, so the plugin has
//! no default grant (an operator grants `create` on `pods/exec`, and pods
//! for `pods_run`, to whom they choose) and every run asks the user first
//! unless the operator opts this plugin out
//! (`plugins.overrides.kube-exec.settings.confirmation: never`).
//!
//! `pods_exec` takes the command as an array and adds no shell, so nothing
//! a model writes is re-interpreted; output is bounded (stdout and stderr
//! together) and so is the time it may take.

mod run;

use kube_mcp_plugin::kubernetes::{self, ExecOptions, ExecOutput};
use kube_mcp_plugin::tool_execution::TaskSupport;
use kube_mcp_plugin::types::{CallResult, Capability, Content, PluginInfo, ToolAnnotations};
use kube_mcp_plugin::{Plugin, Tools, confirm, tool};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

pub const PLUGIN: &str = "kube-exec";

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExecArgs {
    /// The pod's namespace.
    namespace: String,
    /// The pod's name.
    name: String,
    /// The container; required when the pod has more than one.
    container: Option<String>,
    /// The program and its arguments, one item each: `["ls", "-l",
    /// "/tmp"]`. No shell is added; for pipes or globs give `["sh", "-c",
    /// "..."]`.
    #[serde(deserialize_with = "command_array")]
    #[schemars(length(min = 1))]
    command: Vec<String>,
    /// Text written to the command's standard input, which is then closed.
    stdin: Option<String>,
    /// Seconds to wait for the command to end (default 10; never past the
    /// plugin's call limit, `plugins.limits.timeout`).
    #[schemars(range(min = 1))]
    timeout_seconds: Option<u32>,
    /// At most this many bytes of output, stdout and stderr together
    /// (default and most: the plugin's output limit).
    #[schemars(range(min = 1))]
    limit_bytes: Option<u32>,
}

/// What a command did, as `pods_exec` answers it.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ExecResult {
    /// Its exit code (0: success); absent when it was cut off or the
    /// runtime gave none.
    exit_code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The runtime's words when the command failed.
    message: Option<String>,
    /// The output reached the limit and the rest was not read.
    truncated: bool,
    /// The timeout came before the command ended.
    timed_out: bool,
}

/// A command must be an array: a string would have to be split by a shell,
/// which this tool never adds.
fn command_array<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Err(D::Error::custom(format!(
            "must be an array of strings, the program and its arguments (like [\"ls\", \"-l\"]), \
             not the string {s:?}: no shell is added to split it"
        ))),
        value => serde_json::from_value(value)
            .map_err(|_| D::Error::custom("must be an array of strings")),
    }
}

struct KubeExec;

impl Plugin for KubeExec {
    fn info() -> PluginInfo {
        let core = |verbs: &[&str], resources: &[&str]| Capability {
            verbs: verbs.iter().map(|v| (*v).into()).collect(),
            api_groups: vec!["".into()],
            resources: resources.iter().map(|r| (*r).into()).collect(),
            namespaces: vec!["*".into()],
        };
        PluginInfo {
            name: PLUGIN.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Run a command in a container (pods_exec), or an image as a pod \
                          (pods_run). No default grant."
                .into(),
            capabilities: vec![
                core(&["create"], &["pods/exec"]),
                core(&["create", "get", "delete"], &["pods"]),
                core(&["get"], &["pods/log"]),
            ],
        }
    }

    fn tools() -> Tools {
        Tools::new()
            .add(
                tool::<ExecArgs>(
                    "pods_exec",
                    "Run a command in a pod's container, as kubectl exec does, and return its \
                     stdout, stderr and exit code. The command is an array (program, then \
                     arguments); no shell is added. Bounded by a timeout and an output cap. \
                     Asks the user to confirm.",
                )
                .annotations(ToolAnnotations {
                    read_only_hint: Some(false),
                    destructive_hint: Some(true),
                    idempotent_hint: Some(false),
                    open_world_hint: Some(false),
                })
                .output::<ExecResult>(),
                |args, _| Ok(exec(args)),
            )
            .add(
                tool::<run::RunArgs>(
                    "pods_run",
                    "Run an image as a pod, as kubectl run does. With oneShot it runs to \
                     completion (restartPolicy Never): the tool waits for it, returns its \
                     log and exit code, and deletes the pod. Asks the user to confirm; \
                     dryRun shows the pod. Runs as a task when the client supports tasks.",
                )
                .annotations(ToolAnnotations {
                    read_only_hint: Some(false),
                    destructive_hint: Some(false),
                    idempotent_hint: Some(false),
                    open_world_hint: Some(false),
                })
                .task_support(TaskSupport::Optional),
                |args, _| Ok(run::run(args)),
            )
    }
}

fn exec(args: ExecArgs) -> CallResult {
    let container = args
        .container
        .as_deref()
        .map(|c| format!(" (container {c})"))
        .unwrap_or_default();
    let question = format!(
        "Run {} in pod {}/{}{container}?",
        shown(&args.command),
        args.namespace,
        args.name
    );
    if let Some(refused) = confirm(PLUGIN, false, &question) {
        return refused;
    }
    let options = ExecOptions {
        container: args.container,
        stdin: args.stdin,
        timeout_seconds: args.timeout_seconds,
        limit_bytes: args.limit_bytes,
    };
    match kubernetes::exec(&args.namespace, &args.name, &args.command, &options) {
        Ok(output) => answer(output, args.timeout_seconds.unwrap_or(10)),
        Err(e) => CallResult::error(e.message()),
    }
}

/// The command as a person would read it: `["sh", "-c", "exit 3"]`.
fn shown(command: &[String]) -> String {
    serde_json::to_string(command).expect("strings serialize")
}

/// The answer: the outcome's line, then each stream. A non-zero exit is
/// an answer (the command ran); a timeout or the output cap is an error
/// that still shows what came.
fn answer(output: ExecOutput, timeout: u32) -> CallResult {
    let headline = if output.timed_out {
        format!(
            "the command did not end within {timeout} s (or the call's time limit) and was cut \
             off; its output so far follows"
        )
    } else if output.truncated {
        format!(
            "the command's output exceeded {} bytes; the rest was not read and the stream was \
             closed (give a smaller command or limitBytes)",
            output.stdout.len() + output.stderr.len()
        )
    } else {
        match (output.exit_code, &output.message) {
            (Some(0), _) => "exit code 0".to_owned(),
            (Some(code), _) => format!("the command exited with code {code}"),
            (None, Some(message)) => format!("the command failed: {message}"),
            (None, None) => "the command ended without an exit code".to_owned(),
        }
    };
    let mut text = headline + "\n";
    for (name, stream) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        if !stream.is_empty() {
            text.push_str(&format!("--- {name} ---\n{stream}"));
            if !stream.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    let failed = output.timed_out
        || output.truncated
        || (output.exit_code.is_none() && output.message.is_some());
    let result = ExecResult {
        exit_code: output.exit_code,
        stdout: output.stdout,
        stderr: output.stderr,
        message: output.message,
        truncated: output.truncated,
        timed_out: output.timed_out,
    };
    CallResult {
        content: vec![Content::text(text)],
        structured_content: Some(serde_json::to_string(&result).expect("serializes")),
        is_error: failed,
    }
}

kube_mcp_plugin::export_plugin!(KubeExec);

#[cfg(test)]
mod tests {
    use super::*;

    fn output(exit_code: Option<i32>, timed_out: bool, truncated: bool) -> ExecOutput {
        ExecOutput {
            stdout: "out\n".into(),
            stderr: "err".into(),
            exit_code,
            message: None,
            truncated,
            timed_out,
        }
    }

    #[test]
    fn a_command_given_as_a_string_is_refused_with_the_reason() {
        let parsed = serde_json::from_str::<ExecArgs>(
            r#"{"namespace":"ops","name":"toolbox","command":"ls -l"}"#,
        );
        let message = parsed.err().expect("refused").to_string();
        assert!(message.contains("must be an array"), "{message}");
        assert!(message.contains("no shell"), "{message}");
        let parsed = serde_json::from_str::<ExecArgs>(
            r#"{"namespace":"ops","name":"toolbox","command":["ls","-l"]}"#,
        )
        .expect("an array is taken");
        assert_eq!(parsed.command, ["ls", "-l"]);
    }

    #[test]
    fn a_non_zero_exit_is_an_answer_and_a_cut_off_command_an_error() {
        let text = |r: &CallResult| match &r.content[0] {
            Content::Text(t) => t.text.clone(),
            _ => panic!("text"),
        };
        let exited = answer(output(Some(3), false, false), 10);
        assert!(!exited.is_error);
        assert!(text(&exited).starts_with("the command exited with code 3"));
        assert!(text(&exited).contains("--- stdout ---\nout\n--- stderr ---\nerr\n"));
        let late = answer(output(None, true, false), 2);
        assert!(late.is_error);
        assert!(text(&late).contains("did not end within 2 s"));
        let big = answer(output(None, false, true), 10);
        assert!(big.is_error && text(&big).contains("exceeded 7 bytes"));
    }
}
