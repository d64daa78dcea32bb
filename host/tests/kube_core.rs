//! kube-core over a scripted cluster, for what the local control plane
//! cannot produce cheaply: a container log longer than `pods_log`'s cap.
//! (Everything else kube-core does is tested against the real control plane
//! in tests/e2e.)

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use kube_mcp::config::PluginSettings;
use kube_mcp::plugins::kubernetes::{
    ApiResource, Error, Impersonated, Operation, Reply, ServerVersion,
};
use kube_mcp::plugins::types::Content;
use kube_mcp::plugins::{BoxFuture, Cluster, PluginHost, Runtime};
use kube_mcp::policy::grants::Capability;

/// A pod whose log is `size` bytes; it answers `limitBytes` as the API
/// server does, with the first that many bytes.
struct LogOf {
    size: usize,
}

impl Cluster for LogOf {
    fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>> {
        Box::pin(async { Err(Error::Unavailable("not scripted".into())) })
    }

    fn send<'a>(
        &'a self,
        _plugin: &'a str,
        _as_user: Option<&'a Impersonated>,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        let Operation::PodLogs { options, .. } = operation else {
            return Box::pin(async { Err(Error::Unavailable("not scripted".into())) });
        };
        let line = "2026-11-30T10:00:00Z a line of the log\n";
        let log = line.repeat(self.size / line.len() + 1);
        let limit = options.limit_bytes.map_or(log.len(), |l| l as usize);
        let answer = log[..limit.min(self.size)].to_owned();
        Box::pin(async move { Ok(Reply::Text(answer)) })
    }
}

async fn pods_log(log_size: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_plugin("kube-core"),
        dir.path().join("kube-core.wasm"),
    )
    .unwrap();
    let settings = PluginSettings {
        grants: BTreeMap::from([(
            "kube-core".to_owned(),
            vec![Capability {
                verbs: vec!["get".into()],
                api_groups: vec!["".into()],
                resources: vec!["pods/log".into()],
                namespaces: vec!["demo".into()],
            }],
        )]),
        ..PluginSettings::default()
    };
    let runtime = Runtime::new(settings, None)
        .unwrap()
        .with_cluster(Arc::new(LogOf { size: log_size }));
    let report = PluginHost::new(runtime, dir.path().into())
        .reload()
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let (plugin, _) = report.registry.tool("pods_log").unwrap();
    let result = plugin
        .call_tool(
            "pods_log",
            r#"{"namespace": "demo", "name": "web"}"#,
            &support::context(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!result.is_error, "{result:?}");
    match &result.content[..] {
        [Content::Text(t)] => t.text.clone(),
        other => panic!("expected one text item, got {other:?}"),
    }
}

#[tokio::test]
async fn a_log_cut_at_the_cap_says_so_and_a_shorter_one_does_not() {
    let long = pods_log(600 * 1024).await;
    let (log, note) = long.rsplit_once('\n').unwrap();
    assert_eq!(log.len(), 512 * 1024, "the first 512 KiB");
    assert_eq!(
        note,
        "(the log was cut after its first 512 KiB: pass tail to read its last lines)"
    );

    let short = pods_log(4096).await;
    assert_eq!(short.len(), 4096);
    assert!(!short.contains("cut after"), "{short}");
}
