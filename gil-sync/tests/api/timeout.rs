//! Tests for `timeout` (being written).
