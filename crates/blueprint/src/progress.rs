//! The engine's progress on a terminal: a bar while a deploy applies its plan (each change
//! printed above it as it finishes), and Graph's throttling and retries as they happen, so a
//! long wait is never a mystery. The bar's spinner keeps turning while the client paces
//! conditional access (Microsoft allows one request a second there).

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use blueprint_engine::Outcome as ActionOutcome;
use blueprint_engine::progress::{Progress, ProgressEvent};
use indicatif::{ProgressBar, ProgressStyle};

/// Draws progress on standard error; `quiet` (a `--format json` run) shows nothing.
pub struct Terminal {
    bar: ProgressBar,
    quiet: bool,
    /// Print each change (a deploy) or only draw the bar (the demo's summary lines say it).
    changes: bool,
    /// On a terminal the lines go above the bar; otherwise (a log, a pipe) straight out.
    on_terminal: bool,
}

impl Terminal {
    pub fn new(quiet: bool) -> Arc<Terminal> {
        Terminal::with(quiet, true)
    }

    /// Only the bar and Graph's waits, no line per change.
    pub fn bar_only() -> Arc<Terminal> {
        Terminal::with(false, false)
    }

    fn with(quiet: bool, changes: bool) -> Arc<Terminal> {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Arc::new(Terminal {
            bar,
            quiet,
            changes,
            on_terminal: std::io::stderr().is_terminal(),
        })
    }

    /// A line above the bar; without one, a change goes to standard output (what a log or a
    /// script reading the deploy sees) and a wait to standard error.
    fn line(&self, text: String, change: bool) {
        if self.quiet {
            return;
        }
        if self.on_terminal && !self.bar.is_hidden() {
            self.bar.println(text);
        } else if change {
            println!("{text}");
        } else {
            eprintln!("{text}");
        }
    }

    /// Clears the bar (call when the work is done).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Terminal {
    fn report(&self, event: ProgressEvent) {
        match event {
            ProgressEvent::Applying { actions } if !self.quiet && self.on_terminal => {
                self.bar
                    .set_draw_target(indicatif::ProgressDrawTarget::stderr());
                self.bar.set_length(actions as u64);
                self.bar.set_position(0);
                self.bar.enable_steady_tick(Duration::from_millis(120));
            }
            ProgressEvent::Applied { .. } => self.finish(),
            ProgressEvent::Finished { result } => {
                self.bar.inc(1);
                let line = match &result.outcome {
                    ActionOutcome::Done { op, .. } => {
                        Some(format!("  done     {op:<14} {}", result.reference))
                    }
                    ActionOutcome::Failed { error, .. } => {
                        Some(format!("  FAILED   {}: {error}", result.reference))
                    }
                    ActionOutcome::Skipped { reason } => {
                        Some(format!("  skipped  {}: {reason}", result.reference))
                    }
                    ActionOutcome::Unchanged => None,
                };
                if let Some(line) = line.filter(|_| self.changes) {
                    self.line(line, true);
                }
                self.bar.set_message(result.reference);
            }
            ProgressEvent::Throttled { path, wait_ms, .. } if wait_ms >= 500 => self.line(
                format!(
                    "  throttled by Microsoft Graph on {}, waiting {:.1} s",
                    short(&path),
                    wait_ms as f64 / 1000.0
                ),
                false,
            ),
            ProgressEvent::Retrying {
                path,
                reason,
                wait_ms,
                attempt,
            } => self.line(
                format!(
                    "  {reason} on {} (attempt {attempt}), retrying in {:.1} s",
                    short(&path),
                    wait_ms as f64 / 1000.0
                ),
                false,
            ),
            _ => {}
        }
    }
}

fn short(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}
