//! Repository hygiene checks, run as tests.
