//! `kube-mcp serve` started with each configuration source answers the
//! unauthenticated routes, and the sources take precedence in order.

mod support;

use std::time::Duration;

use support::{Scratch, Server, get, kube_mcp};

fn assert_health_and_ready(server: &Server) {
    let health = get(server.addr, "/health");
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(health.json(), serde_json::json!({ "status": "ok" }));
    // Ready once the plugins directory is loaded; poll as a kubelet would.
    let deadline = std::time::Instant::now() + support::STARTUP_LIMIT;
    loop {
        let ready = get(server.addr, "/readyz");
        if ready.status == 200 {
            assert_eq!(ready.json(), serde_json::json!({ "status": "ready" }));
            break;
        }
        assert_eq!(ready.status, 503, "{ready:?}");
        assert_eq!(ready.json(), serde_json::json!({ "status": "not ready" }));
        assert!(std::time::Instant::now() < deadline, "never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serves_from_a_config_file() {
    let scratch = Scratch::new();
    let config = scratch
        .config("host: 127.0.0.1\nport: 0\nplugins:\n  dir: {plugins}\nlogging:\n  format: json\n");
    let mut command = kube_mcp();
    command.args(["serve", "--config"]).arg(&config);
    let server = Server::start(command);
    assert_eq!(server.addr.ip().to_string(), "127.0.0.1");
    assert_health_and_ready(&server);
}

#[test]
fn serves_from_environment_variables_only() {
    let scratch = Scratch::new();
    let mut command = kube_mcp();
    command
        .arg("serve")
        .env("KUBE_MCP_HOST", "127.0.0.1")
        .env("KUBE_MCP_PORT", "0")
        .env("KUBE_MCP_PLUGINS_DIR", scratch.plugins())
        .env("KUBE_MCP_LOG_FORMAT", "json")
        .env("KUBE_MCP_LOG_LEVEL", "debug");
    let server = Server::start(command);
    assert_health_and_ready(&server);
}

#[test]
fn serves_from_flags_only() {
    let scratch = Scratch::new();
    let server = Server::start(scratch.serve(&[
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-format",
        "json",
    ]));
    assert_health_and_ready(&server);
}

#[test]
fn unknown_routes_are_404_and_health_is_get_only() {
    let scratch = Scratch::new();
    let server = Server::start(scratch.serve(&["--port", "0", "--log-format", "json"]));
    assert_eq!(get(server.addr, "/nope").status, 404);
    assert_eq!(
        support::request(server.addr, reqwest::Method::POST, "/health").status,
        405
    );
}

/// Flag beats environment beats file; the log format shows which won.
#[test]
fn flags_beat_environment_beats_file() {
    let scratch = Scratch::new();
    let config = scratch
        .config("port: 0\nplugins: {dir: {plugins}}\nlogging: {format: text, level: error}\n");

    // The environment overrides the file's format and level: JSON at info.
    let mut command = kube_mcp();
    command
        .args(["serve", "--config"])
        .arg(&config)
        .env("KUBE_MCP_LOG_FORMAT", "json")
        .env("KUBE_MCP_LOG_LEVEL", "info");
    let server = Server::start(command);
    assert_health_and_ready(&server);
    drop(server);

    // A flag overrides the environment: at --log-level error nothing is
    // logged. The port is chosen up front because no "listening" line will
    // say it; once /health answers, that line would have been written.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut command = kube_mcp();
    command
        .args([
            "serve",
            "--log-level",
            "error",
            "--port",
            &port.to_string(),
            "--config",
        ])
        .arg(&config)
        .env("KUBE_MCP_LOG_FORMAT", "json")
        .env("KUBE_MCP_LOG_LEVEL", "info")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let mut child = command.spawn().unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = std::time::Instant::now() + support::STARTUP_LIMIT;
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "server exited early");
        assert!(
            std::time::Instant::now() < deadline,
            "server never listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get(addr, "/health").status, 200);
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.trim().is_empty(),
        "--log-level error must hide info lines:\n{stderr}"
    );
}

#[test]
fn help_documents_every_option() {
    let output = kube_mcp().args(["serve", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for option in [
        "--config",
        "--host",
        "--port",
        "--base-url",
        "--allowed-origins",
        "--shutdown-timeout",
        "--oidc-issuer-url",
        "--oidc-client-id",
        "--oidc-signing-method",
        "--oidc-scopes",
        "--allowed-tools",
        "--disallowed-tools",
        "--plugins-dir",
        "--kubeconfig",
        "--out-of-cluster",
        "--log-level",
        "--log-format",
    ] {
        assert!(help.contains(option), "serve --help lacks {option}");
        let env = format!("KUBE_MCP_{}", option[2..].to_uppercase().replace('-', "_"));
        assert!(help.contains(&env), "serve --help lacks {env}");
    }
    let output = kube_mcp().arg("--help").output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8(output.stdout).unwrap().contains("serve"));
}

/// The server loads the plugins directory at start, reports a broken file
/// with its path and reason, and is ready once loading is done.
#[test]
fn loads_plugins_and_reports_broken_ones() {
    let scratch = Scratch::new();
    let plugins = scratch.plugins();
    std::fs::copy(
        support::built_plugin("conformance"),
        plugins.join("conformance.wasm"),
    )
    .unwrap();
    std::fs::write(plugins.join("broken.wasm"), "not a component").unwrap();
    let mut server = Server::start(scratch.serve(&["--port", "0", "--log-format", "json"]));
    let summary = server.wait_for_log("\"plugins loaded\"", support::STARTUP_LIMIT);
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["plugins"], 1);
    assert_eq!(summary["tools"], 33);
    assert_eq!(summary["failed"], 1);
    let broken = server
        .log
        .iter()
        .find(|l| l.contains("cannot load plugin"))
        .expect("broken plugin reported");
    assert!(broken.contains("broken.wasm"), "{broken}");
    assert!(
        broken.contains("not a valid WebAssembly component"),
        "{broken}"
    );
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("\"loaded plugin\"") && l.contains("conformance"))
    );
    assert_health_and_ready(&server);
}

/// A running server loads a plugin dropped into its directory, and unloads it
/// when it is removed, without a restart.
#[test]
fn picks_up_plugins_added_and_removed_while_running() {
    let scratch = Scratch::new();
    let mut server = Server::start(scratch.serve(&["--port", "0", "--log-format", "json"]));
    server.wait_for_log("\"plugins loaded\"", support::STARTUP_LIMIT);
    let target = scratch.plugins().join("greeter.wasm");
    std::fs::copy(support::built_test_plugin("greeter-v1"), &target).unwrap();
    let loaded = server.wait_for_log("\"loaded plugin\"", support::STARTUP_LIMIT);
    assert!(loaded.contains("\"plugin\":\"greeter\""), "{loaded}");
    std::fs::remove_file(&target).unwrap();
    let unloaded = server.wait_for_log("\"unloaded plugin\"", support::STARTUP_LIMIT);
    assert!(unloaded.contains("\"plugin\":\"greeter\""), "{unloaded}");
    assert_health_and_ready(&server);
}

/// A restart with unchanged plugins takes their compiled code from the cache.
#[test]
fn a_restart_with_a_warm_cache_compiles_nothing() {
    let scratch = Scratch::new();
    std::fs::copy(
        support::built_plugin("conformance"),
        scratch.plugins().join("conformance.wasm"),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let args = [
        "--port",
        "0",
        "--log-format",
        "json",
        "--plugin-cache-dir",
        cache_dir,
    ];
    let summary = |server: &mut Server| -> serde_json::Value {
        let line = server.wait_for_log("\"plugins loaded\"", support::STARTUP_LIMIT);
        serde_json::from_str(&line).unwrap()
    };
    let mut first = Server::start(scratch.serve(&args));
    let cold = summary(&mut first);
    assert_eq!(
        (cold["compiled"].as_u64(), cold["from_cache"].as_u64()),
        (Some(1), Some(0))
    );
    drop(first);
    let mut second = Server::start(scratch.serve(&args));
    let warm = summary(&mut second);
    assert_eq!(
        (warm["compiled"].as_u64(), warm["from_cache"].as_u64()),
        (Some(0), Some(1))
    );
}

/// Without authentication configured and without `--no-auth`, nothing but
/// health and readiness is served: MCP is never exposed unauthenticated.
#[test]
fn mcp_is_off_unless_no_auth_is_given() {
    let scratch = Scratch::new();
    let mut server = Server::start(scratch.serve(&["--port", "0", "--log-format", "json"]));
    server.wait_for_log("the MCP endpoint is off", support::STARTUP_LIMIT);
    assert_eq!(support::get(server.addr, "/mcp").status, 404);
    assert_eq!(support::get(server.addr, "/").status, 404);
    assert_eq!(support::get(server.addr, "/health").status, 200);

    let mut open =
        Server::start(scratch.serve(&["--port", "0", "--log-format", "json", "--no-auth"]));
    open.wait_for_log("WITHOUT AUTHENTICATION", support::STARTUP_LIMIT);
    // A GET without `Accept: text/event-stream` reaches MCP and is refused
    // by it (406), not by the router (404).
    assert_eq!(support::get(open.addr, "/mcp").status, 406);
}
