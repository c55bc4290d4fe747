//! The versioned JSON document (`blueprint.evaluation/1`); the crate README documents it.

use serde_json::{Value, json};

use crate::ReportInput;

/// The schema name and version. A new major version changes or removes a field; adding a field
/// keeps the version.
pub const SCHEMA: &str = "blueprint.evaluation/1";

/// The evaluation as the documented JSON document, pretty-printed, with a final newline.
pub fn render_json(input: &ReportInput) -> String {
    let tally = input.tally();
    let areas: Vec<Value> = input
        .areas()
        .into_iter()
        .map(|(area, t)| {
            json!({
                "area": area,
                "selected": t.selected,
                "pass": t.pass,
                "fail": t.fail,
                "not_deployed": t.not_deployed,
                "manual": t.manual,
                "attested": t.attested,
            })
        })
        .collect();
    let features: Vec<Value> = input
        .features
        .iter()
        .map(|f| {
            let mut feature = json!({
                "id": f.id,
                "title": f.title,
                "area": f.area,
                "verdict": f.status.key(),
                "abac": f.abac,
                "essential_eight": f.essential_eight,
                "findings": f.findings,
                "missing": f.missing,
                "attestation": f.attested(),
                "deploy_failure": f.deploy_failure,
            });
            // Only a feature reached through Graph beta carries the key.
            if f.graph_beta {
                feature["graph_beta"] = Value::Bool(true);
            }
            feature
        })
        .collect();
    let document = json!({
        "schema": SCHEMA,
        "agency": input.agency,
        "tenant_id": input.tenant_id,
        "generated_at": input.generated_at,
        "catalogue_version": input.catalogue_version,
        "abac_source_date": input.abac_source_date,
        "attribution": input.attribution,
        "summary": {
            "selected": tally.selected,
            "pass": tally.pass,
            "fail": tally.fail,
            "not_deployed": tally.not_deployed,
            "manual": tally.manual,
            "attested": tally.attested,
        },
        "areas": areas,
        "features": features,
        "burn_up": input.burn_up,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}
