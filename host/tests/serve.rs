//! `kube-mcp serve` started with each configuration source answers the
//! unauthenticated routes, and the sources take precedence in order.

mod support;

use std::time::Duration;

use support::{Server, get, kube_mcp};

fn plugins_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

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
    let plugins = plugins_dir();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "host: 127.0.0.1\nport: 0\nplugins:\n  dir: {}\nlogging:\n  format: json\n",
            plugins.path().display()
        ),
    )
    .unwrap();
    let mut command = kube_mcp();
    command.args(["serve", "--config"]).arg(&config);
    let server = Server::start(command);
    assert_eq!(server.addr.ip().to_string(), "127.0.0.1");
    assert_health_and_ready(&server);
}

#[test]
fn serves_from_environment_variables_only() {
    let plugins = plugins_dir();
    let mut command = kube_mcp();
    command
        .arg("serve")
        .env("KUBE_MCP_HOST", "127.0.0.1")
        .env("KUBE_MCP_PORT", "0")
        .env("KUBE_MCP_PLUGINS_DIR", plugins.path())
        .env("KUBE_MCP_LOG_FORMAT", "json")
        .env("KUBE_MCP_LOG_LEVEL", "debug");
    let server = Server::start(command);
    assert_health_and_ready(&server);
}

#[test]
fn serves_from_flags_only() {
    let plugins = plugins_dir();
    let mut command = kube_mcp();
    command
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-format",
            "json",
        ])
        .arg("--plugins-dir")
        .arg(plugins.path());
    let server = Server::start(command);
    assert_health_and_ready(&server);
}

#[test]
fn unknown_routes_are_404_and_health_is_get_only() {
    let plugins = plugins_dir();
    let mut command = kube_mcp();
    command
        .args(["serve", "--port", "0", "--log-format", "json"])
        .arg("--plugins-dir")
        .arg(plugins.path());
    let server = Server::start(command);
    assert_eq!(get(server.addr, "/nope").status, 404);
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"POST /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(support::read_response(&mut stream).status, 405);
}

/// Flag beats environment beats file; the log format shows which won.
#[test]
fn flags_beat_environment_beats_file() {
    let plugins = plugins_dir();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "port: 0\nplugins: {{dir: {}}}\nlogging: {{format: text, level: error}}\n",
            plugins.path().display()
        ),
    )
    .unwrap();

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

    // A flag overrides the environment: with --log-level error the info-level
    // "listening" line must not appear, and stderr stays empty.
    let mut command = kube_mcp();
    command
        .args(["serve", "--log-level", "error", "--config"])
        .arg(&config)
        .env("KUBE_MCP_LOG_FORMAT", "json")
        .env("KUBE_MCP_LOG_LEVEL", "info")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let mut child = command.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(child.try_wait().unwrap().is_none(), "server exited early");
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("listening"),
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
    let plugins = plugins_dir();
    std::fs::copy(
        support::built_plugin("conformance"),
        plugins.path().join("conformance.wasm"),
    )
    .unwrap();
    std::fs::write(plugins.path().join("broken.wasm"), "not a component").unwrap();
    let mut command = kube_mcp();
    command
        .args(["serve", "--port", "0", "--log-format", "json"])
        .arg("--plugins-dir")
        .arg(plugins.path());
    let mut server = Server::start(command);
    let summary = server.wait_for_log("\"plugins loaded\"", support::STARTUP_LIMIT);
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["plugins"], 1);
    assert_eq!(summary["tools"], 6);
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
