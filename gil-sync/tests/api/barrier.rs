//! Tests for `barrier` (being written).
