//! The token endpoint's success answer (`{"token_type","expires_in","access_token",…}`), read
//! as a pure function so any body can be fed to it in tests.

use std::time::Duration;

use serde_json::Value;

use crate::retry::clamp_seconds;
use crate::{GraphError, SecretString};

/// The longest lifetime believed from `expires_in`. Entra issues app tokens for 60–90 minutes;
/// a day covers any real answer, and a larger or absurd one (`1e300`) is clamped so it can
/// neither panic nor keep a token cached past any plausible expiry.
pub(crate) const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A usable access token and how long the endpoint says it lasts.
#[derive(Debug, PartialEq)]
pub(crate) struct IssuedToken {
    pub access_token: SecretString,
    /// `expires_in`, clamped to `(0, MAX_TOKEN_LIFETIME]`.
    pub lifetime: Duration,
}

/// Reads a 200 answer of the token endpoint. `ext_expires_in` (how long the token outlives an
/// outage of Entra) is not used: the client refreshes by `expires_in` alone.
pub(crate) fn parse_token_response(body: &str) -> Result<IssuedToken, GraphError> {
    let invalid = |what: &str| GraphError::Auth {
        status: 200,
        error: "invalid_token_response".to_string(),
        aadsts: None,
        description: format!("the token endpoint's answer {what}"),
    };
    let parsed: Value = serde_json::from_str(body).map_err(|_| invalid("is not JSON"))?;
    let access_token = parsed
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("has no access_token"))?;
    // A number in v2.0; a string in older Entra answers.
    let seconds = match parsed.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let lifetime = seconds
        .and_then(|s| clamp_seconds(s, MAX_TOKEN_LIFETIME))
        .filter(|d| !d.is_zero())
        .ok_or_else(|| invalid("has no usable expires_in (a positive number of seconds)"))?;
    Ok(IssuedToken {
        access_token: SecretString::new(access_token),
        lifetime,
    })
}

/// When to ask for a new token: five minutes before expiry, or halfway through a token that
/// lives less than ten minutes.
pub(crate) fn refresh_after(lifetime: Duration) -> Duration {
    let margin = Duration::from_secs(300).min(lifetime / 2);
    lifetime.saturating_sub(margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_answer_gives_the_token_and_its_lifetime() {
        let t = parse_token_response(
            r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"abc"}"#,
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "abc");
        assert_eq!(t.lifetime, Duration::from_secs(3599));
        let old = parse_token_response(r#"{"expires_in":"3600","access_token":"x"}"#).unwrap();
        assert_eq!(old.lifetime, Duration::from_secs(3600));
        assert_eq!(
            refresh_after(Duration::from_secs(3600)),
            Duration::from_secs(3300)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(2)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn absurd_lifetimes_are_clamped_or_refused_never_a_panic() {
        for huge in ["1e20", "1e300", "18446744073709551616"] {
            let body = format!(r#"{{"expires_in":{huge},"access_token":"x"}}"#);
            assert_eq!(
                parse_token_response(&body).unwrap().lifetime,
                MAX_TOKEN_LIFETIME,
                "{huge}"
            );
            let body = format!(
                r#"{{"expires_in":"{huge}","ext_expires_in":"{huge}","access_token":"x"}}"#
            );
            assert_eq!(
                parse_token_response(&body).unwrap().lifetime,
                MAX_TOKEN_LIFETIME
            );
        }
        for bad in [
            "0", "-1", "\"NaN\"", "\"-inf\"", "null", "\"soon\"", "1e-300",
        ] {
            let body = format!(r#"{{"expires_in":{bad},"access_token":"x"}}"#);
            let err = parse_token_response(&body).unwrap_err();
            assert!(err.to_string().contains("expires_in"), "{bad}: {err}");
        }
        assert!(parse_token_response(r#"{"expires_in":10}"#).is_err());
        assert!(parse_token_response("<html>").is_err());
    }
}
