//! The bad-input table of gil-sync (issue #6): one test per case where Python raises; being written.
