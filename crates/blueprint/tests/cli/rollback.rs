//! `blueprint rollback --sprint N` as a person runs it, on the workspace's SQLite file and on
//! a PostgreSQL database (`--database` / `BLUEPRINT_DATABASE_URL`): a sprint deployed to the
//! legacy tenant and rolled back leaves the agency's own objects as they were, and an object
//! the agency changed since the sprint is left alone unless forced.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::*;

const GROUP: &str = "identity-ca-exclusion-group";
const BREAK_GLASS: &str = "identity-break-glass-accounts";
const LOCATION: &str = "ca-named-location-allowed-countries";

/// `blueprint ARGS -C WS`, with the state where `database` says (the workspace's file when
/// None).
fn bp(ws: &Path, database: Option<&str>, args: &[&str]) -> Output {
    let mut command = blueprint();
    command
        .args(args)
        .arg("-C")
        .arg(ws)
        .env("BLUEPRINT_ACTOR", "partner@example.com.au")
        .env("BLUEPRINT_ROLE", "partner");
    if let Some(url) = database {
        command.env("BLUEPRINT_DATABASE_URL", url);
    }
    command.output().unwrap()
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// The named location "Allowed Countries" in the emulator's state dump.
fn allowed_countries(state: &Value) -> Value {
    state["tenants"][0]["collections"]["namedLocation"]
        .as_object()
        .unwrap()
        .values()
        .find(|l| l["displayName"] == "Allowed Countries")
        .map(|l| l["countriesAndRegions"].clone())
        .unwrap_or(Value::Null)
}

fn groups(state: &Value) -> Vec<String> {
    let mut names: Vec<String> = state["tenants"][0]["collections"]["group"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|g| g["displayName"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

fn deploy_and_roll_back(database: Option<&str>) {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "legacy-agency", &[]);
    let ws = init(dir.path(), &emulator, dir.path());
    set_plan(
        &ws,
        &format!("features = [\"{GROUP}\", \"{BREAK_GLASS}\", \"{LOCATION}\"]"),
    );
    let seeded = emulator.state();
    assert_eq!(allowed_countries(&seeded), serde_json::json!(["AU", "NZ"]));

    let out = bp(&ws, database, &["rollback", "--sprint", "1", "--yes"]);
    assert_eq!(
        code(&out),
        Some(2),
        "nothing deployed yet: {}",
        stderr(&out)
    );

    let out = bp(&ws, database, &["sprints", "plan"]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    let out = bp(&ws, database, &["deploy", "--sprint", "1", "--yes"]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    let deployed = emulator.state();
    assert_eq!(allowed_countries(&deployed), serde_json::json!(["AU"]));

    // A script that forgets --yes changes nothing.
    let out = bp(&ws, database, &["rollback", "--sprint", "1"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(says(&stderr(&out), "--yes"), "{}", stderr(&out));
    assert_eq!(
        allowed_countries(&emulator.state()),
        serde_json::json!(["AU"])
    );

    let out = bp(
        &ws,
        database,
        &["rollback", "--sprint", "1", "--yes", "--format", "json"],
    );
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["sprint"], 1);
    assert!(
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["error"].is_null()),
        "{report}"
    );

    let after = emulator.state();
    assert_eq!(
        allowed_countries(&after),
        serde_json::json!(["AU", "NZ"]),
        "the agency's location is restored"
    );
    assert_eq!(
        groups(&after),
        groups(&seeded),
        "no group left behind or lost"
    );

    let out = bp(&ws, database, &["log", "--format", "json"]);
    let rolled_back: Vec<String> = json_of(&out)
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "rolled_back")
        .map(|e| {
            assert_eq!(e["sprint"], 1);
            assert_eq!(e["role"], "partner");
            e["feature"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(
        rolled_back.contains(&LOCATION.to_string()),
        "{rolled_back:?}"
    );
    let out = bp(&ws, database, &["log", "verify"]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));

    assert_eq!(
        ws.join(".blueprint/state.db").exists(),
        database.is_none(),
        "the state is where --database says"
    );

    let out = bp(&ws, database, &["rollback", "--sprint", "1", "--yes"]);
    assert_eq!(code(&out), Some(2), "twice: {}", stderr(&out));
    assert!(
        says(&stderr(&out), "rolled back already"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_sprint_rolled_back_restores_the_legacy_tenant() {
    deploy_and_roll_back(None);
}

#[test]
fn the_whole_flow_runs_on_postgresql_too() {
    let schema = format!("cli_rollback_{}", std::process::id());
    let base = std::env::var("BLUEPRINT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sql = |statement: String| {
        rt.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&base)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL at {base} is not reachable ({e}): start it (.ci/run does)")
                });
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .unwrap();
        })
    };
    sql(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ));
    deploy_and_roll_back(Some(&format!("{base}?options[search_path]={schema}")));
    sql(format!("DROP SCHEMA {schema} CASCADE"));
}

/// Deploy sprint 1 to the empty tenant, then the agency edits the exclusion group's
/// description: the preview names the group as refused; the rollback leaves the group as the agency made it (exit 1, naming the group
/// and `description`) and undoes the rest; `--force` removes it.
#[test]
fn rollback_refuses_a_group_the_agency_changed_since_and_force_removes_it() {
    const NAME: &str = "grp-Conditional_Access_Exclude";
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    set_plan(
        &ws,
        &format!("features = [\"{GROUP}\", \"{BREAK_GLASS}\", \"{LOCATION}\"]"),
    );
    ok(&bp(&ws, None, &["sprints", "plan"]));
    ok(&bp(&ws, None, &["deploy", "--sprint", "1", "--yes"]));
    let deployed = emulator.state();
    let id = object_named(&deployed, "group", NAME).expect("the sprint created the group")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let edit =
        serde_json::json!({"description": "Accounts the agency keeps out of conditional access"});
    agency_edit(&ws, &format!("/groups/{id}"), &edit);

    // Without --yes (and no terminal to answer) it shows the preview, then stops unchanged:
    // the preview already names the object that will be refused, and why.
    let out = bp(&ws, None, &["rollback", "--sprint", "1"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    let preview = stdout(&out);
    assert!(
        says(
            &preview,
            &format!(
                "REFUSED   remove group:{NAME}  ({GROUP}): changed since the sprint deployed it (description)"
            )
        ),
        "{preview}"
    );
    assert_eq!(
        preview.matches("REFUSED").count(),
        2,
        "only the group, and the note: {preview}"
    );
    assert!(
        object_named(&emulator.state(), "namedLocation", "Allowed Countries").is_some(),
        "the preview changes nothing"
    );

    let out = bp(&ws, None, &["rollback", "--sprint", "1", "--yes"]);
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(code(&out), Some(1), "{printed}");
    assert!(says(&printed, &format!("group:{NAME}")), "{printed}");
    assert!(
        says(
            &printed,
            "changed since the sprint deployed it (description)"
        ),
        "{printed}"
    );
    assert!(says(&printed, "--force"), "{printed}");
    let refused = emulator.state();
    let group = object_named(&refused, "group", NAME).expect("the agency's group is kept");
    assert_eq!(group["description"], edit["description"]);
    assert!(
        object_named(&refused, "namedLocation", "Allowed Countries").is_none(),
        "the rest is undone: the location the sprint created is gone"
    );

    let out = bp(
        &ws,
        None,
        &["rollback", "--sprint", "1", "--yes", "--force"],
    );
    ok(&out);
    assert!(object_named(&emulator.state(), "group", NAME).is_none());
    ok(&bp(&ws, None, &["log", "verify"]));
}
