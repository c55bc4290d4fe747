//! Approved plans, as Terraform has them: what a person approves is what runs. A preview is a
//! [`PlannedDeploy`]: the exact changes, and a [`Fingerprint`] of everything that produced them
//! (the tenant as observed, object by object; the desired state the selection, the catalogue
//! and the profile render; the options). Applying re-observes under the deploy lock, plans
//! again, and refuses, naming every [`PlanDifference`], unless the fresh fingerprint and
//! changes are the approved ones. A plan file is the same document, so a change board can
//! approve a file and the deploy applies exactly that; the feature log records its digest.

use std::collections::BTreeMap;
use std::fmt;

use blueprint_catalogue::DesiredObject;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::observe::Observation;
use crate::plan::Plan;

/// The plan file's format.
pub const PLAN_FORMAT: &str = "blueprint.plan/1";

/// What produced a plan: enough to tell, later, whether planning again would give the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub format: String,
    pub tenant: String,
    /// The sprint the plan is restricted to.
    pub sprint: Option<i64>,
    pub enforce: bool,
    pub allow_delete: bool,
    pub catalogue_version: String,
    /// The features planned, in dependency order.
    pub features: Vec<String>,
    /// Every object planned or read to resolve a reference, by reference.
    pub objects: BTreeMap<String, ObjectPrint>,
}

/// Digests of one object: as the blueprint wants it (rendered for the agency), and as the
/// tenant held it (every match, with its assignments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPrint {
    pub desired: String,
    pub observed: String,
}

/// A preview of a deploy: the changes a person approves, and what produced them.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedDeploy {
    #[serde(flatten)]
    pub fingerprint: Fingerprint,
    pub plan: Plan,
}

/// An approved plan as a file holds it (or as a preview is kept for applying).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovedPlan {
    #[serde(flatten)]
    pub fingerprint: Fingerprint,
    pub plan: Value,
}

impl PlannedDeploy {
    /// The plan as approved: what [`crate::Session::apply`] checks the tenant against.
    pub fn approved(&self) -> ApprovedPlan {
        ApprovedPlan {
            fingerprint: self.fingerprint.clone(),
            plan: serde_json::to_value(&self.plan).unwrap_or_default(),
        }
    }

    /// The plan file's text (JSON).
    pub fn to_file(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

impl ApprovedPlan {
    /// Reads a plan file written by [`PlannedDeploy::to_file`].
    pub fn from_file(text: &str) -> Result<ApprovedPlan, String> {
        let plan: ApprovedPlan = serde_json::from_str(text)
            .map_err(|e| format!("not a plan file of blueprint's ({e})"))?;
        if plan.fingerprint.format != PLAN_FORMAT {
            return Err(format!(
                "plan format `{}`, this blueprint reads `{PLAN_FORMAT}`",
                plan.fingerprint.format
            ));
        }
        Ok(plan)
    }

    /// `sha256:` and hex over the plan's canonical JSON: the feature log records it.
    pub fn digest(&self) -> String {
        blueprint_store::digest_json(&serde_json::to_value(self).unwrap_or_default())
    }

    /// What differs between this approved plan and a fresh one (empty: the same plan).
    pub fn differences(&self, fresh: &ApprovedPlan) -> Vec<PlanDifference> {
        let (a, b) = (&self.fingerprint, &fresh.fingerprint);
        let mut out = Vec::new();
        if a.tenant != b.tenant {
            out.push(PlanDifference::Tenant {
                approved: a.tenant.clone(),
                now: b.tenant.clone(),
            });
        }
        if (a.sprint, a.enforce, a.allow_delete) != (b.sprint, b.enforce, b.allow_delete) {
            out.push(PlanDifference::Options);
        }
        if a.catalogue_version != b.catalogue_version {
            out.push(PlanDifference::CatalogueVersion {
                approved: a.catalogue_version.clone(),
                now: b.catalogue_version.clone(),
            });
        }
        for f in b.features.iter().filter(|f| !a.features.contains(f)) {
            out.push(PlanDifference::FeatureSelected(f.clone()));
        }
        for f in a.features.iter().filter(|f| !b.features.contains(f)) {
            out.push(PlanDifference::FeatureDeselected(f.clone()));
        }
        for (reference, print) in &a.objects {
            match b.objects.get(reference) {
                None => out.push(PlanDifference::ObjectGone(reference.clone())),
                Some(now) => {
                    if now.desired != print.desired {
                        out.push(PlanDifference::DesiredChanged(reference.clone()));
                    }
                    // An object the plan waits for another service to provision may have
                    // appeared since: the deploy sets it to the approved values then.
                    if now.observed != print.observed && print.observed != AWAITING_PROVISIONING {
                        out.push(PlanDifference::TenantChanged(reference.clone()));
                    }
                }
            }
        }
        for reference in b.objects.keys().filter(|r| !a.objects.contains_key(*r)) {
            out.push(PlanDifference::ObjectNew(reference.clone()));
        }
        if out.is_empty() && self.without_awaited(&self.plan) != self.without_awaited(&fresh.plan) {
            out.push(PlanDifference::Changes);
        }
        out
    }

    /// A plan's changes without those of the objects this plan awaits (each may have appeared
    /// since, with some of the approved values already).
    fn without_awaited(&self, plan: &Value) -> Value {
        let awaited: Vec<&String> = self
            .fingerprint
            .objects
            .iter()
            .filter(|(_, p)| p.observed == AWAITING_PROVISIONING)
            .map(|(r, _)| r)
            .collect();
        let mut plan = plan.clone();
        if let Some(actions) = plan.get_mut("actions").and_then(Value::as_array_mut) {
            actions.retain(|a| {
                !a["reference"]
                    .as_str()
                    .is_some_and(|r| awaited.iter().any(|w| *w == r))
            });
        }
        plan
    }
}

/// One way a fresh plan differs from the approved one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "difference", content = "subject", rename_all = "kebab-case")]
pub enum PlanDifference {
    Tenant {
        approved: String,
        now: String,
    },
    /// The sprint, enforcement or deletion the plan was made with.
    Options,
    CatalogueVersion {
        approved: String,
        now: String,
    },
    FeatureSelected(String),
    FeatureDeselected(String),
    /// The tenant's object changed since it was observed.
    TenantChanged(String),
    /// The profile or catalogue now wants the object otherwise.
    DesiredChanged(String),
    ObjectNew(String),
    ObjectGone(String),
    /// The same inputs gave other changes (another run's journal, say).
    Changes,
}

impl fmt::Display for PlanDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanDifference::Tenant { approved, now } => {
                write!(f, "it was made for tenant {approved}, this is {now}")
            }
            PlanDifference::Options => {
                f.write_str("its sprint, enforcement or deletion setting differs")
            }
            PlanDifference::CatalogueVersion { approved, now } => {
                write!(f, "it was made with catalogue {approved}, this is {now}")
            }
            PlanDifference::FeatureSelected(id) => write!(f, "`{id}` is selected now"),
            PlanDifference::FeatureDeselected(id) => write!(f, "`{id}` is no longer selected"),
            PlanDifference::TenantChanged(r) => {
                write!(f, "{r} changed in the tenant since it was observed")
            }
            PlanDifference::DesiredChanged(r) => write!(
                f,
                "{r}: the profile or the catalogue now wants it otherwise"
            ),
            PlanDifference::ObjectNew(r) => write!(f, "{r} is planned now"),
            PlanDifference::ObjectGone(r) => write!(f, "{r} is no longer planned"),
            PlanDifference::Changes => f.write_str("planning again gives other changes"),
        }
    }
}

/// What a fingerprint says of an object another service has not yet provisioned (Exchange
/// Online's face of a Microsoft 365 group Graph made): absent when planned, it may appear
/// before the deploy, which then sets it to the approved values ([`crate::resources::provisioned_elsewhere`]).
const AWAITING_PROVISIONING: &str = "awaiting-provisioning";

/// The fingerprint of a plan made of `objects` and `observation`.
pub(crate) fn fingerprint(
    tenant: &str,
    scope: (Option<i64>, bool, bool),
    features: &[String],
    objects: &[&DesiredObject],
    observation: &Observation,
) -> Fingerprint {
    let digest = |v: &Value| blueprint_store::digest_json(v);
    let objects = objects
        .iter()
        .map(|o| {
            let matches = observation.matches.get(&o.reference);
            let assignments: Vec<&Vec<Value>> = matches
                .into_iter()
                .flatten()
                .filter_map(|m| m["id"].as_str())
                .filter_map(|id| observation.assignments.get(id))
                .collect();
            let awaited =
                crate::resources::provisioned_elsewhere(o) && matches.is_none_or(|m| m.is_empty());
            let print = ObjectPrint {
                desired: digest(&serde_json::to_value(o).unwrap_or_default()),
                observed: if awaited {
                    AWAITING_PROVISIONING.to_string()
                } else {
                    digest(&json!({"matches": matches, "assignments": assignments}))
                },
            };
            (o.reference.clone(), print)
        })
        .collect();
    let (sprint, enforce, allow_delete) = scope;
    Fingerprint {
        format: PLAN_FORMAT.to_string(),
        tenant: tenant.to_string(),
        sprint,
        enforce,
        allow_delete,
        catalogue_version: blueprint_catalogue::CATALOGUE_VERSION.to_string(),
        features: features.to_vec(),
        objects,
    }
}
