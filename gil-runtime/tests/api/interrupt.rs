//! Interrupts and pending calls (issue 16): the runtime's main thread is its GIL's,
//! `Thread::interrupt` and `Handle::interrupt_main` reach a thread's `check()` and its
//! interruptible `join`, and a pending call runs on the main thread. The refusals (not
//! started, finished, dummy) are in `bad_input.rs`.

use gil_runtime::Runtime;
use gil_test_support::spawn;

#[test]
fn the_runtime_makes_its_creating_thread_the_gils_main_thread() {
    let rt = Runtime::new();
    assert_eq!(rt.gil().main_thread(), rt.main_thread().ident());
    // Also on a GIL another thread built, and through the builder.
    let gil = spawn("builds the gil", gil_core::Gil::new).join().unwrap();
    let rt = Runtime::with_gil(gil.clone());
    assert_eq!(gil.main_thread(), Some(gil_runtime::get_ident()));
    assert_eq!(gil.main_thread(), rt.main_thread().ident());
    let rt = Runtime::builder().build().unwrap();
    assert_eq!(rt.gil().main_thread(), Some(gil_runtime::get_ident()));
}
