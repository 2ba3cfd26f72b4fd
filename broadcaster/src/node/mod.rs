//! TRON full-node HTTP client for a pool of endpoints that may lag, answer `{}` for what they
//! have not seen, send error bodies with HTTP 200, HTML or truncated bodies, or rate-limit us.
//!
//! - Every answer is classified ([`crate::node::answers::classify`]) and then checked by the caller's
//!   typed check; a fault is retried with backoff and fails over to the next endpoint.
//! - Each endpoint is bound to the journal's network on first contact: its block 0 must be the
//!   network's genesis block ([`crate::node::network`]).
//! - A shared requests-per-second budget ([`crate::node::limiter::Limiter`]) adapts to 429 /
//!   `Retry-After` / "suspended for Ns", and [`Node::par_map`] runs independent calls with bounded
//!   concurrency.

pub mod answers;
pub mod energy_band;
pub mod limiter;
pub mod network;

use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use coldpay_shared::block::{verify_block, verify_header, verify_range, VerifiedBlock};
use coldpay_shared::{Address, Network, TxId, U256};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::error::{BcError, Result};
use crate::node::answers::{
    classify, decode_message, from_object, is_empty_answer, Account, AccountResource, BodyError,
    BroadcastAnswer, ChainParameters, ConstantCall, EnergyEstimate, FeeParams, TxInfo,
};
use crate::node::energy_band::{Band, Seen};
use crate::node::limiter::Limiter;
use crate::node::network::{genesis_of, network_of_genesis};

/// TronGrid host of a network preset (a local dev node has none).
pub fn preset_url(network: Network) -> Option<&'static str> {
    match network {
        Network::Mainnet => Some("https://api.trongrid.io"),
        Network::Nile => Some("https://nile.trongrid.io"),
        Network::Shasta => Some("https://api.shasta.trongrid.io"),
        Network::Local => None,
    }
}

/// What a caller's check says about one answer.
pub enum Verdict<T> {
    /// A usable answer.
    Ok(T),
    /// A node fault: retry (another endpoint).
    Retry(String),
    /// A definite answer that is an error (not retried).
    Fail(BcError),
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct NodeOpts {
    /// API key (TRON-PRO-API-KEY header).
    pub api_key: Option<String>,
    /// Requests per second budget (None: unlimited until the node pushes back).
    pub max_rps: Option<f64>,
    /// Parallel calls for independent work.
    pub concurrency: usize,
    /// The journal's network: its genesis binds every endpoint (a public network's is known;
    /// a local one is [`NodeOpts::genesis`] or the first one seen), and messages name it.
    pub network: Network,
    /// Expected genesis blockID; None for a local journal that has not recorded one yet.
    pub genesis: Option<[u8; 32]>,
    /// Tries per call before giving up.
    pub max_attempts: u32,
    /// Longest single backoff/Retry-After wait honoured.
    pub max_wait: Duration,
    /// Time and size limits of each HTTP exchange.
    pub http: HttpLimits,
}

/// Time and size limits of one HTTP exchange with a node (config `[http]`, docs/formats.md).
/// A hung, slow or oversized answer is a fault: retried with backoff, failing over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Longest wait for the TCP (and TLS) connection.
    pub connect: Duration,
    /// Longest wait for any single read: the answer's first byte, or the next bytes of it.
    pub read: Duration,
    /// Longest time for the whole answer, from sending the request to its last byte (a member
    /// that drips its body a byte at a time is cut here).
    pub answer: Duration,
    /// Largest answer body accepted (bytes), except block listings.
    pub max_body: u64,
    /// Largest answer body accepted for block listings (`getblockbylimitnext`,
    /// `gettransactioninfobyblocknum`): 100 full mainnet blocks weigh tens of MiB.
    pub max_listing_body: u64,
}

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            connect: Duration::from_secs(3),
            read: Duration::from_secs(10),
            answer: Duration::from_secs(30),
            max_body: 8 * MIB,
            max_listing_body: 64 * MIB,
        }
    }
}

/// Paths whose answers are block listings (the larger size cap applies).
const LISTINGS: &[&str] = &["getblockbylimitnext", "gettransactioninfobyblocknum"];

impl HttpLimits {
    /// The size cap for `path`.
    pub fn cap_for(&self, path: &str) -> u64 {
        let name = path.rsplit('/').next().unwrap_or("");
        if LISTINGS.contains(&name) {
            self.max_listing_body
        } else {
            self.max_body
        }
    }
}

impl Default for NodeOpts {
    fn default() -> Self {
        NodeOpts {
            api_key: None,
            max_rps: None,
            concurrency: 8,
            network: Network::Local,
            genesis: None,
            max_attempts: 10,
            max_wait: Duration::from_secs(30),
            http: HttpLimits::default(),
        }
    }
}

struct Endpoint {
    url: String,
    checked: OnceLock<()>,
    /// Highest verified solidified block this endpoint has shown (0 = unknown).
    solid: AtomicU64,
}

/// How a broadcast ended.
#[derive(Clone, Debug)]
pub struct BroadcastResult {
    /// Accepted (or already known: DUP).
    pub accepted: bool,
    /// java-tron code ("SUCCESS", "SIGERROR", …).
    pub code: String,
    /// Decoded message.
    pub message: String,
}

/// Codes after which the same signed bytes may be sent again.
const TRANSIENT_CODES: &[&str] = &[
    "SERVER_BUSY",
    "NO_CONNECTION",
    "NOT_ENOUGH_EFFECTIVE_CONNECTION",
    "BLOCK_UNSOLIDIFIED",
];

/// The client.
pub struct Node {
    endpoints: Vec<Endpoint>,
    agent: ureq::Agent,
    opts: NodeOpts,
    limiter: Limiter,
    preferred: AtomicUsize,
    calls: AtomicU64,
    faults: AtomicU64,
    /// Faults by kind (metrics).
    fault_kinds: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    genesis: Mutex<Option<[u8; 32]>>,
    params: OnceLock<FeeParams>,
    deadline: Mutex<Option<std::time::Instant>>,
}

/// Why one request got no usable answer. Messages name the problem only; callers prefix the
/// URL, so each URL is printed once.
enum Fault {
    Transport(String),
    Http(String),
    RateLimited(String, Duration),
    Auth(String),
    /// The endpoint cannot serve this call at all (connection refused, unknown host, not a URL,
    /// HTTP 404): not retried, the next endpoint is asked at once.
    Unusable(String),
    /// The caller's check gave up ([`Verdict::Fail`]): returned as is.
    Fatal(BcError),
    /// An answer the caller's check refused ([`Verdict::Retry`]): retried.
    Invalid(String),
}

impl Fault {
    /// The kind, as the metrics name it.
    fn kind(&self) -> &'static str {
        match self {
            Fault::Transport(_) => "transport",
            Fault::Http(_) => "http",
            Fault::RateLimited(..) => "rate_limited",
            Fault::Auth(_) => "auth",
            Fault::Unusable(_) => "unreachable",
            Fault::Fatal(_) => "fatal",
            Fault::Invalid(_) => "invalid_answer",
        }
    }

    fn into_message(self) -> String {
        match self {
            Fault::Transport(m)
            | Fault::Http(m)
            | Fault::RateLimited(m, _)
            | Fault::Auth(m)
            | Fault::Unusable(m)
            | Fault::Invalid(m) => m,
            Fault::Fatal(e) => e.to_string(),
        }
    }
}

/// Why an endpoint could not be bound to the network on first contact.
enum BindError {
    /// Give up the call (another network, a refused API key).
    Fatal(BcError),
    /// The endpoint cannot be reached or has no TRON API: try the next one at once.
    Unusable(String),
    /// Faults on every try: retry later.
    Fault(String),
}

/// An I/O error kind in words (no OS error text).
fn io_words(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind as K;
    match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::TimedOut | K::WouldBlock => "timed out",
        K::UnexpectedEof => "connection closed before the answer ended",
        K::NotConnected | K::BrokenPipe => "connection lost",
        _ => "network error",
    }
}

/// Classifies a transport error: an endpoint that cannot be reached is [`Fault::Unusable`]
/// (not retried); a failure during an exchange is a retryable [`Fault::Transport`].
fn transport_fault(t: &ureq::Transport) -> Fault {
    use std::error::Error as _;
    let io = t
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    match t.kind() {
        ureq::ErrorKind::Dns => Fault::Unusable("host name not found".into()),
        ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
            Fault::Unusable("not a valid http:// or https:// URL".into())
        }
        ureq::ErrorKind::ConnectionFailed => Fault::Unusable(
            io.map_or("cannot connect (TLS or proxy failure)", io_words)
                .to_string(),
        ),
        _ => Fault::Transport(io.map_or_else(|| t.kind().to_string(), |k| io_words(k).into())),
    }
}

/// Classifies an HTTP error status: rate limits (429, `Retry-After`, TronGrid's "frequency
/// limit" bodies), a refused API key (401/403), a server without the TRON API (404, 405, 501:
/// not retried), else a retryable HTTP fault.
fn status_fault(code: u16, resp: ureq::Response) -> Fault {
    let retry_after = resp
        .header("Retry-After")
        .and_then(|s| s.trim().parse::<u64>().ok());
    let text = resp.into_string().unwrap_or_default();
    let limited = code == 429
        || retry_after.is_some()
        || text.contains("frequency limit")
        || text.contains("suspended for");
    if limited {
        let secs = retry_after
            .or_else(|| BodyError::Error(text.clone()).suspended_for())
            .unwrap_or(1);
        return Fault::RateLimited(
            format!("HTTP {code} rate limited: {}", snippet(&text)),
            Duration::from_secs(secs),
        );
    }
    match code {
        401 | 403 => Fault::Auth(format!(
            "HTTP {code}: {} (check the API key: TRON_PRO_API_KEY, or api_key_env in the config)",
            snippet(&text)
        )),
        404 | 405 | 501 => Fault::Unusable(format!(
            "HTTP {code}: no TRON HTTP API at this URL (check the address and port)"
        )),
        _ => Fault::Http(format!("HTTP {code}: {}", snippet(&text))),
    }
}

fn backoff(attempt: u32) -> Duration {
    let base = 150u64.saturating_mul(1 << attempt.min(5)).min(4_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    Duration::from_millis(base / 2 + nanos % (base / 2 + 1))
}

/// Reads an answer body of at most `cap` bytes before `until`. A body announced or found larger,
/// one that stops mid-way, or one still arriving at `until` is a (retried) fault.
fn read_body(
    resp: ureq::Response,
    cap: u64,
    until: Instant,
    answer: Duration,
) -> Result<String, Fault> {
    let oversized = |what: &str| {
        Fault::Transport(format!(
            "answer {what} larger than the {} MiB cap for this call (config `[http]`)",
            cap.div_ceil(MIB)
        ))
    };
    let announced = resp
        .header("Content-Length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > cap) {
        return Err(oversized("announced"));
    }
    let mut reader = resp.into_reader();
    let mut body = Vec::with_capacity(announced.unwrap_or(0).min(MIB) as usize);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if Instant::now() >= until {
            return Err(Fault::Transport(format!(
                "the answer had not arrived in full after {}s (or the --timeout passed)",
                answer.as_secs()
            )));
        }
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                body.extend_from_slice(&chunk[..n]);
                if body.len() as u64 > cap {
                    return Err(oversized("body"));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Fault::Transport(format!(
                    "reading the body: {}",
                    io_words(e.kind())
                )))
            }
        }
    }
    String::from_utf8(body).map_err(|_| Fault::Transport("answer is not UTF-8 text".into()))
}

fn snippet(s: &str) -> String {
    s.chars().take(160).collect::<String>().replace('\n', " ")
}

impl Node {
    /// A client over `endpoints` (failing over in order).
    pub fn new(endpoints: Vec<String>, opts: NodeOpts) -> Result<Node> {
        if endpoints.is_empty() {
            return Err(BcError::Input(
                "no node endpoint: pass --node URL, set `nodes` in the config, or use --network mainnet|nile|shasta".into(),
            ));
        }
        // No agent-wide overall timeout: each request gets its own (see `Node::send`), so a
        // single read is bounded by `read` and the whole answer by `answer` and the deadline.
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(opts.http.connect)
            .timeout_read(opts.http.read)
            .timeout_write(opts.http.read)
            .max_idle_connections_per_host(32)
            .build();
        Ok(Node {
            endpoints: endpoints
                .into_iter()
                .map(|url| Endpoint {
                    url: url.trim_end_matches('/').to_string(),
                    checked: OnceLock::new(),
                    solid: AtomicU64::new(0),
                })
                .collect(),
            agent,
            limiter: Limiter::new(opts.max_rps),
            genesis: Mutex::new(opts.genesis),
            opts,
            preferred: AtomicUsize::new(0),
            calls: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            fault_kinds: Mutex::new(std::collections::BTreeMap::new()),
            params: OnceLock::new(),
            deadline: Mutex::new(None),
        })
    }

    /// HTTP requests sent so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Answers rejected as faults so far.
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }

    /// Faults so far by kind (`transport`, `http`, `rate_limited`, `unreachable`,
    /// `invalid_answer`), every kind listed.
    pub fn faults_by_kind(&self) -> Vec<(&'static str, u64)> {
        let seen = self
            .fault_kinds
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        [
            "transport",
            "http",
            "rate_limited",
            "unreachable",
            "invalid_answer",
        ]
        .into_iter()
        .map(|k| (k, seen.get(k).copied().unwrap_or(0)))
        .collect()
    }

    /// The genesis blockID the endpoints were checked against (learned on first contact for a
    /// local journal).
    pub fn genesis(&self) -> Option<[u8; 32]> {
        *self.genesis.lock().expect("genesis")
    }

    /// After `at`, calls stop retrying and fail with [`BcError::Timeout`] (`track --timeout`).
    pub fn set_deadline(&self, at: Option<std::time::Instant>) {
        *self.deadline.lock().expect("deadline") = at;
    }

    fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().expect("deadline")
    }

    fn past_deadline(&self) -> Option<BcError> {
        let d = self.deadline()?;
        (Instant::now() >= d).then(|| {
            BcError::Timeout("the --timeout passed while waiting for a usable node answer".into())
        })
    }

    /// Sleeps `wait`, or until the deadline when that comes first.
    fn sleep_within_deadline(&self, wait: Duration) {
        let wait = self.deadline().map_or(wait, |d| {
            wait.min(d.saturating_duration_since(Instant::now()))
        });
        std::thread::sleep(wait);
    }

    /// The network this client was opened for.
    pub fn network(&self) -> Network {
        self.opts.network
    }

    /// Parallel calls allowed.
    pub fn concurrency(&self) -> usize {
        self.opts.concurrency.max(1)
    }

    /// Runs `f` over `items` with bounded concurrency, results in input order.
    pub fn par_map<I: Sync, R: Send>(&self, items: &[I], f: impl Fn(&I) -> R + Sync) -> Vec<R> {
        let n = self.concurrency().min(items.len().max(1));
        if n <= 1 {
            return items.iter().map(&f).collect();
        }
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    *slots[i].lock().expect("slot") = Some(r);
                });
            }
        });
        slots
            .into_iter()
            .map(|m| m.into_inner().expect("slot").expect("every item ran"))
            .collect()
    }

    /// One HTTP exchange, bounded: the limiter's slot must come before the deadline, the
    /// answer must arrive within `answer` (and the deadline) and fit the path's size cap.
    fn send(&self, ep: &Endpoint, path: &str, body: &Value) -> Result<String, Fault> {
        let deadline = self.deadline();
        if !self.limiter.acquire_until(deadline) {
            return Err(Fault::Fatal(BcError::Timeout(
                "the --timeout passed while waiting for the node's rate limit".into(),
            )));
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        let limits = self.opts.http;
        let start = Instant::now();
        let until = deadline.map_or(start + limits.answer, |d| d.min(start + limits.answer));
        let url = format!("{}{path}", ep.url);
        let mut req = self.agent.post(&url);
        // Within one read timeout of the end, the end bounds every read (ureq applies an
        // overall timeout to each socket read); otherwise each read is bounded by `read` and
        // the body loop below checks the end between reads.
        let left = until.saturating_duration_since(start);
        if left < limits.read {
            req = req.timeout(left.max(Duration::from_millis(1)));
        }
        if let Some(k) = &self.opts.api_key {
            req = req.set("TRON-PRO-API-KEY", k);
        }
        match req.send_json(body.clone()) {
            Ok(resp) => read_body(resp, limits.cap_for(path), until, limits.answer),
            Err(ureq::Error::Status(code, resp)) => Err(status_fault(code, resp)),
            Err(ureq::Error::Transport(t)) => Err(transport_fault(&t)),
        }
    }

    fn fault_wait(&self, attempt: u32, fault: &Fault) -> Duration {
        match fault {
            Fault::RateLimited(_, wait) => {
                let wait = (*wait).min(self.opts.max_wait);
                self.limiter.pushed_back(wait);
                wait
            }
            _ => backoff(attempt),
        }
    }

    /// The endpoint for this try, among those not `skip`ped (unusable for this call). With
    /// `need`, endpoints known to be behind that block are skipped while another one may have
    /// it (a lagging member is not asked for what it cannot know; the view stays monotonic).
    fn endpoint(
        &self,
        attempt: u32,
        need: Option<u64>,
        skip: &[Option<String>],
    ) -> Option<(usize, &Endpoint)> {
        let n = self.endpoints.len();
        let first = self.preferred.load(Ordering::Relaxed) + attempt as usize;
        let behind = |ep: &Endpoint| {
            need.is_some_and(|h| {
                let s = ep.solid.load(Ordering::Relaxed);
                s != 0 && s < h
            })
        };
        let order = (0..n)
            .map(|k| (first + k) % n)
            .filter(|i| skip[*i].is_none());
        order
            .clone()
            .find(|i| !behind(&self.endpoints[*i]))
            .or_else(|| order.clone().next())
            .map(|i| (i, &self.endpoints[i]))
    }

    /// The error when no endpoint can serve a call: each URL once, with why.
    fn unreachable(&self, why: &[Option<String>]) -> BcError {
        let each: Vec<String> = self
            .endpoints
            .iter()
            .zip(why)
            .map(|(ep, w)| format!("{} ({})", ep.url, w.as_deref().unwrap_or("?")))
            .collect();
        BcError::Node(format!(
            "node unreachable: {}; check --node / `nodes` in the config, and that the node is running",
            each.join(", ")
        ))
    }

    fn demote(&self, i: usize) {
        let _ = self.preferred.compare_exchange(
            i,
            (i + 1) % self.endpoints.len(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Asks `path` until `check` accepts an answer, retrying faults (transport, 5xx, 429, non-JSON,
    /// error bodies, answers the check rejects) with backoff and failover.
    pub fn get<T>(
        &self,
        path: &str,
        body: &Value,
        check: impl Fn(std::result::Result<Value, BodyError>) -> Verdict<T>,
    ) -> Result<T> {
        self.get_from(path, body, None, check).map(|(t, _)| t)
    }

    /// [`Node::get`] preferring endpoints that have shown solidified block `need`; returns which
    /// endpoint answered. An endpoint that cannot serve the call ([`Fault::Unusable`]) is not
    /// asked again in this call; when none is left the call fails at once.
    fn get_from<T>(
        &self,
        path: &str,
        body: &Value,
        need: Option<u64>,
        check: impl Fn(std::result::Result<Value, BodyError>) -> Verdict<T>,
    ) -> Result<(T, usize)> {
        let mut last = String::new();
        let mut unusable: Vec<Option<String>> = vec![None; self.endpoints.len()];
        let mut attempt = 0;
        while attempt < self.opts.max_attempts {
            if let Some(e) = self.past_deadline() {
                return Err(e);
            }
            let Some((i, ep)) = self.endpoint(attempt, need, &unusable) else {
                return Err(self.unreachable(&unusable));
            };
            let (fault, at) = match self.ensure_network(ep) {
                Err(BindError::Fatal(e)) => return Err(e),
                Err(BindError::Unusable(m)) => (Fault::Unusable(m), "/wallet/getblockbynum"),
                Err(BindError::Fault(m)) => (Fault::Transport(m), "/wallet/getblockbynum"),
                Ok(()) => match self.answer(ep, path, body, &check) {
                    Ok(t) => return Ok((t, i)),
                    Err(Fault::Auth(m)) => {
                        return Err(BcError::Node(format!("{}{path}: {m}", ep.url)))
                    }
                    Err(Fault::Fatal(e)) => return Err(e),
                    Err(f) => (f, path),
                },
            };
            self.faults.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut m) = self.fault_kinds.lock() {
                *m.entry(fault.kind()).or_insert(0) += 1;
            }
            self.demote(i);
            if let Fault::Unusable(m) = fault {
                unusable[i] = Some(m);
                continue;
            }
            let wait = self.fault_wait(attempt, &fault);
            last = format!("{}{at}: {}", ep.url, fault.into_message());
            attempt += 1;
            if attempt < self.opts.max_attempts {
                self.sleep_within_deadline(wait);
            }
        }
        Err(BcError::Node(format!(
            "{path}: no usable answer after {} tries across {} endpoint(s); last: {last}",
            self.opts.max_attempts,
            self.endpoints.len()
        )))
    }

    /// One request and the caller's check of its answer. A `Verdict::Fail` is returned as the
    /// error to give up with ([`Fault::Auth`] is kept for the caller).
    fn answer<T>(
        &self,
        ep: &Endpoint,
        path: &str,
        body: &Value,
        check: &impl Fn(std::result::Result<Value, BodyError>) -> Verdict<T>,
    ) -> std::result::Result<T, Fault> {
        let answer = throttled(classify(&self.send(ep, path, body)?))?;
        match check(answer) {
            Verdict::Ok(t) => {
                self.limiter.succeeded();
                Ok(t)
            }
            Verdict::Fail(e) => Err(Fault::Fatal(e)),
            Verdict::Retry(why) => Err(Fault::Invalid(why)),
        }
    }

    /// [`Node::get`] with the answer parsed into `T`; any error body is a fault.
    pub fn get_typed<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T> {
        self.get(path, body, |r| match r {
            Err(e) => Verdict::Retry(e.to_string()),
            Ok(v) => match from_object::<T>(v) {
                Ok(t) => Verdict::Ok(t),
                Err(e) => Verdict::Retry(e),
            },
        })
    }

    /// Binds an endpoint to the network on first contact: block 0 must be the genesis block.
    fn ensure_network(&self, ep: &Endpoint) -> std::result::Result<(), BindError> {
        if ep.checked.get().is_some() {
            return Ok(());
        }
        let mut last = String::new();
        for attempt in 0..4 {
            let text = match self.send(ep, "/wallet/getblockbynum", &json!({"num": 0})) {
                Ok(t) => t,
                Err(Fault::Auth(m)) => {
                    return Err(BindError::Fatal(BcError::Node(format!("{}: {m}", ep.url))))
                }
                Err(Fault::Unusable(m)) => return Err(BindError::Unusable(m)),
                Err(Fault::Fatal(e)) => return Err(BindError::Fatal(e)),
                Err(f) => {
                    let wait = self.fault_wait(attempt, &f);
                    last = f.into_message();
                    if let Some(e) = self.past_deadline() {
                        return Err(BindError::Fatal(e));
                    }
                    self.sleep_within_deadline(wait);
                    continue;
                }
            };
            // The header is verified (its blockID re-derives from it); the genesis block's
            // transaction list (the initial allocations) is not needed to name the chain.
            let id = match classify(&text)
                .map_err(|e| e.to_string())
                .and_then(|v| verify_header(&v).map_err(|e| e.to_string()))
            {
                Ok((0, id)) => id,
                Ok((n, _)) => {
                    last = format!("block 0 request answered block {n}");
                    continue;
                }
                Err(e) => {
                    last = e;
                    self.sleep_within_deadline(backoff(attempt));
                    continue;
                }
            };
            return self.bind_genesis(ep, id).map_err(BindError::Fatal);
        }
        Err(BindError::Fault(format!(
            "cannot read its genesis block to check its network: {last}"
        )))
    }

    fn bind_genesis(&self, ep: &Endpoint, id: [u8; 32]) -> Result<()> {
        let mut g = self.genesis.lock().expect("genesis");
        let expected = match *g {
            Some(e) => e,
            None if self.opts.network == Network::Local && network_of_genesis(&id).is_none() => {
                *g = Some(id);
                id
            }
            None => genesis_of(self.opts.network).unwrap_or(id),
        };
        if id != expected {
            let serves = network_of_genesis(&id).map_or_else(
                || format!("another chain (genesis {})", hex::encode(id)),
                |n| n.to_string(),
            );
            return Err(BcError::WrongNetwork(format!(
                "node {} serves {serves}, but this journal is for {} (genesis {}); refusing to use it",
                ep.url,
                self.opts.network,
                hex::encode(expected)
            )));
        }
        let _ = ep.checked.set(());
        Ok(())
    }

    /// The chain parameters the fee math needs, fetched once per run. An answer without one
    /// of them is a fault (retried, failed over); when no endpoint gives them all, the error
    /// names what was missing: fees are never computed from a guessed price.
    pub fn fee_params(&self) -> Result<FeeParams> {
        if let Some(p) = self.params.get() {
            return Ok(*p);
        }
        let p = self
            .get("/wallet/getchainparameters", &json!({}), |r| match r {
                Err(e) => Verdict::Retry(e.to_string()),
                Ok(v) => match from_object::<ChainParameters>(v)
                    .and_then(|c| FeeParams::from_answer(&c))
                {
                    Ok(p) => Verdict::Ok(p),
                    Err(e) => Verdict::Retry(e),
                },
            })
            .map_err(|e| match e {
                BcError::Node(m) => BcError::Node(format!(
                    "no usable chain parameters (fees are never computed from a guessed price): {m}"
                )),
                e => e,
            })?;
        let _ = self.params.set(p);
        Ok(p)
    }

    /// The latest solidified block, verified (blockID and txTrieRoot).
    pub fn solid_head(&self) -> Result<VerifiedBlock> {
        let (b, i) = self.get_from("/walletsolidity/getnowblock", &json!({}), None, check_block)?;
        self.endpoints[i]
            .solid
            .fetch_max(b.number, Ordering::Relaxed);
        Ok(b)
    }

    /// The head block, verified.
    pub fn head_block(&self) -> Result<VerifiedBlock> {
        self.get("/wallet/getnowblock", &json!({}), check_block)
    }

    /// Solidified block `num`, verified. A node that does not have it yet is a fault.
    pub fn solid_block(&self, num: u64) -> Result<VerifiedBlock> {
        self.get_from(
            "/walletsolidity/getblockbynum",
            &json!({"num": num}),
            Some(num),
            |r| match check_block(r) {
                Verdict::Ok(b) if b.number != num => {
                    Verdict::Retry(format!("asked for block {num}, got {}", b.number))
                }
                v => v,
            },
        )
        .map(|(b, i)| {
            self.endpoints[i]
                .solid
                .fetch_max(b.number, Ordering::Relaxed);
            b
        })
    }

    /// Solidified blocks `[start, end)` (at most 100), each verified, consecutive and linked.
    /// A short or empty answer is a fault, never "no blocks".
    pub fn solid_range(&self, start: u64, end: u64) -> Result<Vec<VerifiedBlock>> {
        let (blocks, i) = self.get_from(
            "/walletsolidity/getblockbylimitnext",
            &json!({"startNum": start, "endNum": end}),
            Some(end.saturating_sub(1)),
            |r| match r {
                Err(e) => Verdict::Retry(e.to_string()),
                Ok(v) => match verify_range(&v, start, end) {
                    Ok(b) => Verdict::Ok(b),
                    Err(e) => Verdict::Retry(e.to_string()),
                },
            },
        )?;
        self.endpoints[i]
            .solid
            .fetch_max(end.saturating_sub(1), Ordering::Relaxed);
        Ok(blocks)
    }

    /// TransactionInfos of solidified block `num`; every txID in `must_have` must be among them
    /// with that block number (else the answer is a fault).
    pub fn infos_in_block(&self, num: u64, must_have: &[TxId]) -> Result<Vec<TxInfo>> {
        self.infos_in_block_checked(num, must_have, &|_| None)
            .map(|(infos, _)| infos)
    }

    /// [`Node::infos_in_block`] where `contradiction` checks each receipt of `must_have`
    /// against what the verified block says (a receipt is a claim; one that contradicts the
    /// block is a node fault, retried on another member). Returns the receipts and the URL of
    /// the endpoint that gave them.
    pub fn infos_in_block_checked(
        &self,
        num: u64,
        must_have: &[TxId],
        contradiction: &(dyn Fn(&TxInfo) -> Option<String> + Sync),
    ) -> Result<(Vec<TxInfo>, String)> {
        let (infos, i) = self.get_from(
            "/walletsolidity/gettransactioninfobyblocknum",
            &json!({"num": num}),
            None,
            |r| {
                let v = match r {
                    Ok(v) => v,
                    Err(e) => return Verdict::Retry(e.to_string()),
                };
                let infos: Vec<TxInfo> = match crate::node::answers::from_objects(v) {
                    Ok(i) => i,
                    Err(e) => return Verdict::Retry(e),
                };
                for t in must_have {
                    let hex = t.to_hex();
                    let Some(info) = infos
                        .iter()
                        .find(|i| i.id.as_deref() == Some(&hex) && i.block_number == num)
                    else {
                        return Verdict::Retry(format!(
                            "block {num}: receipt of {hex} missing from the answer"
                        ));
                    };
                    if let Some(why) = contradiction(info) {
                        return Verdict::Retry(format!(
                            "block {num}: {why} (a receipt contradicting the verified block)"
                        ));
                    }
                }
                Verdict::Ok(infos)
            },
        )?;
        Ok((infos, self.endpoints[i].url.clone()))
    }

    /// A second, independent answer for the receipts of block `num`: from another endpoint
    /// than `first` when the pool has one (each tried once), else the same endpoint asked
    /// again (a load-balanced provider answers from any member). Used to confirm what only a
    /// receipt shows; `None` when no second answer came. Returns the receipts and who gave them.
    pub fn second_infos_in_block(&self, num: u64, first: &str) -> Option<(Vec<TxInfo>, String)> {
        let path = "/walletsolidity/gettransactioninfobyblocknum";
        let body = json!({"num": num});
        let check = |r: std::result::Result<Value, BodyError>| match r
            .map_err(|e| e.to_string())
            .and_then(crate::node::answers::from_objects::<TxInfo>)
        {
            Ok(infos) => Verdict::Ok(infos),
            Err(e) => Verdict::Retry(e),
        };
        let others: Vec<&Endpoint> = self.endpoints.iter().filter(|e| e.url != first).collect();
        let candidates: Vec<&Endpoint> = if others.is_empty() {
            self.endpoints.iter().collect()
        } else {
            others
        };
        candidates.into_iter().find_map(|ep| {
            self.ensure_network(ep).ok()?;
            let infos = self.answer(ep, path, &body, &check).ok()?;
            Some((infos, ep.url.clone()))
        })
    }

    /// The solidified TransactionInfo of `txid`: `None` means *unknown* (this member has not seen
    /// it), never "absent".
    pub fn solid_tx_info(&self, txid: &TxId) -> Result<Option<TxInfo>> {
        self.get(
            "/walletsolidity/gettransactioninfobyid",
            &json!({"value": txid.to_hex()}),
            |r| match r {
                Err(e) => Verdict::Retry(e.to_string()),
                Ok(v) if is_empty_answer(&v) => Verdict::Ok(None),
                Ok(v) => match from_object::<TxInfo>(v) {
                    Ok(i) if i.id.as_deref() == Some(&txid.to_hex()) => Verdict::Ok(Some(i)),
                    Ok(_) => Verdict::Retry("answer is for another txID".into()),
                    Err(e) => Verdict::Retry(e),
                },
            },
        )
    }

    /// TRX balance (sun); an account that does not exist holds 0.
    pub fn trx_balance(&self, a: &Address) -> Result<u64> {
        let acct: Account = self.get_typed(
            "/wallet/getaccount",
            &json!({"address": a.to_base58(), "visible": true}),
        )?;
        Ok(acct.balance)
    }

    /// Account resources.
    pub fn resources(&self, a: &Address) -> Result<AccountResource> {
        self.get_typed(
            "/wallet/getaccountresource",
            &json!({"address": a.to_base58(), "visible": true}),
        )
    }

    /// Two answers for an account's resources, for a cross-check (they are node claims): from
    /// two members of the pool when it has more than one, else the same endpoint asked twice.
    /// Returns both, who gave the second, and the milliseconds between them.
    pub fn resources_twice(
        &self,
        a: &Address,
    ) -> Result<(AccountResource, AccountResource, String, u64)> {
        let path = "/wallet/getaccountresource";
        let body = json!({"address": a.to_base58(), "visible": true});
        let check = |r: std::result::Result<Value, BodyError>| match r {
            Err(e) => Verdict::Retry(e.to_string()),
            Ok(v) => match from_object::<AccountResource>(v) {
                Ok(t) => Verdict::Ok(t),
                Err(e) => Verdict::Retry(e),
            },
        };
        let started = Instant::now();
        let (first, i) = self.get_from(path, &body, None, check)?;
        let second = self
            .endpoints
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .find_map(|(_, ep)| {
                self.ensure_network(ep).ok()?;
                let r = self.answer(ep, path, &body, &check).ok()?;
                Some((r, ep.url.clone()))
            });
        let (second, who) = match second {
            Some(s) => s,
            None => (
                self.get(path, &body, check)?,
                format!("{} (asked again)", self.endpoints[i].url),
            ),
        };
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok((first, second, who, ms))
    }

    fn constant_call(&self, body: &Value, what: &str) -> Result<ConstantCall> {
        self.get("/wallet/triggerconstantcontract", body, |r| match r {
            Err(e) => Verdict::Retry(e.to_string()),
            Ok(v) => match from_object::<ConstantCall>(v) {
                Err(e) => Verdict::Retry(e),
                Ok(c) => match c.revert() {
                    Some(rv) => Verdict::Fail(BcError::Node(format!(
                        "{what} reverted: {}",
                        rv.reason.unwrap_or(rv.message)
                    ))),
                    None => Verdict::Ok(c),
                },
            },
        })
    }

    /// TRC-20 balanceOf via triggerconstantcontract. An empty or malformed word is a fault.
    pub fn token_balance(&self, token: &Address, who: &Address) -> Result<U256> {
        let body = json!({
            "owner_address": who.to_base58(),
            "contract_address": token.to_base58(),
            "function_selector": "balanceOf(address)",
            "parameter": hex::encode(coldpay_shared::abi::address_word(who)),
            "visible": true,
        });
        for _ in 0..3 {
            let c = self.constant_call(&body, &format!("balanceOf({who}) on {token}"))?;
            match c.word() {
                Ok(Some(w)) => return Ok(U256::from_be_bytes(w)),
                Ok(None) | Err(_) => self.faults.fetch_add(1, Ordering::Relaxed),
            };
        }
        Err(BcError::Node(format!(
            "balanceOf({who}) on {token}: the node returned no 32-byte balance word three times"
        )))
    }

    /// Energy a TRC-20 transfer needs: estimateenergy, else triggerconstantcontract's
    /// `energy_used` (which already includes the dynamic-energy penalty). An estimate outside
    /// `band` is a node fault (retried, failed over) and noted in `seen`; when no endpoint
    /// answers plausibly the error says so (the caller names the payouts).
    pub fn estimate_transfer_energy(
        &self,
        from: &Address,
        token: &Address,
        to: &Address,
        value: U256,
        band: &Band,
        seen: &Seen,
    ) -> Result<u64> {
        let plausible = |e: u64| {
            if band.contains(e) {
                Verdict::Ok(Some(e))
            } else {
                seen.note(e);
                Verdict::Retry(format!(
                    "implausible energy estimate {e}: {}",
                    band.describe()
                ))
            }
        };
        let parameter = hex::encode(
            [
                coldpay_shared::abi::address_word(to).to_vec(),
                value.to_be_bytes::<32>().to_vec(),
            ]
            .concat(),
        );
        let body = json!({
            "owner_address": from.to_base58(),
            "contract_address": token.to_base58(),
            "function_selector": "transfer(address,uint256)",
            "parameter": parameter,
            "visible": true,
        });
        let unsupported = self.get("/wallet/estimateenergy", &body, |r| match r {
            Err(BodyError::Result { message, .. })
                if message.contains("does not support estimate energy") =>
            {
                Verdict::Ok(None)
            }
            Err(BodyError::Result { code, message }) if code == "CONTRACT_EXE_ERROR" => {
                Verdict::Fail(BcError::Node(format!(
                    "transfer of {value} to {to} would fail: {code}: {message}"
                )))
            }
            Err(e) => Verdict::Retry(e.to_string()),
            Ok(v) => match from_object::<EnergyEstimate>(v) {
                Ok(e) if e.result.result => plausible(e.energy_required),
                Ok(_) => Verdict::Retry("estimate without result true".into()),
                Err(e) => Verdict::Retry(e),
            },
        })?;
        if let Some(e) = unsupported {
            return Ok(e);
        }
        for _ in 0..self.opts.max_attempts {
            let c = self.constant_call(&body, &format!("transfer to {to}"))?;
            if band.contains(c.energy_used) {
                return Ok(c.energy_used);
            }
            seen.note(c.energy_used);
            self.faults.fetch_add(1, Ordering::Relaxed);
            if let Some(e) = self.past_deadline() {
                return Err(e);
            }
        }
        Err(BcError::Node(format!(
            "triggerconstantcontract: no plausible energy in {} answers; {}",
            self.opts.max_attempts,
            band.describe()
        )))
    }

    /// Broadcasts signed bytes with /wallet/broadcasthex. Transient refusals (SERVER_BUSY, …)
    /// and transport faults are retried with the *same* bytes; the node's txid must equal ours.
    pub fn broadcast_hex(&self, signed: &[u8], txid: &TxId) -> Result<BroadcastResult> {
        let body = json!({"transaction": hex::encode(signed)});
        let ours = txid.to_hex();
        self.get("/wallet/broadcasthex", &body, |r| {
            let a: BroadcastAnswer = match r {
                Ok(v) => match from_object(v) {
                    Ok(a) => a,
                    Err(e) => return Verdict::Retry(e),
                },
                Err(BodyError::Result { code, message }) => BroadcastAnswer {
                    result: false,
                    code: Some(code),
                    message: Some(message),
                    txid: None,
                },
                Err(e) => return Verdict::Retry(e.to_string()),
            };
            classify_broadcast(a, &ours)
        })
    }
}

fn classify_broadcast(a: BroadcastAnswer, ours: &str) -> Verdict<BroadcastResult> {
    let code = a
        .code
        .clone()
        .unwrap_or_else(|| if a.result { "SUCCESS" } else { "OTHER_ERROR" }.into());
    let message = decode_message(a.message.as_deref().unwrap_or(""));
    if let Some(t) = a.txid.as_deref().filter(|t| !t.is_empty()) {
        if !t.eq_ignore_ascii_case(ours) {
            return Verdict::Fail(BcError::Node(format!(
                "the node computed txid {t} for transaction {ours}: it decodes the bytes differently; not trusting this node's answer"
            )));
        }
    }
    if TRANSIENT_CODES.contains(&code.as_str()) {
        return Verdict::Retry(format!("{code}: {message}"));
    }
    if code == "SUCCESS" && !a.result && a.code.is_none() {
        return Verdict::Retry("broadcast answer without result or code".into());
    }
    let accepted = a.result || code == "SUCCESS" || code == "DUP_TRANSACTION_ERROR";
    Verdict::Ok(BroadcastResult {
        accepted,
        code,
        message,
    })
}

/// An HTTP 200 error body that asks us to wait ("... suspended for 30s") is a rate limit: the
/// whole run slows down, not just this call.
fn throttled(
    r: std::result::Result<Value, BodyError>,
) -> std::result::Result<std::result::Result<Value, BodyError>, Fault> {
    match &r {
        Err(e) => match e.suspended_for() {
            Some(secs) => Err(Fault::RateLimited(
                format!("rate limited: {e}"),
                Duration::from_secs(secs),
            )),
            None => Ok(r),
        },
        Ok(_) => Ok(r),
    }
}

fn check_block(r: std::result::Result<Value, BodyError>) -> Verdict<VerifiedBlock> {
    match r {
        Err(e) => Verdict::Retry(e.to_string()),
        Ok(v) => match verify_block(&v) {
            Ok(b) => Verdict::Ok(b),
            Err(e) => Verdict::Retry(e.to_string()),
        },
    }
}

/// A 32-byte value from 64 hex characters (blockIDs and txIDs kept as text in the journal).
pub fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok().map(|()| out)
}

/// Parses an answer as `T` (tests and one-off tools); the answer must be a JSON object.
pub fn parse_answer<T: DeserializeOwned>(text: &str) -> std::result::Result<T, String> {
    from_object(classify(text).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(v: Value, ours: &str) -> std::result::Result<BroadcastResult, String> {
        match classify_broadcast(serde_json::from_value(v).unwrap(), ours) {
            Verdict::Ok(r) => Ok(r),
            Verdict::Retry(m) => Err(format!("retry {m}")),
            Verdict::Fail(e) => Err(format!("fail {e}")),
        }
    }

    #[test]
    fn broadcasts_are_classified() {
        let t = "aa".repeat(32);
        let ok = verdict(json!({"result": true, "txid": t}), &t).unwrap();
        assert!(ok.accepted && ok.code == "SUCCESS");
        let dup = verdict(json!({"code": "DUP_TRANSACTION_ERROR", "txid": t}), &t).unwrap();
        assert!(dup.accepted);
        let sig = verdict(
            json!({"code": "SIGERROR", "message": "56616c6964617465207369676e6174757265206572726f72", "txid": t}),
            &t,
        )
        .unwrap();
        assert!(!sig.accepted);
        assert_eq!(sig.message, "Validate signature error");
        assert!(verdict(json!({"code": "SERVER_BUSY"}), &t)
            .unwrap_err()
            .starts_with("retry"));
        assert!(
            verdict(json!({"result": true, "txid": "bb".repeat(32)}), &t)
                .unwrap_err()
                .starts_with("fail")
        );
    }
}
