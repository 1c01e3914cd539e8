//! Stack sizes: `Handle::set_stack_size` (Python's `threading.stack_size`) and
//! `ThreadBuilder::stack_size`: Python's validation, the previous value returned, the setting
//! applied at `start`, and an OS refusal reported by `start` with the thread left startable.

use std::hint::black_box;

use gil_runtime::{Runtime, StackSizeError, StartError};

#[test]
fn set_stack_size_returns_the_previous_setting() {
    let rt = Runtime::new();
    assert_eq!(rt.stack_size(), 0, "the platform default");
    assert_eq!(rt.set_stack_size(32768), Ok(0));
    assert_eq!(rt.stack_size(), 32768);
    assert_eq!(rt.set_stack_size(1 << 20), Ok(32768));
    assert_eq!(rt.set_stack_size(0), Ok(1 << 20));
    assert_eq!(rt.stack_size(), 0);
}

#[test]
fn sizes_python_refuses_are_errors_and_change_nothing() {
    let rt = Runtime::new();
    rt.set_stack_size(65536).unwrap();
    for bytes in [1, 1000, 32767] {
        let err = rt.set_stack_size(bytes).unwrap_err();
        assert_eq!(err, StackSizeError::TooSmall(bytes));
        assert_eq!(err.to_string(), format!("size not valid: {bytes} bytes"));
    }
    let huge = usize::MAX;
    assert_eq!(rt.set_stack_size(huge), Err(StackSizeError::TooLarge(huge)));
    assert_eq!(
        rt.set_stack_size(isize::MAX.unsigned_abs() + 1),
        Err(StackSizeError::TooLarge(isize::MAX.unsigned_abs() + 1))
    );
    assert_eq!(rt.stack_size(), 65536, "a refused size changes nothing");
}

#[test]
fn builder_checks_sizes_like_python() {
    let rt = Runtime::new();
    assert_eq!(
        rt.thread_builder().stack_size(1000).unwrap_err(),
        StackSizeError::TooSmall(1000)
    );
    assert_eq!(
        rt.thread_builder().stack_size(usize::MAX).unwrap_err(),
        StackSizeError::TooLarge(usize::MAX)
    );
    // 0 is the platform default, 32 KiB the smallest size accepted.
    for bytes in [0, 32768] {
        let t = rt
            .thread_builder()
            .stack_size(bytes)
            .unwrap()
            .target(|_| {});
        t.start().unwrap();
        t.join().unwrap();
    }
}

/// Uses about 4 MiB of stack: more than the 2 MiB default of Rust threads, so this would
/// overflow (and abort the test binary) if the setting were not applied.
#[expect(
    clippy::large_stack_arrays,
    reason = "the point: a frame bigger than the default stack"
)]
fn deep_stack() -> u8 {
    let frame = black_box([7u8; 4 << 20]);
    frame[black_box(4 << 19)]
}

#[test]
fn the_runtime_setting_applies_to_threads_started_later() {
    let rt = Runtime::new();
    rt.set_stack_size(16 << 20).unwrap();
    let t = rt.thread(|_| assert_eq!(deep_stack(), 7));
    t.start().unwrap();
    t.join().unwrap();
}

#[test]
fn builder_size_overrides_the_runtime_setting() {
    let rt = Runtime::new();
    rt.set_stack_size(65536).unwrap();
    let t = rt
        .thread_builder()
        .stack_size(16 << 20)
        .unwrap()
        .target(|_| assert_eq!(deep_stack(), 7));
    t.start().unwrap();
    t.join().unwrap();
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's threads ignore the requested stack size, so this spawn cannot fail"
)]
fn a_stack_the_os_cannot_provide_fails_start_and_the_thread_can_start_later() {
    let rt = Runtime::new();
    // Accepted (Python accepts it too), but no machine maps 2^62 bytes of stack.
    rt.set_stack_size(1 << 62).unwrap();
    let t = rt.thread(|_| {});
    let err = t.start().unwrap_err();
    assert!(matches!(err, StartError::Spawn(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("can't start new thread"),
        "{err}"
    );
    assert!(!t.is_alive());
    assert_eq!(t.ident(), None);
    assert_eq!(t.native_id(), None);
    assert_eq!(
        rt.active_count(),
        1,
        "a thread that failed to start is not listed"
    );
    assert!(format!("{t:?}").ends_with("initial)>"), "{t:?}");
    rt.set_stack_size(0).unwrap();
    t.start().unwrap();
    t.join().unwrap();
    assert!(t.ident().is_some());
}

/// Regression (review): a join racing a `start` that then failed waited for a `done` that
/// never came; it now waits for the start to finish and reports `NotStarted`.
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's threads ignore the requested stack size, so this spawn cannot fail"
)]
fn a_join_racing_a_failing_start_returns_not_started() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

    let rt = Runtime::new();
    rt.set_stack_size(1 << 62).unwrap(); // every spawn fails
    for _ in 0..500 {
        let t = rt.thread(|_| {});
        let start_returned = Arc::new(AtomicBool::new(false));
        let joiner = {
            let (t, start_returned) = (t.clone(), start_returned.clone());
            gil_test_support::spawn("joiner", move || {
                // Join as soon as `start` has published the thread (or has given up).
                while !t.is_alive() && !start_returned.load(SeqCst) {
                    std::hint::spin_loop();
                }
                t.join()
            })
        };
        assert!(t.start().is_err());
        start_returned.store(true, SeqCst);
        assert_eq!(
            gil_test_support::join(joiner),
            Err(gil_runtime::JoinError::NotStarted)
        );
    }
}
