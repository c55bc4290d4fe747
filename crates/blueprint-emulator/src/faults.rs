//! Injected faults, drawn from the emulator's seeded random source so a run can be repeated
//! with `--rng-seed`: latency, transient 5xx by method (Dev Proxy's catalogue), 429 bursts
//! with integer, fractional or no `Retry-After`, dropped connections, and creates that
//! commit but whose response is lost.

use rand::Rng;

use crate::error::GraphError;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultConfig {
    /// Added latency per request, uniform in milliseconds.
    pub latency_ms: Option<(u64, u64)>,
    /// Probability that a request meets a fault.
    pub fault_rate: f64,
}

/// What happens to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    None,
    /// Answer with this error before doing anything.
    Reject(GraphError),
    /// Drop the connection before doing anything.
    ResetBefore,
    /// Do the work, then answer with this error (the client cannot know it committed).
    LoseAfterCommit(GraphError),
    /// Do the work, then drop the connection.
    ResetAfterCommit,
}

fn server_error(status: u16) -> GraphError {
    let (code, message) = match status {
        500 => ("generalException", "An internal server error occurred."),
        502 => (
            "BadGateway",
            "The server, while acting as a gateway, received an invalid response.",
        ),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Try again later.",
        ),
        504 => (
            "GatewayTimeout",
            "The server, while acting as a gateway, did not receive a timely response.",
        ),
        _ => (
            "insufficientStorage",
            "The server is unable to store the data needed to complete the request.",
        ),
    };
    GraphError::new(status, code, message)
}

fn throttled(rng: &mut impl Rng) -> GraphError {
    let err = GraphError::new(
        429,
        "TooManyRequests",
        "Too many requests (injected by the emulator's fault plan).",
    );
    match rng.random_range(0..3) {
        0 => err.with_header("Retry-After", format!("{}", rng.random_range(1..=2))),
        1 => err.with_header(
            "Retry-After",
            format!("0.{:03}", rng.random_range(100..999)),
        ),
        _ => err,
    }
}

impl FaultConfig {
    pub fn draw(&self, method: &str, rng: &mut impl Rng) -> Fault {
        if self.fault_rate <= 0.0 || !rng.random_bool(self.fault_rate.min(1.0)) {
            return Fault::None;
        }
        let method = method.to_ascii_uppercase();
        let statuses: &[u16] = match method.as_str() {
            "POST" | "DELETE" => &[500, 502, 503, 504, 507],
            _ => &[500, 502, 503, 504],
        };
        let creating = method == "POST";
        // Spread the faults over the kinds a client must survive.
        match rng.random_range(0..if creating { 5 } else { 3 }) {
            0 => Fault::Reject(throttled(rng)),
            1 => {
                let status = statuses[rng.random_range(0..statuses.len())];
                Fault::Reject(server_error(status))
            }
            2 => Fault::ResetBefore,
            3 => Fault::LoseAfterCommit(server_error(if rng.random_bool(0.5) { 500 } else { 504 })),
            _ => Fault::ResetAfterCommit,
        }
    }

    pub fn latency(&self, rng: &mut impl Rng) -> Option<std::time::Duration> {
        let (lo, hi) = self.latency_ms?;
        let ms = if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        };
        Some(std::time::Duration::from_millis(ms))
    }
}

/// Parses `A..B` (milliseconds) as DESIGN.md's `--latency-ms`.
pub fn parse_latency(text: &str) -> Result<(u64, u64), String> {
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (a, b),
        None => (text, text),
    };
    let parse = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            format!("'{text}' is not a latency range: use A..B in milliseconds, e.g. 20..80")
        })
    };
    let (a, b) = (parse(a)?, parse(b)?);
    if a > b || b > 60_000 {
        return Err(format!(
            "'{text}': the range must be A..B with A ≤ B ≤ 60000 ms"
        ));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn same_seed_same_faults() {
        let cfg = FaultConfig {
            latency_ms: None,
            fault_rate: 0.5,
        };
        let draw = |seed| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            (0..50)
                .map(|_| cfg.draw("POST", &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert!(draw(7).iter().any(|f| *f != Fault::None));
    }

    #[test]
    fn latency_ranges_parse() {
        assert_eq!(parse_latency("20..80").unwrap(), (20, 80));
        assert_eq!(parse_latency("5").unwrap(), (5, 5));
        assert!(parse_latency("80..20").is_err());
        assert!(parse_latency("x").is_err());
    }
}
