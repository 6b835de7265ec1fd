//! The sandbox: one wasmtime engine for the process, and a fresh, bounded
//! store and instance for every call of a rule on an input.
//!
//! A rule gets WASI 0.2 because Rust's `wasm32-wasip2` target imports it
//! whether or not the rule uses it, but the WASI context grants nothing: no
//! preopened directories, no environment, no arguments, no network. What the
//! rule prints goes to a bounded log. Every call is bounded by fuel, by an
//! epoch deadline (wall clock), and by a memory limiter; when a bound is hit
//! the call ends with a [`CallError`] that says which one.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use wasmtime::{
    Config, Engine, ResourceLimiter, Store, Trap,
    component::{Component, HasSelf, InstancePre, Linker, ResourceTable},
};
use wasmtime_wasi::{Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::{
    contract::{self, classifier, deriver, rule},
    limits::Limits,
    log::{LogSink, RuleLog},
};

/// How often the epoch advances: the granularity of wall-clock deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The process-wide engine and linker, and the thread that drives deadlines.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<CallState>,
    /// The time every rule sees: when the sandbox was made, since the epoch.
    run_time: Duration,
    _ticker: EpochTicker,
}

/// The bytes behind every random number a rule draws.
const RANDOM_BYTES: [u8; 32] = *b"augur: same inputs, same output.";

impl Sandbox {
    pub fn new() -> Result<Sandbox> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(anyhow::Error::from).context("creating the wasmtime engine")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from).context("linking WASI")?;
        contract::augur::rules::host::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(anyhow::Error::from)
            .context("linking the augur host interface")?;

        let ticker = EpochTicker::start(engine.clone());
        let run_time = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Ok(Sandbox { engine, linker, run_time, _ticker: ticker })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles a component and checks it against the contract. Compilation
    /// happens once per component per process.
    pub fn load(&self, bytes: &[u8]) -> Result<LoadedComponent, LoadError> {
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
            return Err(LoadError::NotWasm);
        }
        // Byte 4-7: version and layer. Core modules are layer 0.
        if bytes[6..8] == [0, 0] {
            return Err(LoadError::CoreModule);
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        self.prepare(component)
    }

    fn prepare(&self, component: Component) -> Result<LoadedComponent, LoadError> {
        let exports = export_names(&self.engine, &component);
        let rule_name = contract::interface_name("rule");
        if !exports.contains(&rule_name) {
            let other: Vec<&String> = exports.iter().filter(|n| n.starts_with("augur:rules/")).collect();
            return Err(match other.first() {
                Some(name) => LoadError::ContractVersion {
                    found: name.rsplit_once('@').map_or("none", |(_, v)| v).to_owned(),
                },
                None => LoadError::NotARule { exports },
            });
        }
        let pre = self.linker.instantiate_pre(&component).map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let info_indices = rule::GuestIndices::new(&pre).map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let has = |name: &str| exports.contains(&contract::interface_name(name));
        let deriver = if has("deriver") {
            Some(deriver::GuestIndices::new(&pre).map_err(|e| LoadError::Link(format!("{e:#}")))?)
        } else {
            None
        };
        let classifier = if has("classifier") {
            Some(classifier::GuestIndices::new(&pre).map_err(|e| LoadError::Link(format!("{e:#}")))?)
        } else {
            None
        };
        if deriver.is_none() && classifier.is_none() {
            return Err(LoadError::NotARule { exports });
        }
        Ok(LoadedComponent { pre, info_indices, deriver, classifier })
    }

    /// Asks a component for its info, under `limits`.
    pub fn info(&self, component: &LoadedComponent, limits: &Limits) -> Result<contract::RuleInfo, CallError> {
        let mut call = self.start(component, limits)?;
        let guest = component.info_indices.load(&mut call.store, &call.instance).map_err(CallError::from_host)?;
        let result = guest.call_info(&mut call.store);
        call.finish(result).0
    }

    pub fn derive(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        series: &[contract::WitSnapshot],
        config: &str,
    ) -> CallOutcome {
        let indices = component.deriver.as_ref().expect("derive called on a rule that is not a deriver");
        self.run(component, limits, |store, instance| {
            indices.load(&mut *store, instance)?.call_derive(store, series, config)
        })
    }

    pub fn classify(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        job: &contract::JobOutput,
        config: &str,
    ) -> CallOutcome {
        let indices = component.classifier.as_ref().expect("classify called on a rule that is not a classifier");
        self.run(component, limits, |store, instance| {
            indices.load(&mut *store, instance)?.call_classify(store, job, config)
        })
    }

    fn run(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        call_fn: impl FnOnce(
            &mut Store<CallState>,
            &wasmtime::component::Instance,
        ) -> wasmtime::Result<Result<Vec<contract::WitFinding>, contract::RuleError>>,
    ) -> CallOutcome {
        let mut call = match self.start(component, limits) {
            Ok(call) => call,
            Err(error) => {
                return CallOutcome { result: Err(error), usage: Usage::default(), log: RuleLog::default() };
            }
        };
        let result = call_fn(&mut call.store, &call.instance);
        let (result, usage, log) = call.finish(result);
        let result = match result {
            Ok(Ok(findings)) => Ok(findings),
            Ok(Err(rule_error)) => Err(CallError::Rule(rule_error)),
            Err(e) => Err(e),
        };
        CallOutcome { result, usage, log }
    }

    fn start(&self, component: &LoadedComponent, limits: &Limits) -> Result<Call, CallError> {
        let log = LogSink::new(limits.log_bytes);
        let wasi = WasiCtx::builder()
            // Seeded and frozen: a rule's hash maps, random numbers and clock
            // readings are the same on every run, so its findings and fuel are.
            .secure_random(Deterministic::new(RANDOM_BYTES.to_vec()))
            .insecure_random(Deterministic::new(RANDOM_BYTES.to_vec()))
            .insecure_random_seed(u128::from_le_bytes(RANDOM_BYTES[..16].try_into().unwrap()))
            .wall_clock(FrozenClock(self.run_time))
            .monotonic_clock(FrozenClock(self.run_time))
            .stdout(log.stream("stdout"))
            .stderr(log.stream("stderr"))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let state = CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter { max_bytes: limits.memory_bytes(), hit: false },
            log,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_fuel(limits.fuel).map_err(CallError::from_host)?;
        store.set_epoch_deadline(limits.wall_time_ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1));
        store.epoch_deadline_trap();
        let started = Instant::now();
        let instance = component.pre.instantiate(&mut store);
        let instance = match instance {
            Ok(i) => i,
            Err(e) => return Err(classify_failure(e, &store, limits)),
        };
        Ok(Call { store, instance, started, limits: *limits })
    }
}

/// A compiled component, linked and ready to instantiate.
pub struct LoadedComponent {
    pre: InstancePre<CallState>,
    info_indices: rule::GuestIndices,
    deriver: Option<deriver::GuestIndices>,
    classifier: Option<classifier::GuestIndices>,
}

impl LoadedComponent {
    pub fn is_deriver(&self) -> bool {
        self.deriver.is_some()
    }

    pub fn is_classifier(&self) -> bool {
        self.classifier.is_some()
    }
}

/// Why a component cannot be used as a rule.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("not a WebAssembly file (it does not start with the `\\0asm` magic bytes)")]
    NotWasm,
    #[error(
        "a core WebAssembly module, not a component; build the rule for `wasm32-wasip2` (or wrap the \
         module with `wasm-tools component new`)"
    )]
    CoreModule,
    #[error("not a valid component: {0}")]
    Invalid(String),
    #[error(
        "built against augur:rules@{found}, but this augur speaks augur:rules@{host}; rebuild the rule \
         with a matching augur-sdk",
        host = contract::CONTRACT_VERSION
    )]
    ContractVersion { found: String },
    #[error(
        "not an augur rule: it must export augur:rules/rule@{v} and deriver or classifier; it exports [{}]",
        exports.join(", "),
        v = contract::CONTRACT_VERSION
    )]
    NotARule { exports: Vec<String> },
    #[error("cannot be linked: {0}")]
    Link(String),
}

/// The state of one store: one call of one rule on one input.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    log: LogSink,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl contract::augur::rules::host::Host for CallState {
    fn log(&mut self, level: contract::LogLevel, message: String) {
        let level = match level {
            contract::LogLevel::Trace => "trace",
            contract::LogLevel::Debug => "debug",
            contract::LogLevel::Info => "info",
            contract::LogLevel::Warn => "warn",
            contract::LogLevel::Error => "error",
        };
        self.log.line(level, &message);
    }
}

/// Caps linear memory and remembers that the cap was hit, so a failed
/// allocation is reported as a memory limit rather than as a bare trap.
struct MemoryLimiter {
    max_bytes: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max_bytes;
        self.hit |= !allowed;
        Ok(allowed)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond any rule.
        Ok(desired <= 1_000_000)
    }
}

struct Call {
    store: Store<CallState>,
    instance: wasmtime::component::Instance,
    started: Instant,
    limits: Limits,
}

impl Call {
    fn finish<T>(self, result: wasmtime::Result<T>) -> (Result<T, CallError>, Usage, RuleLog) {
        let wall_time = self.started.elapsed();
        let fuel_left = self.store.get_fuel().unwrap_or(0);
        let usage = Usage { fuel: self.limits.fuel.saturating_sub(fuel_left), wall_time };
        let result = result.map_err(|e| classify_failure(e, &self.store, &self.limits));
        let log = self.store.into_data().log.finish();
        (result, usage, log)
    }
}

/// What one call cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub fuel: u64,
    pub wall_time: Duration,
}

pub struct CallOutcome {
    pub result: Result<Vec<contract::WitFinding>, CallError>,
    pub usage: Usage,
    pub log: RuleLog,
}

/// Why a call produced no findings.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    #[error("used all of its {limit} units of fuel")]
    FuelExhausted { limit: u64 },
    #[error("ran past its wall-clock deadline of {limit_ms} ms")]
    DeadlineExceeded { limit_ms: u64 },
    #[error("tried to grow its memory past the limit of {limit_mib} MiB")]
    MemoryLimit { limit_mib: u64 },
    #[error("overflowed its stack")]
    StackOverflow,
    #[error("trapped: {message}")]
    Trap { code: Option<String>, message: String },
    #[error("{}", describe_rule_error(.0))]
    Rule(contract::RuleError),
    #[error("host failure: {0}")]
    Host(String),
}

fn describe_rule_error(e: &contract::RuleError) -> String {
    match e {
        contract::RuleError::InvalidConfig(m) => format!("rejected its config: {m}"),
        contract::RuleError::InvalidInput(m) => format!("rejected the input: {m}"),
        contract::RuleError::Internal(m) => format!("failed: {m}"),
    }
}

impl CallError {
    fn from_host(e: wasmtime::Error) -> CallError {
        CallError::Host(format!("{e:#}"))
    }

    /// The stable name of the error's class, as written in reports.
    pub fn class(&self) -> &'static str {
        match self {
            CallError::FuelExhausted { .. } => "fuel_exhausted",
            CallError::DeadlineExceeded { .. } => "deadline_exceeded",
            CallError::MemoryLimit { .. } => "memory_limit",
            CallError::StackOverflow => "stack_overflow",
            CallError::Trap { .. } => "trap",
            CallError::Rule(contract::RuleError::InvalidConfig(_)) => "invalid_config",
            CallError::Rule(_) => "rule_error",
            CallError::Host(_) => "host_error",
        }
    }

    /// One line on what to do about it.
    pub fn hint(&self) -> String {
        match self {
            CallError::FuelExhausted { .. } => {
                "raise `fuel` in the rule's [rule.limits] if the input is large, or fix a runaway loop".into()
            }
            CallError::DeadlineExceeded { .. } => {
                "raise `wall_time_ms` in the rule's [rule.limits], or fix a loop that never ends".into()
            }
            CallError::MemoryLimit { .. } => {
                "raise `memory_mib` in the rule's [rule.limits], or make the rule hold less of the input".into()
            }
            CallError::StackOverflow => "fix unbounded recursion in the rule".into(),
            CallError::Trap { .. } => "a fault in the rule: see its message and log, and fix the rule".into(),
            CallError::Rule(contract::RuleError::InvalidConfig(_)) => {
                "fix the rule's [rule.config] in the pack; `augur rules` shows its config schema".into()
            }
            CallError::Rule(_) => "see the rule's message; it declined this input".into(),
            CallError::Host(_) => "an augur fault: please report it with the input".into(),
        }
    }
}

/// Turns a failed wasm call into the bound it hit, or the trap it raised.
fn classify_failure(e: wasmtime::Error, store: &Store<CallState>, limits: &Limits) -> CallError {
    if store.data().limiter.hit {
        return CallError::MemoryLimit { limit_mib: limits.memory_mib };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallError::FuelExhausted { limit: limits.fuel },
        Some(Trap::Interrupt) => CallError::DeadlineExceeded { limit_ms: limits.wall_time_ms },
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        Some(trap) => {
            let panic = store.data().log.panic_message();
            let message = match panic {
                Some(p) => format!("{trap} (the rule panicked: {p})"),
                None => trap.to_string(),
            };
            CallError::Trap { code: Some(format!("{trap:?}")), message }
        }
        None => CallError::Trap { code: None, message: format!("{e:#}") },
    }
}

/// Names of a component's exports (its interfaces, for a rule).
fn export_names(engine: &Engine, component: &Component) -> Vec<String> {
    component.component_type().exports(engine).map(|(name, _)| name.to_owned()).collect()
}

/// A clock that always reads the run's start time; a rule cannot time
/// itself or anything else with it.
struct FrozenClock(Duration);

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        self.0
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        u64::try_from(self.0.as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::Builder::new()
            .name("augur-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker { stop, handle: Some(handle) }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
