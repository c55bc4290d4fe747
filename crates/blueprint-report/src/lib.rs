//! Renderers for an evaluation of the live tenant: plain text, a self-contained HTML report,
//! JUnit XML for pipeline dashboards, CSV, a documented and versioned JSON document (see the
//! crate README), and staff user guides (Markdown and HTML). Also the Deploy phase's planning tools: the sprint
//! plan (Markdown, CSV, versioned JSON, HTML) and the user stories (Markdown, and CSV for Jira
//! or Azure Boards).
//!
//! The crate only renders: the caller assembles a [`ReportInput`] from the engine's evaluation,
//! the catalogue and the state store (a [`SprintPlanInput`] or [`StoriesInput`] likewise).
//! The catalogue's list, features and ABAC coverage are rendered here too ([`catalogue`]), and
//! the engine's plan ([`plan`]) and an engagement's status ([`status`]): their plain data lives
//! here, the engine fills it in and re-exports it.
//! Every string that can come from the tenant or the agency (display names, actual values, the
//! agency's name) is escaped for the format it lands in.

pub mod catalogue;
mod csv;
mod escape;
mod guides;
mod html;
mod json;
mod junit;
mod log;
pub mod plan;
mod sprints;
pub mod status;
mod stories;
mod text;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use blueprint_graph::Refusal;
pub use csv::render_csv;
pub use escape::{escape_html, escape_xml};
pub use guides::render_guides;
pub use html::{burn_up_svg, render_html};
pub use json::{SCHEMA, render_json};
pub use junit::render_junit;
pub use log::{render_log_json, render_log_text};
pub use sprints::{
    SPRINTS_SCHEMA, SprintFeature, SprintInput, SprintPlanInput, render_sprints_csv,
    render_sprints_html, render_sprints_json, render_sprints_markdown, render_sprints_text,
    sprints_document,
};
pub use stories::{
    StoriesInput, StoriesTarget, StoryInput, render_stories_csv, render_stories_markdown,
};
pub use text::{render_text, render_text_outstanding};

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    /// The agency's name (from its profile).
    pub agency: String,
    pub tenant_id: String,
    /// When the evaluation ran (RFC 3339).
    pub generated_at: String,
    pub catalogue_version: String,
    /// Date of the ABAC documents the catalogue encodes.
    pub abac_source_date: String,
    /// The CC BY 4.0 attribution of the blueprint's documents.
    pub attribution: String,
    /// One per selected feature, in the order they were evaluated.
    pub features: Vec<FeatureReport>,
    /// The sprint burn-up: features completed, cumulatively, per deploy run.
    pub burn_up: Vec<BurnUpPoint>,
}

/// One selected feature's evaluation and what the catalogue says about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReport {
    pub id: String,
    pub title: String,
    pub area: String,
    pub status: Status,
    /// ABAC sections the feature implements; the first is the primary one.
    pub abac: Vec<AbacRef>,
    /// Essential Eight mitigation strategies the feature contributes to (kebab-case names).
    pub essential_eight: Vec<String>,
    /// Settings that do not match.
    pub findings: Vec<SettingFinding>,
    /// Objects that should exist and do not.
    pub missing: Vec<String>,
    /// What changes for staff, in plain words (the user guide's "What changes for me").
    pub user_impact: String,
    /// What staff do about it (the user guide's "What I do now").
    pub user_action: String,
    /// For a manual feature, the feature log's attestation that stands (none while it awaits
    /// one). Evaluation cannot see a manual feature; a person's evidence is what proves it.
    pub attestation: Option<Attestation>,
    /// For a feature not verified, the failed change of the last deploy that changed it (none
    /// when that deploy's changes to it went through).
    #[serde(default)]
    pub deploy_failure: Option<DeployFailure>,
    /// The feature is deployed and evaluated through Microsoft Graph beta (Microsoft's preview
    /// surface): reports mark it, as `plan` does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub graph_beta: bool,
}

impl FeatureReport {
    /// The attestation of a manual feature someone attested (none for any other feature).
    pub fn attested(&self) -> Option<&Attestation> {
        self.attestation
            .as_ref()
            .filter(|_| self.status == Status::Manual)
    }

    /// Done: verified in the tenant, or attested when manual.
    pub fn is_done(&self) -> bool {
        self.status == Status::Pass || self.attested().is_some()
    }

    /// The words a person reads for the feature's status.
    pub fn label(&self) -> &'static str {
        if self.attested().is_some() {
            "Manual: attested"
        } else {
            self.status.label()
        }
    }
}

/// Who attested a manual feature, when, and to what evidence (from its `attested` log entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// RFC 3339, UTC.
    pub time: String,
    pub actor: String,
    /// `agency` or `partner`.
    pub role: String,
    /// The evidence's file name or URL.
    pub evidence: String,
    /// The evidence's digest as the log records it (`sha256:` and hex).
    pub evidence_digest: String,
    pub note: String,
}

impl Attestation {
    /// One line: who, when, what evidence and its digest, and the note.
    pub fn summary(&self) -> String {
        format!(
            "attested by {} ({}) at {}: {} ({}): {}",
            self.actor,
            self.role,
            self.when(),
            self.evidence,
            self.evidence_digest,
            self.note
        )
    }

    /// When, to the second, as a person reads it: `2026-11-20 04:05:06 UTC`.
    pub fn when(&self) -> String {
        to_the_second(&self.time)
    }
}

/// A change a deploy could not make: to which object, why, and the service's own answer when it
/// refused the request (its error code and message, and the request id Microsoft support asks
/// for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployFailure {
    /// The object (`group:grp-Conditional_Access_Exclude`).
    pub reference: String,
    /// What failed, as the deploy reported it.
    pub error: String,
    pub refused: Option<Refusal>,
}

impl DeployFailure {
    /// One line: the object, then the service's status, code, message and request id (or,
    /// when no service refused it, the error).
    pub fn describe(&self) -> String {
        match &self.refused {
            Some(r) => format!(
                "{}: {} answered HTTP {} {}: {} (request-id {}, client-request-id {})",
                self.reference,
                r.service,
                r.status,
                r.code,
                r.message,
                r.request_id.as_deref().unwrap_or("none"),
                r.client_request_id
            ),
            None => format!("{}: {}", self.reference, self.error),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotDeployed,
    Manual,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pass,
        Status::Fail,
        Status::NotDeployed,
        Status::Manual,
    ];

    /// The machine name, as in the JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotDeployed => "not-deployed",
            Status::Manual => "manual",
        }
    }

    /// The words a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "Verified",
            Status::Fail => "Failed",
            Status::NotDeployed => "Not deployed",
            Status::Manual => "Manual (awaiting attestation)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbacRef {
    /// File in the ABAC folder, e.g. `conditional-access-policies.md`.
    pub file: String,
    /// Heading in that file.
    pub heading: String,
}

/// One setting on one object that does not hold its desired value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingFinding {
    /// The object (`conditionalAccessPolicy:BLOCK – Legacy Authentication`).
    pub reference: String,
    /// The setting's path within the object.
    pub path: String,
    pub expected: Value,
    pub actual: Value,
}

impl SettingFinding {
    /// One line: `reference path: expected X, actual Y` (the CSV cell's and JUnit's wording).
    pub fn describe(&self) -> String {
        format!(
            "{} {}: expected {}, actual {}",
            self.reference,
            self.path,
            show_value(&self.expected),
            show_value(&self.actual)
        )
    }
}

/// The burn-up after one deploy run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnUpPoint {
    /// What the x axis shows (`run 3`).
    pub label: String,
    /// Features completed by the end of this run, cumulatively.
    pub completed: usize,
}

/// Counts of one area (or of the whole report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub selected: usize,
    pub pass: usize,
    pub fail: usize,
    pub not_deployed: usize,
    pub manual: usize,
    /// Manual features attested (of `manual`); the rest await attestation.
    pub attested: usize,
}

impl Tally {
    fn add(&mut self, feature: &FeatureReport) {
        self.selected += 1;
        match feature.status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::NotDeployed => self.not_deployed += 1,
            Status::Manual => self.manual += 1,
        }
        self.attested += usize::from(feature.attested().is_some());
    }

    /// Manual features still awaiting an attestation.
    pub fn awaiting(&self) -> usize {
        self.manual - self.attested
    }
}

impl ReportInput {
    /// The whole report's counts.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for f in &self.features {
            t.add(f);
        }
        t
    }

    /// Whether every selected feature is done: verified, or attested when manual.
    pub fn all_done(&self) -> bool {
        self.features.iter().all(FeatureReport::is_done)
    }

    /// Counts per area, in the order areas first appear.
    pub fn areas(&self) -> Vec<(String, Tally)> {
        let mut areas: Vec<(String, Tally)> = Vec::new();
        for f in &self.features {
            match areas.iter_mut().find(|(a, _)| *a == f.area) {
                Some((_, t)) => t.add(f),
                None => {
                    let mut t = Tally::default();
                    t.add(f);
                    areas.push((f.area.clone(), t));
                }
            }
        }
        areas
    }
}

/// An RFC 3339 UTC time as a person reads it, to the second: `2026-11-20 04:05:06 UTC`.
/// Anything else is returned as given.
pub fn to_the_second(time: &str) -> String {
    match time.get(..19) {
        Some(seconds) if time.ends_with('Z') && time.as_bytes().get(10) == Some(&b'T') => {
            format!("{} UTC", seconds.replacen('T', " ", 1))
        }
        _ => time.to_string(),
    }
}

/// A value as a person reads it: strings bare, absent as `(none)`, the rest as compact JSON.
pub(crate) fn show_value(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An Essential Eight strategy's name as ASD writes it.
pub(crate) fn essential_eight_label(key: &str) -> String {
    match key {
        "application-control" => "Application control".into(),
        "patch-applications" => "Patch applications".into(),
        "macro-settings" => "Configure Microsoft Office macro settings".into(),
        "user-application-hardening" => "User application hardening".into(),
        "restrict-admin-privileges" => "Restrict administrative privileges".into(),
        "patch-operating-systems" => "Patch operating systems".into(),
        "multi-factor-authentication" => "Multi-factor authentication".into(),
        "regular-backups" => "Regular backups".into(),
        other => other.to_string(),
    }
}
