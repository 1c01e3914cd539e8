//! Tests for `lock` (being written).
