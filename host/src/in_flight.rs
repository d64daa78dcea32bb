//! The server's in-flight limit: MCP requests beyond it are shed at once,
//! never queued.
//!
//! The one rule of overload (docs/configuration.md, *Overload*): a request
//! over the **server's** limit gets `503 Service Unavailable` with
//! `Retry-After` before anything of it runs; a call over a **caller's** or a
//! **plugin's** limit gets the tool-level busy error (see
//! [`crate::plugins::busy`]). Either way the answer comes at once, so memory
//! stays bounded by the limits rather than by how fast clients send.
//!
//! A request holds its slot until its response body ends: a streamed (SSE)
//! answer counts for as long as it streams. Only `POST`s count: they carry
//! the calls; a `GET` opens a session's notification stream and a `DELETE`
//! ends a session.
//!
//! Once the server drains (SIGTERM), every new `POST` gets the same 503: the
//! calls already running finish, and the client retries elsewhere.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Requests served at once unless configured.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// How long a shed client is told to wait.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The server's in-flight requests, and its limit.
#[derive(Debug)]
pub struct InFlight {
    slots: Arc<Semaphore>,
    limit: usize,
    /// Shutting down: no new request is served.
    draining: AtomicBool,
}

impl InFlight {
    pub fn new(limit: usize) -> Arc<InFlight> {
        Arc::new(InFlight {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            draining: AtomicBool::new(false),
        })
    }

    /// From now on every new request is shed; those running go on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Requests being served now.
    pub fn current(&self) -> usize {
        self.limit - self.slots.available_permits()
    }
}

/// Middleware: serves a `POST` if a slot is free, holding the slot until
/// its response body ends; answers 503 with `Retry-After` otherwise.
pub async fn shed(
    State(in_flight): State<Arc<InFlight>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    if in_flight.draining.load(Ordering::Acquire) {
        return busy("server shutting down: this request was not started; retry (another replica)");
    }
    let Ok(slot) = in_flight.slots.clone().try_acquire_owned() else {
        return busy(&format!(
            "server busy: {} requests are in flight, its limit",
            in_flight.limit
        ));
    };
    next.run(request)
        .await
        .map(|body| Body::new(Holding { body, _slot: slot }))
}

/// The busy answer: 503, `Retry-After`, and a JSON-RPC error a client can
/// show (no request id: the request was not read).
fn busy(why: &str) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {
            "code": -32000,
            "message": format!("{why}; retry after {} s", RETRY_AFTER.as_secs()),
        },
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(RETRY_AFTER.as_secs()),
    );
    response
}

/// A response body that keeps its request's slot until it ends (or is
/// dropped: a client that goes away frees it too).
struct Holding {
    body: Body,
    _slot: OwnedSemaphorePermit,
}

impl http_body::Body for Holding {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use tower::ServiceExt as _;

    #[tokio::test]
    async fn beyond_the_limit_requests_are_shed_at_once_and_a_slot_lasts_as_long_as_its_body() {
        let in_flight = InFlight::new(1);
        let (release, held) = tokio::sync::oneshot::channel::<()>();
        let held = Arc::new(tokio::sync::Mutex::new(Some(held)));
        let app = axum::Router::new()
            .route(
                "/mcp",
                post(move || {
                    let held = held.clone();
                    async move {
                        // The first request's body streams until released.
                        let waiting = held.lock().await.take();
                        let stream = futures_util::stream::once(async move {
                            if let Some(waiting) = waiting {
                                let _ = waiting.await;
                            }
                            Ok::<_, std::convert::Infallible>(Bytes::from_static(b"done"))
                        });
                        Body::from_stream(stream)
                    }
                }),
            )
            .route("/mcp", axum::routing::get(|| async { "stream" }))
            .layer(axum::middleware::from_fn_with_state(
                in_flight.clone(),
                shed,
            ));
        let request = |method: Method| {
            Request::builder()
                .method(method)
                .uri("/mcp")
                .body(Body::empty())
                .unwrap()
        };
        let first = app.clone().oneshot(request(Method::POST)).await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(in_flight.current(), 1, "its body has not ended");
        let shed = app.clone().oneshot(request(Method::POST)).await.unwrap();
        assert_eq!(shed.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(shed.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(shed.into_body(), 4096).await.unwrap();
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("server busy: 1 requests are in flight")
        );
        let get = app.clone().oneshot(request(Method::GET)).await.unwrap();
        assert_eq!(get.status(), StatusCode::OK, "GETs are not counted");
        release.send(()).unwrap();
        let body = axum::body::to_bytes(first.into_body(), 4096).await.unwrap();
        assert_eq!(&body[..], b"done");
        assert_eq!(in_flight.current(), 0, "the slot ended with the body");
        let again = app.clone().oneshot(request(Method::POST)).await.unwrap();
        assert_eq!(again.status(), StatusCode::OK);
        in_flight.start_draining();
        let drained = app.oneshot(request(Method::POST)).await.unwrap();
        assert_eq!(drained.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(drained.into_body(), 4096)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("server shutting down"));
    }
}
