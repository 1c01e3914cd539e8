//! The parking_lot-style fixed-duration lock contention harness (being written).
