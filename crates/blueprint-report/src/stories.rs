//! User stories, one per selected feature: Markdown for people, and CSV that imports into Jira
//! or Azure Boards as it is.
//!
//! The two trackers want different files, so the CSV has a target ([`StoriesTarget`]):
//!
//! - **Jira** (the default): `Summary`, `Description`, `Acceptance Criteria`, `Story Points`,
//!   `Sprint`, then one `Labels` column per label — Jira's CSV importer takes several labels as
//!   repeated `Labels` columns, and a label cannot hold a space, so labels are slugs.
//! - **Azure Boards** (Agile process): `Work Item Type` (`User Story`), `Title`, `Description`,
//!   `Acceptance Criteria`, `Story Points`, `Iteration Path` (`<project>\Sprint N`: Azure Boards
//!   paths start at the project), `Tags` separated by `; `. Description and acceptance
//!   criteria are HTML fields there, so they are written as escaped HTML.

use serde::{Deserialize, Serialize};

use crate::csv::push_row;
use crate::escape::{escape_html as h, escape_markdown as md};
use crate::sprints::count;
use crate::{AbacRef, essential_eight_label};

/// Everything the user stories show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoriesInput {
    /// The agency's name (from its profile).
    pub agency: String,
    /// When the document was written (RFC 3339).
    pub generated_at: String,
    /// In catalogue order.
    pub stories: Vec<StoryInput>,
    /// The CC BY 4.0 attribution of the blueprint's documents (the stories come from them).
    pub attribution: String,
}

/// One feature's user story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryInput {
    pub id: String,
    pub title: String,
    pub area: String,
    /// "As a …" (the role, without the article: `agency security officer`).
    pub as_a: String,
    /// "I want …".
    pub want: String,
    /// "so that …".
    pub so_that: String,
    /// The acceptance criteria, as sentences.
    pub acceptance: Vec<String>,
    pub story_points: u32,
    /// The sprint it is scheduled in, when a sprint plan is recorded.
    pub sprint: Option<u32>,
    /// Essential Eight strategies, kebab-case (`multi-factor-authentication`).
    pub essential_eight: Vec<String>,
    /// ABAC sections; the first is the primary one.
    pub abac: Vec<AbacRef>,
    /// Ids of the features it needs.
    pub depends_on: Vec<String>,
}

/// The tracker a stories CSV is written for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoriesTarget {
    #[default]
    Jira,
    /// Azure Boards, whose iteration paths start with the project's name.
    AzureBoards { project: String },
}

impl StoryInput {
    /// "As an agency security officer, I want …, so that …."
    pub fn sentence(&self) -> String {
        let so_that = self.so_that.trim_end_matches('.');
        format!(
            "As {} {}, I want {}, so that {}.",
            article(&self.as_a),
            self.as_a,
            self.want,
            so_that
        )
    }

    /// Labels for a tracker: the area, each Essential Eight strategy (`e8-…`) and the primary
    /// ABAC document (`abac-…`), as lower-case slugs without spaces.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = vec![slug(&self.area)];
        labels.extend(
            self.essential_eight
                .iter()
                .map(|e| format!("e8-{}", slug(e))),
        );
        if let Some(primary) = self.abac.first() {
            let file = primary.file.trim_end_matches(".md");
            labels.push(format!("abac-{}", slug(file)));
        }
        labels.retain(|l| !l.is_empty() && l != "e8-" && l != "abac-");
        let mut seen = std::collections::BTreeSet::new();
        labels.retain(|l| seen.insert(l.clone()));
        labels
    }

    fn abac_text(&self) -> String {
        self.abac
            .iter()
            .map(|a| format!("{} § {}", a.file, a.heading))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn essential_eight_text(&self) -> String {
        self.essential_eight
            .iter()
            .map(|e| essential_eight_label(e))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// "a" or "an", by the first letter (good enough for the catalogue's roles).
fn article(noun: &str) -> &'static str {
    match noun
        .trim_start()
        .chars()
        .next()
        .map(|c| c.to_ascii_lowercase())
    {
        Some('a' | 'e' | 'i' | 'o') => "an",
        _ => "a",
    }
}

/// Lower-case ASCII letters, digits and single dashes.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The stories as Markdown: one section per story with its acceptance criteria as a checklist.
pub fn render_stories_markdown(input: &StoriesInput) -> String {
    let mut out = format!(
        "# User stories — {}\n\n{}, {}. Generated {}.\n",
        md(&input.agency),
        count(input.stories.len(), "story"),
        count(
            input.stories.iter().map(|s| s.story_points).sum::<u32>() as usize,
            "story point"
        ),
        md(&input.generated_at)
    );
    for s in &input.stories {
        let sprint = s
            .sprint
            .map_or_else(|| "not scheduled".to_string(), |n| format!("sprint {n}"));
        let points = count(s.story_points as usize, "story point");
        out.push_str(&format!(
            "\n## {}\n\n{} · {} · {points} · {sprint}\n\n{}\n\n**Acceptance criteria**\n\n",
            md(&s.title),
            md(&s.id),
            md(&s.area),
            md(&s.sentence())
        ));
        for a in &s.acceptance {
            out.push_str(&format!("- [ ] {}\n", md(a)));
        }
        out.push_str(&format!("\nLabels: {}\n", md(&s.labels().join(", "))));
        if !s.abac.is_empty() {
            out.push_str(&format!("ABAC: {}\n", md(&s.abac_text())));
        }
        if !s.essential_eight.is_empty() {
            out.push_str(&format!(
                "Essential Eight: {}\n",
                md(&s.essential_eight_text())
            ));
        }
        if !s.depends_on.is_empty() {
            out.push_str(&format!("Depends on: {}\n", md(&s.depends_on.join(", "))));
        }
    }
    out.push_str(&format!("\n---\n\n{}\n", md(&input.attribution)));
    out
}

/// The stories as CSV (RFC 4180) for the target tracker's importer.
pub fn render_stories_csv(input: &StoriesInput, target: &StoriesTarget) -> String {
    match target {
        StoriesTarget::Jira => jira_csv(input),
        StoriesTarget::AzureBoards { project } => azure_boards_csv(input, project),
    }
}

fn jira_csv(input: &StoriesInput) -> String {
    let labels: Vec<Vec<String>> = input.stories.iter().map(StoryInput::labels).collect();
    let label_columns = labels.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut out = String::new();
    let mut header: Vec<String> = [
        "Summary",
        "Description",
        "Acceptance Criteria",
        "Story Points",
        "Sprint",
    ]
    .map(String::from)
    .to_vec();
    header.extend(std::iter::repeat_n("Labels".to_string(), label_columns));
    push_row(&mut out, header);
    for (s, labels) in input.stories.iter().zip(labels) {
        let mut description = format!("{}\n\nBlueprint feature: {}", s.sentence(), s.id);
        if !s.abac.is_empty() {
            description.push_str(&format!("\nABAC: {}", s.abac_text()));
        }
        if !s.essential_eight.is_empty() {
            description.push_str(&format!("\nEssential Eight: {}", s.essential_eight_text()));
        }
        if !s.depends_on.is_empty() {
            description.push_str(&format!("\nDepends on: {}", s.depends_on.join(", ")));
        }
        let acceptance = s
            .acceptance
            .iter()
            .map(|a| format!("* {a}"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut row = vec![
            s.title.clone(),
            description,
            acceptance,
            s.story_points.to_string(),
            s.sprint.map(|n| format!("Sprint {n}")).unwrap_or_default(),
        ];
        let count = labels.len();
        row.extend(labels);
        row.extend(std::iter::repeat_n(String::new(), label_columns - count));
        push_row(&mut out, row);
    }
    out
}

fn azure_boards_csv(input: &StoriesInput, project: &str) -> String {
    let mut out = String::new();
    push_row(
        &mut out,
        [
            "Work Item Type",
            "Title",
            "Description",
            "Acceptance Criteria",
            "Story Points",
            "Iteration Path",
            "Tags",
        ]
        .map(String::from)
        .to_vec(),
    );
    for s in &input.stories {
        let mut description = format!(
            "<p>{}</p><p>Blueprint feature: <code>{}</code></p>",
            h(&s.sentence()),
            h(&s.id)
        );
        if !s.abac.is_empty() {
            description.push_str(&format!("<p>ABAC: {}</p>", h(&s.abac_text())));
        }
        if !s.essential_eight.is_empty() {
            description.push_str(&format!(
                "<p>Essential Eight: {}</p>",
                h(&s.essential_eight_text())
            ));
        }
        if !s.depends_on.is_empty() {
            description.push_str(&format!(
                "<p>Depends on: {}</p>",
                h(&s.depends_on.join(", "))
            ));
        }
        let acceptance = if s.acceptance.is_empty() {
            String::new()
        } else {
            format!(
                "<ul>{}</ul>",
                s.acceptance
                    .iter()
                    .map(|a| format!("<li>{}</li>", h(a)))
                    .collect::<String>()
            )
        };
        push_row(
            &mut out,
            vec![
                "User Story".into(),
                s.title.clone(),
                description,
                acceptance,
                s.story_points.to_string(),
                s.sprint
                    .map(|n| format!("{project}\\Sprint {n}"))
                    .unwrap_or_default(),
                s.labels().join("; "),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_and_slugs() {
        assert_eq!(article("agency security officer"), "an");
        assert_eq!(article("records manager"), "a");
        assert_eq!(
            slug("Multi-factor authentication!"),
            "multi-factor-authentication"
        );
        assert_eq!(
            slug("  Conditional  Access -- Policies "),
            "conditional-access-policies"
        );
    }
}
