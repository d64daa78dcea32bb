//! The store of one plugin instance: a deny-all WASI context, limits that
//! remember which one was hit, and what the host imports need to know.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{FsPerms, ResourceTable, WasiCtx, WasiCtxView, WasiView};

use super::context::CallContext;
use super::engine::MAX_TABLE_ELEMENTS;
use super::guest_log::{GuestLog, LogBudget, Stream};
use super::settings::{DirectoryGrant, PluginLimits};
use crate::kube::{KubeAccess, KubeCaller, KubeView};

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
    /// How many of its calls may run at once, per plugin and per caller.
    pub slots: super::busy::Slots,
}

/// When a call must be over. A call that goes on as a task gets a later
/// one, so the epoch callback reads it each tick.
#[derive(Debug)]
pub struct Deadline {
    start: Instant,
    /// Nanoseconds after `start`.
    after: std::sync::atomic::AtomicU64,
    /// The time limit given last, in nanoseconds (for messages).
    limit: std::sync::atomic::AtomicU64,
}

impl Deadline {
    pub fn after(timeout: std::time::Duration) -> Deadline {
        let nanos = timeout.as_nanos() as u64;
        Deadline {
            start: Instant::now(),
            after: nanos.into(),
            limit: nanos.into(),
        }
    }

    pub fn get(&self) -> Instant {
        let after = self.after.load(std::sync::atomic::Ordering::Relaxed);
        self.start + std::time::Duration::from_nanos(after)
    }

    /// The time limit given last: the plugin's, or a task's.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.limit.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Moves the deadline to `timeout` from now.
    pub fn extend(&self, timeout: std::time::Duration) {
        let after = self.start.elapsed() + timeout;
        self.limit.store(
            timeout.as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        self.after.store(
            after.as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
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
    /// This instance's number, for tagging its log lines
    /// ([`super::guest_log::next_call`]).
    pub call: u64,
    /// The tool being called, once known, for tagging log lines.
    pub tool: Option<Arc<str>>,
    wasi: WasiCtx,
    /// `wasi:http`, refusing every request (see [`super::http`]).
    http: super::http::HttpState,
    table: ResourceTable,
    memory_bytes: usize,
    /// Bytes of linear memory the instance holds, all memories together.
    memory_used: usize,
    /// Slots this call holds (see [`super::busy`]); freed with the store.
    pub slots: Vec<tokio::sync::OwnedSemaphorePermit>,
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
    /// Whom the call's Kubernetes requests are made for.
    kube_caller: KubeCaller,
    /// When the call must be over; host functions that wait honour it too.
    pub deadline: Arc<Deadline>,
    /// Whether the call has changed the cluster yet.
    pub changed_cluster: std::sync::atomic::AtomicBool,
    /// Questions asked so far through `client` (numbers the keys of those
    /// asked one at a time).
    pub questions_asked: u32,
    /// A scratch directory lives as long as the call.
    _scratch: Option<tempfile::TempDir>,
}

impl CallState {
    /// What the `kubernetes` interface sees of this call.
    pub fn kube_view(&mut self) -> KubeView<'_> {
        KubeView {
            access: &self.kube,
            plugin: &self.plugin,
            as_user: &self.kube_caller,
            output_bytes: self.output_bytes,
            changed: &self.changed_cluster,
            deadline: self.deadline.get(),
            clusters_allowed: &self.context.clusters_allowed,
        }
    }
}

impl Drop for CallState {
    /// Whatever the call's last burst dropped is reported now.
    fn drop(&mut self) {
        self.log_budget.report_dropped(&self.plugin);
    }
}

impl CallState {
    /// Bytes of linear memory the instance holds now.
    pub fn memory_used(&self) -> u64 {
        self.memory_used as u64
    }
}

impl wasmtime_wasi_http::WasiHttpView for CallState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        self.http.view(&mut self.table)
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
    /// The limit holds for the instance as a whole: a component may have
    /// several linear memories (one per core module), and each one's growth
    /// counts against the same budget. Creating a memory is a growth from 0.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory_used - current.min(self.memory_used) + desired;
        if total > self.memory_bytes {
            self.limit_hit = Some(LimitHit::Memory);
            return Ok(false);
        }
        self.memory_used = total;
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
        let call = super::guest_log::next_call();
        let mut wasi = WasiCtx::builder();
        wasi.stdout(GuestLog::new(
            sandbox.plugin.clone(),
            call,
            Stream::Stdout,
            sandbox.log_budget.clone(),
        ))
        .stderr(GuestLog::new(
            sandbox.plugin.clone(),
            call,
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
        let deadline = Arc::new(Deadline::after(sandbox.limits.timeout));
        let state = CallState {
            plugin: sandbox.plugin.clone(),
            call,
            tool: None,
            wasi: wasi.build(),
            http: Default::default(),
            table: ResourceTable::new(),
            memory_bytes: usize::try_from(sandbox.limits.memory_bytes).unwrap_or(usize::MAX),
            memory_used: 0,
            slots: Vec::new(),
            output_bytes: sandbox.limits.output_bytes,
            log_budget: sandbox.log_budget.clone(),
            settings: sandbox.settings.clone(),
            limit_hit: None,
            kube: sandbox.kube.on(context.cluster.clone()),
            kube_caller: KubeCaller {
                impersonated: context.caller.impersonated.clone(),
                token: context.caller.token.clone(),
            },
            context,
            deadline: deadline.clone(),
            changed_cluster: Default::default(),
            questions_asked: 0,
            _scratch: scratch,
        };
        let mut store = Store::new(engine, state);
        store.limiter(|state| state);
        // Every epoch tick, guest code yields to the async executor (so a
        // spinning plugin cannot hold a worker thread) until the deadline,
        // where the call is interrupted.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline.get() {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_limit_holds_for_all_memories_together() {
        let engine = wasmtime::Engine::default();
        let sandbox = Sandbox {
            plugin: "p".into(),
            limits: PluginLimits {
                memory_bytes: 64 << 20,
                ..PluginLimits::default()
            },
            directory: None,
            log_budget: Default::default(),
            kube: Default::default(),
            settings: Default::default(),
            slots: super::super::busy::Slots::new(
                1,
                Arc::new(super::super::busy::CallerSlots::new(1)),
            ),
        };
        let nobody = CallContext::anonymous();
        let mut store = CallState::new_store(&engine, &sandbox, nobody).unwrap();
        let state = store.data_mut();
        const MIB: usize = 1 << 20;
        assert!(state.memory_growing(0, 40 * MIB, None).unwrap(), "memory A");
        assert!(
            !state.memory_growing(0, 40 * MIB, None).unwrap(),
            "memory B would make 80 MiB of a 64 MiB limit"
        );
        assert_eq!(state.limit_hit, Some(LimitHit::Memory));
        assert!(
            state.memory_growing(0, 20 * MIB, None).unwrap(),
            "B smaller"
        );
        assert!(
            state.memory_growing(40 * MIB, 44 * MIB, None).unwrap(),
            "A to 44: 64 in all"
        );
        assert!(!state.memory_growing(44 * MIB, 45 * MIB, None).unwrap());
    }
}
