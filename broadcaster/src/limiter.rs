//! A requests-per-second budget shared by every thread of a run. It spaces requests evenly at
//! the current rate, a little under the configured `max_rps` (providers count in fixed windows,
//! so evenly spaced requests at exactly the cap still spill over now and then). When the node
//! pushes back (HTTP 429, `Retry-After`, "suspended for Ns") everyone pauses for the time asked
//! and the rate drops by a fifth; it climbs back towards the ceiling after a run of successes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

struct State {
    /// Current rate (requests/s); `None` = unlimited.
    rate: Option<f64>,
    next_at: Instant,
    pause_until: Instant,
    ok_streak: u32,
}

/// The shared budget.
pub struct Limiter {
    ceiling: Option<f64>,
    state: Mutex<State>,
}

/// Lowest rate the limiter falls to.
const FLOOR_RPS: f64 = 0.5;
/// Share of `max_rps` the limiter paces at.
const HEADROOM: f64 = 0.95;
/// Rate kept after a push-back.
const BACKOFF: f64 = 0.8;

impl Limiter {
    /// A limiter with `max_rps` as its ceiling (None: unlimited until pushed back).
    pub fn new(max_rps: Option<f64>) -> Limiter {
        let now = Instant::now();
        let ceiling = max_rps.filter(|r| *r > 0.0).map(|r| r * HEADROOM);
        Limiter {
            ceiling,
            state: Mutex::new(State {
                rate: ceiling,
                next_at: now,
                pause_until: now,
                ok_streak: 0,
            }),
        }
    }

    /// The current rate (requests per second), `None` if unlimited.
    pub fn rate(&self) -> Option<f64> {
        self.state.lock().expect("limiter").rate
    }

    /// Waits for this request's slot.
    pub fn acquire(&self) {
        let at = {
            let mut s = self.state.lock().expect("limiter");
            let now = Instant::now();
            let at = now.max(s.next_at).max(s.pause_until);
            if let Some(rate) = s.rate {
                s.next_at = at + Duration::from_secs_f64(1.0 / rate);
            }
            at
        };
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }

    /// The node pushed back: pause everyone for `wait` and halve the rate.
    pub fn pushed_back(&self, wait: Duration) {
        let mut s = self.state.lock().expect("limiter");
        let now = Instant::now();
        s.pause_until = s.pause_until.max(now + wait);
        s.ok_streak = 0;
        let current = s.rate.unwrap_or_else(|| self.ceiling.unwrap_or(16.0));
        s.rate = Some((current * BACKOFF).max(FLOOR_RPS));
    }

    /// A request succeeded: after 5 in a row, raise the rate by 10 % (+0.25) up to the ceiling.
    pub fn succeeded(&self) {
        let mut s = self.state.lock().expect("limiter");
        s.ok_streak += 1;
        if s.ok_streak < 5 {
            return;
        }
        s.ok_streak = 0;
        if let Some(rate) = s.rate {
            let up = rate * 1.1 + 0.25;
            s.rate = match self.ceiling {
                Some(c) => Some(up.min(c)),
                None if up > 64.0 => None,
                None => Some(up),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_and_recovers_to_the_ceiling() {
        let l = Limiter::new(Some(10.0));
        assert_eq!(l.rate(), Some(9.5));
        l.pushed_back(Duration::from_millis(1));
        assert!((l.rate().unwrap() - 7.6).abs() < 1e-9);
        for _ in 0..200 {
            l.succeeded();
        }
        assert_eq!(l.rate(), Some(9.5));
        let u = Limiter::new(None);
        assert_eq!(u.rate(), None);
        u.pushed_back(Duration::from_millis(1));
        assert!((u.rate().unwrap() - 12.8).abs() < 1e-9);
    }

    #[test]
    fn spaces_requests_at_the_rate() {
        let l = Limiter::new(Some(50.0));
        let t = Instant::now();
        for _ in 0..11 {
            l.acquire();
        }
        // 10 intervals of 20 ms.
        assert!(t.elapsed() >= Duration::from_millis(190));
    }
}
