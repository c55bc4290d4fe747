//! `blueprint plan`: what deploying would change, read from the live tenant.

use std::path::PathBuf;

use blueprint_catalogue::permissions::Access;
use blueprint_engine::engagement::SprintScope;
use blueprint_engine::plan::{Action, Op, Plan};
use clap::Args;
use serde_json::Value;

use super::common::{Format, WorkspaceArgs, engine_error, print_json, with_session};
use crate::{CommandError, Outcome};

/// Show what a deploy would change in the tenant (reads only).
///
/// Lists objects to create, fields to update (before → after), and
/// a count of those already as the blueprint wants. Reads the tenant; changes nothing.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Also plan switching conditional access policies from report-only to enforced.
    #[arg(long)]
    pub enforce: bool,
    /// Also plan deleting objects blueprint created for features the agency has since
    /// deselected (never objects it adopted or did not create).
    #[arg(long)]
    pub allow_delete: bool,
    /// Plan only sprint N of the sprint plan (`blueprint sprints plan` records it in the
    /// feature log). Refused, naming each one, while a feature of the sprint needs a feature
    /// of another sprint that is not verified yet (or, if manual, not attested).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sprint: Option<u32>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Also write the plan to FILE for approval: the exact changes and a fingerprint of what
    /// produced them (the tenant as read, the selection, the catalogue and the profile).
    /// `blueprint deploy --plan FILE` applies exactly that, and refuses if anything changed.
    /// Written readable by its owner only (0600): it holds the tenant's configuration.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: PlanArgs) -> Result<Outcome, CommandError> {
    with_session(
        &args.workspace,
        args.format == Format::Json,
        |session, rt| {
            // Reads only: what a read-only app needs, checked before the tenant is read.
            rt.block_on(session.check_permissions(Access::ReadOnly))
                .map_err(engine_error)?;
            let sprint = args.sprint.map(i64::from);
            let (scope, planned) = rt
                .block_on(session.preview_sprint(sprint, args.enforce, args.allow_delete))
                .map_err(engine_error)?;
            if let Some(out) = &args.out {
                // An approved plan holds the tenant's configuration as observed.
                blueprint_engine::files::write_private(out, &planned.to_file())
                    .map_err(|e| CommandError::Failed(e.to_string()))?;
            }
            let plan = &planned.plan;
            match args.format {
                Format::Json => print_json(&with_scope(
                    serde_json::to_value(plan).unwrap_or_default(),
                    scope.as_ref(),
                )),
                Format::Text => {
                    if let Some(scope) = &scope {
                        print!("{}", render_scope(scope));
                    }
                    print!("{}", render(plan));
                }
            }
            Ok(Outcome::Success)
        },
    )
}

/// A plan or a deploy report as JSON, with the sprint's scope added when there is one.
pub fn with_scope(mut out: Value, scope: Option<&SprintScope>) -> Value {
    if let (Some(scope), Some(map)) = (scope, out.as_object_mut()) {
        map.insert("sprint".into(), scope.sprint.into());
        map.insert("features".into(), serde_json::json!(scope.features));
        map.insert(
            "needs_attestation".into(),
            serde_json::json!(scope.needs_attestation),
        );
    }
    out
}

/// The sprint's features, and the manual ones a person performs and attests.
pub fn render_scope(scope: &SprintScope) -> String {
    let mut out = format!(
        "Sprint {}: {}\n",
        scope.sprint,
        match scope.features.len() {
            1 => "1 feature".to_string(),
            n => format!("{n} features"),
        }
    );
    for id in &scope.needs_attestation {
        out.push_str(&format!(
            "  needs attestation  {id}   (a person performs it; then `blueprint attest {id} --evidence FILE --note \"…\"`)\n"
        ));
    }
    out.push('\n');
    out
}

fn value(v: &Value) -> String {
    let s = match v {
        Value::Null => "(none)".to_string(),
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if s.chars().count() > 100 {
        format!("{}…", s.chars().take(100).collect::<String>())
    } else {
        s
    }
}

fn render_action(a: &Action, out: &mut String) {
    let mark = match (a.op, &a.blocked) {
        (_, Some(_)) => "!",
        (Op::Create, _) => "+",
        (Op::Update, _) => "~",
        (Op::Unchanged, _) => "=",
        (Op::Check, _) => "?",
    };
    let verb = match a.op {
        Op::Create => "create",
        Op::Update => "update",
        Op::Unchanged => "unchanged",
        Op::Check => "check",
    };
    out.push_str(&format!(
        "  {mark} {verb:<7} {}   [{}]\n",
        a.reference, a.feature
    ));
    if let Some(reason) = &a.blocked {
        out.push_str(&format!("      blocked: {reason}\n"));
        return;
    }
    for c in &a.changes {
        match a.op {
            Op::Create => out.push_str(&format!("      {}: {}\n", c.path, value(&c.expected))),
            _ => out.push_str(&format!(
                "      {}: {} → {}\n",
                c.path,
                value(&c.actual),
                value(&c.expected)
            )),
        }
    }
}

/// The human-readable plan: changes first, then a count of what stays as it is.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    for a in plan
        .actions
        .iter()
        .filter(|a| matches!(a.op, Op::Create | Op::Update) || a.blocked.is_some())
    {
        render_action(a, &mut out);
    }
    for o in &plan.orphans {
        if plan.allow_delete {
            out.push_str(&format!("  - delete  {}   [{}]\n      created by blueprint; the feature is no longer selected\n", o.reference, o.feature));
        } else {
            out.push_str(&format!("  . kept    {}   [{}]\n      created by blueprint for a feature no longer selected; --allow-delete removes it\n", o.reference, o.feature));
        }
    }
    let unchanged = plan.count(Op::Unchanged) + plan.count(Op::Check);
    let blocked = plan.blocked().count();
    out.push_str(&format!(
        "\nPlan: {} to create, {} to update, {} to delete, {unchanged} unchanged{}.\n",
        plan.count(Op::Create),
        plan.count(Op::Update),
        if plan.allow_delete {
            plan.orphans.len()
        } else {
            0
        },
        if blocked > 0 {
            format!(", {blocked} blocked")
        } else {
            String::new()
        }
    ));
    if !plan.enforce
        && plan
            .actions
            .iter()
            .any(|a| a.kind == "conditionalAccessPolicy")
    {
        out.push_str("Conditional access policies are created report-only; `blueprint deploy --enforce` switches verified ones on.\n");
    }
    out
}
