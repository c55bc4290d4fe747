//! Graph's throttling (graph-notes §4): the conditional access service's 1 request per second
//! per tenant (429 without `Retry-After`), Entra ID's resource-unit token buckets per app and
//! tenant sized by tenant (429 with a possibly fractional `Retry-After` and the `x-ms-*`
//! headers), Intune's request and write limits, the Exchange admin API's (the emulator's own
//! numbers: Microsoft publishes none), and the global per-app limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::GraphError;
use crate::kinds::ThrottleClass;
use crate::tenant::SizeClass;

/// How strictly the emulator throttles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThrottleMode {
    Off,
    /// Microsoft's published limits.
    Realistic,
    /// Published limits multiplied by the factor (0.01 is a hundred times stricter, 10 ten
    /// times more generous).
    Scale(f64),
}

impl std::str::FromStr for ThrottleMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(ThrottleMode::Off),
            "realistic" => Ok(ThrottleMode::Realistic),
            other => match other.strip_prefix("scale=").map(str::parse::<f64>) {
                Some(Ok(f)) if f > 0.0 && f.is_finite() => Ok(ThrottleMode::Scale(f)),
                _ => Err(format!(
                    "'{other}' is not a throttle mode: use off, realistic, or scale=F with F > 0 (e.g. scale=0.1)"
                )),
            },
        }
    }
}

impl ThrottleMode {
    fn factor(self) -> Option<f64> {
        match self {
            ThrottleMode::Off => None,
            ThrottleMode::Realistic => Some(1.0),
            ThrottleMode::Scale(f) => Some(f),
        }
    }
}

/// What the throttle needs to know of a request.
pub struct Metered<'a> {
    pub class: ThrottleClass,
    pub tenant_id: &'a str,
    pub app_id: &'a str,
    pub size: SizeClass,
    pub write: bool,
    /// Request cost in resource units (identity requests).
    pub cost: f64,
}

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    last: Instant,
}

impl Bucket {
    fn new(capacity: f64, window: Duration, now: Instant) -> Bucket {
        Bucket {
            capacity,
            tokens: capacity,
            per_sec: capacity / window.as_secs_f64(),
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.last = now;
    }

    /// Seconds until `cost` tokens are available (0 when they are now).
    fn wait_for(&self, cost: f64) -> f64 {
        if self.tokens >= cost {
            0.0
        } else {
            (cost - self.tokens) / self.per_sec
        }
    }

    fn used_fraction(&self) -> f64 {
        1.0 - self.tokens / self.capacity
    }
}

#[derive(Default)]
struct State {
    buckets: HashMap<String, Bucket>,
    ca_last: HashMap<String, Instant>,
}

pub struct Throttle {
    mode: ThrottleMode,
    state: Mutex<State>,
}

/// One limit a request is charged against.
struct Limit {
    key: String,
    capacity: f64,
    window: Duration,
    cost: f64,
    scope: String,
    information: &'static str,
}

impl Throttle {
    pub fn new(mode: ThrottleMode) -> Throttle {
        Throttle {
            mode,
            state: Mutex::new(State::default()),
        }
    }

    /// Charges the request; on success returns headers to add, otherwise the 429.
    pub fn admit(&self, m: &Metered) -> Result<Vec<(String, String)>, GraphError> {
        let Some(factor) = self.mode.factor() else {
            return Ok(Vec::new());
        };
        let now = Instant::now();
        let mut state = self.state.lock().expect("throttle lock");
        if m.class == ThrottleClass::ConditionalAccess {
            let interval = Duration::from_secs_f64(1.0 / factor);
            if let Some(last) = state.ca_last.get(m.tenant_id)
                && now.saturating_duration_since(*last) < interval
            {
                // The conditional access service sends no Retry-After.
                return Err(GraphError::new(
                    429,
                    "TooManyRequests",
                    "Too many requests. The conditional access service allows 1 request per second per tenant.",
                ));
            }
            state.ca_last.insert(m.tenant_id.to_string(), now);
        }
        let limits = self.limits(m, factor);
        let mut worst: Option<(f64, &Limit)> = None;
        for limit in &limits {
            let bucket = state
                .buckets
                .entry(limit.key.clone())
                .or_insert_with(|| Bucket::new(limit.capacity, limit.window, now));
            bucket.refill(now);
            let wait = bucket.wait_for(limit.cost);
            if wait > 0.0 && worst.is_none_or(|(w, _)| wait > w) {
                worst = Some((wait, limit));
            }
        }
        if let Some((wait, limit)) = worst {
            let retry_after = format_retry_after(wait);
            let mut err = GraphError::new(
                429,
                if m.class == ThrottleClass::Identity {
                    "Request_ThrottledTemporarily"
                } else {
                    "TooManyRequests"
                },
                "The request has been throttled. Retry after the number of seconds in the Retry-After header.",
            )
            .with_header("Retry-After", retry_after);
            if m.class == ThrottleClass::Identity {
                err = err
                    .with_header("x-ms-throttle-scope", limit.scope.clone())
                    .with_header("x-ms-throttle-information", limit.information);
            }
            return Err(err);
        }
        let mut headers = Vec::new();
        let mut highest = 0.0f64;
        for limit in &limits {
            let bucket = state.buckets.get_mut(&limit.key).expect("bucket exists");
            bucket.tokens -= limit.cost;
            highest = highest.max(bucket.used_fraction());
        }
        if m.class == ThrottleClass::Identity {
            headers.push((
                "x-ms-resource-unit".into(),
                format!("{}", m.cost.max(1.0) as u64),
            ));
            if highest > 0.8 {
                headers.push((
                    "x-ms-throttle-limit-percentage".into(),
                    format!("{highest:.2}"),
                ));
            }
        }
        Ok(headers)
    }

    fn limits(&self, m: &Metered, factor: f64) -> Vec<Limit> {
        let (t, a) = (m.tenant_id, m.app_id);
        let secs = Duration::from_secs;
        let mut limits = vec![Limit {
            key: format!("global/{a}"),
            capacity: 130_000.0 * factor,
            window: secs(10),
            cost: 1.0,
            scope: format!("Application/ReadWrite/{a}"),
            information: "RequestLimitExceeded",
        }];
        match m.class {
            ThrottleClass::Identity => {
                let units = match m.size {
                    SizeClass::Small => 3_500.0,
                    SizeClass::Medium => 5_000.0,
                    SizeClass::Large => 8_000.0,
                };
                limits.push(Limit {
                    key: format!("ru/{t}/{a}"),
                    capacity: units * factor,
                    window: secs(10),
                    cost: m.cost.max(1.0),
                    scope: format!("Tenant_Application/ReadWrite/{a}/{t}"),
                    information: "ResourceUnitLimitExceeded",
                });
                if m.write {
                    limits.push(Limit {
                        key: format!("w/{t}/{a}"),
                        capacity: 3_000.0 * factor,
                        window: secs(150),
                        cost: 1.0,
                        scope: format!("Tenant_Application/Write/{a}/{t}"),
                        information: "WriteLimitExceeded",
                    });
                    limits.push(Limit {
                        key: format!("w/{t}"),
                        capacity: 18_000.0 * factor,
                        window: secs(300),
                        cost: 1.0,
                        scope: format!("Tenant/Write/{a}/{t}"),
                        information: "WriteLimitExceeded",
                    });
                }
            }
            ThrottleClass::Intune => {
                limits.push(Limit {
                    key: format!("intune/{t}"),
                    capacity: 2_000.0 * factor,
                    window: secs(20),
                    cost: 1.0,
                    scope: format!("Tenant/ReadWrite/{a}/{t}"),
                    information: "RequestLimitExceeded",
                });
                limits.push(Limit {
                    key: format!("intune/{t}/{a}"),
                    capacity: 1_000.0 * factor,
                    window: secs(20),
                    cost: 1.0,
                    scope: format!("Tenant_Application/ReadWrite/{a}/{t}"),
                    information: "RequestLimitExceeded",
                });
                if m.write {
                    limits.push(Limit {
                        key: format!("intune-w/{t}"),
                        capacity: 200.0 * factor,
                        window: secs(20),
                        cost: 1.0,
                        scope: format!("Tenant/Write/{a}/{t}"),
                        information: "WriteLimitExceeded",
                    });
                    limits.push(Limit {
                        key: format!("intune-w/{t}/{a}"),
                        capacity: 100.0 * factor,
                        window: secs(20),
                        cost: 1.0,
                        scope: format!("Tenant_Application/Write/{a}/{t}"),
                        information: "WriteLimitExceeded",
                    });
                }
            }
            ThrottleClass::Exchange => {
                // Microsoft publishes no numbers for the admin API (real-tenant-and-exchange.md
                // §2a: UNCONFIRMED); clients meet 429 with Retry-After under load. These are the
                // emulator's own, per tenant and app, generous enough that one deploy or
                // evaluate never meets them at `realistic`; `scale=F` tightens them for tests.
                limits.push(Limit {
                    key: format!("exo/{t}/{a}"),
                    capacity: 600.0 * factor,
                    window: secs(60),
                    cost: 1.0,
                    scope: format!("Tenant_Application/ReadWrite/{a}/{t}"),
                    information: "RequestLimitExceeded",
                });
                if m.write {
                    limits.push(Limit {
                        key: format!("exo-w/{t}/{a}"),
                        capacity: 300.0 * factor,
                        window: secs(60),
                        cost: 1.0,
                        scope: format!("Tenant_Application/Write/{a}/{t}"),
                        information: "WriteLimitExceeded",
                    });
                }
            }
            ThrottleClass::ConditionalAccess | ThrottleClass::Other => {}
        }
        // A bucket smaller than one request could never admit it.
        for l in &mut limits {
            l.capacity = l.capacity.max(l.cost);
        }
        limits
    }
}

/// `Retry-After` in seconds: whole when whole, otherwise with millisecond precision (Graph
/// sends values such as `2.128`).
pub fn format_retry_after(secs: f64) -> String {
    let ms = (secs * 1000.0).ceil() as u64;
    if ms.is_multiple_of(1000) {
        format!("{}", ms / 1000)
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
    }
}

/// The resource-unit cost of an identity request (graph-notes §4).
pub fn identity_cost(method: &str, path: &str, query: &str) -> f64 {
    let write = !method.eq_ignore_ascii_case("GET");
    let mut cost: f64 = if !write && path.trim_start_matches('/').starts_with("users") {
        2.0
    } else {
        1.0
    };
    if write {
        cost += 1.0;
    }
    if query.contains("$select=") {
        cost -= 1.0;
    }
    if let Some(top) = query
        .split('&')
        .find_map(|p| p.strip_prefix("$top="))
        .and_then(|v| v.parse::<u32>().ok())
        && top < 20
    {
        cost -= 1.0;
    }
    cost.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_fractional_only_when_needed() {
        assert_eq!(format_retry_after(2.0), "2");
        assert_eq!(format_retry_after(2.1277), "2.128");
        assert_eq!(format_retry_after(0.0004), "0.001");
    }

    #[test]
    fn identity_costs_follow_the_published_table() {
        assert_eq!(identity_cost("GET", "users", ""), 2.0);
        assert_eq!(identity_cost("GET", "users", "$select=id"), 1.0);
        assert_eq!(identity_cost("POST", "groups", ""), 2.0);
        assert_eq!(identity_cost("GET", "groups", "$top=5"), 1.0);
    }

    #[test]
    fn parses_modes() {
        assert_eq!("off".parse::<ThrottleMode>().unwrap(), ThrottleMode::Off);
        assert_eq!(
            "scale=0.5".parse::<ThrottleMode>().unwrap(),
            ThrottleMode::Scale(0.5)
        );
        assert!("scale=0".parse::<ThrottleMode>().is_err());
        assert!("fast".parse::<ThrottleMode>().is_err());
    }
}
