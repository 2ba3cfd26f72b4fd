//! coldpay-signer: the offline half of coldpay. Holds encrypted keys, decodes and reviews what
//! it signs, enforces a local policy and keeps a hash-chained audit log. It links no networking
//! code and forbids socket creation before reading any input.

pub mod audit;
pub mod check_report;
pub mod cli;
pub mod clock;
pub mod error;
pub mod file_errors;
pub mod fsutil;
pub mod home;
pub mod inspect;
pub mod kdf;
pub mod keys;
pub mod keystore;
pub mod ledger;
pub mod passphrase;
pub mod permission_record;
pub mod policy;
pub mod policy_cli;
pub mod policy_diff;
pub mod policy_edit;
pub mod policy_staking;
pub mod policy_update;
pub mod qrio;
pub mod records;
pub mod records_cli;
pub mod records_key;
pub mod review;
pub mod sandbox;
pub mod screen;
pub mod sealed;
pub mod secp;
pub mod selftest;
pub mod sign;
pub mod tip191;
pub mod unlock;
pub mod wallet;
