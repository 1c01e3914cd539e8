//! Interrupt latency (issue #16): how long from `Interrupter::interrupt` until a thread
//! blocked in each primitive's interruptible wait has returned its `Interrupted` error (GIL
//! held again), and from `Gil::add_pending_call` until the call runs on a main thread that
//! is running `check()`. Beside them, the bare probe: the same wake-up with std's
//! `park`/`unpark` and an atomic flag, no GIL, no queue (what the OS gives).
//!
//! One target thread per variant holds the GIL and blocks; the measuring thread (holding
//! nothing) waits [`SETTLE`] so that the target is asleep, reads the clock, fires, and gets
//! the target's own clock reading back after the wait returned.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, GilGuard, Interrupt};
use gil_runtime::{JoinError, Runtime};
use gil_sync::{
    Barrier, BarrierError, BoundedSemaphore, Condition, Event, JoinError as TimerJoinError, Lock,
    RLock, Semaphore, Timer, WaitError,
};

/// How long the measuring thread lets the target fall asleep before it fires.
pub const SETTLE: Duration = Duration::from_millis(2);

/// A variant's blocking call, run on the target thread with the GIL held: prepares what it
/// needs, calls its second argument (`ready`) just before it blocks, blocks until
/// interrupted, and returns when the wait returned the interrupt, read right then (`None`
/// for anything else: a failure of the measurement). Clean-up comes after the reading.
pub type Block = Box<dyn FnMut(&mut GilGuard<'_>, &dyn Fn()) -> Option<Instant> + Send>;

/// One variant: its name and the blocking call.
pub struct Variant {
    /// The row's label.
    pub name: &'static str,
    /// The blocking call (see [`Block`]).
    pub block: Block,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Variant {
    /// A variant named `name` blocking in `block`.
    pub fn new(
        name: &'static str,
        block: impl FnMut(&mut GilGuard<'_>, &dyn Fn()) -> Option<Instant> + Send + 'static,
    ) -> Self {
        Self {
            name,
            block: Box::new(block),
        }
    }
}

/// Latencies in microseconds of `rounds` interrupts of `v`'s blocked target on `gil`.
///
/// # Panics
///
/// If the target's call returned anything but the interrupt, or the target thread died.
pub fn interrupt_latencies(gil: &Gil, v: Variant, rounds: usize) -> Vec<f64> {
    let (tx, rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    let target = {
        let gil = gil.clone();
        let mut block = v.block;
        thread::Builder::new()
            .name(format!("interrupt-{}", v.name))
            .spawn(move || {
                let mut guard = gil.acquire();
                tx.send(gil.interrupter())
                    .expect("the measuring thread waits");
                let ready = || ready_tx.send(()).expect("the measuring thread waits");
                while go_rx.recv().is_ok() {
                    if done_tx.send(block(&mut guard, &ready)).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn the target")
    };
    let interrupter = rx.recv().expect("the target's interrupter");
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        go_tx.send(()).expect("the target runs");
        ready_rx.recv().expect("the target prepares");
        thread::sleep(SETTLE);
        let t0 = Instant::now();
        interrupter.interrupt().expect("the target is alive");
        let t1 = done_rx.recv().expect("the target answers");
        let t1 = t1.unwrap_or_else(|| panic!("{}: the wait did not return Interrupted", v.name));
        out.push(t1.saturating_duration_since(t0).as_secs_f64() * 1e6);
    }
    drop(go_tx);
    target.join().expect("the target thread");
    out
}

/// The `check()` variant: the target spins on `check()` until it reports the interrupt.
pub fn check_variant() -> Variant {
    Variant::new("check()", |guard, ready| {
        ready();
        loop {
            match guard.check() {
                Ok(_) => {}
                Err(i) => return (i == Interrupt::Requested).then(Instant::now),
            }
        }
    })
}

/// The bare probe's latencies in microseconds: a thread parked on an atomic flag, woken by
/// `unpark` after the flag is set; the same rounds and settling as the variants.
///
/// # Panics
///
/// If the probe thread dies.
pub fn bare_latencies(rounds: usize) -> Vec<f64> {
    let flag = Arc::new(AtomicBool::new(false));
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    let target = {
        let flag = Arc::clone(&flag);
        thread::spawn(move || {
            while go_rx.recv().is_ok() {
                while !flag.swap(false, SeqCst) {
                    thread::park();
                }
                if done_tx.send(Instant::now()).is_err() {
                    break;
                }
            }
        })
    };
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        go_tx.send(()).expect("the probe runs");
        thread::sleep(SETTLE);
        let t0 = Instant::now();
        flag.store(true, SeqCst);
        target.thread().unpark();
        let t1 = done_rx.recv().expect("the probe answers");
        out.push(t1.saturating_duration_since(t0).as_secs_f64() * 1e6);
    }
    drop(go_tx);
    target.join().expect("the probe thread");
    out
}

/// Pending-call latencies in microseconds: the calling thread builds a GIL (so it is its
/// main thread) and runs a `check()` loop while another thread queues `rounds` calls, each
/// recording when it ran; a round waits [`SETTLE`] before queueing.
///
/// # Panics
///
/// If the queueing thread dies or the queue is full.
pub fn pending_call_latencies(rounds: usize, interval: Duration) -> Vec<f64> {
    let gil = Gil::builder()
        .switch_interval(interval)
        .build()
        .expect("a non-zero interval");
    let ran: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::with_capacity(rounds)));
    let stop = Arc::new(AtomicBool::new(false));
    let queuer = {
        let (gil, ran, stop) = (gil.clone(), Arc::clone(&ran), Arc::clone(&stop));
        thread::spawn(move || {
            for _ in 0..rounds {
                thread::sleep(SETTLE);
                let t0 = Instant::now();
                let ran = Arc::clone(&ran);
                gil.add_pending_call(move || {
                    let us = t0.elapsed().as_secs_f64() * 1e6;
                    ran.lock().unwrap_or_else(PoisonError::into_inner).push(us);
                    ControlFlow::Continue(())
                })
                .expect("one call at a time never fills the queue");
            }
            stop.store(true, SeqCst);
        })
    };
    let mut guard = gil.acquire();
    let mut x = 0_u64;
    while !stop.load(SeqCst) || gil.pending_calls() > 0 {
        x = black_box(x.wrapping_add(1));
        let _ = guard.check();
    }
    drop(guard);
    queuer.join().expect("the queueing thread");
    ran.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// `Thread::join` of a runtime thread (on a runtime over `gil`) that waits for an event
/// the target sets once its join was interrupted.
fn join_variant(gil: &Gil) -> Variant {
    let rt = Runtime::with_gil(gil.clone());
    Variant::new("Thread::join", move |_guard, ready| {
        let (running, release) = (Arc::new(Event::new()), Arc::new(Event::new()));
        let t = rt.thread({
            let (running, release) = (Arc::clone(&running), Arc::clone(&release));
            move |_| {
                running.set();
                release.wait();
            }
        });
        t.start().expect("start a runtime thread");
        running.wait();
        ready();
        let r = t.join();
        let at = Instant::now();
        release.set();
        t.join().expect("the second join");
        matches!(r, Err(JoinError::Interrupted(_))).then_some(at)
    })
}

/// A variant whose wait returns a `Result` whose error is the interrupt (`Some` when the
/// call was interrupted, read right as it returned).
fn waits<T, E: 'static>(
    name: &'static str,
    wait: impl Fn() -> Result<T, E> + Send + 'static,
    interrupted: fn(&E) -> bool,
) -> Variant {
    Variant::new(name, move |_guard, ready| {
        ready();
        let r = wait();
        let at = Instant::now();
        r.err().filter(interrupted).map(|_| at)
    })
}

/// The waits the interrupt table measures, in its order.
pub const WAITS: [&str; 10] = [
    "check()",
    "Lock",
    "RLock",
    "Condition::wait",
    "Semaphore",
    "BoundedSemaphore",
    "Event",
    "Barrier::wait",
    "Timer::join",
    "Thread::join",
];

/// The variant of wait `name` (one of [`WAITS`]) on `gil`, its target waiting with `gil`
/// held; each blocks on something nobody will release, set, notify or end.
///
/// # Panics
///
/// If `name` is not one of [`WAITS`].
pub fn variant(gil: &Gil, name: &'static str) -> Variant {
    match name {
        "check()" => check_variant(),
        "Lock" => {
            let lock = Lock::new();
            lock.acquire().leak(); // held here, by the measuring thread
            waits(
                name,
                move || lock.acquire_interruptible().map(drop),
                |_| true,
            )
        }
        "RLock" => {
            let rlock = RLock::new();
            rlock.acquire().leak();
            waits(
                name,
                move || rlock.acquire_interruptible().map(drop),
                |_| true,
            )
        }
        "Condition::wait" => {
            let cond = Condition::new();
            waits(
                name,
                move || {
                    let _held = cond.acquire();
                    cond.wait()
                },
                |e| matches!(e, WaitError::Interrupted(_)),
            )
        }
        "Semaphore" => {
            let sem = Semaphore::new(0);
            waits(
                name,
                move || sem.acquire_interruptible().map(drop),
                |_| true,
            )
        }
        "BoundedSemaphore" => {
            let bsem = BoundedSemaphore::new(0);
            waits(
                name,
                move || bsem.acquire_interruptible().map(drop),
                |_| true,
            )
        }
        "Event" => {
            let event = Event::new();
            waits(name, move || event.wait_interruptible(None), |_| true)
        }
        // An interrupted waiter leaves the cycle (as in Python), so each round starts afresh.
        "Barrier::wait" => {
            let barrier = Barrier::new(2).expect("two parties");
            waits(
                name,
                move || barrier.wait(),
                |e| matches!(e, BarrierError::Interrupted(_)),
            )
        }
        "Timer::join" => {
            let timer = Timer::new(Duration::from_hours(1), || {});
            timer.start().expect("start the timer");
            waits(
                name,
                move || timer.join(),
                |e| matches!(e, TimerJoinError::Interrupted(_)),
            )
        }
        "Thread::join" => join_variant(gil),
        _ => panic!("no wait `{name}` in the interrupt table"),
    }
}
