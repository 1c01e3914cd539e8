//! Tests for `rlock` (being written).
