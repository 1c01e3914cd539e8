//! Tests for `event` (being written).
