//! Memory regression tests (issue 13): every per-thread and per-object table of gil-runtime
//! stays bounded by the objects alive, not by how many ever lived. Each test creates and
//! drops many objects and checks the table's size (through `gil_runtime::__probe`) and, where
//! the leak was measurable, the process's resident set.
//!
//! | table | where | test |
//! |---|---|---|
//! | a thread's `Local` clean-up registrations | `local/roster.rs` | `dropped_locals_leave_no_registration_behind` (bug 2) |
//! | a `Local`'s per-thread entries | `local/table.rs` | `thread_churn_leaves_no_entry_behind` |
//! | a thread's "current thread" records | `current.rs` | `runtimes_dropped_on_another_thread_leave_no_record_behind` (bug 3), `dummy_records_of_dropped_runtimes_are_pruned` |
//! | a runtime's registry of live threads | `registry.rs` | `thread_churn_leaves_no_entry_behind` |
//!
//! Each test runs its body in a fresh process of this binary (`fresh_process`): the resident
//! set is the whole process's, and memory another test freed would hide a leak.

use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc;

use gil_runtime::__probe::{current_records, local_entries, local_registrations};
use gil_runtime::{Handle, Local, Runtime};
use gil_test_support::spawn;

/// How far the resident set may grow over a test's main loop: allocator noise, far below
/// what one leaked record per object costs (at least 100 bytes each, times 10⁵).
const RSS_SLACK: u64 = 8 << 20;

/// Set in the child process that runs one test's body.
const CHILD: &str = "GIL_MEMORY_TEST_CHILD";

/// Whether to run the test's body here: `true` in the child process; in the parent, runs
/// `test` alone in a child process of this binary, fails if it failed, and returns `false`.
fn fresh_process(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("run the test in a child process");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} failed in its own process:\n{stdout}\n{stderr}"
    );
    false
}

/// The process's resident set in bytes (Linux), `None` elsewhere.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `round` `warm_up` times, then `n` times, and fails if the resident set grew by more
/// than [`RSS_SLACK`] over the `n`.
fn assert_flat_rss(what: &str, warm_up: usize, n: usize, mut round: impl FnMut(usize)) {
    (0..warm_up).for_each(&mut round);
    let before = rss();
    (warm_up..warm_up + n).for_each(&mut round);
    if let (Some(before), Some(after)) = (before, rss()) {
        let grown = after.saturating_sub(before);
        println!("{what}: {n} rounds, RSS {before} -> {after} bytes (+{grown})");
        assert!(
            grown <= RSS_SLACK,
            "{what}: RSS grew by {grown} bytes over {n} rounds"
        );
    }
}

/// Issue 13, bug 2: every dropped `Local` left its clean-up closure (~128 bytes) on each
/// thread that had set it, until that thread ended (1.1×10⁶ `Local`s: RSS 15 → 140 MB).
#[test]
fn dropped_locals_leave_no_registration_behind() {
    if !fresh_process("dropped_locals_leave_no_registration_behind") {
        return;
    }
    assert_flat_rss("Local::new + set + drop", 20_000, 200_000, |i| {
        let local = Local::new();
        local.set(i);
    });
    assert_eq!(
        local_registrations(),
        0,
        "registrations of dropped Locals remain on this thread"
    );
    // A live one is still registered, and its value still dropped at thread end.
    let local = Local::new();
    local.set(1u8);
    assert_eq!(local_registrations(), 1);
}

/// Issue 13, bug 3: a `Runtime` dropped on another thread than the one that created it
/// left the creating thread's "current thread" record behind (~490 bytes each), and
/// `current_thread()` there scanned all of them.
#[test]
fn runtimes_dropped_on_another_thread_leave_no_record_behind() {
    if !fresh_process("runtimes_dropped_on_another_thread_leave_no_record_behind") {
        return;
    }
    let (tx, rx) = mpsc::sync_channel::<Runtime>(16);
    let dropper = spawn("dropper", move || rx.into_iter().for_each(drop));
    assert_flat_rss("Runtime::new here, drop there", 5_000, 50_000, |_| {
        tx.send(Runtime::new()).unwrap();
    });
    drop(tx);
    dropper.join().unwrap();
    let records = current_records();
    println!("records left on the creating thread: {records}");
    assert!(
        records <= 64,
        "{records} records left on the creating thread"
    );
    // The thread's own runtime is still found.
    let rt = Runtime::new();
    assert_eq!(rt.current_thread().name(), "MainThread");
    assert!(rt.current_thread().ptr_eq(&rt.main_thread()));
}

/// A long-lived foreign thread that calls `current_thread` on many short-lived runtimes
/// (each gets a dummy record there) keeps records only for the runtimes still alive.
#[test]
fn dummy_records_of_dropped_runtimes_are_pruned() {
    if !fresh_process("dummy_records_of_dropped_runtimes_are_pruned") {
        return;
    }
    let (tx, rx) = mpsc::sync_channel::<Handle>(16);
    let maker = spawn("maker", move || {
        for _ in 0..55_000 {
            // The runtime is dropped here; its handle keeps it alive over there.
            if tx.send(Runtime::new().handle()).is_err() {
                return;
            }
        }
    });
    assert_flat_rss("a dummy of a short-lived runtime", 5_000, 50_000, |_| {
        let handle = rx.recv().unwrap();
        assert!(handle.current_thread().name().starts_with("Dummy-"));
    });
    maker.join().unwrap();
    let records = current_records();
    println!("dummy records left: {records}");
    assert!(records <= 64, "{records} dummy records left");
}

/// Threads come and go (runtime threads and foreign threads that become dummies), each
/// setting a long-lived `Local`: the runtime's registry, the `Local`'s entries and this
/// thread's records all return to what the live objects need.
#[test]
fn thread_churn_leaves_no_entry_behind() {
    if !fresh_process("thread_churn_leaves_no_entry_behind") {
        return;
    }
    let rt = Runtime::new();
    let local = Arc::new(Local::new());
    for i in 0..5_000 {
        let l = local.clone();
        let t = rt.thread(move |_| {
            l.set(i);
        });
        t.start().unwrap();
        t.join().unwrap();
        let (l, h) = (local.clone(), rt.handle());
        spawn("foreign", move || {
            l.set(i);
            assert!(h.current_thread().name().starts_with("Dummy-"));
        })
        .join()
        .unwrap();
    }
    assert_eq!(rt.active_count(), 1, "only the main thread is left");
    assert_eq!(local_entries(&local), 0, "entries of ended threads remain");
    assert_eq!(current_records(), 1, "this thread's main-thread record");
}
