//! Pre-initialisation: a rule's `setup` (contract 0.1.3) run once, and the
//! instance's state after it kept as the component every call starts from.
//!
//! A rule compiles its patterns and builds its tables in `setup`; without
//! this, every call (a fresh instance, for isolation) would do that work
//! again: 3-15 ms per call for the built-in classifiers, more than reading a
//! small log takes. Wizer (wasmtime's snapshotting tool) instruments the
//! component so that its memories and globals can be read, the instrumented
//! component runs `setup` in a sandbox with the rule's own limits, and Wizer
//! writes a new component whose memories and globals start where `setup`
//! left them. That component is what is compiled and kept in the compile
//! cache, so `setup` runs once per component, not once per run.
//!
//! What `setup` sees is fixed, so the snapshot is the same on every machine
//! and every run: no input, no config, the clock at 1970-01-01, the same
//! random bytes as every call. It may not keep WASI resources (an open
//! stdout stream, say): their handles would dangle in every later instance.

use std::{
    future::Future,
    pin::pin,
    task::{Context, Poll, Waker},
    time::{Duration, Instant},
};

use wasmtime::{
    Store,
    component::{Component, Instance, Lift, WasmList},
};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

use crate::{
    contract::{self, setup},
    limits::Limits,
    sandbox::{CallError, CallState, LoadError, Sandbox},
};

/// Whether a component's exports include a `setup` this host can call.
pub fn exports_setup(exports: &[String]) -> bool {
    exports
        .iter()
        .any(|name| contract::export_version(name, "setup").is_some_and(contract::is_compatible))
}

/// An engine that can run `setup`, and its linker.
pub(crate) type SetupEngine = (wasmtime::Engine, wasmtime::component::Linker<CallState>);

/// `bytes` after its `setup` ran, compiled: `Ok(Err(..))` when the component
/// cannot be snapshotted (a shape Wizer does not handle), in which case the
/// caller compiles it as it is and calls pay for their own setup.
///
/// `setup` runs in code from the first of `setup_engines` that compiles the
/// component and runs its `setup` to the end (they compile fast, as the code
/// runs once; a later one compiles what an earlier one cannot, and its
/// verdict is the one reported); the snapshot is compiled for `engine`,
/// which runs the calls.
pub(crate) fn prepare(
    sandbox: &Sandbox,
    setup_engines: &[SetupEngine],
    engine: &wasmtime::Engine,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Result<Component, String>, LoadError> {
    let mut wizer = Wizer::new();
    // The rewrite drops a root export named like the init function; ours is
    // an interface function, which it must keep anyway.
    wizer.keep_init_func(true);
    let (cx, instrumented) = match wizer.instrument_component(bytes) {
        Ok(x) => x,
        Err(e) => return Ok(Err(format!("cannot be instrumented: {e:#}"))),
    };
    let mut tried = setup_engines.iter().peekable();
    let (mut store, instance) = loop {
        let Some(setup) = tried.next() else {
            return Ok(Err("no engine to run its setup".into()));
        };
        match run_setup(sandbox, setup, &instrumented, limits) {
            Ok(Ok(ran)) => break ran,
            Err(LoadError::Interrupted) => return Err(LoadError::Interrupted),
            Ok(Err(why)) if tried.peek().is_none() => return Ok(Err(why)),
            Err(e) if tried.peek().is_none() => return Err(e),
            Ok(Err(why)) => tracing::debug!("setup on the first engine: {why}; trying the next"),
            Err(e) => tracing::debug!("setup on the first engine: {e}; trying the next"),
        }
    };
    // Reading the state back is the host's work, not the rule's: unmetered.
    store
        .set_fuel(u64::MAX)
        .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
    // The memories are read whole, past the rule's `output_bytes` (what it
    // may hand the host in one call); `memory_mib` already bounds them.
    store.set_hostcall_fuel(usize::MAX);
    store
        .data_mut()
        .extend_deadline(Instant::now() + Duration::from_secs(600));
    let mut state = Snapshotting {
        store: &mut store,
        instance,
    };
    // Wizer's accessors cannot fail on an instance it instrumented; if one
    // does (Ctrl-C lands, say), the component is used without its snapshot.
    let snapshot = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block_on(wizer.snapshot_component(&cx, &mut state))
    }));
    let snapshot = match snapshot {
        Ok(Some(Ok(bytes))) => bytes,
        Ok(Some(Err(e))) => return Ok(Err(format!("cannot be snapshotted: {e:#}"))),
        Ok(None) => return Ok(Err("the snapshot did not complete".into())),
        Err(_) if sandbox.is_interrupted() => return Err(LoadError::Interrupted),
        Err(_) => return Ok(Err("reading the instance's state failed".into())),
    };
    Ok(sandbox
        .compile_bytes(engine, &snapshot)?
        .map_err(|e| format!("the snapshot does not compile: {e:#}")))
}

/// Compiles the instrumented component on `setup` and runs its `setup`
/// under the rule's limits: the store and instance after it.
fn run_setup(
    sandbox: &Sandbox,
    (setup_engine, linker): &SetupEngine,
    instrumented: &[u8],
    limits: &Limits,
) -> Result<Result<(Store<CallState>, Instance), String>, LoadError> {
    let component = match sandbox.compile_bytes(setup_engine, instrumented)? {
        Ok(c) => c,
        Err(e) => {
            return Ok(Err(format!(
                "the instrumented component does not compile: {e:#}"
            )));
        }
    };
    let pre = match linker.instantiate_pre(&component) {
        Ok(pre) => pre,
        Err(e) => return Ok(Err(format!("cannot be linked: {e:#}"))),
    };
    let indices = match setup::GuestIndices::new(&pre) {
        Ok(i) => i,
        Err(e) => return Ok(Err(format!("no callable setup: {e:#}"))),
    };
    let bounds = limits.for_input(0);
    let failed = |e: CallError| LoadError::Setup {
        hint: e.hint(),
        error: e.to_string(),
    };
    let mut store = sandbox
        .new_store(setup_engine, limits, bounds, Duration::ZERO)
        .map_err(failed)?;
    let instance = pre
        .instantiate(&mut store)
        .map_err(|e| failed(sandbox.call_failure(e, &store, limits, bounds)))?;
    indices
        .load(&mut store, &instance)
        .and_then(|guest| guest.call_setup(&mut store))
        .map_err(|e| failed(sandbox.call_failure(e, &store, limits, bounds)))?;
    if !store.data().holds_no_resources() {
        return Err(LoadError::Setup {
            error: "its setup kept WASI resources (it printed, or opened a stream): they cannot outlive it"
                .into(),
            hint: "do only pure work in `setup` (build patterns and tables); log or print from the calls".into(),
        });
    }
    Ok(Ok((store, instance)))
}

/// Drives a future whose every step completes at once (the snapshot's calls
/// into the instance are synchronous); `None` if one would wait.
fn block_on<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// The instance after `setup`, read through the accessors Wizer added.
struct Snapshotting<'a> {
    store: &'a mut Store<CallState>,
    instance: Instance,
}

impl Snapshotting<'_> {
    fn call<R: Lift + 'static>(&mut self, interface: &str, func: &str) -> R {
        let store = &mut *self.store;
        let (_, exported) = self
            .instance
            .get_export(&mut *store, None, interface)
            .expect("Wizer's accessor interface");
        let (_, index) = self
            .instance
            .get_export(&mut *store, Some(&exported), func)
            .expect("Wizer's accessor");
        let func = self
            .instance
            .get_typed_func::<(), (R,)>(&mut *store, index)
            .expect("an accessor of the type Wizer gave it");
        func.call(&mut *store, ())
            .expect("reading the instance's state")
            .0
    }
}

impl ComponentInstanceState for Snapshotting<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        let list: WasmList<u8> = self.call(instance, func);
        contents(list.as_le_slice(&*self.store));
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call::<f32>(instance, func).to_bits()
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call::<f64>(instance, func).to_bits()
    }
}
