//! The Exchange admin client against the emulator's admin API: cmdlets, paging-free reads in
//! `$batch`, Exchange's errors kept, the permission model, faults survived.

use std::sync::Arc;
use std::time::Duration;

use blueprint_emulator::{EmulatorConfig, FaultConfig, Fixture, RunningEmulator, ThrottleMode};
use blueprint_exchange::{AdminEndpoint, Command, ExchangeClient};
use blueprint_graph::{Credential, GraphConfig, GraphError, RetryPolicy, SecretString};
use serde_json::json;

struct Emu {
    running: RunningEmulator,
    _dir: tempfile::TempDir,
}

async fn start(fixture: &str, faults: FaultConfig, lose_create_answers: u32) -> Emu {
    let dir = tempfile::tempdir().unwrap();
    let running = blueprint_emulator::serve(EmulatorConfig {
        seeds: vec![Fixture::load(fixture).unwrap()],
        throttle: ThrottleMode::Off,
        rng_seed: Some(11),
        faults,
        lose_create_answers,
        out_dir: Some(dir.path().to_path_buf()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    Emu { running, _dir: dir }
}

impl Emu {
    fn client(&self, app: &str) -> ExchangeClient {
        let info = self.running.info();
        assert_eq!(info.exchange, info.graph, "one listener serves both");
        ExchangeClient::new(self.config(app), &info.plain_http, Arc::new(|_| {})).unwrap()
    }

    /// The same app at Security & Compliance, discovered from the ready file's `compliance`.
    fn compliance(&self, app: &str) -> ExchangeClient {
        let info = self.running.info();
        let url = info.compliance.replacen(&info.graph, &info.plain_http, 1);
        assert_eq!(url, format!("{}/compliance", info.plain_http));
        ExchangeClient::for_endpoint(
            AdminEndpoint::Compliance,
            self.config(app),
            &url,
            Arc::new(|_| {}),
        )
        .unwrap()
    }

    fn config(&self, app: &str) -> GraphConfig {
        let info = self.running.info();
        let tenant = &info.tenants[0];
        let a = tenant.apps.iter().find(|a| a.name == app).unwrap();
        GraphConfig {
            authority: info.plain_http.clone(),
            graph: info.plain_http.clone(),
            tenant_id: tenant.id.clone(),
            client_id: a.client_id.clone(),
            credential: Credential::Secret(SecretString::new(a.client_secret.clone().unwrap())),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                max_attempts: 12,
                max_wait_total: Duration::from_secs(60),
                base_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(200),
                replication_window: Duration::from_secs(2),
                provisioning_window: Duration::from_secs(2),
            },
            ..GraphConfig::default()
        }
    }
}

#[tokio::test]
async fn set_and_read_back_a_default_policy() {
    let emu = start("empty-agency", FaultConfig::default(), 0).await;
    let exo = emu.client("blueprint-deploy");
    let before = exo
        .get("HostedOutboundSpamFilterPolicy", Some("Default"))
        .await
        .unwrap();
    assert_eq!(before["AutoForwardingMode"], "Automatic");
    assert_eq!(before["id"], "Default");
    exo.update(
        "HostedOutboundSpamFilterPolicy",
        Some("Default"),
        &json!({"AutoForwardingMode": "Off", "RecipientLimitPerDay": 500}),
    )
    .await
    .unwrap();
    let after = exo
        .get("HostedOutboundSpamFilterPolicy", Some("Default"))
        .await
        .unwrap();
    assert_eq!(after["AutoForwardingMode"], "Off");
    assert_eq!(after["RecipientLimitPerDay"], 500);
    // A singleton's Set- takes no identity.
    exo.update("OrganizationConfig", None, &json!({"AuditDisabled": false}))
        .await
        .unwrap();
    let missing = exo.get("SafeLinksPolicy", Some("Nope")).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

#[tokio::test]
async fn exchange_errors_keep_the_cmdlets_message() {
    let emu = start("empty-agency", FaultConfig::default(), 0).await;
    let exo = emu.client("blueprint-deploy");
    let err = exo
        .invoke(&Command::new(
            "Set-RemoteDomain",
            json!({"Identity": "Default", "AutoForwardEnabld": false}),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    let text = err.to_string();
    assert!(text.starts_with("Exchange Online refused"), "{text}");
    assert!(text.contains("Set-RemoteDomain"), "{text}");
    assert!(
        text.contains(
            "A parameter cannot be found that matches parameter name 'AutoForwardEnabld'"
        ),
        "{text}"
    );
    assert!(!text.contains("Invalid Operation"), "{text}");
    let err = exo
        .invoke(&Command::new(
            "Set-HostedOutboundSpamFilterPolicy",
            json!({"Identity": "Default", "AutoForwardingMode": "Sometimes"}),
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Automatic, Off, On"), "{err}");
}

#[tokio::test]
async fn a_reader_reads_but_cannot_change() {
    let emu = start("empty-agency", FaultConfig::default(), 0).await;
    let reader = emu.client("blueprint-auditor");
    let rows = reader
        .invoke(&Command::new("Get-MalwareFilterPolicy", json!({})))
        .await
        .unwrap();
    assert_eq!(rows[0]["Identity"], "Default");
    let refused = reader
        .update(
            "MalwareFilterPolicy",
            Some("Default"),
            &json!({"ZapEnabled": false}),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403), "{refused}");
    let claims = reader.token_claims().await.unwrap();
    assert_eq!(claims["aud"], "https://outlook.office365.com");
    assert!(
        claims["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("Exchange.ManageAsApp"))
    );
}

#[tokio::test]
async fn without_the_exchange_permission_the_api_answers_401() {
    // legacy-sync-tool holds Directory.ReadWrite.All only (and an expired secret): use the
    // deploy app of a fixture whose app lacks Exchange.ManageAsApp instead.
    let text = include_str!("../../blueprint-emulator/fixtures/empty-agency.yaml")
        .replace("          - Exchange.ManageAsApp\n", "");
    let dir = tempfile::tempdir().unwrap();
    let running = blueprint_emulator::serve(EmulatorConfig {
        seeds: vec![Fixture::parse(&text, "no-exchange").unwrap()],
        throttle: ThrottleMode::Off,
        rng_seed: Some(3),
        out_dir: Some(dir.path().to_path_buf()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let emu = Emu { running, _dir: dir };
    let err = emu
        .client("blueprint-deploy")
        .list("RemoteDomain")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert!(err.to_string().contains("Exchange.ManageAsApp"), "{err}");
}

#[tokio::test]
async fn many_families_are_read_in_a_few_round_trips() {
    let emu = start("empty-agency", FaultConfig::default(), 0).await;
    let exo = emu.client("blueprint-deploy");
    let nouns = [
        "RemoteDomain",
        "AcceptedDomain",
        "HostedConnectionFilterPolicy",
        "HostedContentFilterPolicy",
        "HostedOutboundSpamFilterPolicy",
        "MalwareFilterPolicy",
        "AtpPolicyForO365",
        "SafeLinksPolicy",
        "SafeLinksRule",
        "SafeAttachmentPolicy",
        "SafeAttachmentRule",
        "AntiPhishPolicy",
        "OwaMailboxPolicy",
        "OrganizationConfig",
        "TransportConfig",
        "AuthenticationPolicy",
        "CASMailboxPlan",
        "TransportRule",
    ];
    let before = exo.stats().round_trips;
    let lists = exo.list_many(&nouns).await;
    let trips = exo.stats().round_trips - before;
    assert_eq!(trips, 2, "18 reads are two $batch requests of at most 10");
    for (noun, list) in nouns.iter().zip(&lists) {
        let list = list.as_ref().unwrap_or_else(|e| panic!("{noun}: {e}"));
        if *noun == "CASMailboxPlan" {
            assert_eq!(list.len(), 4);
        }
    }
    assert_eq!(lists[3].as_ref().unwrap()[0]["id"], "Default");
}

#[tokio::test]
async fn creates_set_what_new_does_not_take_and_a_lost_answer_is_not_resent() {
    let emu = start("empty-agency", FaultConfig::default(), 1).await;
    let exo = emu.client("blueprint-deploy");
    let body = json!({"Name": "Agency Safe Links", "TrackClicks": true, "AdminDisplayName": "x"});
    // The first New- commits but its answer is lost: never re-sent blindly.
    let lost = exo
        .create("SafeLinksPolicy", "Name", &["Name", "TrackClicks"], &body)
        .await
        .unwrap_err();
    assert!(matches!(lost, GraphError::OutcomeUnknown { .. }), "{lost}");
    let found = exo
        .get("SafeLinksPolicy", Some("Agency Safe Links"))
        .await
        .unwrap();
    assert_eq!(found["TrackClicks"], true);
    exo.remove("SafeLinksPolicy", "Agency Safe Links")
        .await
        .unwrap();
    // Only TrackClicks goes to New-; AdminDisplayName follows by Set-.
    let created = exo
        .create("SafeLinksPolicy", "Name", &["Name", "TrackClicks"], &body)
        .await
        .unwrap();
    assert_eq!(created["id"], "Agency Safe Links");
    assert_eq!(created["AdminDisplayName"], "x");
}

#[tokio::test]
async fn throttling_and_server_faults_are_survived() {
    let emu = start(
        "empty-agency",
        FaultConfig {
            fault_rate: 0.3,
            latency_ms: None,
        },
        0,
    )
    .await;
    let exo = emu.client("blueprint-deploy");
    for threshold in 3..9 {
        exo.update(
            "HostedContentFilterPolicy",
            Some("Default"),
            &json!({"BulkThreshold": threshold}),
        )
        .await
        .unwrap();
        let lists = exo
            .list_many(&[
                "HostedContentFilterPolicy",
                "RemoteDomain",
                "MalwareFilterPolicy",
            ])
            .await;
        assert_eq!(lists[0].as_ref().unwrap()[0]["BulkThreshold"], threshold);
    }
    assert!(exo.stats().retries > 0, "a 30% fault rate forces retries");
}

/// The audit log retention policy the blueprint wants (office-365.md "Audit logging").
fn ten_year_policy() -> serde_json::Value {
    json!({
        "Name": "10 year audit log",
        "Description": "Retains all audit log records for 10 years",
        "RetentionDuration": "TenYears",
        "Priority": 1,
    })
}

const AUDIT_NEW: &[&str] = &["Name", "Priority", "RetentionDuration", "Description"];

#[tokio::test]
async fn compliance_cmdlets_go_to_the_regional_endpoint_discovery_names() {
    let emu = start("empty-agency", FaultConfig::default(), 0).await;
    let info = emu.running.info();
    let tenant = info.tenants[0].id.clone();
    let scc = emu.compliance("blueprint-deploy");
    assert_eq!(scc.endpoint(), AdminEndpoint::Compliance);
    assert!(
        scc.invoke_url().is_none(),
        "discovery waits for the first call"
    );
    let created = scc
        .create(
            "UnifiedAuditLogRetentionPolicy",
            "Name",
            AUDIT_NEW,
            &ten_year_policy(),
        )
        .await
        .unwrap();
    assert_eq!(created["id"], "10 year audit log");
    assert_eq!(created["RetentionDuration"], "TenYears");
    assert_eq!(
        scc.invoke_url().unwrap(),
        format!(
            "{}/compliance/emu01b/adminapi/beta/{tenant}/InvokeCommand",
            info.plain_http
        )
    );
    // Read back through $batch at the same endpoint.
    let lists = scc
        .list_many(&[
            "UnifiedAuditLogRetentionPolicy",
            "RetentionCompliancePolicy",
        ])
        .await;
    let policies = lists[0].as_ref().unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0]["Priority"], 1);
    assert!(lists[1].as_ref().unwrap().is_empty());
    // Set- requires the priority and the duration every time.
    let err = scc
        .update(
            "UnifiedAuditLogRetentionPolicy",
            Some("10 year audit log"),
            &json!({"Description": "changed"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(
        err.to_string().contains("RetentionDuration") || err.to_string().contains("Priority"),
        "{err}"
    );
    // No two policies share a priority.
    let mut second = ten_year_policy();
    second["Name"] = json!("another");
    let err = scc
        .create("UnifiedAuditLogRetentionPolicy", "Name", AUDIT_NEW, &second)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("priority 1"), "{err}");
    // Each endpoint has its own cmdlets.
    let err = scc
        .invoke(&Command::new("Get-RemoteDomain", json!({})))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    let err = emu
        .client("blueprint-deploy")
        .invoke(&Command::new(
            "Get-UnifiedAuditLogRetentionPolicy",
            json!({}),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    // The token is the compliance audience's, with Exchange's permission.
    let claims = scc.token_claims().await.unwrap();
    assert_eq!(
        claims["aud"],
        "https://ps.compliance.protection.outlook.com"
    );
}

#[tokio::test]
async fn discovery_redirects_only_a_compliance_token_and_is_not_followed() {
    let emu = start("empty-agency", FaultConfig::default(), 0).await;
    let info = emu.running.info();
    let tenant = info.tenants[0].id.clone();
    let banner = format!(
        "{}/compliance/adminapi/beta/{tenant}/EXOBanner('AutogenSession')?Version=3.7.1",
        info.plain_http
    );
    let with_scope = |scope: &str| {
        let mut config = emu.config("blueprint-deploy");
        config.graph = info.plain_http.clone();
        config.scope = Some(scope.to_string());
        blueprint_graph::GraphClient::without_observer(config).unwrap()
    };
    let location = with_scope("https://ps.compliance.protection.outlook.com/.default")
        .redirect_location(&banner, &[])
        .await
        .unwrap()
        .expect("a redirect");
    assert!(
        location.starts_with(&format!(
            "{}/compliance/emu01b/adminapi/beta/{tenant}/",
            info.plain_http
        )),
        "{location}"
    );
    let err = with_scope("https://outlook.office365.com/.default")
        .redirect_location(&banner, &[])
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "an Exchange token: {err}");
    // And a compliance token is no good at Exchange.
    let err = with_scope("https://ps.compliance.protection.outlook.com/.default")
        .post_with_headers(
            &format!("{}/adminapi/beta/{tenant}/InvokeCommand", info.plain_http),
            &[(
                "X-AnchorMailbox",
                format!("APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{tenant}"),
            )],
            &json!({"CmdletInput": {"CmdletName": "Get-RemoteDomain", "Parameters": {}}}),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
}

#[tokio::test]
async fn compliance_reads_with_global_reader_and_writes_with_compliance_administrator() {
    let emu = start("empty-agency", FaultConfig::default(), 0).await;
    let deploy = emu.compliance("blueprint-deploy");
    deploy
        .create(
            "UnifiedAuditLogRetentionPolicy",
            "Name",
            AUDIT_NEW,
            &ten_year_policy(),
        )
        .await
        .unwrap();
    let reader = emu.compliance("blueprint-auditor");
    let rows = reader.list("UnifiedAuditLogRetentionPolicy").await.unwrap();
    assert_eq!(rows[0]["Name"], "10 year audit log");
    let refused = reader
        .update(
            "UnifiedAuditLogRetentionPolicy",
            Some("10 year audit log"),
            &json!({"Priority": 1, "RetentionDuration": "TwelveMonths"}),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403), "{refused}");
    // Exchange Administrator alone runs none of Security & Compliance's cmdlets.
    let text = include_str!("../../blueprint-emulator/fixtures/empty-agency.yaml").replace(
        "      - {principal: blueprint-deploy, role: Compliance Administrator}\n",
        "",
    );
    let dir = tempfile::tempdir().unwrap();
    let running = blueprint_emulator::serve(EmulatorConfig {
        seeds: vec![Fixture::parse(&text, "no-compliance-role").unwrap()],
        throttle: ThrottleMode::Off,
        rng_seed: Some(5),
        out_dir: Some(dir.path().to_path_buf()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let emu = Emu { running, _dir: dir };
    let err = emu
        .compliance("blueprint-deploy")
        .create(
            "UnifiedAuditLogRetentionPolicy",
            "Name",
            AUDIT_NEW,
            &ten_year_policy(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    // Exchange itself still works for it.
    emu.client("blueprint-deploy")
        .list("RemoteDomain")
        .await
        .unwrap();
}
