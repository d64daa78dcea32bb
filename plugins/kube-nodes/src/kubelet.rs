//! `nodes_log` and `nodes_stats_summary`: the kubelet's own API, reached
//! through the API server's node proxy (`get` on `nodes/proxy`). The paths
//! are fixed here; only a log query is the caller's, and it is checked.

use kube_mcp_plugin::kubernetes::{self, ProxyOptions};
use kube_mcp_plugin::types::CallResult;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::node;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeName {
    /// The node's name.
    name: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogArgs {
    /// The node's name.
    name: String,
    /// A service whose journal to read (`kubelet`, `containerd`), or a
    /// file under the node's /var/log starting with `/`
    /// (`/kubelet.log`). Default `kubelet`.
    #[serde(default = "kubelet")]
    query: String,
    /// Only the last this many lines (service queries). Default 100.
    #[schemars(range(min = 1, max = 10000))]
    tail_lines: Option<u32>,
}

fn kubelet() -> String {
    "kubelet".into()
}

/// The kubelet path and query of a log `query`: a file under `/logs/`, or
/// the NodeLogQuery form `/logs/?query=<service>`.
fn log_request(query: &str, tail_lines: u32) -> Result<(String, Option<String>), String> {
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
    };
    match query.strip_prefix('/') {
        Some(file)
            if file
                .split('/')
                .all(|part| word(part) && part != "." && part != "..") =>
        {
            Ok((format!("/logs/{file}"), None))
        }
        None if word(query) => Ok((
            "/logs/".into(),
            Some(format!("query={query}&tailLines={tail_lines}")),
        )),
        _ => Err(format!(
            "query '{}' is neither a service name (like kubelet) nor a file under /var/log \
             (like /kubelet.log)",
            query.escape_debug()
        )),
    }
}

pub fn log(args: LogArgs) -> CallResult {
    let (path, query) = match log_request(&args.query, args.tail_lines.unwrap_or(100)) {
        Ok(request) => request,
        Err(e) => return CallResult::error(e),
    };
    get(
        &args.name,
        &path,
        query,
        "node logs (the NodeLogQuery feature, or a file under /var/log)",
    )
}

pub fn stats_summary(args: NodeName) -> CallResult {
    get(&args.name, "/stats/summary", None, "the Summary API")
}

/// A GET of `path` on node `name`'s kubelet; a 404 says the kubelet does
/// not serve `what`.
fn get(name: &str, path: &str, query: Option<String>, what: &str) -> CallResult {
    let options = ProxyOptions {
        query,
        ..ProxyOptions::default()
    };
    let target = format!("the kubelet of node {name} ({path})");
    match kubernetes::proxy_get(&node(name), path, &options) {
        Ok(response) if response.status == 404 => CallResult::error(format!(
            "{target} answered 404: this kubelet does not serve {what}. {}",
            response.body.chars().take(200).collect::<String>().trim()
        )),
        Ok(response) => CallResult::proxied(&target, response),
        Err(e) => CallResult::error(format!("{target}: {}", e.message())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_query_is_a_service_or_a_file_and_never_leaves_var_log() {
        assert_eq!(
            log_request("kubelet", 50),
            Ok(("/logs/".into(), Some("query=kubelet&tailLines=50".into())))
        );
        assert_eq!(
            log_request("/pods/x.log", 50),
            Ok(("/logs/pods/x.log".into(), None))
        );
        for bad in ["/../etc/passwd", "/a//b", "kube let", "a&b=c", "/", ""] {
            assert!(log_request(bad, 1).is_err(), "{bad}");
        }
    }
}
