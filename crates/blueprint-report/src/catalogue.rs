//! The catalogue as a person or a program reads it: the feature list, one feature (with its
//! desired state rendered for an agency, when a profile is given), and the ABAC coverage
//! table, as text and as JSON.

use blueprint_catalogue::schema::Check;
use blueprint_catalogue::{
    ABAC_SOURCE_COMMIT, ABAC_SOURCE_DATE, ATTRIBUTION, AgencyProfile, CATALOGUE_VERSION, Catalogue,
    CoverageReport, DesiredObject, Feature, FeatureStatus, kinds,
};
use serde_json::{Value, json};

/// A feature's desired state rendered for one agency.
pub struct Rendered<'a> {
    pub profile: &'a AgencyProfile,
    pub objects: &'a [DesiredObject],
}

/// The catalogue's version and source, and the ABAC's attribution: in every JSON document.
fn catalogue_json() -> Value {
    json!({
        "version": CATALOGUE_VERSION,
        "abac_source": { "date": ABAC_SOURCE_DATE, "commit": ABAC_SOURCE_COMMIT },
        "attribution": ATTRIBUTION,
    })
}

/// A feature's summary: what the list shows for each feature.
fn summary_json(catalogue: &Catalogue, feature: &Feature) -> Value {
    let resources: Vec<Value> = feature
        .doc
        .resources
        .iter()
        .map(|r| {
            let kind = kinds::kind(&r.kind.value);
            let identity_key = kind.and_then(|k| match k.identity {
                kinds::IdentityKey::Property(p) => Some(p),
                kinds::IdentityKey::Singleton => None,
            });
            let identity = kind
                .and_then(|k| blueprint_catalogue::catalogue::raw_identity(k, r))
                .filter(|i| !i.is_empty());
            json!({
                "kind": r.kind.value,
                "identity_key": identity_key,
                "identity": identity,
                "prerequisite": r.prerequisite.is_some(),
            })
        })
        .collect();
    json!({
        "id": feature.id(),
        "title": feature.doc.title,
        "area": feature.doc.area,
        "status": feature.status().as_str(),
        "abac": feature.doc.abac.iter().map(|a| &a.value).collect::<Vec<_>>(),
        "depends_on": catalogue.dependencies(feature.id()),
        "resources": resources,
        "disabled": feature.disabled.as_ref().map(|j| json!({ "justification": j })),
    })
}

/// The features' list as JSON: the catalogue, and each feature's summary.
pub fn feature_list_json(catalogue: &Catalogue, features: &[&Feature]) -> Value {
    let mut out = json!({ "catalogue": catalogue_json() });
    out["features"] = features
        .iter()
        .map(|f| summary_json(catalogue, f))
        .collect();
    out
}

/// The features' list as a table, with the counts and the attribution under it.
pub fn render_feature_list_text(features: &[&Feature]) -> String {
    let width = features.iter().map(|f| f.id().len()).max().unwrap_or(2);
    let mut t = format!("{:width$}  {:12}  {:9}  TITLE\n", "ID", "AREA", "STATUS");
    for f in features {
        let status = if f.disabled.is_some() {
            "disabled"
        } else {
            f.status().as_str()
        };
        t.push_str(&format!(
            "{:width$}  {:12}  {:9}  {}\n",
            f.id(),
            f.doc.area.as_str(),
            status,
            f.doc.title
        ));
    }
    let automated = features
        .iter()
        .filter(|f| f.status() == FeatureStatus::Automated)
        .count();
    t.push_str(&format!(
        "\n{} features ({} automated, {} manual) · catalogue {CATALOGUE_VERSION}, ABAC {ABAC_SOURCE_DATE} ({ABAC_SOURCE_COMMIT})\n",
        features.len(),
        automated,
        features.len() - automated
    ));
    t.push_str(&format!("{ATTRIBUTION}\n"));
    t
}

/// One feature in full as JSON, with its desired state rendered for an agency when given.
pub fn feature_json(catalogue: &Catalogue, feature: &Feature, rendered: Option<Rendered>) -> Value {
    let mut out = summary_json(catalogue, feature);
    let doc = &feature.doc;
    out["story"] = json!(doc.story);
    out["acceptance"] = doc
        .acceptance
        .iter()
        .map(|c| json!({ "text": c.text, "checks": c.checks.iter().map(check_json).collect::<Vec<_>>() }))
        .collect();
    out["licences"] = json!(doc.licences);
    out["implementation"] = json!(doc.implementation);
    out["essential_eight"] = json!(doc.essential_eight);
    out["story_points"] = json!(doc.story_points.value);
    out["user_impact"] = json!(doc.user_impact);
    out["user_action"] = json!(doc.user_action);
    out["manual"] = json!(doc.manual);
    out["desired"] = doc.resources.iter().map(|r| r.desired.to_json()).collect();
    out["overridden"] = json!(feature.overridden);
    if let Some(r) = rendered {
        out["agency"] = json!(r.profile.agency.name);
        out["rendered"] = json!(r.objects);
    }
    out["catalogue"] = catalogue_json();
    out
}

/// One feature in full as text: its story, acceptance criteria, manual steps, and its desired
/// state (rendered for an agency when given, else its templates).
pub fn render_feature_text(
    catalogue: &Catalogue,
    feature: &Feature,
    rendered: Option<Rendered>,
) -> String {
    let doc = &feature.doc;
    let mut t = format!("{}  {}\n", feature.id(), doc.title);
    t.push_str(&format!(
        "area: {}   status: {}   story points: {}\n",
        doc.area.as_str(),
        feature.status().as_str(),
        doc.story_points.value
    ));
    if let Some(j) = &feature.disabled {
        t.push_str(&format!("DISABLED by the agency overlay: {j}\n"));
    }
    for a in &doc.abac {
        t.push_str(&format!("ABAC: {} › {}\n", a.value.file, a.value.heading));
    }
    t.push_str(&format!(
        "\nAs {}, I want {}, so that {}.\n",
        doc.story.as_a, doc.story.want, doc.story.so_that
    ));
    t.push_str("\nAcceptance criteria:\n");
    for c in &doc.acceptance {
        t.push_str(&format!("  - {}\n", c.text));
        for check in &c.checks {
            t.push_str(&format!("      check: {}\n", check_text(check)));
        }
    }
    let deps = catalogue.dependencies(feature.id());
    if !deps.is_empty() {
        t.push_str(&format!("\nDepends on: {}\n", deps.join(", ")));
    }
    t.push_str(&format!("User impact: {}\n", doc.user_impact));
    t.push_str(&format!("What staff do: {}\n", doc.user_action));
    for step in &doc.manual {
        t.push_str(&format!("\nManual step: {}\n", step.portal));
        for s in &step.settings {
            t.push_str(&format!("  - {s}\n"));
        }
    }
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    match rendered {
        Some(r) => {
            t.push_str(&format!("\nDesired state for {}:\n", r.profile.agency.name));
            for o in r.objects {
                let what = if o.prerequisite {
                    " (prerequisite: checked, never created)"
                } else {
                    ""
                };
                t.push_str(&format!("\n{} {}{what}\n", o.reference, o.path));
                t.push_str(&format!("{}\n", pretty(&o.desired)));
            }
        }
        None => {
            for r in &doc.resources {
                t.push_str(&format!(
                    "\n{} (templates unrendered: pass --profile to render them for an agency)\n",
                    r.kind.value
                ));
                t.push_str(&format!("{}\n", pretty(&r.desired.to_json())));
            }
        }
    }
    t
}

fn check_json(check: &Check) -> Value {
    match check {
        Check::Matches(r) => json!({ "matches": r.value }),
        Check::Exists(r) => json!({ "exists": r.value }),
        Check::MemberOf { member, group } => {
            json!({ "member_of": { "member": member.value, "group": group.value } })
        }
        Check::Attested(evidence) => json!({ "attested": evidence }),
    }
}

fn check_text(check: &Check) -> String {
    match check {
        Check::Matches(r) => format!("{} matches the desired fields", r.value),
        Check::Exists(r) => format!("{} exists", r.value),
        Check::MemberOf { member, group } => {
            format!("{} is a member of {}", member.value, group.value)
        }
        Check::Attested(evidence) => format!("attested by a person, with evidence: {evidence}"),
    }
}

/// The ABAC coverage table as JSON, with the catalogue's version and source.
pub fn coverage_json(report: &CoverageReport) -> Value {
    let mut out = serde_json::to_value(report).unwrap_or_default();
    out["catalogue"] = catalogue_json();
    out
}

/// The ABAC coverage table as text: each document's sections, their status, and the totals.
pub fn render_coverage_text(report: &CoverageReport) -> String {
    let mut t = String::new();
    let mut file = "";
    for row in &report.sections {
        if row.file != file {
            file = &row.file;
            t.push_str(&format!("\n{file}\n"));
        }
        let status = match (row.status.as_str(), row.partly_manual) {
            ("automated", true) => "automated (partly manual)".to_owned(),
            (s, _) => s.to_owned(),
        };
        let detail = match &row.reason {
            Some(reason) => reason.clone(),
            None => row.features.join(", "),
        };
        t.push_str(&format!("  {:<60} {:<26} {detail}\n", row.heading, status));
    }
    let totals = &report.totals;
    t.push_str(&format!(
        "\n{} ABAC sections: {} automated ({} of them partly manual), {} manual, {} out of scope\n",
        totals.sections, totals.automated, totals.partly_manual, totals.manual, totals.out_of_scope
    ));
    t.push_str(&format!("{ATTRIBUTION}\n"));
    t
}
