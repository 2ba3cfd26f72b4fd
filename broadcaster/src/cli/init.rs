//! `init`: writes the commented config file.

use std::fmt;
use std::path::PathBuf;

use coldpay_shared::Network;
use serde::Serialize;

use super::args::Cli;
use crate::error::{BcError, Result};

/// What `init` wrote.
#[derive(Serialize)]
pub(crate) struct Initialized {
    /// The config file written.
    config: PathBuf,
    /// Its network.
    network: Network,
    /// The environment variable named for the API key, if any.
    api_key_env: Option<String>,
    /// Whether the network has a TronGrid preset (which throttles keyless clients).
    #[serde(skip)]
    preset: bool,
}

impl fmt::Display for Initialized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote {} (network {})",
            self.config.display(),
            self.network
        )?;
        match (&self.api_key_env, self.preset) {
            (Some(var), _) => write!(
                f,
                "\nset the API key in the environment before each run: export {var}=…"
            ),
            (None, true) => f.write_str(
                "\nno API key configured: TronGrid throttles keyless clients; rerun with --api-key-env VAR --force, or set TRON_PRO_API_KEY",
            ),
            (None, false) => Ok(()),
        }
    }
}

/// `init`: writes the commented config file and prints what it wrote (no journal, no node).
pub(crate) fn run(cli: &Cli, api_key_env: Option<String>, force: bool) -> Result<()> {
    let network = cli
        .network
        .ok_or_else(|| BcError::Input("init needs --network mainnet|nile|shasta|local".into()))?;
    let path = cli
        .config
        .clone()
        .unwrap_or_else(crate::config::default_path);
    let text = crate::config::render(&crate::config::InitOpts {
        network,
        nodes: cli.node.clone(),
        api_key_env: api_key_env.clone(),
    })?;
    crate::config::write(&path, &text, force)?;
    let done = Initialized {
        config: path,
        network,
        api_key_env,
        preset: crate::node::preset_url(network).is_some(),
    };
    if cli.json {
        println!("{}", serde_json::to_value(&done).expect("json"));
    } else {
        println!("{done}");
    }
    Ok(())
}
