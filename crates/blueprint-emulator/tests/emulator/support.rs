//! Starting emulators for tests and talking to them over real HTTP, as a client written from
//! Microsoft's documentation would.

use std::time::{SystemTime, UNIX_EPOCH};

use blueprint_emulator::{
    EmulatorConfig, Fixture, ReadyApp, ReadyTenant, RunningEmulator, ThrottleMode,
};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

pub struct Emu {
    pub running: RunningEmulator,
    pub http: reqwest::Client,
    /// Plain HTTP base URL (loopback).
    pub base: String,
    /// Holds generated material (certificates, CA) for the emulator's lifetime.
    pub _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn config(seed: &str) -> EmulatorConfig {
    EmulatorConfig {
        seeds: vec![Fixture::load(seed).expect("fixture")],
        throttle: ThrottleMode::Off,
        rng_seed: Some(42),
        ..EmulatorConfig::default()
    }
}

pub async fn start(seed: &str) -> Emu {
    start_with(config(seed)).await
}

pub async fn start_with(mut config: EmulatorConfig) -> Emu {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().expect("temp dir");
    if config.out_dir.is_none() {
        config.out_dir = Some(dir.path().to_path_buf());
    }
    let running = blueprint_emulator::serve(config)
        .await
        .expect("emulator starts");
    let base = running.info().plain_http.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Emu {
        running,
        http,
        base,
        _dir: dir,
    }
}

impl Emu {
    pub fn tenant(&self) -> &ReadyTenant {
        &self.running.info().tenants[0]
    }

    pub fn app(&self, name: &str) -> &ReadyApp {
        self.tenant()
            .apps
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no app {name}"))
    }

    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base, self.tenant().id)
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> Reply {
        let resp = self
            .http
            .post(self.token_url())
            .form(form)
            .send()
            .await
            .expect("token request");
        reply(resp).await
    }

    /// A Graph access token for the named app, by client secret.
    pub async fn token_for(&self, app: &str) -> String {
        let a = self.app(app);
        let r = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", &a.client_id),
                ("client_secret", a.client_secret.as_deref().expect("secret")),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .await;
        assert_eq!(r.status, 200, "token: {}", r.text);
        r.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub async fn token(&self) -> String {
        self.token_for("blueprint-deploy").await
    }

    pub async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(token, method, path, body, &[]).await
    }

    pub async fn call_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}/v1.0/{}", self.base, path.trim_start_matches('/'))
        };
        let mut req = self.http.request(method, url).bearer_auth(token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        reply(req.send().await.expect("graph request")).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.call(token, Method::GET, path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.call(token, Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Reply {
        self.call(token, Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Reply {
        self.call(token, Method::DELETE, path, None).await
    }

    pub async fn state(&self) -> Value {
        let r = self
            .http
            .get(format!("{}/_emulator/state", self.base))
            .send()
            .await
            .expect("state");
        r.json().await.expect("state json")
    }

    /// Every item of a collection, following `@odata.nextLink` verbatim.
    pub async fn list_all(&self, token: &str, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = Some(path.to_string());
        while let Some(url) = next {
            let r = self.get(token, &url).await;
            assert_eq!(r.status, 200, "{url}: {}", r.text);
            out.extend(r.body["value"].as_array().cloned().unwrap_or_default());
            next = r.body["@odata.nextLink"].as_str().map(str::to_string);
        }
        out
    }
}

pub async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn security_group(name: &str, nick: &str) -> Value {
    serde_json::json!({
        "displayName": name,
        "mailEnabled": false,
        "mailNickname": nick,
        "securityEnabled": true
    })
}

/// An app-only token for Exchange Online's admin API.
pub async fn exchange_token(emu: &Emu) -> String {
    let a = emu.app("blueprint-deploy");
    let r = emu
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &a.client_id),
            ("client_secret", a.client_secret.as_deref().expect("secret")),
            ("scope", "https://outlook.office365.com/.default"),
        ])
        .await;
    assert_eq!(r.status, 200, "token: {}", r.text);
    r.body["access_token"].as_str().unwrap().to_string()
}

/// One cmdlet through InvokeCommand.
pub async fn invoke(emu: &Emu, token: &str, cmdlet: &str, parameters: Value) -> Reply {
    let tenant = &emu.tenant().id;
    let url = format!("{}/adminapi/beta/{tenant}/InvokeCommand", emu.base);
    let anchor = format!("APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{tenant}");
    emu.call_with(
        token,
        reqwest::Method::POST,
        &url,
        Some(json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}})),
        &[("X-AnchorMailbox", &anchor), ("X-ResponseFormat", "json")],
    )
    .await
}
