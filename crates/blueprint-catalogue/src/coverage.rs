//! The ABAC coverage table: every section of the blueprint's As Built As Configured documents,
//! and how this catalogue accounts for it: automated (a feature with resources), manual (a
//! feature a person performs and attests), or out of scope (with the reason).

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::source::Loc;

/// `coverage.yaml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CoverageDoc {
    pub sections: Vec<SectionGroupDoc>,
}

/// Sections of one ABAC file that share a status reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SectionGroupDoc {
    pub file: String,
    pub headings: Vec<Spanned<String>>,
    /// Why these sections are outside what the tool does. Absent: features account for them.
    #[serde(default)]
    pub out_of_scope: Option<String>,
}

/// One ABAC section (a level-2 or level-3 heading; a repeated level-3 heading is written
/// `Parent > Child`; a page without headings is listed by its title).
#[derive(Debug, Clone)]
pub struct Section {
    pub file: String,
    pub heading: String,
    pub out_of_scope: Option<String>,
    pub(crate) at: Loc,
}

/// How a section is accounted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageStatus {
    /// At least one feature with resources implements it (some settings of the section may
    /// still be in a manual feature: see `partly_manual`).
    Automated,
    /// Only manual features implement it.
    Manual,
    OutOfScope,
}

impl CoverageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageStatus::Automated => "automated",
            CoverageStatus::Manual => "manual",
            CoverageStatus::OutOfScope => "out-of-scope",
        }
    }
}

/// One row of the coverage report.
#[derive(Debug, Clone, Serialize)]
pub struct SectionCoverage {
    pub file: String,
    pub heading: String,
    pub status: CoverageStatus,
    /// Automated, but some of its settings are in manual features.
    pub partly_manual: bool,
    /// The features that implement it.
    pub features: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The whole coverage report with its totals.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageReport {
    pub sections: Vec<SectionCoverage>,
    pub totals: CoverageTotals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CoverageTotals {
    pub sections: usize,
    pub automated: usize,
    pub partly_manual: usize,
    pub manual: usize,
    pub out_of_scope: usize,
}
