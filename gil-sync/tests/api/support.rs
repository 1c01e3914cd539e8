//! Tests for `support` (being written).
