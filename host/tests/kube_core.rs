//! kube-core over a scripted cluster, for what the local control plane
//! cannot produce cheaply: a container log longer than `pods_log`'s cap.
//! (Everything else kube-core does is tested against the real control plane
//! in tests/e2e.)

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use kube_mcp::config::PluginSettings;
use kube_mcp::kube::grants::Capability;
use kube_mcp::kube::{Operation, RecordingCluster, Reply};
use kube_mcp::plugins::{PluginHost, Runtime};
use kube_mcp::wit::kubernetes::Error;
use kube_mcp::wit::types::Content;

/// A pod whose log is `size` bytes; it answers `limitBytes` as the API
/// server does, with the first that many bytes.
fn log_of(size: usize) -> RecordingCluster {
    RecordingCluster::answering(move |operation| {
        let Operation::PodLogs { options, .. } = operation else {
            return Err(Error::Unavailable("not scripted".into()));
        };
        let line = "2026-11-30T10:00:00Z a line of the log\n";
        let log = line.repeat(size / line.len() + 1);
        let limit = options.limit_bytes.map_or(log.len(), |l| l as usize);
        Ok(Reply::Text(log[..limit.min(size)].to_owned()))
    })
}

async fn pods_log(log_size: usize) -> String {
    let (text, _, is_error) = pods_log_with(log_size, None).await;
    assert!(!is_error, "{text}");
    text
}

/// The tool's text, the `limitBytes` the cluster was asked for and whether
/// the call failed, with the
/// plugin's output limit set to `output` if given.
async fn pods_log_with(log_size: usize, output: Option<u64>) -> (String, Option<u32>, bool) {
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
                ..Capability::default()
            }],
        )]),
        ..PluginSettings::default()
    };
    let mut settings = settings;
    if let Some(output) = output {
        settings.limits.output_bytes = output;
    }
    let cluster = Arc::new(log_of(log_size));
    let runtime = Runtime::new(settings, None)
        .unwrap()
        .with_cluster(cluster.clone());
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
    // The `limitBytes` the host sent.
    let asked = cluster.sent().iter().find_map(|o| match o {
        Operation::PodLogs { options, .. } => options.limit_bytes,
        _ => None,
    });
    match &result.content[..] {
        [Content::Text(t)] => (t.text.clone(), asked, result.is_error),
        other => panic!("expected one text item, got {other:?}"),
    }
}

#[tokio::test]
async fn the_host_caps_a_log_read_at_the_plugins_output_limit() {
    // kube-core asks for 512 KiB; this plugin may return 64 KiB only, so the
    // host asks the API server for no more than that.
    let (_, asked, _) = pods_log_with(600 * 1024, Some(64 * 1024)).await;
    assert_eq!(asked, Some(64 * 1024));
    let (_, asked, _) = pods_log_with(4096, None).await;
    assert_eq!(
        asked,
        Some(512 * 1024),
        "under the limit, the plugin's own ask"
    );
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
