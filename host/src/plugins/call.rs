//! The store of one plugin instance: a deny-all WASI context, limits that
//! remember which one was hit, and what the host imports need to know.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{FsPerms, ResourceTable, WasiCtx, WasiCtxView, WasiView};

use super::context::CallContext;
use super::engine::MAX_TABLE_ELEMENTS;
use super::guest_log::{GuestLog, LogBudget, Stream};
use super::kubernetes::KubeAccess;
use crate::config::{DirectoryGrant, PluginLimits};

/// Caps on wasm structures; generous for any real guest, bounded for a
/// hostile one.
const MAX_INSTANCES: usize = 64;
const MAX_TABLES: usize = 32;
const MAX_MEMORIES: usize = 8;

/// Where a plugin sees the directory an operator lends it.
pub const GUEST_DIRECTORY: &str = "/data";

/// Everything that shapes one plugin's instances.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub plugin: Arc<str>,
    pub limits: PluginLimits,
    pub directory: Option<DirectoryGrant>,
    pub log_budget: Arc<LogBudget>,
    /// What the plugin may do in the cluster.
    pub kube: KubeAccess,
    /// What it reads through the `config` import.
    pub settings: Arc<std::collections::BTreeMap<String, String>>,
}

/// Which limit stopped a call, recorded when it is hit so the error can say
/// so instead of showing a bare trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    Memory,
    Tables,
}

/// Data of a store that runs one plugin instance.
pub struct CallState {
    /// The plugin's name, for tagging its log lines.
    pub plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    memory_bytes: usize,
    /// The most a call may return; also the most of a pod's log it reads.
    pub output_bytes: u64,
    /// The plugin's log rate limit, shared by its calls and streams.
    pub log_budget: Arc<super::guest_log::LogBudget>,
    /// The operator's settings for the plugin (`config` import).
    pub settings: Arc<std::collections::BTreeMap<String, String>>,
    pub limit_hit: Option<LimitHit>,
    /// Who is calling, and the client to talk back to.
    pub context: CallContext,
    pub kube: KubeAccess,
    /// When the call must be over; host functions that wait honour it too.
    pub deadline: Instant,
    /// A scratch directory lives as long as the call.
    _scratch: Option<tempfile::TempDir>,
}

impl Drop for CallState {
    /// Whatever the call's last burst dropped is reported now.
    fn drop(&mut self) {
        self.log_budget.report_dropped(&self.plugin);
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.limit_hit = Some(LimitHit::Memory);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            self.limit_hit = Some(LimitHit::Tables);
            return Ok(false);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

impl CallState {
    /// A store for one instance of a plugin.
    ///
    /// WASI is linked because a std guest imports it, but the context is
    /// empty: no environment, no arguments, no network, no stdin; stdout and
    /// stderr go to the log. The only file system is the directory an
    /// operator lent this plugin, if any.
    pub fn new_store(
        engine: &wasmtime::Engine,
        sandbox: &Sandbox,
        context: CallContext,
    ) -> wasmtime::Result<Store<Self>> {
        let mut wasi = WasiCtx::builder();
        wasi.stdout(GuestLog::new(
            sandbox.plugin.clone(),
            Stream::Stdout,
            sandbox.log_budget.clone(),
        ))
        .stderr(GuestLog::new(
            sandbox.plugin.clone(),
            Stream::Stderr,
            sandbox.log_budget.clone(),
        ));
        let mut scratch = None;
        match &sandbox.directory {
            None => {}
            Some(DirectoryGrant::ReadOnly(path)) => {
                wasi.preopened_dir(path, GUEST_DIRECTORY, FsPerms::ReadOnly)?;
            }
            Some(DirectoryGrant::Scratch) => {
                let dir = tempfile::Builder::new()
                    .prefix("kube-mcp-scratch-")
                    .tempdir()?;
                wasi.preopened_dir(dir.path(), GUEST_DIRECTORY, FsPerms::ReadWrite)?;
                scratch = Some(dir);
            }
        }
        let deadline = Instant::now() + sandbox.limits.timeout;
        let state = CallState {
            plugin: sandbox.plugin.clone(),
            wasi: wasi.build(),
            table: ResourceTable::new(),
            memory_bytes: usize::try_from(sandbox.limits.memory_bytes).unwrap_or(usize::MAX),
            output_bytes: sandbox.limits.output_bytes,
            log_budget: sandbox.log_budget.clone(),
            settings: sandbox.settings.clone(),
            limit_hit: None,
            context,
            kube: sandbox.kube.clone(),
            deadline,
            _scratch: scratch,
        };
        let mut store = Store::new(engine, state);
        store.limiter(|state| state);
        // Every epoch tick, guest code yields to the async executor (so a
        // spinning plugin cannot hold a worker thread) until the deadline,
        // where the call is interrupted.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        Ok(store)
    }
}
