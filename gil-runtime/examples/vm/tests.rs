//! The VM's tests: the assembler, each instruction's traps, and the three programs of the
//! example on real threads (small sizes; the example itself asserts the same at full size).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gil_core::{Gil, Mode};

use crate::asm::assemble;
use crate::machine::{Heap, Op, Program, Trap, Vm};
use crate::programs::{COUNTDOWN, COUNTER, COUNTER_LOCKED, IO};
use crate::{SETUPS, compile, run_vms};

/// Runs `source` on one VM of a fresh GIL in `mode`.
fn run_one(mode: Mode, source: &str, args: &[i64]) -> Result<i64, Trap> {
    let gil = Gil::builder().mode(mode).build().unwrap();
    let code = assemble(source).unwrap();
    let heap = Arc::new(Heap::new(&gil, &code));
    Vm::new(gil.acquire_arc(), heap).run(&code, args)
}

#[test]
fn assembles_labels_locals_and_names() {
    let code = assemble(
        "
        .locals n i        # arguments first
top:    load i
        store_global g
        lock_acquire l
        lock_release l
again:  jump_if_zero top
        load_global h
        load_global g
        jump again
end:
        push -3
        sleep_io 1
        return",
    )
    .unwrap();
    assert_eq!(code.locals, ["n", "i"]);
    assert_eq!(code.globals, ["g", "h"]);
    assert_eq!(code.locks, ["l"]);
    assert_eq!(
        code.ops,
        [
            Op::LoadLocal(1),
            Op::StoreGlobal(0),
            Op::LockAcquire(0),
            Op::LockRelease(0),
            Op::JumpIfZero(0),
            Op::LoadGlobal(1),
            Op::LoadGlobal(0),
            Op::Jump(4),
            Op::Push(-3),
            Op::SleepIo(1),
            Op::Return,
        ]
    );
}

#[test]
fn assembler_errors_name_the_line() {
    let cases = [
        ("push x", 1, "`x` is not a number"),
        ("\n\njump nowhere", 3, "no label `nowhere`"),
        ("load n", 1, "no local `n` (declare it with .locals)"),
        ("a: push 1\na: push 2", 2, "label `a` defined twice"),
        ("add 1", 1, "no instruction `add 1`"),
        ("frobnicate", 1, "no instruction `frobnicate`"),
        ("push 1 2", 1, "`push` takes one operand at most"),
        ("sleep_io -1", 1, "`-1` is not a number"),
    ];
    for (source, line, message) in cases {
        let e = assemble(source).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (line, message), "{source:?}");
    }
}

#[test]
fn arithmetic_locals_and_globals() {
    let source = "
        .locals a b
        load a
        load b
        sub             # a - b
        store_global g
        load_global g
        push 10
        add
        return";
    for mode in [Mode::Enabled, Mode::FreeThreaded] {
        assert_eq!(run_one(mode, source, &[7, 3]), Ok(14));
    }
}

#[test]
fn faults_trap_at_their_instruction() {
    let cases = [
        (".locals\nadd", 0, "stack empty"),
        ("push 1\npush 2\nadd", 3, "ran off the end"),
        (
            "push 1\nlock_release l",
            1,
            "RuntimeError: release unlocked lock",
        ),
        ("return", 0, "stack empty"),
        (".locals n\nstore n", 0, "stack empty"), // a pop never reaches the locals
    ];
    for (source, pc, message) in cases {
        let trap = run_one(Mode::Enabled, source, &[]).unwrap_err();
        assert_eq!(
            (trap.pc, trap.message.as_str()),
            (pc, message),
            "{source:?}"
        );
    }
}

#[test]
fn countdown_reaches_zero_in_every_mode() {
    for setup in SETUPS {
        let rt = setup.runtime(Duration::from_millis(1));
        let code = compile(&rt, &COUNTDOWN);
        let heap = Arc::new(Heap::new(rt.gil(), code));
        let run = run_vms(&rt, code, &heap, 2, 10_000);
        assert_eq!(run.results, [0, 0], "{}", setup.name);
    }
}

#[test]
fn a_program_is_compiled_once_for_every_gil() {
    static P: Program = Program::new("p", "push 1\nreturn");
    static BAD: Program = Program::new("bad", "jump nowhere");
    let (a, b) = (Gil::new(), Gil::new());
    let first = P.code(&a.acquire()).unwrap();
    let second = P.code(&b.acquire()).unwrap();
    assert!(std::ptr::eq(first, second));
    assert!(BAD.code(&a.acquire()).is_err());
    assert!(BAD.code(&a.acquire()).is_err(), "an error is not cached");
}

/// The VM's guard nests inside the runtime's hold; its `check()` must still hand over.
#[test]
fn the_vms_nested_guard_lets_the_other_threads_in() {
    let rt = SETUPS[0].runtime(Duration::from_micros(100));
    let code = compile(&rt, &COUNTDOWN);
    let heap = Arc::new(Heap::new(rt.gil(), code));
    let run = run_vms(&rt, code, &heap, 2, 2_000_000);
    assert_eq!(run.results, [0, 0]);
    assert!(run.switches > 0, "check() never switched");
    assert!(rt.gil().stats().switches > 0);
}

#[test]
fn the_lock_keeps_every_update_and_the_race_only_loses() {
    const ITERS: i64 = 20_000;
    for setup in SETUPS {
        let rt = setup.runtime(Duration::from_micros(20));
        for (program, exact) in [(&COUNTER_LOCKED, true), (&COUNTER, false)] {
            let code = compile(&rt, program);
            let heap = Arc::new(Heap::new(rt.gil(), code));
            run_vms(&rt, code, &heap, 4, ITERS);
            let counter = heap.global(&rt.gil().acquire(), code.global("counter").unwrap());
            if exact {
                assert_eq!(counter, 4 * ITERS, "{}", setup.name);
            } else {
                assert!(
                    (1..=4 * ITERS).contains(&counter),
                    "{}: {counter}",
                    setup.name
                );
            }
        }
    }
}

#[test]
fn sleep_io_releases_the_gil_and_the_lock_counts_every_call() {
    for setup in SETUPS {
        let rt = setup.runtime(Duration::from_millis(5));
        let code = compile(&rt, &IO);
        let heap = Arc::new(Heap::new(rt.gil(), code));
        let started = Instant::now();
        run_vms(&rt, code, &heap, 4, 5);
        let wall = started.elapsed();
        // 4 x 5 x 10 ms = 200 ms if the calls did not overlap; ~50 ms when they do.
        assert!(
            wall < Duration::from_millis(150),
            "{}: {wall:?}",
            setup.name
        );
        let calls = heap.global(&rt.gil().acquire(), code.global("calls").unwrap());
        assert_eq!(calls, 20, "{}", setup.name);
    }
}

#[test]
fn an_interrupt_traps_at_the_next_instruction_as_keyboard_interrupt() {
    let gil = Gil::new();
    let code = assemble("loop: jump loop").unwrap();
    let heap = Arc::new(Heap::new(&gil, &code));
    let mut vm = Vm::new(gil.acquire_arc(), heap);
    gil.interrupter().interrupt().unwrap();
    let trap = vm.run(&code, &[]).unwrap_err();
    assert!(trap.is_keyboard_interrupt(), "{trap}");
    assert_eq!(trap.pc, 0);
}

#[test]
fn a_failing_pending_call_traps_on_the_main_thread() {
    let gil = Gil::new();
    let code = assemble("loop: jump loop").unwrap();
    let heap = Arc::new(Heap::new(&gil, &code));
    let mut vm = Vm::new(gil.acquire_arc(), heap);
    gil.add_pending_call(|| std::ops::ControlFlow::Break(()))
        .unwrap();
    let trap = vm.run(&code, &[]).unwrap_err();
    assert_eq!(trap.message, "the signal handler's exception");
}

/// Part 4 of the example, whole: both waits and the main thread's are interrupted, and the
/// program carries on (it asserts all of that itself).
#[test]
fn ctrl_c_interrupts_lock_and_condition_waits_and_the_program_goes_on() {
    crate::ctrl_c::run_ctrl_c();
}
