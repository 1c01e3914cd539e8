//! Stress tests of gil-runtime (ignored by default; `cargo xtask verify --stress`): thread
//! churn through one runtime's registry, with its figures printed at the end.
//!
//! ```text
//! cargo test -p gil-runtime --release --test stress -- --ignored --nocapture
//! ```
//!
//! # Sizing
//!
//! - `GIL_RUNTIME_STRESS_THREADS` (default 10 000): runtime threads started in total (the
//!   spawners and the grandchildren some threads start come on top).
//! - `GIL_RUNTIME_STRESS_LIVE` (default 16): how many of them run at a time.
//!
//! Every test runs under a [`Watchdog`](gil_test_support::Watchdog) that aborts the process
//! with a message if it hangs (a lost wake-up in `join`, a thread that never leaves the
//! registry), instead of hanging `cargo test`.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use gil_core::GilGuard;
use gil_runtime::{Handle, JoinError, Local, Runtime, Thread};
use gil_test_support::{PATIENCE, Rng, Watchdog, env_size, per_second};

/// Threads that start the churned threads, each keeping its share of the live ones.
const SPAWNERS: usize = 4;

/// The ignore reason every test carries, and its watchdog.
macro_rules! stress_test {
    ($(#[doc = $doc:literal])* fn $name:ident() $body:block) => {
        $(#[doc = $doc])*
        #[test]
        #[ignore = "stress: cargo xtask verify --stress"]
        fn $name() {
            let _dog = Watchdog::start(stringify!($name), hang_limit());
            let t0 = Instant::now();
            $body
            println!("{}: {:.2?}", stringify!($name), t0.elapsed());
        }
    };
}

/// Runtime threads started in total (`GIL_RUNTIME_STRESS_THREADS`, default 10 000).
fn total_threads() -> usize {
    env_size("GIL_RUNTIME_STRESS_THREADS", 10_000)
}

/// Threads alive at a time (`GIL_RUNTIME_STRESS_LIVE`, default 16), at least one per
/// spawner.
fn live_threads() -> usize {
    env_size("GIL_RUNTIME_STRESS_LIVE", 16).max(SPAWNERS)
}

/// Two minutes per 10 000 threads: a default run takes a few seconds.
fn hang_limit() -> Duration {
    let units = u32::try_from(total_threads().div_ceil(10_000)).unwrap_or(u32::MAX);
    Duration::from_secs(120).saturating_mul(units)
}

/// Whether `threads` lists `t` (by identity).
fn listed(threads: &[Thread], t: &Thread) -> bool {
    threads.iter().any(|x| x.ptr_eq(t))
}

/// A `Local` value that records its drop.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// One spawner's `Local`, shared by the threads it starts: it outlives them, so their values
/// can only be dropped by their own end.
type Locals = Arc<Local<DropFlag>>;

/// What a churned thread does, and how its spawner retires it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Computes with `check()`; joined.
    Plain,
    /// A daemon thread; joined with `join_timeout`.
    Daemon,
    /// Panics; `join` reports it and the excepthook saw it.
    Panics,
    /// Sleeps in `allow_threads`; joined.
    Io,
    /// Starts a grandchild (inheriting the daemon flag) and joins it.
    Nested,
    /// Named; checks `current_thread` and `enumerate` from inside; joined.
    Named,
    /// Never joined: the spawner waits until it is no longer alive.
    Forgotten,
    /// Sets a `Local` value, which must be dropped before `join` returns.
    WithLocal,
}

const KINDS: [Kind; 8] = [
    Kind::Plain,
    Kind::Daemon,
    Kind::Panics,
    Kind::Io,
    Kind::Nested,
    Kind::Named,
    Kind::Forgotten,
    Kind::WithLocal,
];

/// Counters the spawners share with the test.
#[derive(Default)]
struct Tally {
    started: AtomicU64,
    grandchildren: AtomicU64,
    panics: AtomicU64,
    hook_calls: AtomicU64,
    locals_dropped: AtomicU64,
    dummies: AtomicU64,
    /// Longest `join` (or wait for a forgotten thread) in nanoseconds.
    max_join_ns: AtomicU64,
    /// Longest `start` call in nanoseconds.
    max_start_ns: AtomicU64,
}

fn record_max(slot: &AtomicU64, d: Duration) {
    slot.fetch_max(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Relaxed);
}

/// Builds (not starts) churned thread `i` of spawner `s`.
fn build(
    handle: &Handle,
    kind: Kind,
    (s, i): (usize, usize),
    local: &Locals,
    flag: &Arc<AtomicBool>,
) -> Thread {
    match kind {
        Kind::Plain => handle.thread(move |guard| {
            let mut x = i as u64;
            for k in 0..64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(k));
                guard.check().unwrap();
            }
        }),
        Kind::Daemon => handle
            .thread_builder()
            .daemon(true)
            .target(|guard| guard.allow_threads(thread::yield_now)),
        Kind::Panics => handle.thread(move |_| panic!("churn panic {s}-{i}")),
        Kind::Io => handle.thread(move |guard| {
            let sleep = Duration::from_micros(20 + (i as u64 * 7919) % 80);
            guard.allow_threads(|| thread::sleep(sleep));
        }),
        Kind::Nested => {
            let h = handle.clone();
            handle.thread(move |guard| {
                let me = h.current_thread();
                let child = h.thread(|guard| {
                    guard.check().unwrap();
                });
                assert_eq!(child.daemon(), me.daemon(), "the daemon flag is inherited");
                child.start().expect("start a grandchild");
                // `join` releases the GIL the grandchild needs.
                child.join().expect("a clean grandchild");
                assert!(
                    !listed(&h.enumerate(), &child),
                    "a joined grandchild is listed"
                );
                guard.check().unwrap();
            })
        }
        Kind::Named => {
            let (h, name) = (handle.clone(), format!("churn-{s}-{i}"));
            handle.thread_builder().name(name.clone()).target(move |_| {
                let me = h.current_thread();
                assert_eq!(me.name(), name);
                assert!(me.is_alive());
                assert!(
                    listed(&h.enumerate(), &me),
                    "a running thread is not listed"
                );
            })
        }
        Kind::Forgotten => handle.thread(|guard| {
            guard.allow_threads(thread::yield_now);
        }),
        Kind::WithLocal => {
            let (flag, local) = (Arc::clone(flag), Arc::clone(local));
            handle.thread(move |_| {
                assert!(local.set(DropFlag(flag)).is_none());
                assert!(local.with(|v| v.is_some()));
            })
        }
    }
}

/// Waits for churned thread `t` to end as its kind says, then checks it is gone.
fn retire(handle: &Handle, guard: &mut GilGuard<'_>, tally: &Tally, job: Job) {
    let Job {
        thread: t,
        kind,
        s,
        i,
        flag,
    } = job;
    let t0 = Instant::now();
    match kind {
        Kind::Daemon => assert_eq!(t.join_timeout(PATIENCE), Ok(true), "{t:?} never ended"),
        Kind::Panics => assert_eq!(
            t.join(),
            Err(JoinError::Panicked(format!("churn panic {s}-{i}")))
        ),
        Kind::Forgotten => {
            let deadline = Instant::now() + PATIENCE;
            // The thread needs the GIL to finish: wait with it released.
            while t.is_alive() {
                assert!(Instant::now() < deadline, "{t:?} never ended");
                guard.allow_threads(|| thread::sleep(Duration::from_micros(50)));
            }
        }
        _ => t.join().unwrap_or_else(|e| panic!("{t:?}: {e}")),
    }
    record_max(&tally.max_join_ns, t0.elapsed());
    if kind == Kind::WithLocal {
        assert!(
            flag.load(SeqCst),
            "a Local value outlived its thread's join"
        );
        tally.locals_dropped.fetch_add(1, Relaxed);
    }
    assert!(!t.is_alive(), "{t:?} alive after it ended");
    assert!(
        !listed(&handle.enumerate(), &t),
        "{t:?} listed after it ended"
    );
}

/// A started thread waiting to be retired.
struct Job {
    thread: Thread,
    kind: Kind,
    s: usize,
    i: usize,
    flag: Arc<AtomicBool>,
}

/// A foreign (std) thread that becomes a dummy thread and ends: the dummy must leave the
/// registry when its OS thread does.
fn dummy_round_trip(handle: &Handle, tally: &Tally) {
    let h = handle.clone();
    let os = thread::Builder::new()
        .name("foreign".to_owned())
        .spawn(move || {
            let dummy = h.current_thread();
            assert!(dummy.name().starts_with("Dummy-"), "{dummy:?}");
            assert!(dummy.daemon());
            assert!(listed(&h.enumerate(), &dummy));
            dummy
        })
        .expect("spawn a foreign thread");
    let dummy = os.join().expect("the foreign thread");
    assert!(
        !listed(&handle.enumerate(), &dummy),
        "{dummy:?} outlived its OS thread"
    );
    tally.dummies.fetch_add(1, Relaxed);
}

/// Spawner `s`: starts `count` threads, keeping at most `cap` alive, retiring the oldest.
/// Sends the identities it saw (all must differ) when done.
fn spawner(
    handle: &Handle,
    guard: &mut GilGuard<'_>,
    tally: &Tally,
    (s, count, cap): (usize, usize, usize),
    idents: &mpsc::Sender<Vec<u64>>,
) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (s as u64 + 1));
    let mut live: VecDeque<Job> = VecDeque::with_capacity(cap);
    let mut seen = Vec::with_capacity(count);
    let local: Locals = Arc::new(Local::new());
    for i in 0..count {
        if live.len() == cap {
            // Mostly the oldest; now and then a random one, so threads end out of order.
            let at = if i % 4 == 0 {
                usize::try_from(rng.below(cap as u64)).expect("small")
            } else {
                0
            };
            let job = live.remove(at).expect("a live job");
            retire(handle, guard, tally, job);
        }
        let kind = KINDS[usize::try_from(rng.below(KINDS.len() as u64)).expect("small")];
        let flag = Arc::new(AtomicBool::new(false));
        let t = build(handle, kind, (s, i), &local, &flag);
        let t0 = Instant::now();
        t.start().expect("start a churned thread");
        record_max(&tally.max_start_ns, t0.elapsed());
        tally.started.fetch_add(1, Relaxed);
        match kind {
            Kind::Panics => {
                tally.panics.fetch_add(1, Relaxed);
            }
            Kind::Nested => {
                tally.grandchildren.fetch_add(1, Relaxed);
            }
            _ => {}
        }
        seen.push(t.ident().expect("a started thread has an ident"));
        live.push_back(Job {
            thread: t,
            kind,
            s,
            i,
            flag,
        });
        if i % 256 == 255 {
            guard.allow_threads(|| dummy_round_trip(handle, tally));
        }
        if i % 8 == 0 {
            guard.check().unwrap();
        }
    }
    while let Some(job) = live.pop_front() {
        retire(handle, guard, tally, job);
    }
    idents.send(seen).expect("the test collects idents");
}

stress_test! {
    /// Thread churn: 4 spawner threads (themselves runtime threads, holding the GIL as
    /// targets do) start `GIL_RUNTIME_STRESS_THREADS` threads in total, at most
    /// `GIL_RUNTIME_STRESS_LIVE` alive at a time, of eight kinds at random: computing,
    /// daemon, panicking, sleeping in `allow_threads`, starting and joining a grandchild,
    /// named, never joined, and with a `Local` value. Every 256th thread a foreign thread
    /// registers a dummy thread and exits. Meanwhile the main thread checks `enumerate()`:
    /// main first, no identity twice, never more entries than can be alive. Every retired
    /// thread is no longer alive nor listed, its `Local` value was dropped before `join`
    /// returned, every panic reached the excepthook and `join`, all identities differ, and
    /// at the end the registry holds only the main thread.
    fn thread_churn_keeps_the_registry_consistent() {
        let total = total_threads();
        let cap = live_threads() / SPAWNERS;
        let rt = Runtime::builder()
            .switch_interval(Duration::from_millis(1))
            .build()
            .expect("a valid interval");
        let main = rt.main_thread();
        let tally = Arc::new(Tally::default());
        {
            let tally = Arc::clone(&tally);
            rt.set_excepthook(move |args| {
                assert!(args.message.starts_with("churn panic"), "{}", args.message);
                tally.hook_calls.fetch_add(1, Relaxed);
            });
        }
        quiet_churn_panics();
        let (tx, rx) = mpsc::channel();
        let t0 = Instant::now();
        let spawners: Vec<Thread> = (0..SPAWNERS)
            .map(|s| {
                let count = total / SPAWNERS + usize::from(s < total % SPAWNERS);
                let (handle, tally, tx) = (rt.handle(), Arc::clone(&tally), tx.clone());
                rt.thread_builder()
                    .name(format!("spawner-{s}"))
                    .target(move |guard| spawner(&handle, guard, &tally, (s, count, cap), &tx))
            })
            .collect();
        drop(tx);
        for s in &spawners {
            s.start().expect("start a spawner");
        }
        // Alive at once: main, the spawners, their live children, one grandchild per child
        // and one dummy per spawner.
        let bound = 1 + SPAWNERS + 2 * cap * SPAWNERS + SPAWNERS;
        let (mut snapshots, mut most) = (0u64, 0usize);
        while spawners.iter().any(Thread::is_alive) {
            let threads = rt.enumerate();
            assert!(threads[0].ptr_eq(&main), "main is not first: {threads:?}");
            assert!(threads.len() <= bound, "{} threads listed (bound {bound})", threads.len());
            let idents: HashSet<Option<u64>> = threads.iter().map(Thread::ident).collect();
            assert_eq!(idents.len(), threads.len(), "an identity listed twice: {threads:?}");
            most = most.max(threads.len());
            snapshots += 1;
            thread::sleep(Duration::from_millis(1));
        }
        for s in &spawners {
            s.join().expect("a spawner failed (see its panic above)");
        }
        let elapsed = t0.elapsed();
        let mut all = HashSet::new();
        for idents in rx {
            for ident in idents {
                assert!(all.insert(ident), "ident {ident} given to two threads");
            }
        }
        let started = tally.started.load(SeqCst);
        let grandchildren = tally.grandchildren.load(SeqCst);
        let panics = tally.panics.load(SeqCst);
        assert_eq!(started, total as u64);
        assert_eq!(all.len(), total);
        assert_eq!(tally.hook_calls.load(SeqCst), panics, "excepthook calls vs panics");
        let remaining = rt.enumerate();
        assert_eq!(remaining.len(), 1, "left in the registry: {remaining:?}");
        assert!(remaining[0].ptr_eq(&main));
        assert_eq!(rt.active_count(), 1);
        let threads = started + grandchildren + SPAWNERS as u64;
        println!(
            "  {threads} threads ({started} churned, {grandchildren} grandchildren, \
             {SPAWNERS} spawners; {panics} panicked, {} Local values dropped, {} dummy \
             threads) in {elapsed:.2?}: {:.0} threads/s; {cap} live per spawner, at most \
             {most} listed at once over {snapshots} snapshots; longest start {:?}, longest \
             join {:?}",
            tally.locals_dropped.load(SeqCst),
            tally.dummies.load(SeqCst),
            per_second(threads, elapsed),
            Duration::from_nanos(tally.max_start_ns.load(SeqCst)),
            Duration::from_nanos(tally.max_join_ns.load(SeqCst)),
        );
        drop(rt);
    }
}

/// Keeps Rust's panic hook from printing (with a backtrace under `RUST_BACKTRACE`) each of the
/// thousand intended "churn panic" panics; any other panic is printed as usual.
fn quiet_churn_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        if !message.is_some_and(|m| m.starts_with("churn panic")) {
            default(info);
        }
    }));
}
