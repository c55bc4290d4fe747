//! The sprint plan: Markdown for a wiki, CSV for a spreadsheet, the versioned JSON document
//! (`blueprint.sprints/1`, documented in the crate README) and one self-contained HTML page.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::csv::push_row;
use crate::escape::{escape_html as h, escape_markdown as md};
use crate::html::head_with_style;

/// The schema name and version of the sprint plan document. A new major version changes or
/// removes a field; adding a field keeps the version.
pub const SPRINTS_SCHEMA: &str = "blueprint.sprints/1";

/// Everything a sprint plan shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SprintPlanInput {
    /// The agency's name (from its profile).
    pub agency: String,
    /// When the document was written (RFC 3339).
    pub generated_at: String,
    /// Story points per sprint.
    pub capacity: u32,
    /// In sprint order; only sprints that hold a feature.
    pub sprints: Vec<SprintInput>,
    /// The CC BY 4.0 attribution of the blueprint's documents (titles come from them).
    pub attribution: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SprintInput {
    pub number: u32,
    /// In delivery order.
    pub features: Vec<SprintFeature>,
}

impl SprintInput {
    pub fn points(&self) -> u32 {
        self.features.iter().map(|f| f.story_points).sum()
    }
}

/// One feature in its sprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SprintFeature {
    pub id: String,
    pub title: String,
    pub area: String,
    pub story_points: u32,
    /// Where it stands according to the feature log (`scheduled`, `deployed`, `verified`, …).
    pub state: String,
    /// Why it is in this sprint, in words.
    pub reason: String,
}

impl SprintPlanInput {
    fn total_points(&self) -> u32 {
        self.sprints.iter().map(SprintInput::points).sum()
    }

    fn feature_count(&self) -> usize {
        self.sprints.iter().map(|s| s.features.len()).sum()
    }

    fn summary(&self) -> String {
        format!(
            "{}, {}, in {} of {}.",
            count(self.feature_count(), "feature"),
            count(self.total_points() as usize, "story point"),
            count(self.sprints.len(), "sprint"),
            count(self.capacity as usize, "story point")
        )
    }
}

/// "1 feature", "2 features" (`noun` takes an `s` for the plural).
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else if let Some(stem) = noun.strip_suffix('y') {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {noun}s")
    }
}

/// The plan as Markdown: one table per sprint.
pub fn render_sprints_markdown(input: &SprintPlanInput) -> String {
    let mut out = format!(
        "# Sprint plan — {}\n\n{} Generated {}.\n",
        md(&input.agency),
        input.summary(),
        md(&input.generated_at)
    );
    if input.sprints.is_empty() {
        out.push_str("\nNo features are scheduled.\n");
    }
    for sprint in &input.sprints {
        out.push_str(&format!(
            "\n## Sprint {} — {} of {} points\n\n\
| Feature | Title | Area | Points | State | Why this sprint |\n\
|---|---|---|---:|---|---|\n",
            sprint.number,
            sprint.points(),
            input.capacity
        ));
        for f in &sprint.features {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md(&f.id),
                md(&f.title),
                md(&f.area),
                f.story_points,
                md(&f.state),
                md(&f.reason)
            ));
        }
    }
    out.push_str(&format!("\n---\n\n{}\n", md(&input.attribution)));
    out
}

/// The plan as CSV (RFC 4180): one row per feature, in sprint and delivery order.
pub fn render_sprints_csv(input: &SprintPlanInput) -> String {
    let mut out = String::new();
    push_row(
        &mut out,
        [
            "sprint",
            "id",
            "title",
            "area",
            "story_points",
            "state",
            "reason",
        ]
        .map(String::from)
        .to_vec(),
    );
    for sprint in &input.sprints {
        for f in &sprint.features {
            push_row(
                &mut out,
                vec![
                    sprint.number.to_string(),
                    f.id.clone(),
                    f.title.clone(),
                    f.area.clone(),
                    f.story_points.to_string(),
                    f.state.clone(),
                    f.reason.clone(),
                ],
            );
        }
    }
    out
}

/// The plan as the versioned JSON document, pretty-printed, with a final newline.
pub fn render_sprints_json(input: &SprintPlanInput) -> String {
    serde_json::to_string_pretty(&sprints_document(input)).unwrap_or_default() + "\n"
}

/// The JSON document as a value, for a caller that adds to it.
pub fn sprints_document(input: &SprintPlanInput) -> Value {
    let sprints: Vec<Value> = input
        .sprints
        .iter()
        .map(|s| {
            json!({
                "sprint": s.number,
                "points": s.points(),
                "features": s.features,
            })
        })
        .collect();
    json!({
        "schema": SPRINTS_SCHEMA,
        "agency": input.agency,
        "generated_at": input.generated_at,
        "capacity": input.capacity,
        "summary": {
            "sprints": input.sprints.len(),
            "features": input.feature_count(),
            "story_points": input.total_points(),
        },
        "sprints": sprints,
        "attribution": input.attribution,
    })
}

const SPRINT_CSS: &str = r#"
.sprint h2 { display: flex; justify-content: space-between; align-items: baseline; gap: 16px; }
.sprint h2 .load { font-weight: normal; color: var(--muted); font-size: .85em; }
meter { width: 100%; height: 10px; display: block; margin: 0 0 8px; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: .85em; white-space: nowrap; border: 1px solid var(--line); }
.state.verified, .state.attested { background: var(--pass); color: #fff; border-color: var(--pass); }
.state.deployed { background: #e7f3ea; border-color: var(--pass); }
.state.drifted { background: var(--fail); color: #fff; border-color: var(--fail); }
td.why { color: var(--muted); }
@media print { meter { display: none; } .state { color: var(--ink) !important; background: none !important; } }
"#;

/// The plan as one self-contained HTML page (inline CSS, no scripts, no external assets).
pub fn render_sprints_html(input: &SprintPlanInput) -> String {
    let mut out = head_with_style(&format!("Sprint plan — {}", input.agency), SPRINT_CSS);
    out.push_str(&format!(
        "<body>\n<header>\n<h1>Sprint plan — <span id=\"agency\">{}</span></h1>\n\
<p class=\"meta\"><span id=\"summary\">{}</span> Generated <time id=\"generated-at\">{}</time>.</p>\n</header>\n<main>\n",
        h(&input.agency),
        h(&input.summary()),
        h(&input.generated_at)
    ));
    if input.sprints.is_empty() {
        out.push_str("<p id=\"no-sprints\">No features are scheduled.</p>\n");
    }
    for sprint in &input.sprints {
        let points = sprint.points();
        out.push_str(&format!(
            "<section class=\"sprint\" id=\"sprint-{n}\">\n<h2>Sprint {n} <span class=\"load\">{points} of {cap} points</span></h2>\n\
<meter min=\"0\" max=\"{max}\" value=\"{points}\" aria-label=\"Sprint {n}: {points} of {cap} story points\"></meter>\n\
<table>\n<thead><tr><th>Feature</th><th>Area</th><th>Points</th><th>State</th><th>Why this sprint</th></tr></thead>\n<tbody>\n",
            n = sprint.number,
            cap = input.capacity,
            max = input.capacity.max(points),
        ));
        for f in &sprint.features {
            out.push_str(&format!(
                "<tr class=\"feature\" id=\"feature-{id}\" data-sprint=\"{n}\"><td><strong>{title}</strong><br><code>{id}</code></td>\
<td>{area}</td><td class=\"num\">{points}</td><td><span class=\"state {state}\">{state}</span></td><td class=\"why\">{why}</td></tr>\n",
                id = h(&f.id),
                n = sprint.number,
                title = h(&f.title),
                area = h(&f.area),
                points = f.story_points,
                state = h(&f.state),
                why = h(&f.reason),
            ));
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str(&format!(
        "</main>\n<footer>\n<p>Generated by blueprint. {}</p>\n</footer>\n</body>\n</html>\n",
        h(&input.attribution)
    ));
    out
}

/// The plan for a terminal: one block per sprint, a line per feature with its reason.
pub fn render_sprints_text(input: &SprintPlanInput) -> String {
    let features: usize = input.sprints.iter().map(|s| s.features.len()).sum();
    let points: u32 = input.sprints.iter().map(SprintInput::points).sum();
    let count = |n: usize, noun: &str| {
        if n == 1 {
            format!("1 {noun}")
        } else {
            format!("{n} {noun}s")
        }
    };
    let mut out = format!(
        "Sprint plan for {}: {}, {}, {} of {}.\n",
        input.agency,
        count(features, "feature"),
        count(points as usize, "story point"),
        count(input.sprints.len(), "sprint"),
        count(input.capacity as usize, "story point"),
    );
    let width = input
        .sprints
        .iter()
        .flat_map(|s| &s.features)
        .map(|f| f.id.chars().count())
        .max()
        .unwrap_or(0);
    for sprint in &input.sprints {
        out.push_str(&format!(
            "\nSprint {} — {} of {} points\n",
            sprint.number,
            sprint.points(),
            input.capacity
        ));
        for f in &sprint.features {
            out.push_str(&format!(
                "  {:<width$} {:>3}  {:<12} {:<10} {}\n",
                f.id, f.story_points, f.area, f.state, f.reason
            ));
        }
    }
    out
}
