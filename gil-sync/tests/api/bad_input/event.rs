//! The bad-input rows of `Event` (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Event::wait_timeout(ZERO / 1 ns)` / `wait_deadline(past)` | the flag, at once | — | `wait(0)` returns the flag |
//! | `Event::wait_timeout(Duration::MAX)` | `true` at once when set; waits for `set` otherwise | — | `wait()` |

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use gil_sync::Event;
use gil_test_support::{PATIENCE, SHORT, join, spawn, within};

use super::{EDGE, later, past, prompt};

#[test]
fn event_wait_timeout_zero_1ns_and_past_deadline_return_the_flag() {
    let event = Arc::new(Event::new());
    for flag in [false, true, false] {
        if flag {
            event.set();
        } else {
            event.clear();
        }
        let e = Arc::clone(&event);
        let results = prompt("event waits", move || {
            let mut r: Vec<bool> = EDGE.iter().map(|&t| e.wait_timeout(t)).collect();
            r.push(e.wait_deadline(past()));
            r
        });
        assert_eq!(results, [flag; 3]);
    }
    // Still usable: a waiter is woken by `set`.
    let e = Arc::clone(&event);
    let waiter = spawn("waiter", move || e.wait_timeout(PATIENCE));
    thread::sleep(SHORT);
    event.set();
    assert!(join(waiter));
}

#[test]
fn event_wait_timeout_max_waits_without_overflow() {
    let event = Arc::new(Event::new());
    event.set();
    let e = Arc::clone(&event);
    assert!(prompt("set", move || e.wait_timeout(Duration::MAX)));
    event.clear();
    let e = Arc::clone(&event);
    let setter = later("setter", move || e.set());
    let e = Arc::clone(&event);
    assert!(within("unset", move || e.wait_timeout(Duration::MAX)));
    join(setter);
    assert!(event.is_set());
}
