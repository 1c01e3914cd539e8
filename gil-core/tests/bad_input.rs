//! The bad-input table of gil-core (issue #6): one test per case where Python raises; being written.
