//! `RawGil`: the GIL's state machine, shared by both policies, and the fair policy itself.
//!
//! # Implementation details
//!
//! The fair policy is a queue lock with direct hand-off (`parking_lot`'s `unlock_fair`, always):
//!
//! - **State word.** `state` says whether the GIL is held and whether waiters are queued. The
//!   uncontended paths are one CAS each way. Once anyone waits, the GIL is never *free* again
//!   until the queue drains: a release pops the head of the queue and hands ownership to it
//!   (`LOCKED` stays set), so a newcomer's CAS always fails while waiters are queued and
//!   nobody barges.
//! - **Queue.** `FairQueue::waiters` under `fair`: urgent entries first (FIFO among themselves),
//!   then normal ones (FIFO). A thread that `check()` forces off goes to the back with a fresh
//!   slice; a holder preempted by an *urgent* request goes to the front of the normal entries
//!   and keeps its turn's end (`Turn::Until`), so urgent traffic cannot reorder CPU-bound
//!   threads or stretch their turns in wall-clock time.
//! - **Time-keeping.** Exactly one waiter keeps time: the head of the queue. It parks until
//!   the holder's slice `deadline`, then sets the drop request (the eval breaker) that makes
//!   the holder's next `check()` yield. Others park untimed. A hand-off unparks the new head
//!   so it starts timing the new holder.
//! - **Urgent requests.** A thread returning from `allow_threads` with I/O credit left (see
//!   `gil.rs`) enqueues urgently and sets the drop request at once: the holder yields at its
//!   next `check()`, which for an interpreter is the next instruction boundary.
//!
//! - **Lend path.** An urgent request first tries to skip the queue entirely: see
//!   `raw/lend.rs` (about half the cost per hand-off, measured in the convoy harness).
//!
//! Waiters that expect the GIL soon (the head of the queue) spin for `SPIN_LIMIT` polls before
//! parking, so that a hand-off between two busy threads costs a cache-line transfer instead of
//! a futex wake-up.
//!
//! # Notes about memory ordering
//!
//! The GIL publishes everything its holder wrote to the next holder:
//! - uncontended: the `Release` CAS in `unlock` synchronizes with the `Acquire` CAS in
//!   `try_lock_fast` / `lock_slow`;
//! - hand-off: the `Release` store of `GRANTED` in `hand_off_locked` synchronizes with the
//!   `Acquire` load of it in `wait_granted`; the queue itself is only touched under `fair`.
//! - `QUEUED` and the drop request carry no data: they are changed under `fair` (which orders
//!   them with the queue) or read as hints, so `Relaxed` suffices for them.

use std::collections::VecDeque;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::cpython::CPythonGil;
use crate::loom::StatCounter;
use crate::loom::hint::spin_loop;
use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::sync::{Arc, Mutex, MutexGuard};
use crate::loom::thread::{self, Thread};
use crate::loom::time::{Instant, now};
use crate::loom::{SPIN_LIMIT, thread_local};
use crate::policy::{Mode, Policy};
use crate::stats::{Counters, GilStats, ThreadRecord, ThreadRegistry};
use crate::trace::{self, Event};

mod clock;
mod holder;
mod lend;

pub(crate) use self::clock::CHECKS_PER_CLOCK_READ;
pub(crate) use self::holder::{Hold, Holder};

/// Bit of `state`: a thread holds the GIL.
const LOCKED_BIT: u32 = 0b01;
/// Bit of `state`: threads are queued in `fair` (only ever set together with `LOCKED_BIT`).
const QUEUED_BIT: u32 = 0b10;
/// Bit of `state`: an urgent requester spins on the lend path (see `lend.rs`); set only on
/// `LOCKED_BIT` or `LOCKED_BIT|QUEUED_BIT`, so at most one at a time.
const URGENT_BIT: u32 = 0b100;
/// Bit of `state`: the GIL is lent; the running holder is a borrower and the lender waits
/// for it back (`lend.rs`).
const LENT_BIT: u32 = 0b1000;
/// Bit of `state`: the lender parked (registered in `FairQueue::lender`) and must be granted
/// through its node when the GIL comes back.
const LENDER_PARKED_BIT: u32 = 0b1_0000;
/// Bit of `state`: the GIL belongs to a lender that has not resumed yet. Set with `LENT` by
/// the lender; a returning borrower clears only `LENT`, and the lender claims the GIL by
/// clearing this bit once it runs. Until then a returning urgent requester may borrow it
/// again at once, so a lender that is off the CPU (preempted or parked) never makes a
/// borrower wait for it (`lend.rs`).
const RESERVED_BIT: u32 = 0b10_0000;

/// `Waiter::state`: queued, polling (the releaser need not unpark).
const WAITING: u32 = 0;
/// `Waiter::state`: the GIL has been handed to this waiter.
const GRANTED: u32 = 1;
/// `Waiter::state`: queued and (about to be) parked: the releaser must unpark.
const PARKED: u32 = 2;

/// Bit of `breaker`: the holder must yield at its next `check()` (to the queue).
const DROP_REQUEST_BIT: u32 = 0b1;
/// Bit of `breaker`: a requester waits on the lend path; only `lend.rs` sets and clears it,
/// so clearing it never erases a queue's drop request.
const LEND_REQUEST_BIT: u32 = 0b10;
/// Bit of `breaker`: waiters are queued and the holder's turn has a deadline; `check()` reads
/// the clock every `clock::CHECKS_PER_CLOCK_READ` calls (`clock.rs`). Changed with `fair`
/// locked.
pub(crate) const TIMED_BIT: u32 = 0b100;

#[inline]
fn is_locked(state: u32) -> bool {
    state & LOCKED_BIT != 0
}

/// How a thread asks for the GIL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request {
    /// Jump the normal queue and ask the holder to yield now (fair policy only).
    pub(crate) urgent: bool,
    /// The slice this thread may hold the GIL for once granted, before a waiter asks it back.
    pub(crate) slice: Duration,
    /// The thread's identity, for the CPython policy's `last_holder`.
    pub(crate) me: usize,
}

/// One thread's node for waiting in the fair queue, reused for every wait of that thread
/// (a thread waits for one GIL at a time).
#[derive(Debug)]
pub(crate) struct Waiter {
    thread: Thread,
    /// `WAITING → PARKED` by the waiter before it parks, `WAITING|PARKED → GRANTED` by the
    /// thread that hands the GIL over (exactly once per wait), `GRANTED → WAITING` by the
    /// waiter when it queues again.
    state: AtomicU32,
}

thread_local! {
    static WAITER: Arc<Waiter> = Arc::new(Waiter { thread: thread::current(), state: AtomicU32::new(GRANTED) });
}

impl Waiter {
    /// This thread's node, reset for a new wait. While the thread's thread-locals are being
    /// destroyed (a contended acquire from a thread-local destructor), a fresh node for this
    /// one wait.
    fn current() -> Arc<Self> {
        let w = WAITER.try_with(Arc::clone).unwrap_or_else(|_| {
            Arc::new(Waiter {
                thread: thread::current(),
                state: AtomicU32::new(GRANTED),
            })
        });
        // GRANTED => WAITING. Relaxed: the node is not queued (its last wait ended with the
        // GRANTED we observed), so nobody else touches it until `fair` publishes it.
        w.state.store(WAITING, Relaxed);
        w
    }

    #[inline]
    fn is_granted(&self) -> bool {
        // Acquire: synchronizes with the Release swap in `grant`, so the new holder sees
        // everything the previous holder wrote.
        self.state.load(Acquire) == GRANTED
    }

    /// Whether the waiter is (about to be) parked. Only the thread that grants it (under
    /// `fair`) moves a node out of `PARKED`, so the answer stays true until its `grant`.
    fn is_parked(&self) -> bool {
        // Relaxed: a hint for `hand_off_locked`; `grant` does the synchronizing.
        self.state.load(Relaxed) == PARKED
    }

    /// Hands the GIL to this waiter: `WAITING|PARKED => GRANTED`.
    /// Returns whether it must be unparked (done once `fair` is unlocked).
    fn grant(&self) -> bool {
        // Release: synchronizes with the Acquire loads in `is_granted` and `prepare_park`;
        // publishes the previous holder's writes (and the queue state) to the new holder.
        self.state.swap(GRANTED, Release) == PARKED
    }

    /// `WAITING => PARKED` before parking; `false` if the GIL was granted meanwhile.
    fn prepare_park(&self) -> bool {
        // Acquire on failure: the GRANTED we see synchronizes with `grant`'s Release swap.
        // Relaxed on success: parking publishes nothing.
        match self
            .state
            .compare_exchange(WAITING, PARKED, Relaxed, Acquire)
        {
            Ok(_) | Err(PARKED) => true,
            Err(_) => false,
        }
    }
}

/// The yielding holder, queued again by `hand_off_locked`.
#[derive(Debug)]
struct Requeue {
    entry: Entry,
    /// At the front of the normal entries (preempted by an urgent request) or at the back.
    front: bool,
}

#[derive(Debug)]
struct Entry {
    waiter: Arc<Waiter>,
    urgent: bool,
    turn: Turn,
}

/// How long a queued thread may hold the GIL once it gets it.
#[derive(Debug, Clone, Copy)]
enum Turn {
    /// A new turn of this length, counted from the hand-off.
    Fresh(Duration),
    /// The rest of a turn that an urgent request interrupted: it ends when it would have
    /// (`None`: never). Time taken by urgent requests counts against the interrupted turn,
    /// so the threads queued behind it wait no longer in wall-clock time.
    Until(Option<Instant>),
}

/// The fair policy's queue; only accessed with `RawGil::fair` locked.
#[derive(Debug, Default)]
struct FairQueue {
    /// Urgent entries first, then normal ones; FIFO within each group.
    waiters: VecDeque<Entry>,
    /// How many entries at the front are urgent.
    urgent: usize,
    /// When the holder's slice ends (`None`: never, e.g. an interval of `Duration::MAX`).
    /// Meaningful only while `waiters` is non-empty.
    deadline: Option<Instant>,
    /// A lender that parked waiting for its lent GIL (`LENDER_PARKED_BIT`).
    lender: Option<Arc<Waiter>>,
    /// When the first waiter of the current queue arrived: since then the holder's hold is
    /// contended. Meaningful only while `waiters` is non-empty. Used to charge a hold that
    /// began uncontended (untimed) to the holder's I/O credit.
    contended_since: Option<Instant>,
}

impl FairQueue {
    /// The head's turn has come (the holder's turn is over): from now on it goes before any
    /// urgent request that arrives later, so urgent traffic delays a due waiter by at most one
    /// short hold per urgent thread already queued. It joins the urgent group (at its end);
    /// its own turn stays a normal one.
    fn promote_head(&mut self) {
        let at = self.urgent;
        if let Some(entry) = self.waiters.get_mut(at).filter(|e| !e.urgent) {
            entry.urgent = true;
            self.urgent += 1;
        }
    }

    fn is_head(&self, waiter: &Arc<Waiter>) -> bool {
        self.waiters
            .front()
            .is_some_and(|e| Arc::ptr_eq(&e.waiter, waiter))
    }
}

/// What every contended operation touches, on one (padded) cache line pair, so that a
/// hand-off moves as few lines between cores as possible. The eval breaker is *not* here:
/// the holder polls it at every `check()`, and sharing its line with words that waiters write
/// turned each of those writes into a cache-line fight (measured: ~0.8 µs of the urgent
/// request path, see the convoy harness). `repr(C)`: `state` and `holder`, which every
/// acquire and release write, come first, on the same cache line.
#[derive(Debug)]
#[repr(C)]
struct Hot {
    /// # State table
    ///
    /// | state                          | meaning                                              |
    /// |--------------------------------|------------------------------------------------------|
    /// | `0`                            | free, nobody waits                                   |
    /// | `LOCKED`                       | held, nobody queued                                  |
    /// | `LOCKED\|QUEUED`               | held, waiters in `fair` (hand-off on release)        |
    /// | `LOCKED\|URGENT`               | held; a requester spins on the lend path             |
    /// | `LOCKED\|URGENT\|QUEUED`       | as above, and a waiter queued meanwhile              |
    /// | `LOCKED\|RESERVED\|LENT[\|QUEUED]` | lent: a borrower holds, the lender spins      |
    /// | `LOCKED\|RESERVED\|LENT\|LENDER_PARKED[\|QUEUED]` | lent, the lender parked (`FairQueue::lender`) |
    /// | `LOCKED\|RESERVED[\|QUEUED]`   | returned: the lender may claim it, a requester may borrow it again |
    ///
    /// Invariants: `QUEUED` is set iff `fair.waiters` is non-empty and only changes with
    /// `fair` locked; every other bit implies `LOCKED`; `URGENT` is only set on `LOCKED` or
    /// `LOCKED|QUEUED` (so never with `LENT` or `RESERVED`, and at most one requester);
    /// `LENDER_PARKED` implies `LENT`; `LENT` implies `RESERVED` (only the lender clears it,
    /// and only while `LENT` is clear). Used by the fair policy only.
    state: AtomicU32,
    /// The current hold's bookkeeping, written by the holder (`holder.rs`); next to `state`,
    /// which the same acquire and release write anyway.
    holder: Holder,
    fair: Mutex<FairQueue>,
    counters: Counters,
}

/// The GIL's shared state. Safe to share; the `Gil`/`GilGuard` layer keeps the calls balanced.
#[derive(Debug)]
pub(crate) struct RawGil {
    /// The state word and what the holder and waiters touch with it (see `Hot`).
    hot: CachePadded<Hot>,
    /// The eval breaker: `DROP_REQUEST_BIT`, `LEND_REQUEST_BIT`, `TIMED_BIT`. Read by every
    /// `check()`; written only when one of them changes.
    breaker: CachePadded<AtomicU32>,
    /// The holder's turn deadline in nanoseconds since `epoch` (`u64::MAX`: none), for the
    /// holder's own time-keeping (`clock.rs`). Written with `fair` locked.
    deadline_ns: StatCounter,
    /// The origin of `deadline_ns`.
    epoch: Instant,
    /// The switch interval in nanoseconds (a setting, not part of any protocol).
    interval_ns: StatCounter,
    pub(crate) policy: Policy,
    pub(crate) mode: Mode,
    /// Read the clock at every acquisition, so every hold is timed and charged (see
    /// `GilBuilder::time_holds`); otherwise only holds that began by waiting are.
    pub(crate) time_holds: bool,
    cpython: CPythonGil,
    registry: Mutex<ThreadRegistry>,
}

impl RawGil {
    pub(crate) fn new(policy: Policy, mode: Mode, interval: Duration, time_holds: bool) -> Self {
        Self {
            hot: CachePadded::new(Hot {
                state: AtomicU32::new(0),
                holder: Holder::default(),
                fair: Mutex::new(FairQueue::default()),
                counters: Counters::default(),
            }),
            breaker: CachePadded::new(AtomicU32::new(0)),
            deadline_ns: StatCounter::new(u64::MAX),
            epoch: now(),
            interval_ns: StatCounter::new(crate::stats::nanos(interval)),
            policy,
            mode,
            time_holds,
            cpython: CPythonGil::new(),
            registry: Mutex::new(ThreadRegistry::default()),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.hot.counters
    }

    /// The switch interval. `u64::MAX` nanoseconds stands for "forever" (`Duration::MAX`), so
    /// that `Duration::MAX` reads back as set.
    pub(crate) fn interval(&self) -> Duration {
        match self.interval_ns.get() {
            u64::MAX => Duration::MAX,
            ns => Duration::from_nanos(ns),
        }
    }

    pub(crate) fn set_interval(&self, interval: Duration) {
        self.interval_ns.set(crate::stats::nanos(interval));
    }

    pub(crate) fn register(&self, name: Option<String>) -> Arc<ThreadRecord> {
        let record = Arc::new(ThreadRecord::new(name));
        self.registry.lock().register(Arc::clone(&record));
        record
    }

    pub(crate) fn stats(&self) -> GilStats {
        GilStats {
            switches: self.hot.counters.switches.get(),
            drop_requests: self.hot.counters.drop_requests.get(),
            forced_switches: self.hot.counters.forced_switches.get(),
            priority_requests: self.hot.counters.priority_requests.get(),
            threads: self.registry.lock().snapshot(self.hot.holder.fast_count()),
        }
    }

    /// The current hold's bookkeeping (enabled mode).
    #[inline]
    pub(crate) fn holder(&self) -> &Holder {
        &self.hot.holder
    }

    /// Called by the holder: the calling thread `me`, whose statistics record is `record`,
    /// takes over the counter of uncontended acquisitions (`Holder::fast_count`), counting
    /// the one it just made; what the previous owner had counted goes to its record.
    pub(crate) fn claim_fast_count(&self, me: usize, record: &Arc<ThreadRecord>) {
        let mut registry = self.registry.lock();
        let pending = self.hot.holder.reset_fast(me, 1);
        if let Some(previous) = registry.fast.replace(Arc::clone(record)) {
            previous.add_fast(pending);
        }
    }

    /// `t` as a hold start (`Holder::since`): nanoseconds since `epoch`, plus one.
    #[inline]
    pub(crate) fn stamp(&self, t: Instant) -> u64 {
        crate::stats::nanos(t.saturating_duration_since(self.epoch)).saturating_add(1)
    }

    /// The instant a non-zero `stamp` stands for.
    #[inline]
    pub(crate) fn instant(&self, stamp: u64) -> Option<Instant> {
        let ns = stamp.checked_sub(1)?;
        Some(self.epoch + Duration::from_nanos(ns))
    }

    /// How many threads wait for the GIL right now.
    pub(crate) fn waiters(&self) -> usize {
        match self.policy {
            Policy::Fair => self.hot.fair.lock().waiters.len(),
            Policy::CPython => self.cpython.waiters(),
        }
    }

    /// Since when the holder's hold has been contended by queued waiters (`None`: nobody is
    /// queued, or the CPython policy). Called by the holder on its slow paths only.
    #[inline]
    pub(crate) fn contended_since(&self) -> Option<Instant> {
        // Relaxed: a hint; QUEUED only changes under `fair`, which we then lock to read.
        if self.policy != Policy::Fair || self.hot.state.load(Relaxed) & QUEUED_BIT == 0 {
            return None;
        }
        self.queued_since()
    }

    /// `contended_since` when waiters are queued.
    #[cold]
    fn queued_since(&self) -> Option<Instant> {
        let q = self.hot.fair.lock();
        q.contended_since.filter(|_| !q.waiters.is_empty())
    }

    // ---- the eval breaker -------------------------------------------------------------------

    /// The eval breaker's word, for `check()`: 0 when there is nothing to do.
    #[inline]
    pub(crate) fn breaker(&self) -> u32 {
        // Relaxed: as `drop_requested`.
        self.breaker.load(Relaxed)
    }

    /// Whether the holder has been asked to yield.
    #[inline]
    pub(crate) fn drop_requested(&self) -> bool {
        // Relaxed: a hint polled at every `check()`; acting on it goes through `fair`, the
        // state word (the lend path) or the CPython mutex, which provide all the ordering, and
        // a late read only delays the yield by one `check()`.
        self.breaker.load(Relaxed) != 0
    }

    /// Sets the drop request and counts it. `DROP_REQUEST_BIT` on.
    pub(crate) fn set_drop_request(&self) {
        // Relaxed: carries no data, see `drop_requested`.
        if self.breaker.fetch_or(DROP_REQUEST_BIT, Relaxed) & DROP_REQUEST_BIT == 0 {
            self.hot.counters.drop_requests.add(1);
            trace::record(Event::DropRequest);
        }
    }

    /// Clears the drop request (not a lend request). `DROP_REQUEST_BIT` off.
    pub(crate) fn clear_drop_request(&self) {
        // Relaxed: carries no data, see `drop_requested`. Only written when set: a needless
        // store would invalidate the line every holder polls.
        if self.breaker.load(Relaxed) & DROP_REQUEST_BIT != 0 {
            self.breaker.fetch_and(!DROP_REQUEST_BIT, Relaxed);
        }
    }

    /// Asks the holder to yield at its next `check()` if anyone waits: the same code a
    /// waiter runs when the holder's interval expires.
    pub(crate) fn request_drop(&self) {
        match self.policy {
            Policy::Fair => {
                let q = self.hot.fair.lock();
                if !q.waiters.is_empty() {
                    self.set_drop_request();
                }
            }
            Policy::CPython => self.cpython.request_drop(self),
        }
    }

    // ---- acquire / release / yield, dispatched on the policy --------------------------------
    //
    // Times are passed in rather than read here: the caller already read the clock for its
    // statistics, and each read costs ~35 ns on the hand-off path. Each blocking call returns
    // the instant it got the GIL (`None`: at once, at `start`).

    /// Acquires without blocking for the thread `me` (`Request::me`).
    #[inline]
    pub(crate) fn try_acquire(&self, me: usize) -> bool {
        match self.policy {
            Policy::Fair => self.try_lock_fast(),
            Policy::CPython => self.cpython.try_take(self, me),
        }
    }

    /// Acquires, blocking as long as needed.
    pub(crate) fn acquire(&self, req: Request, start: Instant) -> Option<Instant> {
        match self.policy {
            Policy::Fair => {
                if self.try_lock_fast() {
                    None
                } else if req.urgent && self.lend_request() {
                    Some(now())
                } else {
                    self.lock_slow(req, start)
                }
            }
            Policy::CPython => self.cpython.take_gil(self, req.me),
        }
    }

    /// Releases the GIL held by the calling thread if that needs nothing but the state word:
    /// fair policy, nobody queued, nothing lent or requested. `false`: call `release`.
    #[inline]
    pub(crate) fn try_release_fast(&self) -> bool {
        // LOCKED => 0. Release: as in `unlock`.
        self.policy == Policy::Fair
            && self
                .hot
                .state
                .compare_exchange(LOCKED_BIT, 0, Release, Relaxed)
                .is_ok()
    }

    /// Releases the GIL held by the calling thread.
    pub(crate) fn release(&self, me: usize) {
        match self.policy {
            Policy::Fair => self.unlock(),
            Policy::CPython => self.cpython.drop_gil(self, me),
        }
    }

    /// The slow half of `check()`: if a waiter asked for the GIL, hand it over and wait for it
    /// back. Returns when it got the GIL back, or `None` if nothing was handed over.
    pub(crate) fn yield_now(&self, me: usize, slice: Duration, start: Instant) -> Option<Instant> {
        match self.policy {
            Policy::Fair => self.yield_fair(slice, start),
            Policy::CPython => {
                // ceval.c: `if (gil_drop_request) { drop_gil(); /* others run */ take_gil(); }`
                self.cpython.drop_gil(self, me);
                self.hot.counters.forced_switches.add(1);
                Some(self.cpython.take_gil(self, me).unwrap_or_else(now))
            }
        }
    }

    // ---- the fair policy --------------------------------------------------------------------

    #[inline]
    fn try_lock_fast(&self) -> bool {
        // 0 => LOCKED. Acquire: synchronizes with the Release CAS in `unlock`.
        self.hot
            .state
            .compare_exchange(0, LOCKED_BIT, Acquire, Relaxed)
            .is_ok()
    }

    #[inline]
    fn unlock(&self) {
        // LOCKED => 0. Release: synchronizes with the Acquire CAS in `try_lock_fast` and
        // `lock_slow` of the next holder. Fails when any other bit is set: lent, urgent or
        // queued, see `unlock_contended`.
        if self
            .hot
            .state
            .compare_exchange(LOCKED_BIT, 0, Release, Relaxed)
            .is_err()
        {
            self.unlock_contended();
        }
    }

    #[cold]
    fn lock_slow(&self, req: Request, start: Instant) -> Option<Instant> {
        let waiter = Waiter::current();
        let head = {
            let mut q = self.hot.fair.lock();
            let mut state = self.hot.state.load(Relaxed);
            loop {
                if is_locked(state) {
                    // LOCKED => LOCKED|QUEUED (or unchanged). Relaxed: `fair` orders the queue;
                    // the holder's releasing CAS fails on this bit and comes to `fair`.
                    match self.hot.state.compare_exchange_weak(
                        state,
                        state | QUEUED_BIT,
                        Relaxed,
                        Relaxed,
                    ) {
                        Ok(_) => break,
                        Err(s) => state = s,
                    }
                } else {
                    debug_assert_eq!(state, 0, "invalid gil state: {state:#b}");
                    // 0 => LOCKED. Acquire: synchronizes with the Release CAS in `unlock`.
                    match self
                        .hot
                        .state
                        .compare_exchange_weak(state, LOCKED_BIT, Acquire, Relaxed)
                    {
                        Ok(_) => return None,
                        Err(s) => state = s,
                    }
                }
            }
            if q.waiters.is_empty() {
                // The first waiter gives the holder one interval from now, like CPython.
                q.deadline = start.checked_add(self.interval());
                q.contended_since = Some(start);
            }
            let entry = Entry {
                waiter: Arc::clone(&waiter),
                urgent: req.urgent,
                turn: Turn::Fresh(req.slice),
            };
            if req.urgent {
                let at = q.urgent;
                q.waiters.insert(at, entry);
                q.urgent += 1;
                self.hot.counters.priority_requests.add(1);
                self.set_drop_request();
            } else {
                q.waiters.push_back(entry);
            }
            self.publish_deadline_locked(&q);
            q.is_head(&waiter)
        };
        trace::record(Event::Queued);
        self.wait_granted(&waiter, head);
        trace::record(Event::Granted);
        self.claim_if_reserved();
        Some(now())
    }

    #[cold]
    fn unlock_slow(&self) {
        let mut q = self.hot.fair.lock();
        let handed = self.hand_off_locked(&mut q, None, None);
        drop(q);
        handed.wake(None);
    }

    /// `check()` found the drop request set: hand the GIL to the head of the queue and queue
    /// up again (at the back, or at the front of the normal entries when an urgent request
    /// preempted us, keeping our turn's end).
    #[cold]
    fn yield_fair(&self, slice: Duration, start: Instant) -> Option<Instant> {
        // An urgent requester on the lend path goes first.
        if let Some(got) = self.try_lend(start) {
            return Some(got);
        }
        // Holding a lent GIL: the lender wants it back (its slice is over). Return it and
        // queue like anyone else.
        // Relaxed: only this thread (the holder) clears LENT.
        if self.hot.state.load(Relaxed) & LENT_BIT != 0 {
            if self.breaker.load(Relaxed) & DROP_REQUEST_BIT == 0 {
                return None;
            }
            self.unlock_contended();
            let req = Request {
                urgent: false,
                slice,
                me: 0,
            };
            return Some(self.acquire(req, start).unwrap_or_else(now));
        }
        let waiter = Waiter::current();
        let mut q = self.hot.fair.lock();
        if q.waiters.is_empty() {
            // A stale request (its waiter took the GIL meanwhile, or nobody was queued).
            self.clear_drop_request();
            return None;
        }
        // Preempted only if our turn is not over yet; a thread whose turn ended goes to the back
        // even if an urgent request is what made it yield.
        let preempted = q.urgent > 0 && q.deadline.is_none_or(|d| start < d);
        // Preempted by an urgent request: keep our place and our turn's end. Otherwise our
        // turn is over: a fresh one at the back.
        let turn = if preempted {
            Turn::Until(q.deadline)
        } else {
            Turn::Fresh(slice)
        };
        let requeue = Requeue {
            entry: Entry {
                waiter: Arc::clone(&waiter),
                urgent: false,
                turn,
            },
            front: preempted,
        };
        let handed = self.hand_off_locked(&mut q, Some(requeue), Some(start));
        let me_head = q.is_head(&waiter);
        self.hot.counters.forced_switches.add(1);
        drop(q);
        handed.wake(Some(&waiter));
        self.wait_granted(&waiter, me_head);
        trace::record(Event::Granted);
        self.claim_if_reserved();
        Some(now())
    }

    /// Pops the head of the queue and makes it the holder, after queuing `requeue` (the
    /// yielding holder) if given. `t` is the current time if the caller has it.
    ///
    /// The grant comes last: the moment it is visible the new holder may run and release
    /// through the fast path without ever taking `fair`, so `state` and the queue must
    /// already be final.
    fn hand_off_locked(
        &self,
        q: &mut MutexGuard<'_, FairQueue>,
        requeue: Option<Requeue>,
        t: Option<Instant>,
    ) -> Handed {
        let Some(next) = q.waiters.pop_front() else {
            unreachable!("invalid gil state: QUEUED without waiters");
        };
        if next.urgent {
            q.urgent -= 1;
        }
        if let Some(Requeue { entry, front }) = requeue {
            if front {
                let at = q.urgent;
                q.waiters.insert(at, entry);
            } else {
                q.waiters.push_back(entry);
            }
        }
        if q.waiters.is_empty() {
            // LOCKED|QUEUED => LOCKED: ownership moves to `next`, the GIL never becomes free.
            // Relaxed: changed under `fair`.
            self.hot.state.fetch_and(!QUEUED_BIT, Relaxed);
        } else {
            // Someone will time the new holder's turn.
            q.deadline = match next.turn {
                Turn::Fresh(slice) => t.unwrap_or_else(now).checked_add(slice),
                Turn::Until(deadline) => deadline,
            };
        }
        self.publish_deadline_locked(q);
        if q.urgent > 0 {
            // The next urgent request wants the new holder to yield at once, too.
            self.set_drop_request();
        } else {
            self.clear_drop_request();
        }
        self.hot.counters.switches.add(1);
        trace::record(Event::HandOff);
        let head = q
            .waiters
            .front()
            .filter(|e| !e.urgent)
            .map(|e| Arc::clone(&e.waiter));
        if next.waiter.is_parked() {
            // The new holder is off the CPU: reserve the GIL for it instead of leaving it idle
            // until the scheduler runs it, so that an urgent requester (back from I/O) may
            // borrow it meanwhile (`lend.rs`). Not while a lend request is pending (URGENT and
            // RESERVED never meet): the new holder serves it once it runs.
            // LOCKED[|QUEUED] => LOCKED|RESERVED[|QUEUED]. Release: publishes the previous
            // holder's writes to a borrower's Acquire CAS in `lend_request`.
            let _ = self.hot.state.fetch_update(Release, Relaxed, |s| {
                (s & URGENT_BIT == 0).then_some(s | RESERVED_BIT)
            });
        }
        let unpark = next.waiter.grant();
        Handed {
            next: next.waiter,
            unpark,
            head,
        }
    }

    /// Waits until `waiter` is granted the GIL, keeping time while it is the head.
    fn wait_granted(&self, waiter: &Arc<Waiter>, spin: bool) {
        if spin {
            for _ in 0..SPIN_LIMIT {
                if waiter.is_granted() {
                    return;
                }
                spin_loop();
            }
        }
        loop {
            let timeout = {
                let mut q = self.hot.fair.lock();
                if waiter.is_granted() {
                    return;
                }
                self.keep_time_locked(&mut q, waiter)
            };
            if !waiter.prepare_park() {
                return;
            }
            trace::record(Event::Park);
            match timeout {
                Some(d) => thread::park_timeout(d),
                None => thread::park(),
            }
            if waiter.is_granted() {
                return;
            }
        }
    }

    /// The head's time-keeping: once the holder's slice is over, set the drop request.
    /// Returns how long to park (`None`: until unparked).
    fn keep_time_locked(&self, q: &mut FairQueue, waiter: &Arc<Waiter>) -> Option<Duration> {
        // Only the queue's own request counts here: a pending lend request is not a reason
        // to stop timing (it may be withdrawn or served without a switch for the queue).
        // Relaxed: a hint, see `drop_requested`.
        if !q.is_head(waiter) || q.urgent > 0 || self.breaker.load(Relaxed) & DROP_REQUEST_BIT != 0
        {
            return None;
        }
        let deadline = q.deadline?;
        let t = now();
        if t >= deadline {
            // The timed wait "fired": this is the path `request_drop` drives in the loom models.
            self.set_drop_request();
            q.promote_head();
            None
        } else {
            Some(deadline - t)
        }
    }
}

/// What `hand_off_locked` did, for the wake-ups that follow once `fair` is unlocked.
#[derive(Debug)]
struct Handed {
    next: Arc<Waiter>,
    /// `next` had parked.
    unpark: bool,
    /// The new head of the queue, which must (re)start timing the new holder.
    head: Option<Arc<Waiter>>,
}

impl Handed {
    /// Unparks the new holder if it parked, and the new head unless it is `me` (a yielding
    /// holder that is not parked). Always unparking the head is what makes it notice it became
    /// the time-keeper, even if it read the queue just before the hand-off.
    fn wake(self, me: Option<&Arc<Waiter>>) {
        if self.unpark {
            self.next.thread.unpark();
        }
        if let Some(head) = self
            .head
            .filter(|h| me.is_none_or(|me| !Arc::ptr_eq(h, me)))
        {
            head.thread.unpark();
        }
    }
}
