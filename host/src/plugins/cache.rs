//! Compiled plugin code cached on disk, so a restart with unchanged plugins
//! does not compile again.
//!
//! An entry is named by the SHA-256 of the wasm and a hash of the engine's
//! settings and version, so a changed plugin or engine never reuses stale
//! code. Entries are native code this process will run: the directory is
//! created private (0700) and must not be writable by anyone else.

use std::hash::{Hash, Hasher};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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
    dir: Option<PathBuf>,
    engine_key: String,
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
                Ok(()) => Some(dir),
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
            stats: CacheStats::default(),
        }
    }

    /// The component for `bytes`: from the cache, or compiled (and stored).
    pub fn component(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
        let entry = self.dir.as_ref().map(|dir| self.entry(dir, bytes));
        if let Some(entry) = entry.as_ref().filter(|e| e.is_file()) {
            // Read into memory rather than `deserialize_file`, which maps the
            // file and runs code from the mapping: anyone truncating the file
            // in place would then crash the server with SIGBUS.
            let loaded = match std::fs::read(entry) {
                // SAFETY: entries are written only by `store` below, into a
                // directory private to this user, named by the wasm's digest
                // and the engine's settings; wasmtime checks the header too.
                Ok(code) => unsafe { Component::deserialize(engine, &code) },
                Err(e) => Err(e.into()),
            };
            match loaded {
                Ok(component) => {
                    self.stats.from_cache.fetch_add(1, Ordering::Relaxed);
                    return Ok(component);
                }
                Err(e) => {
                    tracing::warn!(entry = %entry.display(), "ignoring an unusable cache entry: {e:#}")
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        self.stats.compiled.fetch_add(1, Ordering::Relaxed);
        if let Some(entry) = entry
            && let Err(e) = store(&entry, &component)
        {
            tracing::warn!(entry = %entry.display(), "cannot write the compiled-code cache: {e:#}");
        }
        Ok(component)
    }

    fn entry(&self, dir: &Path, bytes: &[u8]) -> PathBuf {
        let digest = Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        dir.join(format!("{hex}-{}.cwasm", self.engine_key))
    }
}

/// Writes atomically: a reader never sees half an entry.
fn store(entry: &Path, component: &Component) -> anyhow::Result<()> {
    let code = component.serialize()?;
    let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&code)?;
    }
    std::fs::rename(&tmp, entry)?;
    Ok(())
}
