//! The plan of a deploy, as plain data (`blueprint_engine::plan` builds it from the tenant and
//! re-exports it), and as a person approving it reads it.
//!
//! The data lives here, below the engine, for the reason [`crate::status`] gives.

use blueprint_catalogue::DesiredObject;
use serde::Serialize;
use serde_json::Value;

use crate::status::{self, Wording};

/// One setting that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    /// Where, e.g. `conditions.users.excludeGroups` or `values[EnableGroupCreation].value`.
    pub path: String,
    pub expected: Value,
    pub actual: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    Unchanged,
    /// A prerequisite the tool checks but never creates or changes.
    Check,
}

impl Op {
    /// The verb a plan shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Unchanged => "unchanged",
            Op::Check => "check",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub feature: String,
    pub kind: String,
    /// The API the kind is reached through (`graph-v1.0`, `graph-beta`, `exchange-admin`): a
    /// plan marks what it would write through Graph beta.
    pub api: &'static str,
    pub reference: String,
    pub op: Op,
    /// The tenant object's id when it exists.
    pub object_id: Option<String>,
    /// What changes (for a create: every field, from nothing).
    pub changes: Vec<FieldDiff>,
    /// References this object needs to exist first.
    pub depends_on: Vec<String>,
    /// Why this action cannot go ahead (ambiguous match, missing prerequisite).
    pub blocked: Option<String>,
    #[serde(skip)]
    pub object: DesiredObject,
    /// The tenant object as read.
    #[serde(skip)]
    pub current: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub enforce: bool,
    /// Objects this tool created for features the agency has since deselected. They are
    /// deleted only when deletion is allowed; otherwise they are kept and listed.
    pub orphans: Vec<Orphan>,
    pub allow_delete: bool,
}

/// An object the tool created whose feature is no longer selected.
#[derive(Debug, Clone, Serialize)]
pub struct Orphan {
    pub feature: String,
    pub kind: String,
    pub reference: String,
    pub object_id: String,
}

impl Plan {
    pub fn count(&self, op: Op) -> usize {
        self.actions
            .iter()
            .filter(|a| a.op == op && a.blocked.is_none())
            .count()
    }

    pub fn blocked(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.blocked.is_some())
    }

    pub fn has_changes(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a.op, Op::Create | Op::Update) && a.blocked.is_none())
            || (self.allow_delete && !self.orphans.is_empty())
    }
}

/// What a sprint-scoped plan or deploy works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SprintScope {
    pub sprint: i64,
    /// Every selected feature the log schedules into the sprint, in dependency order.
    pub features: Vec<String>,
    /// Its manual features not attested yet: a person performs them and records
    /// an attestation; deploy never touches them.
    pub needs_attestation: Vec<String>,
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

/// The sprint's features, and the manual ones a person performs and attests (how, in `words`).
fn render_scope_text(scope: &SprintScope, words: &dyn Wording) -> String {
    let mut out = format!(
        "Sprint {}: {}\n",
        scope.sprint,
        status::count(scope.features.len(), "feature")
    );
    for id in &scope.needs_attestation {
        let attest = status::Action::Attest {
            feature: id.clone(),
        };
        out.push_str(&format!(
            "  needs attestation  {id}   (a person performs it; then `{}`)\n",
            words.command(&attest)
        ));
    }
    out.push('\n');
    out
}

/// A value as a plan shows it: strings quoted, absent as `(none)`, cut at 100 characters.
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
    // Graph beta is Microsoft's preview surface: a person approving the plan sees what
    // goes through it.
    let beta = if a.api == blueprint_catalogue::kinds::Api::GraphBeta.as_str() {
        "   (Graph beta)"
    } else {
        ""
    };
    out.push_str(&format!(
        "  {mark} {:<7} {}   [{}]{beta}\n",
        a.op.as_str(),
        a.reference,
        a.feature
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

/// The plan as a person approving it reads it: the sprint it covers (when it covers one), the
/// changes, then a count of what stays as it is; the commands it names are in `words`.
pub fn render_plan_text(plan: &Plan, scope: Option<&SprintScope>, words: &dyn Wording) -> String {
    let mut out = scope
        .map(|s| render_scope_text(s, words))
        .unwrap_or_default();
    for a in plan
        .actions
        .iter()
        .filter(|a| matches!(a.op, Op::Create | Op::Update) || a.blocked.is_some())
    {
        render_action(a, &mut out);
    }
    for o in &plan.orphans {
        let (mark, why) = if plan.allow_delete {
            (
                "- delete",
                "created by blueprint; the feature is no longer selected",
            )
        } else {
            (
                ". kept  ",
                "created by blueprint for a feature no longer selected; --allow-delete removes it",
            )
        };
        out.push_str(&format!(
            "  {mark}  {}   [{}]\n      {why}\n",
            o.reference, o.feature
        ));
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
        out.push_str(&format!(
            "Conditional access policies are created report-only; `{} --enforce` switches verified ones on.\n",
            words.command(&status::Action::Deploy { sprint: None })
        ));
    }
    out
}
