//! Instantiating a plugin and calling a no-op tool: what every tool call
//! costs before the tool does anything.
//!
//! Compared in the same run with a default wasmtime setup (the on-demand
//! instance allocator instead of the pooling one; everything else equal),
//! so the ratio holds on any machine.
//! Run with `make bench`; figures are in docs/benchmarks.md.

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use kube_mcp::auth::{CallerId, Principal};
use kube_mcp::config::PluginSettings;
use kube_mcp::plugins::{CallContext, Plugin, PluginHost, Runtime};

fn greeter() -> PathBuf {
    let dir = std::env::var_os("KUBE_MCP_TEST_ONLY_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-plugins")
        });
    let path = dir.join("greeter-v1.wasm");
    assert!(
        path.is_file(),
        "{} is missing: run `make build` first",
        path.display()
    );
    path
}

fn load(rt: &tokio::runtime::Runtime, runtime: Runtime) -> Arc<Plugin> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(greeter(), dir.path().join("greeter.wasm")).unwrap();
    let host = PluginHost::new(runtime, dir.path().into());
    let registry = rt.block_on(host.reload()).unwrap().registry;
    registry.tool("hello").unwrap().0.clone()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let caller = CallContext::new(Arc::new(Principal::named(CallerId {
        issuer: String::new(),
        subject: "bench".into(),
    })));

    let ours = load(&rt, Runtime::new(PluginSettings::default(), None).unwrap());
    let mut default_config = wasmtime::Config::new();
    default_config
        .wasm_component_model(true)
        .epoch_interruption(true);
    let baseline = load(
        &rt,
        Runtime::with_engine_config(PluginSettings::default(), None, &default_config).unwrap(),
    );

    let mut group = c.benchmark_group("instantiate_and_call_noop_tool");
    group.bench_function("kube-mcp (pooling allocator)", |b| {
        b.to_async(&rt).iter(|| async {
            let result = ours
                .call_tool("hello", "{}", &caller)
                .await
                .unwrap()
                .unwrap();
            assert!(!result.is_error);
        })
    });
    group.bench_function("default wasmtime setup (on-demand allocation)", |b| {
        b.to_async(&rt).iter(|| async {
            let result = baseline
                .call_tool("hello", "{}", &caller)
                .await
                .unwrap()
                .unwrap();
            assert!(!result.is_error);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
