//! API tests: Python's `threading.Thread` and module-function behaviour on a `Runtime`.

mod bad_input;
mod daemon;
mod excepthook;
mod faults;
mod gil;
mod ident;
mod interrupt;
mod join;
mod local;
mod names;
mod registry;
mod shutdown;
mod stack_size;
mod support;
mod teardown;
mod thread;
