//! Plugins pulled from OCI registries (`plugins.sources`), kept current.
//!
//! Each source has its own task. A pinned source is fetched once (from the
//! store when it is there). A tag is resolved every poll interval; when it
//! names a new digest, that version is pulled, verified against the trust
//! policy and loaded, then swapped in atomically. Anything that fails (the
//! registry is down, the artifact is unsigned, signed by a key not trusted
//! for it, tampered with, or does not load) leaves the previous version
//! serving, and is logged and counted once per digest and reason.

use std::sync::Arc;
use std::time::Duration;

use super::host::PluginHost;
use crate::distribution::Source;
use crate::distribution::{Fetcher, TrustedBy};
use crate::health::Component;

/// Starts one task per source; each stops when the host is dropped.
pub fn follow(
    host: &Arc<PluginHost>,
    fetcher: Arc<Fetcher>,
    sources: Vec<Source>,
    poll_interval: Duration,
    ready: impl Fn(&str) -> Component,
) -> Vec<tokio::task::JoinHandle<()>> {
    sources
        .into_iter()
        .map(|source| {
            let component = ready(&source.name);
            host.stats().source_ready(&source.name, false);
            let follower = Follower {
                host: Arc::downgrade(host),
                fetcher: fetcher.clone(),
                source,
                ready: component,
                serving: None,
                last_problem: None,
            };
            tokio::spawn(follower.run(poll_interval))
        })
        .collect()
}

struct Follower {
    host: std::sync::Weak<PluginHost>,
    fetcher: Arc<Fetcher>,
    source: Source,
    ready: Component,
    /// The digest serving now.
    serving: Option<String>,
    /// The last failure reported (digest or "", reason, message): the same
    /// one again is not logged or counted again.
    last_problem: Option<(String, &'static str, String)>,
}

impl Follower {
    async fn run(mut self, poll_interval: Duration) {
        loop {
            let Some(host) = self.host.upgrade() else {
                return;
            };
            self.poll(&host).await;
            drop(host);
            // A pinned digest never moves: once it serves, there is
            // nothing left to watch.
            if self.serving.is_some() && self.source.reference.digest().is_some() {
                return;
            }
            tokio::time::sleep(poll_interval).await;
        }
    }

    async fn poll(&mut self, host: &PluginHost) {
        let Source { name, reference } = &self.source;
        let started = std::time::Instant::now();
        // The digest being judged, once known, goes into the log line.
        let mut judged = reference.digest().map(str::to_owned);
        let result = async {
            if reference.digest().is_some() {
                return self.fetcher.fetch(name, reference, true).await.map(Some);
            }
            let manifest = self.fetcher.resolve(reference).await?;
            if self.serving.as_deref() == Some(manifest.digest.as_str()) {
                return Ok(None);
            }
            judged = Some(manifest.digest.clone());
            self.fetcher
                .fetch_manifest(name, reference, manifest, true)
                .await
                .map(Some)
        }
        .await;
        let fetched = match result {
            Ok(None) => return,
            Ok(Some(fetched)) => fetched,
            Err(error) => {
                let digest = judged.unwrap_or_default();
                self.problem(host, digest, error.reason(), error.to_string());
                return;
            }
        };
        let fetched_in = started.elapsed();
        match host.install(reference, name, fetched.component).await {
            Ok(plugin) => {
                let trusted_by = match &fetched.trusted_by {
                    TrustedBy::Key(key) => format!("signed by '{key}'"),
                    other => other.to_string(),
                };
                tracing::info!(
                    plugin = %name,
                    source = %reference,
                    digest = %fetched.digest,
                    version = %plugin.info.version,
                    trust = %trusted_by,
                    replaced = self.serving.as_deref().unwrap_or("nothing"),
                    fetch_ms = fetched_in.as_millis() as u64,
                    load_ms = (started.elapsed() - fetched_in).as_millis() as u64,
                    "plugin from registry is serving"
                );
                self.serving = Some(fetched.digest);
                self.last_problem = None;
                self.ready.set_ready(true);
                host.stats().source_ready(name, true);
            }
            Err(error) => {
                self.problem(host, fetched.digest, "load", error.to_string());
            }
        }
    }

    fn problem(
        &mut self,
        host: &PluginHost,
        digest: String,
        reason: &'static str,
        message: String,
    ) {
        let Source { name, reference } = &self.source;
        let key = (digest.clone(), reason, message.clone());
        if self.last_problem.as_ref() == Some(&key) {
            tracing::debug!(plugin = %name, source = %reference, reason, "{message}");
            return;
        }
        self.last_problem = Some(key);
        host.stats().refused(name, reason);
        let keeping = self.serving.as_deref();
        // The registry could not be asked: not a judgement on the plugin.
        let waiting = matches!(reason, "unreachable" | "not_found" | "denied");
        match (waiting, keeping) {
            (true, None) => tracing::warn!(
                plugin = %name, source = %reference, reason,
                "plugin source not ready (retrying every poll): {message}"
            ),
            (true, Some(serving)) => tracing::warn!(
                plugin = %name, source = %reference, reason, serving,
                "cannot check the registry for a new version; the current one keeps serving: {message}"
            ),
            (false, None) => tracing::error!(
                plugin = %name, source = %reference, digest, reason,
                "refused plugin from registry, nothing serves under this name: {message}"
            ),
            (false, Some(serving)) => tracing::error!(
                plugin = %name, source = %reference, digest, reason, serving,
                "refused plugin from registry, the previous version keeps serving: {message}"
            ),
        }
    }
}
