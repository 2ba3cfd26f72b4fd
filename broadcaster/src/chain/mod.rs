//! The verified chain view: the block walk (hashes, parent links, transaction roots) and what a verified transaction moved.

pub mod blockwalk;
pub mod movements;
pub mod receipts;
pub mod tapos;
