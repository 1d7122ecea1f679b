//! Snowflake REST image repositories (`snowflake`): the generated contract layer only, not yet mounted.
//!
//! The handlers and store arrive with the Snowflake issue; until then the routes are not served
//! (404), and nothing answers 501.

pub mod generated;
