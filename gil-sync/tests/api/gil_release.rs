//! Tests for `gil_release` (being written).
