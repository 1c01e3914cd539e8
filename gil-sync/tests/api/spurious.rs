//! `--cfg gil_spurious_wakeups` really injects: with it on (`cargo xtask verify`'s
//! `spurious` step), parks return early, and every wait loop still behaves.

use std::sync::Arc;
use std::time::Duration;

use gil_sync::Event;

/// 50 event there-pongs park at least 50 times; with one park in four returning at once, the
/// chance that none did is (3/4)^50 ≈ 6·10⁻⁷.
#[test]
#[cfg_attr(
    not(gil_spurious_wakeups),
    ignore = "needs RUSTFLAGS='--cfg gil_spurious_wakeups' (cargo xtask verify --only spurious)"
)]
fn spurious_wake_ups_are_injected_and_survived() {
    let there = Arc::new(Event::new());
    let back = Arc::new(Event::new());
    let (there2, back2) = (Arc::clone(&there), Arc::clone(&back));
    let other = std::thread::Builder::new()
        .spawn(move || {
            for _ in 0..50 {
                assert!(there2.wait_timeout(Duration::from_secs(10)));
                there2.clear();
                back2.set();
            }
        })
        .unwrap();
    for _ in 0..50 {
        there.set();
        assert!(back.wait_timeout(Duration::from_secs(10)));
        back.clear();
    }
    other.join().unwrap();
    assert!(gil_core::__test::spurious_wakeups_injected() > 0);
}
