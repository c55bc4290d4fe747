//! `blueprint plan`: what deploying would change, read from the live tenant.

use blueprint_engine::plan::{Action, Op, Plan};
use clap::Args;
use serde_json::Value;

use super::common::{Format, WorkspaceArgs, open_session, runtime};
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
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: PlanArgs) -> Result<Outcome, CommandError> {
    let session = open_session(&args.workspace, args.format == Format::Json)?;
    let (plan, _) = runtime()?
        .block_on(session.plan_with(args.enforce, args.allow_delete))
        .map_err(super::common::engine_error)?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        ),
        Format::Text => print!("{}", render(&plan)),
    }
    Ok(Outcome::Success)
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
