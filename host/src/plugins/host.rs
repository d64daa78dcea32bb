//! The live set of plugins: the plugins directory, loaded into a registry
//! snapshot that is swapped atomically whenever the directory changes.
//!
//! Calls take the snapshot current when they start and hold its `Arc`s, so a
//! call already running finishes on the version it started with while new
//! calls see the new one.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use notify::Watcher;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use super::loader::{LoadError, LoadFailure, Runtime};
use super::plugin::Plugin;
use super::registry::Registry;
use crate::distribution::signature::{decode_detached, detached_path};
use crate::distribution::{TrustPolicy, TrustRefusal};

/// How long the directory must be quiet before a reload: copying a file or
/// swapping a ConfigMap produces a burst of events.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// A loaded file: what its bytes hashed to, and the plugin they made.
struct Loaded {
    digest: [u8; 32],
    plugin: Arc<Plugin>,
}

/// The plugins directory, live.
pub struct PluginHost {
    runtime: Runtime,
    /// The plugin folder first, then more directories loaded and watched
    /// the same way (a ConfigMap, an image volume): each file is one
    /// plugin, whichever directory holds it. Empty when every plugin comes
    /// from a registry.
    dirs: Vec<PathBuf>,
    /// With `plugins.requireSignatures`, the policy folder plugins must
    /// satisfy (a detached signature, or a pin).
    folder_trust: Option<TrustPolicy>,
    current: ArcSwap<Registry>,
    /// Bumped on every change of the registry.
    generation: watch::Sender<u64>,
    /// The last good plugin of each file; reloads reuse unchanged ones.
    loaded: tokio::sync::Mutex<HashMap<PathBuf, Loaded>>,
    stats: LoadStats,
}

/// Counts of what reloads did, for metrics.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Scans of the directory.
    pub reloads: AtomicU64,
    /// Plugins loaded (new or replaced files).
    pub loaded: AtomicU64,
    /// Files that failed to load (including collisions).
    pub failed: AtomicU64,
    /// Plugins refused for want of trust, by plugin and reason.
    pub refusals: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// Whether each registry source has loaded, by plugin.
    pub sources: Mutex<BTreeMap<String, bool>>,
}

impl LoadStats {
    /// Counts a refusal of `plugin` for `reason` (a metric label).
    pub fn refused(&self, plugin: &str, reason: &'static str) {
        *self
            .refusals
            .lock()
            .expect("refusals lock")
            .entry((plugin.to_owned(), reason))
            .or_default() += 1;
    }

    /// Records whether source `plugin` is serving.
    pub fn source_ready(&self, plugin: &str, ready: bool) {
        self.sources
            .lock()
            .expect("sources lock")
            .insert(plugin.to_owned(), ready);
    }
}

/// The outcome of one (re)load of the directory.
#[derive(Debug)]
pub struct Reload {
    pub registry: Arc<Registry>,
    pub failures: Vec<LoadFailure>,
    /// Whether the registry differs from the one before.
    pub changed: bool,
}

impl PluginHost {
    /// A host with an empty registry; [`Self::reload`] loads the directory.
    pub fn new(runtime: Runtime, dir: PathBuf) -> Arc<PluginHost> {
        PluginHost::with_dirs(runtime, vec![dir], None)
    }

    /// A host of the plugins in `dirs` (in order of precedence; none when
    /// every plugin comes from a registry). With `folder_trust`, a folder
    /// plugin loads only with a detached signature that policy accepts, or
    /// a pin.
    pub fn with_dirs(
        runtime: Runtime,
        dirs: Vec<PathBuf>,
        folder_trust: Option<TrustPolicy>,
    ) -> Arc<PluginHost> {
        Arc::new(PluginHost {
            runtime,
            dirs,
            folder_trust,
            current: ArcSwap::from_pointee(Registry::default()),
            generation: watch::Sender::new(0),
            loaded: tokio::sync::Mutex::default(),
            stats: LoadStats::default(),
        })
    }

    /// What reloads did so far.
    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }

    /// A host that also loads and watches `extra_dirs`.
    pub fn with_extra_dirs(
        runtime: Runtime,
        dir: PathBuf,
        extra_dirs: Vec<PathBuf>,
    ) -> Arc<PluginHost> {
        let dirs = std::iter::once(dir).chain(extra_dirs).collect();
        PluginHost::with_dirs(runtime, dirs, None)
    }

    fn dirs(&self) -> impl Iterator<Item = &PathBuf> {
        self.dirs.iter()
    }

    /// The runtime that compiles and runs the plugins.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The current snapshot.
    pub fn registry(&self) -> Arc<Registry> {
        self.current.load_full()
    }

    /// Changes to the registry: the value is a generation counter.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Loads the directory again. Unchanged files keep their plugin; a file
    /// that fails to load keeps its previous version if it had one.
    pub async fn reload(&self) -> std::io::Result<Reload> {
        // One reload at a time; the lock also guards `loaded`.
        let mut loaded = self.loaded.lock().await;
        // Plugins from registries are not the folder's to drop.
        let mut next: HashMap<PathBuf, Loaded> = loaded
            .iter()
            .filter(|(key, _)| is_source_key(key))
            .map(|(key, l)| {
                let l = Loaded {
                    digest: l.digest,
                    plugin: l.plugin.clone(),
                };
                (key.clone(), l)
            })
            .collect();
        let mut failures = Vec::new();

        let mut paths = Vec::new();
        for dir in self.dirs() {
            paths.extend(plugin_files(dir)?);
        }
        for path in paths {
            let read = {
                let path = path.clone();
                tokio::task::spawn_blocking(move || super::folder::read_plugin(&path)).await
            };
            let bytes = match read.unwrap_or_else(|e| Err(std::io::Error::other(e))) {
                Ok(bytes) => bytes,
                Err(e) => {
                    failures.push(LoadFailure {
                        path,
                        error: LoadError::Read(e),
                    });
                    continue;
                }
            };
            let digest: [u8; 32] = Sha256::digest(&bytes).into();
            let previous = loaded.remove(&path);
            let name = plugin_name(&path);
            let pinned = self.runtime.settings().pins.contains_key(&name);
            if let Some(policy) = self.folder_trust.as_ref().filter(|_| !pinned)
                && let Err(error) = self.check_signature(policy, &path, &name, &bytes).await
            {
                tracing::error!(path = %path.display(), reason = error.reason(), "refused plugin: {error}");
                self.stats.refused(&name, error.reason());
                if let Some(previous) = previous {
                    next.insert(path.clone(), previous);
                }
                failures.push(LoadFailure {
                    path,
                    error: LoadError::Refused(error),
                });
                continue;
            }
            if let Some(pin) = self.runtime.settings().pins.get(&name)
                && *pin != digest
            {
                let error = LoadError::Invalid(format!(
                    "its digest sha256:{} is not the one plugins.pins.{name} names (sha256:{})",
                    hex(&digest),
                    hex(pin)
                ));
                tracing::error!(path = %path.display(), "cannot load plugin: {error}");
                if let Some(previous) = previous {
                    next.insert(path.clone(), previous);
                }
                failures.push(LoadFailure { path, error });
                continue;
            }
            if let Some(previous) = previous.as_ref().filter(|p| p.digest == digest) {
                next.insert(
                    path,
                    Loaded {
                        digest,
                        plugin: previous.plugin.clone(),
                    },
                );
                continue;
            }
            let loaded_plugin = self
                .runtime
                .load_bytes(&path, bytes)
                .await
                .and_then(|plugin| {
                    // Grants, limits and directories bind to the name, so the
                    // name is the operator's: the file's.
                    if plugin.name() == name {
                        Ok(plugin)
                    } else {
                        Err(LoadError::Invalid(format!(
                            "it calls itself '{}', and its file names it '{name}': a plugin's name \
                         (which grants bind to) is its file name; rename the file to {}.wasm \
                         if that is the plugin you mean to install",
                            plugin.name(),
                            plugin.name()
                        )))
                    }
                });
            match loaded_plugin {
                Ok(plugin) => {
                    self.stats.loaded.fetch_add(1, Ordering::Relaxed);
                    next.insert(
                        path,
                        Loaded {
                            digest,
                            plugin: Arc::new(plugin),
                        },
                    );
                }
                Err(error) => {
                    if let Some(previous) = previous {
                        tracing::error!(path = %path.display(), "cannot load the new version of this plugin, keeping the previous one: {error}");
                        next.insert(path.clone(), previous);
                    } else {
                        tracing::error!(path = %path.display(), "cannot load plugin: {error}");
                    }
                    failures.push(LoadFailure { path, error });
                }
            }
        }

        self.stats.reloads.fetch_add(1, Ordering::Relaxed);
        let (registry, changed) = self.publish(&next, &mut failures);
        *loaded = next;
        Ok(Reload {
            registry,
            failures,
            changed,
        })
    }

    /// Whether folder plugin `name` at `path` carries a detached signature
    /// `policy` accepts.
    async fn check_signature(
        &self,
        policy: &TrustPolicy,
        path: &Path,
        name: &str,
        bytes: &[u8],
    ) -> Result<String, TrustRefusal> {
        let signature_path = detached_path(path);
        let read = {
            let signature_path = signature_path.clone();
            tokio::task::spawn_blocking(move || super::folder::read_plugin(&signature_path)).await
        };
        let text = match read.unwrap_or_else(|e| Err(std::io::Error::other(e))) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(TrustRefusal::Unsigned(format!(
                    "it is not signed (plugins.requireSignatures is on, and there is no {} next to it, nor a pin in plugins.pins)",
                    signature_path
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                )));
            }
            Err(e) => {
                return Err(TrustRefusal::BadSignature(format!(
                    "cannot read {}: {e}",
                    signature_path.display()
                )));
            }
        };
        let signature = decode_detached(&text).map_err(TrustRefusal::BadSignature)?;
        policy.verify_file(name, bytes, &signature)
    }

    /// Installs plugin `name` pulled from a registry under `key` (its
    /// reference), replacing the version `key` had, in one atomic swap.
    /// When it fails to load, the previous version keeps serving.
    pub async fn install(
        &self,
        key: &str,
        name: &str,
        component: Vec<u8>,
    ) -> Result<Arc<Plugin>, LoadError> {
        let key = PathBuf::from(key);
        let mut loaded = self.loaded.lock().await;
        let digest: [u8; 32] = Sha256::digest(&component).into();
        if let Some(same) = loaded.get(&key).filter(|l| l.digest == digest) {
            return Ok(same.plugin.clone());
        }
        let plugin = self.runtime.load_bytes(&key, component).await.and_then(|plugin| {
            if plugin.name() == name {
                Ok(plugin)
            } else {
                Err(LoadError::Invalid(format!(
                    "it calls itself '{}', and plugins.sources names it '{name}': grants bind to the \
                     configured name, so the two must agree; name the source '{}' if that is the \
                     plugin you mean to install",
                    plugin.name(),
                    plugin.name()
                )))
            }
        })?;
        let plugin = Arc::new(plugin);
        self.stats.loaded.fetch_add(1, Ordering::Relaxed);
        let mut next: HashMap<PathBuf, Loaded> = loaded
            .iter()
            .map(|(k, l)| {
                let l = Loaded {
                    digest: l.digest,
                    plugin: l.plugin.clone(),
                };
                (k.clone(), l)
            })
            .collect();
        next.insert(
            key.clone(),
            Loaded {
                digest,
                plugin: plugin.clone(),
            },
        );
        let mut failures = Vec::new();
        let registry = self.assemble(&next, &mut failures);
        if !registry.plugins().iter().any(|p| Arc::ptr_eq(p, &plugin)) {
            // It collides with a plugin already serving: keep what was.
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            return Err(failures
                .into_iter()
                .find(|f| f.path == key)
                .map(|f| f.error)
                .unwrap_or_else(|| {
                    LoadError::Collision("it collides with another plugin".into())
                }));
        }
        self.swap(registry);
        *loaded = next;
        Ok(plugin)
    }

    /// Builds the registry of `next`, swaps it in if it differs, and logs
    /// what was loaded and unloaded.
    fn publish(
        &self,
        next: &HashMap<PathBuf, Loaded>,
        failures: &mut Vec<LoadFailure>,
    ) -> (Arc<Registry>, bool) {
        let registry = self.assemble(next, failures);
        self.stats
            .failed
            .fetch_add(failures.len() as u64, Ordering::Relaxed);
        self.swap(registry)
    }

    /// Makes `registry` current if it differs from the current one, and
    /// logs what was loaded and unloaded.
    fn swap(&self, registry: Registry) -> (Arc<Registry>, bool) {
        let before = self.current.load();
        let changed = !same_plugins(&before, &registry);
        let registry = Arc::new(registry);
        if changed {
            for plugin in registry.plugins() {
                if !before.plugins().iter().any(|p| Arc::ptr_eq(p, plugin)) {
                    tracing::info!(plugin = plugin.name(), version = %plugin.info.version, tools = plugin.tools.len(), path = %plugin.path.display(), "loaded plugin");
                }
            }
            for plugin in before.plugins() {
                if !registry.plugins().iter().any(|p| Arc::ptr_eq(p, plugin)) {
                    tracing::info!(plugin = plugin.name(), version = %plugin.info.version, "unloaded plugin");
                }
            }
            self.current.store(registry.clone());
            self.generation.send_modify(|g| *g += 1);
        }
        (registry, changed)
    }

    /// Builds the registry. Plugins already serving go first, so when a new
    /// file collides with one of them it is the newcomer that is refused.
    fn assemble(
        &self,
        files: &HashMap<PathBuf, Loaded>,
        failures: &mut Vec<LoadFailure>,
    ) -> Registry {
        let before = self.current.load();
        // By file, not by name: a newcomer has the same name as the plugin
        // it collides with, and an upgraded file keeps its place.
        let serving = |p: &Plugin| before.plugins().iter().any(|b| b.path == p.path);
        // Directories in order: an extra directory (a ConfigMap, an image)
        // never shadows a name of the main one, whatever is serving now.
        let dirs: Vec<&PathBuf> = self.dirs().collect();
        let dir_rank = |path: &Path| {
            dirs.iter()
                .position(|d| path.parent() == Some(d.as_path()))
                .unwrap_or(usize::MAX)
        };
        let mut order: Vec<(&PathBuf, &Loaded)> = files.iter().collect();
        // A registry source ranks with the main folder while it serves (so
        // a new folder file of its name is the one refused) and after every
        // folder when it is new.
        let rank = |path: &Path, serving: bool| match (is_source_key(path), serving) {
            (true, true) => 0,
            (true, false) => usize::MAX,
            (false, _) => dir_rank(path),
        };
        order.sort_by_key(|(path, l)| {
            let serving = serving(&l.plugin);
            (rank(path, serving), !serving, (*path).clone())
        });
        let mut registry = Registry::default();
        for (path, l) in order {
            if let Err(message) = registry.add(l.plugin.clone()) {
                tracing::error!(path = %path.display(), "cannot load plugin: {message}");
                failures.push(LoadFailure {
                    path: path.clone(),
                    error: LoadError::Collision(message),
                });
            }
        }
        registry
    }

    /// Watches the directory and reloads after each burst of changes, until
    /// the returned handle is dropped.
    pub fn watch(self: &Arc<Self>) -> notify::Result<WatchHandle> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                // Which file changed does not matter: a reload compares digests.
                if event.as_ref().is_ok_and(changes_content) {
                    let _ = tx.send(());
                }
            })?;
        // Not recursive: a ConfigMap's `..data` swap is a rename in this
        // directory, and that is what we need to see.
        for dir in self.dirs() {
            watcher.watch(dir, notify::RecursiveMode::NonRecursive)?;
        }
        let host = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            while rx.recv().await.is_some() {
                // Debounce: wait for a quiet period.
                while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
                let Some(host) = host.upgrade() else { break };
                if let Err(e) = host.reload().await {
                    tracing::error!("cannot read the plugins directory: {e}");
                }
            }
        });
        Ok(WatchHandle {
            _watcher: Mutex::new(watcher),
            task,
        })
    }
}

/// Whether `event` can change what a directory's plugins are: files made,
/// removed, renamed or written. Opening and reading them (which every
/// reload does) and metadata changes (access times) cannot.
fn changes_content(event: &notify::Event) -> bool {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, ModifyKind};
    match event.kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Any | EventKind::Other => true,
    }
}

/// The name a plugin file gives its plugin: the file name without `.wasm`.
fn plugin_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Registry sources are keyed by their `oci://` reference.
fn is_source_key(key: &Path) -> bool {
    key.to_str().is_some_and(|k| k.starts_with("oci://"))
}

use crate::text::hex;

/// Stops watching when dropped.
pub struct WatchHandle {
    _watcher: Mutex<notify::RecommendedWatcher>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn same_plugins(a: &Registry, b: &Registry) -> bool {
    a.plugins().len() == b.plugins().len()
        && a.plugins()
            .iter()
            .zip(b.plugins())
            .all(|(x, y)| Arc::ptr_eq(x, y))
}

use super::folder::plugin_files;
