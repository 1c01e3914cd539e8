//! Tests for `semaphore` (being written).
