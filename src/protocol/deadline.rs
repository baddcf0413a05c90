//! Timeouts and the deadlines they set, as policy, for both drivers: how a
//! timeout is read, and when a wait for a reply has lasted too long. No
//! clock is read here; the caller says what time it is.
//!
//! The native driver keeps its deadline while it reads (see
//! `driver/connection.rs`); on the `create` path Lua reads one line or TLS
//! record per socket call, and [`ReplyDeadline`] carries the deadline from
//! one call to the next.

use std::time::{Duration, Instant};

/// `seconds` as a timeout, `None` meaning no limit: as LuaSocket reads it,
/// nil, a negative number and NaN; and a number too large for a `Duration`
/// (`math.huge`), which no real wait could reach anyway.
pub fn timeout(seconds: Option<f64>) -> Option<Duration> {
    seconds
        .filter(|seconds| *seconds >= 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
}

/// `timeout` from `now`; `None` for no limit, or one beyond the clock's range.
pub fn deadline(timeout: Option<Duration>, now: Instant) -> Option<Instant> {
    timeout.and_then(|timeout| now.checked_add(timeout))
}

/// The bound on waiting for replies on the `create` path. A socket's
/// timeout bounds one call, and a server can answer every call in time
/// while its reply never ends (a multi-line reply that goes on forever).
/// So, as on the native path, the wait starts at the first read after
/// anything else, and once it has lasted the timeout, the next read is
/// refused.
#[derive(Debug)]
pub struct ReplyDeadline {
    timeout: Option<Duration>,
    /// Set while reads follow one another.
    at: Option<Instant>,
}

impl ReplyDeadline {
    pub fn new(timeout: Option<Duration>) -> ReplyDeadline {
        ReplyDeadline { timeout, at: None }
    }

    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether a read may be made at `now`: the first of a run of reads
    /// starts the wait, and the reads after its deadline may not.
    pub fn may_read(&mut self, now: Instant) -> bool {
        match self.at {
            Some(at) => now < at,
            None => {
                self.at = deadline(self.timeout, now);
                true
            }
        }
    }

    /// Something other than a read happened (a write, a body chunk, an
    /// outcome): the next read starts a new wait.
    pub fn interrupt(&mut self) {
        self.at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_read_as_luasocket_reads_them() {
        assert_eq!(timeout(Some(1.5)), Some(Duration::from_millis(1500)));
        assert_eq!(timeout(Some(0.0)), Some(Duration::ZERO));
        assert_eq!(timeout(None), None);
        assert_eq!(timeout(Some(-1.0)), None);
        assert_eq!(timeout(Some(f64::NAN)), None);
        assert_eq!(timeout(Some(f64::INFINITY)), None);
        assert_eq!(timeout(Some(1e300)), None);
    }

    #[test]
    fn a_deadline_beyond_the_clock_is_no_limit() {
        let now = Instant::now();
        assert_eq!(deadline(Some(Duration::MAX), now), None);
        assert_eq!(
            deadline(Some(Duration::from_secs(1)), now),
            Some(now + Duration::from_secs(1))
        );
    }

    #[test]
    fn reads_after_the_deadline_are_refused() {
        let start = Instant::now();
        let mut deadline = ReplyDeadline::new(Some(Duration::from_millis(50)));
        assert!(deadline.may_read(start));
        assert!(deadline.may_read(start + Duration::from_millis(49)));
        assert!(!deadline.may_read(start + Duration::from_millis(50)));
    }

    #[test]
    fn anything_but_a_read_starts_the_wait_afresh() {
        let start = Instant::now();
        let mut deadline = ReplyDeadline::new(Some(Duration::from_millis(50)));
        assert!(deadline.may_read(start));
        deadline.interrupt();
        let later = start + Duration::from_millis(60);
        assert!(deadline.may_read(later));
        assert!(deadline.may_read(later + Duration::from_millis(49)));
    }

    #[test]
    fn without_a_timeout_reads_are_never_refused() {
        let start = Instant::now();
        let mut deadline = ReplyDeadline::new(None);
        assert!(deadline.may_read(start));
        assert!(deadline.may_read(start + Duration::from_secs(86_400)));
    }
}
