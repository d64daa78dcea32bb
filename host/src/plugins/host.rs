//! The live set of plugins: the plugins directory, loaded into a registry
//! snapshot that is swapped atomically whenever the directory changes.
//!
//! Calls take the snapshot current when they start and hold its `Arc`s, so a
//! call already running finishes on the version it started with while new
//! calls see the new one.

use std::collections::HashMap;
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
    dir: PathBuf,
    /// More directories loaded and watched the same way (a ConfigMap, an
    /// image volume): each file is one plugin, whichever directory holds it.
    extra_dirs: Vec<PathBuf>,
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
        Arc::new(PluginHost {
            runtime,
            dir,
            extra_dirs: Vec::new(),
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
        let mut host =
            Arc::into_inner(PluginHost::new(runtime, dir)).expect("a new host has one owner");
        host.extra_dirs = extra_dirs;
        Arc::new(host)
    }

    fn dirs(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.dir).chain(&self.extra_dirs)
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
        let mut next: HashMap<PathBuf, Loaded> = HashMap::new();
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

        let registry = self.assemble(&next, &mut failures);
        self.stats.reloads.fetch_add(1, Ordering::Relaxed);
        self.stats
            .failed
            .fetch_add(failures.len() as u64, Ordering::Relaxed);
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
        *loaded = next;
        Ok(Reload {
            registry,
            failures,
            changed,
        })
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
        order.sort_by_key(|(path, l)| (dir_rank(path), !serving(&l.plugin), (*path).clone()));
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
                    tracing::error!(dir = %host.dir.display(), "cannot read the plugins directory: {e}");
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
