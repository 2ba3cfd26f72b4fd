//! A requests-per-second budget shared by every thread of a run. It spaces requests evenly at
//! the current rate, halves the rate and pauses everyone when the node pushes back (HTTP 429,
//! `Retry-After`, "suspended for Ns"), and climbs back towards the configured ceiling after a run
//! of successes.

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

impl Limiter {
    /// A limiter with `max_rps` as its ceiling (None: unlimited until pushed back).
    pub fn new(max_rps: Option<f64>) -> Limiter {
        let now = Instant::now();
        Limiter {
            ceiling: max_rps.filter(|r| *r > 0.0),
            state: Mutex::new(State {
                rate: max_rps.filter(|r| *r > 0.0),
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
        s.rate = Some((current / 2.0).max(FLOOR_RPS));
    }

    /// A request succeeded: after 10 in a row, raise the rate by 10 % (+0.5) up to the ceiling.
    pub fn succeeded(&self) {
        let mut s = self.state.lock().expect("limiter");
        s.ok_streak += 1;
        if s.ok_streak < 10 {
            return;
        }
        s.ok_streak = 0;
        if let Some(rate) = s.rate {
            let up = rate * 1.1 + 0.5;
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
        assert_eq!(l.rate(), Some(10.0));
        l.pushed_back(Duration::from_millis(1));
        assert_eq!(l.rate(), Some(5.0));
        for _ in 0..200 {
            l.succeeded();
        }
        assert_eq!(l.rate(), Some(10.0));
        let u = Limiter::new(None);
        assert_eq!(u.rate(), None);
        u.pushed_back(Duration::from_millis(1));
        assert_eq!(u.rate(), Some(8.0));
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
