//! The audit trail (`kube_mcp::audit`): one line per decision on a caller's
//! request, naming the caller by issuer and subject, what they asked for,
//! whether it was allowed and why, and how an allowed tool call ended.

use std::fmt::Display;
use std::time::Instant;

use crate::auth::CallerId;
use crate::metrics::Outcome;
use crate::policy::tools::Export;

/// Who a decision was about, and the trace their request belongs to (its
/// `traceparent`, or the span kube-mcp exported), so an audit line and a
/// trace can be found from each other.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub caller: &'a CallerId,
    pub trace_id: Option<&'a str>,
}

/// A tool call refused (by policy, or because no such tool exists).
pub fn tool_call_denied(
    who: Who<'_>,
    tool: &str,
    plugin: &str,
    cluster: &str,
    reason: &dyn Display,
) {
    tracing::info!(
        target: "kube_mcp::audit",
        issuer = %who.caller.issuer,
        subject = %who.caller.subject,
        trace_id = who.trace_id,
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
    who: Who<'_>,
    tool: &str,
    plugin: &str,
    cluster: &str,
    reason: &dyn Display,
    outcome: Outcome,
    started: Instant,
) {
    tracing::info!(
        target: "kube_mcp::audit",
        issuer = %who.caller.issuer,
        subject = %who.caller.subject,
        trace_id = who.trace_id,
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
pub fn export_denied(who: Who<'_>, export: &Export, reason: &dyn Display, what: &str) {
    tracing::info!(
        target: "kube_mcp::audit",
        issuer = %who.caller.issuer,
        subject = %who.caller.subject,
        trace_id = who.trace_id,
        export = export.name,
        plugin = export.plugin,
        cluster = export.cluster,
        decision = "deny",
        reason = %reason,
        "{what}"
    );
}
