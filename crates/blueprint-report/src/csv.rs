//! CSV (RFC 4180): one row per feature, for a spreadsheet.

use crate::{FeatureReport, ReportInput, SettingFinding};

const HEADER: [&str; 15] = [
    "id",
    "title",
    "area",
    "verdict",
    "abac",
    "essential_eight",
    "missing",
    "findings",
    "generated_at",
    // A manual feature's standing attestation, a column per part so a spreadsheet can filter
    // on who attested; empty for every other feature.
    "attested_by",
    "attested_role",
    "attested_at",
    "evidence",
    "evidence_digest",
    "attestation_note",
];

/// The attestation columns of a feature's row.
fn attestation_cells(f: &FeatureReport) -> [String; 6] {
    match f.attested() {
        Some(a) => [
            a.actor.clone(),
            a.role.clone(),
            a.time.clone(),
            a.evidence.clone(),
            a.evidence_digest.clone(),
            a.note.clone(),
        ],
        None => Default::default(),
    }
}

/// One row per feature; `findings` lists each failing setting as
/// `reference path: expected X, actual Y`, separated by ` | `.
pub fn render_csv(input: &ReportInput) -> String {
    let mut out = String::new();
    push_row(&mut out, HEADER.iter().map(|s| s.to_string()).collect());
    for f in &input.features {
        let abac = f
            .abac
            .iter()
            .map(|a| format!("{} § {}", a.file, a.heading))
            .collect::<Vec<_>>()
            .join("; ");
        let findings = f
            .findings
            .iter()
            .map(SettingFinding::describe)
            .collect::<Vec<_>>()
            .join(" | ");
        push_row(
            &mut out,
            vec![
                f.id.clone(),
                f.title.clone(),
                f.area.clone(),
                f.status.key().to_string(),
                abac,
                f.essential_eight.join("; "),
                f.missing.join("; "),
                findings,
                input.generated_at.clone(),
            ]
            .into_iter()
            .chain(attestation_cells(f))
            .collect(),
        );
    }
    out
}

/// Appends one record: cells quoted as RFC 4180 asks, CRLF line end. Every CSV the crate writes
/// goes through here.
pub(crate) fn push_row(out: &mut String, cells: Vec<String>) {
    let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// Quotes a cell when needed, and defuses spreadsheet formulas (a cell that starts with `=`,
/// `+`, `-`, `@`, tab or carriage return is prefixed with `'`).
pub(crate) fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(super::cell("a,b"), "\"a,b\"");
        assert_eq!(super::cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
