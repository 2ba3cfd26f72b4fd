//! A requests-per-second budget shared by every thread of a run. It spaces requests evenly at
//! the current rate, a little under the ceiling (providers count in fixed windows, so evenly
//! spaced requests at exactly the cap still spill over now and then).
//!
//! The ceiling is `max_rps` when configured. Without it the limiter starts unlimited and
//! *learns* the cap: when the node pushes back (HTTP 429, `Retry-After`, "suspended for Ns"),
//! the requests sent in the second before that were not refused are what it let through, so
//! that count (a little under it) becomes the learned ceiling; each refusal of the same burst
//! refines it. A second that overlaps an earlier pause teaches nothing (too few were sent).
//! Every thread pauses for the time asked. The rate climbs back to the ceiling after a run of
//! successes, and a learned ceiling is probed a little higher after a long run without
//! push-back (the provider may have raised the cap).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct State {
    /// Current rate (requests/s); `None` = unlimited.
    rate: Option<f64>,
    /// Ceiling learned from push-backs (without a configured one).
    learned: Option<f64>,
    next_at: Instant,
    /// Every thread waits until then (`None`: no pause yet).
    pause_until: Option<Instant>,
    /// When the last pause that is over ended.
    last_pause_end: Option<Instant>,
    ok_streak: u32,
    /// When each request of the last second was sent (learning only).
    sent: VecDeque<Instant>,
    /// When each refusal of the last second arrived (learning only).
    refused: VecDeque<Instant>,
}

/// The shared budget.
pub struct Limiter {
    configured: Option<f64>,
    state: Mutex<State>,
}

/// Lowest rate the limiter falls to.
const FLOOR_RPS: f64 = 0.5;
/// Share of the cap the limiter paces at.
const HEADROOM: f64 = 0.95;
/// Rate kept after a push-back that teaches nothing (no answers in the second before).
const BACKOFF: f64 = 0.8;
/// Step down of a learned ceiling at a refusal that cannot be learned from.
const PAUSED_STEP: f64 = 0.95;
/// Successes in a row before the rate is raised.
const STREAK_UP: u32 = 5;
/// Successes in a row at a learned ceiling before it is probed higher.
const STREAK_PROBE: u32 = 200;
/// The window answers are counted in (providers count per second).
const WINDOW: Duration = Duration::from_secs(1);

impl Limiter {
    /// A limiter with `max_rps` as its ceiling (None: unlimited until pushed back, then the
    /// learned cap).
    pub fn new(max_rps: Option<f64>) -> Limiter {
        let now = Instant::now();
        let configured = max_rps.filter(|r| *r > 0.0).map(|r| r * HEADROOM);
        Limiter {
            configured,
            state: Mutex::new(State {
                rate: configured,
                learned: None,
                next_at: now,
                pause_until: None,
                last_pause_end: None,
                ok_streak: 0,
                sent: VecDeque::new(),
                refused: VecDeque::new(),
            }),
        }
    }

    /// The current rate (requests per second), `None` if unlimited.
    pub fn rate(&self) -> Option<f64> {
        self.state.lock().expect("limiter").rate
    }

    /// The ceiling learned from push-backs (`None` before any, or with `max_rps`).
    pub fn learned(&self) -> Option<f64> {
        self.state.lock().expect("limiter").learned
    }

    fn ceiling(&self, s: &State) -> Option<f64> {
        self.configured.or(s.learned)
    }

    /// Waits for this request's slot; `false` (without waiting) when the slot would come after
    /// `deadline`: the caller gives up instead of sleeping past it.
    pub fn acquire_until(&self, deadline: Option<Instant>) -> bool {
        let at = {
            let mut s = self.state.lock().expect("limiter");
            let now = Instant::now();
            let mut at = now.max(s.next_at);
            if let Some(p) = s.pause_until {
                at = at.max(p);
            }
            if deadline.is_some_and(|d| at > d) {
                return false;
            }
            if let Some(rate) = s.rate {
                s.next_at = at + Duration::from_secs_f64(1.0 / rate);
            }
            if self.configured.is_none() {
                s.sent.push_back(at);
                forget_before(&mut s.sent, now);
            }
            at
        };
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
        true
    }

    /// Waits for this request's slot.
    pub fn acquire(&self) {
        self.acquire_until(None);
    }

    /// The node pushed back: pause everyone for `wait`; without a configured ceiling, learn it
    /// from what got through in the last second; lower the rate.
    pub fn pushed_back(&self, wait: Duration) {
        let mut s = self.state.lock().expect("limiter");
        let now = Instant::now();
        let pausing = s.pause_until.is_some_and(|p| p > now);
        if let Some(p) = s.pause_until.filter(|p| *p <= now) {
            s.last_pause_end = Some(p);
        }
        s.pause_until = Some(s.pause_until.map_or(now + wait, |p| p.max(now + wait)));
        s.ok_streak = 0;
        if self.configured.is_none() {
            s.refused.push_back(now);
            forget_before(&mut s.refused, now);
            forget_before(&mut s.sent, now);
            let clean = s
                .last_pause_end
                .is_none_or(|end| now.saturating_duration_since(end) >= WINDOW);
            let through = s.sent.len().saturating_sub(s.refused.len()) as f64;
            if clean && through >= 1.0 {
                // `through` requests of the last second were let through and this one was
                // not: that is the node's cap (a little over it when the second spans two of
                // its windows; later refusals refine it, by at most a fifth at a time).
                let learned = (through * HEADROOM).max(FLOOR_RPS);
                s.learned = Some(
                    s.learned
                        .map_or(learned, |l| l.min(learned).max(l * BACKOFF)),
                );
                s.rate = s.learned;
                return;
            }
            if let Some(l) = s.learned {
                // A second that overlaps a pause shows too few requests to learn from, but the
                // first refusal of a burst still says "too fast": a small step down.
                if !pausing {
                    s.learned = Some((l * PAUSED_STEP).max(FLOOR_RPS));
                    s.rate = s.learned;
                }
                return;
            }
        }
        let current = s.rate.unwrap_or_else(|| self.ceiling(&s).unwrap_or(16.0));
        s.rate = Some((current * BACKOFF).max(FLOOR_RPS));
    }

    /// A request succeeded: after a few in a row, raise the rate by 10 % (+0.25) up to the
    /// ceiling; after a long run at a learned ceiling, probe 5 % above it.
    pub fn succeeded(&self) {
        let mut s = self.state.lock().expect("limiter");
        s.ok_streak = s.ok_streak.saturating_add(1);
        let ceiling = self.ceiling(&s);
        if self.configured.is_none() && s.learned.is_some() && s.rate == ceiling {
            if s.ok_streak >= STREAK_PROBE {
                s.ok_streak = 0;
                s.learned = s.learned.map(|l| l * 1.05);
                s.rate = s.learned;
            }
            return;
        }
        if s.ok_streak < STREAK_UP {
            return;
        }
        s.ok_streak = 0;
        if let Some(rate) = s.rate {
            let up = rate * 1.1 + 0.25;
            s.rate = match ceiling {
                Some(c) => Some(up.min(c)),
                None if up > 64.0 => None,
                None => Some(up),
            };
        }
    }
}

/// Drops the times older than one window.
fn forget_before(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) > WINDOW)
    {
        times.pop_front();
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
        assert_eq!(l.learned(), None, "a configured ceiling is not learned");
        let u = Limiter::new(None);
        assert_eq!(u.rate(), None);
        u.pushed_back(Duration::from_millis(1));
        assert!((u.rate().unwrap() - 12.8).abs() < 1e-9);
    }

    #[test]
    fn learns_the_cap_from_what_got_through_before_a_push_back() {
        let l = Limiter::new(None);
        // 16 requests went out in this second; the node let 10 through and refused 6.
        for _ in 0..16 {
            assert!(l.acquire_until(None));
        }
        assert_eq!(l.rate(), None, "unlimited until pushed back");
        for _ in 0..6 {
            l.pushed_back(Duration::from_secs(1));
        }
        assert!(
            (l.learned().unwrap() - 9.5).abs() < 1e-9,
            "{:?}",
            l.learned()
        );
        assert_eq!(l.rate(), l.learned());
        // Successes do not take it over the learned cap...
        for _ in 0..STREAK_PROBE - 1 {
            l.succeeded();
        }
        assert_eq!(l.rate(), l.learned());
        // ...until a long run without push-back probes a little higher.
        l.succeeded();
        assert!((l.rate().unwrap() - 9.975).abs() < 1e-9);
    }

    #[test]
    fn a_second_overlapping_a_pause_teaches_nothing() {
        let l = Limiter::new(None);
        for _ in 0..12 {
            l.acquire_until(None);
        }
        l.pushed_back(Duration::from_millis(1));
        let learned = l.learned().unwrap();
        assert!((learned - 10.45).abs() < 1e-9, "{learned}");
        // Right after that pause no request went out before the next refusal: that second
        // overlaps the pause, so it is not learned from (it would say 0), only a small step
        // down; more refusals of the same burst change nothing.
        std::thread::sleep(Duration::from_millis(2));
        l.pushed_back(Duration::from_secs(1));
        l.pushed_back(Duration::from_secs(1));
        assert!((l.learned().unwrap() - learned * PAUSED_STEP).abs() < 1e-9);
    }

    #[test]
    fn spaces_requests_at_the_rate() {
        let l = Limiter::new(Some(50.0));
        let t = Instant::now();
        for _ in 0..11 {
            l.acquire();
        }
        // 10 intervals of about 21 ms (50/s paced at 95 %).
        assert!(t.elapsed() >= Duration::from_millis(190));
    }

    #[test]
    fn a_slot_after_the_deadline_is_not_waited_for() {
        let l = Limiter::new(None);
        l.pushed_back(Duration::from_secs(30));
        assert!(!l.acquire_until(Some(Instant::now() + Duration::from_millis(50))));
    }
}
