//! JUnit XML: one test case per feature, for pipeline dashboards.

use crate::escape::{escape_xml as x, escape_xml_text};
use crate::{ReportInput, Status};

/// One `<testcase>` per feature: a failed or undeployed feature carries a `<failure>` listing
/// each setting's expected and actual value; a manual feature passes once attested (its
/// `<system-out>` says by whom and to what evidence) and is `<skipped>` until then.
pub fn render_junit(input: &ReportInput) -> String {
    let t = input.tally();
    let failures = t.fail + t.not_deployed;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"blueprint\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\">\n",
        t.selected,
        t.awaiting()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\" timestamp=\"{}\">\n",
        x(&format!("blueprint evaluation: {}", input.agency)),
        t.selected,
        t.awaiting(),
        x(&input.generated_at)
    ));
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("agency", &input.agency),
        ("tenant_id", &input.tenant_id),
        ("catalogue_version", &input.catalogue_version),
        ("abac_source_date", &input.abac_source_date),
    ] {
        out.push_str(&format!(
            "      <property name=\"{name}\" value=\"{}\"/>\n",
            x(value)
        ));
    }
    out.push_str("    </properties>\n");
    for f in &input.features {
        out.push_str(&format!(
            "    <testcase classname=\"blueprint.{}\" name=\"{}: {}\"",
            x(&f.area),
            x(&f.id),
            x(&f.title)
        ));
        match f.status {
            Status::Pass => out.push_str("/>\n"),
            Status::Manual if let Some(a) = f.attested() => out.push_str(&format!(
                ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                escape_xml_text(&a.summary())
            )),
            Status::Manual => out.push_str(
                ">\n      <skipped message=\"manual feature: awaiting attestation by a person\"/>\n    </testcase>\n",
            ),
            Status::Fail | Status::NotDeployed => {
                let message = if f.status == Status::NotDeployed {
                    "not deployed".to_string()
                } else {
                    let n = f.findings.len() + f.missing.len();
                    format!("{n} setting(s) or object(s) differ from the blueprint")
                };
                let mut body = String::new();
                for m in &f.missing {
                    body.push_str(&format!("missing: {m}\n"));
                }
                for d in &f.findings {
                    body.push_str(&d.describe());
                    body.push('\n');
                }
                if let Some(failure) = &f.deploy_failure {
                    body.push_str(&format!("last deploy failed: {}\n", failure.describe()));
                }
                out.push_str(&format!(
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                    x(&message),
                    f.status.key(),
                    escape_xml_text(&body)
                ));
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
