//! Scripted answers: the dev node's HTTP server ([`crate::http`]) on 127.0.0.1 answering from
//! queues of canned responses per path, and recording every request.
//!
//! For tests of a client against answers a running node does not give on demand: captured
//! java-tron / TronGrid bodies, garbage, rate limits, a URL that answers 404 to everything.
//! A path's queue serves its front response and drops it while more follow; the last one is
//! served for good. A path with no queue gets 404 with a body naming the path. An optional
//! *fixed* rule answers before the queues (a genesis probe, say); the requests it answers are
//! not recorded.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};

use crate::http::{Request, Response, Server};

/// A rule that answers some requests before the queues are looked at.
pub type Fixed = dyn Fn(&Request) -> Option<Response> + Send + Sync;

/// The queues and the requests seen so far.
#[derive(Default)]
struct Script {
    queues: HashMap<String, VecDeque<Response>>,
    requests: Vec<Request>,
}

impl Script {
    /// The answer to `req` from its path's queue (recording the request).
    fn answer(&mut self, req: Request) -> Response {
        let path = req.path().to_string();
        self.requests.push(req);
        match self.queues.get_mut(&path) {
            Some(q) if q.len() > 1 => q.pop_front().expect("more than one queued"),
            Some(q) if !q.is_empty() => q[0].clone(),
            _ => Response::new(404, "text/plain", format!("scripted: no answer for {path}")),
        }
    }
}

/// A running scripted server; dropping it stops it.
pub struct Scripted {
    url: String,
    script: Arc<Mutex<Script>>,
    _server: Server,
}

impl Scripted {
    /// A server on 127.0.0.1 (a free port) answering only from its queues.
    pub fn start() -> io::Result<Scripted> {
        Scripted::start_with(|_| None)
    }

    /// As [`Scripted::start`], with `fixed` asked first: what it answers is served as it is
    /// and the request is not recorded.
    pub fn start_with(
        fixed: impl Fn(&Request) -> Option<Response> + Send + Sync + 'static,
    ) -> io::Result<Scripted> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let script: Arc<Mutex<Script>> = Arc::default();
        let fixed: Arc<Fixed> = Arc::new(fixed);
        let shared = Arc::clone(&script);
        let server = Server::start(
            listener,
            Arc::new(move |req: Request| fixed(&req).unwrap_or_else(|| lock(&shared).answer(req))),
        )?;
        Ok(Scripted {
            url: format!("http://127.0.0.1:{}", server.port()),
            script,
            _server: server,
        })
    }

    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Replaces `path`'s queue with `responses` (the last one is served for good; an empty
    /// list makes the path unscripted again).
    pub fn script(&self, path: &str, responses: Vec<Response>) {
        let mut s = lock(&self.script);
        if responses.is_empty() {
            s.queues.remove(path);
        } else {
            s.queues.insert(path.to_string(), responses.into());
        }
    }

    /// Every recorded request, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.script).requests.clone()
    }

    /// The recorded requests to `path` (the query left out), oldest first.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        let s = lock(&self.script);
        s.requests
            .iter()
            .filter(|r| r.path() == path)
            .cloned()
            .collect()
    }
}

/// The script, even after a handler panicked while holding it.
fn lock(script: &Mutex<Script>) -> std::sync::MutexGuard<'_, Script> {
    script.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str) -> (u16, String) {
        match ureq::get(url).call() {
            Ok(r) => (r.status(), r.into_string().unwrap()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
            Err(e) => panic!("{e}"),
        }
    }

    fn text(status: u16, body: &str) -> Response {
        Response::new(status, "text/plain", body)
    }

    #[test]
    fn a_queue_serves_in_order_then_repeats_its_last_answer() {
        let s = Scripted::start().unwrap();
        s.script(
            "/a",
            vec![text(503, "busy"), text(200, "one"), text(200, "two")],
        );
        let url = format!("{}/a?x=1", s.url());
        let got: Vec<(u16, String)> = (0..4).map(|_| get(&url)).collect();
        assert_eq!(
            got,
            [(503, "busy"), (200, "one"), (200, "two"), (200, "two")]
                .map(|(c, b)| (c, b.to_string()))
        );
        assert_eq!(s.requests_to("/a").len(), 4);
        assert_eq!(s.requests()[0].url, "/a?x=1");
    }

    #[test]
    fn an_unscripted_path_is_404_naming_it_and_is_recorded() {
        let s = Scripted::start().unwrap();
        assert_eq!(
            get(&format!("{}/nowhere", s.url())),
            (404, "scripted: no answer for /nowhere".into())
        );
        s.script("/b", vec![text(200, "b")]);
        s.script("/b", Vec::new());
        assert_eq!(get(&format!("{}/b", s.url())).0, 404);
        assert_eq!(s.requests().len(), 2);
    }

    #[test]
    fn the_fixed_rule_answers_first_and_is_not_recorded() {
        let s =
            Scripted::start_with(|r| (r.path() == "/probe").then(|| text(200, "fixed"))).unwrap();
        s.script("/probe", vec![text(200, "queued")]);
        assert_eq!(get(&format!("{}/probe", s.url())), (200, "fixed".into()));
        assert_eq!(get(&format!("{}/other", s.url())).0, 404);
        let paths: Vec<String> = s.requests().iter().map(|r| r.path().to_string()).collect();
        assert_eq!(paths, ["/other"]);
    }
}
