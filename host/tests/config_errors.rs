//! A configuration that cannot be used stops the server before it listens,
//! with exit code 2 and one line naming the setting and what is wrong.

mod support;

use std::process::Command;

use support::{Scratch, kube_mcp};

/// Runs `command` and returns its single stderr line, checking the exit code
/// and that nothing panicked.
fn rejected(command: &mut Command) -> String {
    let output = command.output().expect("run kube-mcp");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(lines[0].starts_with("kube-mcp: "), "{stderr}");
    lines[0].to_owned()
}

fn with_config(yaml: &str) -> (Scratch, std::path::PathBuf, Command) {
    let scratch = Scratch::new();
    let config = scratch.config(yaml);
    let mut command = kube_mcp();
    command.args(["serve", "--config"]).arg(&config);
    (scratch, config, command)
}

#[test]
fn unknown_key_in_the_file() {
    let (_scratch, config, mut command) =
        with_config("plugins:\n  dir: {plugins}\noidc:\n  issuerURL: https://idp.example.com\n");
    let line = rejected(&mut command);
    assert!(line.contains(&config.display().to_string()), "{line}");
    assert!(
        line.contains("oidc.issuerURL: unknown field `issuerURL`"),
        "{line}"
    );
    assert!(line.contains("line 4"), "{line}");
}

#[test]
fn malformed_yaml() {
    let (_scratch, _config, mut command) = with_config("port: 9000\n  host: [\n");
    let line = rejected(&mut command);
    assert!(line.contains("config file"), "{line}");
    assert!(line.contains("line 2"), "{line}");
}

#[test]
fn missing_config_file() {
    let line = rejected(kube_mcp().args(["serve", "--config", "/nonexistent/kube-mcp.yaml"]));
    assert!(line.contains("/nonexistent/kube-mcp.yaml"), "{line}");
    assert!(line.contains("cannot read it"), "{line}");
}

#[test]
fn invalid_value_in_an_environment_variable() {
    let scratch = Scratch::new();
    let line = rejected(scratch.serve(&[]).env("KUBE_MCP_PORT", "90000"));
    assert_eq!(
        line,
        "kube-mcp: invalid configuration: environment variable KUBE_MCP_PORT: \
         '90000' is not a port number (expected 0-65535)"
    );
}

#[test]
fn answer_settings_name_their_source_and_the_allowed_values() {
    let scratch = Scratch::new();
    let line = rejected(&mut scratch.serve(&["--list-output", "wide"]));
    assert_eq!(
        line,
        "kube-mcp: invalid configuration: flag --list-output: \
         'wide' is not a list output: use table, yaml or json"
    );
    let line = rejected(scratch.serve(&[]).env("KUBE_MCP_ANSWER_BUDGET", "1MiB"));
    assert_eq!(
        line,
        "kube-mcp: invalid configuration: environment variable KUBE_MCP_ANSWER_BUDGET: \
         '1MiB' is not between 2KiB and 512KiB"
    );
    let (_scratch, config, mut command) =
        with_config("plugins: {dir: {plugins}}\nkubernetes:\n  answerBudget: 100\n");
    let line = rejected(&mut command);
    assert!(
        line.contains(&format!(
            "key 'kubernetes.answerBudget' in {}",
            config.display()
        )),
        "{line}"
    );
    assert!(
        line.ends_with("'100' is not between 2KiB and 512KiB"),
        "{line}"
    );
}

#[test]
fn unsigned_tokens_refused_on_the_command_line() {
    let scratch = Scratch::new();
    let line = rejected(&mut scratch.serve(&["--oidc-signing-method", "RS256,none"]));
    assert!(line.contains("flag --oidc-signing-method"), "{line}");
    assert!(
        line.contains("'none' (unsigned tokens) is never accepted"),
        "{line}"
    );
}

#[test]
fn allowed_and_disallowed_tools_together() {
    let (_scratch, _config, mut command) =
        with_config("plugins: {dir: {plugins}}\ntools:\n  disallowed: list_secrets,get_secret\n");
    let line = rejected(command.env("KUBE_MCP_ALLOWED_TOOLS", "list_pods"));
    assert!(
        line.contains("environment variable KUBE_MCP_ALLOWED_TOOLS and key 'tools.disallowed'"),
        "{line}"
    );
    assert!(line.contains("not both"), "{line}");
}

#[test]
fn plugins_dir_that_does_not_exist() {
    let line = rejected(kube_mcp().args(["serve", "--plugins-dir", "/nonexistent/plugins"]));
    assert!(line.contains("flag --plugins-dir"), "{line}");
    assert!(line.contains("/nonexistent/plugins"), "{line}");
}

#[test]
fn unknown_flag() {
    let line = rejected(kube_mcp().args(["serve", "--prot", "9000"]));
    assert!(line.contains("'--prot'"), "{line}");
    assert!(line.contains("'--port'"), "suggests the right flag: {line}");
}

#[test]
fn listen_failure_is_reported_without_a_panic() {
    // Hold a port, then ask the server to listen on it too.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let scratch = Scratch::new();
    let output = scratch.serve(&["--port", &port]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn no_auth_is_refused_off_loopback() {
    let scratch = Scratch::new();
    let line = rejected(
        scratch
            .serve(&["--host", "0.0.0.0", "--port", "0"])
            .env("KUBE_MCP_NO_AUTH", "true"),
    );
    assert_eq!(
        line,
        "kube-mcp: invalid configuration: environment variable KUBE_MCP_NO_AUTH: serving without \
         authentication is only allowed on a loopback address, and the server listens on 0.0.0.0"
    );
    let (_scratch, config, mut command) = with_config(
        "plugins:\n  dir: {plugins}\nhost: 10.1.2.3\nnoAuth: yes\nmcp:\n  requestTimeout: soon\n",
    );
    let line = rejected(&mut command);
    assert!(
        line.contains("key 'noAuth'") && line.contains(&config.display().to_string()),
        "{line}"
    );
}

#[test]
fn mcp_settings_name_their_key() {
    let (_scratch, _config, mut command) =
        with_config("plugins:\n  dir: {plugins}\nmcp:\n  maxRequestBody: lots\n");
    let line = rejected(&mut command);
    assert!(line.contains("key 'mcp.maxRequestBody'"), "{line}");
    let scratch = Scratch::new();
    let line = rejected(&mut scratch.serve(&["--metrics-listen", "9090"]));
    assert!(
        line.contains("--metrics-listen: '9090' is not an address:port"),
        "{line}"
    );
}

#[test]
fn authentication_settings_name_their_key() {
    let scratch = Scratch::new();
    let line = rejected(&mut scratch.serve(&[
        "--oidc-issuer-url",
        "https://idp.example.com",
        "--oidc-signing-method",
        "RS256,HS256",
    ]));
    assert!(
        line.contains("--oidc-signing-method: HS256 needs its shared secret in a file"),
        "{line}"
    );
    let short = scratch.config("short secret\n");
    let line = rejected(
        scratch
            .serve(&[
                "--oidc-issuer-url",
                "https://idp.example.com",
                "--oidc-signing-method",
                "HS256",
            ])
            .arg("--oidc-hs256-secret-file")
            .arg(&short),
    );
    assert!(
        line.contains("--oidc-hs256-secret-file") && line.contains("use at least 32"),
        "{line}"
    );

    let (_s, _c, mut command) =
        with_config("plugins:\n  dir: {plugins}\noidc:\n  issuers:\n    - audience: [a]\n");
    let line = rejected(&mut command);
    assert!(
        line.contains("key 'oidc.issuers[0]'") && line.contains("missing issuerUrl"),
        "{line}"
    );
    let (_s, _c, mut command) = with_config(
        "plugins:\n  dir: {plugins}\noidc:\n  issuers:\n    - issuerUrl: https://a.example.com\n      signingMethod: [none]\n",
    );
    let line = rejected(&mut command);
    assert!(
        line.contains("key 'oidc.issuers[0].signingMethod'") && line.contains("never accepted"),
        "{line}"
    );
}

#[test]
fn tool_rules_need_exactly_one_effect() {
    let (_s, _c, mut command) = with_config(
        "plugins:\n  dir: {plugins}\ntools:\n  rules:\n    - allow: [a]\n      deny: [b]\n",
    );
    let line = rejected(&mut command);
    assert!(
        line.contains("key 'tools.rules[0].allow'") && line.contains("key 'tools.rules[0].deny'"),
        "{line}"
    );
    let (_s, _c, mut command) =
        with_config("plugins:\n  dir: {plugins}\ntools:\n  rules:\n    - when: {groups: [x]}\n");
    let line = rejected(&mut command);
    assert!(
        line.contains("key 'tools.rules[0]'") && line.contains("needs 'allow' or 'deny'"),
        "{line}"
    );
    let (_s, _c, mut command) = with_config(
        "plugins:\n  dir: {plugins}\ntools:\n  rules:\n    - allow: [a]\n      when: {team: x}\n",
    );
    let line = rejected(&mut command);
    assert!(
        line.contains("tools.rules[0].when") && line.contains("unknown field `team`"),
        "{line}"
    );
}
