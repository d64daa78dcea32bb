//! The caller of an MCP request, read from the one verified [`Principal`]
//! authentication attached to it: the only accessor `mcp` uses.

use std::sync::Arc;

use rmcp::service::{RequestContext, RoleServer};

use crate::auth::{CallerId, Principal};

/// Who made a request: the verified principal, or the anonymous caller of a
/// server without authentication (stdio, `--no-auth`).
#[derive(Debug, Clone)]
pub struct RequestCaller {
    principal: Arc<Principal>,
    verified: bool,
}

impl RequestCaller {
    /// The caller of the request `context` belongs to.
    pub fn of(context: &RequestContext<RoleServer>) -> RequestCaller {
        let verified = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Arc<Principal>>());
        match verified {
            Some(principal) => RequestCaller {
                principal: principal.clone(),
                verified: true,
            },
            None => RequestCaller {
                principal: Arc::new(Principal::anonymous()),
                verified: false,
            },
        }
    }

    /// The key of everything the caller owns: tasks, request state, slots.
    pub fn id(&self) -> &CallerId {
        &self.principal.id
    }

    /// The verified principal, for tool policy (`None` without
    /// authentication).
    pub fn verified(&self) -> Option<&Principal> {
        self.verified.then_some(&*self.principal)
    }

    /// The whole caller, for a plugin call.
    pub fn principal(&self) -> Arc<Principal> {
        self.principal.clone()
    }
}
