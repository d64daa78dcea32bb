//! Compiled plugin code cached on disk, so a restart with unchanged plugins
//! does not compile again.
//!
//! An entry is named by the SHA-256 of the wasm and a hash of the engine's
//! settings and version, so a changed plugin or engine never reuses stale
//! code. Entries are native code this process will run: the directory is
//! created private (0700), and one that is a symlink, belongs to another
//! user or is writable by others is not used; entries are opened without
//! following symlinks and must be regular files of this user.

use std::hash::{Hash, Hasher};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How many components were compiled and how many came from the cache.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub compiled: AtomicU64,
    pub from_cache: AtomicU64,
}

/// The on-disk cache (or none, when no directory is configured or usable).
pub struct CodeCache {
    /// The directory as configured (for messages) and held open.
    dir: Option<(PathBuf, Dir)>,
    engine_key: String,
    /// Held while compiling: one component compiles at a time (wasmtime
    /// already compiles its functions in parallel), so a folder of large
    /// plugins peaks at the memory of the largest, not of all of them.
    compiling: std::sync::Mutex<()>,
    pub stats: CacheStats,
}

impl CodeCache {
    /// A cache in `dir`, created private if missing. An unusable directory
    /// is reported and the cache is off: compiling still works.
    pub fn new(dir: Option<PathBuf>, engine: &Engine) -> CodeCache {
        let dir = dir.and_then(|dir| {
            match std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
            {
                Ok(()) => match open_private(&dir) {
                    Ok(handle) => Some((dir, handle)),
                    Err(why) => {
                        tracing::warn!(dir = %dir.display(), "compiled-code cache disabled: {why}");
                        None
                    }
                },
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), "compiled-code cache disabled: {e}");
                    None
                }
            }
        });
        // If this key ever differs between builds, old entries just miss;
        // wasmtime also checks each artifact's compatibility when loading.
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("engine-{:016x}", hasher.finish());
        CodeCache {
            dir,
            engine_key,
            compiling: std::sync::Mutex::new(()),
            stats: CacheStats::default(),
        }
    }

    /// The component for `bytes`: from the cache, or compiled (and stored).
    pub fn component(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
        let entry = self.dir.as_ref().map(|(path, dir)| {
            let name = self.entry_name(bytes);
            (path.join(&name), dir, name)
        });
        if let Some((shown, dir, name)) = entry
            .as_ref()
            .filter(|(_, dir, name)| dir.symlink_metadata(name).is_ok())
        {
            // Read into memory rather than `deserialize_file`, which maps the
            // file and runs code from the mapping: anyone truncating the file
            // in place would then crash the server with SIGBUS.
            let loaded = match read_private(dir, name) {
                // SAFETY: entries are written only by `store` below, into a
                // directory private to this user, named by the wasm's digest
                // and the engine's settings; wasmtime checks the header too.
                Ok(code) => unsafe { Component::deserialize(engine, &code) },
                Err(e) => Err(wasmtime::Error::msg(e)),
            };
            match loaded {
                Ok(component) => {
                    self.stats.from_cache.fetch_add(1, Ordering::Relaxed);
                    return Ok(component);
                }
                Err(e) => {
                    tracing::warn!(entry = %shown.display(), "ignoring an unusable cache entry: {e:#}")
                }
            }
        }
        let compiling = self.compiling.lock().unwrap_or_else(|e| e.into_inner());
        let component = Component::new(engine, bytes)?;
        drop(compiling);
        self.stats.compiled.fetch_add(1, Ordering::Relaxed);
        if let Some((shown, dir, name)) = entry
            && let Err(e) = store(dir, &name, &component)
        {
            tracing::warn!(entry = %shown.display(), "cannot write the compiled-code cache: {e:#}");
        }
        Ok(component)
    }

    fn entry_name(&self, bytes: &[u8]) -> String {
        let digest = Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}-{}.cwasm", self.engine_key)
    }
}

/// Opens the directory at `path` if it may hold code this process runs,
/// checking the opened handle itself so the path cannot change in between.
fn open_private(path: &Path) -> Result<Dir, String> {
    check_private(path, true)?;
    let dir = Dir::open_ambient_dir(path, ambient_authority())
        .map_err(|e| format!("cannot open it: {e}"))?;
    let opened = dir
        .try_clone()
        .and_then(|d| d.into_std_file().metadata())
        .map_err(|e| format!("cannot inspect it: {e}"))?;
    check_meta(&opened, true)?;
    Ok(dir)
}

/// Why `path` may not hold code this process runs: not a real directory
/// (or file), another user's, or writable by group or others.
fn check_private(path: &Path, directory: bool) -> Result<(), String> {
    let meta = path
        .symlink_metadata()
        .map_err(|e| format!("cannot inspect it: {e}"))?;
    check_meta(&meta, directory)
}

fn check_meta(meta: &std::fs::Metadata, directory: bool) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Err("it is a symlink".into());
    }
    if directory && !kind.is_dir() || !directory && !kind.is_file() {
        return Err(format!(
            "it is not a {}",
            if directory {
                "directory"
            } else {
                "regular file"
            }
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "it belongs to uid {}, not to this server's uid {me}",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "it is writable by group or others (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

/// An entry's bytes, opened without following a symlink, and only if it is
/// this user's regular file that nobody else may write.
fn read_private(dir: &Dir, name: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = dir
        .open_with(
            name,
            OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW),
        )
        .map_err(|e| format!("cannot open it (a symlink is never followed): {e}"))?;
    let mut file = file.into_std();
    // The open file itself, not the path, so nothing can swap it in between.
    let meta = file.metadata().map_err(|e| e.to_string())?;
    check_meta(&meta, false).map_err(|why| format!("not used: {why}"))?;
    let mut code = Vec::new();
    file.read_to_end(&mut code).map_err(|e| e.to_string())?;
    Ok(code)
}

/// Writes atomically: a reader never sees half an entry.
fn store(dir: &Dir, name: &str, component: &Component) -> anyhow::Result<()> {
    use std::io::Write;
    let code = component.serialize()?;
    let tmp = format!("{name}.tmp{}", std::process::id());
    let mut file = dir
        .open_with(
            &tmp,
            OpenOptions::new().write(true).create_new(true).mode(0o600),
        )?
        .into_std();
    file.write_all(&code)?;
    drop(file);
    dir.rename(&tmp, dir, name)?;
    Ok(())
}
