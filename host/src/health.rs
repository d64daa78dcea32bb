//! Liveness (`/health`) and readiness (`/readyz`).
//!
//! Liveness only says the process answers. Readiness says the server can do
//! its job: every component that registered with [`Readiness`] is ready and
//! shutdown has not begun. Which component is not ready is logged, never
//! sent: the endpoints are unauthenticated.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Shared readiness of the server's components.
#[derive(Clone, Debug, Default)]
pub struct Readiness {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    components: Mutex<Vec<Component>>,
    draining: AtomicBool,
}

/// One component's readiness flag, held by the component that sets it.
#[derive(Clone, Debug)]
pub struct Component {
    name: std::borrow::Cow<'static, str>,
    ready: Arc<AtomicBool>,
}

impl Component {
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}

impl Readiness {
    /// Registers a component that starts not ready.
    pub fn component(&self, name: impl Into<std::borrow::Cow<'static, str>>) -> Component {
        let component = Component {
            name: name.into(),
            ready: Arc::default(),
        };
        self.inner
            .components
            .lock()
            .expect("readiness lock poisoned")
            .push(component.clone());
        component
    }

    /// Marks the server as shutting down: from now on it reports not ready,
    /// so load balancers stop sending new requests.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::Release);
    }

    /// `Ok` when ready; otherwise the reasons, for the log.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut pending: Vec<String> = self
            .inner
            .components
            .lock()
            .expect("readiness lock poisoned")
            .iter()
            .filter(|c| !c.ready.load(Ordering::Acquire))
            .map(|c| c.name.to_string())
            .collect();
        if self.inner.draining.load(Ordering::Acquire) {
            pending.push("shutting down".into());
        }
        if pending.is_empty() {
            Ok(())
        } else {
            Err(pending)
        }
    }
}

/// `GET /health`: the process is alive.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when ready to serve, 503 otherwise.
pub async fn readyz(State(readiness): State<Readiness>) -> (StatusCode, Json<Value>) {
    match readiness.check() {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(pending) => {
            tracing::debug!(?pending, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not ready" })),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_component_is_and_not_draining() {
        let readiness = Readiness::default();
        assert_eq!(readiness.check(), Ok(()));
        let plugins = readiness.component("plugins");
        assert_eq!(readiness.check(), Err(vec!["plugins".to_string()]));
        plugins.set_ready(true);
        assert_eq!(readiness.check(), Ok(()));
        readiness.start_draining();
        assert_eq!(readiness.check(), Err(vec!["shutting down".to_string()]));
    }
}
