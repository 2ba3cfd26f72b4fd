//! coldpay-signer binary: see the library docs.

fn main() -> std::process::ExitCode {
    coldpay_signer::cli::main_entry()
}
