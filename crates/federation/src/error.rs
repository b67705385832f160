//! Federation errors, and which HTTP status each deserves when it comes from an inbox.

use activitypub_federation::error::Error as LibraryError;

#[derive(Debug, thiserror::Error)]
pub enum FedError {
    /// The signature, digest or origin could not be verified: the peer should retry with
    /// another signature scheme, so this is a 401, never a 2xx.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The activity is malformed or not acceptable.
    #[error("rejected: {0}")]
    Rejected(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// An outgoing delivery did not arrive; it will be tried again.
    #[error("delivery: {0}")]
    Delivery(String),
    #[error("federation library: {0}")]
    Library(LibraryError),
    #[error("database: {0}")]
    Database(#[from] stoa_db::DbErr),
    #[error("{0}")]
    Core(#[from] stoa_core::CoreError),
}

impl From<LibraryError> for FedError {
    fn from(err: LibraryError) -> Self {
        match err {
            LibraryError::ActivityBodyDigestInvalid | LibraryError::ActivitySignatureInvalid => {
                FedError::Unauthorized(err.to_string())
            }
            LibraryError::UrlVerificationError(_) | LibraryError::ParseReceivedActivity { .. } => {
                FedError::Rejected(err.to_string())
            }
            LibraryError::NotFound | LibraryError::ObjectDeleted(_) => {
                FedError::NotFound(err.to_string())
            }
            other => FedError::Library(other),
        }
    }
}

impl FedError {
    /// The status an inbox answers with.
    pub fn status(&self) -> u16 {
        match self {
            FedError::Unauthorized(_) => 401,
            FedError::Rejected(_) => 400,
            FedError::NotFound(_) => 404,
            // The sender's actor could not be fetched: its server will retry.
            FedError::Library(_) => 400,
            FedError::Delivery(_) => 502,
            FedError::Core(
                stoa_core::CoreError::Forbidden(_) | stoa_core::CoreError::Refused(_),
            ) => 403,
            FedError::Core(stoa_core::CoreError::NotFound(_)) => 404,
            FedError::Core(
                stoa_core::CoreError::Invalid { .. } | stoa_core::CoreError::Conflict(_),
            ) => 400,
            FedError::Database(_) | FedError::Core(_) => 500,
        }
    }
}
