//! Why a Snowflake operation is refused, in Snowflake's own words (its SQL compilation errors);
//! `snowflake/error.rs` decides the status of each.

use std::fmt;

use super::tags::{MAX_TAGS, MAX_VALUE};

/// What a Snowflake operation can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnowflakeError {
    /// An identifier that is neither a valid unquoted nor a valid quoted one (as written).
    #[error("SQL compilation error:\ninvalid identifier '{0}'")]
    InvalidIdentifier(String),
    /// The object, or one of its containers, is absent or belongs to another account.
    #[error("SQL compilation error:\n{kind} '{name}' does not exist or not authorized.")]
    NotFound { kind: Kind, name: String },
    /// `createMode=errorIfExists` on a taken name (the stored name, as displayed).
    #[error("SQL compilation error:\nObject '{0}' already exists.")]
    AlreadyExists(String),
    /// Image repositories take unquoted names only (the name as written).
    #[error(
        "SQL compilation error:\nquoted identifiers are not supported for image repositories: {0}"
    )]
    QuotedRepositoryName(String),
    /// Image repositories cannot live under a database or schema whose name needs quotes.
    #[error(
        "SQL compilation error:\nimage repositories cannot live in a database or schema whose name needs quotes"
    )]
    QuotedContainer,
    /// A seeded image without a name, or with an empty tag.
    #[error("image_name and every tag must be non-empty")]
    EmptyImageName,
    /// A seeded image's digest that is not `sha256:<64 hex>`.
    #[error("digest `{0}` is not sha256:<64 hex>")]
    BadDigest(String),
    #[error("a tag value is longer than {MAX_VALUE}")]
    TagValueTooLong,
    #[error("at most {MAX_TAGS} tags per repository")]
    TooManyTags,
    /// A deferred result that was never stored, has been forgotten, belongs to someone else, or
    /// has no such page.
    #[error("Result '{handle}' (page {page}) does not exist or has expired.")]
    NoResult { handle: String, page: usize },
}

/// The kinds of object a lookup can miss, as Snowflake names them in its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Database,
    Schema,
    ImageRepository,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Database => "Database",
            Kind::Schema => "Schema",
            Kind::ImageRepository => "Image repository",
        })
    }
}

pub type Result<T> = std::result::Result<T, SnowflakeError>;
