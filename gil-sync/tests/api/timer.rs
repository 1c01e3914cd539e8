//! Tests for `timer` (being written).
