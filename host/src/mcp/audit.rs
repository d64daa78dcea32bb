//! The audit trail (`kube_mcp::audit`): one line per decision on a caller's
//! request, naming the caller by issuer and subject, what they asked for,
//! whether it was allowed and why, and how an allowed tool call ended.

use std::fmt::Display;
use std::time::Instant;

use crate::auth::CallerId;
use crate::metrics::Outcome;
use crate::policy::tools::Export;

/// A tool call refused (by policy, or because no such tool exists).
pub fn tool_call_denied(
    caller: &CallerId,
    tool: &str,
    plugin: &str,
    cluster: &str,
    reason: &dyn Display,
) {
    tracing::info!(
        target: "kube_mcp::audit",
        issuer = %caller.issuer,
        subject = %caller.subject,
        tool,
        plugin,
        cluster,
        decision = "deny",
        reason = %reason,
        duration_ms = 0.0,
        "tool call"
    );
}

/// A tool call allowed, once it has ended as `outcome`.
pub fn tool_call_ended(
    caller: &CallerId,
    tool: &str,
    plugin: &str,
    cluster: &str,
    reason: &dyn Display,
    outcome: Outcome,
    started: Instant,
) {
    tracing::info!(
        target: "kube_mcp::audit",
        issuer = %caller.issuer,
        subject = %caller.subject,
        tool,
        plugin,
        cluster,
        decision = "allow",
        reason = %reason,
        outcome = %outcome,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "tool call"
    );
}

/// A prompt, resource or completion refused by policy; `what` names the
/// request (`prompt get`, `resource read`, ...).
pub fn export_denied(caller: &CallerId, export: &Export, reason: &dyn Display, what: &str) {
    tracing::info!(
        target: "kube_mcp::audit",
        issuer = %caller.issuer,
        subject = %caller.subject,
        export = export.name,
        plugin = export.plugin,
        cluster = export.cluster,
        decision = "deny",
        reason = %reason,
        "{what}"
    );
}
