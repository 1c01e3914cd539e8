//! The GIL on an oversubscribed machine: more runnable threads than cores (issue 12). Each run
//! starts [`Burners`], threads that spin without ever touching the GIL (by default one per
//! core, at least two), next to the GIL's own threads, and checks what must hold however
//! late the scheduler runs a thread: every thread progresses, the I/O-credit bound, no lost
//! wake-up (a watchdog fails the run instead of letting it hang) and a free GIL at the end.
//!
//! Each run lasts `GIL_LOADED_SECS` seconds, else `GIL_STRESS_SECS` when that is set, else
//! 15; `GIL_LOADED_BURNERS` overrides the number of burners.

use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_core::{Gil, Policy};
use gil_test_support::{serial, spawn};

use crate::soak::{
    self, CPU, Outcome, Shared, WINDOW, env_secs, print_outcomes, quantile, ratio, steal_percent,
    steal_ticks, watch,
};
use crate::{THREADS, gil, hammer_op, join_all, print_threads};

/// How long each loaded run lasts.
fn loaded_time() -> Duration {
    Duration::from_secs(
        env_secs("GIL_LOADED_SECS")
            .or_else(|| env_secs("GIL_STRESS_SECS"))
            .unwrap_or(15),
    )
}

/// Burner threads to run: `GIL_LOADED_BURNERS`, else one per core and at least two, so that
/// with the GIL's threads there are more runnable threads than cores on any machine.
fn burner_count() -> usize {
    std::env::var("GIL_LOADED_BURNERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| cores().max(2))
}

fn cores() -> usize {
    thread::available_parallelism().map_or(1, usize::from)
}

/// Threads the kernel counts as runnable right now (`procs_running` in `/proc/stat`, the
/// reading thread included).
fn procs_running() -> Option<u64> {
    std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("procs_running "))?
        .trim()
        .parse()
        .ok()
}

/// Threads that keep the cores busy outside the GIL (plain spin loops), plus a sampler of
/// the machine's runnable threads. Dropping them (also on a failed assertion) stops and
/// joins them all, so a failed run does not load the next one.
struct Burners {
    count: usize,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<u64>>,
    sampler: Option<JoinHandle<Vec<u64>>>,
    start: Instant,
}

impl Burners {
    fn start(n: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let burners = (0..n)
            .map(|i| {
                let stop = Arc::clone(&stop);
                spawn(format!("burn-{i}"), move || {
                    let (mut x, mut loops) = (0u64, 0u64);
                    while !stop.load(Relaxed) {
                        for i in 0..1024 {
                            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                        }
                        loops += 1;
                    }
                    loops
                })
            })
            .collect();
        let sampler = {
            let stop = Arc::clone(&stop);
            spawn("load-sampler", move || {
                let mut samples = Vec::new();
                while !stop.load(Relaxed) {
                    thread::sleep(Duration::from_millis(97));
                    // The sampler itself is running while it reads.
                    samples.extend(procs_running().map(|n| n.saturating_sub(1)));
                }
                samples
            })
        };
        Self {
            count: n,
            stop,
            threads: burners,
            sampler: Some(sampler),
            start: Instant::now(),
        }
    }

    /// Stops the burners and prints what they did and the load the run saw.
    fn finish(mut self) {
        let (loops, samples) = self.stop_and_join();
        let mut samples = samples.unwrap_or_default();
        samples.sort_unstable();
        let per_sec = soak::per_second(loops, self.start.elapsed());
        println!(
            "  load: {} burners ({per_sec:.0} k-loops/s together), runnable threads on the \
             machine (procs_running) median {} max {} on {} cores, loadavg {}",
            self.count,
            samples.get(samples.len() / 2).copied().unwrap_or_default(),
            samples.last().copied().unwrap_or_default(),
            cores(),
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .trim()
        );
    }

    /// Thousands of burner loops done, and the sampler's readings.
    fn stop_and_join(&mut self) -> (u64, Option<Vec<u64>>) {
        self.stop.store(true, Relaxed);
        let loops = self
            .threads
            .drain(..)
            .map(|h| h.join().unwrap_or_default())
            .sum::<u64>()
            / 1000;
        let samples = self.sampler.take().and_then(|h| h.join().ok());
        (loops, samples)
    }
}

impl Drop for Burners {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Sets `stop` when dropped, so that the GIL threads of a failed run end too.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// The GIL must be free once every thread has gone.
fn assert_gil_free(gil: &Gil) {
    assert_eq!(gil.waiters(), 0, "waiters left after every thread ended");
    assert!(
        gil.try_acquire().is_ok(),
        "the gil is still held after every thread ended"
    );
}

/// Fewest CPU-bound work units over most: generous on two noisy cores.
const MIN_CPU_SHARE_RATIO: f64 = 0.3;

/// The soak's threads (4 CPU-bound: work + `check()`; 4 I/O-bound: sleeps, UDP round trips,
/// file reads, yields in `allow_threads`, a little work between), fair policy, 1 ms interval,
/// next to the burners: every thread progresses in every 1 s window, the CPU-bound threads'
/// work shares stay within a factor, every thread stops and joins in time (no lost wake-up:
/// `soak` fails after 30 s instead of hanging) and the GIL is free at the end.
#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn loaded_mixed_threads_progress() {
    let _serial = serial();
    let time = loaded_time();
    let burners = Burners::start(burner_count());
    let steal0 = steal_ticks();
    let (gil, mut outcomes, windows, elapsed, cpu_turns) = soak::soak(Policy::Fair, time);
    let steal = steal_percent(steal0, steal_ticks());
    let stats = gil.stats();
    let cpu: Vec<u64> = outcomes[..CPU].iter().map(|o| o.sections).collect();
    println!(
        "loaded, {CPU} cpu + {} io threads, fair, {elapsed:.1?} ({} windows of {WINDOW:?}): \
         {cpu_turns} cpu turns; switches {}, forced {}, priority requests {}; cpu work \
         most/least {:.2} (bound {:.2}); steal {}",
        THREADS - CPU,
        windows.count,
        stats.switches,
        stats.forced_switches,
        stats.priority_requests,
        ratio(&cpu),
        1.0 / MIN_CPU_SHARE_RATIO,
        steal.map_or_else(|| "unknown".to_owned(), |s| format!("{s:.1}%")),
    );
    burners.finish();
    print_threads(&stats);
    print_outcomes(&mut outcomes, &windows);
    assert!(
        windows.stalls.is_empty(),
        "starvation under load:\n  {}",
        windows.stalls.join("\n  ")
    );
    assert!(
        ratio(&cpu) <= 1.0 / MIN_CPU_SHARE_RATIO,
        "cpu-bound threads' work {cpu:?}: the least did less than {MIN_CPU_SHARE_RATIO} of \
         the most"
    );
    assert!(stats.priority_requests > 0, "no urgent requests: {stats:?}");
    assert_gil_free(&gil);
}

// ---- the I/O-credit bound ------------------------------------------------------------------

/// How long the abuser computes between two empty `allow_threads` calls, without a `check()`:
/// one switch interval (`GIL_LOADED_ABUSER_US` overrides it, for experiments).
///
/// Why so long, and why no `check()` (measured on a 2-core VM with 2 burners, against a
/// build of gil-core whose credit never runs out):
/// - with ~20 µs of work the abuser's own returns from `allow_threads` wait for the scheduler
///   (p50 ~0.1–0.25 ms), so it holds the GIL ~10% of the time whether or not credit bounds
///   it: the credit-less build passed such a test;
/// - with `check()` in its work (5 ms interval), the lender's time-keeping and the due turn of
///   the queued CPU-bound thread already hold it to about half the GIL (0.52 without the
///   credit rule, 0.34 with it), too close to the bound below to tell the two apart;
/// - an interval of work with no safe point (a long native call, in an interpreter) cannot be
///   cut short once granted: only the credit rule limits how often it is granted urgently.
///   Its returns still wait for the scheduler (p50 ~3–6 ms), so a longer interval widens the
///   gap: at 10 ms the credit-less build let it hold 0.63 of the time (0.58–0.72 per phase;
///   bound 0.544), the real one 0.34–0.44.
/// - Its normal turns last one interval, like the CPU-bound threads': in the queue it gets a
///   third of the GIL, so its debt never drifts to the floor (where holds go uncharged).
fn abuser_work() -> Duration {
    env_secs("GIL_LOADED_ABUSER_US").map_or(CREDIT_INTERVAL, Duration::from_micros)
}

/// The switch interval of the credit run.
const CREDIT_INTERVAL: Duration = Duration::from_millis(10);

/// The abusive I/O thread's controls and what it measured itself.
#[derive(Default)]
struct Abuse {
    /// Set by the main thread while the abuser is to run.
    present: AtomicBool,
    /// Set by the abuser while it takes part (between its acquire and its release).
    inside: AtomicBool,
    /// Time it held the GIL, measured from the return of `allow_threads` (or `acquire`) to the
    /// next call: never more than the GIL charges to its credit.
    held_ns: AtomicU64,
    /// Its longest such hold.
    longest_ns: AtomicU64,
}

/// Nanoseconds of `d`, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The abuser: while `abuse.present`, [`abuser_work`] of computing without `check()`, then
/// `allow_threads(|| ())` (an "I/O" call that returns at once, so that every return is an
/// urgent request while it has credit), in a loop. Counts its rounds in
/// `shared.progress[id]`, measures its holds and its `allow_threads` round trips.
fn abuser_thread(
    gil: &Gil,
    shared: &Arc<Shared>,
    abuse: &Arc<Abuse>,
    id: usize,
) -> JoinHandle<Outcome> {
    let (gil, shared, abuse) = (gil.clone(), Arc::clone(shared), Arc::clone(abuse));
    spawn("abuser", move || {
        let work = abuser_work();
        let (mut sections, mut waits) = (0, Vec::new());
        while !shared.stop.load(Relaxed) {
            if !abuse.present.load(SeqCst) {
                thread::sleep(Duration::from_micros(200));
                continue;
            }
            let mut guard = gil.acquire();
            abuse.inside.store(true, SeqCst);
            // Each hold is timed from when the abuser has the GIL (`acquire` or
            // `allow_threads` returned) to its next `allow_threads` call.
            let mut since = Instant::now();
            let hold = |held: Duration| {
                abuse.held_ns.fetch_add(nanos(held), Relaxed);
                abuse.longest_ns.fetch_max(nanos(held), Relaxed);
            };
            let mut x = 0u64;
            while abuse.present.load(Relaxed) && !shared.stop.load(Relaxed) {
                while since.elapsed() < work {
                    for i in 0..64 {
                        x = std::hint::black_box(x.wrapping_add(i));
                    }
                }
                shared.critical();
                sections += 1;
                shared.progress[id].fetch_add(1, Relaxed);
                hold(since.elapsed());
                let t = Instant::now();
                guard.allow_threads(|| ());
                since = Instant::now();
                waits.push(since - t);
            }
            hold(since.elapsed());
            drop(guard);
            abuse.inside.store(false, SeqCst);
        }
        Outcome {
            name: "abuser".to_owned(),
            sections,
            waits,
            lends: 0,
        }
    })
}

/// Waits until `cond` holds, failing after `patience` (a thread that never gets the GIL back).
fn wait_until(what: &str, patience: Duration, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + patience;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "{what} after {patience:?}: lost wake-up"
        );
        thread::sleep(Duration::from_micros(100));
    }
}

/// What the main thread saw in one phase of the credit run.
struct Phase {
    abuser: bool,
    wall: Duration,
    /// Work units each CPU-bound thread did.
    cpu: Vec<u64>,
    abuser_rounds: u64,
    abuser_held: Duration,
    priority_requests: u64,
}

/// Runs one phase of `length`, with the abuser or without it.
fn phase(
    gil: &Gil,
    shared: &Shared,
    abuse: &Abuse,
    cpu: usize,
    with: bool,
    length: Duration,
) -> Phase {
    let patience = Duration::from_secs(10);
    if with {
        abuse.present.store(true, SeqCst);
        wait_until("the abuser did not get the gil", patience, || {
            abuse.inside.load(SeqCst)
        });
    }
    let snapshot = || {
        (
            Instant::now(),
            shared
                .progress
                .iter()
                .map(|p| p.load(SeqCst))
                .collect::<Vec<_>>(),
            abuse.held_ns.load(SeqCst),
            gil.stats().priority_requests,
        )
    };
    let (t0, p0, h0, u0) = snapshot();
    thread::sleep(length);
    if with {
        abuse.present.store(false, SeqCst);
        wait_until("the abuser did not leave", patience, || {
            !abuse.inside.load(SeqCst)
        });
    }
    let (t1, p1, h1, u1) = snapshot();
    Phase {
        abuser: with,
        wall: t1 - t0,
        cpu: (0..cpu).map(|i| p1[i] - p0[i]).collect(),
        abuser_rounds: p1[cpu] - p0[cpu],
        abuser_held: Duration::from_nanos(h1 - h0),
        priority_requests: u1 - u0,
    }
}

/// Work units per second of each CPU-bound thread over the phases with (`with`) or without
/// the abuser.
#[expect(clippy::cast_precision_loss, reason = "rates")]
fn cpu_rates(phases: &[Phase], with: bool) -> Vec<f64> {
    let chosen: Vec<&Phase> = phases.iter().filter(|p| p.abuser == with).collect();
    let wall: f64 = chosen.iter().map(|p| p.wall.as_secs_f64()).sum();
    (0..chosen[0].cpu.len())
        .map(|i| chosen.iter().map(|p| p.cpu[i]).sum::<u64>() as f64 / wall)
        .collect()
}

/// Each CPU-bound thread's work rate with the abuser, over its rate without it, must be at
/// least this (see `loaded_io_credit_bound` for the derivation).
const MIN_CPU_RATE_WITH_ABUSER: f64 = 0.25;

/// An "abusive" I/O thread (one interval of computing, then an empty `allow_threads`, in a
/// loop: see [`abuser_work`]) next to 2 CPU-bound threads and the burners, fair policy,
/// [`CREDIT_INTERVAL`]. Phases of 2.5 s with and without the abuser alternate (the order
/// swapped every round), so that each CPU-bound thread's work rate with it is compared with
/// its rate without it in the same run, under the same load.
///
/// The bound on the abuser. What the I/O-credit rule promises (crate docs; `Held` in gil.rs):
/// a thread's credit is at most one interval I and refills at half the wall-clock rate;
/// every contended hold is charged to it; it makes urgent requests only while its credit is
/// positive; debt stops at 10 I. The abuser's holds are all contended (the CPU-bound threads
/// never leave the GIL free), so over a phase of length T, which it enters with credit ≤ I
/// and leaves with debt ≤ 10 I, it is charged at most T/2 + 11 I. Its hold as it measures it
/// (from the return of `acquire`/`allow_threads` to the next `allow_threads` call) lies
/// inside the hold the GIL charges, so the sum over the phases with the abuser is at most
/// T/2 + 11 I per phase: an accounting identity, not a timing, so it is not flaky. One
/// exception: charges stop at the debt floor, which only a single hold longer than 10 I
/// (the abuser descheduled for 100 ms) can reach from non-negative credit; the longest hold
/// is printed, and any excess over 10 I is added to the bound. Without the rule the abuser
/// takes 0.6–0.7 of the time (above); a credit that is not charged, not capped or refills
/// too fast fails this check.
///
/// The CPU-bound threads' share. What the rule leaves them together is T − (T/2 + 11 I),
/// less the hand-offs to and from the abuser (GIL time nobody computes in, which the rule
/// does not bound: a hand-off to a descheduled thread waits for the scheduler). Without the
/// abuser two threads share all of T, so each should keep at least about 0.46 of its rate
/// (0.5 − 11 I/T with T = 2.5 s), less hand-offs. The check asks for
/// [`MIN_CPU_RATE_WITH_ABUSER`] = 0.25, allowing hand-offs and noise almost half of that;
/// measured 0.55–0.75. It catches GIL time lost around the abuser's hand-offs, which the
/// credit bound cannot see (an injected 100 ms delay before an urgent requester runs: 0.15).
#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn loaded_io_credit_bound() {
    const CPU_THREADS: usize = 2;
    let _serial = serial();
    let time = loaded_time();
    let rounds = (time.as_secs() / 5).max(1);
    let length = time / u32::try_from(rounds * 2).expect("few rounds");
    let burners = Burners::start(burner_count());
    let gil = Gil::builder()
        .switch_interval(CREDIT_INTERVAL)
        .build()
        .expect("a non-zero interval is valid");
    let shared = Arc::new(Shared::new(CPU_THREADS + 1));
    let abuse = Arc::new(Abuse::default());
    let stop = StopOnDrop(&shared.stop);
    let mut handles: Vec<_> = (0..CPU_THREADS)
        .map(|id| soak::cpu_thread(&gil, &shared, id))
        .collect();
    handles.push(abuser_thread(&gil, &shared, &abuse, CPU_THREADS));
    let mut phases = Vec::new();
    for round in 0..rounds {
        let first = round % 2 == 0;
        for with in [first, !first] {
            phases.push(phase(&gil, &shared, &abuse, CPU_THREADS, with, length));
        }
    }
    drop(stop);
    let mut outcomes = join_all(&gil, handles, Duration::from_secs(30));
    let sections: u64 = outcomes.iter().map(|o| o.sections).sum();
    assert_eq!(
        shared.counter.load(SeqCst),
        sections,
        "lost updates under the gil"
    );
    let stats = gil.stats();
    println!(
        "loaded io credit, {CPU_THREADS} cpu threads + 1 abuser ({:?} of work between empty \
         allow_threads), fair, interval {:?}, {rounds} rounds of {length:.1?} with and without \
         the abuser",
        abuser_work(),
        gil.switch_interval(),
    );
    for p in &phases {
        println!(
            "  {:<8} {:>8.1?}: cpu work {:?}, abuser rounds {:>7}, held {:>9.1?} ({:.3} of \
             the phase), priority requests {}",
            if p.abuser { "abuser" } else { "no abuser" },
            p.wall,
            p.cpu,
            p.abuser_rounds,
            p.abuser_held,
            p.abuser_held.as_secs_f64() / p.wall.as_secs_f64(),
            p.priority_requests,
        );
    }
    burners.finish();
    print_threads(&stats);
    let abuser = &mut outcomes[CPU_THREADS].waits;
    abuser.sort_unstable();
    println!(
        "  abuser's allow_threads(|| ()) round trips {}: p50 {:.3?}, p99 {:.3?}, max {:.3?}",
        abuser.len(),
        quantile(abuser, 0.5),
        quantile(abuser, 0.99),
        quantile(abuser, 1.0)
    );
    let interval = gil.switch_interval();
    let longest = Duration::from_nanos(abuse.longest_ns.load(SeqCst));
    let with: Vec<&Phase> = phases.iter().filter(|p| p.abuser).collect();
    let t: Duration = with.iter().map(|p| p.wall).sum();
    let held: Duration = with.iter().map(|p| p.abuser_held).sum();
    let bound = t / 2
        + interval * 11 * u32::try_from(with.len()).expect("few phases")
        + longest.saturating_sub(interval * 10);
    let (rate_with, rate_without) = (cpu_rates(&phases, true), cpu_rates(&phases, false));
    let ratios: Vec<f64> = rate_with
        .iter()
        .zip(&rate_without)
        .map(|(w, wo)| w / wo)
        .collect();
    println!(
        "  abuser held {held:.1?} of {t:.1?} with it ({:.3}; credit bound {bound:.1?}), \
         longest hold {longest:.1?}; cpu work/s with the abuser {rate_with:.0?}, without \
         {rate_without:.0?}: ratios {ratios:.3?} (bound {MIN_CPU_RATE_WITH_ABUSER})",
        held.as_secs_f64() / t.as_secs_f64(),
    );
    assert!(
        with.iter().all(|p| p.priority_requests > 0),
        "the abuser made no urgent request in a phase"
    );
    assert!(
        held <= bound,
        "the abuser held the gil {held:?} of {t:?}: above the credit bound {bound:?}"
    );
    for (i, r) in ratios.iter().enumerate() {
        assert!(
            *r >= MIN_CPU_RATE_WITH_ABUSER,
            "cpu-{i} kept {r:.3} of its work rate next to the abuser (bound \
             {MIN_CPU_RATE_WITH_ABUSER}): rates with {rate_with:.0?}, without {rate_without:.0?}"
        );
    }
    assert_gil_free(&gil);
}

// ---- hand-off storm ------------------------------------------------------------------------

/// [`THREADS`] threads doing very short holds as fast as they can (the hammer's mix:
/// acquire/release, `try_acquire`, `check()`, `allow_threads`, nested guards) for the run's
/// length next to the burners. Every thread must progress in every 1 s window, checked while
/// the run goes on, so a lost wake-up fails at once instead of hanging; a stall of 2 s or
/// more always spans a whole window, so no thread stalls that long (each thread's longest gap
/// between two operations is printed). Then every thread must finish (the join's patience is
/// 30 s), the increments made under the GIL must add up, and the GIL must be free.
#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn loaded_no_lost_wakeups_handoff_storm() {
    let _serial = serial();
    let time = loaded_time();
    let burners = Burners::start(burner_count());
    let gil = gil(Policy::Fair);
    let shared = Arc::new(Shared::new(THREADS));
    let stop = StopOnDrop(&shared.stop);
    let names: Vec<String> = (0..THREADS).map(|id| format!("storm-{id}")).collect();
    let start = Instant::now();
    let handles: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(id, name)| {
            let (gil, shared) = (gil.clone(), Arc::clone(&shared));
            spawn(name.clone(), move || {
                let (mut done, mut failed_tries, mut i) = (0u64, 0u64, 0u64);
                let (mut last, mut stall) = (Instant::now(), Duration::ZERO);
                while !shared.stop.load(Relaxed) {
                    let (n, failed) = hammer_op(&gil, i, || shared.critical());
                    shared.progress[id].fetch_add(n, Relaxed);
                    done += n;
                    failed_tries += u64::from(failed);
                    i += 1;
                    let now = Instant::now();
                    stall = stall.max(now - last);
                    last = now;
                }
                (done, failed_tries, stall)
            })
        })
        .collect();
    let windows = watch(
        &shared,
        &names,
        u32::try_from(time.as_secs()).unwrap_or(u32::MAX),
    );
    drop(stop);
    // Before the join, which fails only after its patience runs out.
    assert!(
        windows.stalls.is_empty(),
        "stalls under load ({} waiting for the gil):\n  {}",
        gil.waiters(),
        windows.stalls.join("\n  ")
    );
    let results = join_all(&gil, handles, Duration::from_secs(30));
    let elapsed = start.elapsed();
    let stats = gil.stats();
    let done: Vec<u64> = results.iter().map(|r| r.0).collect();
    let total: u64 = done.iter().sum();
    let stalls: Vec<Duration> = results.iter().map(|r| r.2).collect();
    println!(
        "loaded hand-off storm, {THREADS} threads, fair, {elapsed:.1?}: {total} increments \
         ({:.0}/s), {} failed try_acquire; per thread {done:?} (most/least {:.2}), fewest in \
         a {WINDOW:?} window {:?}; longest gap per thread {stalls:.1?}; switches {}, \
         forced {}, priority requests {}",
        soak::per_second(total, elapsed),
        results.iter().map(|r| r.1).sum::<u64>(),
        ratio(&done),
        windows.min,
        stats.switches,
        stats.forced_switches,
        stats.priority_requests,
    );
    burners.finish();
    let mut waits: Vec<Duration> = stats.threads.iter().map(|t| t.max_wait).collect();
    waits.sort_unstable();
    println!("  longest single wait {:.1?}", quantile(&waits, 1.0));
    assert_eq!(
        shared.counter.load(SeqCst),
        total,
        "lost updates under the gil"
    );
    assert_gil_free(&gil);
}
