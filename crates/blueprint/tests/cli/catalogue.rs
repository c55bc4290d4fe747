//! `blueprint catalogue` from the command line: exit codes, text and JSON output, located errors.

use serde_json::Value;

use crate::support::{blueprint, json_of, run, says, stderr, stdout, temp_dir};

const PROFILE: &str = r#"[agency]
name = "Department of Examples"
domain = "examples.gov.au"
prefix = "DOE"

[params]
trusted_ip_ranges = ["203.0.113.0/24"]
break_glass_upns = ["break.glass_priv1@examples.onmicrosoft.com"]
"#;

#[test]
fn list_json_gives_each_feature_its_id_status_abac_dependencies_and_resources() {
    let out = run(&["catalogue", "list", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = json_of(&out);
    assert_eq!(json["catalogue"]["abac_source"]["commit"], "320d9b3");
    assert!(
        json["catalogue"]["attribution"]
            .as_str()
            .unwrap_or_default()
            .contains("CC BY 4.0")
    );
    let features = json["features"].as_array().expect("features");
    assert!(features.len() >= 80);
    for f in features {
        for key in [
            "id",
            "title",
            "area",
            "status",
            "abac",
            "depends_on",
            "resources",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        assert!(["automated", "manual"].contains(&f["status"].as_str().unwrap_or_default()));
    }
    let countries = features
        .iter()
        .find(|f| f["id"] == "ca-block-countries-not-allowed")
        .expect("country block policy");
    assert_eq!(countries["status"], "automated");
    assert_eq!(
        countries["abac"][0]["file"],
        "conditional-access-policies.md"
    );
    assert_eq!(
        countries["abac"][0]["heading"],
        "BLOCK - Countries Not Allowed"
    );
    assert_eq!(countries["resources"][0]["kind"], "conditionalAccessPolicy");
    assert_eq!(countries["resources"][0]["identity_key"], "displayName");
    assert_eq!(
        countries["resources"][0]["identity"],
        "BLOCK – Countries Not Allowed"
    );
    let deps: Vec<&str> = countries["depends_on"]
        .as_array()
        .expect("deps")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        deps.contains(&"ca-named-location-allowed-countries")
            && deps.contains(&"identity-ca-exclusion-group")
    );
}

#[test]
fn list_filters_by_area_and_refuses_an_unknown_area() {
    let out = run(&[
        "catalogue",
        "list",
        "--area",
        "sharepoint",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json = json_of(&out);
    assert!(
        json["features"]
            .as_array()
            .expect("features")
            .iter()
            .all(|f| f["area"] == "sharepoint")
    );

    let out = run(&["catalogue", "list", "--area", "kitchen"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        says(&stderr(&out), "unknown area `kitchen`"),
        "{}",
        stderr(&out)
    );

    let text = run(&["catalogue", "list", "--area", "identity"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(stdout(&text).contains("identity-break-glass-accounts"));
    assert!(stdout(&text).contains("CC BY 4.0"));
}

#[test]
fn show_renders_desired_state_with_a_profile() {
    let dir = temp_dir();
    std::fs::write(dir.path().join("blueprint.toml"), PROFILE).expect("profile");
    // The profile in the current directory is picked up without --profile.
    let out = blueprint()
        .current_dir(dir.path())
        .args([
            "catalogue",
            "show",
            "ca-named-location-internal-network",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = json_of(&out);
    assert_eq!(json["agency"], "Department of Examples");
    let rendered = &json["rendered"][0];
    assert_eq!(
        rendered["identity"],
        "Department of Examples Internal Network"
    );
    assert_eq!(
        rendered["desired"]["ipRanges"][0]["cidrAddress"],
        "203.0.113.0/24"
    );
    assert_eq!(
        rendered["desired"]["ipRanges"][0]["@odata.type"],
        "#microsoft.graph.iPv4CidrRange"
    );

    let text = run(&["catalogue", "show", "ca-block-guest-access"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(stdout(&text).contains("BLOCK – Guest Access"));
}

#[test]
fn show_of_an_unknown_feature_or_a_bad_profile_exits_2() {
    let out = run(&["catalogue", "show", "ca-block-guests"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        says(&stderr(&out), "did you mean `ca-block-guest-access`?"),
        "{}",
        stderr(&out)
    );

    let dir = temp_dir();
    let profile = dir.path().join("bad.toml");
    std::fs::write(
        &profile,
        PROFILE.replace("203.0.113.0/24", "203.0.113.9/24"),
    )
    .expect("profile");
    let out = run(&[
        "catalogue",
        "show",
        "ca-block-guest-access",
        "--profile",
        profile.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(says(&err, "bad.toml:7:22"), "{err}");
    assert!(says(&err, "host bits"), "{err}");
}

#[test]
fn validate_accepts_the_builtin_catalogue_and_a_valid_overlay() {
    let out = run(&["catalogue", "validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("is valid"));

    let dir = temp_dir();
    std::fs::write(
        dir.path().join("overlay.yaml"),
        "disable:\n  - feature: ca-block-unapproved-devices\n    justification: Android assessed separately\n",
    )
    .expect("overlay");
    let out = run(&["catalogue", "validate", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 disabled"), "{}", stdout(&out));
}

#[test]
fn validate_reports_problems_with_file_line_and_column_and_exits_2() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("overlay.yaml"),
        "overrides:\n  - feature: ca-block-guest-access\n    merge:\n      sesionControls: null\n  - feature: nope\n",
    )
    .expect("overlay");
    let out = run(&["catalogue", "validate", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(says(&err, "overlay.yaml:5:14"), "{err}");
    assert!(says(&err, "cannot override `nope`"), "{err}");

    let missing = run(&["catalogue", "validate", "/nonexistent/overlays"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn coverage_reports_every_abac_section() {
    let out = run(&["catalogue", "coverage", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = json_of(&out);
    let totals = &json["totals"];
    let sum = totals["automated"].as_u64().unwrap_or(0)
        + totals["manual"].as_u64().unwrap_or(0)
        + totals["out_of_scope"].as_u64().unwrap_or(0);
    assert_eq!(totals["sections"].as_u64(), Some(sum));
    assert_eq!(
        json["sections"].as_array().map(Vec::len),
        totals["sections"].as_u64().map(|n| n as usize)
    );

    let text = run(&["catalogue", "coverage"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(
        stdout(&text).contains("ABAC sections:"),
        "{}",
        stdout(&text)
    );
}
