//! Evaluation: proof, from the live tenant, that each selected feature is in place. Every
//! feature is pass, fail (each failing setting with expected and actual), not deployed, or
//! manual (no API reaches it: a person attests it, and the feature log records that).

use blueprint_catalogue::{Catalogue, DesiredObject, FeatureStatus};
use serde::Serialize;
use serde_json::Value;

use crate::compare::{FieldDiff, diff};
use crate::observe::Observation;
use crate::plan::{comparable_actual, compared_fields, resolve_refs};
use crate::resources;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    NotDeployed,
    Manual,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotDeployed => "not deployed",
            Verdict::Manual => "manual",
        }
    }
}

/// A setting that does not match, on one object.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub reference: String,
    #[serde(flatten)]
    pub diff: FieldDiff,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeatureResult {
    pub id: String,
    pub title: String,
    pub area: String,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Objects that should exist and do not.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub features: Vec<FeatureResult>,
}

impl Evaluation {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.features
            .iter()
            .filter(|f| f.verdict == verdict)
            .count()
    }

    /// Every selected feature passes in the tenant. Manual features never do: whether they
    /// are done is the feature log's attestations' to say (`engagement::is_done`).
    pub fn all_pass(&self) -> bool {
        self.features.iter().all(|f| f.verdict == Verdict::Pass)
    }
}

/// Evaluates the selected features against what was observed.
pub fn evaluate(
    catalogue: &Catalogue,
    selected: &[String],
    objects: &[&DesiredObject],
    observation: &Observation,
) -> Evaluation {
    let mut features = Vec::new();
    for id in selected {
        let Some(feature) = catalogue.feature(id) else {
            continue;
        };
        let mut result = FeatureResult {
            id: id.clone(),
            title: feature.doc.title.clone(),
            area: feature.doc.area.as_str().to_string(),
            verdict: Verdict::Pass,
            findings: Vec::new(),
            missing: Vec::new(),
        };
        if feature.status() == FeatureStatus::Manual {
            result.verdict = Verdict::Manual;
            features.push(result);
            continue;
        }
        let mine: Vec<&&DesiredObject> = objects.iter().filter(|o| &o.feature == id).collect();
        let mut present = 0;
        for object in &mine {
            let mut unresolved = Vec::new();
            // A DNS record Microsoft decides is compared with what Microsoft lists.
            let wanted = match crate::observe::expected_from(object) {
                Some(from) => {
                    crate::dns::expected(object, observation.available.get(from).map(Vec::as_slice))
                }
                None => object.desired.clone(),
            };
            let desired = compared_fields(
                object,
                &resolve_refs(&wanted, observation, &mut unresolved),
                true,
            );
            match observation.single(&object.reference) {
                Ok(Some(current)) => {
                    present += 1;
                    let actual = comparable_actual(object, current, observation);
                    if object.prerequisite {
                        continue;
                    }
                    for d in diff(&desired, &actual, resources::keyed_arrays(&object.kind)) {
                        result.findings.push(Finding {
                            reference: object.reference.clone(),
                            diff: d,
                        });
                    }
                }
                Ok(None) => result.missing.push(object.reference.clone()),
                Err(n) => result.findings.push(Finding {
                    reference: object.reference.clone(),
                    diff: FieldDiff {
                        path: "(identity)".into(),
                        expected: Value::from(1),
                        actual: Value::from(n),
                    },
                }),
            }
        }
        let prerequisites_only = mine.iter().all(|o| o.prerequisite);
        result.verdict = if present == 0 && !mine.is_empty() && !prerequisites_only {
            Verdict::NotDeployed
        } else if result.findings.is_empty() && result.missing.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        features.push(result);
    }
    Evaluation { features }
}
