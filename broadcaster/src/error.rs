//! The broadcaster's one error type.

/// Everything the broadcaster can fail at.
#[derive(Debug, thiserror::Error)]
pub enum BcError {
    /// Bad input data or arguments (exit 2).
    #[error("{0}")]
    Input(String),
    /// Malformed TRON data (exit 2).
    #[error("{0}")]
    Shared(#[from] coldpay_shared::Error),
    /// A node could not be reached or answered an error (exit 1).
    #[error("{0}")]
    Node(String),
    /// The journal database failed (exit 1).
    #[error("journal: {0}")]
    Journal(#[from] rusqlite::Error),
    /// File I/O (exit 1).
    #[error("{0}")]
    Io(String),
    /// `track --follow` timed out (exit 3).
    #[error("{0}")]
    Timeout(String),
}

impl BcError {
    /// Exit code: 2 bad input, 3 timeout, 1 other.
    pub fn exit_code(&self) -> u8 {
        match self {
            BcError::Input(_) | BcError::Shared(_) => 2,
            BcError::Timeout(_) => 3,
            _ => 1,
        }
    }
}

/// Result alias.
pub type Result<T, E = BcError> = std::result::Result<T, E>;
