//! `blueprint demo`: the whole Deploy flow against a built-in emulated tenant.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use blueprint_emulator::{EmulatorConfig, Fixture, ThrottleMode};
use blueprint_engine::new_workspace::{ProfileValues, write_profile};
use blueprint_engine::rehearsal::{self, SprintRehearsal};
use blueprint_engine::{Session, Verdict, Workspace, engagement};
use clap::Args;

use super::common::{engine_error, runtime};
use super::init::from_ready_file;
use crate::progress::Terminal;
use crate::{CommandError, Outcome};

/// The whole Deploy flow against a built-in emulated tenant. Start here.
///
/// Runs it all in one go: starts the emulator (seeded with a legacy agency by default),
/// creates a workspace, records the execution plan and a sprint plan in the feature log, then
/// sprint by sprint deploys report-only, enforces and evaluates (a sprint goes ahead only once
/// the sprints it builds on are verified), evaluates the whole tenant, writes the HTML report,
/// the sprint plan and the user guides, and says where every file is. Nothing leaves this
/// machine.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo workspace (replaced if it holds an earlier demo).
    #[arg(long, default_value = "blueprint-demo")]
    pub dir: PathBuf,
    /// The emulator fixture to seed.
    #[arg(long, default_value = "legacy-agency")]
    pub seed: String,
    /// Emulator throttling: realistic (Microsoft's limits: conditional access at 1 request/s),
    /// off, or scale=F.
    #[arg(long, default_value = "realistic")]
    pub throttle: ThrottleMode,
}

pub fn run(args: DemoArgs) -> Result<Outcome, CommandError> {
    let fixture = Fixture::load(&args.seed).map_err(|e| CommandError::Input(e.to_string()))?;
    clear_earlier_demo(&args.dir)?;
    let before = entries_under(&args.dir);
    let result = run_demo(&args, fixture);
    // Whatever happened, the next demo can clear exactly what this one made.
    record_created(&args.dir, &before)?;
    result
}

fn run_demo(args: &DemoArgs, fixture: Fixture) -> Result<Outcome, CommandError> {
    let emulator_dir = args.dir.join("emulator");
    std::fs::create_dir_all(&emulator_dir).map_err(|e| CommandError::Failed(e.to_string()))?;
    let ready_path = emulator_dir.join("ready.json");
    let rt = runtime()?;
    rt.block_on(async {
        println!(
            "1. Starting the tenant emulator ({}, TLS, throttling {:?})",
            args.seed, args.throttle
        );
        let running = blueprint_emulator::serve(EmulatorConfig {
            tls: true,
            seeds: vec![fixture],
            ready_file: Some(ready_path.clone()),
            out_dir: Some(emulator_dir.clone()),
            state_file: Some(emulator_dir.join("tenant-state.json")),
            throttle: args.throttle,
            ..EmulatorConfig::default()
        })
        .await
        .map_err(|e| CommandError::Failed(e.to_string()))?;
        let tenant = running.info().tenants[0].clone();
        println!("   {} ({}) at {}", tenant.name, tenant.domain, running.info().graph);

        println!("2. Creating the workspace {}", args.dir.display());
        let rehearsal = from_ready_file(&ready_path)?;
        let values = ProfileValues {
            agency: tenant.name.clone(),
            domain: tenant.domains.last().cloned().unwrap_or(tenant.domain.clone()),
            prefix: initials(&tenant.name),
            tenant_id: Some(rehearsal.tenant_id),
            break_glass: rehearsal.break_glass,
            protective_markings: rehearsal.protective_markings,
            connection: rehearsal.connection,
            ..ProfileValues::default()
        };
        write_profile(&args.dir, &values, true).map_err(engine_error)?;
        let workspace = Workspace::open(&args.dir).map_err(engine_error)?;

        println!(
            "3. Planning sprints (the execution plan and the sprint plan go into the feature log)"
        );
        let plan = engagement::plan_sprints(&workspace)
            .await
            .map_err(engine_error)?
            .plan;
        for sprint in &plan.sprints {
            println!(
                "   sprint {:>2}: {:>2} features, {:>2} points",
                sprint.number,
                sprint.features.len(),
                sprint.points()
            );
        }
        let sprints_path = args.dir.join("sprints.html");
        write(&sprints_path, &blueprint_report::render_sprints_html(&plan))?;

        println!("4. Each sprint: deploy (conditional access report-only), enforce, evaluate");
        let evidence = rehearsal::evidence(&args.dir).map_err(engine_error)?;
        let mut failed = 0;
        for sprint in &plan.sprints {
            let rehearsed =
                rehearsal::rehearse_sprint(&args.dir, sprint.number, &evidence, Terminal::bar_only())
                    .await
                    .map_err(engine_error)?;
            failed += rehearsed.deployed.as_ref().map_or(0, rehearsal::Deployed::failed);
            println!("   sprint {:>2}: {}", sprint.number, summary(&rehearsed));
        }

        println!("5. Evaluating the whole live tenant");
        let workspace = Workspace::open(&args.dir).map_err(engine_error)?;
        let session = Session::open(workspace, Terminal::bar_only()).map_err(engine_error)?;
        let evaluated = session.evaluate_report().await.map_err(engine_error)?;
        let (evaluation, input) = (&evaluated.evaluation, &evaluated.report);
        let evaluation_path = args.dir.join("evaluation.json");
        let report_path = args.dir.join("report.html");
        let guides_dir = args.dir.join("guides");
        write(&evaluation_path, &blueprint_report::render_json(input))?;
        write(&report_path, &blueprint_report::render_html(input))?;
        let guides = super::guides::write_guides(&guides_dir, input)?;
        print!("{}", indent(&blueprint_report::render_text_outstanding(input)));

        let (replan, _) = session.plan(true).await.map_err(engine_error)?;
        session.close().await;
        running
            .shutdown()
            .await
            .map_err(|e| CommandError::Failed(e.to_string()))?;

        let dir = &args.dir;
        println!("\nFiles:");
        for (what, path) in [
            ("profile", dir.join("blueprint.toml")),
            ("state, feature log", dir.join(".blueprint/state.db")),
            ("sprint plan", sprints_path),
            ("evaluation", evaluation_path),
            ("report", report_path),
        ] {
            println!("  {what:<18} {}", path.display());
        }
        println!(
            "  {:<18} {} ({guides} features in place)",
            "user guides",
            guides_dir.join("index.html").display()
        );
        println!(
            "  {:<18} {}",
            "emulator tenant",
            emulator_dir.join("tenant-state.json").display()
        );
        println!(
            "  {:<18} {}",
            "emulator CA",
            emulator_dir.join("emulator-ca.pem").display()
        );
        let manual = evaluation.count(Verdict::Manual);
        println!(
            "\n{} of {} automated features verified in the tenant, sprint by sprint; {manual} manual \
             features attested for the rehearsal only (a person attests them with real evidence: \
             `blueprint attest`).{}",
            evaluation.count(Verdict::Pass),
            evaluation.features.len() - manual,
            if replan.has_changes() {
                " A new plan still shows changes."
            } else {
                " A new plan shows no changes."
            }
        );
        println!(
            "Next: `blueprint status -C {0}` recommends the next step; `blueprint log verify -C {0}` \
             proves the record.",
            dir.display()
        );
        println!(
            "The web app: `blueprint serve --demo` serves three demo agencies at different phases \
             and prints its address; its --ready-file lists a user per role to sign in with."
        );
        let automated_ok = evaluation
            .features
            .iter()
            .all(|f| matches!(f.verdict, Verdict::Pass | Verdict::Manual));
        Ok(Outcome::of(automated_ok && failed == 0))
    })
}

/// What a sprint of the demo did, in a line.
fn summary(sprint: &SprintRehearsal) -> String {
    let Some(deployed) = &sprint.deployed else {
        return format!(
            "manual only, {} features attested for the rehearsal",
            sprint.attested
        );
    };
    let evaluation = &deployed.evaluation;
    format!(
        "{} changes ({} failed), {} enforced; {} of {} automated features verified",
        deployed.report_only.done(),
        deployed.failed(),
        deployed.enforced.done(),
        evaluation.count(Verdict::Pass),
        evaluation.features.len() - evaluation.count(Verdict::Manual),
    )
}

/// The agency's initials, for its prefix.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_uppercase()
}

fn write(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    std::fs::write(path, text)
        .map_err(|e| CommandError::Failed(format!("writing {}: {e}", path.display())))
}

/// The file in --dir listing what the demo created there (one path a line, relative).
const MARKER: &str = ".blueprint-demo";
const MARKER_HEADER: &str =
    "# made by `blueprint demo`: what it created here, which the next demo here removes\n";
/// What the demo writes at the top of --dir.
const OUTPUTS: &[&str] = &[
    "blueprint.toml",
    "acceptable-use-policy.pdf",
    ".blueprint",
    "emulator",
    "sprints.html",
    "rehearsal-evidence.txt",
    "evaluation.json",
    "report.html",
    "guides",
    MARKER,
];

/// Removes what an earlier demo in `dir` listed in its marker (files, then the directories it
/// made once empty), and nothing else: a file someone added, even inside a directory the demo
/// made, stays. Refuses (nothing removed beyond the listed files) when something the demo is
/// about to write is there and was not the earlier demo's.
fn clear_earlier_demo(dir: &Path) -> Result<(), CommandError> {
    let marker = dir.join(MARKER);
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let mut dirs = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            // Only plain relative paths: a marker someone edited cannot reach outside --dir.
            let relative = Path::new(line);
            if line.is_empty()
                || !relative
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            {
                continue;
            }
            let path = dir.join(relative);
            let removed = match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => {
                    dirs.push(path.clone());
                    Ok(())
                }
                Ok(_) => std::fs::remove_file(&path),
                Err(_) => Ok(()),
            };
            removed.map_err(|e| {
                CommandError::Failed(format!(
                    "removing the earlier demo's {}: {e}",
                    path.display()
                ))
            })?;
        }
        // Deepest first; a directory that still holds something is kept.
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for d in dirs {
            let _ = std::fs::remove_dir(d);
        }
        let _ = std::fs::remove_file(&marker);
    }
    let clashes: Vec<&str> = OUTPUTS
        .iter()
        .copied()
        .filter(|o| std::fs::symlink_metadata(dir.join(o)).is_ok())
        .collect();
    if !clashes.is_empty() {
        return Err(CommandError::Input(format!(
            "{} holds {} that `blueprint demo` did not make (or an older blueprint's demo made without listing them): move them away or choose another --dir",
            dir.display(),
            clashes.join(", ")
        )));
    }
    Ok(())
}

/// Every file and directory under `dir`, relative to it; symbolic links are listed, never
/// followed.
fn entries_under(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(at) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if let Ok(relative) = path.strip_prefix(root) {
                out.insert(relative.to_path_buf());
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Writes the marker: what is under `dir` now and was not `before`.
fn record_created(dir: &Path, before: &BTreeSet<PathBuf>) -> Result<(), CommandError> {
    if !dir.exists() {
        return Ok(());
    }
    let mut text = MARKER_HEADER.to_string();
    for path in entries_under(dir).difference(before) {
        if let Some(line) = path.to_str().filter(|l| !l.contains('\n')) {
            text.push_str(line);
            text.push('\n');
        }
    }
    std::fs::write(dir.join(MARKER), text)
        .map_err(|e| CommandError::Failed(format!("writing {}: {e}", dir.join(MARKER).display())))
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_demo_is_cleared_of_what_it_made_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("demo");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let before = entries_under(&dir);
        // What a demo run makes, as far as clearing goes.
        std::fs::create_dir_all(dir.join("guides")).unwrap();
        std::fs::create_dir_all(dir.join(".blueprint")).unwrap();
        for file in ["report.html", "guides/index.html", ".blueprint/state.db"] {
            std::fs::write(dir.join(file), "demo").unwrap();
        }
        record_created(&dir, &before).unwrap();
        let marker = std::fs::read_to_string(dir.join(MARKER)).unwrap();
        assert!(!marker.contains("notes.txt"), "{marker}");
        // Afterwards someone adds their own files, one inside a directory the demo made, and
        // edits the marker to point outside.
        std::fs::write(dir.join("guides/my-notes.md"), "mine").unwrap();
        std::fs::write(root.path().join("outside.txt"), "mine").unwrap();
        std::fs::write(
            dir.join(MARKER),
            format!(
                "{marker}../outside.txt\n{}\n",
                root.path().join("outside.txt").display()
            ),
        )
        .unwrap();

        // The guides directory is kept (someone's file is in it), so the new demo, which would
        // write into it, is refused; everything else the earlier demo made is gone.
        let err = clear_earlier_demo(&dir).unwrap_err().to_string();
        assert!(err.contains("guides"), "{err}");
        let left = entries_under(&dir);
        let left: Vec<&str> = left.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(left, ["guides", "guides/my-notes.md", "notes.txt"]);
        assert!(root.path().join("outside.txt").exists());
        // Once that directory is moved away, the demo may run here beside the other files.
        std::fs::rename(dir.join("guides"), root.path().join("kept-guides")).unwrap();
        clear_earlier_demo(&dir).unwrap();
        assert!(dir.join("notes.txt").exists());
    }

    #[test]
    fn a_directory_with_someone_elses_workspace_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("blueprint.toml"), "[agency]").unwrap();
        let err = clear_earlier_demo(dir.path()).unwrap_err().to_string();
        assert!(err.contains("blueprint.toml"), "{err}");
        assert!(dir.path().join("blueprint.toml").exists());
    }
}
