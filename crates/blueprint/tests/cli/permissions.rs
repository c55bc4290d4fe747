//! `blueprint permissions`: what the execution plan needs granted, derived from its features.

use crate::support::{bp, json_of, offline_workspace, ok, stdout};

#[test]
fn permissions_follow_the_selection_and_name_the_features() {
    let dir = tempfile::tempdir().unwrap();
    let ws = offline_workspace(
        dir.path(),
        "features = [\"ca-named-location-allowed-countries\"]",
    );
    let out = bp(&ws, &["permissions", "--format", "json"]);
    ok(&out);
    let json = json_of(&out);
    assert_eq!(json["access"], "read-write");
    let names: Vec<&str> = json["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        "{json}"
    );
    assert_eq!(
        json["permissions"][1]["features"],
        serde_json::json!(["ca-named-location-allowed-countries"])
    );

    let out = bp(&ws, &["permissions", "--read-only"]);
    ok(&out);
    let text = stdout(&out);
    assert!(text.contains("Policy.Read.All"), "{text}");
    assert!(!text.contains("ReadWrite"), "{text}");
    assert!(text.contains("blueprint connect --read-only"), "{text}");
}
