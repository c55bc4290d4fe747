//! Waiting between attempts: `Retry-After` when the service names a time, otherwise exponential
//! backoff with full jitter, all within a per-call wait budget.

use std::time::Duration;

use rand::Rng as _;

use crate::RetryPolicy;

/// The longest single wait taken from a `Retry-After` header; anything longer is either an
/// error or a sign to stop, and the call's wait budget decides which.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Parses `Retry-After`: delay-seconds, which Graph sends fractional at times (`2.128`), or an
/// HTTP-date. Whatever the server sends, the wait is clamped to `[0, MAX_RETRY_AFTER]`: a value
/// such as `1e20` must not reach `Duration::from_secs_f64`, which panics beyond `u64` seconds.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    parse_retry_after_at(value, time::OffsetDateTime::now_utc())
}

/// [`parse_retry_after`] with the clock as an argument, so a test can drive it with any date.
pub(crate) fn parse_retry_after_at(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-' || c == '+') {
        let seconds = value.parse::<f64>().ok()?;
        return clamp_seconds(seconds, MAX_RETRY_AFTER);
    }
    let date =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    // A date in the past means "now"; one far in the future is clamped like a number.
    let delta = (date - now).clamp(time::Duration::ZERO, time::Duration::seconds(3600));
    Some(
        Duration::try_from(delta)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// A server-supplied number of seconds as a `Duration` within `[0, max]`: `None` for NaN and
/// negatives, `max` for anything longer (including infinity).
pub(crate) fn clamp_seconds(seconds: f64, max: Duration) -> Option<Duration> {
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    if seconds >= max.as_secs_f64() {
        return Some(max);
    }
    Some(Duration::from_secs_f64(seconds))
}

/// Full jitter: a uniform wait in `[0, min(max_backoff, base · 2^(failures-1))]`.
pub(crate) fn backoff(policy: &RetryPolicy, failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let ceiling = policy
        .base_backoff
        .saturating_mul(1u32 << exponent)
        .min(policy.max_backoff);
    if ceiling.is_zero() {
        return Duration::ZERO;
    }
    let nanos = rand::rng().random_range(0..=ceiling.as_nanos().min(u64::MAX as u128) as u64);
    Duration::from_nanos(nanos)
}

/// The waits between look-ups of something Graph's replicas may not show yet (an object just
/// created, or one a create with a lost answer may have made): 0.5 s, doubling to at most 8 s,
/// until together they fill `window`. Entra replicates in seconds, so the first looks come soon
/// and the later ones cover a slow replica.
pub(crate) fn replication_waits(window: Duration) -> impl Iterator<Item = Duration> {
    doubling_waits(window, Duration::from_secs(8))
}

/// The waits between looks for an object another service is still provisioning: as
/// [`replication_waits`] at first, then up to 30 s apart, until `window` is spent.
pub(crate) fn provisioning_waits(window: Duration) -> impl Iterator<Item = Duration> {
    doubling_waits(window, Duration::from_secs(30))
}

/// 0.5 s, doubling to at most `cap`, until together the waits fill `window`.
fn doubling_waits(window: Duration, cap: Duration) -> impl Iterator<Item = Duration> {
    let mut next = Duration::from_millis(500);
    let mut left = window;
    std::iter::from_fn(move || {
        if left.is_zero() {
            return None;
        }
        let wait = next.min(left);
        left -= wait;
        next = next.saturating_mul(2).min(cap);
        Some(wait)
    })
}

/// Tracks one logical call's attempts and waits against the policy.
#[derive(Debug)]
pub(crate) struct RetryBudget<'p> {
    policy: &'p RetryPolicy,
    pub(crate) attempts: u32,
    waited: Duration,
}

/// Why a call gives up instead of waiting again.
#[derive(Debug, PartialEq)]
pub(crate) enum GiveUp {
    Attempts,
    WaitBudget { wanted: Duration },
}

impl<'p> RetryBudget<'p> {
    pub(crate) fn new(policy: &'p RetryPolicy) -> Self {
        Self {
            policy,
            attempts: 0,
            waited: Duration::ZERO,
        }
    }

    /// Counts an attempt about to be made.
    pub(crate) fn start_attempt(&mut self) -> u32 {
        self.attempts += 1;
        self.attempts
    }

    /// The wait before the next attempt, or why there is none.
    pub(crate) fn next_wait(&mut self, retry_after: Option<Duration>) -> Result<Duration, GiveUp> {
        if self.attempts >= self.policy.max_attempts.max(1) {
            return Err(GiveUp::Attempts);
        }
        let wait = retry_after.unwrap_or_else(|| backoff(self.policy, self.attempts));
        let waited = self.waited.saturating_add(wait);
        if waited > self.policy.max_wait_total {
            return Err(GiveUp::WaitBudget { wanted: wait });
        }
        self.waited = waited;
        Ok(wait)
    }
}

impl GiveUp {
    pub(crate) fn describe(&self, policy: &RetryPolicy) -> String {
        match self {
            GiveUp::Attempts => format!("all {} attempts used", policy.max_attempts),
            GiveUp::WaitBudget { wanted } => format!(
                "another wait of {:.1} s would exceed the {} s wait budget",
                wanted.as_secs_f64(),
                policy.max_wait_total.as_secs()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_integer_fractional_and_dates() {
        assert_eq!(parse_retry_after("10"), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after(" 2.128 "),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        let past = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(past, Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_is_clamped_whatever_the_server_sends() {
        let hour = Some(MAX_RETRY_AFTER);
        for huge in [
            "1e20",
            "18446744073709551616",
            "1e308",
            "inf",
            "+inf",
            "99999999999",
        ] {
            let parsed = parse_retry_after(huge);
            assert!(parsed.is_none() || parsed == hour, "{huge}: {parsed:?}");
        }
        assert_eq!(parse_retry_after("1e20"), hour);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("-0.5"), None);
        assert_eq!(parse_retry_after(""), None);
        let now = time::macros::datetime!(2026-01-01 00:00:00 UTC);
        assert_eq!(
            parse_retry_after_at("Thu, 01 Jan 2026 00:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after_at("Fri, 31 Dec 9999 23:59:59 GMT", now),
            hour,
            "a date centuries away waits an hour at most"
        );
    }

    #[test]
    fn backoff_is_bounded_by_the_exponential_ceiling() {
        let policy = RetryPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(backoff(&policy, 1) <= Duration::from_millis(100));
            assert!(backoff(&policy, 2) <= Duration::from_millis(200));
            assert!(backoff(&policy, 10) <= Duration::from_millis(350));
        }
        // Full jitter spreads the waits: not every draw is the same.
        let draws: std::collections::HashSet<_> = (0..20).map(|_| backoff(&policy, 3)).collect();
        assert!(draws.len() > 1);
    }

    #[test]
    fn provisioning_waits_fill_the_window_at_most_thirty_seconds_apart() {
        let waits: Vec<Duration> = provisioning_waits(Duration::from_secs(900)).collect();
        assert_eq!(waits[..3], [500, 1000, 2000].map(Duration::from_millis));
        assert_eq!(waits.iter().sum::<Duration>(), Duration::from_secs(900));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(30)));
        assert!(waits.len() < 40, "{} looks", waits.len());
        assert_eq!(provisioning_waits(Duration::ZERO).count(), 0);
    }

    #[test]
    fn replication_waits_fill_the_window_and_no_more() {
        let waits: Vec<Duration> = replication_waits(Duration::from_secs(20)).collect();
        assert_eq!(
            waits[..4],
            [500, 1000, 2000, 4000].map(Duration::from_millis)
        );
        assert_eq!(waits.iter().sum::<Duration>(), Duration::from_secs(20));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(8)));
        assert_eq!(replication_waits(Duration::ZERO).count(), 0);
        assert_eq!(replication_waits(Duration::MAX).take(100).count(), 100);
    }

    #[test]
    fn budget_stops_at_attempts_and_at_the_wait_total() {
        let policy = RetryPolicy {
            max_attempts: 3,
            max_wait_total: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let mut budget = RetryBudget::new(&policy);
        budget.start_attempt();
        assert_eq!(
            budget.next_wait(Some(Duration::from_secs(3))),
            Ok(Duration::from_secs(3))
        );
        budget.start_attempt();
        assert_eq!(
            budget.next_wait(Some(Duration::from_secs(3))),
            Err(GiveUp::WaitBudget {
                wanted: Duration::from_secs(3)
            })
        );
        assert_eq!(
            budget.next_wait(Some(Duration::from_secs(1))),
            Ok(Duration::from_secs(1))
        );
        budget.start_attempt();
        assert_eq!(budget.next_wait(None), Err(GiveUp::Attempts));
    }
}
