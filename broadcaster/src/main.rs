//! coldpay-broadcaster: the online half of coldpay.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Online broadcaster for TRON payouts (USDT-TRC20 and TRX).
#[derive(Parser)]
#[command(name = "coldpay-broadcaster", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with single transactions.
    #[command(subcommand)]
    Tx(TxCommand),
}

#[derive(Subcommand)]
enum TxCommand {
    /// Decode a sign request, TronWeb transaction (or array) or raw_data hex; same output as
    /// `coldpay-signer inspect`.
    Decode {
        /// Input file, or `-` for stdin.
        input: String,
        /// Print a JSON array, one object per transaction.
        #[arg(long)]
        json: bool,
    },
}

fn read_input(path: &str) -> std::io::Result<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Tx(TxCommand::Decode { input, json }) => {
            let text = match read_input(&input) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {input}: {e}");
                    return ExitCode::from(2);
                }
            };
            match coldpay_shared::view::inspect_input(&text, json) {
                Ok(out) => {
                    print!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
