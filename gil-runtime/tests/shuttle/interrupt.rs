//! Interrupts among joins (issue 16): a chain of runtime threads, each joining the one
//! before it and retrying when interrupted, while a foreign thread interrupts every waiting
//! thread and the main thread. loom checks one interrupt racing one join
//! (`tests/loom/interrupt.rs`); this runs five waits at once. (The first bug injected there,
//! a join taking the interrupt before looking at `done`, fails here too: the main thread's
//! interrupt is lost.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_core::{Interrupt, signal};
use gil_runtime::{JoinError, Runtime, Thread};
use gil_sync::Event;
use gil_test_support::shuttle::check;

/// Joins `t`, retrying on an interrupt; returns how many interrupts ended a join.
fn join_through_interrupts(t: &Thread) -> usize {
    let mut interrupted = 0;
    loop {
        match t.join() {
            Ok(()) => return interrupted,
            Err(JoinError::Interrupted(Interrupt::Requested)) => interrupted += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

/// Four runtime threads, each (but the first, which waits for a gate) joining the one
/// before it; the main thread joins the last; a foreign thread interrupts the three joiners
/// and the main thread. Every join ends (retried after an interrupt), and each interrupt
/// is reported at most once per thread — exactly once for the main thread, which is alive
/// throughout: by a join, or left pending.
#[test]
fn a_chain_of_joins_under_interrupts() {
    check(|| {
        let rt = Runtime::new();
        let gate = Arc::new(Event::new());
        let seen = Arc::new(AtomicUsize::new(0));
        let mut chain: Vec<Thread> = Vec::new();
        for _ in 0..4 {
            let prev = chain.last().cloned();
            let (gate, seen) = (gate.clone(), seen.clone());
            let t = rt.thread(move |_| match prev {
                None => assert!(gate.wait()),
                Some(prev) => {
                    let interrupted = join_through_interrupts(&prev);
                    let pending = usize::from(signal::take_interrupt().is_some());
                    assert!(interrupted + pending <= 1, "an interrupt reported twice");
                    seen.fetch_add(interrupted + pending, SeqCst);
                }
            });
            t.start().unwrap();
            chain.push(t);
        }
        let mut interrupters: Vec<_> = chain[1..]
            .iter()
            .map(|t| t.interrupter().expect("a waiting joiner is alive"))
            .collect();
        interrupters.push(rt.main_thread().interrupter().unwrap());
        let raiser = shuttle::thread::spawn(move || {
            for interrupter in interrupters {
                // A joiner may have finished already: then nothing is raised.
                let _ = interrupter.interrupt();
            }
        });
        gate.set();
        let last = chain.last().unwrap();
        let main_interrupted = join_through_interrupts(last);
        raiser.join().unwrap();
        let main_pending = usize::from(signal::take_interrupt().is_some());
        assert_eq!(
            main_interrupted + main_pending,
            1,
            "the main thread's interrupt is reported exactly once"
        );
        for t in &chain {
            t.join().unwrap();
            assert!(!t.is_alive());
        }
        assert!(seen.load(SeqCst) <= 3);
    });
}
