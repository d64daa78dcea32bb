//! Loading real plugin components from a directory, and calling them.

mod support;

use std::path::Path;

use kube_mcp::config::PluginSettings;
use kube_mcp::plugins::{LoadError, PluginHost, Runtime};
use kube_mcp::wit::types::{CallError, Content, ResourceContents};

fn copy_conformance(dir: &Path, as_name: &str) {
    std::fs::copy(support::built_plugin("conformance"), dir.join(as_name)).unwrap();
}

#[tokio::test]
async fn broken_files_are_reported_and_the_rest_load() {
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    let component = std::fs::read(dir.path().join("conformance.wasm")).unwrap();
    std::fs::write(dir.path().join("a-text-file.wasm"), "not wasm").unwrap();
    std::fs::write(
        dir.path().join("b-truncated.wasm"),
        &component[..component.len() / 2],
    )
    .unwrap();
    // A valid core module: WebAssembly, but not a component.
    std::fs::write(dir.path().join("c-core-module.wasm"), b"\0asm\x01\0\0\0").unwrap();
    // Ignored: not *.wasm, hidden, a directory.
    std::fs::write(dir.path().join("README.md"), "# plugins").unwrap();
    std::fs::write(dir.path().join(".hidden.wasm"), "x").unwrap();
    std::fs::create_dir(dir.path().join("..data")).unwrap();

    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let report = PluginHost::new(runtime, dir.path().into())
        .reload()
        .await
        .unwrap();

    let names: Vec<&str> = report.registry.plugins().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["conformance"]);
    let failed: Vec<String> = report
        .failures
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        failed,
        ["a-text-file.wasm", "b-truncated.wasm", "c-core-module.wasm"]
    );
    for failure in &report.failures {
        assert!(
            matches!(failure.error, LoadError::Compile(_)),
            "{}: {}",
            failure.path.display(),
            failure.error
        );
        assert!(
            !failure.error.to_string().contains('\n'),
            "{}",
            failure.error
        );
    }
}

#[tokio::test]
async fn a_plugin_is_named_by_its_file_not_by_itself() {
    // Grants bind to the name: a file that calls itself `conformance` (or
    // `kube-core`) gets nothing of that plugin's unless it is that file.
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    copy_conformance(dir.path(), "conformance-copy.wasm");
    std::fs::copy(
        support::built_plugin("kube-core"),
        dir.path().join("innocent.wasm"),
    )
    .unwrap();
    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let report = PluginHost::new(runtime, dir.path().into())
        .reload()
        .await
        .unwrap();
    let names: Vec<&str> = report.registry.plugins().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["conformance"]);
    let mut messages: Vec<String> = report
        .failures
        .iter()
        .map(|f| f.error.to_string())
        .collect();
    messages.sort();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0]
            .contains("it calls itself 'conformance', and its file names it 'conformance-copy'"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("it calls itself 'kube-core', and its file names it 'innocent'"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn an_extra_directory_never_shadows_a_name_of_the_main_one() {
    let (main, extra) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    copy_conformance(extra.path(), "conformance.wasm");
    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let host = PluginHost::with_extra_dirs(runtime, main.path().into(), vec![extra.path().into()]);
    let first = host.reload().await.unwrap();
    assert!(first.registry.plugins()[0].path.starts_with(extra.path()));
    // The operator's main directory gains the same name: it wins, even
    // though the extra one is serving.
    copy_conformance(main.path(), "conformance.wasm");
    let second = host.reload().await.unwrap();
    assert_eq!(second.registry.plugins().len(), 1);
    assert!(second.registry.plugins()[0].path.starts_with(main.path()));
    assert_eq!(second.failures.len(), 1);
    assert!(second.failures[0].path.starts_with(extra.path()));
    assert!(
        second.failures[0]
            .error
            .to_string()
            .contains("plugin name 'conformance' is already used by"),
        "{}",
        second.failures[0].error
    );
}

#[tokio::test]
async fn a_pinned_plugin_loads_only_with_its_digest() {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    let bytes = std::fs::read(dir.path().join("conformance.wasm")).unwrap();
    let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    let load = |pin: [u8; 32]| {
        let settings = PluginSettings {
            pins: std::collections::BTreeMap::from([("conformance".to_owned(), pin)]),
            ..PluginSettings::default()
        };
        let runtime = Runtime::new(settings, None).unwrap();
        let host = PluginHost::new(runtime, dir.path().into());
        async move { host.reload().await.unwrap() }
    };
    let pinned = load(digest).await;
    assert_eq!(pinned.registry.plugins().len(), 1);
    let swapped = load([7; 32]).await;
    assert!(swapped.registry.plugins().is_empty());
    let message = swapped.failures[0].error.to_string();
    assert!(
        message.contains("is not the one plugins.pins.conformance names (sha256:0707"),
        "{message}"
    );
}

#[tokio::test]
async fn tools_are_described_and_called_in_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let report = PluginHost::new(runtime, dir.path().into())
        .reload()
        .await
        .unwrap();
    let registry = &report.registry;

    let tools: Vec<&str> = registry.tools().map(|(_, t)| t.name.as_str()).collect();
    assert!(tools.contains(&"test_simple_text"), "{tools:?}");
    assert!(tools.contains(&"test_error_handling"), "{tools:?}");

    let (plugin, tool) = registry.tool("test_simple_text").unwrap();
    let schema: serde_json::Value = serde_json::from_str(&tool.input_schema).unwrap();
    assert_eq!(schema["type"], "object");

    let result = plugin
        .call_tool("test_simple_text", "{}", &support::context())
        .await
        .unwrap()
        .unwrap();
    assert!(!result.is_error);
    assert!(matches!(&result.content[..], [Content::Text(t)]
        if t.text == "This is a simple text response for testing."));

    let result = plugin
        .call_tool("test_image_content", "{}", &support::context())
        .await
        .unwrap()
        .unwrap();
    let [Content::Image(image)] = &result.content[..] else {
        panic!("expected one image: {result:?}")
    };
    assert_eq!(image.mime_type, "image/png");
    assert!(image.data.starts_with(b"\x89PNG\r\n\x1a\n"));

    let result = plugin
        .call_tool("test_multiple_content_types", "{}", &support::context())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.content.len(), 3);
    let Content::Resource(resource) = &result.content[2] else {
        panic!("expected an embedded resource: {result:?}")
    };
    assert_eq!(resource.uri, "test://mixed-content-resource");
    assert!(matches!(&resource.contents, ResourceContents::Text(t) if t.contains("123")));

    let result = plugin
        .call_tool("test_error_handling", "{}", &support::context())
        .await
        .unwrap()
        .unwrap();
    assert!(result.is_error);

    let refused = plugin
        .call_tool("no_such_tool", "{}", &support::context())
        .await
        .unwrap();
    assert!(matches!(refused, Err(CallError::UnknownTool(name)) if name == "no_such_tool"));
}

#[tokio::test]
async fn a_warm_cache_means_no_compilation() {
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    std::fs::copy(
        support::built_test_plugin("greeter-v1"),
        dir.path().join("greeter.wasm"),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();

    let cold = Runtime::new(PluginSettings::default(), Some(cache.path().into())).unwrap();
    let cold = PluginHost::new(cold, dir.path().into());
    cold.reload().await.unwrap();
    assert_eq!(cold.runtime().compilations(), (2, 0));

    // A restart: a new engine, the same cache directory.
    let warm = Runtime::new(PluginSettings::default(), Some(cache.path().into())).unwrap();
    let warm = PluginHost::new(warm, dir.path().into());
    let registry = warm.reload().await.unwrap().registry;
    assert_eq!(
        warm.runtime().compilations(),
        (0, 2),
        "no compilation with a warm cache"
    );
    let (plugin, _) = registry.tool("test_simple_text").unwrap();
    assert!(
        !plugin
            .call_tool("test_simple_text", "{}", &support::context())
            .await
            .unwrap()
            .unwrap()
            .is_error
    );

    // A damaged entry is not trusted: that plugin is compiled again.
    // Overwritten in place, while the warm runtime above still uses it.
    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::write(entry.path(), b"garbage").unwrap();
    let again = Runtime::new(PluginSettings::default(), Some(cache.path().into())).unwrap();
    let again = PluginHost::new(again, dir.path().into());
    assert_eq!(again.reload().await.unwrap().registry.plugins().len(), 2);
    assert_eq!(again.runtime().compilations(), (1, 1));
}

/// Loads conformance.wasm from `dir` with the cache at `cache`; the
/// compilations and cache hits of that load.
async fn load_cached(dir: &Path, cache: &Path) -> (u64, u64) {
    let runtime = Runtime::new(PluginSettings::default(), Some(cache.into())).unwrap();
    let host = PluginHost::new(runtime, dir.into());
    host.reload().await.unwrap();
    host.runtime().compilations()
}

#[tokio::test]
async fn a_cache_directory_others_may_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    let cache = tempfile::tempdir().unwrap();
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    assert_eq!(load_cached(dir.path(), cache.path()).await, (1, 0));
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing is written to a world-writable cache"
    );
    assert_eq!(load_cached(dir.path(), cache.path()).await, (1, 0));
    // A symlink to a private directory is not used either.
    let private = tempfile::tempdir().unwrap();
    let link = cache.path().join("link");
    std::os::unix::fs::symlink(private.path(), &link).unwrap();
    assert_eq!(load_cached(dir.path(), &link).await, (1, 0));
    assert_eq!(load_cached(dir.path(), &link).await, (1, 0));
}

#[tokio::test]
async fn a_cache_entry_that_is_a_symlink_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(load_cached(dir.path(), cache.path()).await, (1, 0));
    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("code.cwasm");
    std::fs::rename(&entry, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &entry).unwrap();
    assert_eq!(
        load_cached(dir.path(), cache.path()).await,
        (1, 0),
        "the symlinked entry was run"
    );
}

/// The cache directory is checked once and then held open: replacing it by
/// a symlink to another directory later sends no entry there.
#[tokio::test]
async fn a_cache_directory_swapped_for_a_symlink_later_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    copy_conformance(dir.path(), "conformance.wasm");
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let runtime = Runtime::new(PluginSettings::default(), Some(cache.clone())).unwrap();
    // After the check: the directory moves away and a link takes its place.
    let planted = tempfile::tempdir().unwrap();
    std::fs::rename(&cache, root.path().join("checked")).unwrap();
    std::os::unix::fs::symlink(planted.path(), &cache).unwrap();
    let host = PluginHost::new(runtime, dir.path().into());
    host.reload().await.unwrap();
    assert_eq!(
        std::fs::read_dir(planted.path()).unwrap().count(),
        0,
        "an entry was written through the planted link"
    );
    assert_eq!(
        std::fs::read_dir(root.path().join("checked"))
            .unwrap()
            .count(),
        1,
        "the entry goes to the directory that was checked"
    );
}

/// A component of the `tool-plugin` world of this host's WIT package with
/// its patch version raised by `later` and `extra` added to the
/// `kubernetes` interface: what a plugin built for a newer server looks
/// like. Its core module is wit-component's dummy (every export traps).
fn plugin_for_a_later_package(later: u32, extra: &str) -> (Vec<u8>, String) {
    let (base, patch) = our_package().rsplit_once('.').unwrap();
    let theirs = format!("{base}.{}", patch.parse::<u32>().unwrap() + later);
    (plugin_for_package(&theirs, extra), theirs)
}

/// This host's package version: `0.1.3`.
fn our_package() -> &'static str {
    kube_mcp::wit::SOURCES[0]
        .1
        .lines()
        .find_map(|l| l.strip_prefix("package kube-mcp:plugin@"))
        .unwrap()
        .trim_end_matches(';')
}

/// A dummy component of the `tool-plugin` world of this host's WIT with
/// the package's version set to `theirs` (what `@since` gates leaves out
/// below it) and `extra` added to `kubernetes`.
fn plugin_for_package(theirs: &str, extra: &str) -> Vec<u8> {
    let ours = our_package();
    let mut map = wit_parser::SourceMap::new();
    for (path, text) in kube_mcp::wit::SOURCES {
        let mut text = text.replace(
            &format!("package kube-mcp:plugin@{ours};"),
            &format!("package kube-mcp:plugin@{theirs};"),
        );
        if theirs == "0.1.0" && path.ends_with("apps.wit") {
            // Views came in 0.1.3.
            continue;
        }
        if theirs == "0.1.0" && path.ends_with("world.wit") {
            let since = text
                .find("@since(version = 0.1.3)\nworld app-plugin")
                .unwrap();
            let end = since + text[since..].find("}\n").unwrap() + 2;
            text.replace_range(since..end, "");
            text = text.replace("include app-plugin;", "include tool-plugin;");
        }
        if path.ends_with("kubernetes.wit") {
            if theirs == "0.1.0" {
                // The first package: what later versions added (every
                // `@since` item, all at the end of the interface) goes.
                let since = text.find("@since(").unwrap();
                let from = text[..since].rfind("\n\n").unwrap() + 1;
                let end = text.rfind('}').unwrap();
                text.replace_range(from..end, "");
            }
            let end = text.rfind('}').unwrap();
            text.insert_str(end, extra);
        }
        map.push_str(path, text);
    }
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve
        .push_group(map.parse().map_err(|(_, e)| e).unwrap())
        .unwrap();
    let world = resolve
        .select_world(&[package], Some("tool-plugin"))
        .unwrap();
    let mut module =
        wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

#[tokio::test]
async fn a_plugin_for_a_newer_package_is_refused_naming_what_this_server_lacks() {
    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let extra = "    @since(version = 0.1.9)\n    teleport: func(object: object-ref) -> result<string, error>;\n";
    let (newer, version) = plugin_for_a_later_package(8, extra);
    let Err(error) = runtime.load_bytes(Path::new("newer.wasm"), newer).await else {
        panic!("refused");
    };
    assert!(matches!(error, LoadError::Incompatible { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "needs what this server does not have: kubernetes.teleport (kube-mcp:plugin@{version}); this server implements kube-mcp:plugin@"
        )),
        "{message}"
    );
    // The same package without the new function passes the check (and
    // fails later, when the dummy traps while describing itself).
    let (same_functions, _) = plugin_for_a_later_package(8, "");
    let Err(error) = runtime
        .load_bytes(Path::new("later.wasm"), same_functions)
        .await
    else {
        panic!("the dummy cannot describe itself");
    };
    assert!(matches!(error, LoadError::Describe(_)), "{error}");
}

#[tokio::test]
async fn a_plugin_of_the_first_package_links_to_this_one() {
    // Built against 0.1.0 (the functions `@since` later versions are gated
    // out): it links (the dummy then traps describing itself).
    let runtime = Runtime::new(PluginSettings::default(), None).unwrap();
    let first = plugin_for_package("0.1.0", "");
    let contains = |needle: &str| first.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains("kube-mcp:plugin/kubernetes@0.1.0"));
    assert!(!contains(&format!(
        "kube-mcp:plugin/kubernetes@{}",
        our_package()
    )));
    assert!(
        !contains("create-subresource"),
        "the 0.1.1 functions are gated out"
    );
    let Err(error) = runtime.load_bytes(Path::new("first.wasm"), first).await else {
        panic!("the dummy cannot describe itself");
    };
    assert!(matches!(error, LoadError::Describe(_)), "{error}");
}
