//! coldpay-broadcaster binary: see the library docs.

fn main() -> std::process::ExitCode {
    coldpay_broadcaster::cli::main_entry()
}
