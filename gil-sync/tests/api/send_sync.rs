//! Tests for `send_sync` (being written).
