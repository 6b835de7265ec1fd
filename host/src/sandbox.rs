//! The sandbox: wasmtime engines for the process, and a fresh, bounded store
//! and instance for every call of a rule on an input.
//!
//! A rule gets WASI 0.2 because Rust's `wasm32-wasip2` target imports it
//! whether or not the rule uses it, but the WASI context grants nothing: no
//! preopened directories, no environment, no arguments, no network. What the
//! rule prints goes to a bounded log. Every call is bounded by fuel (charged
//! for host calls too), by an epoch deadline (wall clock), by a memory
//! limiter, by the engine's wasm stack limit and by wasmtime's hostcall fuel
//! (the bytes a rule may hand the host at once); when a bound is hit the call
//! ends with a [`CallError`] that says which one.
//!
//! The only host function a rule can call is `log`, which never calls back
//! into wasm: a rule cannot re-enter the host or itself to escape its budget.
//! No host call blocks: WASI's timers are replaced by ones of the frozen run
//! clock, already expired (see [`link_timers`]). Memory and tables are capped
//! for the whole instance, with counts of memories, tables and instances.
//!
//! The wasm stack limit is a setting of the engine, so the sandbox keeps one
//! engine per distinct `stack_kib` a pack asks for (and, when a rule has a
//! `setup`, a second one that compiles fast to run it once). Wasm runs on the
//! calling thread's native stack: call the sandbox from a thread of at least
//! [`crate::limits::WORKER_STACK_BYTES`]. A sandbox is shared by the threads
//! of a run; each call has its own store.

use std::{
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::{
    CallHook, Config, Engine, ResourceLimiter, Store, StoreContextMut, Trap, UpdateDeadline,
    component::{Component, HasSelf, InstancePre, Linker, Resource, ResourceTable},
};
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView,
};

use crate::{
    cache::{CompileCache, Provenance},
    contract::{self, classifier, correlator, deriver, log_scanner, prefilter, rule},
    history::HistoryView,
    limits::{CallBounds, Limits},
    log::{LogSink, RuleLog},
    pool::{self, PoolSlots, Slot},
    preinit,
};

/// How often the epoch advances: the granularity of wall-clock deadlines and
/// of noticing an interruption.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The native stack of the thread that compiles a component.
const COMPILE_STACK_BYTES: usize = 16 << 20;

/// The bytes behind every random number a rule draws.
const RANDOM_BYTES: [u8; 32] = *b"augur: same inputs, same output.";

/// The engines and linkers of the process, and the thread that drives
/// deadlines.
pub struct Sandbox {
    /// One engine per wasm stack size in use, created when first asked for.
    engines: Mutex<Vec<Arc<EngineSet>>>,
    /// Every engine, for the ticker to advance.
    tick_list: Arc<Mutex<Vec<Engine>>>,
    /// The time every rule sees, since the epoch: when the sandbox was made,
    /// `--now`, or a test case's own clock.
    run_time: RwLock<Duration>,
    /// Set to stop the running call and every later one (Ctrl-C).
    interrupted: Arc<AtomicBool>,
    /// Where compiled components are kept between runs.
    cache: CompileCache,
    /// Past findings the run's rules may query (`history` interface), when
    /// the run records a history.
    history: Mutex<Option<Arc<HistoryView>>>,
    /// The calls that may hold a pooled instance at once.
    slots: PoolSlots,
    _ticker: EpochTicker,
}

/// What wasmtime says of a component that does not fit the pool's slots.
const POOL_REFUSAL: &str = "pooling allocator";

/// What an engine is made for.
#[derive(Clone, Copy)]
enum EngineUse {
    /// Running rules' calls, with instances from the pool or not.
    Call { pooled: bool },
    /// Running a rule's `setup` once (see [`preinit`]), in code compiled
    /// by this compiler.
    Setup(SetupCompiler),
}

/// Whether `setup` may run in Winch's code: `AUGUR_WINCH=off` leaves it to
/// Cranelift, to compare the two (the state after `setup` is the same).
fn winch_allowed() -> bool {
    !pool::switched_off("AUGUR_WINCH")
}

/// What compiles the code a rule's `setup` runs in: it runs once, so the
/// compile is most of its cost. Tried in this order.
#[derive(Clone, Copy, Debug)]
enum SetupCompiler {
    /// Winch, wasmtime's single-pass compiler: a fraction of Cranelift's
    /// compile time, where it runs (x86-64 and AArch64) and for what it
    /// compiles (no tail calls, exceptions or GC types).
    Winch,
    /// Cranelift unoptimised, for everything else: the verdict of record
    /// when a setup fails under Winch.
    Cranelift,
}

/// An engine for one wasm stack size, and its linker.
struct EngineSet {
    stack_bytes: usize,
    /// Asked for with limits that fit the instance pool ([`pool::usable`]),
    /// for a component that does.
    fits_pool: bool,
    /// Its instances come from the pool (it may have been refused).
    pooled: bool,
    engine: Engine,
    linker: Linker<CallState>,
    /// The engines and linkers that run rules' `setup`, in the order to try
    /// them, made when first needed.
    setup: std::sync::OnceLock<Vec<preinit::SetupEngine>>,
}

impl Sandbox {
    /// A sandbox whose rules see the clock frozen at the moment it was made.
    pub fn new() -> Result<Sandbox> {
        Sandbox::at(std::time::SystemTime::now())
    }

    /// Gives the run's rules the past findings of `view` to query.
    pub fn set_history(&self, view: HistoryView) {
        *self.history.lock().unwrap() = Some(Arc::new(view));
    }

    /// The clock the rules read: the run's time, since the epoch.
    pub fn run_time(&self) -> Duration {
        *self.run_time.read().unwrap()
    }

    /// Sets the clock the calls from now on read (`augur test`: a case's
    /// `now.txt`). Times before 1970 read as the epoch.
    pub fn set_run_time(&self, at: std::time::SystemTime) {
        *self.run_time.write().unwrap() = since_epoch(at);
    }

    /// A sandbox whose rules see the clock frozen at `run_time` (`augur run
    /// --now`), so that time-dependent findings are reproducible.
    pub fn at(run_time: std::time::SystemTime) -> Result<Sandbox> {
        let tick_list = Arc::new(Mutex::new(Vec::new()));
        let ticker = EpochTicker::start(tick_list.clone());
        let sandbox = Sandbox {
            engines: Mutex::new(Vec::new()),
            tick_list,
            run_time: RwLock::new(since_epoch(run_time)),
            interrupted: Arc::new(AtomicBool::new(false)),
            cache: CompileCache::off(),
            history: Mutex::new(None),
            slots: PoolSlots::for_this_machine(),
            _ticker: ticker,
        };
        // Make the default engine now, so that a broken setup fails early.
        sandbox.engine_set(
            Limits::default().stack_bytes(),
            pool::usable(&Limits::default()),
        )?;
        Ok(sandbox)
    }

    /// The sandbox, keeping compiled components in `cache`.
    pub fn with_cache(mut self, cache: CompileCache) -> Sandbox {
        self.cache = cache;
        self
    }

    pub fn cache(&self) -> &CompileCache {
        &self.cache
    }

    /// A flag that, once set, stops the call in progress (within one epoch
    /// tick) and makes every later call end as [`CallError::Interrupted`].
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupted.clone()
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// The engine for calls on a wasm stack of `stack_bytes`, whose
    /// instances come from the pool if `fits_pool`.
    fn engine_set(&self, stack_bytes: usize, fits_pool: bool) -> Result<Arc<EngineSet>> {
        let mut engines = self.engines.lock().unwrap();
        if let Some(set) = engines
            .iter()
            .find(|e| e.stack_bytes == stack_bytes && e.fits_pool == fits_pool)
        {
            return Ok(set.clone());
        }
        let pooled = if fits_pool {
            match self.new_engine(stack_bytes, EngineUse::Call { pooled: true }) {
                Ok(made) => Some(made),
                Err(e) => {
                    // The pool reserves address space up front; a host that
                    // refuses it still runs rules, each call mapping its own.
                    tracing::warn!("no instance pool ({e:#}); each call allocates its own memory");
                    None
                }
            }
        } else {
            None
        };
        let pooled_made = pooled.is_some();
        let (engine, linker) = match pooled {
            Some(made) => made,
            None => self.new_engine(stack_bytes, EngineUse::Call { pooled: false })?,
        };
        let set = Arc::new(EngineSet {
            stack_bytes,
            fits_pool,
            pooled: pooled_made,
            engine,
            linker,
            setup: std::sync::OnceLock::new(),
        });
        engines.push(set.clone());
        Ok(set)
    }

    /// An engine for a wasm stack of `stack_bytes`, and its linker. A setup
    /// engine runs a rule's `setup` once (see [`preinit`]): its code is
    /// compiled in a fraction of the time, without optimisation.
    fn new_engine(
        &self,
        stack_bytes: usize,
        kind: EngineUse,
    ) -> Result<(Engine, Linker<CallState>)> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(stack_bytes);
        // Never used (calls are synchronous), but wasmtime requires it to be
        // at least the wasm stack.
        config.async_stack_size(stack_bytes.max(2 << 20) + (1 << 20));
        // For whoever profiles augur: `AUGUR_PERFMAP=1` writes
        // /tmp/perf-<pid>.map, so that `perf report` names rules' functions.
        if std::env::var_os("AUGUR_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        match kind {
            EngineUse::Setup(SetupCompiler::Winch) => {
                config.strategy(wasmtime::Strategy::Winch);
            }
            EngineUse::Setup(SetupCompiler::Cranelift) => {
                config.cranelift_opt_level(wasmtime::OptLevel::None);
                config.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
            }
            EngineUse::Call { pooled: true } => {
                config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
                    pool::config(self.slots.count()),
                ));
            }
            EngineUse::Call { pooled: false } => {}
        }
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("creating the wasmtime engine")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking WASI")?;
        link_timers(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking the run's timers")?;
        contract::augur::rules::host::add_to_linker::<CallState, HasSelf<CallState>>(
            &mut linker,
            |s| s,
        )
        .map_err(anyhow::Error::from)
        .context("linking the augur host interface")?;
        contract::augur::rules::history::add_to_linker::<CallState, HasSelf<CallState>>(
            &mut linker,
            |s| s,
        )
        .map_err(anyhow::Error::from)
        .context("linking the augur history interface")?;
        self.tick_list.lock().unwrap().push(engine.clone());
        Ok((engine, linker))
    }

    /// The engines that run `setup` for `set`, in the order to try them,
    /// made when first needed. Winch is left out where it cannot make an
    /// engine (another architecture, a CPU it does not support).
    fn setup_engines<'s>(
        &self,
        set: &'s EngineSet,
    ) -> Result<&'s [preinit::SetupEngine], LoadError> {
        if let Some(made) = set.setup.get() {
            return Ok(made);
        }
        let mut made = Vec::new();
        if winch_allowed() {
            match self.new_engine(set.stack_bytes, EngineUse::Setup(SetupCompiler::Winch)) {
                Ok(winch) => made.push(winch),
                Err(e) => tracing::debug!("no Winch engine for rules' setup: {e:#}"),
            }
        }
        made.push(
            self.new_engine(set.stack_bytes, EngineUse::Setup(SetupCompiler::Cranelift))
                .map_err(|e| LoadError::Engine(format!("{e:#}")))?,
        );
        Ok(set.setup.get_or_init(|| made))
    }

    /// Compiles a component for rules running under `limits` (which decide
    /// its wasm stack size) and checks it against the contract.
    pub fn load(&self, bytes: &[u8], limits: &Limits) -> Result<LoadedComponent, LoadError> {
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        self.load_with_digest(bytes, &digest, limits)
            .map(|(c, _)| c)
    }

    /// [`Sandbox::load`] for a component whose sha256 is known: from the
    /// compile cache when it holds it; says which.
    pub fn load_with_digest(
        &self,
        bytes: &[u8],
        digest: &[u8; 32],
        limits: &Limits,
    ) -> Result<(LoadedComponent, Provenance), LoadError> {
        const MAGIC: &[u8] = b"\0asm";
        if bytes.len() < 8 {
            return Err(if bytes.is_empty() {
                LoadError::Empty
            } else if MAGIC.starts_with(&bytes[..bytes.len().min(4)]) {
                LoadError::Truncated {
                    len: bytes.len(),
                    detail: "it ends inside the 8-byte header".into(),
                }
            } else {
                LoadError::NotWasm
            });
        }
        if &bytes[..4] != MAGIC {
            return Err(LoadError::NotWasm);
        }
        // Bytes 4-7: version and layer. Core modules are layer 0.
        if bytes[6..8] == [0, 0] {
            return Err(LoadError::CoreModule);
        }
        let pooled = pool::usable(limits);
        match self.load_on(pooled, bytes, digest, limits) {
            // A component whose memories, tables or instance metadata do not
            // fit the pool's slots runs without the pool, where the limits
            // (and their errors) are the same.
            Err(LoadError::Invalid(detail)) if pooled && detail.contains(POOL_REFUSAL) => {
                tracing::debug!("not from the instance pool: {detail}");
                self.load_on(false, bytes, digest, limits)
            }
            loaded => loaded,
        }
    }

    /// Compiles (or takes from the cache) a component on the engine for
    /// `limits`, pooled or not.
    fn load_on(
        &self,
        pooled: bool,
        bytes: &[u8],
        digest: &[u8; 32],
        limits: &Limits,
    ) -> Result<(LoadedComponent, Provenance), LoadError> {
        let set = self
            .engine_set(limits.stack_bytes(), pooled)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let (compiled, provenance) =
            self.cache
                .get_or_compile(&set.engine, set.pooled, digest, || {
                    let exports = exports_of(bytes).unwrap_or_default();
                    if !preinit::exports_setup(&exports) {
                        return self.compile_bytes(&set.engine, bytes);
                    }
                    let setup_engines = self.setup_engines(&set)?;
                    match preinit::prepare(self, setup_engines, &set.engine, bytes, limits)? {
                        Ok(prepared) => Ok(Ok(prepared)),
                        Err(why) => {
                            tracing::warn!(
                                "the rule's setup cannot be kept ({why}); each call runs it"
                            );
                            self.compile_bytes(&set.engine, bytes)
                        }
                    }
                })?;
        let component = compiled.map_err(|e| {
            let detail = format!("{e:#}");
            // A cut file ends early, or its sections claim more bytes than it has.
            if detail.contains("unexpected end") || detail.contains("out of bounds (bound =") {
                LoadError::Truncated {
                    len: bytes.len(),
                    detail,
                }
            } else {
                LoadError::Invalid(detail)
            }
        })?;
        Ok((prepare(&set, component)?, provenance))
    }

    /// Compiles a component on a thread of its own, so that Ctrl-C is
    /// noticed within an epoch tick: compiling cannot be stopped, but the
    /// run need not wait for it (the process exits).
    pub(crate) fn compile_bytes(
        &self,
        engine: &Engine,
        bytes: &[u8],
    ) -> Result<wasmtime::Result<Component>, LoadError> {
        let (done, result) = std::sync::mpsc::channel();
        let engine = engine.clone();
        let bytes = bytes.to_vec();
        thread::Builder::new()
            .name("augur-compile".into())
            .stack_size(COMPILE_STACK_BYTES)
            .spawn(move || {
                let _ = done.send(Component::new(&engine, &bytes));
            })
            .map_err(|e| LoadError::Engine(format!("starting a compile thread: {e}")))?;
        loop {
            match result.recv_timeout(EPOCH_TICK) {
                Ok(compiled) => return Ok(compiled),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if self.is_interrupted() => {
                    return Err(LoadError::Interrupted);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(LoadError::Engine(
                        "the compile thread ended without a result".into(),
                    ));
                }
            }
        }
    }

    /// Asks a component for its info, under `limits`.
    pub fn info(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
    ) -> Result<contract::RuleInfo, CallError> {
        let mut call = self.start(component, limits, limits.for_input(0))?;
        let guest = component
            .info_indices
            .load(&mut call.store, &call.instance)
            .map_err(CallError::from_host)?;
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
        let indices = component
            .deriver
            .as_ref()
            .expect("derive called on a rule that is not a deriver");
        let input_bytes = series.iter().map(|s| s.document.len()).sum();
        self.run(component, limits, input_bytes, |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_derive(store, series, config)
        })
    }

    pub fn classify(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        job: &contract::JobOutput,
        config: &str,
    ) -> CallOutcome {
        let indices = component
            .classifier
            .as_ref()
            .expect("classify called on a rule that is not a classifier");
        let input_bytes = job_bytes(job);
        self.run(component, limits, input_bytes, |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_classify(store, job, config)
        })
    }

    /// Reads one window of a log with a log scanner; returns its new state.
    /// `window_bytes` is the size of the window as read: its per-MiB bounds
    /// are those of the whole window, whatever the prefilter left of it.
    #[allow(clippy::too_many_arguments)]
    pub fn scan(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        window: &contract::JobOutput,
        window_bytes: usize,
        overlap: u32,
        state: &[u8],
        config: &str,
    ) -> CallOutcome<Vec<u8>> {
        let indices = component
            .log_scanner
            .as_ref()
            .expect("scan called on a rule that is not a log scanner");
        let input_bytes = window_bytes.max(job_bytes(window)) + state.len();
        self.run(component, limits, input_bytes, |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_scan(store, window, overlap, state, config)
        })
    }

    /// A log scanner's findings, after its last window.
    pub fn finish(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        job: &contract::JobOutput,
        state: &[u8],
        config: &str,
    ) -> CallOutcome {
        let indices = component
            .log_scanner
            .as_ref()
            .expect("finish called on a rule that is not a log scanner");
        let input_bytes = job_bytes(job) + state.len();
        self.run(component, limits, input_bytes, |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_finish(store, job, state, config)
        })
    }

    /// What a log scanner reads of a log with `config` (contract 0.1.5):
    /// `Ok(None)` for every line.
    pub fn interest(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        config: &str,
    ) -> CallOutcome<Option<contract::prefilter::Interest>> {
        let Some(indices) = component.prefilter.as_ref() else {
            return CallOutcome {
                result: Ok(None),
                usage: Usage::default(),
                bounds: limits.for_input(0),
                log: RuleLog::default(),
            };
        };
        self.run(component, limits, config.len(), |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_declare_interest(store, config)
        })
    }

    /// Runs a correlator over the findings of the run's other rules.
    pub fn correlate(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        findings: &[contract::ReportedFinding],
        config: &str,
    ) -> CallOutcome {
        let indices = component
            .correlator
            .as_ref()
            .expect("correlate called on a rule that is not a correlator");
        let input_bytes = findings.iter().map(reported_bytes).sum();
        self.run(component, limits, input_bytes, |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_correlate(store, findings, config)
        })
    }

    fn run<T>(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        input_bytes: usize,
        call_fn: impl FnOnce(
            &mut Store<CallState>,
            &wasmtime::component::Instance,
        ) -> wasmtime::Result<Result<T, contract::RuleError>>,
    ) -> CallOutcome<T> {
        let bounds = limits.for_input(input_bytes);
        let mut call = match self.start(component, limits, bounds) {
            Ok(call) => call,
            Err(error) => {
                return CallOutcome {
                    result: Err(error),
                    usage: Usage::default(),
                    bounds,
                    log: RuleLog::default(),
                };
            }
        };
        let result = call_fn(&mut call.store, &call.instance);
        let (result, usage, log) = call.finish(result);
        let result = match result {
            Ok(Ok(findings)) => Ok(findings),
            Ok(Err(rule_error)) => Err(CallError::Rule(rule_error)),
            Err(e) => Err(e),
        };
        CallOutcome {
            result,
            usage,
            bounds,
            log,
        }
    }

    fn start(
        &self,
        component: &LoadedComponent,
        limits: &Limits,
        bounds: CallBounds,
    ) -> Result<Call<'_>, CallError> {
        if self.is_interrupted() {
            return Err(CallError::Interrupted);
        }
        // Taken before the store, so given back after it is dropped.
        let slot = if component.pooled {
            self.slots.take()
        } else {
            Slot::none()
        };
        let started = Instant::now();
        let mut store = self.new_store(&component.engine, limits, bounds, self.run_time())?;
        store.data_mut().history = self.history.lock().unwrap().clone();
        let instance = component.pre.instantiate(&mut store);
        let instance = match instance {
            Ok(i) => i,
            Err(e) => return Err(classify_failure(e, &store, limits, bounds)),
        };
        Ok(Call {
            store,
            instance,
            started,
            limits: *limits,
            bounds,
            _slot: slot,
        })
    }

    /// What a failed instantiation or call in `store` means for the rule.
    pub(crate) fn call_failure(
        &self,
        e: wasmtime::Error,
        store: &Store<CallState>,
        limits: &Limits,
        bounds: CallBounds,
    ) -> CallError {
        classify_failure(e, store, limits, bounds)
    }

    /// A store for one call under `limits` and `bounds`, whose clocks read
    /// `clock` (since the epoch).
    pub(crate) fn new_store(
        &self,
        engine: &Engine,
        limits: &Limits,
        bounds: CallBounds,
        clock: Duration,
    ) -> Result<Store<CallState>, CallError> {
        let log = LogSink::new(limits.log_bytes);
        let wasi = WasiCtx::builder()
            // Seeded and frozen: a rule's hash maps, random numbers and clock
            // readings are the same on every run, so its findings and fuel are.
            .secure_random(Deterministic::new(RANDOM_BYTES.to_vec()))
            .insecure_random(Deterministic::new(RANDOM_BYTES.to_vec()))
            .insecure_random_seed(u128::from_le_bytes(RANDOM_BYTES[..16].try_into().unwrap()))
            .wall_clock(FrozenClock(clock))
            .monotonic_clock(FrozenClock(clock))
            .stdout(log.stream("stdout"))
            .stderr(log.stream("stderr"))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let started = Instant::now();
        let state = CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: InstanceLimiter::new(limits),
            log,
            host_call_fuel: limits.host_call_fuel,
            log_bytes_charged: 0,
            returned_fuel: 0,
            history: None,
            deadline: started + Duration::from_millis(bounds.wall_time_ms),
            interrupted: self.interrupted.clone(),
        };
        let mut store = Store::new(engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_fuel(bounds.fuel).map_err(CallError::from_host)?;
        store.set_hostcall_fuel(limits.output_bytes);
        store.call_hook(charge_host_call);
        // Checked every tick: the deadline, and whether the run was interrupted.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            let state = ctx.data();
            if state.interrupted.load(Ordering::Relaxed) {
                return Err(Interrupted.into());
            }
            if Instant::now() >= state.deadline {
                return Err(Trap::Interrupt.into());
            }
            Ok(UpdateDeadline::Continue(1))
        });
        Ok(store)
    }
}

/// The bytes of a reported finding's strings: its share of a correlator's
/// input, for the per-MiB bounds.
/// A job output's size, for the per-MiB bounds.
fn job_bytes(job: &contract::JobOutput) -> usize {
    job.text.len() + job.meta.as_ref().map_or(0, String::len)
}

fn reported_bytes(r: &contract::ReportedFinding) -> usize {
    let f = &r.finding;
    r.rule.len()
        + r.input.len()
        + r.repo.as_ref().map_or(0, String::len)
        + f.kind.len()
        + f.title.len()
        + f.message.len()
        + f.fingerprint.len()
        + f.data.len()
        + f.actions.iter().map(String::len).sum::<usize>()
        + f.evidence
            .iter()
            .map(|e| e.source.len() + e.locator.len() + e.excerpt.len())
            .sum::<usize>()
}

/// Charges fuel for a call into the host as it returns: the fixed
/// `host_call_fuel`, plus a unit per byte the rule wrote to its log since
/// the last charge. A rule that cannot pay runs out of fuel.
fn charge_host_call(
    mut ctx: StoreContextMut<'_, CallState>,
    hook: CallHook,
) -> wasmtime::Result<()> {
    if !matches!(hook, CallHook::ReturningFromHost) {
        return Ok(());
    }
    let state = ctx.data_mut();
    let written = state.log.bytes_received();
    let charge = state
        .host_call_fuel
        .saturating_add(written.saturating_sub(state.log_bytes_charged))
        .saturating_add(std::mem::take(&mut state.returned_fuel));
    state.log_bytes_charged = written;
    let fuel = ctx.get_fuel()?;
    match fuel.checked_sub(charge) {
        Some(left) => ctx.set_fuel(left),
        None => {
            ctx.set_fuel(0)?;
            Err(Trap::OutOfFuel.into())
        }
    }
}

fn prepare(set: &EngineSet, component: Component) -> Result<LoadedComponent, LoadError> {
    let exports = export_names(&set.engine, &component);
    let rule_version = exports
        .iter()
        .find_map(|name| contract::export_version(name, "rule"));
    match rule_version {
        Some(v) if contract::is_compatible(v) => {}
        _ => {
            let other: Vec<&String> = exports
                .iter()
                .filter(|n| n.starts_with("augur:rules/"))
                .collect();
            return Err(match other.first() {
                Some(name) => {
                    let found = name
                        .rsplit_once('@')
                        .map_or("(no version)", |(_, v)| v)
                        .to_owned();
                    let newer = contract::is_newer(&found);
                    LoadError::ContractVersion { found, newer }
                }
                None => LoadError::NotARule { exports },
            });
        }
    }
    let link_error = |e: wasmtime::Error| LoadError::Link(format!("{e:#}"));
    let pre = set.linker.instantiate_pre(&component).map_err(link_error)?;
    // wasmtime finds an export of an older compatible version (`@0.1.0`)
    // under the name this host binds (`@0.1.2`).
    let info_indices = rule::GuestIndices::new(&pre).map_err(link_error)?;
    let has = |interface: &str| {
        exports.iter().any(|name| {
            contract::export_version(name, interface).is_some_and(contract::is_compatible)
        })
    };
    let deriver = if has("deriver") {
        Some(deriver::GuestIndices::new(&pre).map_err(link_error)?)
    } else {
        None
    };
    let classifier = if has("classifier") {
        Some(classifier::GuestIndices::new(&pre).map_err(link_error)?)
    } else {
        None
    };
    let log_scanner = if has("log-scanner") {
        Some(log_scanner::GuestIndices::new(&pre).map_err(link_error)?)
    } else {
        None
    };
    let correlator = if has("correlator") {
        Some(correlator::GuestIndices::new(&pre).map_err(link_error)?)
    } else {
        None
    };
    let prefilter = if log_scanner.is_some() && has("prefilter") {
        Some(prefilter::GuestIndices::new(&pre).map_err(link_error)?)
    } else {
        None
    };
    if deriver.is_none() && classifier.is_none() && log_scanner.is_none() && correlator.is_none() {
        return Err(LoadError::NotARule { exports });
    }
    let reads_history = component
        .component_type()
        .imports(&set.engine)
        .any(|(name, _)| contract::export_version(name, "history").is_some());
    Ok(LoadedComponent {
        engine: set.engine.clone(),
        pooled: set.pooled,
        pre,
        info_indices,
        deriver,
        classifier,
        log_scanner,
        correlator,
        prefilter,
        reads_history,
    })
}

/// A compiled component, linked and ready to instantiate.
pub struct LoadedComponent {
    engine: Engine,
    /// Its instances come from the instance pool.
    pooled: bool,
    pre: InstancePre<CallState>,
    info_indices: rule::GuestIndices,
    deriver: Option<deriver::GuestIndices>,
    classifier: Option<classifier::GuestIndices>,
    log_scanner: Option<log_scanner::GuestIndices>,
    correlator: Option<correlator::GuestIndices>,
    /// A log scanner that may say which lines it reads (contract 0.1.5).
    prefilter: Option<prefilter::GuestIndices>,
    /// It imports `history` (contract 0.1.4): it may query past findings.
    reads_history: bool,
}

impl LoadedComponent {
    /// Whether the rule may query past runs' findings.
    pub fn reads_history(&self) -> bool {
        self.reads_history
    }

    pub fn is_correlator(&self) -> bool {
        self.correlator.is_some()
    }

    pub fn is_deriver(&self) -> bool {
        self.deriver.is_some()
    }

    /// Whether it reads job outputs (through `classify`, or as a log scanner).
    pub fn is_classifier(&self) -> bool {
        self.classifier.is_some() || self.log_scanner.is_some()
    }

    /// Whether it reads logs window by window (and is then called through
    /// `scan` and `finish` rather than `classify`).
    pub fn is_log_scanner(&self) -> bool {
        self.log_scanner.is_some()
    }

    /// Whether it is a log scanner that may say which lines it reads.
    pub fn has_prefilter(&self) -> bool {
        self.prefilter.is_some()
    }
}

/// Why a component cannot be used as a rule.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("the file is empty")]
    Empty,
    #[error("not a WebAssembly file (it does not start with the `\\0asm` magic bytes)")]
    NotWasm,
    #[error(
        "truncated: the file is only {len} bytes and ends before the component does ({detail})"
    )]
    Truncated { len: usize, detail: String },
    #[error("a core WebAssembly module, not a component")]
    CoreModule,
    #[error("not a valid component: {0}")]
    Invalid(String),
    #[error(
        "built against contract augur:rules@{found}, but this augur speaks augur:rules@{host}",
        host = contract::CONTRACT_VERSION
    )]
    ContractVersion { found: String, newer: bool },
    #[error(
        "a component of another world, not an augur rule: a rule exports augur:rules/rule@{v} and \
         augur:rules/deriver@{v} or augur:rules/classifier@{v}, but this one exports [{}]",
        exports.join(", "),
        v = contract::CONTRACT_VERSION
    )]
    NotARule { exports: Vec<String> },
    #[error("cannot be linked: {0}")]
    Link(String),
    #[error("no engine for its limits: {0}")]
    Engine(String),
    #[error("not loaded: the run was interrupted")]
    Interrupted,
    #[error("its setup failed: {error}")]
    Setup { error: String, hint: String },
}

impl LoadError {
    /// One line on what to do about it.
    pub fn hint(&self) -> String {
        match self {
            LoadError::Empty | LoadError::Truncated { .. } => {
                "the file was cut short (an interrupted download or copy?): fetch or build it again".into()
            }
            LoadError::NotWasm => "point the rule's `path` at the .wasm component the rule's build produced".into(),
            LoadError::CoreModule => {
                "build the rule for `wasm32-wasip2` (cargo build --target wasm32-wasip2), or wrap the module \
                 with `wasm-tools component new`"
                    .into()
            }
            LoadError::Invalid(_) => "rebuild the rule with augur-sdk for wasm32-wasip2".into(),
            LoadError::ContractVersion { newer: true, .. } => {
                "the rule needs a newer augur: upgrade augur, or use a build of the rule made with an \
                 augur-sdk of this augur's contract version"
                    .into()
            }
            LoadError::ContractVersion { newer: false, .. } => {
                "rebuild the rule with the augur-sdk that matches this augur's contract version".into()
            }
            LoadError::NotARule { exports } if exports.iter().any(|e| e.starts_with("wasi:cli/run")) => {
                "this is a command (a program with `main`), not a rule: build a library with augur-sdk's \
                 export_deriver!/export_classifier!"
                    .into()
            }
            LoadError::NotARule { .. } => {
                "build the rule with augur-sdk's export_deriver!/export_classifier! macros".into()
            }
            LoadError::Link(_) => {
                "a rule may import only WASI 0.2 and augur:rules/host; remove the other imports from the rule".into()
            }
            LoadError::Engine(_) => "an augur fault: please report it with the pack's [limits]".into(),
            LoadError::Interrupted => "run augur again".into(),
            LoadError::Setup { hint, .. } => format!("{hint} (setup runs once, under the rule's limits)"),
        }
    }
}

/// The state of one store: one call of one rule on one input.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: InstanceLimiter,
    log: LogSink,
    host_call_fuel: u64,
    /// Log bytes already paid for in fuel.
    log_bytes_charged: u64,
    /// Fuel owed for what host calls returned (history rows), charged as
    /// the call returns.
    returned_fuel: u64,
    /// Past findings the call may query; `None` for a run without history
    /// and for `setup`.
    history: Option<Arc<HistoryView>>,
    deadline: Instant,
    interrupted: Arc<AtomicBool>,
}

impl CallState {
    /// Whether the call holds no WASI resource (stream, pollable) now.
    pub(crate) fn holds_no_resources(&self) -> bool {
        self.table.is_empty()
    }

    pub(crate) fn extend_deadline(&mut self, deadline: Instant) {
        self.deadline = deadline;
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

impl contract::augur::rules::history::Host for CallState {
    fn query(
        &mut self,
        query: contract::augur::rules::history::HistoryQuery,
    ) -> contract::augur::rules::history::HistoryRows {
        use contract::augur::rules::history::{HistoryRows, PastFinding};
        let Some(view) = &self.history else {
            return HistoryRows {
                available: false,
                rows: Vec::new(),
                truncated: false,
            };
        };
        let (rows, truncated) = view.query(&crate::history::Query {
            kind_prefix: &query.kind_prefix,
            repo: query.repo.as_deref(),
            window_days: query.window_days,
            limit: query.limit,
        });
        self.returned_fuel = self
            .returned_fuel
            .saturating_add(rows.iter().map(|r| r.bytes() as u64).sum());
        HistoryRows {
            available: true,
            rows: rows
                .into_iter()
                .map(|r| PastFinding {
                    at: r.at_text(),
                    rule: r.rule.clone(),
                    kind: r.kind.clone(),
                    severity: r.severity.into(),
                    fingerprint: r.fingerprint.clone(),
                    input: r.input.clone(),
                    repo: r.repo.clone(),
                    title: r.title.clone(),
                    causal: r.causal.clone(),
                })
                .collect(),
            truncated,
        }
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

/// Caps what one instance may hold, all of its memories and tables
/// together, and remembers which cap was hit, so a failed allocation is
/// reported as a resource limit rather than as a bare trap.
struct InstanceLimiter {
    /// Bytes of every memory of the instance.
    memory: Allowance,
    /// Elements of every table of the instance.
    tables: Allowance,
    max_memories: usize,
    max_tables: usize,
    max_instances: usize,
    hit: Option<ResourceHit>,
}

/// How much of a capped resource the instance holds, all of its memories
/// (or tables) together.
struct Allowance {
    used: usize,
    max: usize,
    /// The growth last allowed, taken back if the engine could not make it.
    pending: usize,
}

impl Allowance {
    fn new(max: usize) -> Allowance {
        Allowance {
            used: 0,
            max,
            pending: 0,
        }
    }

    /// Allows growing one memory (or table) from `current` to `desired`, if
    /// the total stays within the cap.
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let growth = desired.saturating_sub(current);
        let total = self.used.saturating_add(growth);
        if total > self.max {
            return false;
        }
        self.used = total;
        self.pending = growth;
        true
    }

    /// The last growth allowed did not happen.
    fn undo(&mut self) {
        self.used -= std::mem::take(&mut self.pending);
    }
}

/// Which per-instance cap a call ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResourceHit {
    Memory,
    Table,
}

impl InstanceLimiter {
    fn new(limits: &Limits) -> InstanceLimiter {
        InstanceLimiter {
            memory: Allowance::new(limits.memory_bytes()),
            tables: Allowance::new(usize::try_from(limits.table_elements).unwrap_or(usize::MAX)),
            max_memories: limits.max_memories,
            max_tables: limits.max_tables,
            max_instances: limits.max_instances,
            hit: None,
        }
    }
}

impl ResourceLimiter for InstanceLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.memory.grow(current, desired);
        if !allowed {
            self.hit = Some(ResourceHit::Memory);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory.undo();
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.tables.grow(current, desired);
        if !allowed {
            self.hit = Some(ResourceHit::Table);
        }
        Ok(allowed)
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.tables.undo();
        Ok(())
    }

    fn instances(&self) -> usize {
        self.max_instances
    }

    fn tables(&self) -> usize {
        self.max_tables
    }

    fn memories(&self) -> usize {
        self.max_memories
    }
}

struct Call<'s> {
    store: Store<CallState>,
    instance: wasmtime::component::Instance,
    started: Instant,
    limits: Limits,
    bounds: CallBounds,
    /// The pool slot the instance lives in: last, so it is given back after
    /// the store is gone.
    _slot: Slot<'s>,
}

impl Call<'_> {
    fn finish<T>(self, result: wasmtime::Result<T>) -> (Result<T, CallError>, Usage, RuleLog) {
        let wall_time = self.started.elapsed();
        let fuel_left = self.store.get_fuel().unwrap_or(0);
        let usage = Usage {
            fuel: self.bounds.fuel.saturating_sub(fuel_left),
            wall_time,
        };
        let result =
            result.map_err(|e| classify_failure(e, &self.store, &self.limits, self.bounds));
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

pub struct CallOutcome<T = Vec<contract::WitFinding>> {
    pub result: Result<T, CallError>,
    pub usage: Usage,
    /// The fuel and deadline the call ran under, scaled to its input.
    pub bounds: CallBounds,
    pub log: RuleLog,
}

/// The run was interrupted (Ctrl-C) while a rule was running.
#[derive(Debug)]
struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the run was interrupted")
    }
}

impl std::error::Error for Interrupted {}

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
    #[error("tried to grow its tables past the limit of {limit} elements (all tables together)")]
    TableLimit { limit: u64 },
    #[error("tried to create more than {limit} {what} (`{field}`)")]
    CountLimit {
        what: &'static str,
        field: &'static str,
        limit: usize,
    },
    #[error("overflowed its wasm stack of {limit_kib} KiB (recursion too deep)")]
    StackOverflow { limit_kib: u64 },
    #[error("trapped: {message}")]
    Trap {
        code: Option<String>,
        panic: Option<String>,
        message: String,
    },
    #[error("handed the host more than {limit} bytes at once (its findings, or one log message)")]
    OutputTooLarge { limit: usize },
    #[error(
        "returned {bytes} bytes of state to carry to the next window, over `max_state_bytes` ({limit})"
    )]
    StateTooLarge { bytes: usize, limit: usize },
    #[error("{}", describe_rule_error(.0))]
    Rule(contract::RuleError),
    #[error("was stopped: the run was interrupted")]
    Interrupted,
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
            CallError::MemoryLimit { .. }
            | CallError::TableLimit { .. }
            | CallError::CountLimit { .. } => "memory_limit",
            CallError::StackOverflow { .. } => "stack_overflow",
            CallError::Trap { .. } => "trap",
            CallError::OutputTooLarge { .. } | CallError::StateTooLarge { .. } => "invalid_output",
            CallError::Rule(contract::RuleError::InvalidConfig(_)) => "invalid_config",
            CallError::Rule(_) => "rule_error",
            CallError::Interrupted => "interrupted",
            CallError::Host(_) => "host_error",
        }
    }

    /// One line on what to do about it.
    pub fn hint(&self) -> String {
        match self {
            CallError::FuelExhausted { .. } => "raise `fuel` (or `fuel_per_mib` for large inputs) in the rule's \
                                                [rule.limits], or fix a runaway loop"
                .into(),
            CallError::DeadlineExceeded { .. } => "raise `wall_time_ms` (or `wall_time_ms_per_mib`) in the rule's \
                                                   [rule.limits], or fix a loop that never ends"
                .into(),
            CallError::MemoryLimit { .. } => {
                "raise `memory_mib` in the rule's [rule.limits], or make the rule hold less of the input".into()
            }
            CallError::TableLimit { .. } => {
                "raise `table_elements` in the rule's [rule.limits], or make the rule's tables smaller".into()
            }
            CallError::CountLimit { what, field, .. } => format!(
                "raise `{field}` in the rule's [rule.limits], or build the rule with fewer {what}"
            ),
            CallError::StackOverflow { .. } => {
                "fix unbounded recursion in the rule, or raise `stack_kib` in the rule's [rule.limits]".into()
            }
            CallError::Trap { panic: Some(_), .. } => "the rule panicked: fix the rule (see its message and log)".into(),
            CallError::Trap { .. } => "a fault in the rule: see the trap code and its log, and fix the rule".into(),
            CallError::OutputTooLarge { .. } => "make the rule return fewer or smaller findings (or log less at \
                                                 once), or raise `output_bytes` in the rule's [rule.limits]"
                .into(),
            CallError::StateTooLarge { .. } => "make the rule keep less between windows (counts and excerpts, \
                                                not whole lines), or raise `max_state_bytes` in the rule's [rule.limits]"
                .into(),
            CallError::Rule(contract::RuleError::InvalidConfig(_)) => {
                "fix the rule's [rule.config] in the pack; `augur rules` shows its config schema".into()
            }
            CallError::Rule(_) => "see the rule's message; it declined this input".into(),
            CallError::Interrupted => "run augur again to analyse this input".into(),
            CallError::Host(_) => "an augur fault: please report it with the input".into(),
        }
    }

    /// The trap code (`unreachable_code_reached`, ...), for traps.
    pub fn trap_code(&self) -> Option<&str> {
        match self {
            CallError::Trap { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The guest's panic message, for traps that followed a Rust panic.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            CallError::Trap { panic, .. } => panic.as_deref(),
            _ => None,
        }
    }
}

/// Turns a failed wasm call into the bound it hit, or the trap it raised.
fn classify_failure(
    e: wasmtime::Error,
    store: &Store<CallState>,
    limits: &Limits,
    bounds: CallBounds,
) -> CallError {
    match store.data().limiter.hit {
        Some(ResourceHit::Memory) => {
            return CallError::MemoryLimit {
                limit_mib: limits.memory_mib,
            };
        }
        Some(ResourceHit::Table) => {
            return CallError::TableLimit {
                limit: limits.table_elements,
            };
        }
        None => {}
    }
    let message = format!("{e:#}");
    // wasmtime refuses to create a memory, table or instance past the
    // limiter's counts with an error of its own (not a trap).
    for (counted, what, field, limit) in [
        ("memory", "memories", "max_memories", limits.max_memories),
        ("table", "tables", "max_tables", limits.max_tables),
        (
            "instance",
            "instances",
            "max_instances",
            limits.max_instances,
        ),
    ] {
        if message.contains(&format!("{counted} count too high")) {
            return CallError::CountLimit { what, field, limit };
        }
    }
    if e.downcast_ref::<Interrupted>().is_some() {
        return CallError::Interrupted;
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallError::FuelExhausted { limit: bounds.fuel },
        Some(Trap::Interrupt) => CallError::DeadlineExceeded {
            limit_ms: bounds.wall_time_ms,
        },
        Some(Trap::StackOverflow) => CallError::StackOverflow {
            limit_kib: limits.stack_kib,
        },
        Some(trap) => {
            // A Rust panic prints its message, then aborts with `unreachable`;
            // a message that looks like a panic before any other trap (or
            // before the rule returned an error) is just something it printed.
            let panic = match trap {
                Trap::UnreachableCodeReached => store.data().log.panic_message(),
                _ => None,
            };
            let message = match &panic {
                Some(p) => format!("{trap} (the rule panicked: {p})"),
                None => trap.to_string(),
            };
            CallError::Trap {
                code: Some(snake_case(&format!("{trap:?}"))),
                panic,
                message,
            }
        }
        None => {
            let message = format!("{e:#}");
            // wasmtime's hostcall fuel ran out while lifting what the rule
            // handed over; its error type is private, its message is stable.
            if message.contains("fuel allocated for hostcalls has been exhausted") {
                return CallError::OutputTooLarge {
                    limit: limits.output_bytes,
                };
            }
            CallError::Trap {
                code: None,
                panic: None,
                message,
            }
        }
    }
}

/// `UnreachableCodeReached` → `unreachable_code_reached`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What a rule is for, read from a component's top-level exports without
/// compiling it; `None` when they cannot be read (then only loading the
/// component says what is wrong with it).
pub fn roles_of(bytes: &[u8]) -> Option<Roles> {
    exports_of(bytes).map(|exports| Roles::from_exports(&exports))
}

/// The names of a component's top-level exports, read without compiling
/// it; `None` when they cannot be read.
pub fn exports_of(bytes: &[u8]) -> Option<Vec<String>> {
    use wasmparser::{Chunk, Parser, Payload};
    let mut parser = Parser::new(0);
    let mut data = bytes;
    let mut exports = Vec::new();
    loop {
        let Chunk::Parsed { consumed, payload } = parser.parse(data, true).ok()? else {
            return None;
        };
        data = &data[consumed..];
        match payload {
            // A core module: not a rule (loading it says so).
            Payload::Version {
                encoding: wasmparser::Encoding::Module,
                ..
            } => return None,
            // Only the top level's exports matter: nested modules and
            // components (most of a component's bytes) are stepped over.
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => data = data.get(unchecked_range.len()..)?,
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    exports.push(export.ok()?.name.name.to_owned());
                }
            }
            Payload::End(_) => return Some(exports),
            _ => {}
        }
    }
}

/// The interfaces a rule exports, as the host calls them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    pub deriver: bool,
    /// `classifier` or `log-scanner`.
    pub classifier: bool,
    pub correlator: bool,
}

impl Roles {
    pub const ALL: Roles = Roles {
        deriver: true,
        classifier: true,
        correlator: true,
    };

    fn from_exports(exports: &[String]) -> Roles {
        let has = |interface: &str| {
            exports.iter().any(|name| {
                contract::export_version(name, interface).is_some_and(contract::is_compatible)
            })
        };
        Roles {
            deriver: has("deriver"),
            classifier: has("classifier") || has("log-scanner"),
            correlator: has("correlator"),
        }
    }

    /// Whether a rule of these roles has nothing to do in a run that needs
    /// `needed` (a component with no role at all is not a rule, and loading
    /// it says so: it is never skipped).
    pub fn idle_in(&self, needed: Roles) -> bool {
        *self != Roles::default() && !self.any_of(needed)
    }

    /// Whether a rule of these roles has anything to do in a run that needs `needed`.
    pub fn any_of(&self, needed: Roles) -> bool {
        (self.deriver && needed.deriver)
            || (self.classifier && needed.classifier)
            || (self.correlator && needed.correlator)
    }
}

/// A run's time as `--now` (or a test case's `now.txt`) gives it: an RFC
/// 3339 timestamp, not before 1970.
pub fn parse_now(text: &str) -> Result<std::time::SystemTime, String> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time like 2026-11-21T09:00:00Z ({e})"))?;
    if at.unix_timestamp() < 0 {
        return Err(format!("`{text}` is before 1970"));
    }
    Ok(at.into())
}

/// A time as the sandbox's clock reads it. Times before 1970 are not a
/// run's time; they read as the epoch.
fn since_epoch(at: std::time::SystemTime) -> Duration {
    at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
}

/// Names of a component's exports (its interfaces, for a rule).
fn export_names(engine: &Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect()
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

/// The `wasi:clocks/monotonic-clock` interface, as the host links it.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// Replaces WASI's timers with ones that are ready at once.
///
/// A rule's clocks are frozen at the run's time, and so are its timers:
/// `subscribe-duration` and `subscribe-instant` return a pollable that is
/// already ready, so a sleep or a poll with a timeout returns at once and
/// never blocks the host on a real timer (which neither the deadline nor
/// Ctrl-C could stop), and no real time leaks into a rule through how often
/// a timer is not yet ready. Each call is a host call, paid for in fuel like
/// any other, so a rule that sleeps in a loop runs out of fuel.
fn link_timers(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap(
        "subscribe-duration",
        |mut store: StoreContextMut<'_, CallState>, (_duration,): (u64,)| {
            Ok((ready_pollable(&mut store.data_mut().table)?,))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |mut store: StoreContextMut<'_, CallState>, (_when,): (u64,)| {
            Ok((ready_pollable(&mut store.data_mut().table)?,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// A timer of the frozen clock: it has always expired.
struct Expired;

#[wasmtime_wasi::async_trait]
impl Pollable for Expired {
    async fn ready(&mut self) {}
}

fn ready_pollable(table: &mut ResourceTable) -> wasmtime::Result<Resource<DynPollable>> {
    let timer = table.push(Expired)?;
    wasmtime_wasi::p2::subscribe(table, timer)
}

/// Advances every engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engines: Arc<Mutex<Vec<Engine>>>) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::Builder::new()
            .name("augur-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(EPOCH_TICK);
                    for engine in engines.lock().unwrap().iter() {
                        engine.increment_epoch();
                    }
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker {
            stop,
            handle: Some(handle),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_codes_are_snake_case() {
        assert_eq!(
            snake_case("UnreachableCodeReached"),
            "unreachable_code_reached"
        );
        assert_eq!(snake_case("MemoryOutOfBounds"), "memory_out_of_bounds");
    }

    #[test]
    fn names_load_errors_from_the_first_bytes() {
        let sandbox = Sandbox::new().unwrap();
        let limits = Limits::default();
        let err = |bytes: &[u8]| sandbox.load(bytes, &limits).err().expect("must not load");
        assert!(matches!(err(b""), LoadError::Empty));
        assert!(matches!(err(b"\0as"), LoadError::Truncated { .. }));
        assert!(matches!(err(b"hello, world"), LoadError::NotWasm));
        assert!(matches!(err(b"\0asm\x01\0\0\0"), LoadError::CoreModule));
        // A component header and nothing else.
        assert!(matches!(
            err(b"\0asm\x0d\0\x01\0\x07"),
            LoadError::Truncated { .. }
        ));
    }

    #[test]
    fn a_rule_that_imports_history_is_known_to_read_it() {
        let sandbox = Sandbox::new().unwrap();
        let limits = Limits::default();
        let load = |name: &str| {
            sandbox
                .load(crate::builtin::find(name).unwrap().bytes, &limits)
                .unwrap()
        };
        assert!(load("systemic-patterns").reads_history());
        assert!(!load("cross-repo-patterns").reads_history());
    }

    #[test]
    fn a_rules_roles_are_read_without_compiling_it() {
        let roles = |name: &str| roles_of(crate::builtin::find(name).unwrap().bytes);
        let deriver = Roles {
            deriver: true,
            ..Roles::default()
        };
        let classifier = Roles {
            classifier: true,
            ..Roles::default()
        };
        assert_eq!(roles("quality-trend"), Some(deriver));
        assert_eq!(roles("failure-class"), Some(classifier));
        assert!(roles("cross-repo-patterns").unwrap().correlator);
        // A run on jobs alone skips the deriver, never the classifier.
        assert!(deriver.idle_in(classifier));
        assert!(!classifier.idle_in(classifier));
        // Not a component, or not a rule: never skipped, so loading it says
        // what is wrong.
        assert_eq!(roles_of(b"\0asm\x01\0\0\0"), None);
        assert_eq!(roles_of(b"not wasm at all"), None);
        assert!(!Roles::default().idle_in(classifier));
        // The setup export is found the same way.
        let exports = exports_of(crate::builtin::find("failure-class").unwrap().bytes).unwrap();
        assert!(crate::preinit::exports_setup(&exports), "{exports:?}");
    }
}
