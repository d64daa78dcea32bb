//! A hostile plugin harms nothing but its own call: each misbehaviour fails
//! that call with a clear error while a well-behaved plugin keeps serving.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use kube_mcp::config::{DirectoryGrant, PluginLimits, PluginOverride, PluginSettings};
use kube_mcp::plugins::types::{CallResult, Content};
use kube_mcp::plugins::{Failure, Plugin, PluginHost, Registry, Runtime};

use support::caller;

const HOSTILE_LIMITS: PluginLimits = PluginLimits {
    timeout: Duration::from_secs(1),
    memory_bytes: 32 << 20,
    output_bytes: 1 << 20,
};

async fn load(directory: Option<DirectoryGrant>) -> (Arc<Registry>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_plugin("conformance"),
        dir.path().join("conformance.wasm"),
    )
    .unwrap();
    std::fs::copy(
        support::built_test_plugin("hostile"),
        dir.path().join("hostile.wasm"),
    )
    .unwrap();
    let settings = PluginSettings {
        limits: PluginLimits::default(),
        overrides: BTreeMap::from([(
            "hostile".to_owned(),
            PluginOverride {
                limits: Some(HOSTILE_LIMITS),
                directory,
            },
        )]),
        ..PluginSettings::default()
    };
    let runtime = Runtime::new(settings, None).unwrap();
    let report = PluginHost::new(runtime, dir.path().into())
        .reload()
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    (report.registry, dir)
}

fn plugin<'a>(registry: &'a Registry, tool: &str) -> &'a Arc<Plugin> {
    registry.tool(tool).unwrap().0
}

fn text(result: &CallResult) -> &str {
    match &result.content[..] {
        [Content::Text(t)] => &t.text,
        other => panic!("expected one text item, got {other:?}"),
    }
}

async fn call(registry: &Registry, tool: &str) -> Result<CallResult, Failure> {
    match plugin(registry, tool)
        .call_tool(tool, "{}", &caller())
        .await
    {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(e)) => panic!("{tool}: call error {e:?}"),
        Err(e) => {
            assert_eq!(e.plugin, "hostile");
            Err(e.failure)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_misbehaviour_fails_alone_while_a_good_plugin_keeps_serving() {
    let (registry, _dir) = load(None).await;

    // A well-behaved plugin is called in a loop the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let good = tokio::spawn({
        let (registry, stop, served, failed) = (
            registry.clone(),
            stop.clone(),
            served.clone(),
            failed.clone(),
        );
        async move {
            while !stop.load(Ordering::Relaxed) {
                let good = plugin(&registry, "test_simple_text");
                match good.call_tool("test_simple_text", "{}", &caller()).await {
                    Ok(Ok(r)) if !r.is_error => served.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }
    });

    let (spin, hog, recurse, panic, huge) = tokio::join!(
        call(&registry, "spin"),
        call(&registry, "hog_memory"),
        call(&registry, "recurse"),
        call(&registry, "panic"),
        call(&registry, "huge_output"),
    );
    stop.store(true, Ordering::Relaxed);
    good.await.unwrap();

    assert_eq!(spin.unwrap_err(), Failure::Timeout(HOSTILE_LIMITS.timeout));
    assert_eq!(
        hog.unwrap_err(),
        Failure::Memory(HOSTILE_LIMITS.memory_bytes)
    );
    assert_eq!(recurse.unwrap_err(), Failure::StackOverflow);
    let Failure::Trap(reason) = panic.unwrap_err() else {
        panic!("a panic is a trap")
    };
    assert!(reason.contains("unreachable"), "{reason}");
    assert!(matches!(
        huge.unwrap_err(),
        Failure::OutputTooLarge { size, limit } if size == 5 << 20 && limit == 1 << 20
    ));

    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "the good plugin failed a call"
    );
    assert!(
        served.load(Ordering::Relaxed) > 0,
        "the good plugin was never served"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failure_messages_name_plugin_and_limit() {
    let (registry, _dir) = load(None).await;
    let error = plugin(&registry, "spin")
        .call_tool("spin", "{}", &caller())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "plugin 'hostile' exceeded its 1s time limit"
    );
    let error = plugin(&registry, "hog_memory")
        .call_tool("hog_memory", "{}", &caller())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "plugin 'hostile' exceeded its memory limit of 32 MiB"
    );
}

#[tokio::test]
async fn wasi_gives_no_files_environment_or_network() {
    let (registry, _dir) = load(None).await;
    let file = call(&registry, "read_host_file").await.unwrap();
    assert!(
        file.is_error && text(&file).starts_with("denied"),
        "{file:?}"
    );
    let env = call(&registry, "read_environment").await.unwrap();
    assert_eq!(text(&env), "vars=0 args=0");
    let socket = call(&registry, "open_socket").await.unwrap();
    assert!(
        socket.is_error && text(&socket).starts_with("denied"),
        "{socket:?}"
    );
    let data = call(&registry, "read_data").await.unwrap();
    assert!(data.is_error, "no directory was lent: {data:?}");
}

#[tokio::test]
async fn no_state_survives_between_calls() {
    let (registry, _dir) = load(None).await;
    for _ in 0..3 {
        assert_eq!(text(&call(&registry, "count_calls").await.unwrap()), "1");
    }
}

#[tokio::test]
async fn a_read_only_directory_can_be_read_not_written() {
    let lent = tempfile::tempdir().unwrap();
    std::fs::write(lent.path().join("hello.txt"), "hello from the host").unwrap();
    let (registry, _dir) = load(Some(DirectoryGrant::ReadOnly(lent.path().into()))).await;
    assert_eq!(
        text(&call(&registry, "read_data").await.unwrap()),
        "hello from the host"
    );
    let write = call(&registry, "write_data").await.unwrap();
    assert!(
        write.is_error && text(&write).starts_with("denied"),
        "{write:?}"
    );
    assert!(!lent.path().join("written.txt").exists());
}

#[tokio::test]
async fn a_scratch_directory_is_writable_and_fresh_for_each_call() {
    let (registry, _dir) = load(Some(DirectoryGrant::Scratch)).await;
    let write = call(&registry, "write_data").await.unwrap();
    assert_eq!(text(&write), "wrote and read back: scratch");
    // The next call gets a new, empty directory: nothing written survives.
    let read = call(&registry, "read_data").await.unwrap();
    assert!(read.is_error, "{read:?}");
}

#[tokio::test]
async fn flooding_stdout_does_not_fail_the_call() {
    let (registry, _dir) = load(None).await;
    assert_eq!(
        text(&call(&registry, "flood_stdout").await.unwrap()),
        "flooded"
    );
}
