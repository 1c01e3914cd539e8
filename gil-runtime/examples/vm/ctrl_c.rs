//! Part 4: Ctrl-C. Two VM threads block, one in `lock.acquire()` of a lock the main thread
//! holds and one in `cond.wait()` that nobody notifies; a `gil_sync::Timer` stands in for
//! Ctrl-C (std cannot install a SIGINT handler; a binding's handler thread would do the
//! same) and interrupts both with `Thread::interrupt`; each VM traps with
//! `KeyboardInterrupt` as the wait returns. Then the main thread's own VM waits on the
//! condition, and the timer calls `Handle::interrupt_main` (Python's
//! `_thread.interrupt_main`). Then the program carries on: the lock, released, and the
//! condition work as before.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gil_core::GilCell;
use gil_runtime::Runtime;
use gil_sync::Timer;

use crate::machine::{Heap, Trap, Vm};
use crate::programs::{COUNTER_LOCKED, WAITER};
use crate::{compile, ms, run_vms};

/// How long the waiters are left blocked before the "Ctrl-C".
const BLOCKED_FOR: Duration = Duration::from_millis(50);
/// The most an interrupt may take to end a wait here: generous (2 noisy cores); the
/// interrupt harness measures the real figure (`cargo xtask harness --only interrupt`).
const PATIENCE: Duration = Duration::from_secs(2);

/// What a waiter VM ended with, and when.
type Ended = (&'static str, Result<i64, Trap>, Instant);

pub(crate) fn run_ctrl_c() {
    println!("4. Ctrl-C: two VM threads block, in lock.acquire() and in cond.wait(); after");
    println!(
        "   {} ms a timer standing in for Ctrl-C interrupts both (Thread::interrupt), then the",
        BLOCKED_FOR.as_millis()
    );
    println!("   main thread's own cond.wait() (Handle::interrupt_main)\n");
    let rt = Runtime::new();
    let code = compile(&rt, &WAITER);
    let heap = Arc::new(Heap::new(rt.gil(), code));
    let held = code.lock("held").expect("the program has the lock `held`");
    heap.locks[held].acquire().leak(); // held by the main thread: lock.acquire() blocks
    let ended: Arc<GilCell<Vec<Ended>>> = Arc::new(GilCell::new(rt.gil(), Vec::new()));
    let waiters: Vec<_> = [("lock.acquire()", 1), ("cond.wait()", 0)]
        .into_iter()
        .map(|(what, on_lock)| {
            let (heap, ended) = (heap.clone(), ended.clone());
            let t = rt.thread(move |guard| {
                let mut vm = Vm::new(guard.gil().acquire_arc(), heap);
                let r = vm.run(code, &[on_lock]);
                let at = Instant::now();
                ended.borrow_mut(vm.guard()).push((what, r, at));
            });
            t.start().expect("start a VM thread");
            t
        })
        .collect();
    gil_core::sleep(BLOCKED_FOR);
    let fired = Arc::new(std::sync::OnceLock::new());
    let ctrl_c = Timer::new(Duration::ZERO, {
        let (waiters, fired) = (waiters.clone(), fired.clone());
        move || {
            let _ = fired.set(Instant::now());
            for t in &waiters {
                t.interrupt().expect("the VM thread is running");
            }
        }
    });
    ctrl_c.start().expect("start the timer");
    for t in &waiters {
        t.join().expect("a VM thread panicked");
    }
    let at = *fired.get().expect("the timer fired");
    let ended = std::mem::take(&mut *ended.borrow_mut(&rt.gil().acquire()));
    for (what, r, when) in &ended {
        let trap = r.as_ref().expect_err("only an interrupt ends this wait");
        let after = when.saturating_duration_since(at);
        println!(
            "   VM thread in {what:<15} -> {} after {:.2} ms",
            trap.message,
            ms(after)
        );
        assert!(trap.is_keyboard_interrupt(), "{what}: {trap}");
        assert!(after < PATIENCE, "{what}: interrupted after {after:?}");
    }
    assert_eq!(ended.len(), 2, "both VM threads were interrupted");

    // The main thread: its VM waits on the condition until interrupt_main.
    let handle = rt.handle();
    let ctrl_c = Timer::new(BLOCKED_FOR, move || {
        handle.interrupt_main().expect("the main thread runs");
    });
    ctrl_c.start().expect("start the timer");
    let started = Instant::now();
    let mut vm = Vm::new(rt.gil().acquire_arc(), heap.clone());
    let trap = vm
        .run(code, &[0])
        .expect_err("only an interrupt ends this wait");
    drop(vm);
    let waited = started.elapsed();
    println!(
        "   main thread in {:<15} -> {} after {:.1} ms (the timer fired at {} ms)",
        "cond.wait()",
        trap.message,
        ms(waited),
        BLOCKED_FOR.as_millis()
    );
    assert!(trap.is_keyboard_interrupt(), "main: {trap}");
    assert!(
        waited < BLOCKED_FOR + PATIENCE,
        "main interrupted after {waited:?}"
    );
    ctrl_c.join().expect("the timer ran");

    // And the program carries on: the lock released, the locked counter is exact.
    heap.locks[held]
        .release()
        .expect("the main thread's lock is held");
    let code = compile(&rt, &COUNTER_LOCKED);
    let heap = Arc::new(Heap::new(rt.gil(), code));
    let run = run_vms(&rt, code, &heap, 2, 1000);
    let counter = code.global("counter").expect("the program has a counter");
    assert_eq!(heap.global(&rt.gil().acquire(), counter), 2000);
    assert!(run.results.iter().all(|&r| r == 0));
    println!("   then 2 VM threads run counter += 1 under the lock: 2000 of 2000, as before\n");
}
