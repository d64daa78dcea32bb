//! The plugin author's commands: `plugin new`, `plugin call`, `plugin
//! compile`, and what `validate` and `inspect` add for authors (warnings,
//! arguments, the compiled-code cache).

mod support;

use support::kube_mcp;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = kube_mcp().args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn new_writes_a_self_contained_project_per_language() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, entry, build) in [
        ("rust", "src/lib.rs", "make"),
        (
            "typescript",
            "src/plugin.ts",
            "npm install && npm run build",
        ),
        ("python", "app.py", "./build.sh"),
    ] {
        let project = dir.path().join(lang);
        let (code, stdout, stderr) = run(&[
            "plugin",
            "new",
            "team-pods",
            "--lang",
            lang,
            "--dir",
            path(&project),
        ]);
        assert_eq!(code, Some(0), "{lang}: {stderr}");
        assert!(stdout.contains(&format!("&& {build}")), "{stdout}");
        let source = std::fs::read_to_string(project.join(entry)).unwrap();
        assert!(source.contains("team_pods_pods"), "{lang}: {source}");
        assert!(
            source.contains("\"team-pods\"") || source.contains("'team-pods'"),
            "{lang}"
        );
        // The WIT package travels with the project (inside the vendored
        // crate for Rust), and nothing points back into this repository.
        let wit = if lang == "rust" {
            "vendor/kube-mcp-plugin/wit"
        } else {
            "wit"
        };
        let world = std::fs::read_to_string(project.join(wit).join("world.wit")).unwrap();
        assert!(world.contains("package kube-mcp:plugin@0.1.3;"));
        let manifest = ["Cargo.toml", "package.json"]
            .iter()
            .filter_map(|m| std::fs::read_to_string(project.join(m)).ok())
            .collect::<String>();
        assert!(!manifest.contains("workspace = true"), "{lang}: {manifest}");
        assert!(
            !manifest.contains(env!("CARGO_MANIFEST_DIR")),
            "{lang}: {manifest}"
        );
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
        assert!(
            readme.contains("plugins:\n  grants:\n    team-pods:"),
            "{readme}"
        );
    }
}

#[test]
fn new_explains_what_it_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&[
        "plugin",
        "new",
        "Team_Pods",
        "--lang",
        "rust",
        "--dir",
        path(dir.path()),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("plugin name 'Team_Pods' must be 1-63 lowercase letters"),
        "{stderr}"
    );

    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let (code, _, stderr) = run(&[
        "plugin",
        "new",
        "pods",
        "--lang",
        "python",
        "--dir",
        path(dir.path()),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("already exists and is not empty"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
        "mine"
    );

    let (code, _, stderr) = run(&["plugin", "new", "pods", "--lang", "cobol"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("invalid value 'cobol'"), "{stderr}");
}

#[test]
fn call_runs_one_tool_without_a_server() {
    let hello = support::built_example("hello");
    let (code, stdout, stderr) = run(&[
        "plugin",
        "call",
        path(&hello),
        "greet",
        "--args",
        r#"{"name": "Ada"}"#,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("Hello, Ada!"), "{stdout}");

    // The whole MCP result, structured content included.
    let (code, stdout, stderr) = run(&[
        "plugin",
        "call",
        path(&hello),
        "add",
        "--args",
        r#"{"a": 2, "b": 40}"#,
        "--json",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["structuredContent"]["sum"], 42, "{stdout}");

    let (code, _, stderr) = run(&[
        "plugin",
        "call",
        path(&hello),
        "greet",
        "--args",
        r#"{"name": 5}"#,
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("invalid arguments: name: invalid type: integer `5`, expected a string"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["plugin", "call", path(&hello), "wave"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("plugin 'hello' has no tool 'wave'; it offers: greet, add"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["plugin", "call", path(&hello), "greet", "--args", "[1]"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--args must be a JSON object"), "{stderr}");
}

#[test]
fn call_grants_what_the_plugin_requests_unless_the_configuration_says() {
    // No cluster here: the point is which grant applies, which the gateway
    // decides before any request is sent.
    let scratch = support::Scratch::new();
    let core = support::built_plugin("kube-core");
    let kubeconfig = scratch.plugins().with_file_name("kubeconfig.yaml");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
         clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: c, context: {cluster: c, user: u}}]\n",
    )
    .unwrap();
    let args = r#"{"namespace": "demo"}"#;
    let (code, stdout, stderr) = run(&[
        "plugin",
        "call",
        path(&core),
        "list_pods",
        "--args",
        args,
        "--kubeconfig",
        path(&kubeconfig),
    ]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stderr.contains(
            "no plugins.grants.kube-core in the configuration: granting what the plugin requests"
        ),
        "{stderr}"
    );
    assert!(!stdout.contains("denied by grant"), "{stdout}");

    let config = scratch.config(
        "plugins:\n  grants:\n    kube-core:\n      - {verbs: [list], apiGroups: [\"\"], resources: [pods], namespaces: [other]}\n",
    );
    let (code, stdout, stderr) = run(&[
        "plugin",
        "call",
        path(&core),
        "list_pods",
        "--args",
        args,
        "--kubeconfig",
        path(&kubeconfig),
        "--config",
        path(&config),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        !stderr.contains("granting what the plugin requests"),
        "{stderr}"
    );
    assert!(
        stdout.contains("denied by grant: list on pods in namespace demo"),
        "{stdout}"
    );
}

#[test]
fn validate_warns_about_memory_and_missing_grants() {
    let scratch = support::Scratch::new();
    let core = support::built_plugin("kube-core");
    // A limit a fresh instance already fills an eighth of.
    let config = scratch.config("plugins:\n  limits:\n    memory: 4MiB\n");
    let (code, stdout, stderr) =
        run(&["plugin", "validate", "--config", path(&config), path(&core)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("valid plugin 'kube-core'"), "{stdout}");
    assert!(
        stderr.contains("warning: a fresh instance already holds")
            && stderr.contains("of its 4 MiB memory limit"),
        "{stderr}"
    );
    assert!(
        stderr.contains("raise plugins.overrides.kube-core.limits.memory"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: it requests Kubernetes access but the configuration has no plugins.grants.kube-core"),
        "{stderr}"
    );

    // The default limit, and no configuration to judge grants by: silent.
    let (code, _, stderr) = run(&["plugin", "validate", path(&core)]);
    assert_eq!(code, Some(0));
    assert_eq!(stderr, "");
}

#[test]
fn validate_and_inspect_show_views_and_the_origins_not_granted() {
    let scratch = support::Scratch::new();
    let hostile = support::built_test_plugin("hostile-view");
    // Its view asks for https://exfil.example (connect) and
    // https://cdn.exfil.example (resources); the operator grants the second.
    let config = scratch.config(
        "plugins:\n  overrides:\n    hostile-view:\n      apps:\n        domains: [\"https://cdn.exfil.example\"]\n",
    );
    let (code, stdout, stderr) = run(&[
        "plugin",
        "validate",
        "--config",
        path(&config),
        path(&hostile),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("valid plugin 'hostile-view' 1.0.0 with 2 tool(s) and 1 view(s)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("warning: a view asks for ui://hostile-view/steal connect-domains https://exfil.example, which plugins.overrides.hostile-view.apps.domains does not grant"),
        "{stderr}"
    );
    assert!(!stderr.contains("cdn.exfil.example"), "{stderr}");

    let (code, stdout, stderr) = run(&[
        "plugin",
        "inspect",
        "--config",
        path(&config),
        path(&hostile),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("hostile_view_ping   For the view only. [read-only] [app-only]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ui://hostile-view/steal  steal (")
            && stdout.contains("may reach https://cdn.exfil.example)"),
        "{stdout}"
    );

    // A bad origin in the configuration names its key.
    let bad = scratch.config(
        "plugins:\n  overrides:\n    hostile-view:\n      apps:\n        domains: [\"https://a.example; script-src *\"]\n",
    );
    let (code, _, stderr) = run(&["plugin", "validate", "--config", path(&bad), path(&hostile)]);
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("plugins.overrides.hostile-view.apps.domains")
            && stderr.contains("must be scheme://host[:port]"),
        "{stderr}"
    );
}

#[test]
fn inspect_validate_and_compile_share_the_compiled_code_cache() {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("compiled");
    let hello = support::built_example("hello");
    let compile = |file: &std::path::Path| {
        run(&[
            "plugin",
            "compile",
            "--plugin-cache-dir",
            path(&cache_dir),
            path(file),
        ])
    };
    let (code, stdout, stderr) = compile(&hello);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(": compiled 'hello'"), "{stdout}");
    let entries = std::fs::read_dir(&cache_dir).unwrap().count();
    assert_eq!(entries, 1);

    let (_, stdout, _) = compile(&hello);
    assert!(stdout.contains(": already cached: 'hello'"), "{stdout}");
    // inspect reads the same entry rather than compiling a second one.
    let (code, stdout, _) = run(&[
        "plugin",
        "inspect",
        "--plugin-cache-dir",
        path(&cache_dir),
        path(&hello),
    ]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("args: name (string, required), shout (boolean)"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_dir(&cache_dir).unwrap().count(), entries);

    let (code, _, stderr) = run(&[
        "plugin",
        "compile",
        "--plugin-cache-dir",
        "none",
        path(&hello),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("the compiled-code cache is off"),
        "{stderr}"
    );
}

#[test]
fn wit_writes_the_package_the_server_speaks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wit");
    let (code, stdout, stderr) = run(&["plugin", "wit", path(&out)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("wrote kube-mcp:plugin@0.1.3"), "{stdout}");
    let repo_wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let mut expected: Vec<String> = std::fs::read_dir(&repo_wit)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".wit"))
        .collect();
    expected.sort();
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, expected, "every .wit file, nothing else");
    for name in &expected {
        assert_eq!(
            std::fs::read_to_string(out.join(name)).unwrap(),
            std::fs::read_to_string(repo_wit.join(name)).unwrap(),
            "{name}"
        );
    }
    let (code, _, stderr) = run(&["plugin", "wit", path(&out)]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("already exists and is not empty"),
        "{stderr}"
    );
}

#[test]
fn compile_takes_directories() {
    let cache = tempfile::tempdir().unwrap();
    let plugins = tempfile::tempdir().unwrap();
    for name in ["kube-core", "kube-ops"] {
        std::fs::copy(
            support::built_plugin(name),
            plugins.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(plugins.path().join("notes.txt"), "not a plugin").unwrap();
    let (code, stdout, stderr) = run(&[
        "plugin",
        "compile",
        "--plugin-cache-dir",
        path(cache.path()),
        path(plugins.path()),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("compiled 'kube-core'") && stdout.contains("compiled 'kube-ops'"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 2);
}
