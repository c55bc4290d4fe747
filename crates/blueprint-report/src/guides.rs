//! User guides for staff: one page per feature in place (verified, or attested when manual),
//! from the catalogue's user impact (what changes for me) and user action (what I do now), plus
//! an index, in Markdown and HTML.

use crate::escape::{escape_html as h, escape_markdown as md, file_stem};
use crate::html::head;
use crate::{FeatureReport, ReportInput};

/// The guides as `(file name, contents)`: `index.md`, `index.html`, and `<feature>.md` and
/// `<feature>.html` for every feature in place: verified in the tenant, or, when no API reaches
/// it, attested by the people who set it up. File names are `[a-z0-9-]` only.
pub fn render_guides(input: &ReportInput) -> Vec<(String, String)> {
    let in_place: Vec<&FeatureReport> = input.features.iter().filter(|f| f.is_done()).collect();
    let mut files = Vec::new();

    let mut index_md = format!(
        "# What is changing in Microsoft 365 at {}\n\n\
These changes are in place in our Microsoft 365 tenant. Each page says what changes for you and \
what you need to do.\n\n",
        md(&input.agency)
    );
    let mut index_html = head(&format!("What is changing — {}", input.agency));
    index_html.push_str(&format!(
        "<body>\n<main>\n<h1>What is changing in Microsoft 365 at {}</h1>\n\
<p>These changes are in place in our Microsoft 365 tenant. Each page says what changes for you and \
what you need to do.</p>\n<ul id=\"guides\">\n",
        h(&input.agency)
    ));
    if in_place.is_empty() {
        index_md.push_str("No changes are in place yet.\n");
        index_html.push_str("<li>No changes are in place yet.</li>\n");
    }
    for f in &in_place {
        let stem = file_stem(&f.id);
        index_md.push_str(&format!("- [{}]({stem}.md)\n", md(&f.title)));
        index_html.push_str(&format!(
            "<li><a href=\"{stem}.html\">{}</a></li>\n",
            h(&f.title)
        ));
        files.push((
            format!("{stem}.md"),
            format!(
                "# {}\n\n## What changes for me\n\n{}\n\n## What I do now\n\n{}\n\n[All changes](index.md)\n",
                md(&f.title),
                md(&f.user_impact),
                md(&f.user_action)
            ),
        ));
        let mut page = head(&f.title);
        page.push_str(&format!(
            "<body>\n<main>\n<h1>{}</h1>\n<h2>What changes for me</h2>\n<p>{}</p>\n\
<h2>What I do now</h2>\n<p>{}</p>\n<p><a href=\"index.html\">All changes</a></p>\n</main>\n</body>\n</html>\n",
            h(&f.title),
            h(&f.user_impact),
            h(&f.user_action)
        ));
        files.push((format!("{stem}.html"), page));
    }
    index_html.push_str(&format!(
        "</ul>\n</main>\n<footer><p>{}</p></footer>\n</body>\n</html>\n",
        h(&input.attribution)
    ));
    index_md.push_str(&format!("\n---\n\n{}\n", md(&input.attribution)));
    files.insert(0, ("index.html".into(), index_html));
    files.insert(0, ("index.md".into(), index_md));
    files
}
