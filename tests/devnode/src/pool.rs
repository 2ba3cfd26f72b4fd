//! A fault proxy that behaves like a load-balanced TronGrid node pool in front of a dev node.
//!
//! Every request is forwarded to the upstream node (method, path and query, body and the
//! `TRON-PRO-API-KEY` header) and its answer returned unchanged, unless a fault fires. The
//! faults imitate what clients meet behind a public load balancer: members that have not seen
//! a block or transaction yet, members lagging behind, answers without transactions, proxy
//! error pages, rate limits, swallowed broadcasts, blocks from a fork, and a solidified head
//! that stops moving. See docs/devnode.md ("Pool proxy").
//!
//! Per request the faults are decided in this order: rate limit, HTTP error, garbage, then the
//! endpoint-specific ones (swallow, empty, lag and stall, fork, stripped transactions).

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coldpay_shared::wire::{put_bytes_field, put_uint_field};
use coldpay_shared::{Address, SignedTransaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::http::{Request, Response};
use sha2::{Digest, Sha256};

/// Fault settings of the pool proxy. Rates are probabilities per request (0.0 = never,
/// 1.0 = always).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolFaults {
    /// Block and transaction lookups answered by a member that has not seen the object:
    /// `{}` (or `[]` for gettransactioninfobyblocknum).
    pub empty_rate: f64,
    /// Block and transaction lookups answered by an honest member `lag_blocks` behind.
    pub lag_rate: f64,
    /// How many blocks a lagging member is behind (head and solidified head).
    pub lag_blocks: u64,
    /// Block answers have every block's `transactions` removed (headers kept).
    pub strip_txs_rate: f64,
    /// HTTP 200 with a body that is not the answer (truncated JSON, proxy HTML page, plain
    /// text, TronGrid errors). Never applied to broadcasts.
    pub garbage_rate: f64,
    /// HTTP 500/502/503 with an HTML or JSON body; the request is not forwarded.
    pub http_error_rate: f64,
    /// Requests per second above which HTTP 429 with `Retry-After: 1` is returned.
    pub rate_limit_per_s: Option<u32>,
    /// Delay before every API answer (ms).
    pub latency_ms: u64,
    /// Extra random delay, uniform in `[0, latency_jitter_ms]` (ms).
    pub latency_jitter_ms: u64,
    /// `broadcasthex` answered with java-tron's success but never forwarded.
    pub swallow_rate: f64,
    /// `getnowblock` answered with a self-consistent block at the same height that is not
    /// on the chain.
    pub fork_rate: f64,
    /// The solidified head stops where it was when this flag was first seen.
    pub stall_solid: bool,
    /// RNG seed; 0 = time-based. Setting a non-zero seed restarts the random sequence.
    pub seed: u64,
    /// Receipts (`gettransactioninfobyid` / `byblocknum`) of successful transactions answered
    /// as failed: `result: FAILED`, `receipt.result: REVERT`, a revert message. The block
    /// still says SUCCESS.
    pub forge_receipt_rate: f64,
    /// Receipts whose `blockNumber` is one more than the block that holds the transaction.
    pub receipt_block_rate: f64,
    /// Receipts whose `id` names another txID.
    pub receipt_id_rate: f64,
    /// Receipts carrying a TRC-20 `Transfer` log get an extra one of the same token:
    /// `Transfer(X → the first log's sender, 1,000,000 tokens)` (a deposit that never happened).
    pub forge_log_rate: f64,
    /// Receipts carrying a TRC-20 `Transfer` log have its amount changed (the log disagrees
    /// with the transaction's own call).
    pub log_mismatch_rate: f64,
}

/// Block and transaction lookups (both `/wallet` and `/walletsolidity`).
const LOOKUPS: &[&str] = &[
    "getnowblock",
    "getblockbynum",
    "getblock",
    "getblockbylimitnext",
    "gettransactionbyid",
    "gettransactioninfobyid",
    "gettransactioninfobyblocknum",
];

/// Endpoints whose answer is a block or a list of blocks.
const BLOCK_ANSWERS: &[&str] = &[
    "getnowblock",
    "getblockbynum",
    "getblock",
    "getblockbylimitnext",
];

/// Endpoints that may answer "this node does not support estimate energy".
const CONTRACT_CALLS: &[&str] = &[
    "triggerconstantcontract",
    "estimateenergy",
    "triggersmartcontract",
];

/// Broadcast endpoints (never garbled).
const BROADCASTS: &[&str] = &["broadcasthex", "broadcasttransaction"];

/// Idle upstream connections kept per host.
const UPSTREAM_IDLE: usize = 16;

/// TronGrid's answer to a key over its frequency limit.
const FREQUENCY_LIMIT_30: &str =
    "The key exceeds the frequency limit(30), and the query server is suspended for 30s";
/// An overloaded java-tron node.
const LACK_OF_RESOURCES: &str =
    "class java.lang.IllegalAccessException : lack of computing resources";
/// A member without vm.estimateEnergy / vm.supportConstant.
const NO_ESTIMATE: &str = "Contract validate error : this node does not support estimate energy";

/// One HTTP answer.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    body: String,
    content_type: String,
    retry_after: Option<String>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply::text(status, v.to_string(), "application/json")
    }

    fn text(status: u16, body: String, content_type: &str) -> Reply {
        Reply {
            status,
            body,
            content_type: content_type.to_string(),
            retry_after: None,
        }
    }

    fn value(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// One incoming API request, read once.
struct Incoming {
    method: String,
    /// Path and query.
    url: String,
    path: String,
    /// Last path segment (`getnowblock`).
    name: String,
    /// `/wallet` or `/walletsolidity`.
    prefix: String,
    body: String,
    api_key: Option<String>,
    content_type: Option<String>,
    /// Body JSON object merged with the query parameters.
    params: Map<String, Value>,
}

impl Incoming {
    fn solidity(&self) -> bool {
        self.prefix == "/walletsolidity"
    }

    fn visible(&self) -> bool {
        match self.params.get("visible") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    fn is(&self, names: &[&str]) -> bool {
        names.contains(&self.name.as_str())
    }
}

struct State {
    upstream: String,
    agent: ureq::Agent,
    faults: Mutex<PoolFaults>,
    rng: Mutex<u64>,
    window: Mutex<(Instant, u32)>,
    /// Solidified head number frozen by `stall_solid`.
    stalled: Mutex<Option<u64>>,
    garbage_turn: AtomicU64,
    fired: Mutex<BTreeMap<String, u64>>,
    paths: Mutex<BTreeMap<String, u64>>,
}

/// A running pool proxy. Dropping it stops the server.
pub struct Pool {
    state: Arc<State>,
    server: crate::http::Server,
}

impl Pool {
    /// Starts the proxy on 127.0.0.1 (any free port) in front of `upstream_url`
    /// (`http://127.0.0.1:PORT` of a dev node).
    pub fn start(upstream_url: String, faults: PoolFaults) -> std::io::Result<Pool> {
        Pool::start_on_port(upstream_url, faults, 0)
    }

    /// Like [`Pool::start`], on 127.0.0.1:`port` (0 = any free port).
    pub fn start_on_port(
        upstream_url: String,
        faults: PoolFaults,
        port: u16,
    ) -> std::io::Result<Pool> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .max_idle_connections_per_host(UPSTREAM_IDLE)
            .build();
        let state = Arc::new(State {
            upstream: upstream_url.trim_end_matches('/').to_string(),
            agent,
            faults: Mutex::new(PoolFaults::default()),
            rng: Mutex::new(crate::now_ms() | 1),
            window: Mutex::new((Instant::now(), 0)),
            stalled: Mutex::new(None),
            garbage_turn: AtomicU64::new(0),
            fired: Mutex::new(BTreeMap::new()),
            paths: Mutex::new(BTreeMap::new()),
        });
        state.set_faults(faults);
        let server = {
            let st = state.clone();
            crate::http::Server::start(listener, Arc::new(move |req| handle(&st, &req)))?
        };
        Ok(Pool { state, server })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port())
    }

    /// Replaces the fault settings (same as `POST /admin/pool-faults`).
    pub fn set_faults(&self, faults: PoolFaults) {
        self.state.set_faults(faults);
    }

    /// The current fault settings.
    pub fn faults(&self) -> PoolFaults {
        self.state.faults.lock().expect("faults").clone()
    }

    /// Counts of faults fired per kind and of API requests per path (same as
    /// `GET /admin/pool-stats`).
    pub fn stats(&self) -> Value {
        self.state.stats()
    }
}

impl State {
    fn set_faults(&self, faults: PoolFaults) {
        if faults.seed != 0 {
            *self.rng.lock().expect("rng") = faults.seed;
        }
        let mut stalled = self.stalled.lock().expect("stalled");
        if !faults.stall_solid {
            *stalled = None;
        } else if stalled.is_none() {
            *stalled = self.upstream_solid();
        }
        drop(stalled);
        *self.faults.lock().expect("faults") = faults;
    }

    fn stats(&self) -> Value {
        let fired = self.fired.lock().expect("fired").clone();
        let paths = self.paths.lock().expect("paths").clone();
        json!({"faults": fired, "requests": paths, "total": paths.values().sum::<u64>()})
    }

    fn random(&self) -> f64 {
        let mut s = self.rng.lock().expect("rng");
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `rate` (no random draw when the rate is 0).
    fn roll(&self, rate: f64) -> bool {
        rate > 0.0 && self.random() < rate
    }

    fn fired(&self, kind: &str) {
        *self
            .fired
            .lock()
            .expect("fired")
            .entry(kind.to_string())
            .or_insert(0) += 1;
    }

    /// Sends a request to the upstream node and returns its answer, whatever the status.
    fn send(
        &self,
        method: &str,
        url: &str,
        body: &str,
        api_key: Option<&str>,
        ctype: Option<&str>,
    ) -> Reply {
        let mut r = self
            .agent
            .request(method, &format!("{}{url}", self.upstream));
        if let Some(k) = api_key {
            r = r.set("TRON-PRO-API-KEY", k);
        }
        if let Some(c) = ctype {
            r = r.set("Content-Type", c);
        }
        let result = if body.is_empty() && method.eq_ignore_ascii_case("GET") {
            r.call()
        } else {
            r.send_string(body)
        };
        let resp = match result {
            Ok(resp) | Err(ureq::Error::Status(_, resp)) => resp,
            Err(e) => {
                return Reply::json(502, &json!({"Error": format!("upstream unreachable: {e}")}))
            }
        };
        let status = resp.status();
        let content_type = resp.content_type().to_string();
        let retry_after = resp.header("Retry-After").map(str::to_string);
        let mut body = String::new();
        let _ = resp
            .into_reader()
            .take(256 * 1024 * 1024)
            .read_to_string(&mut body);
        Reply {
            status,
            body,
            content_type,
            retry_after,
        }
    }

    /// Forwards the incoming request unchanged.
    fn forward(&self, inc: &Incoming) -> Reply {
        self.send(
            &inc.method,
            &inc.url,
            &inc.body,
            inc.api_key.as_deref(),
            inc.content_type.as_deref(),
        )
    }

    /// POSTs a JSON body to an upstream API path (helper lookups), with the caller's key.
    fn post(&self, path: &str, body: &Value, api_key: Option<&str>) -> Option<Value> {
        let r = self.send(
            "POST",
            path,
            &body.to_string(),
            api_key,
            Some("application/json"),
        );
        (r.status == 200).then(|| r.value()).flatten()
    }

    fn upstream_number(&self, path: &str, api_key: Option<&str>) -> Option<u64> {
        self.post(path, &json!({}), api_key)
            .as_ref()
            .and_then(block_number)
    }

    fn upstream_solid(&self) -> Option<u64> {
        self.upstream_number("/walletsolidity/getnowblock", None)
    }

    /// Handles one API request (not `/admin/`).
    fn handle(&self, inc: &Incoming) -> Reply {
        *self
            .paths
            .lock()
            .expect("paths")
            .entry(inc.path.clone())
            .or_insert(0) += 1;
        let faults = self.faults.lock().expect("faults").clone();
        if let Some(r) = self.rate_limit(&faults) {
            return r;
        }
        self.latency(&faults);
        if self.roll(faults.http_error_rate) {
            return self.http_error();
        }
        if !inc.is(BROADCASTS) && self.roll(faults.garbage_rate) {
            return self.garbage(inc);
        }
        if inc.name == "broadcasthex" && self.roll(faults.swallow_rate) {
            if let Some(r) = self.swallow(inc) {
                return r;
            }
        }
        if !inc.is(LOOKUPS) {
            return self.forward(inc);
        }
        if inc.name != "getnowblock" && self.roll(faults.empty_rate) {
            return self.empty(inc);
        }
        let mut reply = match self.member_limit(inc, &faults) {
            Some(limit) => self.limited(inc, limit),
            None => self.forward(inc),
        };
        if inc.name == "getnowblock" && self.roll(faults.fork_rate) {
            reply = self.fork(inc, reply);
        }
        if inc.is(BLOCK_ANSWERS) && self.roll(faults.strip_txs_rate) {
            reply = self.strip_txs(reply);
        }
        if inc.is(RECEIPTS) {
            reply = self.forge_receipts(&faults, reply);
        }
        reply
    }

    /// The receipt faults (`forge_receipt_rate`, `receipt_block_rate`, `receipt_id_rate`,
    /// `forge_log_rate`, `log_mismatch_rate`): each rolled once per answer and applied to every
    /// receipt in it.
    fn forge_receipts(&self, faults: &PoolFaults, reply: Reply) -> Reply {
        type Forge = fn(&mut Map<String, Value>) -> bool;
        let kinds: [(&str, f64, Forge); 5] = [
            ("forge_receipt", faults.forge_receipt_rate, forge_failed),
            (
                "receipt_block",
                faults.receipt_block_rate,
                forge_block_number,
            ),
            ("receipt_id", faults.receipt_id_rate, forge_id),
            ("forge_log", faults.forge_log_rate, forge_extra_log),
            ("log_mismatch", faults.log_mismatch_rate, forge_log_amount),
        ];
        let chosen: Vec<(&str, Forge)> = kinds
            .iter()
            .filter(|(_, rate, _)| self.roll(*rate))
            .map(|(k, _, f)| (*k, *f))
            .collect();
        if chosen.is_empty() {
            return reply;
        }
        let Some(mut v) = reply.value() else {
            return reply;
        };
        let receipts: Vec<&mut Map<String, Value>> = match &mut v {
            Value::Array(items) => items.iter_mut().filter_map(Value::as_object_mut).collect(),
            Value::Object(m) if !m.is_empty() => vec![m],
            _ => Vec::new(),
        };
        let mut changed = Vec::new();
        for r in receipts {
            for (kind, forge) in &chosen {
                if forge(r) {
                    changed.push(*kind);
                }
            }
        }
        if changed.is_empty() {
            return reply;
        }
        changed.sort_unstable();
        changed.dedup();
        for k in changed {
            self.fired(k);
        }
        Reply::json(reply.status, &v)
    }

    /// `rate_limit_per_s`: HTTP 429 above the limit in the current one-second window.
    fn rate_limit(&self, faults: &PoolFaults) -> Option<Reply> {
        let limit = faults.rate_limit_per_s?;
        let mut w = self.window.lock().expect("window");
        if w.0.elapsed() >= Duration::from_secs(1) {
            *w = (Instant::now(), 0);
        }
        w.1 += 1;
        if w.1 <= limit {
            return None;
        }
        drop(w);
        self.fired("rate_limit");
        let mut r = Reply::json(
            429,
            &json!({"Error": format!("The key exceeds the frequency limit({limit}), and the query server is suspended for 1s")}),
        );
        r.retry_after = Some("1".into());
        Some(r)
    }

    /// `latency_ms` + `latency_jitter_ms`: sleeps before answering.
    fn latency(&self, faults: &PoolFaults) {
        let jitter = if faults.latency_jitter_ms > 0 {
            ((self.random() * (faults.latency_jitter_ms + 1) as f64) as u64)
                .min(faults.latency_jitter_ms)
        } else {
            0
        };
        let ms = faults.latency_ms + jitter;
        if ms > 0 {
            self.fired("latency");
            std::thread::sleep(Duration::from_millis(ms));
        }
    }

    /// `http_error_rate`: HTTP 500/502/503 with an HTML or JSON body.
    fn http_error(&self) -> Reply {
        self.fired("http_error");
        let (status, reason) = match (self.random() * 3.0) as u32 {
            0 => (500, "Internal Server Error"),
            1 => (502, "Bad Gateway"),
            _ => (503, "Service Temporarily Unavailable"),
        };
        if self.random() < 0.5 {
            Reply::text(status, html_page(status, reason), "text/html")
        } else {
            Reply::json(status, &json!({"Error": reason}))
        }
    }

    /// `garbage_rate`: HTTP 200 with one of the garbage kinds, in rotation.
    fn garbage(&self, inc: &Incoming) -> Reply {
        self.fired("garbage");
        let kinds = if inc.is(CONTRACT_CALLS) { 6 } else { 5 };
        let turn = self.garbage_turn.fetch_add(1, Ordering::SeqCst) % kinds;
        match turn {
            0 => {
                let mut r = self.forward(inc);
                let mut cut = r.body.len() / 2;
                while !r.body.is_char_boundary(cut) {
                    cut -= 1;
                }
                r.body.truncate(cut);
                r.status = 200;
                r
            }
            1 => Reply::text(200, html_page(502, "Bad Gateway"), "text/html"),
            2 => Reply::text(
                200,
                "upstream connect error or disconnect/reset before headers".into(),
                "text/plain",
            ),
            3 => Reply::json(200, &json!({ "Error": FREQUENCY_LIMIT_30 })),
            4 => Reply::json(200, &json!({ "Error": LACK_OF_RESOURCES })),
            _ => Reply::json(
                200,
                &json!({"result": {"code": "CONTRACT_VALIDATE_ERROR", "message": hex::encode(NO_ESTIMATE)}}),
            ),
        }
    }

    /// `swallow_rate`: java-tron's broadcasthex success without forwarding. `None` when the
    /// body does not hold a decodable signed transaction (then it is forwarded).
    fn swallow(&self, inc: &Incoming) -> Option<Reply> {
        let hex_tx = inc.params.get("transaction")?.as_str()?;
        let bytes = hex::decode(hex_tx.trim_start_matches("0x")).ok()?;
        let tx = SignedTransaction::decode_lenient_signatures(&bytes).ok()?;
        self.fired("swallow");
        Some(Reply::json(
            200,
            &json!({"result": true, "code": "SUCCESS", "message": "", "transaction": "{}", "txid": tx.txid().to_hex()}),
        ))
    }

    /// `empty_rate`: a member that has not seen the object.
    fn empty(&self, inc: &Incoming) -> Reply {
        self.fired("empty");
        Reply::json(200, &empty_answer(&inc.name))
    }

    /// The highest block the answering member knows for this request's path, when a lagging
    /// member answers (`lag_rate`) or the solidified head is stalled; `None` = the upstream's.
    fn member_limit(&self, inc: &Incoming, faults: &PoolFaults) -> Option<u64> {
        let stalled = if faults.stall_solid && inc.solidity() {
            let mut s = self.stalled.lock().expect("stalled");
            if s.is_none() {
                *s = self.upstream_solid();
            }
            *s
        } else {
            None
        };
        let lagged = if self.roll(faults.lag_rate) {
            let head = self.upstream_number(
                &format!("{}/getnowblock", inc.prefix),
                inc.api_key.as_deref(),
            );
            head.map(|h| {
                self.fired("lag");
                h.saturating_sub(faults.lag_blocks)
            })
        } else {
            None
        };
        if stalled.is_some() {
            self.fired("stall_solid");
        }
        match (stalled, lagged) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Answers a lookup as a member whose head (for this path) is block `limit`.
    fn limited(&self, inc: &Incoming, limit: u64) -> Reply {
        match inc.name.as_str() {
            "getnowblock" => self.member_block(inc, "getblockbynum", json!({"num": limit})),
            "getblock" => self.limited_getblock(inc, limit),
            "getblockbynum" => Self::filter_block(self.forward(inc), limit),
            "getblockbylimitnext" => Self::filter_blocks(self.forward(inc), limit),
            "gettransactioninfobyblocknum" => match param_u64(&inc.params, "num") {
                Some(n) if n > limit => Reply::json(200, &json!([])),
                _ => self.forward(inc),
            },
            "gettransactioninfobyid" | "gettransactionbyid" => self.limited_tx(inc, limit),
            _ => self.forward(inc),
        }
    }

    /// Fetches a block from the upstream under the request's prefix, with its `visible`.
    fn member_block(&self, inc: &Incoming, endpoint: &str, mut body: Value) -> Reply {
        body["visible"] = json!(inc.visible());
        let path = format!("{}/{endpoint}", inc.prefix);
        self.post(&path, &body, inc.api_key.as_deref())
            .map_or_else(|| self.forward(inc), |v| Reply::json(200, &v))
    }

    /// `getblock` above the member's head: `{}`, or the member's head when no `id_or_num`
    /// was given.
    fn limited_getblock(&self, inc: &Incoming, limit: u64) -> Reply {
        let reply = self.forward(inc);
        match reply.value().as_ref().and_then(block_number) {
            Some(n) if n > limit => {
                let id = inc.params.get("id_or_num");
                if id.is_none_or(|i| i.as_str() == Some("")) {
                    let detail = inc.params.get("detail").cloned().unwrap_or(json!(false));
                    let body = json!({"id_or_num": limit.to_string(), "detail": detail});
                    self.member_block(inc, "getblock", body)
                } else {
                    Reply::json(200, &json!({}))
                }
            }
            _ => reply,
        }
    }

    /// A transaction or its info in a block above the member's head becomes `{}`.
    fn limited_tx(&self, inc: &Incoming, limit: u64) -> Reply {
        let reply = self.forward(inc);
        let Some(v) = reply.value() else {
            return reply;
        };
        let block = match v.get("blockNumber") {
            Some(n) => n.as_u64(),
            None => v.get("txID").and_then(Value::as_str).and_then(|id| {
                let info = self.post(
                    "/wallet/gettransactioninfobyid",
                    &json!({ "value": id }),
                    inc.api_key.as_deref(),
                )?;
                info.get("blockNumber")?.as_u64()
            }),
        };
        match block {
            Some(n) if n > limit => Reply::json(200, &json!({})),
            _ => reply,
        }
    }

    /// A single-block answer above `limit` becomes `{}`.
    fn filter_block(reply: Reply, limit: u64) -> Reply {
        match reply.value().as_ref().and_then(block_number) {
            Some(n) if n > limit => Reply::json(200, &json!({})),
            _ => reply,
        }
    }

    /// A `{"block": [...]}` answer keeps only blocks ≤ `limit` (`{}` if none is left).
    fn filter_blocks(reply: Reply, limit: u64) -> Reply {
        let Some(Value::Object(mut m)) = reply.value() else {
            return reply;
        };
        let Some(Value::Array(blocks)) = m.remove("block") else {
            return reply;
        };
        let kept: Vec<Value> = blocks
            .into_iter()
            .filter(|b| block_number(b).is_some_and(|n| n <= limit))
            .collect();
        if kept.is_empty() {
            Reply::json(200, &json!({}))
        } else {
            m.insert("block".into(), Value::Array(kept));
            Reply::json(reply.status, &Value::Object(m))
        }
    }

    /// `fork_rate`: replaces a getnowblock answer with a forged block at the same height.
    fn fork(&self, inc: &Incoming, reply: Reply) -> Reply {
        let Some(forged) = reply.value().and_then(|v| forge_block(&v, inc.visible())) else {
            return reply;
        };
        self.fired("fork");
        Reply::json(200, &forged)
    }

    /// `strip_txs_rate`: removes `transactions` from every block of a block answer.
    fn strip_txs(&self, reply: Reply) -> Reply {
        let Some(mut v) = reply.value() else {
            return reply;
        };
        let mut stripped = false;
        if let Some(Value::Array(blocks)) = v.get_mut("block") {
            for b in blocks {
                stripped |= b
                    .as_object_mut()
                    .and_then(|m| m.remove("transactions"))
                    .is_some();
            }
        } else if let Some(m) = v.as_object_mut() {
            stripped = m.remove("transactions").is_some();
        }
        if !stripped {
            return reply;
        }
        self.fired("strip_txs");
        Reply::json(reply.status, &v)
    }

    /// `/admin/pool-faults` and `/admin/pool-stats`; `None` for other admin paths.
    fn admin(&self, inc: &Incoming) -> Option<Reply> {
        match inc.path.as_str() {
            "/admin/pool-stats" => Some(Reply::json(200, &self.stats())),
            "/admin/pool-faults" => {
                if !inc.body.trim().is_empty() {
                    match serde_json::from_str::<PoolFaults>(&inc.body) {
                        Ok(f) => self.set_faults(f),
                        Err(e) => return Some(Reply::json(400, &json!({"Error": e.to_string()}))),
                    }
                }
                let f = self.faults.lock().expect("faults").clone();
                Some(Reply::json(200, &serde_json::to_value(f).expect("json")))
            }
            _ => None,
        }
    }
}

/// Receipt lookups (TransactionInfo), both `/wallet` and `/walletsolidity`.
const RECEIPTS: &[&str] = &["gettransactioninfobyid", "gettransactioninfobyblocknum"];

/// `forge_receipt_rate` on one receipt: a successful one is made to say it failed.
fn forge_failed(r: &mut Map<String, Value>) -> bool {
    let ok = r
        .get("receipt")
        .and_then(|x| x.get("result"))
        .and_then(Value::as_str)
        == Some("SUCCESS");
    if !ok || r.get("result").and_then(Value::as_str) == Some("FAILED") {
        return false;
    }
    r.insert("result".into(), json!("FAILED"));
    r.insert(
        "resMessage".into(),
        json!(hex::encode("REVERT opcode executed")),
    );
    if let Some(Value::Object(rc)) = r.get_mut("receipt") {
        rc.insert("result".into(), json!("REVERT"));
    }
    true
}

/// `receipt_block_rate` on one receipt.
fn forge_block_number(r: &mut Map<String, Value>) -> bool {
    let Some(n) = r.get("blockNumber").and_then(Value::as_u64) else {
        return false;
    };
    r.insert("blockNumber".into(), json!(n + 1));
    true
}

/// `receipt_id_rate` on one receipt: the last hex digit of the id changed.
fn forge_id(r: &mut Map<String, Value>) -> bool {
    let Some(id) = r.get("id").and_then(Value::as_str).map(str::to_string) else {
        return false;
    };
    let Some(last) = id.chars().last() else {
        return false;
    };
    let other = if last == '0' { '1' } else { '0' };
    r.insert(
        "id".into(),
        json!(format!("{}{other}", &id[..id.len() - 1])),
    );
    true
}

/// The first TRC-20 Transfer log of a receipt (topics[0] is the Transfer event).
fn transfer_log(r: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    const TRANSFER: &str = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
    r.get_mut("log")?
        .as_array_mut()?
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .find(|l| {
            l.get("topics")
                .and_then(Value::as_array)
                .is_some_and(|t| t.len() == 3 && t[0].as_str() == Some(TRANSFER))
        })
}

/// `forge_log_rate` on one receipt: `Transfer(X → the logged sender, 1,000,000 tokens)` added.
fn forge_extra_log(r: &mut Map<String, Value>) -> bool {
    let Some(first) = transfer_log(r).map(|l| l.clone()) else {
        return false;
    };
    let topics = first["topics"].as_array().cloned().unwrap_or_default();
    let outsider = format!("{:0>64}", "5a".repeat(20));
    let forged = json!({
        "address": first["address"],
        "topics": [topics[0], outsider, topics[1]],
        "data": format!("{:064x}", 1_000_000u64 * 1_000_000),
    });
    if let Some(Value::Array(logs)) = r.get_mut("log") {
        logs.push(forged);
    }
    true
}

/// `log_mismatch_rate` on one receipt: the first Transfer log's amount doubled plus one.
fn forge_log_amount(r: &mut Map<String, Value>) -> bool {
    let Some(log) = transfer_log(r) else {
        return false;
    };
    let value = log
        .get("data")
        .and_then(Value::as_str)
        .and_then(|d| u128::from_str_radix(d.get(32..)?, 16).ok())
        .unwrap_or(0);
    log.insert(
        "data".into(),
        json!(format!(
            "{:064x}",
            value.saturating_mul(2).saturating_add(1)
        )),
    );
    true
}

/// `{}` or, for gettransactioninfobyblocknum, `[]`.
fn empty_answer(name: &str) -> Value {
    if name == "gettransactioninfobyblocknum" {
        json!([])
    } else {
        json!({})
    }
}

/// A proxy error page.
fn html_page(status: u16, reason: &str) -> String {
    format!(
        "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>"
    )
}

fn param_u64(p: &Map<String, Value>, k: &str) -> Option<u64> {
    match p.get(k)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The number of a block JSON (absent = 0, as java-tron omits defaults); `None` if `v` is not
/// a block.
pub fn block_number(v: &Value) -> Option<u64> {
    let raw = v.get("block_header")?.get("raw_data")?;
    Some(raw.get("number").and_then(Value::as_u64).unwrap_or(0))
}

fn hex_field(raw: &Value, k: &str) -> Option<Vec<u8>> {
    match raw.get(k) {
        None => Some(Vec::new()),
        Some(v) => hex::decode(v.as_str()?).ok(),
    }
}

/// Encodes a block JSON's `block_header.raw_data` as the canonical `BlockHeader.raw`
/// protobuf (witness address in base58 when `visible`, else hex).
pub fn header_raw_bytes(raw: &Value, visible: bool) -> Option<Vec<u8>> {
    let u = |k: &str| raw.get(k).map_or(Some(0), Value::as_u64);
    let witness = match raw.get("witness_address").and_then(Value::as_str) {
        None => Vec::new(),
        Some(s) => {
            let a = if visible {
                Address::from_base58(s).ok()?
            } else {
                Address::from_hex(s).ok()?
            };
            a.as_bytes().to_vec()
        }
    };
    let mut out = Vec::new();
    put_uint_field(&mut out, 1, u("timestamp")?);
    put_bytes_field(&mut out, 2, &hex_field(raw, "txTrieRoot")?);
    put_bytes_field(&mut out, 3, &hex_field(raw, "parentHash")?);
    put_uint_field(&mut out, 7, u("number")?);
    put_uint_field(&mut out, 8, u("witness_id")?);
    put_bytes_field(&mut out, 9, &witness);
    put_uint_field(&mut out, 10, u("version")?);
    put_bytes_field(&mut out, 11, &hex_field(raw, "accountStateRoot")?);
    Some(out)
}

/// blockID = 8-byte big-endian number ‖ sha256(header raw)[8..32].
pub fn block_id(number: u64, header_raw: &[u8]) -> [u8; 32] {
    let mut id: [u8; 32] = Sha256::digest(header_raw).into();
    id[..8].copy_from_slice(&number.to_be_bytes());
    id
}

/// A forged block at the same height: timestamp + 1 ms, no transactions, txTrieRoot of 32
/// zero bytes, blockID recomputed so the blockID rule holds.
fn forge_block(block: &Value, visible: bool) -> Option<Value> {
    let number = block_number(block)?;
    let mut forged = block.clone();
    let m = forged.as_object_mut()?;
    m.remove("transactions");
    let raw = m.get_mut("block_header")?.get_mut("raw_data")?;
    let ts = raw.get("timestamp").and_then(Value::as_u64).unwrap_or(0) + 1;
    raw["timestamp"] = json!(ts);
    raw["txTrieRoot"] = json!(hex::encode([0u8; 32]));
    let id = block_id(number, &header_raw_bytes(raw, visible)?);
    m.insert("blockID".into(), json!(hex::encode(id)));
    Some(forged)
}

/// Reads a request; the body JSON (if an object) is merged with the query parameters.
fn read_incoming(req: &Request) -> Incoming {
    let url = req.url.clone();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let path = path.to_string();
    // As before: a body that is not UTF-8 reads as empty.
    let body = String::from_utf8(req.body.clone()).unwrap_or_default();
    let mut params = match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params
            .entry(k.to_string())
            .or_insert_with(|| Value::String(v.to_string()));
    }
    let name = path.rsplit('/').next().unwrap_or("").to_string();
    let prefix = if path.starts_with("/walletsolidity/") {
        "/walletsolidity"
    } else {
        "/wallet"
    };
    Incoming {
        method: req.method.clone(),
        api_key: req.header("TRON-PRO-API-KEY").map(str::to_string),
        content_type: req.header("Content-Type").map(str::to_string),
        url: url.clone(),
        path,
        name,
        prefix: prefix.to_string(),
        body,
        params,
    }
}

fn to_response(r: Reply) -> Response {
    let mut resp = Response::new(r.status, &r.content_type, r.body);
    if let Some(ra) = r.retry_after {
        resp.headers.push(("Retry-After".into(), ra));
    }
    resp
}

/// Answers one request.
fn handle(st: &State, req: &Request) -> Response {
    let inc = read_incoming(req);
    let reply = if inc.path.starts_with("/admin/") {
        st.admin(&inc).unwrap_or_else(|| st.forward(&inc))
    } else {
        st.handle(&inc)
    };
    to_response(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_with_defaults_and_refuse_unknown_keys() {
        let f: PoolFaults = serde_json::from_str(r#"{"lag_rate": 0.5, "lag_blocks": 3}"#).unwrap();
        assert_eq!(f.lag_blocks, 3);
        assert_eq!(f.seed, 0);
        assert!(serde_json::from_str::<PoolFaults>(r#"{"lag": 1}"#).is_err());
    }

    #[test]
    fn forged_block_keeps_the_number_and_the_id_rule() {
        let block = json!({"blockID": "00", "block_header": {"raw_data": {
            "number": 7, "txTrieRoot": "11".repeat(32), "parentHash": "22".repeat(32),
            "witness_address": "41".to_string() + &"33".repeat(20), "version": 34,
            "timestamp": 1000}}, "transactions": [{}]});
        let f = forge_block(&block, false).unwrap();
        assert!(f.get("transactions").is_none());
        let raw = &f["block_header"]["raw_data"];
        assert_eq!(raw["timestamp"], 1001);
        let id = block_id(7, &header_raw_bytes(raw, false).unwrap());
        assert_eq!(f["blockID"], hex::encode(id));
        assert_eq!(&id[..8], &7u64.to_be_bytes());
    }
}
