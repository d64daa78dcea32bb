//! One caller is an issuer and a subject together: with two trusted
//! issuers, the same `sub` at each is two people. One of them cannot read,
//! cancel or answer the other's task, nor replay the other's request state
//! (MCP 2026-07-28), over the HTTP app in-process with the conformance
//! plugin and two HS256 issuers signed here.

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
use kube_mcp::policy::tools::ToolPolicy;
use kube_mcp::server::{AppState, Endpoint, app};

const BASE: &str = "http://localhost:9000";
const VERSION: &str = "2026-07-28";
const TASKS: &str = "io.modelcontextprotocol/tasks";

/// Two issuers, each with its own HS256 secret.
const CORP: (&str, &[u8]) = (
    "https://corp.example.com",
    b"the-corp-issuer-hs256-secret-32b",
);
const PARTNER: (&str, &[u8]) = (
    "https://partner.example.com",
    b"the-partner-hs256-secret-32bytes",
);

fn issuer((url, secret): (&str, &[u8])) -> TrustedIssuer {
    let config = IssuerConfig {
        algorithms: vec![SigningAlgorithm::HS256],
        hs256_secret: Some(Secret(secret.to_vec())),
        ..IssuerConfig::new(url).unwrap()
    };
    let keys = IssuerKeys::preloaded(config.issuer_url.clone(), &JwkSet { keys: Vec::new() });
    TrustedIssuer::new(config, vec![format!("{BASE}/mcp")], keys)
}

/// The conformance plugin behind both issuers.
async fn two_issuer_app() -> axum::Router {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_plugin("conformance"),
        dir.path().join("conformance.wasm"),
    )
    .unwrap();
    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let plugins = PluginHost::new(runtime, dir.path().into());
    plugins.reload().await.unwrap();
    drop(dir);
    let auth = Arc::new(Auth {
        validator: Validator {
            issuers: vec![issuer(CORP), issuer(PARTNER)],
            leeway: Duration::from_secs(30),
            impersonate: false,
            cache: Default::default(),
        },
        base_url: BASE.into(),
        scopes: Vec::new(),
    });
    let shared = Shared {
        plugins: plugins.clone(),
        sessions: Arc::new(Sessions::default()),
        request_timeout: Duration::from_secs(30),
        metrics: Arc::default(),
        policy: Arc::new(ToolPolicy {
            filter: ToolFilter::All,
            rules: Vec::new(),
        }),
        state_key: Arc::new(StateKey::random()),
        tasks: Arc::new(Tasks::new(Duration::from_secs(60), 4)),
    };
    let endpoint = Endpoint {
        shared,
        options: HttpOptions {
            stateless: true,
            allowed_hosts: vec!["localhost".into()],
            allowed_origins: Vec::new(),
            max_request_body: 64 << 10,
            in_flight: kube_mcp::in_flight::InFlight::new(256),
            shutdown: CancellationToken::new(),
        },
        auth: Some(auth),
    };
    let state = AppState {
        readiness: Readiness::default(),
        plugins,
    };
    app(state, Some(endpoint), Arc::default())
}

/// A token for `sub` from `issuer`.
fn token((url, secret): (&str, &[u8]), sub: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": url, "aud": format!("{BASE}/mcp"), "sub": sub,
        "iat": now, "exp": now + 600,
    });
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// A 2026-07-28 request of `method` with `params`, by the bearer of `token`;
/// the JSON-RPC response.
async fn post(app: &axum::Router, token: &str, method: &str, mut params: Value) -> Value {
    let name = match method {
        m if m.starts_with("tasks/") => params["taskId"].clone(),
        _ => params["name"].clone(),
    };
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}, "extensions": {TASKS: {}}},
        "io.modelcontextprotocol/clientInfo": {"name": "identity-test", "version": "1"},
    });
    let mut request = Request::post("/mcp")
        .header(header::HOST, "localhost:9000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("mcp-protocol-version", VERSION)
        .header("mcp-method", method);
    if let Some(name) = name.as_str() {
        request = request.header("mcp-name", name);
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{method}");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    // A JSON body, or the last data line of an event stream.
    let last = if text.trim_start().starts_with('{') {
        text
    } else {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or_else(|| panic!("no message in {text:?}"))
            .to_owned()
    };
    serde_json::from_str(&last).unwrap()
}

fn unknown_task(response: &Value, id: &str) -> bool {
    response["error"]["message"] == json!(format!("unknown task '{id}'"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_subject_at_another_issuer_cannot_touch_a_task() {
    let app = two_issuer_app().await;
    let (owner, namesake) = (token(CORP, "alice"), token(PARTNER, "alice"));
    let started = post(
        &app,
        &owner,
        "tools/call",
        json!({"name": "slow_compute", "arguments": {"seconds": 120, "label": "x"}}),
    )
    .await;
    let id = started["result"]["taskId"]
        .as_str()
        .unwrap_or_else(|| panic!("no task in {started}"))
        .to_owned();

    for (method, params) in [
        ("tasks/get", json!({"taskId": id})),
        (
            "tasks/update",
            json!({"taskId": id, "inputResponses": {"x": {"action": "decline"}}}),
        ),
        ("tasks/cancel", json!({"taskId": id})),
    ] {
        let answer = post(&app, &namesake, method, params).await;
        assert!(
            unknown_task(&answer, &id),
            "{method} by the namesake: {answer}"
        );
    }
    // The owner still sees it running, and may cancel it.
    let seen = post(&app, &owner, "tasks/get", json!({"taskId": id})).await;
    assert_eq!(seen["result"]["status"], json!("working"), "{seen}");
    let cancelled = post(&app, &owner, "tasks/cancel", json!({"taskId": id})).await;
    assert!(cancelled.get("error").is_none(), "{cancelled}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_subject_at_another_issuer_cannot_replay_request_state() {
    let app = two_issuer_app().await;
    let (owner, namesake) = (token(CORP, "alice"), token(PARTNER, "alice"));
    let call = json!({"name": "test_input_required_result_request_state", "arguments": {}});
    let first = post(&app, &owner, "tools/call", call.clone()).await;
    assert_eq!(
        first["result"]["resultType"],
        json!("input_required"),
        "{first}"
    );
    let mut answered = call.clone();
    answered["requestState"] = first["result"]["requestState"].clone();
    answered["inputResponses"] = json!({"confirm": {"action": "accept", "content": {"ok": true}}});

    let replayed = post(&app, &namesake, "tools/call", answered.clone()).await;
    let message = replayed["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("requestState is refused"),
        "the namesake's replay must be refused: {replayed}"
    );
    let resumed = post(&app, &owner, "tools/call", answered).await;
    assert!(
        resumed["result"]["content"].is_array() && resumed["result"]["isError"] != json!(true),
        "{resumed}"
    );
}
