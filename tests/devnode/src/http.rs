//! A small HTTP/1.1 server on `std::net`, used by the dev node and the pool proxy.
//!
//! One accept thread and one thread per connection (no pool), so any number of parallel
//! keep-alive connections are served at once. (tiny_http 0.12's task pool could leave a new
//! connection queued with no thread when several arrived together, and the client hung until
//! its timeout.) Requests are parsed with `httparse`; bodies are read by `Content-Length` only
//! (chunked bodies are refused with 411), at most [`MAX_BODY`] bytes. Connections are kept
//! alive until the client closes, asks for `Connection: close` (or speaks HTTP/1.0 without
//! keep-alive), the handler answers with `Connection: close`, or [`IDLE_TIMEOUT`] passes
//! without a byte.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Largest request body accepted (larger ones get 413).
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// Largest request head (request line and headers) accepted (larger ones get 431).
pub const MAX_HEAD: usize = 16 * 1024;
/// Most headers accepted in one request (more get 431).
pub const MAX_HEADERS: usize = 64;
/// A connection that sends nothing for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// One request.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query (`/wallet/getblock?num=1`).
    pub url: String,
    /// Headers in the order received (names as sent).
    pub headers: Vec<(String, String)>,
    /// The body (empty without `Content-Length`).
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or("")
    }
}

/// One response. `Content-Length` is added by the server (a `Content-Length` or
/// `Transfer-Encoding` header given here is ignored); `Connection: close` closes the
/// connection after the response.
#[derive(Clone, Debug, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers (`Content-Type`, `Retry-After`, …).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How the body is sent (whole, or a faulty delivery for fault tests).
    pub delivery: Delivery,
}

/// How a response body goes out. The head always announces the whole body's length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Delivery {
    /// All of it at once.
    #[default]
    Whole,
    /// Only the first N bytes, then the connection is closed (a body cut mid-way).
    Cut(usize),
    /// `chunk` bytes at a time, one chunk every `every` (a member that drips its answer).
    Drip {
        /// Bytes per write.
        chunk: usize,
        /// Pause after each write.
        every: Duration,
    },
}

impl Response {
    /// A response with a `Content-Type` header.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            delivery: Delivery::Whole,
        }
    }

    fn error(status: u16) -> Response {
        let mut r = Response::new(status, "text/plain", reason(status));
        r.headers.push(("Connection".into(), "close".into()));
        r
    }
}

/// The request handler, called on the connection's thread.
pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// Open connections, so that dropping the server can close them.
type Conns = Arc<Mutex<HashMap<u64, TcpStream>>>;

/// A running server. Dropping it stops accepting, closes open connections and returns without
/// waiting for handlers that are still running.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    conns: Conns,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `listener` with `handler`.
    pub fn start(listener: TcpListener, handler: Handler) -> io::Result<Server> {
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Conns = Arc::default();
        let accept = {
            let (stop, conns) = (stop.clone(), conns.clone());
            std::thread::Builder::new()
                .name("http-accept".into())
                .spawn(move || accept_loop(&listener, &handler, &stop, &conns))?
        };
        Ok(Server {
            addr,
            stop,
            conns,
            accept: Some(accept),
        })
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop; it sees the flag and returns.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).is_ok();
        if let Some(t) = self.accept.take() {
            if woke {
                let _ = t.join();
            }
        }
        for (_, s) in self.conns.lock().expect("conns").drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: &TcpListener, handler: &Handler, stop: &Arc<AtomicBool>, conns: &Conns) {
    let next_id = AtomicU64::new(0);
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(_) => {
                // Out of descriptors and the like: back off a little.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
        let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            conns.lock().expect("conns").insert(id, clone);
        }
        let (handler, stop, mine) = (handler.clone(), stop.clone(), conns.clone());
        let spawned = std::thread::Builder::new()
            .name("http-conn".into())
            .spawn(move || {
                serve(stream, &handler, &stop);
                mine.lock().expect("conns").remove(&id);
            });
        if spawned.is_err() {
            conns.lock().expect("conns").remove(&id);
        }
    }
}

/// What came of reading a request head.
enum Head {
    Request(Request, usize, bool),
    Closed,
    Refuse(u16),
}

/// Serves one connection until it closes.
fn serve(mut stream: TcpStream, handler: &Handler, stop: &AtomicBool) {
    // Bytes read but not consumed yet (the start of the next request when pipelined).
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    while !stop.load(Ordering::SeqCst) {
        let (mut req, body_len, keep_alive) = match read_head(&mut stream, &mut buf) {
            Head::Request(r, n, k) => (r, n, k),
            Head::Closed => return,
            Head::Refuse(status) => {
                let _ = write_response(&mut stream, &Response::error(status), true, false);
                linger(&mut stream);
                return;
            }
        };
        if buf.len() < body_len
            && req
                .header("Expect")
                .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
            && stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err()
        {
            return;
        }
        while buf.len() < body_len {
            let want = body_len - buf.len();
            if read_more(&mut stream, &mut buf, want).is_err() {
                return;
            }
        }
        req.body = buf.drain(..body_len).collect();
        let head_only = req.method == "HEAD";
        let resp = handler(req);
        let close = !keep_alive
            || resp.delivery != Delivery::Whole
            || resp
                .headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("Connection") && has_token(v, "close"));
        if write_response(&mut stream, &resp, close, head_only).is_err() {
            return;
        }
        if close {
            linger(&mut stream);
            return;
        }
    }
}

/// Ends our side of the connection, then reads (and drops) what the client still sends for a
/// moment, so that closing with unread bytes does not reset the connection before the client
/// has read the response.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut chunk = [0u8; 16 * 1024];
    let mut left: usize = 1024 * 1024;
    while left > 0 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

/// Reads up to `want` more bytes (at least one) into `buf`; EOF is an error.
fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let want = want.clamp(1, chunk.len());
    loop {
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads and parses one request head; consumes it from `buf` and returns the request (without
/// its body), the body length and whether the connection stays open after the response.
fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Head {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(n)) => {
                let head = to_request(&parsed);
                buf.drain(..n);
                return head;
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() >= MAX_HEAD {
                    return Head::Refuse(431);
                }
            }
            Err(httparse::Error::TooManyHeaders) => return Head::Refuse(431),
            Err(_) => return Head::Refuse(400),
        }
        let want = MAX_HEAD - buf.len();
        if read_more(stream, buf, want).is_err() {
            // Closed, timed out or reset: between requests or in the middle of one, there is
            // no one to answer.
            return Head::Closed;
        }
    }
}

fn to_request(parsed: &httparse::Request<'_, '_>) -> Head {
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    let req = Request {
        method: parsed.method.unwrap_or("").to_string(),
        url: parsed.path.unwrap_or("").to_string(),
        headers,
        body: Vec::new(),
    };
    if req.header("Transfer-Encoding").is_some() {
        return Head::Refuse(411);
    }
    let mut body_len = 0usize;
    let mut seen: Option<&str> = None;
    for (_, v) in req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
    {
        if seen.is_some_and(|s| s != v) {
            return Head::Refuse(400);
        }
        seen = Some(v);
        match v.parse::<u64>() {
            Ok(n) if n > MAX_BODY as u64 => return Head::Refuse(413),
            Ok(n) => body_len = n as usize,
            Err(_) => return Head::Refuse(400),
        }
    }
    let connection = req.header("Connection").unwrap_or("");
    let keep_alive = if parsed.version == Some(0) {
        has_token(connection, "keep-alive")
    } else {
        !has_token(connection, "close")
    };
    Head::Request(req, body_len, keep_alive)
}

/// Whether a comma-separated header value lists `token` (case-insensitive).
fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn write_response(
    stream: &mut TcpStream,
    resp: &Response,
    close: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut out = Vec::with_capacity(256 + resp.body.len());
    out.extend_from_slice(
        format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status)).as_bytes(),
    );
    for (k, v) in &resp.headers {
        if k.eq_ignore_ascii_case("Content-Length")
            || k.eq_ignore_ascii_case("Transfer-Encoding")
            || k.eq_ignore_ascii_case("Connection")
            || k.contains(['\r', '\n', ':'])
            || v.contains(['\r', '\n'])
        {
            continue;
        }
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n", resp.body.len()).as_bytes());
    out.extend_from_slice(if close {
        b"Connection: close\r\n\r\n".as_slice()
    } else {
        b"Connection: keep-alive\r\n\r\n".as_slice()
    });
    if head_only {
        stream.write_all(&out)?;
        return stream.flush();
    }
    match resp.delivery {
        Delivery::Whole => out.extend_from_slice(&resp.body),
        Delivery::Cut(n) => out.extend_from_slice(&resp.body[..n.min(resp.body.len())]),
        Delivery::Drip { chunk, every } => {
            stream.write_all(&out)?;
            stream.flush()?;
            for part in resp.body.chunks(chunk.max(1)) {
                std::thread::sleep(every);
                stream.write_all(part)?;
                stream.flush()?;
            }
            return Ok(());
        }
    }
    stream.write_all(&out)?;
    stream.flush()
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => match status / 100 {
            1 => "Informational",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            _ => "Server Error",
        },
    }
}
