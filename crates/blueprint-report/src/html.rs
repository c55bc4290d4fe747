//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external
//! assets) that opens offline and prints cleanly.

use crate::escape::escape_html as h;
use crate::{BurnUpPoint, ReportInput, Status, essential_eight_label, show_value};

/// Shared by the report and the user guides.
pub(crate) const CSS: &str = r#"
:root { --pass: #1b7f3b; --fail: #b3261e; --nd: #8a5a00; --manual: #3f51b5; --ink: #1d1d1f; --muted: #5f6368; --line: #d9dce1; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0; }
.meta dt { display: inline; font-weight: 600; }
.meta dd { display: inline; margin: 0 16px 0 4px; }
.headline { font-size: 1.3em; margin: 16px 0; }
.headline strong { font-size: 1.4em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: #f4f5f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: .85em; white-space: nowrap; }
.status.pass { background: var(--pass); } .status.fail { background: var(--fail); }
.status.not-deployed { background: var(--nd); } .status.manual { background: var(--manual); }
.beta { font-size: .8em; padding: 0 6px; border: 1px dashed currentColor; border-radius: 8px; white-space: nowrap; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
ul.findings { margin: 6px 0 0; padding-left: 18px; }
.attestation { margin: 6px 0 0; } .attestation code { word-break: break-all; }
ul.plain { margin: 0; padding-left: 16px; }
.chart { max-width: 680px; }
.footnote, footer { color: var(--muted); font-size: .85em; }
footer { margin-top: 32px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, .chart { break-inside: avoid; }
  thead { display: table-header-group; }
  .status { color: var(--ink); background: none !important; border: 1px solid var(--ink); }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The page head: strict content security policy (no scripts can run, nothing is fetched).
pub(crate) fn head(title: &str) -> String {
    head_with_style(title, "")
}

/// [`head`] with page-specific rules after the shared ones.
pub(crate) fn head_with_style(title: &str, extra_css: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-AU\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{CSS}{extra_css}</style>\n</head>\n",
        h(title)
    )
}

/// The evaluation as one self-contained HTML page.
pub fn render_html(input: &ReportInput) -> String {
    let tally = input.tally();
    let mut out = head(&format!("Blueprint evaluation — {}", input.agency));
    out.push_str("<body>\n<header>\n");
    out.push_str(&format!(
        "<h1>Blueprint evaluation — <span id=\"agency\">{}</span></h1>\n",
        h(&input.agency)
    ));
    out.push_str(&format!(
        "<dl class=\"meta\"><dt>Tenant</dt><dd><code id=\"tenant\">{}</code></dd>\
<dt>Evaluated</dt><dd><time id=\"generated-at\">{}</time></dd>\
<dt>Catalogue</dt><dd id=\"catalogue-version\">{}</dd>\
<dt>ABAC documents</dt><dd>{}</dd></dl>\n</header>\n",
        h(&input.tenant_id),
        h(&input.generated_at),
        h(&input.catalogue_version),
        h(&input.abac_source_date)
    ));

    out.push_str("<main>\n<section>\n");
    out.push_str(&format!(
        "<p class=\"headline\"><strong id=\"verified\">{}</strong> of <strong id=\"selected\">{}</strong> selected features verified in the live tenant.</p>\n",
        tally.pass, tally.selected
    ));
    out.push_str(&format!(
        "<p><span id=\"failed\">{}</span> failed, <span id=\"not-deployed\">{}</span> not deployed, \
<span id=\"manual\">{}</span> manual: <span id=\"attested\">{}</span> attested, \
<span id=\"awaiting\">{}</span> awaiting attestation.</p>\n",
        tally.fail,
        tally.not_deployed,
        tally.manual,
        tally.attested,
        tally.awaiting()
    ));
    out.push_str("<h2>By area</h2>\n<table id=\"areas\">\n<thead><tr><th>Area</th><th>Verified</th><th>Selected</th><th>Failed</th><th>Not deployed</th><th>Manual</th></tr></thead>\n<tbody>\n");
    for (area, t) in input.areas() {
        out.push_str(&format!(
            "<tr data-area=\"{a}\"><td>{a}</td><td class=\"num verified\">{}</td><td class=\"num selected\">{}</td>\
<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            t.pass,
            t.selected,
            t.fail,
            t.not_deployed,
            t.manual,
            a = h(&area)
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");

    out.push_str("<section>\n<h2>Sprint burn-up</h2>\n");
    out.push_str(&burn_up_svg(&input.burn_up, tally.selected));
    out.push_str(
        "<p class=\"footnote\">Drawn from the feature log: for each sprint of the plan, the selected features \
scheduled into it or an earlier sprint that the log shows verified (or, when manual, attested), \
cumulatively. Features done without a sprint plan make the last point, <em>unscheduled</em>.</p>\n</section>\n",
    );

    out.push_str("<section>\n<h2>Features</h2>\n<table id=\"features\">\n<thead><tr><th>Status</th><th>Feature</th><th>Area</th><th>ABAC reference</th><th>Essential Eight</th></tr></thead>\n<tbody>\n");
    for f in &input.features {
        out.push_str(&format!(
            "<tr class=\"feature\" id=\"feature-{id}\" data-status=\"{key}\"><td><span class=\"status {key}\">{label}</span></td>\
<td><strong>{title}</strong>{beta}<br><code>{id}</code>",
            id = h(&f.id),
            key = f.status.key(),
            label = f.label(),
            title = h(&f.title),
            beta = if f.graph_beta {
                " <span class=\"beta\" title=\"Deployed and evaluated through Microsoft Graph beta, Microsoft's preview API\">Graph beta</span>"
            } else {
                ""
            }
        ));
        if !f.missing.is_empty() || !f.findings.is_empty() {
            out.push_str("<ul class=\"findings\">");
            for m in &f.missing {
                out.push_str(&format!("<li>Missing: <code>{}</code></li>", h(m)));
            }
            for d in &f.findings {
                out.push_str(&format!(
                    "<li><code>{}</code> <code>{}</code>: expected <code class=\"expected\">{}</code>, actual <code class=\"actual\">{}</code></li>",
                    h(&d.reference),
                    h(&d.path),
                    h(&show_value(&d.expected)),
                    h(&show_value(&d.actual))
                ));
            }
            out.push_str("</ul>");
        }
        if let Some(a) = f.attested() {
            out.push_str(&format!(
                "<p class=\"attestation\">Attested by {} ({}) at {}: {} <code>{}</code>. {}</p>",
                h(&a.actor),
                h(&a.role),
                h(&a.when()),
                h(&a.evidence),
                h(&a.evidence_digest),
                h(&a.note)
            ));
        }
        if let Some(failure) = &f.deploy_failure {
            out.push_str(&deploy_failure_html(failure));
        }
        if f.status == Status::NotDeployed && f.missing.is_empty() {
            out.push_str("<p>Nothing of this feature is in the tenant yet.</p>");
        }
        out.push_str(&format!("</td><td>{}</td><td>", h(&f.area)));
        out.push_str(&plain_list(
            f.abac
                .iter()
                .map(|a| format!("{} § {}", h(&a.file), h(&a.heading))),
        ));
        out.push_str("</td><td>");
        out.push_str(&plain_list(
            f.essential_eight
                .iter()
                .map(|e| h(&essential_eight_label(e))),
        ));
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n</main>\n");
    out.push_str(&format!(
        "<footer>\n<p>Generated by blueprint. {}</p>\n</footer>\n</body>\n</html>\n",
        h(&input.attribution)
    ));
    out
}

/// The last deploy's failure: the object, and the service's code, message and request id.
fn deploy_failure_html(failure: &crate::DeployFailure) -> String {
    let why = match &failure.refused {
        Some(r) => format!(
            "{} answered HTTP {} <code class=\"code\">{}</code>: {} (request-id <code class=\"request-id\">{}</code>, client-request-id <code>{}</code>)",
            h(&r.service),
            r.status,
            h(&r.code),
            h(&r.message),
            h(r.request_id.as_deref().unwrap_or("none")),
            h(&r.client_request_id)
        ),
        None => h(&failure.error),
    };
    format!(
        "<p class=\"deploy-failure\">Last deploy failed on <code>{}</code>: {why}</p>",
        h(&failure.reference)
    )
}

fn plain_list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.map(|i| format!("<li>{i}</li>")).collect();
    if items.is_empty() {
        "—".into()
    } else {
        format!("<ul class=\"plain\">{}</ul>", items.concat())
    }
}

/// The burn-up as inline SVG: features done per sprint against the selected scope (presentation
/// attributes only, no `style`: it also sits in the web app's pages under a strict policy).
pub fn burn_up_svg(points: &[BurnUpPoint], scope: usize) -> String {
    if points.is_empty() {
        return "<p id=\"burn-up-empty\">Nothing recorded in the feature log yet.</p>\n".into();
    }
    let (w, hgt, left, right, top, bottom) = (640.0, 260.0, 48.0, 16.0, 16.0, 40.0);
    let plot_w = w - left - right;
    let plot_h = hgt - top - bottom;
    let max_y = scope
        .max(points.iter().map(|p| p.completed).max().unwrap_or(0))
        .max(1) as f64;
    // x = 0 is the start (nothing done); each run follows.
    let n = points.len() as f64;
    let x = |i: f64| left + plot_w * i / n;
    let y = |v: f64| top + plot_h * (1.0 - v / max_y);
    let mut svg = format!(
        "<svg class=\"chart\" id=\"burn-up\" role=\"img\" aria-labelledby=\"burn-up-title\" viewBox=\"0 0 {w} {hgt}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
<title id=\"burn-up-title\">Features deployed per run, against {scope} selected</title>\n"
    );
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{b}\" stroke=\"#5f6368\"/>\n\
<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#5f6368\"/>\n",
        b = top + plot_h,
        r = left + plot_w
    ));
    for tick in [0.0, max_y / 2.0, max_y] {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5f6368\">{}</text>\n",
            left - 6.0,
            y(tick) + 4.0,
            tick.round()
        ));
    }
    svg.push_str(&format!(
        "<line id=\"burn-up-scope\" x1=\"{left}\" y1=\"{sy:.1}\" x2=\"{r}\" y2=\"{sy:.1}\" stroke=\"#8a5a00\" stroke-dasharray=\"6 4\"/>\n\
<text x=\"{r}\" y=\"{ly:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#8a5a00\">selected: {scope}</text>\n",
        sy = y(scope as f64),
        ly = y(scope as f64) - 4.0,
        r = left + plot_w
    ));
    let mut coords = vec![format!("{:.1},{:.1}", x(0.0), y(0.0))];
    for (i, p) in points.iter().enumerate() {
        coords.push(format!(
            "{:.1},{:.1}",
            x(i as f64 + 1.0),
            y(p.completed as f64)
        ));
    }
    svg.push_str(&format!(
        "<polyline id=\"burn-up-line\" fill=\"none\" stroke=\"#1b7f3b\" stroke-width=\"2.5\" points=\"{}\"/>\n",
        coords.join(" ")
    ));
    for (i, p) in points.iter().enumerate() {
        let px = x(i as f64 + 1.0);
        let py = y(p.completed as f64);
        svg.push_str(&format!(
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"3.5\" fill=\"#1b7f3b\"><title>{}: {} complete</title></circle>\n\
<text x=\"{px:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1d1d1f\">{}</text>\n\
<text x=\"{px:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5f6368\">{}</text>\n",
            h(&p.label),
            p.completed,
            py - 8.0,
            p.completed,
            top + plot_h + 16.0,
            h(&p.label)
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5f6368\">start</text>\n</svg>\n",
        x(0.0),
        top + plot_h + 16.0
    ));
    svg
}
