//! The bearer-token guard in front of MCP, and the Protected Resource
//! Metadata (RFC 9728) that tells clients how to get a token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::validate::{AuthError, Rejection, Validator};

/// What the guard and the metadata documents need.
pub struct Auth {
    pub validator: Validator,
    /// The public base URL, without a trailing slash.
    pub base_url: String,
    /// Scopes advertised to clients (`scopes_supported`, the challenge's
    /// `scope`).
    pub scopes: Vec<String>,
}

impl Auth {
    /// The PRM document URL for a request to `path`: the path-suffixed form
    /// for `/mcp`, the root form for `/`.
    fn metadata_url(&self, path: &str) -> String {
        let suffix = path.trim_end_matches('/');
        format!(
            "{}/.well-known/oauth-protected-resource{suffix}",
            self.base_url
        )
    }

    /// The resource a request to `path` addresses.
    fn resource(&self, path: &str) -> String {
        let suffix = path.trim_end_matches('/');
        if suffix.is_empty() {
            format!("{}/", self.base_url)
        } else {
            format!("{}{suffix}", self.base_url)
        }
    }

    fn challenge(&self, path: &str, error: &AuthError) -> Response {
        let quote = |s: &str| s.replace(['"', '\\'], "'");
        let (status, code, scopes) = match error {
            AuthError::Missing => (StatusCode::UNAUTHORIZED, None, self.scopes.clone()),
            AuthError::InQuery => (
                StatusCode::UNAUTHORIZED,
                Some("invalid_request"),
                self.scopes.clone(),
            ),
            AuthError::Invalid(_) | AuthError::Refused(_) => (
                StatusCode::UNAUTHORIZED,
                Some("invalid_token"),
                self.scopes.clone(),
            ),
            AuthError::InsufficientScope { required, .. } => (
                StatusCode::FORBIDDEN,
                Some("insufficient_scope"),
                required.clone(),
            ),
            AuthError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, None, Vec::new()),
        };
        let mut value = format!(
            "Bearer resource_metadata=\"{}\"",
            quote(&self.metadata_url(path))
        );
        if !scopes.is_empty() {
            value.push_str(&format!(", scope=\"{}\"", quote(&scopes.join(" "))));
        }
        if let Some(code) = code {
            value.push_str(&format!(
                ", error=\"{code}\", error_description=\"{}\"",
                quote(&error.to_string())
            ));
        }
        let body = json!({
            "error": code.unwrap_or(match status {
                StatusCode::SERVICE_UNAVAILABLE => "temporarily_unavailable",
                _ => "unauthorized",
            }),
            "error_description": error.to_string(),
        });
        let mut response = (status, axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// The bearer token of a request: only from the `Authorization` header.
fn bearer(request: &Request) -> Result<&str, AuthError> {
    let in_query = request.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    });
    if in_query {
        return Err(AuthError::InQuery);
    }
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Err(AuthError::Missing);
    };
    let value = value
        .to_str()
        .map_err(|_| AuthError::Invalid(Rejection::HeaderNotText))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(AuthError::Missing),
    }
}

/// Lets a request through with its verified caller attached (one
/// `Arc<`[`Principal`](super::Principal)`>`), or answers 401/403 with the
/// challenge. Tokens never reach the log.
pub async fn require_bearer(
    State(auth): State<Arc<Auth>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    // CORS preflights carry no credentials by design.
    if request.method() == axum::http::Method::OPTIONS {
        return next.run(request).await;
    }
    let span = tracing::info_span!(
        target: crate::traces::TARGET,
        "authenticate",
        outcome = tracing::field::Empty,
    );
    let outcome = match bearer(&request) {
        Ok(token) => {
            tracing::Instrument::instrument(auth.validator.validate(token), span.clone()).await
        }
        Err(e) => Err(e),
    };
    span.record(
        "outcome",
        if outcome.is_ok() {
            "verified"
        } else {
            "refused"
        },
    );
    match outcome {
        Ok(principal) => {
            // The one verified caller; every view of it is read from here.
            request.extensions_mut().insert(Arc::new(principal));
            next.run(request).await
        }
        Err(error) => {
            if let AuthError::Refused(reason) = &error {
                tracing::warn!(target: "kube_mcp::audit", %path, %reason, "token refused");
            } else if error != AuthError::Missing {
                tracing::info!(target: "kube_mcp::auth", %path, reason = %error, "request refused");
            }
            auth.challenge(&path, &error)
        }
    }
}

/// `GET /.well-known/oauth-protected-resource[/mcp]`: where to get a token
/// for this resource.
pub async fn protected_resource_metadata(
    State(auth): State<Arc<Auth>>,
    request: Request,
) -> Response {
    let suffix = request
        .uri()
        .path()
        .strip_prefix("/.well-known/oauth-protected-resource")
        .unwrap_or("");
    let mut algorithms: Vec<&str> = auth
        .validator
        .issuers
        .iter()
        .flat_map(|i| i.config.algorithms.iter().map(|a| a.as_str()))
        .collect();
    algorithms.sort_unstable();
    algorithms.dedup();
    let body = json!({
        "resource": auth.resource(suffix),
        "authorization_servers": auth
            .validator
            .issuers
            .iter()
            .map(|i| i.config.issuer_url.as_str().trim_end_matches('/').to_owned())
            .collect::<Vec<_>>(),
        "scopes_supported": auth.scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "kube-mcp",
        "resource_documentation": "https://github.com/kube-mcp/kube-mcp#readme",
        "resource_signing_alg_values_supported": algorithms,
    });
    ([(header::CACHE_CONTROL, "max-age=300")], axum::Json(body)).into_response()
}
