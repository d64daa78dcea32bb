//! MCP: the protocol face of the plugins, over Streamable HTTP and stdio.
//!
//! [`McpHandler`] is an rmcp `ServerHandler` that lists the plugins' tools,
//! prompts, resources and completions and runs calls in them, with the
//! calling client as each call's [`ClientPeer`](crate::plugins::ClientPeer)
//! (progress, logging, elicitation, sampling). [`Sessions`] keeps the
//! connected sessions and tells them when the plugins change.
//!
//! A request passes through, in order: `owners` (whose session it names),
//! `handler` (the session), `request` (its caller, read once by
//! [`RequestCaller`]), then the file that serves it — `tool_call`,
//! `listing` or `exports` — with `audit` writing its decision. `contexts`
//! adds and takes the `context` argument when there are several clusters.

// Logging, sampling and `resources/subscribe` are deprecated by the
// 2026-07-28 revision (SEP-2577), and still what 2025-06-18 and 2025-11-25
// clients use; both are served.
#![allow(deprecated)]

mod audit;
mod caller;
mod contexts;
mod convert;
mod exports;
mod handler;
pub mod http;
mod listing;
mod owners;
mod peer;
mod request;
mod round_trip;
mod sessions;
mod shared;
mod tasks;
mod tool_call;

pub use self::caller::RequestCaller;
pub use self::convert::call_result;
pub use self::handler::McpHandler;
pub use self::listing::PAGE_SIZE;
pub use self::round_trip::{MIN_SECRET_BYTES as MIN_STATE_KEY_BYTES, StateKey};
pub use self::sessions::Sessions;
pub use self::shared::Shared;
pub use self::tasks::Tasks;

/// Serves MCP over stdin and stdout until the client closes them.
pub async fn serve_stdio(shared: Shared) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    let service = McpHandler::new(shared)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("the MCP handshake on stdio failed: {e}"))?;
    service.waiting().await?;
    Ok(())
}
