//! Test support shared by the engine's tests and benchmarks: an emulator on loopback and a
//! workspace whose profile reaches its tenant with the app certificate.

use blueprint_catalogue::{AgencyProfile, Catalogue, FeatureStatus};
use blueprint_emulator::{EmulatorConfig, Fixture, RunningEmulator, ThrottleMode};
use blueprint_engine::{Session, Workspace};
use std::path::Path;

/// The features automated as the shared test workspace's profile sees the catalogue: one whose
/// parameters it leaves out (`automated_when_set`) is manual there, tested with a profile of
/// its own.
pub fn automated_features() -> Vec<String> {
    let profile = AgencyProfile::from_toml(
        "blueprint.toml",
        &format!(
            "[agency]\nname = \"Example\"\ndomain = \"example.gov.au\"\nprefix = \"EXA\"\n\n{}",
            params(
                "example.gov.au",
                "breakglass01@example.gov.au",
                "breakglass02@example.gov.au"
            )
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Catalogue::builtin()
        .unwrap()
        .for_profile(&profile)
        .features()
        .iter()
        .filter(|f| f.status() == FeatureStatus::Automated)
        .map(|f| f.id().to_string())
        .collect()
}

pub async fn emulator(
    seed: &str,
    tweak: impl FnOnce(&mut EmulatorConfig),
    dir: &Path,
) -> RunningEmulator {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut config = EmulatorConfig {
        tls: true,
        seeds: vec![Fixture::load(seed).unwrap()],
        throttle: ThrottleMode::Off,
        rng_seed: Some(5),
        out_dir: Some(dir.join("emulator")),
        ..EmulatorConfig::default()
    };
    tweak(&mut config);
    blueprint_emulator::serve(config).await.unwrap()
}

/// A workspace whose profile reaches the emulator's tenant with the app certificate.
pub fn workspace(dir: &Path, running: &RunningEmulator, features: &[String]) -> Workspace {
    let info = running.info();
    let t = &info.tenants[0];
    let app = &t.apps[0];
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    let profile = format!(
        r#"[agency]
name = {name}
domain = {domain}
prefix = "EXA"
implementation = "cloud-native"

{params}
[connection]
tenant_id = {tenant}
client_id = {client}
authority = {authority}
graph = {graph}
certificate_path = {cert}
private_key_path = {key}
ca_file = {ca}
dns = {dns}

[plan]
features = [{features}]
"#,
        name = q(&t.name),
        domain = q(t.domains.last().unwrap()),
        params = params(
            t.domains.last().unwrap(),
            &format!("breakglass01@{}", t.domain),
            &format!("breakglass02@{}", t.domain)
        ),
        tenant = q(&t.id),
        client = q(&app.client_id),
        authority = q(&info.authority),
        graph = q(&info.graph),
        cert = q(&app.certificate_path.as_ref().unwrap().display().to_string()),
        key = q(&app.private_key_path.as_ref().unwrap().display().to_string()),
        ca = q(&info.ca_file.as_ref().unwrap().display().to_string()),
        dns = q(&info.dns),
        features = list(features),
    );
    let ws_dir = dir.join("workspace");
    std::fs::create_dir_all(&ws_dir).unwrap();
    std::fs::write(ws_dir.join("blueprint.toml"), profile).unwrap();
    std::fs::write(ws_dir.join("aup.pdf"), b"%PDF-1.4\n%%EOF\n").unwrap();
    // The agency's signed WDAC base policy, as ConvertFrom-CIPolicy writes it (a stand-in: the
    // emulator does not read it), so the whole automated catalogue deploys.
    std::fs::create_dir_all(ws_dir.join("wdac")).unwrap();
    std::fs::write(
        ws_dir.join("wdac/base-policy.cip"),
        b"\x07\x00\x00\x00stand-in signed WDAC base policy",
    )
    .unwrap();
    // The agency's AppLocker rule collections and Start menu layout (stand-ins of the shapes
    // the AppLocker CSP and Export-StartLayout use).
    std::fs::create_dir_all(ws_dir.join("applocker")).unwrap();
    for (file, denied) in [
        ("block-apps-local-admins.xml", "MSEDGE.EXE"),
        ("block-users-powershell.xml", "POWERSHELL.EXE"),
    ] {
        std::fs::write(
            ws_dir.join("applocker").join(file),
            format!(
                r#"<RuleCollection Type="Exe" EnforcementMode="Enabled"><FilePathRule Id="9eb15b2e-f9c2-42d4-8692-ad1a0f6a0722" Name="All files except {denied}" Description="" UserOrGroupSid="S-1-1-0" Action="Allow"><Conditions><FilePathCondition Path="*"/></Conditions></FilePathRule></RuleCollection>"#
            ),
        )
        .unwrap();
    }
    std::fs::create_dir_all(ws_dir.join("windows")).unwrap();
    std::fs::write(
        ws_dir.join("windows/start-menu-layout.xml"),
        r#"<LayoutModificationTemplate Version="1" xmlns="http://schemas.microsoft.com/Start/2014/LayoutModification"/>"#,
    )
    .unwrap();
    Workspace::open(&ws_dir).unwrap_or_else(|e| panic!("{e}"))
}

pub fn session(ws: Workspace) -> Session {
    Session::open(ws, blueprint_engine::progress::quiet()).unwrap_or_else(|e| panic!("{e}"))
}

/// The shared test workspace's `[params]` tables (the agency's domain and break-glass accounts
/// given): every agency parameter but those a test adds to a profile of its own.
fn params(domain: &str, break_glass_1: &str, break_glass_2: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap();
    format!(
        r#"[params]
trusted_ip_ranges = ["203.0.113.0/24"]
allowed_countries = ["AU"]
break_glass_upns = [{bg1}, {bg2}]
sharing_allowed_domains = [{domain}]
guest_invitation_domains = [{domain}]
terms_of_use_expiry_start = "2027-07-01"
terms_of_use_pdf = "aup.pdf"
wdac_base_policy_file = "wdac/base-policy.cip"
wdac_base_policy_id = "{{A244370E-44C9-4C06-B551-F6016E563076}}"
applocker_admins_policy_file = "applocker/block-apps-local-admins.xml"
applocker_users_policy_file = "applocker/block-users-powershell.xml"
start_menu_layout_file = "windows/start-menu-layout.xml"
lock_screen_image_url = "https://intranet.example.gov.au/lock-screen.jpg"
desktop_image_url = "https://intranet.example.gov.au/desktop.jpg"

[params.contacts]
group_expiration = "ict@example.gov.au"
technical = "ict@example.gov.au"

[[params.protective_markings]]
label = "OFFICIAL"
label_id = "8260affa-0595-45d6-a83e-a3b79a9c02c4"
marking = "VER=2018.4, NS=gov.au, SEC=OFFICIAL"

[[params.protective_markings]]
label = "OFFICIAL Sensitive"
label_id = "42227f60-6734-42bf-b4e6-da15ab730981"
marking = "VER=2018.4, NS=gov.au, SEC=OFFICIAL:Sensitive"

"#,
        domain = q(domain),
        bg1 = q(break_glass_1),
        bg2 = q(break_glass_2),
    )
}
