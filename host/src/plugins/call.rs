//! The store of one plugin instance: a deny-all WASI context, limits, and
//! what the host imports need to know about the call.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

use super::engine::EPOCH_TICK;

/// Limits of one instance. Safe fixed defaults for now; they become
/// configurable per plugin with the plugin configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time an export call may run.
    pub deadline: Duration,
    /// Maximum size of each linear memory.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(10),
            memory_bytes: 64 << 20,
        }
    }
}

/// Data of a store that runs one plugin instance.
pub struct CallState {
    /// The plugin's name, for tagging its log lines.
    pub plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl CallState {
    /// A store for one instance of `plugin`.
    ///
    /// WASI is linked because a std guest imports it, but the context is
    /// empty: no preopened directories, no environment, no arguments, no
    /// network, and stdin/stdout/stderr closed.
    pub fn new_store(engine: &wasmtime::Engine, plugin: Arc<str>, limits: Limits) -> Store<Self> {
        let state = CallState {
            plugin,
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .trap_on_grow_failure(true)
                .build(),
        };
        let mut store = Store::new(engine, state);
        store.limiter(|state| &mut state.limits);
        let ticks = limits
            .deadline
            .as_millis()
            .div_ceil(EPOCH_TICK.as_millis())
            .max(1);
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store.epoch_deadline_trap();
        store
    }
}
