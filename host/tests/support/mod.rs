//! Runs the real `kube-mcp` binary for tests, and asks it things over HTTP
//! with reqwest. (The shutdown tests keep a raw socket for the one request
//! they must send by halves.)

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Generous: the machines running CI are small and shared. No test asserts a
/// duration; these only bound how long a broken build can hang.
pub const STARTUP_LIMIT: Duration = Duration::from_secs(60);
pub const EXIT_LIMIT: Duration = Duration::from_secs(60);

/// A `kube-mcp` command with a clean environment: no `KUBE_MCP_*` variable
/// leaks in from the developer's shell.
pub fn kube_mcp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kube-mcp"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("KUBE_MCP_") {
            command.env_remove(name);
        }
    }
    // The default compiled-code cache lives under XDG_CACHE_HOME: keep it
    // out of the developer's home.
    command.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join(format!("kube-mcp-test-cache-{}", std::process::id())),
    );
    command.stdin(Stdio::null());
    command
}

/// A temporary directory with an empty `plugins/` folder, and a place for
/// a configuration file.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("plugins")).unwrap();
        Scratch { dir }
    }

    pub fn plugins(&self) -> std::path::PathBuf {
        self.dir.path().join("plugins")
    }

    /// Writes `config.yaml`; `{plugins}` in `yaml` stands for [`Self::plugins`].
    pub fn config(&self, yaml: &str) -> std::path::PathBuf {
        let path = self.dir.path().join("config.yaml");
        let plugins = self.plugins().display().to_string();
        std::fs::write(&path, yaml.replace("{plugins}", &plugins)).unwrap();
        path
    }

    /// `kube-mcp serve --plugins-dir <plugins> <args>`.
    pub fn serve(&self, args: &[&str]) -> Command {
        let mut command = kube_mcp();
        command
            .arg("serve")
            .arg("--plugins-dir")
            .arg(self.plugins())
            .args(args);
        command
    }
}

/// A running server whose stderr is collected line by line.
pub struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub log: Vec<String>,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `command` (which must log JSON) and waits for its "listening"
    /// line to learn the address it bound.
    pub fn start(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kube-mcp");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            log: Vec::new(),
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        let listening = server.wait_for_log("\"listening\"", STARTUP_LIMIT);
        let event: serde_json::Value = serde_json::from_str(&listening).expect("JSON log line");
        server.addr = event["addr"].as_str().unwrap().parse().unwrap();
        server
    }

    /// Waits for a log line containing `needle`; panics with the log so far.
    pub fn wait_for_log(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line with {needle} (exit: {:?}); log:\n{}",
                    self.child.try_wait(),
                    self.log.join("\n")
                ),
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit and collects the rest of its log.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + EXIT_LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader thread ends at EOF; drain what it has.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
                    self.log.push(line);
                }
                return status;
            }
            if Instant::now() > deadline {
                self.child.kill().ok();
                panic!("kube-mcp did not exit; log:\n{}", self.log.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// Sends `method path` with an empty body and reads the response.
pub fn request(addr: SocketAddr, method: reqwest::Method, path: &str) -> Response {
    let response = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
        .request(method, format!("http://{addr}{path}"))
        .send()
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Response {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: response.text().expect("a body"),
    }
}

/// Sends a `GET` and reads the response.
pub fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, reqwest::Method::GET, path)
}

/// Where `make build` puts the first-party plugins (`KUBE_MCP_TEST_PLUGINS`
/// overrides it for a different target directory).
pub fn built_plugin(name: &str) -> std::path::PathBuf {
    built("KUBE_MCP_TEST_PLUGINS", "../target/plugins", name)
}

/// Where `make build` puts the plugins written for tests.
pub fn built_test_plugin(name: &str) -> std::path::PathBuf {
    built("KUBE_MCP_TEST_ONLY_PLUGINS", "../target/test-plugins", name)
}

/// Where `make build` puts the example plugins.
pub fn built_example(name: &str) -> std::path::PathBuf {
    built("KUBE_MCP_TEST_EXAMPLES", "../target/examples", name)
}

fn built(variable: &str, default: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::var_os(variable)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(default));
    let path = dir.join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: build the plugins first with `make build` (`make test` does)",
        path.display()
    );
    path
}

/// The caller `subject` at the tests' issuer.
pub fn caller_named(subject: &str) -> std::sync::Arc<kube_mcp::auth::Principal> {
    std::sync::Arc::new(kube_mcp::auth::Principal::named(kube_mcp::auth::CallerId {
        issuer: "https://idp.test".into(),
        subject: subject.into(),
    }))
}

/// The caller identity tests pass to plugin calls.
pub fn caller() -> std::sync::Arc<kube_mcp::auth::Principal> {
    caller_named("tester")
}

/// A call by [`caller`] with no client to talk back to.
pub fn context() -> kube_mcp::plugins::CallContext {
    kube_mcp::plugins::CallContext::new(caller())
}
