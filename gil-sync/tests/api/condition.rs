//! Tests for `condition` (being written).
