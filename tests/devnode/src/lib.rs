//! coldpay-devnode: a local TRON-compatible full node for tests, rehearsals and the demo.
//!
//! It serves the real java-tron HTTP paths on loopback, validates broadcasts in java-tron's
//! order with its result codes, executes TRX transfers and a USDT-like TRC-20 token with
//! mainnet-like energy and bandwidth fees, produces blocks (on a timer or on demand) and keeps a
//! solidified head that trails by `solid_lag` blocks. Faults (HTTP errors, rate limits,
//! latency, dropped transactions, API keys) can be injected. See docs/devnode.md.

pub mod api;
pub mod api_sdk;
pub mod api_stake;
pub mod chain;
pub mod genesis;
pub mod http;
pub mod params;
pub mod permissions;
pub mod pool;
pub mod reply;
pub mod resources;
pub mod scripted;
pub mod stake;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use chain::{Chain, Clock};
pub use genesis::Genesis;
pub use params::Params;

/// Fault injection settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction of API requests answered with HTTP 500/503.
    pub fail_rate: f64,
    /// Requests per second above which HTTP 429 is returned (with Retry-After).
    pub rate_limit_per_s: Option<u32>,
    /// Delay added to every API request.
    pub latency_ms: u64,
    /// Fraction of accepted broadcasts that are never included (they expire).
    pub drop_rate: f64,
    /// Required value of the TRON-PRO-API-KEY header.
    pub require_api_key: Option<String>,
}

/// Node configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Block interval in ms; 0 = blocks only on `mine` / `POST /admin/mine`.
    pub block_ms: u64,
    /// Blocks between head and solidified head.
    pub solid_lag: u64,
    /// Genesis state.
    pub genesis: Genesis,
    /// Faults.
    pub faults: Faults,
    /// Port on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// How block timestamps advance (the library default is [`Clock::Slots`] for
    /// deterministic tests; the binary's is [`Clock::Wall`]).
    pub clock: Clock,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            block_ms: 0,
            solid_lag: 19,
            genesis: Genesis::default(),
            faults: Faults::default(),
            port: 0,
            clock: Clock::Slots,
        }
    }
}

struct Shared {
    chain: Mutex<Chain>,
    faults: Mutex<Faults>,
    stats: Mutex<BTreeMap<String, u64>>,
    rng: Mutex<u64>,
    window: Mutex<(Instant, u32)>,
    stop: AtomicBool,
}

impl Shared {
    fn random(&self) -> f64 {
        let mut s = self.rng.lock().expect("rng");
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A running dev node. Dropping it stops the server.
pub struct Devnode {
    shared: Arc<Shared>,
    server: Option<http::Server>,
    port: u16,
    threads: Vec<JoinHandle<()>>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Devnode {
    /// Starts the node on 127.0.0.1.
    pub fn start(config: Config) -> std::io::Result<Devnode> {
        config
            .genesis
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        let seed = now_ms() | 1;
        let shared = Arc::new(Shared {
            chain: Mutex::new({
                let mut c = Chain::new(&config.genesis, config.solid_lag, now_ms());
                c.clock = config.clock;
                c
            }),
            faults: Mutex::new(config.faults.clone()),
            stats: Mutex::new(BTreeMap::new()),
            rng: Mutex::new(seed),
            window: Mutex::new((Instant::now(), 0)),
            stop: AtomicBool::new(false),
        });
        let server = {
            let sh = shared.clone();
            http::Server::start(listener, Arc::new(move |req| handle(&sh, req)))?
        };
        let port = server.port();
        let mut threads = Vec::new();
        if config.block_ms > 0 {
            let sh = shared.clone();
            let every = Duration::from_millis(config.block_ms);
            threads.push(std::thread::spawn(move || {
                while !sh.stop.load(Ordering::SeqCst) {
                    std::thread::sleep(every);
                    sh.chain.lock().expect("chain").mine(1, 0);
                }
            }));
        }
        Ok(Devnode {
            shared,
            server: Some(server),
            port,
            threads,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Produces `blocks` blocks now.
    pub fn mine(&self, blocks: u32) {
        self.shared.chain.lock().expect("chain").mine(blocks, 0);
    }

    /// Produces `blocks` blocks, the first `advance_ms` later than its slot (time travel).
    pub fn mine_after(&self, blocks: u32, advance_ms: u64) {
        self.shared
            .chain
            .lock()
            .expect("chain")
            .mine(blocks, advance_ms);
    }

    /// Adds TRX (sun) and tokens (base units) to an account (same as `POST /admin/fund`).
    pub fn fund(
        &self,
        address: coldpay_shared::Address,
        trx_sun: u64,
        tokens: coldpay_shared::U256,
    ) -> Result<(), String> {
        self.shared
            .chain
            .lock()
            .expect("chain")
            .fund(address, trx_sun, tokens)
    }

    /// Gives `address` `sun` of new stake for `resource` (minted, its balance unchanged), lent
    /// to `receiver` if given (same as `POST /admin/stake`).
    pub fn stake(
        &self,
        address: coldpay_shared::Address,
        sun: u64,
        resource: coldpay_shared::staking::Resource,
        receiver: Option<coldpay_shared::Address>,
    ) -> Result<(), String> {
        self.shared
            .chain
            .lock()
            .expect("chain")
            .admin_stake(address, sun, resource, receiver)
    }

    /// Head block number.
    pub fn head(&self) -> u64 {
        self.shared.chain.lock().expect("chain").head().number
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().expect("faults") = faults;
    }

    /// Balances and every included transaction (same as `GET /admin/ledger`).
    pub fn ledger(&self) -> Value {
        api::ledger_json(&self.shared.chain.lock().expect("chain"))
    }

    /// API request counts (same as `GET /admin/stats`).
    pub fn stats(&self) -> Value {
        stats_json(&self.shared)
    }

    /// Runs `f` with the chain locked (for tests that inspect state directly).
    pub fn with_chain<T>(&self, f: impl FnOnce(&mut Chain) -> T) -> T {
        f(&mut self.shared.chain.lock().expect("chain"))
    }
}

impl Drop for Devnode {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        drop(self.server.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn stats_json(sh: &Shared) -> Value {
    let stats = sh.stats.lock().expect("stats");
    json!({"requests": *stats, "total": stats.values().sum::<u64>()})
}

fn parse_query(url: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    if let Some((_, q)) = url.split_once('?') {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            m.insert(
                k.to_string(),
                Value::String(v.replace("%22", "\"").replace('+', " ")),
            );
        }
    }
    m
}

fn respond(status: u16, body: &Value, extra: Option<(&str, &str)>) -> http::Response {
    let mut resp = http::Response::new(status, "application/json", body.to_string());
    if let Some((k, v)) = extra {
        resp.headers.push((k.to_string(), v.to_string()));
    }
    resp
}

/// Answers one request.
fn handle(sh: &Shared, req: http::Request) -> http::Response {
    let url = req.url.clone();
    let path = req.path().to_string();
    // As before: a body that is not UTF-8 reads as empty.
    let body = String::from_utf8(req.body.clone()).unwrap_or_default();
    let mut params = if body.trim().is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        match serde_json::from_str::<Value>(&body) {
            Ok(v) => v,
            Err(e) => {
                return respond(
                    200,
                    &json!({"Error": format!("class com.alibaba.fastjson.JSONException : {e}")}),
                    None,
                );
            }
        }
    };
    if let Value::Object(m) = &mut params {
        for (k, v) in parse_query(&url) {
            m.entry(k).or_insert(v);
        }
    }
    if let Some(admin) = path.strip_prefix("/admin/") {
        let (status, v) = admin_handle(sh, admin, &params);
        return respond(status, &v, None);
    }
    // Faults apply to the API only.
    let faults = sh.faults.lock().expect("faults").clone();
    if let Some(key) = &faults.require_api_key {
        if req.header("TRON-PRO-API-KEY") != Some(key.as_str()) {
            return respond(
                401,
                &json!({"Error": "ApiKey not exists or is invalid"}),
                None,
            );
        }
    }
    if let Some(limit) = faults.rate_limit_per_s {
        let mut w = sh.window.lock().expect("window");
        if w.0.elapsed() >= Duration::from_secs(1) {
            *w = (Instant::now(), 0);
        }
        w.1 += 1;
        if w.1 > limit {
            drop(w);
            return respond(
                429,
                &json!({"Error": format!("The key exceeds the frequency limit({limit}), and the query server is suspended for 1s")}),
                Some(("Retry-After", "1")),
            );
        }
    }
    if faults.latency_ms > 0 {
        std::thread::sleep(Duration::from_millis(faults.latency_ms));
    }
    *sh.stats
        .lock()
        .expect("stats")
        .entry(path.clone())
        .or_insert(0) += 1;
    if faults.fail_rate > 0.0 && sh.random() < faults.fail_rate {
        let status = if sh.random() < 0.5 { 500 } else { 503 };
        return respond(status, &json!({"Error": "injected failure"}), None);
    }
    let drop_tx = faults.drop_rate > 0.0 && sh.random() < faults.drop_rate;
    let (status, v) = {
        let mut chain = sh.chain.lock().expect("chain");
        api::handle(&mut chain, &path, &params, drop_tx)
    };
    respond(status, &v, None)
}

/// The body of `POST /admin/fund`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FundRequest {
    /// Base58 or hex address.
    address: String,
    /// Amount in display units ("250", "0.5").
    amount: String,
    /// "trx" (default) or "usdt" (the node's token).
    #[serde(default)]
    token: Option<String>,
}

/// `POST /admin/fund {"address", "amount", "token"}`: adds TRX or tokens to an account and
/// answers its balances.
fn fund(sh: &Shared, p: &Value) -> Result<Value, String> {
    use coldpay_shared::amount::{parse_units, TRX_DECIMALS};
    let r: FundRequest = serde_json::from_value(p.clone()).map_err(|e| {
        format!("fund: {e} (body: {{\"address\", \"amount\", \"token\": \"trx\"|\"usdt\"}})")
    })?;
    let address = coldpay_shared::Address::parse(&r.address)
        .map_err(|e| format!("fund: address {:?}: {e}", r.address))?;
    let mut chain = sh.chain.lock().expect("chain");
    let token = r.token.as_deref().unwrap_or("trx").to_ascii_lowercase();
    let (trx, tokens) = match token.as_str() {
        "trx" => {
            let v = parse_units(&r.amount, TRX_DECIMALS).map_err(|e| format!("fund: {e}"))?;
            let sun = u64::try_from(v).map_err(|_| "fund: TRX amount too large".to_string())?;
            (sun, coldpay_shared::U256::ZERO)
        }
        "usdt" => (
            0,
            parse_units(&r.amount, chain.token.decimals).map_err(|e| format!("fund: {e}"))?,
        ),
        other => return Err(format!("fund: token {other:?}: trx or usdt")),
    };
    chain.fund(address, trx, tokens)?;
    let sun = chain.accounts.get(&address).map_or(0, |a| a.balance);
    let held = chain.token_balance(&address);
    Ok(json!({
        "address": address.to_base58(),
        "trx_sun": sun,
        "trx": coldpay_shared::amount::format_units(coldpay_shared::U256::from(sun), TRX_DECIMALS),
        "token_balance": held.to_string(),
        "token": coldpay_shared::amount::format_units(held, chain.token.decimals),
        "token_symbol": chain.token.symbol,
    }))
}

/// The body of `POST /admin/stake`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StakeRequest {
    /// Base58 or hex address that gets the stake.
    address: String,
    /// TRX in display units ("5000", "0.5").
    amount: String,
    /// "energy" (default) or "bandwidth".
    #[serde(default)]
    resource: Option<String>,
    /// Lend the new stake's resource to this account (base58 or hex).
    #[serde(default)]
    receiver: Option<String>,
}

/// `POST /admin/stake {"address", "amount", "resource", "receiver"}`: mints stake for an account
/// (and lends it to `receiver`), then answers the account's (or receiver's) resources.
fn admin_stake(sh: &Shared, p: &Value) -> Result<Value, String> {
    use coldpay_shared::amount::{parse_units, TRX_DECIMALS};
    use coldpay_shared::staking::Resource;
    let r: StakeRequest = serde_json::from_value(p.clone()).map_err(|e| {
        format!("stake: {e} (body: {{\"address\", \"amount\", \"resource\": \"energy\"|\"bandwidth\", \"receiver\"}})")
    })?;
    let parse = |s: &str| {
        coldpay_shared::Address::parse(s).map_err(|e| format!("stake: address {s:?}: {e}"))
    };
    let address = parse(&r.address)?;
    let receiver = r.receiver.as_deref().map(parse).transpose()?;
    let resource = match r
        .resource
        .as_deref()
        .unwrap_or("energy")
        .to_ascii_lowercase()
        .as_str()
    {
        "energy" => Resource::Energy,
        "bandwidth" => Resource::Bandwidth,
        other => return Err(format!("stake: resource {other:?}: energy or bandwidth")),
    };
    let sun =
        u64::try_from(parse_units(&r.amount, TRX_DECIMALS).map_err(|e| format!("stake: {e}"))?)
            .map_err(|_| "stake: amount too large".to_string())?;
    let mut chain = sh.chain.lock().expect("chain");
    chain.admin_stake(address, sun, resource, receiver)?;
    let who = receiver.unwrap_or(address);
    let now = chain.head().timestamp;
    Ok(json!({
        "address": who.to_base58(),
        "resource": api_stake::account_resource(&chain, &who, now),
    }))
}

fn admin_handle(sh: &Shared, what: &str, p: &Value) -> (u16, Value) {
    match what {
        "mine" => {
            let n = p
                .get("blocks")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(100_000) as u32;
            let advance = p.get("advance_ms").and_then(Value::as_u64).unwrap_or(0);
            let mut c = sh.chain.lock().expect("chain");
            c.mine(n, advance);
            (
                200,
                json!({"head": c.head().number, "solid": c.solid().number, "timestamp": c.head().timestamp}),
            )
        }
        "stats" => (200, stats_json(sh)),
        "fund" => match fund(sh, p) {
            Ok(v) => (200, v),
            Err(e) => (400, json!({"Error": e})),
        },
        "ledger" => (200, api::ledger_json(&sh.chain.lock().expect("chain"))),
        "stake" => match admin_stake(sh, p) {
            Ok(v) => (200, v),
            Err(e) => (400, json!({"Error": e})),
        },
        "faults" => {
            if p.as_object().is_some_and(|m| !m.is_empty()) {
                match serde_json::from_value::<Faults>(p.clone()) {
                    Ok(f) => *sh.faults.lock().expect("faults") = f,
                    Err(e) => return (400, json!({"Error": e.to_string()})),
                }
            }
            (
                200,
                serde_json::to_value(sh.faults.lock().expect("faults").clone()).expect("json"),
            )
        }
        _ => (
            404,
            json!({"Error": format!("unknown admin endpoint {what}")}),
        ),
    }
}
