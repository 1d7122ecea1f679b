//! Why an SWR operation is refused, in SWR's terms; `swr/error.rs` maps each to SWR's status
//! and code, and the messages here are the `errorMessage` clients see.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwrStoreError {
    #[error("Invalid organization name: `{0}`")]
    InvalidNamespace(String),
    #[error("Invalid image name: `{0}`")]
    InvalidRepository(String),
    #[error("Invalid image tag: `{0}`")]
    InvalidTag(String),
    #[error("Invalid parameters: {0}")]
    InvalidParameter(String),
    #[error("Mandatory parameter is missing: {0}")]
    MissingParameter(String),
    #[error("max organizations exceeded: an account may hold {0} per region")]
    QuotaExceeded(usize),
    #[error("The organization was not found: `{0}`")]
    NamespaceNotFound(String),
    #[error("The image was not found: `{0}`")]
    RepositoryNotFound(String),
    #[error("The image tag was not found: `{0}`")]
    TagNotFound(String),
    #[error("The organization already exists: `{0}`")]
    NamespaceExists(String),
    #[error("The image already exists: `{0}`")]
    RepositoryExists(String),
    #[error("The organization cannot be deleted because it contains images: `{0}`")]
    NamespaceNotEmpty(String),
    #[error("The synchronization rule does not exist")]
    RuleNotFound,
    #[error("unknown region `{0}`")]
    UnknownRegion(String),
}
