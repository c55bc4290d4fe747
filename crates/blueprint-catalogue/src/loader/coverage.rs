//! The ABAC coverage table: read, and checked against the features (both directions).

use std::collections::HashSet;

use super::*;
use crate::coverage::{CoverageDoc, Section};
use crate::source::{ErrorKind, Loc};

impl Loader {
    pub(crate) fn read_coverage(&mut self, input: &InputFile) -> Vec<Section> {
        let file = self.sources.add(input.name.clone(), input.text.as_str());
        let Some(doc) = self.parse::<CoverageDoc>(file, &input.text) else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        let mut sections = Vec::new();
        for group in doc.sections {
            for heading in group.headings {
                let at = Loc::from_saphyr(heading.referenced).in_file(file);
                if !seen.insert((group.file.clone(), heading.value.clone())) {
                    self.at(
                        ErrorKind::AbacCoverage,
                        at,
                        format!(
                            "section `{}` of {} is listed twice",
                            heading.value, group.file
                        ),
                    );
                }
                sections.push(Section {
                    file: group.file.clone(),
                    heading: heading.value,
                    out_of_scope: group.out_of_scope.clone(),
                    at,
                });
            }
        }
        sections
    }

    pub(crate) fn check_coverage(&mut self, features: &[Feature], sections: &[Section]) {
        let referenced: HashSet<(&str, &str)> = features
            .iter()
            .flat_map(|f| {
                f.doc
                    .abac
                    .iter()
                    .map(|r| (r.value.file.as_str(), r.value.heading.as_str()))
            })
            .collect();
        for section in sections {
            if section.out_of_scope.is_none()
                && !referenced.contains(&(section.file.as_str(), section.heading.as_str()))
            {
                self.at(
                    ErrorKind::AbacCoverage,
                    section.at,
                    format!(
                        "ABAC section `{}` of {} is not accounted for",
                        section.heading, section.file
                    ),
                )
                .help = Some(
                    "reference it from a feature's `abac`, or mark it `out_of_scope` with a reason"
                        .into(),
                );
            }
        }
    }
}
