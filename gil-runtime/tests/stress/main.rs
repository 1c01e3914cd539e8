//! Stress tests of gil-runtime (ignored by default; `cargo xtask verify --stress`); being written.
