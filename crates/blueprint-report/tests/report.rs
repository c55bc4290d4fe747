//! Snapshot tests of every format, escaping of tenant-supplied strings, and the HTML report
//! opened in headless Chromium. `BLESS=1 cargo test -p blueprint-report` rewrites the snapshots.

use std::path::{Path, PathBuf};
use std::process::Command;

use blueprint_report::{
    AbacRef, BurnUpPoint, FeatureReport, ReportInput, SettingFinding, Status, render_csv,
    render_guides, render_html, render_json, render_junit,
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
    not_deployed.essential_eight = Vec::new();
    let mut none_impact = feature(
        "ca-allowed-countries",
        "Allowed countries location",
        "identity",
        Status::Pass,
    );
    none_impact.user_impact = "None by itself; it is used by the country block policy.".into();
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
        ],
        burn_up: vec![
            BurnUpPoint {
                label: "run 1".into(),
                completed: 1,
            },
            BurnUpPoint {
                label: "run 2".into(),
                completed: 2,
            },
            BurnUpPoint {
                label: "run 3".into(),
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
    check_snapshot("report.csv", &render_csv(&sample()));
}

#[test]
fn json_snapshot() {
    let text = render_json(&sample());
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema"], "blueprint.evaluation/1");
    assert_eq!(doc["summary"]["selected"], 6);
    assert_eq!(doc["summary"]["pass"], 3);
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
        ],
        "one page per verified feature, in Markdown and HTML, plus an index"
    );
    for (name, contents) in &guides {
        check_snapshot(&format!("guides/{name}"), contents);
    }
}

#[test]
fn junit_carries_expected_and_actual_and_skips_manual() {
    let xml = render_junit(&sample());
    assert_eq!(xml.matches("<testcase ").count(), 6);
    assert!(xml.contains("state: expected enabled, actual enabledForReportingButNotEnforced"));
    assert!(
        xml.contains("<skipped message=\"manual feature: awaiting attestation by a person\"/>")
    );
    assert!(xml.contains("failures=\"2\""));
}

/// A report whose tenant-supplied strings carry markup and script.
fn hostile() -> ReportInput {
    let mut input = sample();
    input.agency = "Dept <b>of</b> \"Quotes\" & 'Apostrophes'".into();
    input.features[2].findings[0].reference =
        "conditionalAccessPolicy:<script>alert(1)</script>".into();
    input.features[2].findings[0].actual = json!("<img src=x onerror=alert(2)>");
    input.features[4].missing = vec!["group:</td></tr><script>alert(3)</script>".into()];
    input.features[0].title = "Allowed <script>alert(4)</script>".into();
    input.features[0].user_impact = "<script>alert(5)</script> **bold** [link](http://x)".into();
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

    let xml = render_junit(&input);
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
    assert_eq!(text_of(dom, "selected"), "6");
    assert_eq!(text_of(dom, "failed"), "1");
    assert_eq!(text_of(dom, "not-deployed"), "1");
    assert_eq!(text_of(dom, "manual"), "1");
    assert_eq!(
        dom.matches("class=\"feature\"").count(),
        6,
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
        6,
        "markup broke no rows"
    );
}
