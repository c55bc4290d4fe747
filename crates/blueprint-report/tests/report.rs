//! Snapshot tests of every format, escaping of tenant-supplied strings, and the HTML report
//! opened in headless Chromium. `BLESS=1 cargo test -p blueprint-report` rewrites the snapshots.

use std::path::{Path, PathBuf};
use std::process::Command;

use blueprint_report::{
    AbacRef, Attestation, BurnUpPoint, DeployFailure, FeatureReport, Refusal, ReportInput,
    SettingFinding, SprintFeature, SprintInput, SprintPlanInput, Status, StoriesInput,
    StoriesTarget, StoryInput, render_csv, render_guides, render_html, render_json, render_junit,
    render_sprints_csv, render_sprints_html, render_sprints_json, render_sprints_markdown,
    render_stories_csv, render_stories_markdown, render_text, render_text_outstanding,
};
use serde_json::json;

const TIME: &str = "2026-11-28T23:04:05.123456Z";

fn feature(id: &str, title: &str, area: &str, status: Status) -> FeatureReport {
    FeatureReport {
        id: id.into(),
        title: title.into(),
        area: area.into(),
        status,
        abac: vec![AbacRef {
            file: "conditional-access-policies.md".into(),
            heading: format!("{title} policy"),
        }],
        essential_eight: vec!["multi-factor-authentication".into()],
        findings: Vec::new(),
        missing: Vec::new(),
        user_impact: format!("Staff notice: {title}."),
        user_action: format!("Staff act on {title}."),
        attestation: None,
        deploy_failure: None,
        graph_beta: false,
    }
}

/// What the journal keeps of a create Graph refused: its code, message and request ids.
fn refused_create(message: &str) -> DeployFailure {
    DeployFailure {
        reference: "sharepointSettings:singleton".into(),
        error: format!(
            "Microsoft Graph refused PATCH /admin/sharepoint/settings: HTTP 403 Authorization_RequestDenied: {message} (request-id 6b1f0c2e-0001, client-request-id 9d2a-0002)"
        ),
        refused: Some(Refusal {
            service: "Microsoft Graph".into(),
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: message.into(),
            request_id: Some("6b1f0c2e-0001".into()),
            client_request_id: "9d2a-0002".into(),
            method: "PATCH".into(),
            path: "/admin/sharepoint/settings".into(),
        }),
    }
}

/// Two areas, every status, a failure with three settings, a burn-up over three runs.
fn sample() -> ReportInput {
    let mut failed = feature(
        "ca-block-legacy-auth",
        "Block legacy authentication",
        "identity",
        Status::Fail,
    );
    failed.findings = vec![
        SettingFinding {
            reference: "conditionalAccessPolicy:BLOCK – Legacy Authentication".into(),
            path: "state".into(),
            expected: json!("enabled"),
            actual: json!("enabledForReportingButNotEnforced"),
        },
        SettingFinding {
            reference: "conditionalAccessPolicy:BLOCK – Legacy Authentication".into(),
            path: "conditions.clientAppTypes".into(),
            expected: json!(["exchangeActiveSync", "other"]),
            actual: json!(["other"]),
        },
        SettingFinding {
            reference: "conditionalAccessPolicy:BLOCK – Legacy Authentication".into(),
            path: "grantControls".into(),
            expected: json!({"builtInControls": ["block"]}),
            actual: json!(null),
        },
    ];
    let mut not_deployed = feature(
        "sharepoint-sharing",
        "Restrict external sharing",
        "sharepoint",
        Status::NotDeployed,
    );
    not_deployed.missing = vec!["sharepointSettings:singleton".into()];
    not_deployed.deploy_failure = Some(refused_create(
        "Insufficient privileges to complete the operation.",
    ));
    not_deployed.essential_eight = Vec::new();
    let mut none_impact = feature(
        "ca-allowed-countries",
        "Allowed countries location",
        "identity",
        Status::Pass,
    );
    none_impact.user_impact = "None by itself; it is used by the country block policy.".into();
    none_impact.user_action = "Nothing: carry on working as usual.".into();
    let mut attested = feature(
        "teams-policies",
        "Teams meeting and messaging policies",
        "teams",
        Status::Manual,
    );
    attested.attestation = Some(Attestation {
        time: "2026-11-20T04:05:06Z".into(),
        actor: "kim@partner.com.au".into(),
        role: "partner".into(),
        evidence: "teams-admin-centre.png".into(),
        evidence_digest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            .into(),
        note: "Set in the Teams admin centre; checked by the agency".into(),
    });
    ReportInput {
        agency: "Department of Examples".into(),
        tenant_id: "00000000-0000-4000-8000-000000000001".into(),
        generated_at: TIME.into(),
        catalogue_version: "2024.1.0".into(),
        abac_source_date: "2023-12".into(),
        attribution: "Catalogue data derived from the ABAC documents, © Commonwealth of Australia, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).".into(),
        features: vec![
            none_impact,
            feature(
                "ca-block-countries",
                "Block sign-ins from countries not allowed",
                "identity",
                Status::Pass,
            ),
            failed,
            feature(
                "sharepoint-idle-session",
                "Idle session sign-out",
                "sharepoint",
                Status::Pass,
            ),
            not_deployed,
            feature(
                "teams-guest-review",
                "Review guest access",
                "teams",
                Status::Manual,
            ),
            attested,
        ],
        burn_up: vec![
            BurnUpPoint {
                label: "sprint 1".into(),
                completed: 1,
            },
            BurnUpPoint {
                label: "sprint 2".into(),
                completed: 2,
            },
            BurnUpPoint {
                label: "sprint 3".into(),
                completed: 3,
            },
        ],
    }
}

fn redact(text: &str) -> String {
    text.replace(TIME, "[TIMESTAMP]")
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares exactly with the stored snapshot, or rewrites it under `BLESS=1`.
fn check_snapshot(name: &str, actual: &str) {
    let path = snapshot_dir().join(name);
    let actual = redact(actual);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "reading snapshot {}: {e}; run with BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()) + 1);
        panic!(
            "snapshot {} differs (first at line {line}); run with BLESS=1 to accept\n--- actual ---\n{actual}",
            path.display()
        );
    }
}

#[test]
fn html_snapshot() {
    check_snapshot("report.html", &render_html(&sample()));
}

#[test]
fn junit_snapshot() {
    check_snapshot("report.junit.xml", &render_junit(&sample()));
}

#[test]
fn csv_snapshot() {
    let text = render_csv(&sample());
    let rows = parse_csv(&text);
    let column = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap();
    assert_eq!(
        row("teams-policies")[column("attested_by")],
        "kim@partner.com.au"
    );
    assert_eq!(row("teams-policies")[column("attested_role")], "partner");
    assert!(row("teams-policies")[column("evidence_digest")].starts_with("sha256:"));
    assert_eq!(
        row("teams-guest-review")[column("attested_by")],
        "",
        "awaiting"
    );
    assert!(
        rows.iter().all(|r| r.len() == rows[0].len()),
        "every row has every column"
    );
    check_snapshot("report.csv", &text);
}

#[test]
fn json_snapshot() {
    let text = render_json(&sample());
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema"], "blueprint.evaluation/1");
    assert_eq!(doc["summary"]["selected"], 7);
    assert_eq!(doc["summary"]["pass"], 3);
    assert_eq!(doc["summary"]["manual"], 2);
    assert_eq!(doc["summary"]["attested"], 1);
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features[5]["attestation"], serde_json::Value::Null);
    assert_eq!(features[6]["verdict"], "manual");
    assert_eq!(features[6]["attestation"]["actor"], "kim@partner.com.au");
    check_snapshot("report.json", &text);
}

#[test]
fn guides_snapshot() {
    let guides = render_guides(&sample());
    let names: Vec<&str> = guides.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "index.md",
            "index.html",
            "ca-allowed-countries.md",
            "ca-allowed-countries.html",
            "ca-block-countries.md",
            "ca-block-countries.html",
            "sharepoint-idle-session.md",
            "sharepoint-idle-session.html",
            "teams-policies.md",
            "teams-policies.html",
        ],
        "one page per verified or attested feature, in Markdown and HTML, plus an index"
    );
    for (name, contents) in &guides {
        check_snapshot(&format!("guides/{name}"), contents);
    }
}

#[test]
fn text_snapshot() {
    let text = render_text(&sample());
    assert!(text.contains("ATTESTED      teams-policies"), "{text}");
    assert!(
        text.contains("attested by kim@partner.com.au (partner)"),
        "{text}"
    );
    assert!(text.contains("2 manual (1 attested, 1 awaiting attestation) — of 7 selected"));
    check_snapshot("report.txt", &text);

    let outstanding = render_text_outstanding(&sample());
    let shown: Vec<&str> = outstanding
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_uppercase()))
        .collect();
    assert_eq!(shown, ["FAIL", "NOT", "MANUAL"], "{outstanding}");
    assert_eq!(
        outstanding.lines().last(),
        text.lines().last(),
        "the counts are the whole report's"
    );
}

#[test]
fn all_done_needs_every_feature_verified_or_attested() {
    let mut input = sample();
    assert!(!input.all_done());
    input
        .features
        .retain(|f| f.status == Status::Pass || f.attestation.is_some());
    assert!(input.all_done(), "verified and attested features are done");
    input.features[0].status = Status::Fail;
    input.features[0].attestation = input.features.last().unwrap().attestation.clone();
    assert!(
        !input.all_done(),
        "an attestation never covers a failed feature"
    );
}

#[test]
fn junit_carries_expected_and_actual_and_skips_manual() {
    let xml = render_junit(&sample());
    assert_eq!(xml.matches("<testcase ").count(), 7);
    assert!(xml.contains("<system-out>attested by kim@partner.com.au (partner)"));
    assert!(
        xml.contains("skipped=\"1\""),
        "only the unattested manual feature is skipped"
    );
    assert!(xml.contains("state: expected enabled, actual enabledForReportingButNotEnforced"));
    assert!(
        xml.contains("<skipped message=\"manual feature: awaiting attestation by a person\"/>")
    );
    assert!(xml.contains("failures=\"2\""));
}

/// A report whose tenant-supplied strings carry markup and script.
#[test]
fn a_deploy_failure_keeps_the_services_code_message_and_request_id_in_every_report() {
    let mut input = sample();
    input.features[4].deploy_failure = Some(refused_create("<b>denied</b> & logged"));
    let html = render_html(&input);
    assert!(
        html.contains("<code class=\"code\">Authorization_RequestDenied</code>: &lt;b&gt;denied&lt;/b&gt; &amp; logged (request-id <code class=\"request-id\">6b1f0c2e-0001</code>"),
        "{html}"
    );
    let junit = render_junit(&input);
    assert!(
        junit.contains("last deploy failed: sharepointSettings:singleton: Microsoft Graph answered HTTP 403 Authorization_RequestDenied: &lt;b&gt;denied&lt;/b&gt; &amp; logged (request-id 6b1f0c2e-0001"),
        "{junit}"
    );
    let json: serde_json::Value = serde_json::from_str(&render_json(&input)).unwrap();
    let refused = &json["features"][4]["deploy_failure"]["refused"];
    assert_eq!(
        (
            &refused["code"],
            &refused["message"],
            &refused["request_id"]
        ),
        (
            &json!("Authorization_RequestDenied"),
            &json!("<b>denied</b> & logged"),
            &json!("6b1f0c2e-0001")
        )
    );
    assert_eq!(json["features"][0]["deploy_failure"], json!(null));
    let text = render_text_outstanding(&input);
    assert!(
        text.contains("last deploy failed: sharepointSettings:singleton: Microsoft Graph answered HTTP 403 Authorization_RequestDenied"),
        "{text}"
    );
}

fn hostile() -> ReportInput {
    let mut input = sample();
    input.agency = "Dept <b>of</b> \"Quotes\" & 'Apostrophes'".into();
    input.features[2].findings[0].reference =
        "conditionalAccessPolicy:<script>alert(1)</script>".into();
    input.features[2].findings[0].actual = json!("<img src=x onerror=alert(2)>");
    input.features[4].missing = vec!["group:</td></tr><script>alert(3)</script>".into()];
    input.features[0].title = "Allowed <script>alert(4)</script>".into();
    input.features[0].user_impact = "<script>alert(5)</script> **bold** [link](http://x)".into();
    input.features[0].user_action = "<script>alert(6)</script> <b>now</b>".into();
    let attestation = input.features[6].attestation.as_mut().unwrap();
    attestation.note = "<script>alert(7)</script> <b>checked</b>".into();
    attestation.actor = "<b>kim</b>".into();
    input
}

#[test]
fn tenant_strings_are_escaped_everywhere() {
    let input = hostile();
    let html = render_html(&input);
    assert!(!html.contains("<script"), "no script element in the report");
    assert!(!html.contains("<img"), "no image element in the report");
    assert!(!html.contains("<b>of"), "no markup from the agency name");
    assert!(html.contains("conditionalAccessPolicy:&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(
        html.contains("Dept &lt;b&gt;of&lt;/b&gt; &quot;Quotes&quot; &amp; &#39;Apostrophes&#39;")
    );

    assert!(!html.contains("<b>kim"), "no markup from an attestation");
    assert!(html.contains("&lt;b&gt;kim&lt;/b&gt;") && html.contains("&lt;script&gt;alert(7)"));

    let xml = render_junit(&input);
    assert!(!xml.contains("<b>kim") && xml.contains("&lt;b&gt;kim&lt;/b&gt;"));
    assert!(!xml.contains("<script"));
    assert!(xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        xml.contains("Dept &lt;b&gt;of&lt;/b&gt; &quot;Quotes&quot; &amp; &apos;Apostrophes&apos;")
    );

    for (name, contents) in render_guides(&input) {
        assert!(!contents.contains("<script"), "{name} carries a script");
        assert!(!contents.contains("<b>"), "{name} carries markup");
        if name == "ca-allowed-countries.md" {
            assert!(!contents.contains(" [link]("), "{name} carries a link");
            assert!(
                contents.contains("\\[link\\](http://x)"),
                "{name}: link shown as text"
            );
        }
    }

    let json_text = render_json(&input);
    let doc: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(
        doc["agency"], input.agency,
        "JSON carries the string as data"
    );
}

// ---- sprint plan and user stories ----

fn scheduled(
    id: &str,
    title: &str,
    area: &str,
    points: u32,
    state: &str,
    reason: &str,
) -> SprintFeature {
    SprintFeature {
        id: id.into(),
        title: title.into(),
        area: area.into(),
        story_points: points,
        state: state.into(),
        reason: reason.into(),
    }
}

/// Two sprints, one over capacity with a single feature, features in several states.
fn sprint_plan() -> SprintPlanInput {
    SprintPlanInput {
        agency: "Department of Examples".into(),
        generated_at: TIME.into(),
        capacity: 20,
        sprints: vec![
            SprintInput {
                number: 1,
                features: vec![
                    scheduled(
                        "ca-named-location-allowed-countries",
                        "Named location of the countries sign-ins may come from",
                        "identity",
                        1,
                        "verified",
                        "next in catalogue order; sprint 1 had room",
                    ),
                    scheduled(
                        "ca-block-countries-not-allowed",
                        "Block sign-ins from countries the agency does not allow",
                        "identity",
                        2,
                        "deployed",
                        "needs ca-named-location-allowed-countries (sprint 1); kept with the identity features of this sprint",
                    ),
                    scheduled(
                        "sharepoint-sharing",
                        "Restrict external sharing, with \"quotes\", commas | pipes",
                        "sharepoint",
                        3,
                        "scheduled",
                        "pinned to sprint 1",
                    ),
                ],
            },
            SprintInput {
                number: 2,
                features: vec![scheduled(
                    "intune-windows-configuration-profiles",
                    "Windows configuration profiles",
                    "intune",
                    21,
                    "scheduled",
                    "exceeds the capacity on its own (21 > 20 points): alone in sprint 2",
                )],
            },
        ],
        attribution: "Catalogue data derived from the ABAC documents, © Commonwealth of Australia, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).".into(),
    }
}

fn story(id: &str, title: &str, area: &str, points: u32, sprint: Option<u32>) -> StoryInput {
    StoryInput {
        id: id.into(),
        title: title.into(),
        area: area.into(),
        as_a: "agency security officer".into(),
        want: format!("{} in place", title.to_lowercase()),
        so_that: "the tenant follows the blueprint".into(),
        acceptance: vec![format!("{title} is configured as the ABAC describes.")],
        story_points: points,
        sprint,
        essential_eight: Vec::new(),
        abac: vec![AbacRef {
            file: "conditional-access-policies.md".into(),
            heading: "Conditional Access - Named locations".into(),
        }],
        depends_on: Vec::new(),
    }
}

fn stories() -> StoriesInput {
    let mut mfa = story(
        "ca-require-mfa",
        "Require multi-factor authentication",
        "identity",
        2,
        Some(1),
    );
    mfa.as_a = "records manager".into();
    mfa.essential_eight = vec![
        "multi-factor-authentication".into(),
        "restrict-admin-privileges".into(),
    ];
    mfa.acceptance
        .push("Sign-ins without MFA are refused, \"except\" break-glass, accounts.".into());
    mfa.depends_on = vec!["identity-break-glass-accounts".into()];
    StoriesInput {
        agency: "Department of Examples".into(),
        generated_at: TIME.into(),
        stories: vec![
            story(
                "ca-named-location",
                "Allowed countries location",
                "identity",
                1,
                Some(1),
            ),
            mfa,
            story(
                "teams-guest-review",
                "Review guest access",
                "teams",
                3,
                None,
            ),
        ],
        attribution: "Catalogue data derived from the ABAC documents, CC BY 4.0.".into(),
    }
}

#[test]
fn sprints_markdown_snapshot() {
    check_snapshot("sprints.md", &render_sprints_markdown(&sprint_plan()));
}

#[test]
fn sprints_csv_snapshot() {
    check_snapshot("sprints.csv", &render_sprints_csv(&sprint_plan()));
}

#[test]
fn sprints_html_snapshot() {
    check_snapshot("sprints.html", &render_sprints_html(&sprint_plan()));
}

#[test]
fn sprints_json_snapshot() {
    let text = render_sprints_json(&sprint_plan());
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema"], "blueprint.sprints/1");
    assert_eq!(doc["summary"]["features"], 4);
    assert_eq!(doc["summary"]["story_points"], 27);
    assert_eq!(doc["sprints"][0]["points"], 6);
    assert_eq!(doc["sprints"][1]["features"][0]["state"], "scheduled");
    check_snapshot("sprints.json", &text);
}

#[test]
fn stories_markdown_snapshot() {
    let text = render_stories_markdown(&stories());
    assert!(text.contains(
        "As an agency security officer, I want allowed countries location in place, so that the tenant follows the blueprint."
    ));
    assert!(text.contains("As a records manager, I want"));
    check_snapshot("stories.md", &text);
}

/// Splits RFC 4180 CSV into records of fields (quoted fields may hold commas, quotes, newlines).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quote");
    assert!(
        field.is_empty() && record.is_empty(),
        "records end with CRLF"
    );
    records
}

#[test]
fn stories_csv_for_jira_snapshot() {
    let text = render_stories_csv(&stories(), &StoriesTarget::Jira);
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\r'));
    let records = parse_csv(&text);
    assert_eq!(
        records[0],
        [
            "Summary",
            "Description",
            "Acceptance Criteria",
            "Story Points",
            "Sprint",
            "Labels",
            "Labels",
            "Labels",
            "Labels"
        ],
        "one Labels column per label, as Jira's importer takes several"
    );
    assert_eq!(records.len(), 4);
    assert!(
        records.iter().all(|r| r.len() == 9),
        "every record has every column"
    );
    let mfa = &records[2];
    assert_eq!(mfa[0], "Require multi-factor authentication");
    assert!(mfa[1].starts_with("As a records manager, I want"));
    assert_eq!(
        mfa[2],
        "* Require multi-factor authentication is configured as the ABAC describes.\n* Sign-ins without MFA are refused, \"except\" break-glass, accounts."
    );
    assert_eq!(mfa[3], "2");
    assert_eq!(mfa[4], "Sprint 1");
    assert_eq!(
        mfa[5..],
        [
            "identity",
            "e8-multi-factor-authentication",
            "e8-restrict-admin-privileges",
            "abac-conditional-access-policies"
        ]
    );
    assert!(
        records
            .iter()
            .skip(1)
            .flat_map(|r| &r[5..])
            .all(|l| !l.contains(' '))
    );
    assert_eq!(records[3][4], "", "not scheduled: no sprint");
    check_snapshot("stories.jira.csv", &text);
}

#[test]
fn stories_csv_for_azure_boards_snapshot() {
    let target = StoriesTarget::AzureBoards {
        project: "Blueprint Rollout".into(),
    };
    let text = render_stories_csv(&stories(), &target);
    let records = parse_csv(&text);
    assert_eq!(
        records[0],
        [
            "Work Item Type",
            "Title",
            "Description",
            "Acceptance Criteria",
            "Story Points",
            "Iteration Path",
            "Tags"
        ]
    );
    let mfa = &records[2];
    assert_eq!(mfa[0], "User Story");
    assert_eq!(mfa[5], "Blueprint Rollout\\Sprint 1");
    assert_eq!(
        mfa[6],
        "identity; e8-multi-factor-authentication; e8-restrict-admin-privileges; abac-conditional-access-policies"
    );
    assert!(mfa[3].starts_with("<ul><li>") && mfa[3].contains("&quot;except&quot;"));
    assert_eq!(
        records[3][5], "",
        "not scheduled: the project's default iteration"
    );
    check_snapshot("stories.azure-boards.csv", &text);
}

#[test]
fn markup_in_titles_and_reasons_is_escaped_everywhere() {
    let mut plan = sprint_plan();
    plan.agency = "Dept <b>of</b> \"Quotes\" & 'Apostrophes'".into();
    plan.sprints[0].features[0].title = "Allowed <script>alert(1)</script> | **bold**".into();
    plan.sprints[0].features[1].reason = "<img src=x onerror=alert(2)>".into();
    plan.sprints[0].features[2].state = "scheduled\"><script>alert(3)</script>".into();
    let html = render_sprints_html(&plan);
    assert!(
        !html.contains("<script"),
        "no script element in the sprint plan"
    );
    assert!(
        !html.contains("<img"),
        "no image element in the sprint plan"
    );
    assert!(!html.contains("<b>of"), "no markup from the agency name");
    assert!(html.contains("Allowed &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("class=\"state scheduled&quot;&gt;&lt;script&gt;"));
    assert_eq!(
        html.matches("class=\"feature\"").count(),
        4,
        "markup broke no rows"
    );

    let markdown = render_sprints_markdown(&plan);
    assert!(!markdown.contains("<script") && !markdown.contains("<img"));
    assert!(
        markdown.contains("Allowed &lt;script&gt;alert(1)&lt;/script&gt; \\| \\*\\*bold\\*\\*")
    );
    let table_rows = markdown.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(
        table_rows,
        2 + 4,
        "two header rows and one row per feature: no cell split"
    );

    let csv = parse_csv(&render_sprints_csv(&plan));
    assert_eq!(
        csv[1][2], "Allowed <script>alert(1)</script> | **bold**",
        "CSV carries the text as data"
    );

    let doc: serde_json::Value = serde_json::from_str(&render_sprints_json(&plan)).unwrap();
    assert_eq!(
        doc["sprints"][0]["features"][0]["title"],
        plan.sprints[0].features[0].title
    );

    let mut input = stories();
    input.stories[0].title = "Allowed <script>alert(4)</script> [link](http://x)".into();
    input.stories[0].acceptance = vec!["<img src=x onerror=alert(5)>".into()];
    let markdown = render_stories_markdown(&input);
    assert!(!markdown.contains("<script") && !markdown.contains("<img"));
    assert!(
        markdown.contains("\\[link\\](http://x)"),
        "link shown as text"
    );
    let azure = render_stories_csv(
        &input,
        &StoriesTarget::AzureBoards {
            project: "P".into(),
        },
    );
    let azure = parse_csv(&azure);
    assert_eq!(
        azure[1][1], input.stories[0].title,
        "the title is plain text there"
    );
    for html_field in &azure[1][2..4] {
        assert!(
            !html_field.contains("<script") && !html_field.contains("<img"),
            "Azure Boards renders description and acceptance criteria as HTML: {html_field}"
        );
    }
    assert!(azure[1][3].contains("&lt;img src=x onerror=alert(5)&gt;"));
    let jira = parse_csv(&render_stories_csv(&input, &StoriesTarget::Jira));
    assert_eq!(
        jira[1][0], input.stories[0].title,
        "Jira's summary is plain text"
    );
}

#[test]
fn a_csv_cell_that_looks_like_a_formula_is_defused() {
    let mut plan = sprint_plan();
    plan.sprints[0].features[0].title = "=HYPERLINK(\"http://x\")".into();
    let csv = parse_csv(&render_sprints_csv(&plan));
    assert_eq!(csv[1][2], "'=HYPERLINK(\"http://x\")");
}

// ---- headless Chromium ----

const CHROMIUM: &str = "/usr/bin/chromium";

struct Rendered {
    dom: String,
    log: String,
}

/// Opens `html` in headless Chromium and returns the DOM it rendered and its log.
fn open_in_chromium(html: &str) -> Rendered {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install it (`apt-get install -y chromium`); .ci/run does so"
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let profile = dir.path().join("profile");
    let output = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("running chromium");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "chromium failed: {log}");
    Rendered {
        dom: String::from_utf8_lossy(&output.stdout).into_owned(),
        log,
    }
}

/// Console messages Chromium logged (`CONSOLE(…)` lines), and CSP violations.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Content Security Policy") || l.contains("Uncaught")
        })
        .collect()
}

/// The text of the first element with `id="…"` in the serialised DOM.
fn text_of<'a>(dom: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let at = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no element #{id}"));
    let rest = &dom[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap() + start;
    &rest[start..end]
}

#[test]
fn chromium_renders_the_report_with_the_right_counts() {
    let rendered = open_in_chromium(&render_html(&sample()));
    let errors = console_errors(&rendered.log);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let dom = &rendered.dom;
    assert!(dom.contains("</html>"), "a whole document was rendered");
    assert_eq!(text_of(dom, "verified"), "3");
    assert_eq!(text_of(dom, "selected"), "7");
    assert_eq!(text_of(dom, "failed"), "1");
    assert_eq!(text_of(dom, "not-deployed"), "1");
    assert_eq!(text_of(dom, "manual"), "2");
    assert_eq!(text_of(dom, "attested"), "1");
    assert_eq!(text_of(dom, "awaiting"), "1");
    assert_eq!(
        dom.matches("class=\"feature\"").count(),
        7,
        "one row per feature"
    );
    assert_eq!(dom.matches("data-status=\"pass\"").count(), 3);
    assert_eq!(dom.matches("<tr data-area=").count(), 3, "one row per area");
    let identity = &dom[dom.find("data-area=\"identity\"").unwrap()..];
    assert!(
        identity.contains("<td class=\"num verified\">2</td><td class=\"num selected\">3</td>")
    );
    assert!(
        dom.contains("id=\"burn-up-line\""),
        "the burn-up chart is drawn"
    );
    assert!(dom.contains("CC BY 4.0"));
}

#[test]
fn chromium_shows_script_in_tenant_strings_as_text() {
    let rendered = open_in_chromium(&render_html(&hostile()));
    let errors = console_errors(&rendered.log);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let dom = &rendered.dom;
    assert!(
        !dom.contains("<script"),
        "no script element reached the DOM"
    );
    assert!(!dom.contains("<img"), "no image element reached the DOM");
    assert!(dom.contains("conditionalAccessPolicy:&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        text_of(dom, "agency"),
        "Dept &lt;b&gt;of&lt;/b&gt; \"Quotes\" &amp; 'Apostrophes'"
    );
    assert_eq!(
        dom.matches("class=\"feature\"").count(),
        7,
        "markup broke no rows"
    );
    assert!(dom.contains("&lt;script&gt;alert(7)&lt;/script&gt; &lt;b&gt;checked&lt;/b&gt;"));
}

#[test]
fn chromium_renders_the_sprint_plan() {
    let rendered = open_in_chromium(&render_sprints_html(&sprint_plan()));
    let errors = console_errors(&rendered.log);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let dom = &rendered.dom;
    assert!(dom.contains("</html>"), "a whole document was rendered");
    assert_eq!(
        dom.matches("class=\"feature\"").count(),
        4,
        "one row per feature"
    );
    assert_eq!(dom.matches("data-sprint=\"1\"").count(), 3);
    assert_eq!(
        text_of(dom, "summary"),
        "4 features, 27 story points, in 2 sprints of 20 story points."
    );
    assert!(dom.contains("CC BY 4.0"));
}

/// A feature reached through Graph beta (Microsoft's preview API) is marked in the text and
/// HTML reports and carries `graph_beta` in JSON; a Graph v1.0 feature is not marked and its
/// JSON has no such key.
#[test]
fn reports_mark_a_graph_beta_feature() {
    let mut input = sample();
    let mut beta = feature(
        "organisation-forms-todo-and-store-settings",
        "Forms and To Do settings",
        "organisation",
        Status::Pass,
    );
    beta.graph_beta = true;
    input.features.push(beta);
    let text = render_text(&input);
    let line = text
        .lines()
        .find(|l| l.contains("organisation-forms-todo-and-store-settings"))
        .unwrap();
    assert!(line.ends_with("(Graph beta)"), "{line}");
    assert_eq!(text.matches("(Graph beta)").count(), 1, "{text}");
    let html = render_html(&input);
    assert_eq!(html.matches("class=\"beta\"").count(), 1);
    let row = html
        .split("<tr class=\"feature\"")
        .find(|r| r.contains("id=\"feature-organisation-forms-todo-and-store-settings\""))
        .unwrap();
    assert!(row.contains(">Graph beta</span>"), "{row}");
    let json: serde_json::Value = serde_json::from_str(&render_json(&input)).unwrap();
    let features = json["features"].as_array().unwrap();
    let flagged: Vec<&str> = features
        .iter()
        .filter(|f| f.get("graph_beta") == Some(&json!(true)))
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, vec!["organisation-forms-todo-and-store-settings"]);
    assert!(
        features
            .iter()
            .all(|f| f.get("graph_beta") != Some(&json!(false)))
    );
}
