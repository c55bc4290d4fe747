//! plan / deploy / evaluate as a person runs them, against an emulator running as its own
//! process: resuming after SIGKILL at several points, secrets kept out of everything the tool
//! writes, and bad input refused with exit code 2 before anything changes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::support::*;

fn automated_verdicts(ws: &Path) -> Vec<(String, String)> {
    let out = run(&["evaluate", "-C", ws.to_str().unwrap(), "--format", "json"]);
    let e: Value = serde_json::from_slice(&out.stdout).expect("evaluation JSON");
    e["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] != "manual")
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_deploy_killed_at_several_points_resumes_without_duplicates() {
    let dir = temp_dir();
    let emulator = Emulator::start(
        dir.path(),
        "legacy-agency",
        &["--throttle", "off", "--latency-ms", "5..15"],
    );
    let ws = init(dir.path(), &emulator, dir.path());
    let mut interrupted_runs = 0;
    for kill_after in [2usize, 9, 17] {
        let mut child = blueprint()
            .args([
                "deploy",
                "-C",
                ws.to_str().unwrap(),
                "--yes",
                "--parallelism",
                "3",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut done = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if line.trim_start().starts_with("done") {
                done += 1;
                if done == kill_after {
                    child.kill().unwrap(); // SIGKILL: no chance to clean up
                    interrupted_runs += 1;
                    break;
                }
            }
        }
        let _ = child.wait();
        assert!(
            duplicates(&emulator.state()).is_empty(),
            "after a kill: {:?}",
            duplicates(&emulator.state())
        );
        // No unlock: the next run on this machine sees the killed holder is gone and takes
        // its lock over at once.
    }
    assert!(interrupted_runs >= 2, "the kills landed mid-deploy");
    let out = run(&["deploy", "-C", ws.to_str().unwrap(), "--yes"]);
    assert!(
        out.status.success(),
        "resumes and finishes: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = run(&["deploy", "-C", ws.to_str().unwrap(), "--yes", "--enforce"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(duplicates(&emulator.state()).is_empty());
    let verdicts = automated_verdicts(&ws);
    assert!(verdicts.iter().all(|(_, v)| v == "pass"), "{verdicts:?}");
    let plan = run(&[
        "plan",
        "-C",
        ws.to_str().unwrap(),
        "--enforce",
        "--format",
        "json",
    ]);
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let pending: Vec<&Value> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["op"] == "create" || a["op"] == "update")
        .collect();
    assert!(pending.is_empty(), "converged: {pending:?}");

    // The journal is consistent: nothing left half-recorded, the interruptions on record.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let changes = runtime.block_on(async {
        let store = blueprint_store::Store::open(&ws.join(".blueprint/state.db"))
            .await
            .unwrap();
        let tenant = emulator.ready["tenants"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        store.changes(&tenant).await.unwrap()
    });
    assert!(
        changes.iter().all(|c| c.status != "started"),
        "no change left in flight"
    );
    assert!(
        changes.iter().any(|c| c.status == "interrupted"),
        "interrupted changes recorded"
    );
    assert!(changes.iter().filter(|c| c.status == "done").count() >= 30);
}

#[test]
fn the_client_secret_appears_nowhere() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    let secret = emulator.secret();
    // Authenticate with the secret instead of the certificate.
    let with_secret = |args: &[&str]| {
        blueprint()
            .args(args)
            .env("AZURE_CLIENT_SECRET", &secret)
            .env("RUST_LOG", "debug")
            .output()
            .unwrap()
    };
    // Reports and guides go into the workspace too, so the scan below covers them.
    let html = ws.join("report.html").display().to_string();
    let junit = ws.join("report.junit.xml").display().to_string();
    let guides = ws.join("guides").display().to_string();
    let mut printed = String::new();
    for args in [
        vec!["plan", "-C", ws.to_str().unwrap()],
        vec!["deploy", "-C", ws.to_str().unwrap(), "--yes", "-vvv"],
        vec!["evaluate", "-C", ws.to_str().unwrap(), "--format", "json"],
        vec![
            "evaluate",
            "-C",
            ws.to_str().unwrap(),
            "--format",
            "html",
            "--out",
            &html,
        ],
        vec![
            "evaluate",
            "-C",
            ws.to_str().unwrap(),
            "--format",
            "junit",
            "--out",
            &junit,
        ],
        vec!["guides", "-C", ws.to_str().unwrap(), "--out", &guides],
    ] {
        let out = with_secret(&args);
        printed.push_str(&stdout(&out));
        printed.push_str(&stderr(&out));
    }
    assert!(printed.contains("done"), "the deploy ran: {printed}");
    let report = std::fs::read_to_string(&html).expect("the HTML report was written");
    assert!(report.contains("<html") && report.contains("CC BY 4.0"));
    let junit = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    assert!(junit.contains("<testsuite") && junit.contains("<testcase"));
    assert!(std::fs::read_dir(&guides).expect("guides written").count() > 2);
    assert!(!printed.contains(&secret), "the secret was printed");
    for entry in walk(&ws) {
        let bytes = std::fs::read(&entry).unwrap();
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "the secret is in {}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn bad_input_exits_2_before_touching_the_tenant() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    let profile = ws.join("blueprint.toml");
    let good = std::fs::read_to_string(&profile).unwrap();
    let before = emulator.state();

    std::fs::write(
        &profile,
        good.replace(
            "allowed_countries = [\"AU\"]",
            "allowed_countries = [\"Australia\"]",
        ),
    )
    .unwrap();
    let out = run(&["deploy", "-C", ws.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("blueprint.toml:") && err.contains("Australia"),
        "located: {err}"
    );

    std::fs::write(
        &profile,
        good.replace(
            "[plan]\n",
            "[plan]\nexclude = [{ feature = \"ca-block-guest-access\", justification = \"\" }]\n",
        ),
    )
    .unwrap();
    let out = run(&["plan", "-C", ws.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("justification"));

    // Excluding what selected features build on would leave their references dangling.
    std::fs::write(
        &profile,
        good.replace(
            "[plan]\n",
            "[plan]\nexclude = [{ feature = \"identity-ca-exclusion-group\", justification = \"we use our own\" }]\n",
        ),
    )
    .unwrap();
    let line = good.lines().position(|l| l == "[plan]").unwrap() + 2;
    let out = run(&[
        "deploy",
        "-C",
        ws.to_str().unwrap(),
        "--yes",
        "--allow-delete",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        says(&err, "excluding `identity-ca-exclusion-group` leaves")
            && says(&err, &format!("blueprint.toml:{line}:24")),
        "located at the exclusion: {err}"
    );
    std::fs::write(
        &profile,
        good.replace("features = []", "features = [\"ca-block-guest-access\"]"),
    )
    .unwrap();
    let out = run(&["plan", "-C", ws.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        says(
            &stderr(&out),
            "`ca-block-guest-access` builds on `identity-"
        ) && says(&stderr(&out), "which the execution plan does not select"),
        "{}",
        stderr(&out)
    );

    let no_credential: String = good
        .lines()
        .filter(|l| !l.starts_with("certificate_path") && !l.starts_with("private_key_path"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&profile, no_credential).unwrap();
    let out = blueprint()
        .args(["deploy", "-C", ws.to_str().unwrap(), "--yes"])
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_CLIENT_CERTIFICATE_PATH")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("AZURE_CLIENT_SECRET"),
        "{}",
        stderr(&out)
    );

    let graph = emulator.ready["graph"].as_str().unwrap().to_string();
    std::fs::write(
        &profile,
        good.replace(
            &format!("graph = \"{graph}\""),
            "graph = \"https://127.0.0.1:9\"",
        ),
    )
    .unwrap();
    let out = run(&["deploy", "-C", ws.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(2), "unreachable: {}", stderr(&out));

    std::fs::write(&profile, &good).unwrap();
    let out = blueprint()
        .args(["deploy", "-C", ws.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "no confirmation without a terminal or --yes"
    );
    assert!(stderr(&out).contains("--yes"));

    // The program office changes nothing, and is told so before any preview or prompt.
    for args in [
        vec!["deploy", "--yes", "--role", "program"],
        vec!["rollback", "--sprint", "1", "--yes", "--role", "program"],
    ] {
        let out = run(&[args.as_slice(), &["-C", ws.to_str().unwrap()]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            says(&stderr(&out), "you act as program"),
            "{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "no preview: {}", stdout(&out));
    }
    assert!(
        !ws.join(".blueprint/state.db").exists(),
        "no state, so no log entry, was written"
    );
    // An empty role setting means none was given (the agency); a wrong one names the setting.
    let out = blueprint()
        .args(["plan", "-C", ws.to_str().unwrap()])
        .env("BLUEPRINT_ROLE", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = blueprint()
        .args(["plan", "-C", ws.to_str().unwrap()])
        .env("BLUEPRINT_ROLE", "owner")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(says(
        &stderr(&out),
        "--role (or BLUEPRINT_ROLE): unknown role `owner`"
    ));

    let after = emulator.state();
    assert_eq!(
        before["tenants"][0]["collections"], after["tenants"][0]["collections"],
        "nothing changed in the tenant"
    );
}

#[test]
fn deploy_applies_an_approved_plan_file_exactly_and_refuses_a_stale_one() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "legacy-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    let first = r#"features = ["identity-ca-exclusion-group", "identity-break-glass-accounts"]"#;
    set_plan(&ws, first);
    let stale = dir.path().join("stale.json");
    // A file already there, readable by all, is made private before the plan goes in.
    std::fs::write(&stale, "").unwrap();
    set_mode(&stale, 0o644);
    ok(&bp(&ws, &["plan", "--out", stale.to_str().unwrap()]));
    assert_eq!(mode(&stale), 0o600, "an approved plan is private");
    // The tenant changes after the plan was approved: someone deploys it another way.
    ok(&bp(&ws, &["deploy", "--yes"]));
    let before = emulator.state();
    let out = bp(&ws, &["deploy", "--plan", stale.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(says(&stderr(&out), "the plan is stale"), "{}", stderr(&out));
    assert!(
        says(
            &stderr(&out),
            "group:grp-Conditional_Access_Exclude changed in the tenant since it was observed"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(emulator.state(), before, "a stale plan changes nothing");

    // A fresh plan for more features is applied exactly, and the log records its digest.
    set_plan(
        &ws,
        r#"features = ["identity-ca-exclusion-group", "identity-break-glass-accounts", "ca-named-location-allowed-countries"]"#,
    );
    let fresh = dir.path().join("fresh.json");
    ok(&bp(&ws, &["plan", "--out", fresh.to_str().unwrap()]));
    assert_eq!(mode(&fresh), 0o600, "an approved plan is private");
    let file: Value = serde_json::from_slice(&std::fs::read(&fresh).unwrap()).unwrap();
    let approved: std::collections::BTreeSet<String> = file["plan"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["op"] == "create" || a["op"] == "update")
        .map(|a| a["reference"].as_str().unwrap().to_string())
        .collect();
    assert!(!approved.is_empty(), "{file}");
    let out = bp(
        &ws,
        &[
            "deploy",
            "--plan",
            fresh.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    ok(&out);
    let report = json_of(&out);
    let done: std::collections::BTreeSet<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "done")
        .map(|r| r["reference"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(done, approved, "exactly the approved changes ran");
    let recorded: Vec<Value> = log(&ws)
        .into_iter()
        .filter(|e| e["kind"] == "deployed" && e["detail"]["plan"].is_string())
        .collect();
    assert!(
        !recorded.is_empty(),
        "the feature log records the plan's digest"
    );
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A prefix that leaves the Autopilot profile's device name template (`<prefix>-%SERIAL%`)
/// no room under Windows' 15 characters stops `plan` with exit 2, naming the template and
/// pointing at the prefix in blueprint.toml; nothing reaches the tenant.
#[test]
fn a_prefix_too_long_for_device_names_stops_plan_at_the_prefix() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    let profile = ws.join("blueprint.toml");
    let good = std::fs::read_to_string(&profile).unwrap();
    let line = good.lines().position(|l| l == "prefix = \"DOE\"").unwrap() + 1;
    std::fs::write(
        &profile,
        good.replace("prefix = \"DOE\"", "prefix = \"DEPTOFEXAMPLES\""),
    )
    .unwrap();
    let before = emulator.state();
    let out = run(&["plan", "-C", ws.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for part in [
        "DEPTOFEXAMPLES-%SERIAL%",
        "agency.prefix",
        "15",
        &format!("blueprint.toml:{line}:10"),
    ] {
        assert!(says(&err, part), "{part}: {err}");
    }
    assert_eq!(emulator.state(), before, "nothing reached the tenant");
}
