//! An engagement's evaluation reports and user guides, rendered by [`blueprint_report`] as the
//! command line renders them (`evaluate --format`, `guides`), from the feature log's last
//! recorded evaluation ([`blueprint_engine::report::recorded`]): the server does not reach a
//! tenant to show a page. The HTML report and the guides are self-contained pages (their own
//! inline styles) served sandboxed; JUnit, CSV and JSON are downloads.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::extract::{PageEngagement, ToRead};
use crate::pages::{engine_failure, not_found};

/// The policy of a self-contained report page: its inline styles and nothing else, in a
/// sandbox (no script, no access to this server's origin).
pub const REPORT_POLICY: &str =
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// The formats an evaluation report is offered in: (name in the URL, media type, extension).
pub const FORMATS: [(&str, &str, &str); 4] = [
    ("html", "text/html; charset=utf-8", "html"),
    ("junit", "application/xml; charset=utf-8", "xml"),
    ("csv", "text/csv; charset=utf-8", "csv"),
    ("json", "application/json", "json"),
];

/// Why a page is not shown: no session (to sign in), or the engagement's answer (404, 403).
/// A self-contained page (the HTML report, a guide), sandboxed.
fn page(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, REPORT_POLICY),
        ],
        html,
    )
        .into_response()
}

/// `GET /engagements/{id}/reports/{format}`: the evaluation report as the command line's
/// `evaluate --format` writes it; `html` shown, the others downloaded.
pub async fn report(
    engaged: PageEngagement<ToRead>,
    Path((_, format)): Path<(String, String)>,
) -> Response {
    let entry = engaged.entry();
    let Some(&(name, media, extension)) = FORMATS.iter().find(|(n, _, _)| *n == format) else {
        return not_found();
    };
    let input = match blueprint_engine::report::recorded(&entry.workspace).await {
        Ok(input) => input,
        Err(e) => return engine_failure(&e),
    };
    let body = match name {
        "html" => return page(blueprint_report::render_html(&input)),
        "junit" => blueprint_report::render_junit(&input),
        "csv" => blueprint_report::render_csv(&input),
        _ => blueprint_report::render_json(&input),
    };
    (
        [
            (header::CONTENT_TYPE, media.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-evaluation.{extension}\"",
                    entry.id()
                ),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /engagements/{id}/guides`: to the guides' index.
pub async fn guides_index(Path(id): Path<String>) -> Response {
    Redirect::to(&format!("/engagements/{id}/guides/index.html")).into_response()
}

/// `GET /engagements/{id}/guides/{file}`: a user guide (HTML shown, Markdown downloaded), for
/// the features the log shows in place, as `blueprint guides` writes them.
pub async fn guide(
    engaged: PageEngagement<ToRead>,
    Path((_, file)): Path<(String, String)>,
) -> Response {
    let entry = engaged.entry();
    let input = match blueprint_engine::report::recorded(&entry.workspace).await {
        Ok(input) => input,
        Err(e) => return engine_failure(&e),
    };
    let Some((name, contents)) = blueprint_report::render_guides(&input)
        .into_iter()
        .find(|(name, _)| *name == file)
    else {
        return not_found();
    };
    if name.ends_with(".html") {
        return page(contents);
    }
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        contents,
    )
        .into_response()
}
