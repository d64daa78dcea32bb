//! Who each stateful session belongs to: the caller (issuer and subject)
//! whose `initialize` created it. A request naming a session of another
//! caller is answered as if the session did not exist, so a leaked session
//! id is worth nothing to another user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{CallerId, Principal};

const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");

/// Owners are forgotten after this long (sessions end long before).
const REMEMBERED: Duration = Duration::from_secs(24 * 3600);

/// Session id → the caller that created it.
#[derive(Default)]
pub struct SessionOwners {
    owners: Mutex<HashMap<String, (Owner, Instant)>>,
}

type Owner = CallerId;

impl SessionOwners {
    fn owner_of(&self, session: &str) -> Option<Owner> {
        let owners = self.owners.lock().expect("owners lock");
        owners.get(session).map(|(owner, _)| owner.clone())
    }

    fn record(&self, session: String, owner: Owner) {
        let mut owners = self.owners.lock().expect("owners lock");
        if owners.len() >= 10_000 {
            let now = Instant::now();
            owners.retain(|_, (_, since)| now.duration_since(*since) < REMEMBERED);
        }
        owners.insert(session, (owner, Instant::now()));
    }

    fn forget(&self, session: &str) {
        self.owners.lock().expect("owners lock").remove(session);
    }
}

/// The middleware: runs inside authentication, so the [`Principal`] is
/// known. Without one (no authentication) sessions are not bound.
pub async fn bind_sessions(
    State(owners): State<Arc<SessionOwners>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(caller) = request
        .extensions()
        .get::<Arc<Principal>>()
        .map(|p| p.id.clone())
    else {
        return next.run(request).await;
    };
    let named = request
        .headers()
        .get(SESSION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(session) = &named
        && let Some(owner) = owners.owner_of(session)
        && owner != caller
    {
        tracing::warn!(
            target: "kube_mcp::audit",
            issuer = %caller.issuer,
            subject = %caller.subject,
            "a session of another caller was named; answered as unknown"
        );
        // What the transport answers for a session it does not know.
        return (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response();
    }
    let deleting = request.method() == Method::DELETE;
    let response = next.run(request).await;
    match (named, response.headers().get(SESSION_ID)) {
        (None, Some(created)) => {
            if let Ok(created) = created.to_str() {
                owners.record(created.to_owned(), caller);
            }
        }
        (Some(session), _) if deleting && response.status().is_success() => {
            owners.forget(&session);
        }
        _ => {}
    }
    response
}
