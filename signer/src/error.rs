//! The signer's one error type. Messages never contain secret material.

use std::path::PathBuf;

/// Everything the signer can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// Malformed or refused input data (exit code 2).
    #[error("{0}")]
    Input(#[from] coldpay_shared::Error),
    /// A policy refusal (exit code 2).
    #[error("refused: {0}")]
    Refused(String),
    /// Bad usage or arguments (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The keystore passphrase is wrong (exit code 2).
    #[error("wrong passphrase for keystore {0:?}")]
    WrongPassphrase(String),
    /// The keystore file is corrupted or was tampered with (exit code 2).
    #[error("keystore {path}: corrupted or tampered: {reason}")]
    KeystoreCorrupt {
        /// File.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read or written (exit code 1).
    #[error("{path}: {source}")]
    Io {
        /// File involved.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Anything else (exit code 1).
    #[error("{0}")]
    Other(String),
}

impl SignerError {
    /// Process exit code: 2 for bad input or refusals, 1 for other failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            SignerError::Io { .. } | SignerError::Other(_) => 1,
            _ => 2,
        }
    }

    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SignerError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias.
pub type Result<T, E = SignerError> = std::result::Result<T, E>;
