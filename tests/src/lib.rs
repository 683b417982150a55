//! Cross-crate statistical and integration tests live in `tests/`; this library is empty.
