//! `blueprint sprints` and `blueprint stories` as a person runs them: the plan recorded in the
//! feature log once, delivered features keeping their sprint, a new cycle after "deploy again",
//! pins honoured or refused at their line in blueprint.toml, and every export format.

use std::path::Path;

use blueprint_store::{EventKind, LogEvent, Role};
use serde_json::Value;

use crate::support::*;

/// `blueprint.toml:LINE:COL` of `token` on the profile's first line starting with `line`.
fn at(ws: &Path, line: &str, token: &str) -> String {
    let text = std::fs::read_to_string(ws.join("blueprint.toml")).unwrap();
    let (number, found) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with(line))
        .unwrap_or_else(|| panic!("no line starting with {line:?}"));
    let column = found.find(token).expect("token on the line") + 1;
    format!("blueprint.toml:{}:{column}", number + 1)
}

fn scheduled(ws: &Path) -> Vec<Value> {
    log(ws)
        .into_iter()
        .filter(|e| e["kind"] == "scheduled")
        .collect()
}

/// id → (sprint, state, reason) from a `blueprint.sprints/1` document.
fn placements(doc: &Value) -> Vec<(String, u64, String, String)> {
    assert_eq!(doc["schema"], "blueprint.sprints/1");
    let mut out = Vec::new();
    for sprint in doc["sprints"].as_array().unwrap() {
        for f in sprint["features"].as_array().unwrap() {
            out.push((
                f["id"].as_str().unwrap().to_string(),
                sprint["sprint"].as_u64().unwrap(),
                f["state"].as_str().unwrap().to_string(),
                f["reason"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

fn sprint_of(doc: &Value, id: &str) -> Option<u64> {
    placements(doc).into_iter().find(|p| p.0 == id).map(|p| p.1)
}

fn deployed(id: &str) -> LogEvent {
    LogEvent::new(EventKind::Deployed, "jo@examples.gov.au", Role::Partner).feature(id)
}

const SUBSET: &str = r#"features = [
  "identity-ca-exclusion-group",
  "identity-break-glass-accounts",
  "ca-named-location-allowed-countries",
  "ca-block-countries-not-allowed",
  "identity-role-groups",
  "intune-windows-10-compliance",
  "ca-grant-windows-device-access",
]"#;

#[test]
fn plan_records_the_plan_once_and_again_records_nothing() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), "features = []");

    let out = bp(&ws, &["sprints", "plan", "--format", "json"]);
    ok(&out);
    let doc = json_of(&out);
    let placed = placements(&doc);
    assert!(placed.len() >= 80, "every selected feature is placed");
    assert_eq!(doc["recorded"].as_array().unwrap().len(), placed.len());
    assert!(placed.iter().all(|p| p.2 == "scheduled" && !p.3.is_empty()));
    for sprint in doc["sprints"].as_array().unwrap() {
        let points = sprint["points"].as_u64().unwrap();
        assert!(
            points <= 20 || sprint["features"].as_array().unwrap().len() == 1,
            "capacity 20 by default: {sprint}"
        );
    }

    let entries = scheduled(&ws);
    assert_eq!(
        entries.len(),
        placed.len(),
        "one scheduled entry per feature"
    );
    let first = &entries[0];
    assert_eq!(first["actor"], "jo@examples.gov.au");
    assert_eq!(first["sprint"], 1);
    assert!(
        first["detail"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    let again = bp(&ws, &["sprints", "plan"]);
    ok(&again);
    assert!(
        stdout(&again).contains("The feature log already holds this plan: nothing recorded."),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        scheduled(&ws).len(),
        placed.len(),
        "nothing recorded the second time"
    );
    let json_again = json_of(&bp(&ws, &["sprints", "plan", "--format", "json"]));
    assert_eq!(json_again["recorded"], Value::Array(Vec::new()));
    assert_eq!(placements(&json_again), placed, "the same plan");
}

#[test]
fn the_text_plan_explains_each_placement() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), &format!("{SUBSET}\ncapacity = 4"));
    let out = bp(&ws, &["sprints", "plan"]);
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.starts_with("Sprint plan for Department of Examples: 7 features, 13 story points"),
        "{text}"
    );
    assert!(text.contains("Sprint 1 — "), "{text}");
    assert!(
        text.contains("needs identity-ca-exclusion-group (sprint 1)"),
        "{text}"
    );
    assert!(text.contains("was full ("), "{text}");
    assert!(
        text.contains(
            "Recorded in the feature log: 7 scheduled (7 new, 0 moved to another sprint)."
        ),
        "{text}"
    );
}

#[test]
fn show_reads_the_recorded_plan_and_says_how_to_make_one() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), SUBSET);

    let none = bp(&ws, &["sprints", "show"]);
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    assert!(says(
        &stderr(&none),
        "create one with `blueprint sprints plan`"
    ));
    let export = bp(&ws, &["sprints", "export", "--format", "csv"]);
    assert_eq!(export.status.code(), Some(2));
    assert!(
        !ws.join(".blueprint/state.db").exists(),
        "reading the plan creates no state"
    );

    let planned = bp(&ws, &["sprints", "plan"]);
    ok(&planned);
    let shown = bp(&ws, &["sprints", "show"]);
    ok(&shown);
    let plan_text = stdout(&planned);
    let plan_part = &plan_text[..plan_text.find("\nRecorded").unwrap()];
    assert_eq!(stdout(&shown), plan_part, "show lists what plan recorded");

    let json = json_of(&bp(&ws, &["sprints", "show", "--format", "json"]));
    assert_eq!(placements(&json).len(), 7);
    assert_eq!(json["capacity"], 20);
}

#[test]
fn a_smaller_capacity_records_only_the_features_that_move() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), SUBSET);
    ok(&bp(&ws, &["sprints", "plan"]));
    let before = scheduled(&ws).len();
    assert_eq!(before, 7);

    set_plan(&ws, &format!("{SUBSET}\ncapacity = 3"));
    let out = bp(&ws, &["sprints", "plan", "--format", "json"]);
    ok(&out);
    let doc = json_of(&out);
    let recorded = doc["recorded"].as_array().unwrap().clone();
    assert!(!recorded.is_empty() && recorded.len() < 7, "{recorded:?}");
    for r in &recorded {
        assert_eq!(
            r["previous_sprint"], 1,
            "every feature was in sprint 1: {r}"
        );
        assert_eq!(
            Some(r["sprint"].as_u64().unwrap()),
            sprint_of(&doc, r["id"].as_str().unwrap())
        );
    }
    let entries = scheduled(&ws);
    assert_eq!(entries.len(), before + recorded.len());
    assert!(
        entries[before..]
            .iter()
            .all(|e| e["detail"]["previous_sprint"] == 1)
    );
    let shown = json_of(&bp(&ws, &["sprints", "show", "--format", "json"]));
    for (id, sprint, ..) in placements(&doc) {
        assert_eq!(
            sprint_of(&shown, &id),
            Some(sprint),
            "{id}: show follows the log"
        );
    }
}

#[test]
fn pins_are_honoured_and_an_impossible_pin_points_at_its_line() {
    let dir = temp_dir();
    let ws = offline_workspace(
        dir.path(),
        &format!("{SUBSET}\ncapacity = 5\n\n[plan.pins]\nca-block-countries-not-allowed = 3\n"),
    );
    let out = bp(&ws, &["sprints", "plan", "--format", "json"]);
    ok(&out);
    let doc = json_of(&out);
    let pinned = placements(&doc)
        .into_iter()
        .find(|p| p.0 == "ca-block-countries-not-allowed")
        .unwrap();
    assert_eq!((pinned.1, pinned.3.as_str()), (3, "pinned to sprint 3"));

    // Its dependencies (4 points with the pin's own 2) cannot all fit into sprint 1.
    set_plan(
        &ws,
        &format!("{SUBSET}\ncapacity = 3\n\n[plan.pins]\nca-block-countries-not-allowed = 1\n"),
    );
    let before = scheduled(&ws).len();
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let pin = at(&ws, "ca-block-countries-not-allowed = 1", "1");
    assert!(says(&err, &pin), "located at the pin {pin}: {err}");
    assert!(
        says(
            &err,
            "`ca-block-countries-not-allowed` is pinned to sprint 1, but the unpinned features it needs"
        ),
        "{err}"
    );
    assert!(says(&err, "raise the capacity"), "says what to do: {err}");
    assert_eq!(scheduled(&ws).len(), before, "nothing recorded");

    set_plan(
        &ws,
        &format!(
            "{SUBSET}\n\n[plan.pins]\nidentity-ca-exclusion-group = 2\nidentity-break-glass-accounts = 1\n"
        ),
    );
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let pin = at(&ws, "identity-break-glass-accounts = 1", "1");
    assert!(says(&err, &pin), "{pin}: {err}");
    assert!(
        says(
            &err,
            "needs `identity-ca-exclusion-group`, which is pinned to sprint 2"
        ),
        "{err}"
    );
}

#[test]
fn bad_capacity_and_pins_are_refused_where_they_are_written() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), "capacity = 0");
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2));
    let capacity = at(&ws, "capacity = 0", "0");
    assert!(
        says(&stderr(&out), &capacity),
        "{capacity}: {}",
        stderr(&out)
    );
    assert!(says(&stderr(&out), "the sprint capacity is 0 story points"));

    set_plan(&ws, "\n[plan.pins]\nno-such-feature = 2");
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2));
    let key = at(&ws, "no-such-feature", "no-such-feature");
    assert!(says(&stderr(&out), &key), "{key}: {}", stderr(&out));
    assert!(says(
        &stderr(&out),
        "unknown feature `no-such-feature` in [plan.pins]"
    ));

    set_plan(
        &ws,
        "exclude = [{ feature = \"teams-apps\", justification = \"not using Teams apps\" }]\n\n[plan.pins]\nteams-apps = 2",
    );
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        says(
            &stderr(&out),
            "`teams-apps` is pinned to a sprint but the execution plan does not select it"
        ),
        "{}",
        stderr(&out)
    );

    set_plan(&ws, "\n[plan.pins]\nteams-apps = 0");
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(says(&stderr(&out), "sprints are numbered from 1"));

    set_plan(&ws, "capacity = 20\nsprint_length = 2");
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2), "unknown fields are refused");
    assert!(says(&stderr(&out), "sprint_length"), "{}", stderr(&out));
}

#[test]
fn delivered_features_keep_their_sprint() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), SUBSET);
    ok(&bp(&ws, &["sprints", "plan"]));
    append(
        &ws,
        vec![
            deployed("identity-ca-exclusion-group"),
            deployed("identity-break-glass-accounts"),
            LogEvent::new(EventKind::Verified, "jo", Role::Agency)
                .feature("identity-break-glass-accounts"),
        ],
    );
    let before = scheduled(&ws).len();

    // A capacity this small would spread sprint 1 out, and the pin would move a delivered one.
    set_plan(
        &ws,
        &format!("{SUBSET}\ncapacity = 1\n\n[plan.pins]\nidentity-ca-exclusion-group = 2\n"),
    );
    let out = bp(&ws, &["sprints", "plan", "--format", "json"]);
    ok(&out);
    assert!(
        says(
            &stderr(&out),
            "`identity-ca-exclusion-group` is pinned to sprint 2 in blueprint.toml but was deployed in sprint 1: it keeps sprint 1"
        ),
        "{}",
        stderr(&out)
    );
    let doc = json_of(&out);
    let placed = placements(&doc);
    let find = |id: &str| placed.iter().find(|p| p.0 == id).unwrap().clone();
    let group = find("identity-ca-exclusion-group");
    assert_eq!((group.1, group.2.as_str()), (1, "deployed"));
    assert_eq!(group.3, "deployed in sprint 1");
    let glass = find("identity-break-glass-accounts");
    assert_eq!((glass.1, glass.2.as_str()), (1, "verified"));
    let recorded: Vec<&str> = doc["recorded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!recorded.contains(&"identity-ca-exclusion-group"));
    assert!(!recorded.contains(&"identity-break-glass-accounts"));
    assert_eq!(scheduled(&ws).len(), before + recorded.len());

    let shown = json_of(&bp(&ws, &["sprints", "show", "--format", "json"]));
    assert_eq!(sprint_of(&shown, "identity-break-glass-accounts"), Some(1));
    let glass = placements(&shown)
        .into_iter()
        .find(|p| p.0 == "identity-break-glass-accounts")
        .unwrap();
    assert_eq!(glass.2, "verified", "show gives the state from the log");
}

#[test]
fn a_pin_after_a_delivered_feature_that_needs_it_points_at_the_pin() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), SUBSET);
    ok(&bp(&ws, &["sprints", "plan"]));
    append(&ws, vec![deployed("identity-break-glass-accounts")]);
    set_plan(
        &ws,
        &format!("{SUBSET}\n\n[plan.pins]\nidentity-ca-exclusion-group = 2\n"),
    );
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let pin = at(&ws, "identity-ca-exclusion-group = 2", "2");
    assert!(says(&err, &pin), "{pin}: {err}");
    assert!(
        says(
            &err,
            "`identity-ca-exclusion-group` is pinned to sprint 2, but `identity-break-glass-accounts`, which needs it, was delivered in sprint 1"
        ),
        "{err}"
    );
}

#[test]
fn after_deploy_again_a_new_cycle_starts_after_the_last_sprint() {
    let dir = temp_dir();
    let first = r#"features = ["identity-ca-exclusion-group", "identity-break-glass-accounts"]"#;
    let ws = offline_workspace(dir.path(), first);
    ok(&bp(&ws, &["sprints", "plan"]));
    append(
        &ws,
        vec![
            deployed("identity-ca-exclusion-group"),
            deployed("identity-break-glass-accounts"),
            LogEvent::phase_decision(
                "deploy-again",
                "conditional access next",
                "jo",
                Role::Agency,
            ),
        ],
    );
    set_plan(
        &ws,
        r#"features = ["identity-ca-exclusion-group", "identity-break-glass-accounts", "ca-named-location-allowed-countries", "ca-block-countries-not-allowed"]"#,
    );
    let out = bp(&ws, &["sprints", "plan", "--format", "json"]);
    ok(&out);
    let doc = json_of(&out);
    let placed = placements(&doc);
    assert_eq!(
        placed.len(),
        2,
        "done features are not placed again: {placed:?}"
    );
    assert_eq!(
        sprint_of(&doc, "ca-named-location-allowed-countries"),
        Some(2)
    );
    assert_eq!(sprint_of(&doc, "ca-block-countries-not-allowed"), Some(2));

    let shown = json_of(&bp(&ws, &["sprints", "show", "--format", "json"]));
    assert_eq!(placements(&shown).len(), 4, "the log keeps both cycles");
    assert_eq!(sprint_of(&shown, "identity-ca-exclusion-group"), Some(1));

    set_plan(
        &ws,
        r#"features = ["identity-ca-exclusion-group", "identity-break-glass-accounts", "ca-named-location-allowed-countries"]

[plan.pins]
ca-named-location-allowed-countries = 1"#,
    );
    let out = bp(&ws, &["sprints", "plan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        says(
            &stderr(&out),
            "is pinned to sprint 1, but this cycle starts at sprint 2"
        ),
        "{}",
        stderr(&out)
    );
    let pin = at(&ws, "ca-named-location-allowed-countries = 1", "1");
    assert!(says(&stderr(&out), &pin), "{pin}: {}", stderr(&out));
}

#[test]
fn export_writes_every_format_to_a_file_or_standard_output() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), SUBSET);
    ok(&bp(&ws, &["sprints", "plan"]));

    let md = bp(&ws, &["sprints", "export"]);
    ok(&md);
    assert!(stdout(&md).starts_with("# Sprint plan — Department of Examples\n"));
    assert!(stdout(&md).contains("| Feature | Title | Area | Points | State | Why this sprint |"));

    let csv = bp(&ws, &["sprints", "export", "--format", "csv"]);
    ok(&csv);
    let text = stdout(&csv);
    assert!(text.starts_with("sprint,id,title,area,story_points,state,reason\r\n"));
    assert_eq!(text.lines().count(), 8);

    let html_file = dir.path().join("plan.html");
    let out = bp(
        &ws,
        &[
            "sprints",
            "export",
            "--format",
            "html",
            "--out",
            html_file.to_str().unwrap(),
        ],
    );
    ok(&out);
    assert!(stdout(&out).is_empty(), "the page went to the file");
    let html = std::fs::read_to_string(&html_file).unwrap();
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    assert_eq!(html.matches("class=\"feature\"").count(), 7);
    assert!(!html.contains("<script") && !html.contains("http-equiv=\"refresh\""));

    let json_file = dir.path().join("plan.json");
    ok(&bp(
        &ws,
        &[
            "sprints",
            "export",
            "--format",
            "json",
            "--out",
            json_file.to_str().unwrap(),
        ],
    ));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    assert_eq!(placements(&doc).len(), 7);
    assert_eq!(doc["summary"]["features"], 7);
}

#[test]
fn stories_export_for_people_jira_and_azure_boards() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), SUBSET);

    let md = bp(&ws, &["stories", "export"]);
    ok(&md);
    let text = stdout(&md);
    assert!(
        text.starts_with("# User stories — Department of Examples\n\n7 stories"),
        "{text}"
    );
    assert!(
        text.contains("As an agency security officer, I want"),
        "{text}"
    );
    assert!(
        text.contains("- [ ] "),
        "acceptance criteria as a checklist"
    );
    assert!(text.contains("not scheduled"), "no plan recorded yet");

    ok(&bp(&ws, &["sprints", "plan"]));
    let jira = bp(&ws, &["stories", "export", "--format", "csv"]);
    ok(&jira);
    let text = stdout(&jira);
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("Summary,Description,Acceptance Criteria,Story Points,Sprint,Labels"),
        "{header}"
    );
    assert!(text.contains(",Sprint 1,identity,"), "{text}");

    let refused = bp(
        &ws,
        &[
            "stories",
            "export",
            "--format",
            "csv",
            "--target",
            "azure-boards",
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(says(&stderr(&refused), "needs --project NAME"));
    // A tracker option on Markdown would be silently ignored: it is refused instead.
    let refused = bp(&ws, &["stories", "export", "--project", "Blueprint"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        says(&stderr(&refused), "--format csv"),
        "{}",
        stderr(&refused)
    );

    let file = dir.path().join("stories.csv");
    let azure = bp(
        &ws,
        &[
            "stories",
            "export",
            "--format",
            "csv",
            "--target",
            "azure-boards",
            "--project",
            "Blueprint",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    ok(&azure);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with(
        "Work Item Type,Title,Description,Acceptance Criteria,Story Points,Iteration Path,Tags\r\n"
    ));
    assert!(text.contains("User Story,"));
    assert!(text.contains("Blueprint\\Sprint 1,identity; "), "{text}");
}

#[test]
fn help_teaches_the_commands() {
    let out = blueprint().args(["sprints", "--help"]).output().unwrap();
    ok(&out);
    let help = stdout(&out);
    for needle in [
        "capacity",
        "[plan.pins]",
        "feature log",
        "plan",
        "show",
        "export",
    ] {
        assert!(help.contains(needle), "{needle} in: {help}");
    }
    let out = blueprint()
        .args(["stories", "export", "--help"])
        .output()
        .unwrap();
    ok(&out);
    let help = stdout(&out);
    for needle in [
        "Jira",
        "Azure Boards",
        "--project",
        "Labels",
        "Iteration Path",
    ] {
        assert!(help.contains(needle), "{needle} in: {help}");
    }
}
