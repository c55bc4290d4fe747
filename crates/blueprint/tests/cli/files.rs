//! Files the catalogue sends (`$file`): confined to the workspace, and the placeholder terms of
//! use `blueprint init` writes never sent to a real tenant.

use std::path::Path;

use crate::support::*;

fn set_terms_pdf(ws: &Path, value: &str) {
    let profile = ws.join("blueprint.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("terms_of_use_pdf"))
        .expect("init writes terms_of_use_pdf");
    let text = text.replace(line, &format!("terms_of_use_pdf = \"{value}\""));
    std::fs::write(&profile, text).unwrap();
}

/// `deploy --yes` against Microsoft's Graph (the default endpoints), with a credential that is
/// never used: whatever refuses must refuse before any request.
fn deploy_to_microsoft(ws: &Path) -> std::process::Output {
    blueprint()
        .args(["deploy", "--yes", "-C"])
        .arg(ws)
        .env("AZURE_TENANT_ID", "8f2c6f1e-3b4d-4c55-9d7e-0a1b2c3d4e5f")
        .env("AZURE_CLIENT_ID", "0e3c1f7a-5b6d-4e8f-9a0b-1c2d3e4f5a6b")
        .env("AZURE_CLIENT_SECRET", "never-sent")
        .env_remove("AZURE_AUTHORITY_HOST")
        .env_remove("BLUEPRINT_GRAPH_URL")
        .output()
        .unwrap()
}

#[test]
fn the_placeholder_terms_of_use_are_never_sent_to_a_real_tenant() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), "features = [\"ca-terms-of-use\"]");
    let out = deploy_to_microsoft(&ws);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let said = stderr(&out);
    for part in [
        "acceptable-use-policy.pdf is the placeholder terms of use",
        "ca-terms-of-use",
        &format!("{}:", ws.join("blueprint.toml").display()),
        "nothing was changed",
    ] {
        assert!(says(&said, part), "{part:?} missing from:\n{said}");
    }
    assert!(
        !ws.join(".blueprint/state.db").exists(),
        "refused before the state was touched"
    );
    // The same file under another name is still the placeholder.
    std::fs::copy(ws.join("acceptable-use-policy.pdf"), ws.join("renamed.pdf")).unwrap();
    set_terms_pdf(&ws, "renamed.pdf");
    let out = deploy_to_microsoft(&ws);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        says(&stderr(&out), "renamed.pdf is the placeholder"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_file_outside_the_workspace_is_refused_where_the_profile_names_it() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), "features = []");
    std::fs::write(dir.path().join("outside.pdf"), "%PDF-1.4\n").unwrap();
    let refused = |value: &str, why: &str| {
        set_terms_pdf(&ws, value);
        let out = bp(&ws, &["plan"]);
        assert_eq!(out.status.code(), Some(2), "{value}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(says(&said, "blueprint.toml:"), "{value}: {said}");
        assert!(says(&said, "terms_of_use_pdf"), "{value}: {said}");
        assert!(says(&said, why), "{value}: {why:?} missing from {said}");
    };
    refused("../outside.pdf", "without `..`");
    refused(
        dir.path().join("outside.pdf").to_str().unwrap(),
        "without `..`",
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path(), ws.join("shared")).unwrap();
        refused("shared/outside.pdf", "symbolic link");
    }
}

/// The firewall rules file (`params.firewall_rules`): `init` writes the parameter commented
/// out; once set, a rule Intune cannot take refuses the workspace at the rule's line and column
/// (exit 2, nothing planned), a link leading out of the workspace is refused where the profile
/// names the file, and `catalogue show --profile` renders the rules policy from the file.
#[test]
fn the_firewall_rules_file_is_read_checked_and_confined() {
    let dir = temp_dir();
    let ws = offline_workspace(
        dir.path(),
        "features = [\"intune-windows-device-group\", \"intune-endpoint-security-firewall\", \"intune-endpoint-security-firewall-rules\"]",
    );
    let profile = ws.join("blueprint.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let commented = "# firewall_rules = \"firewall-rules.json\"";
    assert!(text.contains(commented), "{text}");
    std::fs::write(
        &profile,
        text.replace(commented, "firewall_rules = \"firewall-rules.json\""),
    )
    .unwrap();
    std::fs::write(
        ws.join("firewall-rules.json"),
        "[\n  {\"DisplayName\": \"Web\", \"Direction\": \"Inbound\", \"Action\": \"Allow\", \"Enabled\": \"True\",\n   \"Protocol\": \"TCP\", \"LocalPort\": [\"Teredo\"]}\n]\n",
    )
    .unwrap();
    let out = bp(&ws, &["plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    for part in [
        "firewall-rules.json:3:37",
        "LocalPort `Teredo` is not a port",
    ] {
        assert!(says(&said, part), "{part:?} missing from:\n{said}");
    }
    assert!(!ws.join(".blueprint/state.db").exists(), "nothing written");

    std::fs::write(
        ws.join("firewall-rules.json"),
        "[{\"DisplayName\": \"Web\", \"Direction\": \"Inbound\", \"Action\": \"Allow\", \"Enabled\": \"True\", \"Protocol\": \"TCP\", \"LocalPort\": [\"443\"]}]",
    )
    .unwrap();
    let out = run(&[
        "catalogue",
        "show",
        "intune-endpoint-security-firewall-rules",
        "--profile",
        profile.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("ACSC - Defender Firewall Rules 0"),
        "{}",
        stdout(&out)
    );
    #[cfg(unix)]
    {
        std::fs::write(dir.path().join("outside.json"), "[]").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.json"), ws.join("linked.json"))
            .unwrap();
        let text = std::fs::read_to_string(&profile).unwrap();
        std::fs::write(
            &profile,
            text.replace("\"firewall-rules.json\"", "\"linked.json\""),
        )
        .unwrap();
        let out = bp(&ws, &["plan"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let said = stderr(&out);
        for part in ["blueprint.toml:", "params.firewall_rules", "symbolic link"] {
            assert!(says(&said, part), "{part:?} missing from:\n{said}");
        }
    }
}

/// `blueprint init` keeps `.blueprint/` (the state, the credentials) out of git with a
/// `.gitignore` of its own; running it again keeps the one there; a failed init writes none.
#[test]
fn init_keeps_the_state_directory_out_of_git() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), "features = []");
    let ignore = ws.join(".blueprint").join(".gitignore");
    let text = std::fs::read_to_string(&ignore).expect("init writes .blueprint/.gitignore");
    assert!(text.lines().any(|l| l == "*"), "everything ignored: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ws.join(".blueprint"))
            .unwrap()
            .permissions();
        assert_eq!(mode.mode() & 0o777, 0o700, "the state directory is private");
    }
    // The agency's own edit survives a second init.
    let edited = format!("{text}# kept by the agency\n");
    std::fs::write(&ignore, &edited).unwrap();
    let again = [
        "init",
        ws.to_str().unwrap(),
        "--agency",
        "Department of Examples",
        "--domain",
        "examples.gov.au",
        "--prefix",
        "DOE",
        "--force",
    ];
    ok(&run(&again));
    assert_eq!(std::fs::read_to_string(&ignore).unwrap(), edited);
    // A profile that does not validate leaves nothing behind.
    let bad = dir.path().join("bad");
    let out = run(&[
        "init",
        bad.to_str().unwrap(),
        "--agency",
        "Department of Examples",
        "--domain",
        "not a domain",
        "--prefix",
        "DOE",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!bad.join(".blueprint").exists());
}
