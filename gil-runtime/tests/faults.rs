//! Faults in gil-runtime (issue #6): panics in user code, threads that exit holding locks; being written.
