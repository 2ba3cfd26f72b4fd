//! The HTTP server under the dev node and the pool proxy: many parallel keep-alive connections
//! are all served at once (tiny_http 0.12's task pool left some of them hanging until the
//! client's timeout), and the HTTP/1.1 framing rules hold on raw sockets.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coldpay_devnode::http::{Request, Response, Server};
use coldpay_devnode::pool::PoolFaults;
use coldpay_devnode::Genesis;
use common::{devnode, devnode_and_pool};
use serde_json::Value;

const THREADS: usize = 16;
const ROUNDS: usize = 20;
/// Generous: a request answers in milliseconds; the bug made some wait for the client's
/// timeout (30 s).
const PER_REQUEST: Duration = Duration::from_secs(5);

/// 16 threads share one agent and start together, so 16 keep-alive connections open at once;
/// each thread then does 20 POSTs. Every request must answer quickly.
fn hammer(base: &str) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .max_idle_connections_per_host(THREADS)
        .build();
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    let started = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (agent, barrier, url) = (
                agent.clone(),
                barrier.clone(),
                format!("{base}/wallet/getnowblock"),
            );
            std::thread::spawn(move || {
                barrier.wait();
                let mut slowest = Duration::ZERO;
                for _ in 0..ROUNDS {
                    let t = Instant::now();
                    let v: Value = agent
                        .post(&url)
                        .send_string("{}")
                        .expect("getnowblock")
                        .into_json()
                        .expect("json");
                    assert!(v["blockID"].is_string(), "{v}");
                    slowest = slowest.max(t.elapsed());
                }
                slowest
            })
        })
        .collect();
    for h in handles {
        let slowest = h.join().expect("thread");
        assert!(slowest < PER_REQUEST, "a request took {slowest:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn sixteen_parallel_keep_alive_connections_are_served_at_once() {
    let node = devnode(Genesis::default());
    for _ in 0..3 {
        hammer(&node.url());
    }
    let total = node.stats()["requests"]["/wallet/getnowblock"]
        .as_u64()
        .unwrap();
    assert_eq!(total, (3 * THREADS * ROUNDS) as u64);
}

#[test]
fn sixteen_parallel_connections_through_the_pool_proxy() {
    let (_node, pool) = devnode_and_pool(Genesis::default(), PoolFaults::default());
    hammer(&pool.url());
    assert_eq!(
        pool.stats()["requests"]["/wallet/getnowblock"],
        (THREADS * ROUNDS) as u64
    );
}

fn echo_server() -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    Server::start(
        listener,
        Arc::new(|req: Request| {
            let mut r = Response::new(
                200,
                "text/plain",
                format!(
                    "{} {} {} {}",
                    req.method,
                    req.url,
                    req.header("x-tag").unwrap_or("-"),
                    String::from_utf8_lossy(&req.body)
                ),
            );
            if req.path() == "/close" {
                r.headers.push(("Connection".into(), "close".into()));
            }
            r
        }),
    )
    .unwrap()
}

fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads one response (Content-Length framed): status line + headers, body.
fn read_response(s: &mut TcpStream) -> (String, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "closed in the head");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length")
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

fn closed(s: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    matches!(s.read_to_end(&mut rest), Ok(0))
}

#[test]
fn keep_alive_and_pipelining_on_one_connection() {
    let server = echo_server();
    let mut s = connect(&server);
    // Two requests in one write: both answered, in order, on the same connection.
    s.write_all(
        b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Tag: one\r\nContent-Length: 5\r\n\r\nhello\
          GET /b HTTP/1.1\r\nHost: h\r\n\r\n",
    )
    .unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/plain\r\n"), "{head}");
    assert!(head.contains("Connection: keep-alive\r\n"), "{head}");
    assert_eq!(body, "POST /a?x=1 one hello");
    let (_, body) = read_response(&mut s);
    assert_eq!(body, "GET /b - ");
    // A body split over several writes.
    s.write_all(b"POST /c HTTP/1.1\r\nContent-Length: 6\r\n\r\nab")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(b"cdef").unwrap();
    assert_eq!(read_response(&mut s).1, "POST /c - abcdef");
    // Connection: close from the client ends the connection after the answer.
    s.write_all(b"GET /d HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.contains("Connection: close\r\n"), "{head}");
    assert_eq!(body, "GET /d - ");
    assert!(closed(&mut s));
}

#[test]
fn handler_connection_close_and_http10_close_the_connection() {
    let server = echo_server();
    let mut s = connect(&server);
    s.write_all(b"GET /close HTTP/1.1\r\n\r\n").unwrap();
    let (head, _) = read_response(&mut s);
    assert!(head.contains("Connection: close\r\n"), "{head}");
    assert!(closed(&mut s));

    let mut s = connect(&server);
    s.write_all(b"GET /old HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s).1, "GET /old - ");
    assert!(closed(&mut s));

    // HTTP/1.0 with keep-alive stays open.
    let mut s = connect(&server);
    s.write_all(b"GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).1, "GET /1 - ");
    s.write_all(b"GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).1, "GET /2 - ");
}

#[test]
fn bad_requests_are_refused_and_closed() {
    let server = echo_server();
    for (raw, status) in [
        (
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                .to_string(),
            "411 Length Required",
        ),
        (
            "POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n".to_string(),
            "413 Payload Too Large",
        ),
        (
            "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n".to_string(),
            "400 Bad Request",
        ),
        (
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_string(),
            "400 Bad Request",
        ),
        ("NOT HTTP AT ALL\r\n\r\n".to_string(), "400 Bad Request"),
        (
            format!(
                "GET / HTTP/1.1\r\n{}\r\n",
                (0..100)
                    .map(|i| ["X-", &i.to_string(), ": v\r\n"].concat())
                    .collect::<String>()
            ),
            "431 Request Header Fields Too Large",
        ),
        (
            format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000)),
            "431 Request Header Fields Too Large",
        ),
    ] {
        let mut s = connect(&server);
        s.write_all(raw.as_bytes()).unwrap();
        let (head, _) = read_response(&mut s);
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{status}: {head}"
        );
        assert!(closed(&mut s), "{status}");
    }
}

#[test]
fn dropping_the_server_closes_idle_connections_and_the_port() {
    let server = echo_server();
    let port = server.port();
    let mut s = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    read_response(&mut s);
    let t = Instant::now();
    drop(server);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(closed(&mut s));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
