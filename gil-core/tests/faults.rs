//! Faults in gil-core (issue #6): panics in user code, threads that exit holding locks; being written.
