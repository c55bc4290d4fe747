//! Starting emulators (and a scripted stand-in) for the client's tests, and configuring the
//! client for them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use blueprint_emulator::{EmulatorConfig, Fixture, ReadyApp, RunningEmulator, ThrottleMode};
use blueprint_graph::{
    Credential, GraphClient, GraphConfig, GraphEvent, RetryPolicy, SecretString,
};

pub struct Emu {
    pub running: RunningEmulator,
    /// Holds the emulator's generated certificates and CA.
    pub _dir: tempfile::TempDir,
}

pub fn emulator_config() -> EmulatorConfig {
    EmulatorConfig {
        seeds: vec![Fixture::load("empty-agency").expect("fixture")],
        throttle: ThrottleMode::Off,
        rng_seed: Some(7),
        ..EmulatorConfig::default()
    }
}

pub async fn start(mut config: EmulatorConfig) -> Emu {
    let dir = tempfile::tempdir().expect("temp dir");
    if config.out_dir.is_none() {
        config.out_dir = Some(dir.path().to_path_buf());
    }
    let running = blueprint_emulator::serve(config)
        .await
        .expect("emulator starts");
    Emu { running, _dir: dir }
}

/// The events a client reported, for assertions.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<GraphEvent>>>);

impl Events {
    pub fn observer(&self) -> blueprint_graph::Observer {
        let events = self.0.clone();
        Arc::new(move |e| events.lock().unwrap().push(e))
    }

    pub fn all(&self) -> Vec<GraphEvent> {
        self.0.lock().unwrap().clone()
    }

    pub fn throttled(&self) -> usize {
        self.all()
            .iter()
            .filter(|e| matches!(e, GraphEvent::Throttled { .. }))
            .count()
    }
}

/// Quick retries, so fault tests do not sit in multi-second backoffs.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        max_wait_total: Duration::from_secs(60),
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(400),
        replication_window: Duration::from_secs(3),
        provisioning_window: Duration::from_secs(3),
    }
}

#[derive(Clone, Copy, PartialEq)]
pub enum Transport {
    PlainHttp,
    /// HTTPS, trusting the emulator's CA through `extra_ca_pem`.
    Https,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Auth {
    Secret,
    Certificate,
}

impl Emu {
    pub fn app(&self, name: &str) -> &ReadyApp {
        self.running.info().tenants[0]
            .apps
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no app {name}"))
    }

    pub fn tenant_id(&self) -> &str {
        &self.running.info().tenants[0].id
    }

    pub fn graph_config(&self, app: &str, transport: Transport, auth: Auth) -> GraphConfig {
        let info = self.running.info();
        let a = self.app(app);
        let credential = match auth {
            Auth::Secret => {
                Credential::Secret(SecretString::new(a.client_secret.clone().expect("secret")))
            }
            Auth::Certificate => {
                let cert =
                    std::fs::read_to_string(a.certificate_path.as_ref().expect("certificate"))
                        .unwrap();
                let key =
                    std::fs::read_to_string(a.private_key_path.as_ref().expect("key")).unwrap();
                Credential::Certificate {
                    pem: SecretString::new(format!("{cert}\n{key}")),
                }
            }
        };
        let (authority, graph, extra_ca_pem) = match transport {
            Transport::PlainHttp => (info.plain_http.clone(), info.plain_http.clone(), None),
            Transport::Https => (
                info.authority.clone(),
                info.graph.clone(),
                Some(std::fs::read(info.ca_file.as_ref().expect("ca file")).unwrap()),
            ),
        };
        GraphConfig {
            authority,
            graph,
            tenant_id: self.tenant_id().to_string(),
            client_id: a.client_id.clone(),
            credential,
            extra_ca_pem,
            timeout: Duration::from_secs(10),
            ..GraphConfig::default()
        }
    }

    pub fn client(&self, events: &Events) -> GraphClient {
        GraphClient::new(
            self.graph_config("blueprint-deploy", Transport::PlainHttp, Auth::Secret),
            events.observer(),
        )
        .expect("client")
    }
}

pub fn security_group(name: &str, nick: &str) -> serde_json::Value {
    serde_json::json!({
        "displayName": name,
        "mailEnabled": false,
        "mailNickname": nick,
        "securityEnabled": true
    })
}
