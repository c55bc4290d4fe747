//! The Deploy phase as a person runs it: the execution plan recorded in the feature log once,
//! sprints deployed in order (and refused while an earlier sprint's dependency is unverified),
//! manual features attested with evidence, `status` recommending the next step, and `next`
//! recording the phase decision.

use std::path::Path;
use std::process::Output;

use blueprint_store::{EventKind, LogEvent, Role};
use serde_json::Value;

use crate::support::*;

const GROUP: &str = "identity-ca-exclusion-group";
const BREAK_GLASS: &str = "identity-break-glass-accounts"; // needs GROUP
const GUEST: &str = "ca-block-guest-access";
const TENANT: &str = "identity-tenant-properties"; // manual
const PROTECTION: &str = "identity-azure-ad-connect"; // manual, needs GROUP

fn features(ids: &[&str]) -> String {
    format!(
        "features = [{}]\n",
        ids.iter()
            .map(|id| format!("\"{id}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(out), stderr(out));
    stderr(out)
}

/// (kind, feature, reason) of the log's `selected` and `excluded` entries.
fn selection_entries(ws: &Path) -> Vec<(String, String, Option<String>)> {
    log(ws)
        .into_iter()
        .filter(|e| e["kind"] == "selected" || e["kind"] == "excluded")
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["feature"].as_str().unwrap().to_string(),
                e["detail"]["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn scheduled(id: &str, sprint: i64) -> LogEvent {
    LogEvent::new(EventKind::Scheduled, "jo@examples.gov.au", Role::Agency)
        .feature(id)
        .sprint(sprint)
}

fn status_json(ws: &Path) -> Value {
    let out = bp(ws, &["status", "--format", "json"]);
    ok(&out);
    json_of(&out)
}

fn feature_state(status: &Value, id: &str) -> String {
    status["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} in the status"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn deploy_records_the_execution_plan_once_and_then_only_its_changes() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    set_plan(
        &ws,
        &format!(
            "{}exclude = [{{ feature = \"{GUEST}\", justification = \"The agency has no guests\" }}]\n",
            features(&[GROUP, BREAK_GLASS, TENANT])
        ),
    );
    ok(&bp(&ws, &["deploy", "--yes"]));
    let first = selection_entries(&ws);
    assert_eq!(
        first,
        vec![
            ("selected".into(), GROUP.into(), None),
            ("selected".into(), BREAK_GLASS.into(), None),
            ("selected".into(), TENANT.into(), None),
            (
                "excluded".into(),
                GUEST.into(),
                Some("The agency has no guests".into())
            ),
        ]
    );
    let deployed: Vec<Value> = log(&ws)
        .into_iter()
        .filter(|e| e["kind"] == "deployed")
        .collect();
    assert!(
        deployed.iter().all(|e| e["sprint"].is_null()),
        "a deploy without --sprint records no sprint"
    );

    // Again, with nothing changed in the selection (nor the tenant): nothing recorded.
    ok(&bp(&ws, &["deploy", "--yes"]));
    assert_eq!(selection_entries(&ws), first, "recorded once");

    // Break-glass accounts taken out of [plan] features, not excluded: recorded as such.
    set_plan(&ws, &features(&[GROUP, TENANT]));
    ok(&bp(&ws, &["deploy", "--yes"]));
    let after = selection_entries(&ws);
    assert_eq!(after.len(), first.len() + 1, "{after:?}");
    assert_eq!(
        after.last().unwrap(),
        &(
            "excluded".to_string(),
            BREAK_GLASS.to_string(),
            Some("no longer selected in blueprint.toml".to_string())
        )
    );

    // The deployed workspace's status: recorded selection, deployed features, a next step.
    let status = status_json(&ws);
    assert_eq!(status["execution_plan"]["selected"], 2);
    assert_eq!(status["execution_plan"]["unrecorded"], 0);
    assert_eq!(status["log"]["verifies"], true);
    assert_eq!(feature_state(&status, GROUP), "deployed");
    assert_eq!(feature_state(&status, TENANT), "selected");
    assert_eq!(status["last_run"]["kind"], "deploy");
    assert_eq!(status["recommendation"]["step"], "plan-sprints");
    let text = bp(&ws, &["status"]);
    ok(&text);
    let text = stdout(&text);
    assert!(text.contains("Deploy, cycle 1"), "{text}");
    assert!(text.contains("Execution plan: 2 selected"), "{text}");
    assert!(
        text.contains("Next: plan sprints") && text.contains("run: blueprint sprints plan"),
        "{text}"
    );
}

/// Evaluates the tenant: exit 0 or 1 (manual features await attestation), never 2.
fn evaluate(ws: &Path) -> Value {
    let out = bp(ws, &["evaluate", "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    json_of(&out)
}

fn verdict(evaluation: &Value, id: &str) -> String {
    evaluation["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} evaluated"))["verdict"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A parameter the profile does not set stops only the work on the feature that needs it: an
/// agency deploys sprint 1 before it has the value a sprint-2 feature needs; planning that
/// sprint (or everything) is refused naming the parameter, and `permissions` still lists the
/// feature's grants so `connect` need not be run again once the value is set.
#[test]
fn a_missing_parameter_stops_only_the_feature_that_needs_it() {
    const CONTACT: &str = "identity-technical-contact"; // renders params.contacts.technical
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    set_plan(&ws, &features(&[GROUP, BREAK_GLASS, CONTACT]));
    let profile = ws.join("blueprint.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("technical = "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(text, without, "the profile names the technical contact");
    std::fs::write(&profile, without).unwrap();
    std::fs::create_dir_all(ws.join(".blueprint")).unwrap();
    append(
        &ws,
        vec![
            scheduled(GROUP, 1),
            scheduled(BREAK_GLASS, 1),
            scheduled(CONTACT, 2),
        ],
    );
    let before = emulator.state();

    for args in [vec!["plan"], vec!["deploy", "--sprint", "2", "--yes"]] {
        let err = refused(&bp(&ws, &args));
        assert!(
            says(&err, CONTACT) && says(&err, "params.contacts.technical"),
            "{args:?} names the feature and its parameter: {err}"
        );
    }
    assert_eq!(
        before["tenants"][0]["collections"],
        emulator.state()["tenants"][0]["collections"],
        "refusals change nothing in the tenant"
    );

    let permissions = bp(&ws, &["permissions", "--format", "json"]);
    ok(&permissions);
    let permissions = json_of(&permissions);
    let organization = permissions["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Organization.ReadWrite.All")
        .unwrap_or_else(|| panic!("the contact's grant is listed: {permissions}"));
    assert_eq!(organization["features"], serde_json::json!([CONTACT]));

    // doctor warns, naming the parameter and where the catalogue uses it, and still reads the
    // feature's area.
    let doctor = bp(&ws, &["doctor", "--format", "json"]);
    ok(&doctor);
    let doctor = json_of(&doctor);
    let checks = doctor["checks"].as_array().unwrap();
    let warning = checks
        .iter()
        .find(|c| c["name"] == format!("parameters of {CONTACT}"))
        .unwrap_or_else(|| panic!("doctor names the missing parameter: {doctor}"));
    assert_eq!(warning["status"], "warn");
    assert!(
        says(
            warning["detail"].as_str().unwrap(),
            "params.contacts.technical"
        ) && says(warning["detail"].as_str().unwrap(), "identity.yaml:"),
        "{warning}"
    );
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "read organization" && c["status"] == "ok"),
        "{doctor}"
    );

    ok(&bp(&ws, &["deploy", "--sprint", "1", "--yes"]));
    let deployed: Vec<Value> = log(&ws)
        .into_iter()
        .filter(|e| e["kind"] == "deployed")
        .collect();
    assert_eq!(deployed.len(), 1, "{deployed:?}");
    assert_eq!(deployed[0]["feature"], GROUP);
}

#[test]
fn sprints_deploy_in_order_and_a_sprint_waits_for_its_unverified_dependencies() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    set_plan(&ws, &features(&[GROUP, BREAK_GLASS, GUEST, PROTECTION]));
    let before = emulator.state();

    // No sprint plan yet.
    let err = refused(&bp(&ws, &["plan", "--sprint", "1"]));
    assert!(says(&err, "blueprint sprints plan"), "{err}");

    // Sprint 2's guest policy excludes sprint 1's group (a reference) and needs the
    // break-glass accounts; its manual feature needs the group too.
    std::fs::create_dir_all(ws.join(".blueprint")).unwrap();
    append(
        &ws,
        vec![
            scheduled(GROUP, 1),
            scheduled(BREAK_GLASS, 1),
            scheduled(GUEST, 2),
            scheduled(PROTECTION, 2),
        ],
    );
    for args in [
        vec!["plan", "--sprint", "2"],
        vec!["deploy", "--sprint", "2", "--yes"],
    ] {
        let err = refused(&bp(&ws, &args));
        for name in [GROUP, BREAK_GLASS, GUEST, PROTECTION, "sprint 1"] {
            assert!(says(&err, name), "{args:?} names {name}: {err}");
        }
    }
    let err = refused(&bp(&ws, &["plan", "--sprint", "5"]));
    assert!(says(&err, "sprint 5 has no selected features"), "{err}");
    assert_eq!(
        before["tenants"][0]["collections"],
        emulator.state()["tenants"][0]["collections"],
        "refusals change nothing in the tenant"
    );

    // Sprint 1 deploys only its own features, recorded with its sprint.
    let plan = bp(&ws, &["plan", "--sprint", "1", "--format", "json"]);
    ok(&plan);
    let plan = json_of(&plan);
    assert_eq!(plan["sprint"], 1);
    assert!(
        plan["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["feature"] == GROUP || a["feature"] == BREAK_GLASS),
        "{plan}"
    );
    ok(&bp(&ws, &["deploy", "--sprint", "1", "--yes"]));
    let deployed: Vec<Value> = log(&ws)
        .into_iter()
        .filter(|e| e["kind"] == "deployed")
        .collect();
    assert_eq!(deployed.len(), 1, "{deployed:?}");
    assert_eq!(deployed[0]["feature"], GROUP);
    assert_eq!(deployed[0]["sprint"], 1);
    let status = status_json(&ws);
    assert_eq!(status["last_run"]["sprint"], 1);
    assert_eq!(status["recommendation"]["step"], "continue-deploy");

    // Deployed is not verified: sprint 2 still waits.
    let err = refused(&bp(&ws, &["deploy", "--sprint", "2", "--yes"]));
    assert!(says(&err, "blueprint evaluate"), "{err}");

    let evaluation = evaluate(&ws);
    assert_eq!(verdict(&evaluation, GROUP), "pass");
    assert_eq!(verdict(&evaluation, GUEST), "not-deployed");
    let plan = bp(&ws, &["plan", "--sprint", "2", "--format", "json"]);
    ok(&plan);
    let plan = json_of(&plan);
    assert_eq!(plan["needs_attestation"], serde_json::json!([PROTECTION]));
    let actions = plan["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(actions.iter().all(|a| a["feature"] == GUEST), "{plan}");

    let out = bp(&ws, &["deploy", "--sprint", "2", "--yes"]);
    ok(&out);
    assert!(
        stdout(&out).contains("needs attestation") && stdout(&out).contains(PROTECTION),
        "{}",
        stdout(&out)
    );
    let guest = log(&ws)
        .into_iter()
        .rfind(|e| e["kind"] == "deployed")
        .unwrap();
    assert_eq!(
        (&guest["feature"], &guest["sprint"]),
        (&GUEST.into(), &2.into())
    );
    // Report-only first; enforced, the policy passes: it went out with sprint 1's group
    // resolved to its id.
    ok(&bp(&ws, &["deploy", "--sprint", "2", "--yes", "--enforce"]));
    let evaluation = evaluate(&ws);
    assert_eq!(verdict(&evaluation, GUEST), "pass", "{evaluation:#}");
    let status = status_json(&ws);
    let sprints = status["sprints"].as_array().unwrap();
    assert_eq!(
        (&sprints[0]["done"], &sprints[0]["features"]),
        (&2.into(), &2.into())
    );
    assert_eq!(
        (&sprints[1]["done"], &sprints[1]["features"]),
        (&1.into(), &2.into())
    );
    assert_eq!(status["recommendation"]["step"], "continue-deploy");
    assert!(
        status["recommendation"]["command"]
            .as_str()
            .unwrap()
            .starts_with(&format!("blueprint attest {PROTECTION}")),
        "{status}"
    );

    // The manual feature keeps `evaluate` from passing until someone attests it; then the
    // reports carry the attestation and the run passes.
    let out = bp(&ws, &["evaluate"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("1 awaiting attestation"),
        "{}",
        stdout(&out)
    );
    let evidence = dir.path().join("identity-protection.pdf");
    std::fs::write(
        &evidence,
        "Identity Protection policies exported from the portal\n",
    )
    .unwrap();
    ok(&bp(
        &ws,
        &[
            "attest",
            PROTECTION,
            "--evidence",
            evidence.to_str().unwrap(),
            "--note",
            "Policies set per ABAC",
        ],
    ));
    let out = bp(&ws, &["evaluate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("ATTESTED      {PROTECTION}"))
            && text.contains("attested by jo@examples.gov.au (agency)")
            && text.contains("0 awaiting attestation"),
        "{text}"
    );
    let evaluation = evaluate(&ws);
    let protection = evaluation["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == PROTECTION)
        .unwrap();
    assert_eq!(protection["verdict"], "manual");
    assert_eq!(
        protection["attestation"]["evidence"],
        "identity-protection.pdf"
    );
    let digest = protection["attestation"]["evidence_digest"]
        .as_str()
        .unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    assert_eq!(evaluation["summary"]["attested"], 1);
}

#[test]
fn attest_records_the_evidence_digest_and_refuses_what_it_cannot_prove() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), &features(&[GROUP, TENANT, PROTECTION]));
    std::fs::create_dir_all(ws.join(".blueprint")).unwrap();
    append(&ws, vec![scheduled(TENANT, 3)]);
    let evidence = dir.path().join("tenant-properties.png");
    std::fs::write(
        &evidence,
        b"\x89PNG screenshot of the tenant properties blade",
    )
    .unwrap();

    let out = bp(
        &ws,
        &[
            "attest",
            TENANT,
            "--evidence",
            evidence.to_str().unwrap(),
            "--note",
            "Set per ABAC; checked by the security team",
            "--format",
            "json",
        ],
    );
    ok(&out);
    let entry = json_of(&out);
    let sha = std::process::Command::new("sha256sum")
        .arg(&evidence)
        .output()
        .expect("sha256sum");
    let sha = String::from_utf8_lossy(&sha.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(entry["kind"], "attested");
    assert_eq!(entry["feature"], TENANT);
    assert_eq!(entry["sprint"], 3, "the feature's sprint");
    assert_eq!(entry["actor"], "jo@examples.gov.au");
    assert_eq!(entry["role"], "agency");
    assert_eq!(entry["detail"]["evidence"], "tenant-properties.png");
    assert_eq!(entry["detail"]["evidence_digest"], format!("sha256:{sha}"));
    assert_eq!(
        entry["detail"]["note"],
        "Set per ABAC; checked by the security team"
    );
    assert_eq!(log(&ws).last().unwrap()["hash"], entry["hash"]);

    // A URL is recorded as given, never fetched.
    let url = "https://records.examples.gov.au/CHG-1042";
    let out = bp(
        &ws,
        &[
            "attest",
            PROTECTION,
            "--evidence",
            url,
            "--note",
            "Change CHG-1042",
        ],
    );
    ok(&out);
    assert!(stdout(&out).contains(url), "{}", stdout(&out));
    let status = status_json(&ws);
    assert_eq!(feature_state(&status, TENANT), "attested");
    assert_eq!(feature_state(&status, PROTECTION), "attested");

    let entries = log(&ws).len();
    let missing = dir.path().join("no-such-evidence.pdf");
    let err = refused(&bp(
        &ws,
        &[
            "attest",
            TENANT,
            "--evidence",
            missing.to_str().unwrap(),
            "--note",
            "x",
        ],
    ));
    assert!(says(&err, missing.to_str().unwrap()), "{err}");
    let evidence = evidence.to_str().unwrap();
    for (args, why) in [
        (
            vec!["attest", GROUP, "--evidence", evidence, "--note", "x"],
            "blueprint evaluate",
        ),
        (
            vec!["attest", GUEST, "--evidence", evidence, "--note", "x"],
            "not selected",
        ),
        (
            vec![
                "attest",
                "no-such-feature",
                "--evidence",
                evidence,
                "--note",
                "x",
            ],
            "unknown feature",
        ),
        (
            vec!["attest", TENANT, "--evidence", evidence, "--note", "  "],
            "the note is empty",
        ),
    ] {
        let err = refused(&bp(&ws, &args));
        assert!(says(&err, why), "{args:?}: {err}");
    }
    assert_eq!(log(&ws).len(), entries, "refusals record nothing");
}

#[test]
fn status_of_a_new_workspace_recommends_planning_sprints_and_creates_nothing() {
    let dir = temp_dir();
    let ws = offline_workspace(
        dir.path(),
        &format!(
            "{}exclude = [{{ feature = \"{BREAK_GLASS}\", justification = \"Managed by the parent department\" }}]\n",
            features(&[GROUP, BREAK_GLASS, TENANT])
        ),
    );
    let out = bp(&ws, &["status"]);
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("Department of Examples: Deploy, cycle 1"),
        "{text}"
    );
    assert!(text.contains("2 selected, 1 excluded"), "{text}");
    assert!(text.contains("Feature log: empty"), "{text}");
    assert!(text.contains("Next: plan sprints"), "{text}");

    let status = status_json(&ws);
    assert_eq!(status["phase"]["name"], "deploy");
    assert_eq!(status["phase"]["cycle"], 1);
    assert_eq!(status["execution_plan"]["unrecorded"], 3);
    assert_eq!(status["log"]["entries"], 0);
    assert_eq!(status["recommendation"]["step"], "plan-sprints");
    assert_eq!(
        status["recommendation"]["command"],
        "blueprint sprints plan"
    );
    assert!(
        !ws.join(".blueprint/state.db").exists(),
        "status reads; it never creates the state store"
    );
}

#[test]
fn next_records_decisions_and_deploy_again_starts_a_new_cycle() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), &features(&[GROUP, TENANT]));
    std::fs::create_dir_all(ws.join(".blueprint")).unwrap();
    let verified =
        |id: &str, kind| LogEvent::new(kind, "jo@examples.gov.au", Role::Agency).feature(id);
    append(
        &ws,
        vec![
            scheduled(GROUP, 1),
            scheduled(TENANT, 2),
            verified(GROUP, EventKind::Verified),
            verified(TENANT, EventKind::Attested),
        ],
    );
    let status = status_json(&ws);
    assert_eq!(status["recommendation"]["step"], "deploy-again");
    assert_eq!(status["phase"]["cycle"], 1);

    let err = refused(&bp(&ws, &["next", "deploy-again", "--note", ""]));
    assert!(says(&err, "note"), "{err}");
    let out = blueprint()
        .args(["next", "exit", "--note", "x", "-C"])
        .arg(&ws)
        .env("BLUEPRINT_ROLE", "program")
        .output()
        .unwrap();
    let err = refused(&out);
    assert!(says(&err, "agency"), "{err}");

    let out = bp(
        &ws,
        &[
            "next",
            "deploy-again",
            "--note",
            "Add Intune in the next financial year",
        ],
    );
    ok(&out);
    assert!(
        stdout(&out).contains("sprints start at sprint 3"),
        "{}",
        stdout(&out)
    );
    let status = status_json(&ws);
    assert_eq!(status["phase"]["name"], "deploy");
    assert_eq!(status["phase"]["cycle"], 2);
    assert_eq!(status["phase"]["decision"]["decision"], "deploy-again");
    assert_eq!(
        status["phase"]["decision"]["note"],
        "Add Intune in the next financial year"
    );
    assert_eq!(status["recommendation"]["step"], "select-features");
    let text = stdout(&bp(&ws, &["status"]));
    assert!(
        text.contains("Deploy, cycle 2; last decision: deploy-again"),
        "{text}"
    );

    // Transition waits for drift to be fixed, unless forced.
    append(&ws, vec![verified(GROUP, EventKind::Drifted)]);
    assert_eq!(status_json(&ws)["recommendation"]["step"], "fix-drift");
    let err = refused(&bp(&ws, &["next", "transition", "--note", "go"]));
    assert!(says(&err, GROUP) && says(&err, "--force"), "{err}");
    let out = bp(
        &ws,
        &[
            "next",
            "transition",
            "--note",
            "go",
            "--force",
            "--format",
            "json",
        ],
    );
    ok(&out);
    let entry = json_of(&out);
    assert_eq!(entry["kind"], "phase_decision");
    assert_eq!(entry["detail"]["decision"], "transition");
    assert_eq!(entry["detail"]["forced"], true);
    assert_eq!(entry["detail"]["drifted"], serde_json::json!([GROUP]));
    assert_eq!(status_json(&ws)["phase"]["name"], "transition");
}

/// Attests `TENANT` with `args` and `env` added, and returns the entry's (actor, role).
fn attested_by(
    ws: &Path,
    evidence: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (String, String) {
    let mut command = blueprint();
    command
        .args(["attest", TENANT, "--note", "checked", "--format", "json"])
        .arg("--evidence")
        .arg(evidence)
        .args(args)
        .arg("-C")
        .arg(ws);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    ok(&out);
    let entry = json_of(&out);
    (
        entry["actor"].as_str().unwrap().to_string(),
        entry["role"].as_str().unwrap().to_string(),
    )
}

#[test]
fn the_log_names_who_acts_from_the_command_line_the_environment_or_the_profile() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), &features(&[GROUP, TENANT]));
    let evidence = dir.path().join("evidence.txt");
    std::fs::write(&evidence, "tenant properties set per ABAC\n").unwrap();
    let pair = |a: &str, r: &str| (a.to_string(), r.to_string());

    // Nobody said who acts: the login name, for the agency.
    let out = blueprint()
        .args(["attest", TENANT, "--note", "checked", "--format", "json"])
        .arg("--evidence")
        .arg(&evidence)
        .arg("-C")
        .arg(&ws)
        .env("USER", "jsmith")
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(json_of(&out)["actor"], "jsmith");
    assert_eq!(json_of(&out)["role"], "agency");

    // The profile's [actor] is the workspace's default.
    let profile = ws.join("blueprint.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        format!("{text}\n[actor]\nname = \"ops@partner.com.au\"\nrole = \"partner\"\n"),
    )
    .unwrap();
    assert_eq!(
        attested_by(&ws, &evidence, &[], &[]),
        pair("ops@partner.com.au", "partner")
    );
    // The environment overrides the profile, part by part; the flags override both.
    assert_eq!(
        attested_by(
            &ws,
            &evidence,
            &[],
            &[("BLUEPRINT_ACTOR", "kim@agency.gov.au")]
        ),
        pair("kim@agency.gov.au", "partner")
    );
    assert_eq!(
        attested_by(
            &ws,
            &evidence,
            &["--actor", "lee@agency.gov.au", "--role", "agency"],
            &[
                ("BLUEPRINT_ACTOR", "kim@agency.gov.au"),
                ("BLUEPRINT_ROLE", "partner")
            ],
        ),
        pair("lee@agency.gov.au", "agency")
    );
    // The log keeps each entry's actor.
    let actors: Vec<(String, String)> = log(&ws)
        .iter()
        .filter(|e| e["kind"] == "attested")
        .map(|e| pair(e["actor"].as_str().unwrap(), e["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actors,
        [
            pair("jsmith", "agency"),
            pair("ops@partner.com.au", "partner"),
            pair("kim@agency.gov.au", "partner"),
            pair("lee@agency.gov.au", "agency"),
        ]
    );

    // The program office changes nothing: no sprint plan, no attestation, no decision.
    let entries = log(&ws).len();
    for args in [vec!["sprints", "plan"], vec!["next", "exit", "--note", "x"]] {
        let err = refused(&bp(
            &ws,
            &[args.as_slice(), &["--role", "program"]].concat(),
        ));
        assert!(says(&err, "you act as program"), "{args:?}: {err}");
    }
    let out = blueprint()
        .args(["attest", TENANT, "--note", "x", "--role", "program", "-C"])
        .arg(&ws)
        .arg("--evidence")
        .arg(&evidence)
        .output()
        .unwrap();
    assert!(says(&refused(&out), "program office"));
    assert_eq!(log(&ws).len(), entries, "nothing recorded");
    // It can still read the state, and status says who the log would name.
    let out = bp(&ws, &["status", "--role", "program"]);
    ok(&out);
    assert!(
        stdout(&out).contains("You act as: jo@examples.gov.au (program)"),
        "{}",
        stdout(&out)
    );
    let status = json_of(&bp(&ws, &["status", "--format", "json"]));
    assert_eq!(
        status["actor"],
        serde_json::json!({"name": "jo@examples.gov.au", "role": "partner"}),
        "the profile's role under the environment's name"
    );

    // A wrong role is refused where it is written, before anything runs.
    let err = refused(&bp(&ws, &["status", "--role", "vendor"]));
    assert!(says(&err, "vendor") && says(&err, "partner"), "{err}");
    let err = refused(
        &blueprint()
            .args(["status", "-C"])
            .arg(&ws)
            .env("BLUEPRINT_ROLE", "owner")
            .output()
            .unwrap(),
    );
    assert!(says(&err, "owner"), "{err}");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replace("role = \"partner\"", "role = \"vendor\""),
    )
    .unwrap();
    let err = refused(&bp(&ws, &["status"]));
    let line = text
        .lines()
        .position(|l| l == "role = \"partner\"")
        .unwrap()
        + 1;
    assert!(
        says(&err, &format!("blueprint.toml:{line}:8")) && says(&err, "unknown role `vendor`"),
        "{err}"
    );
    std::fs::write(
        &profile,
        text.replace("name = \"ops@partner.com.au\"", "name = \" \""),
    )
    .unwrap();
    let err = refused(&bp(&ws, &["status"]));
    assert!(says(&err, "actor's name is empty"), "{err}");
}
