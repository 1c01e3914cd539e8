//! loom models of gil-runtime's registry (run: `cargo xtask verify`).
#![cfg(loom)]
