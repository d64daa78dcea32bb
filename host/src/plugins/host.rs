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
use tokio::sync::{mpsc, watch};

use super::admission::{Admission, PluginKey};
use super::loader::{LoadError, LoadFailure, Runtime};
use super::plugin::Plugin;
use super::registry::Registry;
use crate::distribution::{PluginRef, TrustPolicy};

/// How long the directory must be quiet before a reload: copying a file or
/// swapping a ConfigMap produces a burst of events.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// A loaded file: what its bytes hashed to, and the plugin they made.
#[derive(Clone)]
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
    loaded: tokio::sync::Mutex<HashMap<PluginKey, Loaded>>,
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
        let mut next: HashMap<PluginKey, Loaded> = loaded
            .iter()
            .filter(|(key, _)| key.is_registry())
            .map(|(key, l)| (key.clone(), l.clone()))
            .collect();
        let mut failures = Vec::new();
        let mut paths = Vec::new();
        for dir in self.dirs() {
            paths.extend(plugin_files(dir)?);
        }
        for path in paths {
            let key = PluginKey::Folder(path.clone());
            let previous = loaded.remove(&key);
            match self.load_file(&key, &path, previous.as_ref()).await {
                Ok(now) => {
                    next.insert(key, now);
                }
                Err(error) => {
                    self.log_refusal(&plugin_name(&path), &key, &error, previous.is_some());
                    if let Some(previous) = previous {
                        next.insert(key, previous);
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

    /// The checks every plugin passes, with this host's pins and trust.
    fn admission(&self) -> Admission<'_> {
        Admission {
            pins: &self.runtime.settings().pins,
            folder_trust: self.folder_trust.as_ref(),
        }
    }

    /// Reads, admits and loads the plugin file at `path`; an unchanged file
    /// keeps its `previous` plugin.
    async fn load_file(
        &self,
        key: &PluginKey,
        path: &Path,
        previous: Option<&Loaded>,
    ) -> Result<Loaded, LoadError> {
        let read = {
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || super::folder::read_plugin(&path)).await
        };
        let bytes = read
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            .map_err(LoadError::Read)?;
        let name = plugin_name(path);
        let admission = self.admission();
        let digest = admission.bytes(key, &name, &bytes).await?;
        if let Some(same) = previous.filter(|p| p.digest == digest) {
            return Ok(same.clone());
        }
        let plugin = self.runtime.load_bytes(path, bytes).await?;
        let plugin = admission.named(key, &name, plugin)?;
        self.stats.loaded.fetch_add(1, Ordering::Relaxed);
        Ok(Loaded {
            digest,
            plugin: Arc::new(plugin),
        })
    }

    /// Logs why plugin `name` from `key` was not loaded, and counts a
    /// refusal for want of trust.
    fn log_refusal(&self, name: &str, key: &PluginKey, error: &LoadError, kept_previous: bool) {
        if let LoadError::Refused(refusal) = error {
            tracing::error!(path = %key, reason = refusal.reason(), "refused plugin: {refusal}");
            self.stats.refused(name, refusal.reason());
        } else if kept_previous {
            tracing::error!(path = %key, "cannot load the new version of this plugin, keeping the previous one: {error}");
        } else {
            tracing::error!(path = %key, "cannot load plugin: {error}");
        }
    }

    /// Installs plugin `name` pulled from `reference` (a registry source),
    /// replacing the version it had, in one atomic swap. When it fails to
    /// load, the previous version keeps serving.
    pub async fn install(
        &self,
        reference: &PluginRef,
        name: &str,
        component: Vec<u8>,
    ) -> Result<Arc<Plugin>, LoadError> {
        let key = PluginKey::Registry(reference.clone());
        let mut loaded = self.loaded.lock().await;
        let admission = self.admission();
        let digest = admission.bytes(&key, name, &component).await?;
        if let Some(same) = loaded.get(&key).filter(|l| l.digest == digest) {
            return Ok(same.plugin.clone());
        }
        let plugin = self.runtime.load_bytes(&key.place(), component).await?;
        let plugin = Arc::new(admission.named(&key, name, plugin)?);
        self.stats.loaded.fetch_add(1, Ordering::Relaxed);
        let mut next = loaded.clone();
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
            let place = key.place();
            return Err(failures
                .into_iter()
                .find(|f| f.path == place)
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
        next: &HashMap<PluginKey, Loaded>,
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
        files: &HashMap<PluginKey, Loaded>,
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
        let mut order: Vec<(&PluginKey, &Loaded)> = files.iter().collect();
        // A registry source ranks with the main folder while it serves (so
        // a new folder file of its name is the one refused) and after every
        // folder when it is new.
        let rank = |key: &PluginKey, serving: bool| match (key, serving) {
            (PluginKey::Registry(_), true) => 0,
            (PluginKey::Registry(_), false) => usize::MAX,
            (PluginKey::Folder(path), _) => dir_rank(path),
        };
        order.sort_by_key(|(key, l)| {
            let serving = serving(&l.plugin);
            (rank(key, serving), !serving, key.place())
        });
        let mut registry = Registry::default();
        for (key, l) in order {
            if let Err(message) = registry.add(l.plugin.clone()) {
                tracing::error!(path = %key, "cannot load plugin: {message}");
                failures.push(LoadFailure {
                    path: key.place(),
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
