//! `blueprint serve`: the demo server as a user starts it, signed in through the emulator's
//! form; a bad configuration refused with where it is wrong.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{blueprint, stderr, temp_dir};

/// An HTTP/1.1 exchange on loopback: status, headers (lower-case names), body.
fn http(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let rest = url.strip_prefix("http://").expect("a loopback http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Signs in through the emulator's form as `user`; returns the session cookie.
fn sign_in(url: &str, user: &Value) -> String {
    let (status, headers, _) = http(&format!("{url}/signin"), "GET", &[], "");
    assert_eq!(status, 303);
    let authorize = header(&headers, "location")[0].to_string();
    let signin_cookie = header(&headers, "set-cookie")[0]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (endpoint, query) = authorize.split_once('?').unwrap();
    let form = format!(
        "{query}&username={}&password={}",
        urlencode(user["username"].as_str().unwrap()),
        urlencode(user["password"].as_str().unwrap())
    );
    let (status, headers, body) = http(
        endpoint,
        "POST",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 302, "{user}: {body}");
    let back = header(&headers, "location")[0].to_string();
    let (status, headers, body) = http(&back, "GET", &[("Cookie", &signin_cookie)], "");
    assert_eq!(status, 303, "{body}");
    header(&headers, "set-cookie")
        .into_iter()
        .find(|c| c.starts_with("bp_session=") && !c.starts_with("bp_session=;"))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_demo_server_signs_each_role_in_and_shows_three_agencies_at_different_phases() {
    let dir = temp_dir();
    let ready_path = dir.path().join("web.json");
    let mut server = Server(
        blueprint()
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--ready-file"])
            .arg(&ready_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let ready: Value = loop {
        if let Ok(text) = std::fs::read_to_string(&ready_path)
            && let Ok(v) = serde_json::from_str(&text)
        {
            break v;
        }
        assert!(Instant::now() < deadline, "the demo server's ready file");
        std::thread::sleep(Duration::from_millis(100));
    };
    let url = ready["url"].as_str().unwrap();
    let users = ready["users"].as_array().unwrap();
    let roles: Vec<&str> = users.iter().map(|u| u["role"].as_str().unwrap()).collect();
    for role in ["program", "agency", "partner"] {
        assert!(roles.contains(&role), "{roles:?}");
    }

    let (status, _, _) = http(&format!("{url}/api/engagements"), "GET", &[], "");
    assert_eq!(status, 401);

    let program = users.iter().find(|u| u["role"] == "program").unwrap();
    let cookie = sign_in(url, program);
    let (status, headers, body) = http(
        &format!("{url}/api/engagements"),
        "GET",
        &[("Cookie", &cookie)],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(header(&headers, "content-security-policy")[0].contains("default-src 'none'"));
    let list: Value = serde_json::from_str(&body).unwrap();
    let engagements = list["engagements"].as_array().unwrap();
    assert_eq!(engagements.len(), 3);
    let phase = |e: &Value| {
        (
            e["phase"].as_str().unwrap().to_string(),
            e["drifted"].as_u64().unwrap(),
        )
    };
    let phases: Vec<(String, u64)> = engagements.iter().map(phase).collect();
    assert!(phases.contains(&("transition".into(), 0)), "{phases:?}");
    assert!(
        phases.iter().any(|(p, d)| p == "deploy" && *d > 0),
        "one agency has drifted: {phases:?}"
    );
    let mid = engagements
        .iter()
        .find(|e| e["phase"] == "deploy" && e["drifted"] == 0)
        .expect("one agency mid-sprint");
    assert!(mid["current_sprint"].as_i64().unwrap() > 1, "{mid}");

    // An agency's user sees its own engagement only.
    let agency = users.iter().find(|u| u["role"] == "agency").unwrap();
    let cookie = sign_in(url, agency);
    let (_, _, body) = http(
        &format!("{url}/api/engagements"),
        "GET",
        &[("Cookie", &cookie)],
        "",
    );
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["engagements"].as_array().unwrap().len(), 1);
    assert_eq!(list["engagements"][0]["id"], agency["agency"]);

    // Interrupted, the demo stops cleanly and removes what it made.
    let pid = server.0.id();
    let scratch = std::env::temp_dir().join(format!("blueprint-serve-demo-{pid}"));
    assert!(scratch.join("server.db").exists());
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the demo server stops on an interrupt"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    assert!(!scratch.exists(), "{} is left behind", scratch.display());
}

#[test]
fn a_bad_configuration_is_refused_with_where_it_is_wrong() {
    let dir = temp_dir();
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        "[sign_in]\nauthority = \"https://login.microsoftonline.com\"\ntenant = \"t\"\nclient_id = \"c\"\nredirect_uri = \"http://127.0.0.1:8080/auth/callback\"\n\n[[rule]]\nclaim = \"roles\"\nvalue = \"X\"\nrole = \"admin\"\n",
    )
    .unwrap();
    let out = blueprint()
        .args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg(dir.path().join("server.db"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:10:8", config.display())), "{err}");
    let out = blueprint()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--config is required");
}
