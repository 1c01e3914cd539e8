//! Stress tests (ignored by default; `cargo xtask verify --stress`): many threads, real time,
//! counters checked at the end.
