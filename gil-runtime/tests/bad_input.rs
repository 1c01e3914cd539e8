//! The bad-input table of gil-runtime (issue #6): one test per case where Python raises; being written.
