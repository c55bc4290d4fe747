//! `blueprint demo`, the README's first command: the whole Deploy flow, sprint by sprint,
//! against the built-in emulated tenant.

use crate::support::*;

#[test]
fn the_demo_deploys_every_sprint_and_leaves_a_verifiable_record() {
    let dir = temp_dir();
    let ws = dir.path().join("demo");
    let out = blueprint()
        .args(["demo", "--throttle", "off", "--dir"])
        .arg(&ws)
        .env_remove("BLUEPRINT_DATABASE_URL")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    // Automated as the demo's agency sees the catalogue: a feature that needs files the agency
    // has not supplied (its WDAC policy) is manual there.
    let profile_path = ws.join("blueprint.toml");
    let profile = blueprint_catalogue::AgencyProfile::from_toml(
        &profile_path.display().to_string(),
        &std::fs::read_to_string(&profile_path).unwrap(),
    )
    .unwrap();
    let automated = blueprint_catalogue::Catalogue::builtin()
        .unwrap()
        .for_profile(&profile)
        .features()
        .iter()
        .filter(|f| f.status() == blueprint_catalogue::FeatureStatus::Automated)
        .count();
    assert!(automated >= 38, "{automated}");
    assert!(
        text.contains(&format!(
            "{automated} of {automated} automated features verified"
        )),
        "{text}"
    );
    assert!(text.contains("sprint  1:"), "{text}");
    for file in [
        "report.html",
        "sprints.html",
        "evaluation.json",
        "guides/index.html",
    ] {
        assert!(ws.join(file).exists(), "{file} written");
    }
    // A verified feature's guide says what changes and what staff do, in the catalogue's words.
    let feature = "ca-block-countries-not-allowed";
    let shown = blueprint()
        .args(["catalogue", "show", feature, "--format", "json"])
        .output()
        .unwrap();
    ok(&shown);
    let doc = json_of(&shown);
    let guide = std::fs::read_to_string(ws.join(format!("guides/{feature}.md"))).unwrap();
    for (heading, field) in [
        ("## What changes for me", "user_impact"),
        ("## What I do now", "user_action"),
    ] {
        let text = doc[field].as_str().unwrap();
        assert!(
            guide.contains(&format!("{heading}\n\n{text}\n")),
            "{heading}: {text}\n{guide}"
        );
    }
    let status = blueprint()
        .args(["status", "--format", "json", "-C"])
        .arg(&ws)
        .output()
        .unwrap();
    let status = json_of(&status);
    assert_eq!(status["recommendation"]["step"], "transition", "{status}");
    let verify = blueprint()
        .args(["log", "verify", "-C"])
        .arg(&ws)
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}
