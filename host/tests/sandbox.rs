//! A hostile plugin harms nothing but its own call: each misbehaviour fails
//! that call with a clear error while a well-behaved plugin keeps serving.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube_mcp::BoxFuture;
use kube_mcp::config::{DirectoryGrant, PluginLimits, PluginOverride, PluginSettings};
use kube_mcp::kube::grants::Capability;
use kube_mcp::kube::{Cluster, Operation, RecordingCluster, Unusable};
use kube_mcp::plugins::{
    CallContext, ClientPeer, ClientSupport, Failure, Plugin, PluginHost, Question, Registry,
    Runtime, Unanswered,
};
use kube_mcp::wit::client::{Answer, Elicitation};
use kube_mcp::wit::log::Level;
use kube_mcp::wit::types::{CallResult, Content};

const HOSTILE_LIMITS: PluginLimits = PluginLimits {
    timeout: Duration::from_secs(1),
    memory_bytes: 32 << 20,
    output_bytes: 1 << 20,
};

async fn load(directory: Option<DirectoryGrant>) -> (Arc<Registry>, tempfile::TempDir) {
    load_with(directory, Arc::new(Unusable::none())).await
}

/// Loads the conformance and hostile plugins; `hostile` is granted get,
/// list and delete on pods in namespace `demo` of `cluster`.
async fn load_with(
    directory: Option<DirectoryGrant>,
    cluster: Arc<dyn Cluster>,
) -> (Arc<Registry>, tempfile::TempDir) {
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
                app_domains: Vec::new(),
                settings: BTreeMap::new(),
            },
        )]),
        grants: BTreeMap::from([(
            "hostile".to_owned(),
            vec![
                Capability {
                    verbs: vec!["get".into(), "list".into(), "delete".into()],
                    api_groups: vec!["".into()],
                    resources: vec!["pods".into()],
                    namespaces: vec!["demo".into()],
                    resource_names: Vec::new(),
                    labels: Vec::new(),
                    clusters: Vec::new(),
                },
                // Helm's release records in demo, and no other Secret.
                Capability {
                    verbs: vec!["list".into()],
                    api_groups: vec!["".into()],
                    resources: vec!["secrets".into()],
                    namespaces: vec!["demo".into()],
                    resource_names: Vec::new(),
                    labels: vec![("owner".into(), "helm".into())],
                    clusters: Vec::new(),
                },
                Capability {
                    verbs: vec!["get".into()],
                    api_groups: vec!["".into()],
                    resources: vec!["secrets".into()],
                    namespaces: vec!["demo".into()],
                    resource_names: vec!["sh.helm.release.v1.*".into()],
                    labels: Vec::new(),
                    clusters: Vec::new(),
                },
            ],
        )]),
        pins: BTreeMap::new(),
    };
    let runtime = Runtime::new(settings, None).unwrap().with_cluster(cluster);
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
    call_from(registry, tool, support::context()).await
}

async fn call_from(
    registry: &Registry,
    tool: &str,
    context: CallContext,
) -> Result<CallResult, Failure> {
    match plugin(registry, tool).call_tool(tool, "{}", &context).await {
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
                match good
                    .call_tool("test_simple_text", "{}", &support::context())
                    .await
                {
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
    // One clear line for the caller: the trap, not the guest's backtrace.
    assert!(
        !reason.contains("wasm function") && !reason.contains("backtrace"),
        "{reason}"
    );
    assert!(reason.len() < 160, "{} bytes: {reason}", reason.len());
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
        .call_tool("spin", "{}", &support::context())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "plugin 'hostile' exceeded its 1s time limit"
    );
    let error = plugin(&registry, "hog_memory")
        .call_tool("hog_memory", "{}", &support::context())
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

#[tokio::test]
async fn a_grant_narrowed_to_release_records_reaches_no_other_secret() {
    let cluster = Arc::new(recording_cluster());
    let (registry, _dir) = load_with(None, cluster.clone()).await;
    for (tool, says) in [
        (
            "steal_secret",
            "denied by grant: get on secrets in namespace demo is not allowed for this plugin \
             (the operator granted it only for names sh.helm.release.v1.*; this request is for \
             'app-secret')",
        ),
        (
            "list_secrets_unlabelled",
            "denied by grant: list on secrets in namespace demo is not allowed for this plugin \
             (the operator granted it only for lists selecting, and objects labelled, \
             owner=helm; this request names no object and selects no labels)",
        ),
    ] {
        let result = call(&registry, tool).await.unwrap();
        assert!(result.is_error, "{tool}: {result:?}");
        assert_eq!(text(&result), says, "{tool}");
    }
    let forged = call(&registry, "list_secrets_forged").await.unwrap();
    assert!(forged.is_error, "{forged:?}");
    assert!(text(&forged).contains("owner=helm"), "{forged:?}");
    assert!(
        cluster.sent().is_empty(),
        "nothing was sent: {:?}",
        cluster.sent()
    );

    for tool in ["read_release_records", "read_release_record"] {
        let result = call(&registry, tool).await.unwrap();
        assert!(!result.is_error, "{tool}: {result:?}");
    }
    let sent = cluster.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    let Operation::List { options, .. } = &sent[0] else {
        panic!("{sent:?}")
    };
    assert_eq!(options.label_selector.as_deref(), Some("owner=helm"));
}

/// Records the operations that reach it and answers each with an empty list.
fn recording_cluster() -> RecordingCluster {
    RecordingCluster::json(serde_json::json!({"kind": "PodList", "items": []}))
}

#[tokio::test]
async fn kubernetes_calls_outside_the_grant_are_denied_before_any_request() {
    let cluster = Arc::new(recording_cluster());
    let (registry, _dir) = load_with(None, cluster.clone()).await;

    let secrets = call(&registry, "read_secrets").await.unwrap();
    assert!(secrets.is_error, "{secrets:?}");
    assert_eq!(
        text(&secrets),
        "denied by grant: list on secrets in namespace kube-system is not allowed for this \
         plugin (the plugin did not request this capability)"
    );
    let elsewhere = call(&registry, "list_pods_elsewhere").await.unwrap();
    assert!(elsewhere.is_error, "{elsewhere:?}");
    assert!(
        text(&elsewhere).ends_with("(the operator did not grant this capability to the plugin)"),
        "{elsewhere:?}"
    );
    let granted = call(&registry, "list_pods_granted").await.unwrap();
    assert_eq!(text(&granted), r#"{"items":[],"kind":"PodList"}"#);

    let sent = cluster.sent();
    assert_eq!(sent.len(), 1, "only the granted request was sent: {sent:?}");
    let Operation::List { r#type, options } = &sent[0] else {
        panic!("{sent:?}")
    };
    assert_eq!(
        (r#type.resource.as_str(), options.namespace.as_deref()),
        ("pods", Some("demo"))
    );
}

#[tokio::test]
async fn without_a_cluster_granted_calls_are_unavailable() {
    let (registry, _dir) = load(None).await;
    let result = call(&registry, "list_pods_granted").await.unwrap();
    assert!(result.is_error);
    assert_eq!(
        text(&result),
        "the cluster is unavailable: this server has no Kubernetes cluster configured"
    );
}

/// One progress report: progress, total, message.
type Report = (f64, Option<f64>, Option<String>);

/// A client that supports elicitation and answers with `answer` (or never).
struct TestClient {
    answer: Option<Elicitation>,
    progress: Mutex<Vec<Report>>,
    /// Log lines forwarded to the client.
    logs: std::sync::atomic::AtomicUsize,
}

impl ClientPeer for TestClient {
    fn support(&self) -> ClientSupport {
        ClientSupport {
            elicitation: true,
            ..ClientSupport::default()
        }
    }

    fn log(&self, _level: Level, _logger: &str, _message: &str) {
        self.logs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        self.progress
            .lock()
            .unwrap()
            .push((progress, total, message));
    }

    fn ask(
        &self,
        questions: Vec<(String, Question)>,
    ) -> BoxFuture<'_, Result<Vec<Answer>, Unanswered>> {
        let answer = self.answer.clone();
        Box::pin(async move {
            assert!(
                questions
                    .iter()
                    .all(|(_, q)| matches!(q, Question::Elicit { .. })),
                "only elicitation is supported"
            );
            match answer {
                Some(answer) => Ok(questions
                    .iter()
                    .map(|_| Answer::Elicitation(answer.clone()))
                    .collect()),
                None => std::future::pending().await,
            }
        })
    }
}

fn client(answer: Option<Elicitation>) -> Arc<TestClient> {
    Arc::new(TestClient {
        answer,
        progress: Mutex::default(),
        logs: Default::default(),
    })
}

#[tokio::test]
async fn the_log_import_is_rate_limited_like_stdout() {
    let (registry, _dir) = load(None).await;
    let client = client(None);
    let context = support::context().with_client(client.clone());
    let result = call_from(&registry, "flood_log", context).await.unwrap();
    assert_eq!(text(&result), "flooded");
    let forwarded = client.logs.load(std::sync::atomic::Ordering::Relaxed);
    // A burst of 200, plus what refills while the loop runs.
    assert!(
        (200..1_000).contains(&forwarded),
        "{forwarded} of 10 000 lines got through"
    );
}

#[tokio::test]
async fn a_plugin_reaches_its_own_client_and_no_further_than_its_deadline() {
    let (registry, _dir) = load(None).await;

    let alone = call(&registry, "ask_client").await.unwrap();
    assert_eq!(
        text(&alone),
        "ClientError::Unsupported",
        "no client, no elicitation"
    );

    let accepting = client(Some(Elicitation::Accept(r#"{"confirm":true}"#.into())));
    let answered = call_from(
        &registry,
        "ask_client",
        support::context().with_client(accepting),
    )
    .await
    .unwrap();
    assert_eq!(text(&answered), r#"accepted: {"confirm":true}"#);

    // A client that never answers cannot hold the call past its deadline:
    // the wait ends there, and the call with it.
    let silent = client(None);
    let waited = call_from(
        &registry,
        "ask_client",
        support::context().with_client(silent),
    )
    .await;
    assert_eq!(
        waited.unwrap_err(),
        Failure::Timeout(HOSTILE_LIMITS.timeout)
    );

    let watching = client(None);
    let reported = call_from(
        &registry,
        "report_progress",
        support::context().with_client(watching.clone()),
    )
    .await
    .unwrap();
    assert_eq!(text(&reported), "reported");
    let progress = watching.progress.lock().unwrap();
    assert_eq!(
        progress.as_slice(),
        &[
            (1.0, Some(3.0), Some("step 1".to_owned())),
            (2.0, Some(3.0), Some("step 2".to_owned())),
            (3.0, Some(3.0), Some("step 3".to_owned())),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_caller_cannot_hold_every_slot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_test_plugin("hostile"),
        dir.path().join("hostile.wasm"),
    )
    .unwrap();
    let settings = PluginSettings {
        overrides: BTreeMap::from([(
            "hostile".to_owned(),
            PluginOverride {
                limits: Some(HOSTILE_LIMITS),
                directory: None,
                app_domains: Vec::new(),
                settings: BTreeMap::new(),
            },
        )]),
        ..PluginSettings::default()
    };
    let runtime = Runtime::new(settings, None).unwrap().with_concurrency(3, 2);
    let report = PluginHost::new(runtime, dir.path().into())
        .reload()
        .await
        .unwrap();
    let registry = report.registry;
    let as_caller = |subject: &str| CallContext::new(support::caller_named(subject));
    // alice holds two slots with calls that spin until their deadline.
    let (r1, r2, r3, bob) = tokio::join!(
        call_from(&registry, "spin", as_caller("alice")),
        call_from(&registry, "spin", as_caller("alice")),
        async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            call_from(&registry, "spin", as_caller("alice")).await
        },
        async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            call_from(&registry, "count_calls", as_caller("bob")).await
        },
    );
    assert!(matches!(r1, Err(Failure::Timeout(_))), "{r1:?}");
    assert!(matches!(r2, Err(Failure::Timeout(_))), "{r2:?}");
    match r3 {
        Err(Failure::Busy(why)) => assert!(why.contains("2 calls of yours are running"), "{why}"),
        other => panic!("a third call of alice's went ahead: {other:?}"),
    }
    assert!(bob.is_ok(), "bob was held up by alice: {bob:?}");
}

/// A stateless (MCP 2026-07-28) client: every question goes back with the
/// response, and the call stops there.
struct StatelessClient;

impl ClientPeer for StatelessClient {
    fn support(&self) -> ClientSupport {
        ClientSupport {
            elicitation: true,
            ..ClientSupport::default()
        }
    }

    fn progress(&self, _: f64, _: Option<f64>, _: Option<String>) {}

    fn ask(&self, _: Vec<(String, Question)>) -> BoxFuture<'_, Result<Vec<Answer>, Unanswered>> {
        Box::pin(async { Err(Unanswered::Deferred) })
    }
}

#[tokio::test]
async fn a_question_left_open_after_a_change_fails_the_call_so_no_retry_repeats_it() {
    let cluster = Arc::new(recording_cluster());
    let (registry, _dir) = load_with(None, cluster.clone()).await;
    let stateless = || support::context().with_client(Arc::new(StatelessClient));
    let deletes = || {
        cluster
            .sent()
            .iter()
            .filter(|o| matches!(o, Operation::Delete { .. }))
            .count()
    };

    // Asked first: the call stops at the question, nothing changed.
    let asked = call_from(&registry, "ask_then_delete", stateless()).await;
    assert_eq!(asked.unwrap_err(), Failure::InputRequired);
    assert_eq!(deletes(), 0);

    // Changed first: the change happened once, and the call fails rather
    // than wait for a retry that would delete again.
    let changed = call_from(&registry, "delete_then_ask", stateless()).await;
    let failure = changed.unwrap_err();
    assert_eq!(failure, Failure::AskedAfterChange);
    assert_eq!(
        failure.to_string(),
        "asked the client a question after changing the cluster; a stateless client's answer \
         reruns the plugin, which would make the change again, so questions must come first"
    );
    assert_eq!(deletes(), 1);

    // A session client is asked while the call runs: either order works.
    let session = support::context().with_client(client(Some(Elicitation::Accept("{}".into()))));
    let result = call_from(&registry, "delete_then_ask", session)
        .await
        .unwrap();
    assert_eq!(text(&result), r#"Elicitation::Accept("{}")"#);
}
