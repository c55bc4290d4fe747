//! Loading a catalogue (built-in files plus an agency's overlays), validating it, and
//! answering questions about it: features, dependencies, coverage.

use std::collections::BTreeSet;
use std::path::Path;

use serde_saphyr::Spanned;

use crate::coverage::{CoverageReport, CoverageStatus, CoverageTotals, Section, SectionCoverage};
use crate::kinds::{self, Api, IdentityKey, KindSpec};
use crate::loader::{Loader, read_overlay_dir, stamp_file};
use crate::schema::{CatalogueFileDoc, FeatureDoc, ResourceDoc};
use crate::source::{Diagnostics, ErrorKind, FileId, Loc, Sources};

/// Why a feature that needs Graph beta is manual when the workspace turns beta off.
pub const BETA_OFF_REASON: &str = "needs Microsoft Graph beta, which this workspace turns off ([graph] beta = false in blueprint.toml): a person performs its manual steps and attests them";

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The files were read but are not a valid catalogue; every problem is listed.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// An overlay directory or file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Where a feature came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Overlay,
}

/// Whether a person or the engine implements a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureStatus {
    Automated,
    Manual,
}

impl FeatureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureStatus::Automated => "automated",
            FeatureStatus::Manual => "manual",
        }
    }
}

/// A feature as loaded, overlays applied.
#[derive(Debug, Clone)]
pub struct Feature {
    pub doc: FeatureDoc,
    pub file: FileId,
    pub origin: Origin,
    /// Set when an overlay disables the feature: the agency's justification.
    pub disabled: Option<String>,
    /// Reasons an overlay gave for changing the feature.
    pub overridden: Vec<String>,
    /// Set when the feature has resources but the workspace turned off the API they need
    /// (`[graph] beta = false`): why a person performs it instead.
    pub manual_because: Option<String>,
}

impl Feature {
    pub fn id(&self) -> &str {
        &self.doc.id.value
    }

    pub fn status(&self) -> FeatureStatus {
        if self.doc.resources.is_empty() || self.manual_because.is_some() {
            FeatureStatus::Manual
        } else {
            FeatureStatus::Automated
        }
    }

    /// The APIs the feature's resources are reached through, each once, in order.
    pub fn apis(&self) -> Vec<Api> {
        let mut apis: Vec<Api> = self
            .doc
            .resources
            .iter()
            .filter_map(|r| kinds::kind(&r.kind.value).map(|k| k.api))
            .collect();
        apis.sort();
        apis.dedup();
        apis
    }

    /// Whether any of its resources needs Microsoft Graph beta.
    pub fn needs_beta(&self) -> bool {
        self.apis().contains(&Api::GraphBeta)
    }

    pub(crate) fn loc<T>(&self, spanned: &Spanned<T>) -> Loc {
        Loc::from_saphyr(spanned.referenced).in_file(self.file)
    }
}

/// A resource's identity as written (templates unrendered): what references match against.
pub fn raw_identity(kind: &KindSpec, resource: &ResourceDoc) -> Option<String> {
    match kind.identity {
        IdentityKey::Singleton => Some(String::new()),
        IdentityKey::Property(p) => {
            let name = resource.desired.get(p)?.as_str()?;
            match kind.access.identity_qualifier {
                Some(q) => Some(kinds::qualified_identity(
                    name,
                    resource.desired.get(q)?.as_str()?,
                )),
                None => Some(name.to_owned()),
            }
        }
    }
}

/// One input file: a display name and its text.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub name: String,
    pub text: String,
}

impl InputFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> InputFile {
        InputFile {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// A loaded, valid catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub sources: Sources,
    pub(crate) features: Vec<Feature>,
    pub(crate) sections: Vec<Section>,
    /// For each feature, the features it depends on (explicit and through references).
    pub(crate) dependencies: Vec<BTreeSet<usize>>,
}

impl Catalogue {
    /// The built-in catalogue alone. It is parsed and validated once per process: the files
    /// are compiled in, so every later call is a copy (a server opening a hundred agencies'
    /// workspaces spent most of its start parsing the same YAML a hundred times).
    pub fn builtin() -> Result<Catalogue, CatalogueError> {
        static BUILTIN: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        if let Some(parsed) = BUILTIN.get() {
            return Ok(parsed.clone());
        }
        let parsed = Catalogue::load(
            crate::builtin::coverage(),
            crate::builtin::files(),
            Vec::new(),
        )?;
        Ok(BUILTIN.get_or_init(|| parsed).clone())
    }

    /// The built-in catalogue with the overlay files (`*.yaml`, `*.yml`) of a directory.
    pub fn with_overlay_dir(dir: &Path) -> Result<Catalogue, CatalogueError> {
        let overlays = read_overlay_dir(dir)?;
        Catalogue::load(
            crate::builtin::coverage(),
            crate::builtin::files(),
            overlays,
        )
    }

    /// Loads and validates a catalogue from its parts. The built-in catalogue and the CLI go
    /// through here; tests use it to supply their own files.
    pub fn load(
        coverage: InputFile,
        builtin: Vec<InputFile>,
        overlays: Vec<InputFile>,
    ) -> Result<Catalogue, CatalogueError> {
        let mut loader = Loader::default();
        let sections = loader.read_coverage(&coverage);
        let mut features = Vec::new();
        let mut overlay_docs = Vec::new();
        for (input, origin) in builtin
            .iter()
            .map(|f| (f, Origin::Builtin))
            .chain(overlays.iter().map(|f| (f, Origin::Overlay)))
        {
            let file = loader.sources.add(input.name.clone(), input.text.as_str());
            let Some(mut doc) = loader.parse::<CatalogueFileDoc>(file, &input.text) else {
                continue;
            };
            stamp_file(&mut doc, file);
            for feature in std::mem::take(&mut doc.features) {
                features.push(Feature {
                    doc: feature,
                    file,
                    origin,
                    disabled: None,
                    overridden: Vec::new(),
                    manual_because: None,
                });
            }
            if origin == Origin::Builtin && (!doc.overrides.is_empty() || !doc.disable.is_empty()) {
                let at = Loc {
                    file,
                    line: 1,
                    column: 1,
                    ..Loc::default()
                };
                loader.error(loader.sources.diagnostic(
                    ErrorKind::InvalidOverlay,
                    at,
                    "built-in catalogue files hold features only",
                ));
            }
            overlay_docs.push((file, doc));
        }
        loader.check_duplicate_ids(&features);
        for (file, doc) in overlay_docs {
            loader.apply_overlay(file, doc, &mut features);
        }
        let catalogue = loader.validate(features, sections);
        if loader.problems.is_empty() {
            Ok(catalogue)
        } else {
            loader.problems.sort();
            Err(CatalogueError::Invalid(loader.problems))
        }
    }

    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    pub fn feature(&self, id: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.id() == id)
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The ids a feature depends on: its `depends_on` and the owners of what it references.
    pub fn dependencies(&self, id: &str) -> Vec<&str> {
        let Some(index) = self.features.iter().position(|f| f.id() == id) else {
            return Vec::new();
        };
        let mut ids: Vec<&str> = self.dependencies[index]
            .iter()
            .map(|&i| self.features[i].id())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Everything a feature builds on, directly or through other features, in id order.
    pub fn all_dependencies(&self, id: &str) -> std::collections::BTreeSet<&str> {
        let mut all = std::collections::BTreeSet::new();
        let mut pending = self.dependencies(id);
        while let Some(dependency) = pending.pop() {
            if all.insert(dependency) {
                pending.extend(self.dependencies(dependency));
            }
        }
        all
    }

    /// Features in an order where each comes after everything it depends on (ties in file
    /// order). The catalogue is acyclic once loaded, so this always covers every feature.
    pub fn topological_order(&self) -> Vec<&Feature> {
        let mut placed = vec![false; self.features.len()];
        let mut order = Vec::new();
        while order.len() < self.features.len() {
            let before = order.len();
            for (i, feature) in self.features.iter().enumerate() {
                if !placed[i] && self.dependencies[i].iter().all(|&d| placed[d]) {
                    placed[i] = true;
                    order.push(feature);
                }
            }
            if order.len() == before {
                break; // unreachable for a validated catalogue
            }
        }
        order
    }

    /// The catalogue as a workspace that turned Graph beta off (`[graph] beta = false`) sees it:
    /// every feature that needs a beta kind becomes manual, with the reason, and its manual
    /// steps (the portal fallback each beta feature carries) are what a person performs.
    pub fn without_beta(mut self) -> Catalogue {
        for feature in &mut self.features {
            if feature.needs_beta() {
                feature.manual_because = Some(BETA_OFF_REASON.to_string());
            }
        }
        self
    }

    /// The catalogue as a workspace with this profile sees it: a feature automated only when
    /// parameters are set (`automated_when_set`) that the profile leaves unset becomes manual,
    /// with the reason naming them, so it neither deploys nor stops the others; its manual
    /// steps are what a person performs until the agency supplies them.
    pub fn for_profile(mut self, profile: &crate::AgencyProfile) -> Catalogue {
        for feature in &mut self.features {
            if feature.manual_because.is_some() {
                continue;
            }
            let unset: Vec<&str> = feature
                .doc
                .automated_when_set
                .iter()
                .map(|p| p.value.as_str())
                .filter(|p| profile.lookup(p).is_none())
                .collect();
            if !unset.is_empty() {
                feature.manual_because = Some(format!(
                    "needs {}, which the profile does not set ([params] in blueprint.toml): until it does, a person performs its manual steps and attests them",
                    unset.join(" and ")
                ));
            }
        }
        self
    }

    /// The ABAC coverage report.
    pub fn coverage(&self) -> CoverageReport {
        let mut rows = Vec::new();
        for section in &self.sections {
            let implementing: Vec<&Feature> =
                self.features
                    .iter()
                    .filter(|f| {
                        f.doc.abac.iter().any(|r| {
                            r.value.file == section.file && r.value.heading == section.heading
                        })
                    })
                    .collect();
            let automated = implementing
                .iter()
                .any(|f| f.status() == FeatureStatus::Automated);
            let manual = implementing
                .iter()
                .any(|f| f.status() == FeatureStatus::Manual);
            let status = match (&section.out_of_scope, automated) {
                (Some(_), _) if implementing.is_empty() => CoverageStatus::OutOfScope,
                (_, true) => CoverageStatus::Automated,
                _ => CoverageStatus::Manual,
            };
            rows.push(SectionCoverage {
                file: section.file.clone(),
                heading: section.heading.clone(),
                status,
                partly_manual: automated && manual,
                features: implementing.iter().map(|f| f.id().to_owned()).collect(),
                reason: section
                    .out_of_scope
                    .clone()
                    .filter(|_| status == CoverageStatus::OutOfScope),
            });
        }
        let count = |s: CoverageStatus| rows.iter().filter(|r| r.status == s).count();
        let totals = CoverageTotals {
            sections: rows.len(),
            automated: count(CoverageStatus::Automated),
            partly_manual: rows.iter().filter(|r| r.partly_manual).count(),
            manual: count(CoverageStatus::Manual),
            out_of_scope: count(CoverageStatus::OutOfScope),
        };
        CoverageReport {
            sections: rows,
            totals,
        }
    }
}

/// `kind:identity` (or just `kind` for singletons).
pub fn reference_text(kind: &str, identity: &str) -> String {
    if identity.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}:{identity}")
    }
}
