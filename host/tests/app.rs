//! The HTTP app in-process (`server::app` driven with `tower::ServiceExt::
//! oneshot`): the 401/403 challenges, the Protected Resource Metadata, the
//! JSON-RPC guard and per-caller tool policy, with no socket and no IdP.
//! Tokens are HS256, signed here.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, jwk::JwkSet};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use kube_mcp::auth::Auth;
use kube_mcp::auth::keys::IssuerKeys;
use kube_mcp::auth::validate::{TrustedIssuer, Validator};
use kube_mcp::config::{IssuerConfig, PluginSettings, Secret, SigningAlgorithm, ToolFilter};
use kube_mcp::health::Readiness;
use kube_mcp::mcp::{Sessions, Shared, StateKey, Tasks, http::HttpOptions};
use kube_mcp::plugins::{PluginHost, Runtime};
use kube_mcp::policy::tools::{Condition, Effect, ToolPolicy, ToolRule};
use kube_mcp::server::{AppState, Endpoint, app};

const ISSUER: &str = "https://idp.example.com";
const BASE: &str = "http://localhost:9000";
const SECRET: &[u8] = b"an-hs256-secret-of-32-bytes-len!";

/// The greeter test plugin (tool `hello`, ...) behind an HS256 issuer;
/// the `viewers` group may not use `hello`.
async fn test_app() -> axum::Router {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_test_plugin("greeter-v1"),
        dir.path().join("greeter.wasm"),
    )
    .unwrap();
    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let plugins = PluginHost::new(runtime, dir.path().into());
    plugins.reload().await.unwrap();
    // The files are compiled and held; the folder may go.
    drop(dir);

    let config = IssuerConfig {
        required_scopes: vec!["mcp".into()],
        algorithms: vec![SigningAlgorithm::HS256],
        hs256_secret: Some(Secret(SECRET.to_vec())),
        ..IssuerConfig::new(ISSUER).unwrap()
    };
    let keys = IssuerKeys::preloaded(config.issuer_url.clone(), &JwkSet { keys: Vec::new() });
    let auth = Arc::new(Auth {
        validator: Validator {
            issuers: vec![TrustedIssuer::new(
                config,
                vec![format!("{BASE}/mcp")],
                keys,
            )],
            leeway: Duration::from_secs(30),
            impersonate: false,
            cache: Default::default(),
        },
        base_url: BASE.into(),
        scopes: vec!["mcp".into()],
    });
    let policy = ToolPolicy {
        filter: ToolFilter::All,
        rules: vec![ToolRule {
            clusters: Vec::new(),
            effect: Effect::Deny,
            patterns: vec!["hello".into()],
            when: Condition {
                groups: vec!["viewers".into()],
                ..Condition::default()
            },
        }],
    };
    let shared = Shared {
        plugins: plugins.clone(),
        sessions: Arc::new(Sessions::default()),
        request_timeout: Duration::from_secs(30),
        metrics: Arc::default(),
        policy: Arc::new(policy),
        state_key: Arc::new(StateKey::random()),
        tasks: Arc::new(Tasks::new(Duration::from_secs(60), 4)),
    };
    let options = HttpOptions {
        stateless: true,
        allowed_hosts: vec!["localhost".into()],
        allowed_origins: Vec::new(),
        max_request_body: 64 << 10,
        in_flight: kube_mcp::in_flight::InFlight::new(256),
        shutdown: CancellationToken::new(),
    };
    let state = AppState {
        readiness: Readiness::default(),
        plugins,
    };
    let endpoint = Endpoint {
        shared,
        options,
        auth: Some(auth),
    };
    app(state, Some(endpoint), Arc::default())
}

fn token(claims: Value) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut all = json!({
        "iss": ISSUER, "aud": format!("{BASE}/mcp"), "sub": "alice",
        "iat": now, "exp": now + 600, "scope": "mcp",
    });
    all.as_object_mut()
        .unwrap()
        .extend(claims.as_object().unwrap().clone());
    encode(
        &Header::new(Algorithm::HS256),
        &all,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

/// A JSON-RPC POST to `/mcp`, with `token` as the bearer when given.
fn rpc(token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post("/mcp")
        .header(header::HOST, "localhost:9000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, String, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, challenge, body)
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
const LIST_TOOLS: &str = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;

#[tokio::test]
async fn no_token_gets_a_challenge_that_names_the_metadata() {
    let app = test_app().await;
    let (status, challenge, _) = send(&app, rpc(None, INITIALIZE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge,
        format!(
            "Bearer resource_metadata=\"{BASE}/.well-known/oauth-protected-resource/mcp\", \
             scope=\"mcp\""
        )
    );
}

#[tokio::test]
async fn a_bad_token_is_refused_and_told_why() {
    let app = test_app().await;
    let (status, challenge, _) = send(&app, rpc(Some("not-a-jwt"), INITIALIZE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        challenge.contains("error_description=\"the token is not a JWT"),
        "{challenge}"
    );
    let wrong_audience = token(json!({"aud": "https://elsewhere.example.com"}));
    let (status, challenge, _) = send(&app, rpc(Some(&wrong_audience), INITIALIZE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

#[tokio::test]
async fn a_token_without_the_scope_gets_403_insufficient_scope() {
    let app = test_app().await;
    let unscoped = token(json!({"scope": "openid"}));
    let (status, challenge, _) = send(&app, rpc(Some(&unscoped), INITIALIZE)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"mcp\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn the_protected_resource_metadata_names_resource_issuer_and_scopes() {
    let app = test_app().await;
    for (path, resource) in [
        (
            "/.well-known/oauth-protected-resource/mcp",
            format!("{BASE}/mcp"),
        ),
        ("/.well-known/oauth-protected-resource", format!("{BASE}/")),
    ] {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let (status, _, body) = send(&app, request).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body["resource"], json!(resource), "{path}");
        assert_eq!(body["authorization_servers"], json!([ISSUER]));
        assert_eq!(body["scopes_supported"], json!(["mcp"]));
        assert_eq!(body["bearer_methods_supported"], json!(["header"]));
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_rpc_gets_a_json_rpc_error() {
    let app = test_app().await;
    let good = token(json!({}));
    let (status, _, body) = send(&app, rpc(Some(&good), "{not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], json!(-32700), "{body}");
    let (status, _, body) = send(&app, rpc(Some(&good), r#"{"hello":"world"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], json!(-32600), "{body}");
}

/// Tool names `tools/list` answers for a caller in `groups`.
async fn tools_for(app: &axum::Router, groups: &[&str]) -> Vec<String> {
    let bearer = token(json!({"groups": groups}));
    let (status, _, body) = send(app, rpc(Some(&bearer), INITIALIZE)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = send(app, rpc(Some(&bearer), LIST_TOOLS)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut names: Vec<String> = body["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools in {body}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn each_caller_sees_the_tools_the_policy_gives_them() {
    let app = test_app().await;
    let greeter = tools_for(&app, &["greeters"]).await;
    let other = tools_for(&app, &["viewers"]).await;
    assert!(greeter.iter().any(|t| t == "hello"), "{greeter:?}");
    assert!(!other.iter().any(|t| t == "hello"), "{other:?}");
    let without: Vec<_> = greeter.iter().filter(|t| *t != "hello").cloned().collect();
    assert_eq!(other, without, "only `hello` differs");
}

/// Log lines written while `work` runs, as JSON objects.
async fn logged<T>(work: impl Future<Output = T>) -> (T, Vec<Value>) {
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_target(true)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime has one thread: every task of the request logs here.
    let _default = tracing::subscriber::set_default(subscriber);
    let out = work.await;
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out, lines)
}

fn call_hello() -> String {
    r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"hello","arguments":{}}}"#
        .into()
}

#[tokio::test]
async fn every_tool_call_writes_one_audit_line_with_its_decision() {
    let app = test_app().await;
    let viewer = token(json!({"groups": ["viewers"], "sub": "vera"}));
    let greeter = token(json!({"groups": ["greeters"], "sub": "gil"}));
    let ((), lines) = logged(async {
        for bearer in [&viewer, &greeter] {
            let (status, _, _) = send(&app, rpc(Some(bearer), INITIALIZE)).await;
            assert_eq!(status, StatusCode::OK);
            let (status, _, body) = send(&app, rpc(Some(bearer), &call_hello())).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    })
    .await;
    let audit: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == "kube_mcp::audit" && l["message"] == "tool call")
        .collect();
    assert_eq!(audit.len(), 2, "one line per call: {lines:#?}");
    let (denied, allowed) = (audit[0], audit[1]);
    assert_eq!(
        (&denied["subject"], &denied["decision"], &denied["reason"]),
        (
            &json!("vera"),
            &json!("deny"),
            &json!("denied by tools.rules[0]")
        )
    );
    assert_eq!(
        (
            &allowed["subject"],
            &allowed["decision"],
            &allowed["outcome"]
        ),
        (&json!("gil"), &json!("allow"), &json!("ok"))
    );
    assert_eq!(allowed["tool"], json!("hello"));
    assert_eq!(allowed["plugin"], json!("greeter"));
    let logged_tokens = lines
        .iter()
        .any(|l| l.to_string().contains(&viewer) || l.to_string().contains(&greeter));
    assert!(!logged_tokens, "a token reached the log");
}
