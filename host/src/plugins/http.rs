//! `wasi:http` for guests that import it, with every request refused.
//!
//! Plugins reach the network only through the `kubernetes` interface, which
//! checks each request against the plugin's grant. Some toolchains import
//! `wasi:http` whether the plugin uses it or not (componentize-js does by
//! default, for `fetch`), so the host links the interfaces, lets a guest
//! build requests, and answers every one it sends with `HTTP-request-denied`
//! before anything leaves the process: `fetch` rejects cleanly and the
//! instance goes on.

use wasmtime_wasi::ResourceTable;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks};

/// Hooks whose `send_request` refuses everything.
#[derive(Debug, Default)]
pub struct DenyAllHttp;

impl WasiHttpHooks for DenyAllHttp {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _response_errors: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<wasmtime_wasi_http::WasiBody>,
                    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
                )>,
            > + Send,
    > {
        tracing::debug!(uri = %request.uri(), "refused a plugin's outgoing HTTP request");
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

/// The `wasi:http` state of one call.
#[derive(Debug, Default)]
pub struct HttpState {
    ctx: WasiHttpCtx,
    hooks: DenyAllHttp,
}

impl HttpState {
    /// The view `wasi:http` works on, over this state and the call's
    /// resource table.
    pub fn view<'a>(&'a mut self, table: &'a mut ResourceTable) -> WasiHttpCtxView<'a> {
        WasiHttpCtxView {
            ctx: &mut self.ctx,
            table,
            hooks: &mut self.hooks,
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::{BodyExt, Empty};

    use super::*;

    /// The request never leaves: whatever a guest sends is refused with
    /// `HTTP-request-denied`, which `fetch` reports as a network error.
    #[tokio::test]
    async fn every_request_is_refused() {
        let body = Empty::<bytes::Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        let request = http::Request::builder()
            .uri("https://example.com/")
            .body(body)
            .unwrap();
        let sent = DenyAllHttp.send_request(request, None, Box::new(async { Ok(()) }));
        let refused = std::pin::Pin::from(sent).await;
        assert!(
            matches!(refused, Err(wasmtime_wasi_http::Error::HttpRequestDenied)),
            "{:?}",
            refused.err()
        );
    }
}
