//! The broadcaster's config file (`~/.coldpay/config.toml`): what it may hold, how it is read,
//! and the commented file `coldpay-broadcaster init` writes. Every key is documented in
//! docs/formats.md ("Broadcaster config").

use std::path::{Path, PathBuf};

use coldpay_shared::Network;
use serde::Deserialize;

use crate::error::{BcError, Result};
use crate::node::{preset_url, HttpLimits, MIB};
use std::time::Duration;

/// The environment variable whose value, when set, is the API key (before `api_key_env` and
/// `api_key`).
pub const API_KEY_ENV: &str = "TRON_PRO_API_KEY";

/// The HTTP header the API key is sent in.
pub const API_KEY_HEADER: &str = "TRON-PRO-API-KEY";

/// The config file. Unknown keys are refused (a typo must not silently fall back to a
/// default).
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Network every command uses unless `--network` says otherwise.
    pub network: Option<Network>,
    /// Full node URLs, failover in order (default: the network's TronGrid preset).
    #[serde(default)]
    pub nodes: Vec<String>,
    /// The API key itself (prefer `api_key_env`: a key in a file is easy to leak).
    pub api_key: Option<String>,
    /// Name of the environment variable that holds the API key.
    pub api_key_env: Option<String>,
    /// Journal database (default: `journal.sqlite` beside the config file).
    pub db: Option<PathBuf>,
    /// Requests per second budget towards the nodes (adapts down on 429).
    pub max_rps: Option<f64>,
    /// Parallel node calls.
    pub concurrency: Option<usize>,
    /// Per-account settings: `[accounts.T…]` tables.
    #[serde(default)]
    pub accounts: std::collections::BTreeMap<String, AccountConfig>,
    /// Per-token settings (energy band): `[tokens.T…]` tables keyed by contract address.
    #[serde(default)]
    pub tokens: std::collections::BTreeMap<String, crate::tokens::TokenConfig>,
    /// Time and size limits of each node request: the `[http]` table.
    #[serde(default)]
    pub http: HttpConfig,
}

/// The `[http]` table: every key optional (defaults in [`HttpLimits::default`]).
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Longest wait for a connection ("3s").
    pub connect_timeout: Option<String>,
    /// Longest wait for any single read of an answer ("10s").
    pub read_timeout: Option<String>,
    /// Longest time for a whole answer ("30s").
    pub answer_timeout: Option<String>,
    /// Largest answer body in MiB, block listings aside (8).
    pub max_body_mib: Option<u64>,
    /// Largest block-listing answer body in MiB (64).
    pub max_listing_body_mib: Option<u64>,
}

impl HttpConfig {
    /// The limits, defaults filled in. A duration that does not parse or is zero, or a size of
    /// 0 MiB (or over 1 GiB), is refused naming the key.
    pub fn limits(&self) -> std::result::Result<HttpLimits, String> {
        let d = HttpLimits::default();
        let dur = |key: &str, v: &Option<String>, default: Duration| match v {
            None => Ok(default),
            Some(s) => match humantime::parse_duration(s) {
                Ok(x) if !x.is_zero() => Ok(x),
                Ok(_) => Err(format!("[http] {key}: must be more than 0")),
                Err(e) => Err(format!("[http] {key}: {s:?}: {e} (e.g. \"10s\")")),
            },
        };
        let mib = |key: &str, v: Option<u64>, default: u64| match v {
            None => Ok(default),
            Some(n) if (1..=1024).contains(&n) => Ok(n * MIB),
            Some(n) => Err(format!("[http] {key}: {n}: must be 1..=1024 (MiB)")),
        };
        let l = HttpLimits {
            connect: dur("connect_timeout", &self.connect_timeout, d.connect)?,
            read: dur("read_timeout", &self.read_timeout, d.read)?,
            answer: dur("answer_timeout", &self.answer_timeout, d.answer)?,
            max_body: mib("max_body_mib", self.max_body_mib, d.max_body)?,
            max_listing_body: mib(
                "max_listing_body_mib",
                self.max_listing_body_mib,
                d.max_listing_body,
            )?,
        };
        if l.read > l.answer {
            return Err(format!(
                "[http] read_timeout ({}s) is longer than answer_timeout ({}s)",
                l.read.as_secs(),
                l.answer.as_secs()
            ));
        }
        Ok(l)
    }
}

/// One `[accounts.T…]` table.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Permission_id `build` uses for this account unless `--permission` says otherwise
    /// (0 owner, 2.. actives).
    pub permission: Option<i32>,
}

impl ConfigFile {
    /// The per-account default permission ids, addresses parsed.
    pub fn account_permissions(
        &self,
    ) -> Result<std::collections::HashMap<coldpay_shared::Address, i32>> {
        let mut out = std::collections::HashMap::new();
        for (addr, a) in &self.accounts {
            let parsed = coldpay_shared::Address::parse(addr).map_err(|e| {
                BcError::Input(format!("config: [accounts.{addr}]: not an address: {e}"))
            })?;
            if let Some(id) = a.permission {
                if id != 0 && id < 2 {
                    return Err(BcError::Input(format!(
                        "config: [accounts.{addr}]: permission {id}: use 0 (owner) or an active permission id (2 and up)"
                    )));
                }
                out.insert(parsed, id);
            }
        }
        Ok(out)
    }
}

/// The default config path: `~/.coldpay/config.toml`.
pub fn default_path() -> PathBuf {
    std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
        .join(".coldpay")
        .join("config.toml")
}

/// The first `toml` error line, without the excerpt of the file it quotes.
fn toml_reason(e: &toml::de::Error) -> String {
    e.message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .to_string()
}

/// The line an error is on: an unknown key's own line (its span covers the whole table),
/// else where the error's span starts.
fn error_line(text: &str, e: &toml::de::Error) -> Option<usize> {
    let unknown = e
        .message()
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next());
    if let Some(key) = unknown {
        return text
            .lines()
            .position(|l| l.split('=').next().is_some_and(|k| k.trim() == key))
            .map(|i| i + 1);
    }
    e.span()
        .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
}

/// Reads the config at `path`. A missing file is an empty config unless `explicit` (given
/// with `--config`).
pub fn load(path: &Path, explicit: bool) -> Result<ConfigFile> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if explicit || e.kind() != std::io::ErrorKind::NotFound => {
            return Err(BcError::Input(format!(
                "config {shown}: cannot read it: {e}"
            )))
        }
        Err(_) => return Ok(ConfigFile::default()),
    };
    let cfg: ConfigFile = toml::from_str(&text).map_err(|e| {
        let line = error_line(&text, &e);
        BcError::Input(format!(
            "config {shown}{}: {} (keys: docs/formats.md, \"Broadcaster config\")",
            line.map_or(String::new(), |l| format!(", line {l}")),
            toml_reason(&e)
        ))
    })?;
    for n in &cfg.nodes {
        check_node_url(n).map_err(|e| BcError::Input(format!("config {shown}: nodes: {e}")))?;
    }
    if let Some(v) = &cfg.api_key_env {
        check_env_name(v)
            .map_err(|e| BcError::Input(format!("config {shown}: api_key_env: {e}")))?;
    }
    cfg.account_permissions()
        .map_err(|e| BcError::Input(format!("{shown}: {e}")))?;
    cfg.http
        .limits()
        .map_err(|e| BcError::Input(format!("config {shown}: {e}")))?;
    crate::tokens::configured(Network::Mainnet, &cfg.tokens)
        .map_err(|e| BcError::Input(format!("config {shown}: {e}")))?;
    Ok(cfg)
}

/// A node URL must be `http://` or `https://` with a host.
pub fn check_node_url(url: &str) -> std::result::Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}

/// An environment variable name: letters, digits and `_`, not starting with a digit.
pub fn check_env_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an environment variable name (letters, digits, _)"
        ))
    }
}

/// Where the API key comes from, in order: `TRON_PRO_API_KEY`, the variable named by
/// `api_key_env`, `api_key`. `Err` names a variable the config points to that is not set.
pub fn api_key(cfg: &ConfigFile) -> std::result::Result<Option<String>, String> {
    let from = |var: &str| std::env::var(var).ok().filter(|k| !k.trim().is_empty());
    if let Some(k) = from(API_KEY_ENV) {
        return Ok(Some(k));
    }
    if let Some(var) = &cfg.api_key_env {
        return match from(var) {
            Some(k) => Ok(Some(k)),
            None => Err(format!(
                "the config's api_key_env names {var}, but {var} is not set in the environment"
            )),
        };
    }
    Ok(cfg.api_key.clone())
}

/// What `init` writes.
pub struct InitOpts {
    /// The network.
    pub network: Network,
    /// Node URLs (empty: the network's preset).
    pub nodes: Vec<String>,
    /// Name of the variable holding the API key.
    pub api_key_env: Option<String>,
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The commented config file for `opts`. Refuses a local network without a node URL, and bad
/// URLs or variable names.
pub fn render(opts: &InitOpts) -> Result<String> {
    for n in &opts.nodes {
        check_node_url(n).map_err(|e| BcError::Input(format!("--node: {e}")))?;
    }
    if let Some(v) = &opts.api_key_env {
        check_env_name(v).map_err(|e| BcError::Input(format!("--api-key-env: {e}")))?;
    }
    let preset = preset_url(opts.network);
    if opts.nodes.is_empty() && preset.is_none() {
        return Err(BcError::Input(
            "--network local needs --node URL (the dev node's address, e.g. http://127.0.0.1:8090)"
                .into(),
        ));
    }
    let nodes: Vec<String> = if opts.nodes.is_empty() {
        preset.into_iter().map(quoted).collect()
    } else {
        opts.nodes.iter().map(|n| quoted(n)).collect()
    };
    let key = match &opts.api_key_env {
        Some(v) => format!("api_key_env = {}", quoted(v)),
        None => "# api_key_env = \"TRONGRID_API_KEY\"".into(),
    };
    Ok(format!(
        "# coldpay-broadcaster configuration, written by `coldpay-broadcaster init`.
# Every key is described in docs/formats.md (\"Broadcaster config\"). Command-line flags
# (--network, --node, --db, --concurrency) override these values for one run.

# The TRON network every command uses: mainnet, nile, shasta or local (a dev node).
# Each command names it on its first line; a journal is bound to one network and refuses
# any other.
network = {network}

# Full node HTTP API URLs, tried in this order (the next one when one fails). Each node is
# checked to serve this network (its genesis block) before it is used.
nodes = [{nodes}]

# Name of the environment variable holding the API key, sent to the nodes in the
# {header} header (TronGrid needs one for more than a few requests per
# second). The key itself stays out of this file. {env}, when set, wins.
{key}

# Journal database (default: journal.sqlite beside this file).
# db = \"/path/to/journal.sqlite\"

# Requests per second towards the nodes (default: no limit until the node pushes back with
# HTTP 429; the budget then adapts). TronGrid with a key: about 10 to 15.
# max_rps = 10

# Parallel node calls for independent work (1 to 64, default 8).
# concurrency = 8

# Limits of each node request: a hung, slow or oversized answer is a fault (retried on the
# next node). Defaults shown.
# [http]
# connect_timeout = \"3s\"
# read_timeout = \"10s\"          # longest wait for the answer's next bytes
# answer_timeout = \"30s\"        # longest time for a whole answer
# max_body_mib = 8
# max_listing_body_mib = 64      # block listings (100 mainnet blocks weigh tens of MiB)

# The energy a transfer estimate must fall in, per registered token (contract address);
# an estimate outside it is a node fault. USDT defaults shown.
# [tokens.TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t]
# min_energy = 14000
# max_energy = 300000
",
        network = quoted(opts.network.as_str()),
        nodes = nodes.join(", "),
        header = API_KEY_HEADER,
        env = API_KEY_ENV,
    ))
}

/// Writes the config atomically; an existing file is only replaced with `force`.
pub fn write(path: &Path, text: &str, force: bool) -> Result<()> {
    if path.exists() && !force {
        return Err(BcError::Input(format!(
            "{} already exists; not overwriting it (use --force to replace it)",
            path.display()
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| BcError::io(dir.display(), &e))?;
    }
    crate::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfigFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn rendered_configs_read_back() {
        let text = render(&InitOpts {
            network: Network::Nile,
            nodes: vec![],
            api_key_env: Some("TRONGRID_KEY".into()),
        })
        .unwrap();
        let c = parse(&text);
        assert_eq!(c.network, Some(Network::Nile));
        assert_eq!(c.nodes, vec!["https://nile.trongrid.io".to_string()]);
        assert_eq!(c.api_key_env.as_deref(), Some("TRONGRID_KEY"));
        assert!(c.api_key.is_none() && c.db.is_none() && c.max_rps.is_none());
        assert!(text.contains("TRON-PRO-API-KEY"));
        let local = render(&InitOpts {
            network: Network::Local,
            nodes: vec!["http://127.0.0.1:8090".into(), "http://h\"x:1".into()],
            api_key_env: None,
        })
        .unwrap();
        let c = parse(&local);
        assert_eq!(c.nodes[1], "http://h\"x:1");
        assert!(c.api_key_env.is_none());
    }

    #[test]
    fn bad_init_options_are_refused() {
        let o = |network, nodes: &[&str], env: Option<&str>| InitOpts {
            network,
            nodes: nodes.iter().map(|s| (*s).to_string()).collect(),
            api_key_env: env.map(str::to_string),
        };
        let e = render(&o(Network::Local, &[], None)).unwrap_err();
        assert!(e.to_string().contains("needs --node"), "{e}");
        let e = render(&o(Network::Mainnet, &["ftp://x"], None)).unwrap_err();
        assert!(e.to_string().contains("not an http"), "{e}");
        let e = render(&o(Network::Mainnet, &[], Some("1BAD-NAME"))).unwrap_err();
        assert!(e.to_string().contains("--api-key-env"), "{e}");
        assert!(check_node_url("https://").is_err());
        assert!(check_node_url("https://api.trongrid.io").is_ok());
    }

    #[test]
    fn http_limits_and_token_bands_are_checked() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        let write = |t: &str| std::fs::write(&p, t).unwrap();
        write("[http]\nread_timeout = \"2s\"\nmax_body_mib = 1\n");
        let l = load(&p, true).unwrap().http.limits().unwrap();
        assert_eq!(l.read, Duration::from_secs(2));
        assert_eq!(l.max_body, MIB);
        assert_eq!(l.max_listing_body, HttpLimits::default().max_listing_body);
        for (bad, says) in [
            ("[http]\nread_timeout = \"soon\"\n", "read_timeout"),
            ("[http]\nanswer_timeout = \"0s\"\n", "more than 0"),
            ("[http]\nmax_body_mib = 0\n", "max_body_mib"),
            (
                "[http]\nread_timeout = \"40s\"\n",
                "longer than answer_timeout",
            ),
            ("[http]\nread = \"4s\"\n", "unknown field"),
            (
                "[tokens.TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t]\nmin_energy = 0\n",
                "no plausible estimate",
            ),
        ] {
            write(bad);
            let e = load(&p, true).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        write("[tokens.TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t]\nmin_energy = 20000\n");
        let c = load(&p, true).unwrap();
        let t = crate::tokens::configured(Network::Mainnet, &c.tokens).unwrap();
        assert_eq!(t[0].min_energy, 20_000);
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        std::fs::write(&p, "network = \"nile\"\nnode = [\"http://x\"]\n").unwrap();
        let e = load(&p, true).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("unknown field"), "{e}");
        assert!(load(&d.path().join("missing.toml"), false)
            .unwrap()
            .network
            .is_none());
        assert!(load(&d.path().join("missing.toml"), true).is_err());
    }
}
