//! API tests: Python's `threading.Thread` and module-function behaviour on a `Runtime`.

mod local;
