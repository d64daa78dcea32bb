//! Starting with 10 plugins, with a cold and with a warm compiled-code cache;
//! and how long a changed file takes to reach the registry.
//!
//! Run with `make bench`; figures are in docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

use kube_mcp::config::PluginSettings;
use kube_mcp::plugins::{DEBOUNCE, PluginHost, Runtime};

fn built(name: &str) -> PathBuf {
    let dir = std::env::var_os("KUBE_MCP_TEST_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/examples"));
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `make build` first",
        path.display()
    );
    path
}

fn test_plugin(name: &str) -> PathBuf {
    let dir = std::env::var_os("KUBE_MCP_TEST_ONLY_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-plugins")
        });
    dir.join(name)
}

/// `n` different plugin files: copies of one component, each with its own
/// custom section appended, so each has its own digest and is compiled.
fn distinct_copies(source: &Path, n: usize) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(source).unwrap();
    (0..n)
        .map(|i| {
            let name = b"kube-mcp-bench";
            let payload = format!("copy {i}");
            let mut section = vec![name.len() as u8];
            section.extend_from_slice(name);
            section.extend_from_slice(payload.as_bytes());
            let mut copy = bytes.clone();
            copy.push(0); // custom section id
            copy.push(section.len() as u8); // LEB128, < 128
            copy.extend_from_slice(&section);
            copy
        })
        .collect()
}

fn load_all(rt: &tokio::runtime::Runtime, runtime: &Runtime, copies: &[Vec<u8>]) {
    rt.block_on(async {
        for (i, bytes) in copies.iter().enumerate() {
            let path = PathBuf::from(format!("hello-{i}.wasm"));
            runtime.load_bytes(&path, bytes.clone()).await.unwrap();
        }
    });
}

fn startup(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let copies = distinct_copies(&built("hello.wasm"), 10);
    let mut group = c.benchmark_group("start_with_10_plugins");
    group.sample_size(10);

    group.bench_function("cold cache (compile all)", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |cache| {
                let runtime =
                    Runtime::new(PluginSettings::default(), Some(cache.path().into())).unwrap();
                load_all(&rt, &runtime, &copies);
                assert_eq!(runtime.compilations(), (10, 0));
            },
            BatchSize::PerIteration,
        )
    });

    let warm = tempfile::tempdir().unwrap();
    load_all(
        &rt,
        &Runtime::new(PluginSettings::default(), Some(warm.path().into())).unwrap(),
        &copies,
    );
    group.bench_function("warm cache (no compilation)", |b| {
        b.iter(|| {
            let runtime =
                Runtime::new(PluginSettings::default(), Some(warm.path().into())).unwrap();
            load_all(&rt, &runtime, &copies);
            assert_eq!(runtime.compilations(), (0, 10));
        })
    });
    group.finish();
}

fn reload(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let versions = [
        test_plugin("greeter-v1.wasm"),
        test_plugin("greeter-v2.wasm"),
    ];
    let target = dir.path().join("greeter.wasm");
    std::fs::copy(&versions[0], &target).unwrap();
    let host = PluginHost::new(
        Runtime::new(PluginSettings::default(), Some(cache.path().into())).unwrap(),
        dir.path().into(),
    );
    let _watching = rt.block_on(async {
        host.reload().await.unwrap();
        host.watch().unwrap()
    });
    let mut next = 1;

    let mut group = c.benchmark_group("reload");
    group.sample_size(10);
    group.bench_function(
        format!(
            "file write to new registry ({} ms debounce)",
            DEBOUNCE.as_millis()
        ),
        |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let mut changes = host.subscribe();
                    changes.borrow_and_update();
                    let started = Instant::now();
                    // Atomic replace, as a deployment tool would.
                    let staged = dir.path().join(".greeter.wasm.new");
                    std::fs::copy(&versions[next], &staged).unwrap();
                    std::fs::rename(&staged, &target).unwrap();
                    rt.block_on(async {
                        tokio::time::timeout(Duration::from_secs(30), changes.changed())
                            .await
                            .unwrap()
                            .unwrap();
                    });
                    total += started.elapsed();
                    next = 1 - next;
                }
                total
            })
        },
    );
    group.finish();
}

criterion_group!(benches, startup, reload);
criterion_main!(benches);
