//! The API families' stateful semantic suites; each suite creates its resources under a
//! recognisable prefix and removes them again, so it runs against empty and populated targets.

pub mod cce;
pub mod glance;
pub mod snowflake;
pub mod swr;
