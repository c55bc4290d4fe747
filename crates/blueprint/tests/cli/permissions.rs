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

mod connect {
    //! `blueprint connect` and `blueprint doctor` against the emulator, as an administrator
    //! and an app would use them.

    use std::io::{BufRead, BufReader};
    use std::path::Path;
    use std::process::Stdio;

    use serde_json::{Value, json};

    use crate::support::*;

    /// Runs `connect --yes` in `ws`, approving its device code as the tenant's administrator
    /// the way a person at the verification page would; returns (exit code, stdout, stderr).
    fn connect(ws: &Path, emulator: &Emulator, extra: &[&str]) -> (i32, String, String) {
        let mut child = blueprint()
            .args([
                "connect",
                "--yes",
                "--wait",
                "30",
                "-C",
                ws.to_str().unwrap(),
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let admin = emulator.ready["tenants"][0]["admins"][0]["user_principal_name"]
            .as_str()
            .unwrap()
            .to_string();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap() > 0 {
            seen.push_str(&line);
            if let Some(code) = line.trim().strip_prefix("enter the code ") {
                let status = emulator.post(
                    "/_emulator/devicecode/approve",
                    &json!({"user_code": code.trim(), "user": admin}),
                );
                assert_eq!(status, 204, "approving the device code");
            }
            line.clear();
        }
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap_or(-1), stdout(&out), seen)
    }

    fn app_named<'a>(state: &'a Value, name: &str) -> &'a Value {
        state["tenants"][0]["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["displayName"] == name)
            .unwrap_or_else(|| panic!("no app {name} in the emulator"))
    }

    #[test]
    fn connect_grants_exactly_what_is_needed_then_doctor_plan_and_deploy_work_and_a_rerun_changes_nothing()
     {
        let dir = temp_dir();
        let emulator = Emulator::start(
            dir.path(),
            "empty-agency",
            &["--throttle", "off", "--device-code-interval", "1"],
        );
        let ws = init(dir.path(), &emulator, dir.path());
        let fixture_client = emulator.ready["tenants"][0]["apps"][0]["client_id"]
            .as_str()
            .unwrap()
            .to_string();

        let (code, out, err) = connect(&ws, &emulator, &[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            err.contains("grant Policy.ReadWrite.ConditionalAccess"),
            "{err}"
        );
        assert!(!out.contains("PRIVATE KEY") && !err.contains("PRIVATE KEY"));

        // The app holds exactly the grants `blueprint permissions` lists.
        let wanted = json_of(&bp(&ws, &["permissions", "--format", "json"]));
        let mut wanted: Vec<String> = wanted["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                p["type"] == "graph-application-permission"
                    || p["type"] == "exchange-application-permission"
            })
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        wanted.sort();
        let state = emulator.state();
        let app = app_named(&state, "blueprint");
        let mut held: Vec<String> = app["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        held.sort();
        assert_eq!(held, wanted);
        // Only the public certificate went up; the key stays here, readable by its owner only.
        let key_file = ws.join(".blueprint/credentials/blueprint.pem");
        let pem = std::fs::read_to_string(&key_file).unwrap();
        assert!(pem.contains("PRIVATE KEY"));
        assert_eq!(app["certificates"], 1);
        let ignore = std::fs::read_to_string(key_file.with_file_name(".gitignore")).unwrap();
        assert!(
            ignore.lines().any(|l| l == "*"),
            "git ignores the key: {ignore}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let profile = std::fs::read_to_string(ws.join("blueprint.toml")).unwrap();
        assert!(
            profile.contains(&format!(
                "client_id = \"{}\"",
                app["appId"].as_str().unwrap()
            )),
            "{profile}"
        );
        assert!(!profile.contains(&fixture_client), "{profile}");
        assert!(
            profile.contains("certificate_path = \".blueprint/credentials/blueprint.pem\""),
            "{profile}"
        );
        assert!(!profile.contains("private_key_path"), "{profile}");
        assert!(
            profile.contains("[plan]") && profile.contains("[agency]"),
            "the rest is kept"
        );

        // Address lists need Exchange's Address Lists role, which no role group holds: connect
        // made the app's service principal reference and a role group holding the role, with
        // the app as its member.
        assert!(err.contains("Address Lists"), "{err}");
        let exchange = &state["tenants"][0]["exchange"];
        let reference = exchange["ServicePrincipal"]
            .as_array()
            .unwrap()
            .iter()
            .find(|sp| sp["AppId"] == app["appId"])
            .unwrap_or_else(|| panic!("no service principal reference: {exchange}"));
        let group = exchange["RoleGroup"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["Name"] == "blueprint Address Lists")
            .unwrap_or_else(|| panic!("no role group: {exchange}"));
        assert_eq!(group["Roles"], json!(["Address Lists"]));
        // (The fixture's own apps were members already: connect added this app.)
        assert!(
            group["Members"]
                .as_array()
                .unwrap()
                .contains(&reference["Identity"]),
            "{group}"
        );
        assert!(
            exchange["RoleGroup"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["Name"] != "blueprint Address Lists")
                .all(|g| !g["Roles"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("Address Lists"))),
            "no other role group gains the role"
        );
        let wanted_roles: Vec<String> =
            json_of(&bp(&ws, &["permissions", "--format", "json"]))["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["type"] == "exchange-management-role")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
        assert_eq!(wanted_roles, ["Address Lists"]);
        // Security & Compliance's kinds need the Compliance Administrator role, and connect
        // assigned it to the app's service principal beside Exchange Administrator.
        let directory_roles: Vec<String> = json_of(&bp(&ws, &["permissions", "--format", "json"]))
            ["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["type"] == "directory-role")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert!(
            directory_roles.contains(&"Compliance Administrator".to_string()),
            "{directory_roles:?}"
        );
        let sp = app["servicePrincipalId"].as_str().unwrap().to_string();
        let holds_compliance = state["tenants"][0]["roleAssignments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| {
                r["principalId"] == sp.as_str()
                    && r["roleDefinitionId"] == "17315797-102d-40b4-93e0-432062caca18"
            });
        assert!(
            holds_compliance,
            "connect did not assign Compliance Administrator to {sp}"
        );

        let doctor = bp(&ws, &["doctor"]);
        ok(&doctor);
        assert!(stdout(&doctor).contains("All good."), "{}", stdout(&doctor));
        assert!(
            says(&stdout(&doctor), "certificate valid until"),
            "{}",
            stdout(&doctor)
        );
        // One read per area, Exchange's through its admin API.
        let doctor = json_of(&bp(&ws, &["doctor", "--format", "json"]));
        let reads: Vec<&Value> = doctor["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"].as_str().unwrap().starts_with("read "))
            .collect();
        assert!(reads.iter().all(|c| c["status"] == "ok"), "{doctor}");
        assert!(
            reads
                .iter()
                .any(|c| c["detail"].as_str().unwrap().starts_with("GET /exchange/")),
            "{doctor}"
        );
        // The public DNS: one of the selection's records, asked of the emulator's DNS server
        // (the ready file's `dns`, which init wrote into the profile).
        let dns = reads
            .iter()
            .find(|c| c["name"] == "read dnsRecord")
            .unwrap_or_else(|| panic!("doctor reads the DNS: {doctor}"));
        assert!(
            says(
                dns["detail"].as_str().unwrap(),
                &format!("answered by {}", emulator.ready["dns"].as_str().unwrap())
            ),
            "{dns}"
        );
        ok(&bp(&ws, &["plan"]));
        let deploy = bp(&ws, &["deploy", "--yes"]);
        ok(&deploy);

        // A rerun with nothing new changes nothing: not the tenant, not the files. (Exchange
        // reads are POSTs too: its organisation is compared instead.)
        let apps_before = emulator.state()["tenants"][0]["apps"].clone();
        let exchange_before = emulator.state()["tenants"][0]["exchange"].clone();
        let writes = || -> u64 {
            emulator.get("/_emulator/requests")["requests"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| {
                    let route = r["route"].as_str().unwrap();
                    r["method"] != "GET"
                        && !route.contains("oauth2")
                        && !route.contains("/adminapi/")
                })
                .map(|r| r["count"].as_u64().unwrap())
                .sum()
        };
        let writes_before = writes();
        let (code, out, err) = connect(&ws, &emulator, &[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("Nothing to change"), "{out}{err}");
        assert_eq!(writes(), writes_before, "the rerun wrote to the tenant");
        assert_eq!(emulator.state()["tenants"][0]["apps"], apps_before);
        assert_eq!(
            emulator.state()["tenants"][0]["exchange"],
            exchange_before,
            "the rerun changed Exchange"
        );
        assert_eq!(
            std::fs::read_to_string(ws.join("blueprint.toml")).unwrap(),
            profile
        );
        assert_eq!(std::fs::read_to_string(&key_file).unwrap(), pem);

        // --read-only: a second app with read grants only, beside the first.
        let (code, out, err) = connect(&ws, &emulator, &["--read-only"]);
        assert_eq!(code, 0, "{out}{err}");
        let state = emulator.state();
        let read_only = app_named(&state, "blueprint-read-only");
        let grants: Vec<&str> = read_only["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert!(
            !grants.is_empty() && grants.iter().all(|g| !g.contains("ReadWrite")),
            "{grants:?}"
        );
        assert_eq!(
            app_named(&state, "blueprint")["permissions"],
            app["permissions"]
        );
        let profile = std::fs::read_to_string(ws.join("blueprint.toml")).unwrap();
        assert!(
            profile.contains(&format!(
                "read_only_client_id = \"{}\"",
                read_only["appId"].as_str().unwrap()
            )),
            "{profile}"
        );
        assert!(
            profile.contains(&format!(
                "client_id = \"{}\"",
                app["appId"].as_str().unwrap()
            )),
            "the deploying app stays: {profile}"
        );
        ok(&bp(&ws, &["doctor", "--read-only"]));
    }

    /// One HTTP/1.1 request over a plain TCP connection; returns the raw answer.
    fn http(addr: &str, request: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        raw
    }

    #[test]
    fn connect_signs_in_with_the_browser_flow_where_device_code_is_blocked() {
        let dir = temp_dir();
        let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
        let ws = init(dir.path(), &emulator, dir.path());
        set_plan(&ws, "features = [\"ca-named-location-allowed-countries\"]");
        let mut child = blueprint()
            .args([
                "connect",
                "--browser",
                "--yes",
                "--wait",
                "30",
                "-C",
                ws.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let admin = &emulator.ready["tenants"][0]["admins"][0];
        let plain = emulator.ready["plain_http"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://")
            .to_string();
        let mut prompt = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let url = loop {
            line.clear();
            assert!(
                prompt.read_line(&mut line).unwrap() > 0,
                "no sign-in address"
            );
            if line.trim_start().starts_with("https://") {
                break line.trim().to_string();
            }
        };
        // The person signs in on the emulator's form; the browser follows the redirect to
        // blueprint's loopback port.
        let (path, query) = url
            .split_once("://")
            .unwrap()
            .1
            .split_once('/')
            .unwrap()
            .1
            .split_once('?')
            .unwrap();
        assert!(query.contains("code_challenge_method=S256"), "{query}");
        let body = format!(
            "{query}&username={}&password={}",
            admin["user_principal_name"]
                .as_str()
                .unwrap()
                .replace('@', "%40"),
            urlencode(admin["password"].as_str().unwrap())
        );
        let answer = http(
            &plain,
            &format!(
                "POST /{path} HTTP/1.1\r\nHost: {plain}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        let location = answer
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .unwrap_or_else(|| panic!("no redirect: {answer}"))
            .trim()
            .to_string();
        let rest = location.strip_prefix("http://localhost:").unwrap();
        let (port, target) = rest.split_once('/').unwrap();
        let page = http(
            &format!("127.0.0.1:{port}"),
            &format!("GET /{target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        );
        assert!(page.contains("Signed in"), "{page}");
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains("Connected"), "{}", stdout(&out));
        ok(&bp(&ws, &["doctor"]));
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

    #[test]
    fn doctor_names_what_a_read_only_app_lacks_and_deploy_refuses_early() {
        let dir = temp_dir();
        let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
        let ws = init(dir.path(), &emulator, dir.path());
        let auditor = &emulator.ready["tenants"][0]["apps"][1];
        assert_eq!(auditor["name"], "blueprint-auditor");
        let as_auditor = |args: &[&str]| {
            blueprint()
                .args(args)
                .arg("-C")
                .arg(&ws)
                .env("AZURE_CLIENT_ID", auditor["client_id"].as_str().unwrap())
                .env(
                    "AZURE_CLIENT_SECRET",
                    auditor["client_secret"].as_str().unwrap(),
                )
                .output()
                .unwrap()
        };
        let out = as_auditor(&["doctor", "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        let d = json_of(&out);
        let missing: Vec<&str> = d["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert!(
            missing.contains(&"Policy.ReadWrite.ConditionalAccess"),
            "{d}"
        );
        assert!(
            says(&stderr(&out), "run `blueprint connect`"),
            "{}",
            stderr(&out)
        );
        // What it can read, it reads.
        assert!(
            d["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "read namedLocation" && c["status"] == "ok"),
            "{d}"
        );

        let out = as_auditor(&["deploy", "--yes"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            says(&stderr(&out), "Policy.ReadWrite.ConditionalAccess"),
            "{}",
            stderr(&out)
        );
        assert!(
            emulator.state()["tenants"][0]["collections"]["namedLocation"]
                .as_object()
                .is_none_or(|m| m.is_empty()),
            "nothing was written"
        );
        // Its reads are all plan needs.
        ok(&as_auditor(&["plan"]));
    }

    #[test]
    fn doctor_names_the_exchange_role_an_app_outside_the_role_group_lacks() {
        let dir = temp_dir();
        // The empty agency before connect added its app to a role group holding Address Lists.
        let fixture = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../blueprint-emulator/fixtures/empty-agency.yaml"),
        )
        .unwrap();
        let (before, _) = fixture
            .split_once("    exchange:\n")
            .expect("the fixture's Exchange commands come last");
        let seed = dir.path().join("no-address-lists.yaml");
        std::fs::write(&seed, before).unwrap();
        let emulator = Emulator::start(dir.path(), seed.to_str().unwrap(), &["--throttle", "off"]);
        let ws = init(dir.path(), &emulator, dir.path());
        let out = bp(&ws, &["doctor", "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        let d = json_of(&out);
        let missing: Vec<(&str, &str)> = d["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["type"].as_str().unwrap(), m["name"].as_str().unwrap()))
            .collect();
        assert_eq!(
            missing,
            [("exchange-management-role", "Address Lists")],
            "{d}"
        );
        let check = |name: &str| {
            d["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap_or_else(|| panic!("no check {name}: {d}"))
                .clone()
        };
        assert_eq!(check("read addressList")["status"], "skipped");
        assert_eq!(check("read remoteDomain")["status"], "ok");
        assert!(says(&stderr(&out), "Address Lists"), "{}", stderr(&out));
    }

    #[test]
    fn doctor_names_the_unreachable_authority_and_fails() {
        let dir = temp_dir();
        let ws = offline_workspace(
            dir.path(),
            "features = [\"ca-named-location-allowed-countries\"]",
        );
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let out = blueprint()
            .args(["doctor", "-C", ws.to_str().unwrap()])
            .env("AZURE_TENANT_ID", "11111111-2222-3333-4444-555555555555")
            .env("AZURE_CLIENT_ID", "66666666-7777-8888-9999-000000000000")
            .env("AZURE_CLIENT_SECRET", "not-a-real-secret")
            .env("AZURE_AUTHORITY_HOST", format!("https://127.0.0.1:{port}"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        let text = stdout(&out);
        assert!(
            text.contains(&format!("cannot connect to 127.0.0.1:{port}")),
            "{text}"
        );
        assert!(!text.contains("not-a-real-secret") && !stderr(&out).contains("not-a-real-secret"));

        // No tenant configured: a configuration error.
        let out = bp(&ws, &["doctor"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    }
}
