//! The wasmtime engine shared by every plugin, and its epoch ticker.

use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::settings::MAX_MEMORY as PLUGIN_MAX_MEMORY;

/// How often the engine's epoch advances; deadlines are whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Instances that may run at once; a call beyond it fails with a clear
/// error instead of exhausting memory.
pub const MAX_CONCURRENT_INSTANCES: u32 = 256;
/// Table slots of one instance (a Rust guest needs a few thousand).
pub const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Builds an engine from `config` (normally [`engine_config`]) and starts
/// its epoch ticker.
pub fn new_engine(config: &Config) -> wasmtime::Result<Engine> {
    let engine = Engine::new(config)?;
    start_epoch_ticker(&engine);
    Ok(engine)
}

/// The engine's configuration: components, epoch interruption for
/// deadlines, and the pooling allocator so instantiation reuses
/// pre-reserved slots. Compiled code depends on it, so the code cache is
/// keyed by it too.
pub fn engine_config() -> Config {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(MAX_CONCURRENT_INSTANCES)
        .total_core_instances(MAX_CONCURRENT_INSTANCES * 8)
        .total_memories(MAX_CONCURRENT_INSTANCES * 2)
        .total_tables(MAX_CONCURRENT_INSTANCES * 4)
        .total_stacks(MAX_CONCURRENT_INSTANCES)
        .max_memory_size(usize::try_from(PLUGIN_MAX_MEMORY).unwrap_or(usize::MAX))
        .table_elements(MAX_TABLE_ELEMENTS)
        // Reset a reused slot's first 64 KiB with memset, the rest with
        // madvise. Measured (docs/benchmarks.md): 0 → 24.7 µs per call,
        // 64 KiB → 18.7 µs, 256 KiB → 19.1 µs, 1 MiB → 23.6 µs (memset
        // then dominates).
        .linear_memory_keep_resident(64 << 10)
        .table_keep_resident(64 << 10);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

/// Advances the engine's epoch every [`EPOCH_TICK`] for as long as the
/// engine lives. A plain thread: it must keep ticking even when every async
/// worker is busy running guest code.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawn the epoch ticker thread");
}
