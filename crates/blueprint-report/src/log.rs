//! The feature log as a person reads it (one entry a line, in columns) and as a program reads
//! it (each entry in canonical form with its hash).

use blueprint_store::LogEntry;

/// A JSON array of the entries, each in canonical form with its hash (as `log export` writes
/// them, one per line).
pub fn render_log_json(entries: &[LogEntry]) -> String {
    let mut out = String::from("[");
    for (i, entry) in entries.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&entry.canonical_json(true));
    }
    out.push_str(if entries.is_empty() { "]" } else { "\n]" });
    out
}

/// The entries as a person reads them: one a line, in columns.
pub fn render_log_text(entries: &[LogEntry]) -> String {
    if entries.is_empty() {
        return "The feature log is empty.\n".into();
    }
    // Columns line up over the whole listing; the time is shown to the second (`--format
    // json` and `log export` carry it whole).
    let width = entries
        .iter()
        .map(|e| e.event.feature.as_deref().map_or(1, str::len))
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for entry in entries {
        let event = &entry.event;
        let time = crate::to_the_second(&entry.time);
        let mut line = format!(
            "{:>5}  {time}  {:<14} {:<width$}  {} ({})",
            entry.seq,
            event.kind.as_str(),
            event.feature.as_deref().unwrap_or("-"),
            event.actor,
            event.role
        );
        if let Some(sprint) = event.sprint {
            line.push_str(&format!("  sprint {sprint}"));
        }
        if event.detail.as_object().is_some_and(|m| !m.is_empty()) {
            line.push_str(&format!("  {}", event.detail));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use blueprint_store::{EventKind, LogEntry, LogEvent, Role};

    use super::render_log_text;

    fn entry(seq: i64, time: &str, event: LogEvent) -> LogEntry {
        LogEntry {
            seq,
            time: time.into(),
            event,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn text_lines_up_its_columns_and_shows_the_time_to_the_second() {
        let text = render_log_text(&[
            entry(
                1,
                "2026-11-29T03:05:01.0777Z",
                LogEvent::new(EventKind::Selected, "jo@agency.gov.au", Role::Agency)
                    .feature("identity-ca-exclusion-group"),
            ),
            entry(
                2,
                "2026-11-29T03:05:02.077700923Z",
                LogEvent::phase_decision("transition", "ready", "jo@agency.gov.au", Role::Agency),
            ),
            entry(
                3,
                "2026-11-29T03:05:03Z",
                LogEvent::new(EventKind::Verified, "kim@partner.com.au", Role::Partner)
                    .feature("ca-terms-of-use")
                    .sprint(2),
            ),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("    1  2026-11-29 03:05:01 UTC  selected "),
            "{text}"
        );
        assert!(
            lines[1].contains("2026-11-29 03:05:02 UTC  phase_decision "),
            "{text}"
        );
        let actor_at: Vec<Option<usize>> = lines
            .iter()
            .map(|l| l.find("jo@").or_else(|| l.find("kim@")))
            .collect();
        assert!(actor_at.iter().all(|a| *a == actor_at[0]), "{text}");
        assert!(
            lines[2].ends_with("kim@partner.com.au (partner)  sprint 2"),
            "{text}"
        );
    }
}
