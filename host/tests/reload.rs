//! Hot reload: the plugins directory is watched, and changes reach the
//! registry without a restart while calls keep running.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kube_mcp::config::PluginSettings;
use kube_mcp::plugins::{LoadError, PluginHost, Registry, Runtime};
use kube_mcp::wit::types::{CallResult, Content};

/// Generous: watching and compiling on a small shared machine.
const CHANGE_LIMIT: Duration = Duration::from_secs(30);

fn greeter(version: &str) -> std::path::PathBuf {
    support::built_test_plugin(&format!("greeter-{version}"))
}

fn host(dir: &Path) -> Arc<PluginHost> {
    PluginHost::new(
        Runtime::new(PluginSettings::default(), None).unwrap(),
        dir.into(),
    )
}

/// Waits until `condition` holds for the registry, re-checking on each change.
async fn wait_until(host: &PluginHost, what: &str, condition: impl Fn(&Registry) -> bool) {
    let mut changes = host.subscribe();
    let deadline = Instant::now() + CHANGE_LIMIT;
    while !condition(&host.registry()) {
        let left = deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, changes.changed()).await.is_err() {
            panic!("the registry never changed to: {what}");
        }
    }
}

fn text(result: &CallResult) -> String {
    match &result.content[..] {
        [Content::Text(t)] => t.text.clone(),
        other => panic!("expected one text item, got {other:?}"),
    }
}

async fn call(registry: &Registry, tool: &str) -> String {
    let (plugin, _) = registry
        .tool(tool)
        .unwrap_or_else(|| panic!("no tool {tool}"));
    text(
        &plugin
            .call_tool(tool, "{}", &support::context())
            .await
            .unwrap()
            .unwrap(),
    )
}

fn greeter_version(registry: &Registry) -> Option<String> {
    registry.tool("hello").map(|(p, _)| p.info.version.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_replace_and_remove_while_calls_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_plugin("conformance"),
        dir.path().join("conformance.wasm"),
    )
    .unwrap();
    let host = host(dir.path());
    host.reload().await.unwrap();
    let _watching = host.watch().unwrap();

    // A plugin that stays is called the whole time; none of its calls fail.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let steady = tokio::spawn({
        let (host, stop, served, failed) =
            (host.clone(), stop.clone(), served.clone(), failed.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                let registry = host.registry();
                let (plugin, _) = registry.tool("test_simple_text").unwrap();
                match plugin
                    .call_tool("test_simple_text", "{}", &support::context())
                    .await
                {
                    Ok(Ok(_)) => served.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }
    });

    // Added: appears.
    std::fs::copy(greeter("v1"), dir.path().join("greeter.wasm")).unwrap();
    wait_until(&host, "greeter 1.0.0 loaded", |r| {
        greeter_version(r).as_deref() == Some("1.0.0")
    })
    .await;
    assert_eq!(call(&host.registry(), "hello").await, "hello from v1");

    // Replaced (in place, as `cp` does) while a call to the old version runs:
    // that call finishes on v1, later calls get v2.
    let in_flight = tokio::spawn({
        let registry = host.registry();
        async move { call(&registry, "slow_greet").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    std::fs::copy(greeter("v2"), dir.path().join("greeter.wasm")).unwrap();
    wait_until(&host, "greeter 2.0.0 loaded", |r| {
        greeter_version(r).as_deref() == Some("2.0.0")
    })
    .await;
    assert_eq!(in_flight.await.unwrap(), "hello from v1");
    assert_eq!(call(&host.registry(), "hello").await, "hello from v2");

    // Removed: disappears.
    std::fs::remove_file(dir.path().join("greeter.wasm")).unwrap();
    wait_until(&host, "greeter unloaded", |r| r.tool("hello").is_none()).await;

    stop.store(true, Ordering::Relaxed);
    steady.await.unwrap();
    assert_eq!(failed.load(Ordering::Relaxed), 0);
    assert!(served.load(Ordering::Relaxed) > 0);
}

/// Kubernetes mounts a ConfigMap as `..<timestamp>/` directories, a `..data`
/// symlink to the current one, and visible names linked through `..data`;
/// an update swaps `..data` atomically.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configmap_style_symlink_swap_is_picked_up() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("..2026_11_26_01")).unwrap();
    std::fs::copy(greeter("v1"), d.join("..2026_11_26_01/greeter.wasm")).unwrap();
    symlink("..2026_11_26_01", d.join("..data")).unwrap();
    symlink("..data/greeter.wasm", d.join("greeter.wasm")).unwrap();

    let host = host(d);
    host.reload().await.unwrap();
    let _watching = host.watch().unwrap();
    assert_eq!(greeter_version(&host.registry()).as_deref(), Some("1.0.0"));

    std::fs::create_dir(d.join("..2026_11_26_02")).unwrap();
    std::fs::copy(greeter("v2"), d.join("..2026_11_26_02/greeter.wasm")).unwrap();
    symlink("..2026_11_26_02", d.join("..data_tmp")).unwrap();
    std::fs::rename(d.join("..data_tmp"), d.join("..data")).unwrap();
    std::fs::remove_dir_all(d.join("..2026_11_26_01")).unwrap();

    wait_until(&host, "greeter 2.0.0 via ..data", |r| {
        greeter_version(r).as_deref() == Some("2.0.0")
    })
    .await;
    assert_eq!(call(&host.registry(), "hello").await, "hello from v2");
}

#[tokio::test]
async fn a_newcomer_colliding_with_a_serving_plugin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(greeter("v1"), dir.path().join("greeter.wasm")).unwrap();
    let host = host(dir.path());
    host.reload().await.unwrap();
    // Sorts before greeter.wasm, so it would win if file order decided;
    // it is refused, named by its file.
    std::fs::copy(greeter("v2"), dir.path().join("a-greeter.wasm")).unwrap();
    let reload = host.reload().await.unwrap();
    assert!(!reload.changed);
    assert_eq!(greeter_version(&reload.registry).as_deref(), Some("1.0.0"));
    let [failure] = &reload.failures[..] else {
        panic!("{:?}", reload.failures)
    };
    assert!(failure.path.ends_with("a-greeter.wasm"));
    assert!(
        matches!(&failure.error, LoadError::Invalid(m) if m.contains("it calls itself 'greeter'")),
        "{}",
        failure.error
    );
}

#[tokio::test]
async fn a_broken_replacement_keeps_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(greeter("v1"), dir.path().join("greeter.wasm")).unwrap();
    let host = host(dir.path());
    host.reload().await.unwrap();
    std::fs::write(dir.path().join("greeter.wasm"), "not a component any more").unwrap();
    let reload = host.reload().await.unwrap();
    assert!(!reload.changed);
    assert_eq!(call(&reload.registry, "hello").await, "hello from v1");
    assert!(matches!(reload.failures[..], [ref f] if matches!(f.error, LoadError::Compile(_))));
}

#[tokio::test]
async fn an_unchanged_directory_reloads_to_the_same_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(greeter("v1"), dir.path().join("greeter.wasm")).unwrap();
    let host = host(dir.path());
    let first = host.reload().await.unwrap();
    assert!(first.changed);
    let again = host.reload().await.unwrap();
    assert!(!again.changed);
    assert!(Arc::ptr_eq(&first.registry, &host.registry()));
}

/// A ConfigMap mounted beside the image's plugins: the extra directory is
/// loaded and watched like the main one, its `..data` swap included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extra_directory_is_loaded_and_watched_too() {
    use std::os::unix::fs::symlink;
    let main = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_plugin("conformance"),
        main.path().join("conformance.wasm"),
    )
    .unwrap();
    let extra = tempfile::tempdir().unwrap();
    let d = extra.path();
    let host = PluginHost::with_extra_dirs(
        Runtime::new(PluginSettings::default(), None).unwrap(),
        main.path().into(),
        vec![d.into()],
    );
    host.reload().await.unwrap();
    let _watching = host.watch().unwrap();
    assert!(host.registry().tool("test_simple_text").is_some());
    assert_eq!(greeter_version(&host.registry()), None);

    std::fs::create_dir(d.join("..2026_11_26_01")).unwrap();
    std::fs::copy(greeter("v1"), d.join("..2026_11_26_01/greeter.wasm")).unwrap();
    symlink("..2026_11_26_01", d.join("..data_tmp")).unwrap();
    std::fs::rename(d.join("..data_tmp"), d.join("..data")).unwrap();
    symlink("..data/greeter.wasm", d.join("greeter.wasm")).unwrap();
    wait_until(&host, "greeter from the extra directory", |r| {
        greeter_version(r).as_deref() == Some("1.0.0")
    })
    .await;
    assert!(
        host.registry().tool("test_simple_text").is_some(),
        "the main directory's plugins stay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_does_not_trigger_the_next_one() {
    // Each reload opens and reads the `.wasm` files; those reads must not
    // look like changes, or the server rescans forever (and logs a broken
    // plugin's error on every pass).
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_plugin("conformance"),
        dir.path().join("conformance.wasm"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.wasm"), b"not a component").unwrap();
    let host = host(dir.path());
    host.reload().await.unwrap();
    let _watching = host.watch().unwrap();
    // One real change: one reload.
    std::fs::write(dir.path().join("broken.wasm"), b"still not a component").unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_change = host.stats().reloads.load(Ordering::Relaxed);
    assert!(
        after_change >= 2,
        "the change was seen ({after_change} reloads)"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = host.stats().reloads.load(Ordering::Relaxed);
    assert_eq!(later, after_change, "reloads went on with nothing changing");
}

/// A plugin file is read only from inside its directory: a symlink that
/// leads out of it (to a file anyone could write, or to a file the operator
/// never put there) is refused and named, while the rest loads.
#[tokio::test]
async fn a_symlink_leading_out_of_the_plugin_directory_is_refused() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(greeter("v2"), outside.path().join("greeter.wasm")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("..data")).unwrap();
    std::fs::copy(greeter("v1"), d.join("..data/greeter.wasm")).unwrap();
    symlink("..data/greeter.wasm", d.join("greeter.wasm")).unwrap();
    symlink(outside.path().join("greeter.wasm"), d.join("absolute.wasm")).unwrap();
    let relative = format!(
        "../{}/greeter.wasm",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    symlink(&relative, d.join("relative.wasm")).unwrap();

    let reload = host(d).reload().await.unwrap();
    let names: Vec<_> = reload
        .registry
        .plugins()
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    assert_eq!(
        names,
        ["greeter"],
        "only the link inside the directory loads ({:?})",
        reload.failures
    );
    let mut refused: Vec<_> = reload
        .failures
        .iter()
        .map(|f| {
            let file = f.path.file_name().unwrap().to_string_lossy().into_owned();
            let message = f.error.to_string();
            assert!(message.contains("outside"), "{file}: {message}");
            file
        })
        .collect();
    refused.sort();
    assert_eq!(refused, ["absolute.wasm", "relative.wasm"]);
}

/// A plugin from a registry is installed under its configured name: one
/// that calls itself something else is refused, and a new version of a
/// source swaps in while a folder reload leaves it alone.
#[tokio::test]
async fn registry_plugins_install_under_their_configured_name() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(dir.path());
    let key = "oci://127.0.0.1:5000/acme/greeter:stable";
    let reference = kube_mcp::distribution::PluginRef::parse(key).unwrap();
    let v1 = std::fs::read(greeter("v1")).unwrap();
    let refused = host
        .install(&reference, "hello-tools", v1.clone())
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("it calls itself 'greeter', and plugins.sources names it 'hello-tools'"),
        "{refused}"
    );
    assert!(host.registry().plugins().is_empty());

    let installed = host.install(&reference, "greeter", v1).await.unwrap();
    assert_eq!(installed.path.to_str(), Some(key));
    assert_eq!(greeter_version(&host.registry()).as_deref(), Some("1.0.0"));
    // A folder reload keeps the registry's plugin.
    host.reload().await.unwrap();
    assert_eq!(greeter_version(&host.registry()).as_deref(), Some("1.0.0"));
    let v2 = std::fs::read(greeter("v2")).unwrap();
    host.install(&reference, "greeter", v2).await.unwrap();
    assert_eq!(greeter_version(&host.registry()).as_deref(), Some("2.0.0"));
    // A folder file of the same name collides and is refused; the source serves on.
    std::fs::copy(greeter("v1"), dir.path().join("greeter.wasm")).unwrap();
    let report = host.reload().await.unwrap();
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!(greeter_version(&host.registry()).as_deref(), Some("2.0.0"));
}
