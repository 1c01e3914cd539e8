//! API tests: CPython's behaviour for each primitive, ported (results, errors, timeouts,
//! ordering, re-entrancy, cross-thread release, notify counts, GIL release while blocked).

mod bad_input;
mod barrier;
mod cell_rule;
mod condition;
mod event;
mod faults;
mod gil_release;
mod interrupt;
mod lock;
mod rlock;
mod semaphore;
mod send_sync;
mod spurious;
mod support;
mod teardown;
mod timeout;
mod timer;
