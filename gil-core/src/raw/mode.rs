//! The GIL's mode as run-time state, and what a mode switch needs to stop the world
//! (`gil/switch.rs` runs the protocol).
//!
//! # Notes about memory ordering
//!
//! `mode` changes only while the world is stopped: no thread has a current hold in the old
//! mode (free-threaded → enabled: every attached thread stopped or detached; enabled →
//! free-threaded: the switcher holds the enabled lock). A thread reads it before it takes a
//! hold and again after (`gil/switch.rs`): after taking the enabled lock (ordered by the
//! lock's `Acquire`, the switcher flipped it while holding the lock), or after the attach
//! handshake (`switching`, `SeqCst`, then `mode`, `Acquire`: the switcher stores `mode` with
//! `Release` before it clears `switching`).

use crate::loom::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use crate::loom::sync::atomic::{AtomicU32, fence};
use crate::loom::sync::{Condvar, Mutex, MutexGuard};
use crate::policy::Mode;
use crate::stats::ThreadRecord;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct ModeSwitch {
    mode: AtomicU32,
    /// 1 while a switch runs: the switcher's half of the attach handshake.
    switching: AtomicU32,
    /// Whether a switch runs (what `changed` waiters wait on).
    state: Mutex<Progress>,
    /// Notified when a switch ends, and when an attached thread detaches during one.
    changed: Condvar,
}

/// `ModeSwitch::state`.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pub(crate) active: bool,
}

fn encode(mode: Mode) -> u32 {
    match mode {
        Mode::Enabled => 0,
        Mode::FreeThreaded => 1,
    }
}

impl ModeSwitch {
    pub(crate) fn new(mode: Mode) -> Self {
        Self {
            mode: AtomicU32::new(encode(mode)),
            switching: AtomicU32::new(0),
            state: Mutex::new(Progress::default()),
            changed: Condvar::new(),
        }
    }

    /// The mode. `Acquire`: see the module docs.
    #[inline]
    pub(crate) fn mode(&self) -> Mode {
        if self.mode.load(Acquire) == 0 {
            Mode::Enabled
        } else {
            Mode::FreeThreaded
        }
    }

    /// Sets the mode; the world must be stopped (module docs).
    pub(crate) fn set_mode(&self, mode: Mode) {
        self.mode.store(encode(mode), Release);
    }

    /// Whether a switch runs. `SeqCst`: the attaching thread's half of the handshake.
    #[inline]
    pub(crate) fn switching(&self) -> bool {
        self.switching.load(SeqCst) != 0
    }

    /// Marks a switch as running or done. Starting one is the switcher's half of the
    /// handshake: the store, then a `SeqCst` fence before it reads any thread's `attached`
    /// (a fence, not only `SeqCst` accesses: loom models fences, and treats `SeqCst`
    /// accesses as `AcqRel`).
    pub(crate) fn set_switching(&self, on: bool) {
        self.switching.store(u32::from(on), SeqCst);
        if on {
            fence(SeqCst);
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Progress> {
        self.state.lock()
    }

    pub(crate) fn wait<'a>(&self, guard: MutexGuard<'a, Progress>) -> MutexGuard<'a, Progress> {
        self.changed.wait(guard)
    }

    pub(crate) fn notify(&self) {
        self.changed.notify_all();
    }

    /// The attaching thread's half of the handshake (`gil/switch.rs`): says it is attached,
    /// then checks that no switch runs and the GIL is still free-threaded. `false`: it is not
    /// attached (it said so again), and must wait for the switch and take its hold in the
    /// mode the GIL is in then.
    pub(crate) fn attach(&self, record: &ThreadRecord) -> bool {
        record.set_attached(true);
        // Between our store and our load of `switching` (see `set_switching`).
        fence(SeqCst);
        if !self.switching() && self.mode() == Mode::FreeThreaded {
            return true;
        }
        self.detach(record);
        false
    }

    /// Says the thread is no longer attached; wakes a switcher that may wait for it.
    pub(crate) fn detach(&self, record: &ThreadRecord) {
        record.set_attached(false);
        // Either the switcher's scan sees us detached, or we see the switch and wake it.
        fence(SeqCst);
        if self.switching() {
            // Under the lock, so a switcher between its scan and its wait cannot miss it.
            let _progress = self.lock();
            self.notify();
        }
    }
}
