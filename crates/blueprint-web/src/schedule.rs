//! Scheduled evaluation: every engagement (or those the configuration names) is evaluated
//! every so often by a job the server queues itself, so drift is recorded without anyone
//! asking. Several servers sharing one database queue one evaluation per interval between
//! them ([`blueprint_store::StateStore::enqueue_job`]).
//!
//! ```toml
//! [schedule]
//! evaluate_every = "24h"     # every engagement
//!
//! [schedule.engagements]     # per engagement: another interval, or "off"
//! dta = "12h"
//! abs = "off"
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// Who the feature log names for a scheduled evaluation (acting for the agency).
pub const ACTOR: &str = "scheduled evaluation";

/// The shortest interval accepted: a tenant is read in full by each evaluation.
const MINIMUM: Duration = Duration::from_secs(60);

/// An interval, written `90s`, `30m`, `24h` or `7d`; or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Every(pub Option<Duration>);

impl TryFrom<String> for Every {
    type Error = String;

    fn try_from(text: String) -> Result<Every, String> {
        let text = text.trim();
        if text == "off" {
            return Ok(Every(None));
        }
        let bad = || {
            format!(
                "`{text}` is not an interval: write a number and a unit (s, m, h or d), e.g. \"24h\", or \"off\""
            )
        };
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let every = Duration::from_secs(number.checked_mul(seconds).ok_or_else(bad)?);
        if every < MINIMUM {
            return Err(format!(
                "`{text}` is too often: evaluate at most once a minute"
            ));
        }
        Ok(Every(Some(every)))
    }
}

/// The `[schedule]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Every engagement's interval, unless `engagements` names another.
    #[serde(default)]
    pub evaluate_every: Option<Every>,
    /// Per engagement id.
    #[serde(default)]
    pub engagements: BTreeMap<String, Every>,
}

impl Schedule {
    /// How often engagement `id` is evaluated; `None`: never by schedule.
    pub fn interval(&self, id: &str) -> Option<Duration> {
        match self.engagements.get(id) {
            Some(every) => every.0,
            None => self.evaluate_every.and_then(|e| e.0),
        }
    }

    /// Every engagement every `every`.
    pub fn every(every: Duration) -> Schedule {
        Schedule {
            evaluate_every: Some(Every(Some(every))),
            engagements: BTreeMap::new(),
        }
    }
}

/// `24h`, `90m`, `45s`: for the job's request and the pages.
pub fn describe(every: Duration) -> String {
    let s = every.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_read_per_engagement_with_a_default() {
        let schedule: Schedule = toml::from_str(
            "evaluate_every = \"24h\"\n[engagements]\ndta = \"90m\"\nabs = \"off\"\n",
        )
        .unwrap();
        assert_eq!(schedule.interval("ato"), Some(Duration::from_secs(86_400)));
        assert_eq!(schedule.interval("dta"), Some(Duration::from_secs(5400)));
        assert_eq!(schedule.interval("abs"), None);
        assert_eq!(Schedule::default().interval("dta"), None);
        assert_eq!(describe(Duration::from_secs(5400)), "90m");
        assert_eq!(describe(Duration::from_secs(86_400)), "1d");
    }

    #[test]
    fn a_bad_interval_is_refused_saying_how_to_write_one() {
        for bad in ["24", "1w", "h", "10s", "-1h"] {
            let err = Every::try_from(bad.to_string()).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
