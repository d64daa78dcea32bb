//! A configuration that cannot be used stops the server before it listens,
//! with exit code 2 and one line naming the setting and what is wrong.

mod support;

use std::process::Output;

use support::kube_mcp;

/// Runs `kube-mcp serve` and returns its single stderr line, checking the
/// exit code and that nothing panicked.
fn rejected(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(lines[0].starts_with("kube-mcp: "), "{stderr}");
    lines[0].to_owned()
}

fn plugins_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn unknown_key_in_the_file() {
    let plugins = plugins_dir();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "plugins:\n  dir: {}\noidc:\n  issuerURL: https://idp.example.com\n",
            plugins.path().display()
        ),
    )
    .unwrap();
    let line = rejected(
        kube_mcp()
            .args(["serve", "--config"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    assert!(line.contains(&config.display().to_string()), "{line}");
    assert!(line.contains("oidc"), "{line}");
    assert!(line.contains("unknown field `issuerURL`"), "{line}");
    assert!(line.contains("line 4"), "{line}");
}

#[test]
fn malformed_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "port: 9000\n  host: [\n").unwrap();
    let line = rejected(
        kube_mcp()
            .args(["serve", "--config"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    assert!(line.contains("config file"), "{line}");
    assert!(line.contains("line 2"), "{line}");
}

#[test]
fn missing_config_file() {
    let line = rejected(
        kube_mcp()
            .args(["serve", "--config", "/nonexistent/kube-mcp.yaml"])
            .output()
            .unwrap(),
    );
    assert!(line.contains("/nonexistent/kube-mcp.yaml"), "{line}");
    assert!(line.contains("cannot read it"), "{line}");
}

#[test]
fn invalid_value_in_an_environment_variable() {
    let plugins = plugins_dir();
    let line = rejected(
        kube_mcp()
            .arg("serve")
            .env("KUBE_MCP_PLUGINS_DIR", plugins.path())
            .env("KUBE_MCP_PORT", "90000")
            .output()
            .unwrap(),
    );
    assert_eq!(
        line,
        "kube-mcp: invalid configuration: environment variable KUBE_MCP_PORT: \
         '90000' is not a port number (expected 0-65535)"
    );
}

#[test]
fn unsigned_tokens_refused_on_the_command_line() {
    let plugins = plugins_dir();
    let line = rejected(
        kube_mcp()
            .args([
                "serve",
                "--oidc-signing-method",
                "RS256,none",
                "--plugins-dir",
            ])
            .arg(plugins.path())
            .output()
            .unwrap(),
    );
    assert!(line.contains("flag --oidc-signing-method"), "{line}");
    assert!(
        line.contains("'none' (unsigned tokens) is never accepted"),
        "{line}"
    );
}

#[test]
fn allowed_and_disallowed_tools_together() {
    let plugins = plugins_dir();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "plugins: {{dir: {}}}\ntools:\n  disallowed: list_secrets,get_secret\n",
            plugins.path().display()
        ),
    )
    .unwrap();
    let line = rejected(
        kube_mcp()
            .args(["serve", "--config"])
            .arg(&config)
            .env("KUBE_MCP_ALLOWED_TOOLS", "list_pods")
            .output()
            .unwrap(),
    );
    assert!(
        line.contains("environment variable KUBE_MCP_ALLOWED_TOOLS and key 'tools.disallowed'"),
        "{line}"
    );
    assert!(line.contains("not both"), "{line}");
}

#[test]
fn plugins_dir_that_does_not_exist() {
    let line = rejected(
        kube_mcp()
            .args(["serve", "--plugins-dir", "/nonexistent/plugins"])
            .output()
            .unwrap(),
    );
    assert!(line.contains("flag --plugins-dir"), "{line}");
    assert!(line.contains("/nonexistent/plugins"), "{line}");
}

#[test]
fn unknown_flag() {
    let line = rejected(
        kube_mcp()
            .args(["serve", "--prot", "9000"])
            .output()
            .unwrap(),
    );
    assert!(line.contains("'--prot'"), "{line}");
    assert!(line.contains("'--port'"), "suggests the right flag: {line}");
}

#[test]
fn listen_failure_is_reported_without_a_panic() {
    // Hold a port, then ask the server to listen on it too.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let plugins = plugins_dir();
    let output = kube_mcp()
        .args(["serve", "--port", &port, "--plugins-dir"])
        .arg(plugins.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
