//! Timeouts and the deadlines they set, for both drivers. The native one
//! keeps its deadline while it reads (see `connection.rs`); on the `create`
//! path Lua reads one line or TLS record per socket call, and
//! [`ReplyDeadline`] carries the deadline from one call to the next.

use std::time::{Duration, Instant};

use crate::os_error::TIMEOUT;
use crate::wire::Step;

/// `seconds` as a timeout, `None` meaning no limit: as LuaSocket reads it,
/// nil, a negative number and NaN; and a number too large for a `Duration`
/// (`math.huge`), which no real wait could reach anyway.
pub fn timeout(seconds: Option<f64>) -> Option<Duration> {
    seconds
        .filter(|seconds| *seconds >= 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
}

/// `timeout` from now; `None` for no limit, or one beyond the clock's range.
pub fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|timeout| Instant::now().checked_add(timeout))
}

/// The bound on waiting for replies on the `create` path. A socket's
/// timeout bounds one call, and a server can answer every call in time
/// while its reply never ends (a multi-line reply that goes on forever).
/// So, as on the native path, the wait starts at the first read after a
/// write, and once it has lasted the timeout, the next read is refused.
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

    /// Lets `step` through, or says "timeout" when it is a read that comes
    /// after the deadline.
    pub fn check(&mut self, step: &Step) -> Result<(), String> {
        if !matches!(step, Step::ReadLine | Step::ReadBytes(_)) {
            self.at = None;
            return Ok(());
        }
        match self.at {
            Some(at) if Instant::now() >= at => Err(TIMEOUT.to_string()),
            Some(_) => Ok(()),
            None => {
                self.at = deadline(self.timeout);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread::sleep;

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
        assert_eq!(deadline(Some(Duration::MAX)), None);
        assert!(deadline(Some(Duration::from_secs(1))).is_some());
    }

    #[test]
    fn reads_after_the_deadline_time_out() {
        let mut deadline = ReplyDeadline::new(Some(Duration::from_millis(50)));
        assert_eq!(deadline.check(&Step::ReadLine), Ok(()));
        assert_eq!(deadline.check(&Step::ReadLine), Ok(()));
        sleep(Duration::from_millis(60));
        assert_eq!(
            deadline.check(&Step::ReadBytes(5)),
            Err("timeout".to_string())
        );
    }

    #[test]
    fn a_write_starts_the_wait_afresh() {
        let mut deadline = ReplyDeadline::new(Some(Duration::from_millis(50)));
        assert_eq!(deadline.check(&Step::ReadLine), Ok(()));
        sleep(Duration::from_millis(60));
        assert_eq!(deadline.check(&Step::Write), Ok(()));
        assert_eq!(deadline.check(&Step::ReadLine), Ok(()));
    }

    #[test]
    fn without_a_timeout_reads_never_time_out() {
        let mut deadline = ReplyDeadline::new(None);
        assert_eq!(deadline.check(&Step::ReadLine), Ok(()));
        sleep(Duration::from_millis(10));
        assert_eq!(deadline.check(&Step::ReadLine), Ok(()));
    }
}
