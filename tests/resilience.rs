//! Integration tests: resilience.
