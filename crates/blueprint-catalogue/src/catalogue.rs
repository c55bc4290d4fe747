//! Loading a catalogue (built-in files plus an agency's overlays), validating it, and
//! answering questions about it: features, dependencies, coverage.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

use crate::coverage::{
    CoverageDoc, CoverageReport, CoverageStatus, CoverageTotals, Section, SectionCoverage,
};
use crate::kinds::{self, Api, IdentityKey, KindSpec, TENANT_REFERENCE_KINDS};
use crate::node::{Node, NodeValue, append_patch, merge_patch};
use crate::profile::{ParamType, parameter_type};
use crate::schema::{CatalogueFileDoc, Check, FeatureDoc, Prerequisite, ResourceDoc};
use crate::source::{Diagnostic, Diagnostics, ErrorKind, FileId, Loc, Sources};
use crate::template;

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

    fn loc<T>(&self, spanned: &Spanned<T>) -> Loc {
        Loc::from_saphyr(spanned.referenced).in_file(self.file)
    }
}

/// A resource's identity as written (templates unrendered): what references match against.
pub fn raw_identity(kind: &KindSpec, resource: &ResourceDoc) -> Option<String> {
    match kind.identity {
        IdentityKey::Singleton => Some(String::new()),
        IdentityKey::Property(p) => resource.desired.get(p)?.as_str().map(str::to_owned),
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
    features: Vec<Feature>,
    sections: Vec<Section>,
    /// For each feature, the features it depends on (explicit and through references).
    dependencies: Vec<BTreeSet<usize>>,
}

impl Catalogue {
    /// The built-in catalogue alone.
    pub fn builtin() -> Result<Catalogue, CatalogueError> {
        Catalogue::load(
            crate::builtin::coverage(),
            crate::builtin::files(),
            Vec::new(),
        )
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

fn read_overlay_dir(dir: &Path) -> Result<Vec<InputFile>, CatalogueError> {
    let io = |source| CatalogueError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    // Sorted, so overlays apply in the same order on every machine.
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| CatalogueError::Io {
                path: path.display().to_string(),
                source,
            })?;
            Ok(InputFile::new(path.display().to_string(), text))
        })
        .collect()
}

fn stamp_file(doc: &mut CatalogueFileDoc, file: FileId) {
    for feature in &mut doc.features {
        for resource in &mut feature.resources {
            resource.desired.stamp(file);
            for node in [&mut resource.create_only, &mut resource.hybrid]
                .into_iter()
                .flatten()
            {
                node.stamp(file);
            }
        }
    }
    for o in &mut doc.overrides {
        for node in [&mut o.merge, &mut o.append].into_iter().flatten() {
            node.stamp(file);
        }
    }
}

/// Story points on the planning scale the sprint plan uses.
const STORY_POINTS: [u8; 6] = [1, 2, 3, 5, 8, 13];

#[derive(Default)]
struct Loader {
    sources: Sources,
    problems: Diagnostics,
}

/// Where a resource is defined: (feature index, resource index).
type ResourceSite = (usize, usize);

impl Loader {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.problems.push(diagnostic);
    }

    fn at(&mut self, kind: ErrorKind, at: Loc, message: impl Into<String>) -> &mut Diagnostic {
        let diagnostic = self.sources.diagnostic(kind, at, message);
        self.problems.push(diagnostic);
        self.problems.0.last_mut().expect("just pushed")
    }

    /// Parses one YAML file; a syntax or schema error is recorded and `None` returned.
    fn parse<T: DeserializeOwned>(&mut self, file: FileId, text: &str) -> Option<T> {
        // An empty file (or one with only comments) is an empty catalogue file, not an error.
        let meaningful = text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && l.trim() != "---");
        let text = if meaningful { text } else { "{}" };
        match serde_saphyr::from_str::<T>(text) {
            Ok(doc) => Some(doc),
            Err(err) => {
                let (message, kind) = saphyr_message(&err);
                let at = err
                    .location()
                    .map(|l| Loc::from_saphyr(l).in_file(file))
                    .unwrap_or(Loc {
                        file,
                        line: 1,
                        column: 1,
                        ..Loc::default()
                    });
                self.at(kind, at, message);
                None
            }
        }
    }

    fn read_coverage(&mut self, input: &InputFile) -> Vec<Section> {
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

    fn check_duplicate_ids(&mut self, features: &[Feature]) {
        let mut first: HashMap<&str, &Feature> = HashMap::new();
        for feature in features {
            match first.get(feature.id()) {
                Some(earlier) => {
                    let earlier_at = earlier.loc(&earlier.doc.id);
                    let earlier_name = &self.sources.get(earlier_at.file).name;
                    let message = format!(
                        "duplicate feature id `{}` (first defined at {}:{}:{})",
                        feature.id(),
                        earlier_name,
                        earlier_at.line,
                        earlier_at.column
                    );
                    let help = if earlier.origin == Origin::Builtin
                        && feature.origin == Origin::Overlay
                    {
                        "to change a built-in feature, use `overrides` (or `disable` it with a justification) instead of redefining it"
                    } else {
                        "give each feature its own id"
                    };
                    self.at(
                        ErrorKind::DuplicateId,
                        feature.loc(&feature.doc.id),
                        message,
                    )
                    .help = Some(help.into());
                }
                None => {
                    first.insert(feature.id(), feature);
                }
            }
        }
    }

    fn apply_overlay(&mut self, file: FileId, doc: CatalogueFileDoc, features: &mut [Feature]) {
        let ids: Vec<String> = features.iter().map(|f| f.id().to_owned()).collect();
        for o in doc.overrides {
            let at = Loc::from_saphyr(o.feature.referenced).in_file(file);
            let Some(feature) = features.iter_mut().find(|f| f.id() == o.feature.value) else {
                self.unknown_feature(at, &o.feature.value, &ids, "override");
                continue;
            };
            if let Some(points) = &o.story_points {
                feature.doc.story_points = points.clone();
            }
            if let Some(reason) = &o.reason {
                feature.overridden.push(reason.clone());
            }
            if o.merge.is_none() && o.append.is_none() {
                continue;
            }
            let target = match &o.resource {
                Some(selector) => {
                    let found = feature.doc.resources.iter().position(|r| {
                        kinds::kind(&r.kind.value)
                            .and_then(|k| raw_identity(k, r).map(|id| reference_text(k.name, &id)))
                            .is_some_and(|text| text == selector.value)
                    });
                    if found.is_none() {
                        let at = Loc::from_saphyr(selector.referenced).in_file(file);
                        let known: Vec<String> = feature
                            .doc
                            .resources
                            .iter()
                            .filter_map(|r| {
                                kinds::kind(&r.kind.value).and_then(|k| {
                                    raw_identity(k, r).map(|id| reference_text(k.name, &id))
                                })
                            })
                            .collect();
                        self.at(
                            ErrorKind::InvalidOverlay,
                            at,
                            format!(
                                "feature `{}` has no resource `{}`",
                                o.feature.value, selector.value
                            ),
                        )
                        .help = Some(format!("its resources: {}", known.join(", ")));
                    }
                    found
                }
                None if feature.doc.resources.len() == 1 => Some(0),
                None => {
                    let what = if feature.doc.resources.is_empty() {
                        "has no resources to override (it is a manual feature)".to_owned()
                    } else {
                        format!(
                            "has {} resources: say which with `resource: kind:identity`",
                            feature.doc.resources.len()
                        )
                    };
                    self.at(
                        ErrorKind::InvalidOverlay,
                        at,
                        format!("feature `{}` {what}", o.feature.value),
                    );
                    None
                }
            };
            let Some(index) = target else { continue };
            let desired = &mut feature.doc.resources[index].desired;
            if let Some(patch) = &o.merge {
                merge_patch(desired, patch);
            }
            if let Some(patch) = &o.append {
                append_patch(desired, patch);
            }
        }
        for d in doc.disable {
            let at = Loc::from_saphyr(d.feature.referenced).in_file(file);
            let Some(feature) = features.iter_mut().find(|f| f.id() == d.feature.value) else {
                self.unknown_feature(at, &d.feature.value, &ids, "disable");
                continue;
            };
            if d.justification.value.trim().is_empty() {
                let at = Loc::from_saphyr(d.justification.referenced).in_file(file);
                self.at(
                    ErrorKind::MissingField,
                    at,
                    format!("disabling `{}` needs a justification", d.feature.value),
                )
                .help = Some(
                    "say why the agency departs from the blueprint; it is recorded in the feature log".into(),
                );
                continue;
            }
            feature.disabled = Some(d.justification.value.trim().to_owned());
        }
    }

    fn unknown_feature(&mut self, at: Loc, id: &str, ids: &[String], action: &str) {
        let hint = kinds::did_you_mean(id, ids.iter().map(String::as_str));
        let diagnostic = self.at(
            ErrorKind::InvalidOverlay,
            at,
            format!("cannot {action} `{id}`: no feature has that id"),
        );
        if let Some(s) = hint {
            diagnostic.help = Some(format!("did you mean `{s}`?"));
        }
    }

    fn validate(&mut self, features: Vec<Feature>, sections: Vec<Section>) -> Catalogue {
        let section_keys: HashSet<(&str, &str)> = sections
            .iter()
            .map(|s| (s.file.as_str(), s.heading.as_str()))
            .collect();
        // Resource index by reference text (`kind:identity`), and singleton owners by kind.
        let mut resources: HashMap<String, ResourceSite> = HashMap::new();
        let mut shared: HashMap<String, Vec<(ResourceSite, Vec<String>)>> = HashMap::new();
        for (fi, feature) in features.iter().enumerate() {
            self.check_feature_fields(feature, &section_keys, &sections);
            for (ri, resource) in feature.doc.resources.iter().enumerate() {
                let Some(kind) = self.check_resource(feature, resource) else {
                    // Index it anyway (by display name, the usual key) so that references to
                    // it do not pile further errors onto the one already reported.
                    if let Some(name) = resource.desired.get("displayName").and_then(Node::as_str) {
                        resources
                            .entry(reference_text(&resource.kind.value, name))
                            .or_insert((fi, ri));
                    }
                    continue;
                };
                let Some(identity) = raw_identity(kind, resource) else {
                    continue;
                };
                let text = reference_text(kind.name, &identity);
                // Singletons, and objects whose arrays are keyed (Group.Unified's `values`), may be
                // shared by several features as long as each owns different fields.
                let shareable = kind.is_singleton() || !kind.keyed_arrays.is_empty();
                if shareable {
                    let owned = owned_fields(kind, &resource.desired);
                    let owners = shared.entry(text.clone()).or_default();
                    for ((other_f, _), other_fields) in owners.iter() {
                        if let Some(field) = owned.iter().find(|f| other_fields.contains(f)) {
                            self.at(
                                ErrorKind::DuplicateResource,
                                resource.desired.at,
                                format!(
                                    "`{field}` of `{text}` is already set by feature `{}`",
                                    features[*other_f].id()
                                ),
                            )
                            .help =
                                Some("each field of a shared object belongs to one feature".into());
                        }
                    }
                    owners.push(((fi, ri), owned));
                    resources.entry(text).or_insert((fi, ri));
                    continue;
                }
                if let Some(&(other_f, _)) = resources.get(&text) {
                    let at = resource
                        .desired
                        .get(identity_property(kind))
                        .map_or(resource.desired.at, |n| n.at);
                    self.at(
                        ErrorKind::DuplicateResource,
                        at,
                        format!(
                            "`{text}` is already defined by feature `{}`",
                            features[other_f].id()
                        ),
                    );
                } else {
                    resources.insert(text, (fi, ri));
                }
            }
        }

        // References and dependencies: edges with the place that creates them.
        let ids: HashMap<&str, usize> = features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id(), i))
            .collect();
        let mut edges: Vec<Vec<(usize, Loc)>> = vec![Vec::new(); features.len()];
        for (fi, feature) in features.iter().enumerate() {
            for dependency in &feature.doc.depends_on {
                let at = feature.loc(dependency);
                match ids.get(dependency.value.as_str()) {
                    Some(&target) => edges[fi].push((target, at)),
                    None => {
                        let hint = kinds::did_you_mean(&dependency.value, ids.keys().copied());
                        let diagnostic = self.at(
                            ErrorKind::UnknownDependency,
                            at,
                            format!(
                                "feature `{}` depends on `{}`, which does not exist",
                                feature.id(),
                                dependency.value
                            ),
                        );
                        if let Some(s) = hint {
                            diagnostic.help = Some(format!("did you mean `{s}`?"));
                        }
                    }
                }
            }
            for (text, at, expect) in feature_references(feature) {
                if let Some((target, _)) = self.resolve_reference(&text, at, expect, &resources)
                    && target != fi
                {
                    edges[fi].push((target, at));
                }
            }
        }

        // Disabled features must not be needed by enabled ones.
        for (fi, feature) in features.iter().enumerate() {
            if feature.disabled.is_some() {
                continue;
            }
            for &(target, at) in &edges[fi] {
                if let Some(justification) = &features[target].disabled {
                    self.at(
                        ErrorKind::InvalidOverlay,
                        at,
                        format!(
                            "feature `{}` needs `{}`, which the overlay disables ({justification})",
                            feature.id(),
                            features[target].id()
                        ),
                    )
                    .help = Some(format!(
                        "disable `{}` too, or keep `{}`",
                        feature.id(),
                        features[target].id()
                    ));
                }
            }
        }

        self.check_cycles(&features, &edges);
        self.check_coverage(&features, &sections);

        let dependencies = edges
            .iter()
            .map(|e| e.iter().map(|(t, _)| *t).collect())
            .collect();
        Catalogue {
            sources: std::mem::take(&mut self.sources),
            features,
            sections,
            dependencies,
        }
    }

    fn check_feature_fields(
        &mut self,
        feature: &Feature,
        section_keys: &HashSet<(&str, &str)>,
        sections: &[Section],
    ) {
        let doc = &feature.doc;
        let id_at = feature.loc(&doc.id);
        let id_ok = !doc.id.value.is_empty()
            && doc.id.value.split('-').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
        if !id_ok {
            self.at(
                ErrorKind::InvalidValue,
                id_at,
                format!(
                    "feature id `{}` must be lower-case words separated by dashes",
                    doc.id.value
                ),
            );
        }
        if !STORY_POINTS.contains(&doc.story_points.value) {
            self.at(
                ErrorKind::InvalidValue,
                feature.loc(&doc.story_points),
                format!(
                    "story points {} are not on the planning scale (1, 2, 3, 5, 8, 13)",
                    doc.story_points.value
                ),
            );
        }
        if doc.abac.is_empty() {
            self.at(
                ErrorKind::MissingField,
                id_at,
                format!("feature `{}` has no ABAC reference", doc.id.value),
            )
            .help = Some(
                "every feature traces back to the ABAC section it implements: add `abac: [{file, heading}]`"
                    .into(),
            );
        }
        for reference in &doc.abac {
            let r = &reference.value;
            if !section_keys.contains(&(r.file.as_str(), r.heading.as_str())) {
                let candidates = sections
                    .iter()
                    .filter(|s| s.file == r.file)
                    .map(|s| s.heading.as_str());
                let hint = kinds::did_you_mean(&r.heading, candidates);
                let diagnostic = self.at(
                    ErrorKind::AbacCoverage,
                    feature.loc(reference),
                    format!(
                        "ABAC section `{}` of {} is not in the coverage table",
                        r.heading, r.file
                    ),
                );
                diagnostic.help = Some(match hint {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "use a level-2 or level-3 heading of an ABAC file, exactly as written"
                        .into(),
                });
            }
        }
        if doc.implementation.is_empty() {
            self.at(
                ErrorKind::MissingField,
                id_at,
                format!("feature `{}` lists no implementation type", doc.id.value),
            );
        }
        if doc.acceptance.is_empty() {
            self.at(
                ErrorKind::MissingField,
                id_at,
                format!("feature `{}` has no acceptance criteria", doc.id.value),
            );
        }
        for criterion in &doc.acceptance {
            if criterion.checks.is_empty() {
                self.at(
                    ErrorKind::MissingField,
                    id_at,
                    format!("acceptance criterion \"{}\" has no checks", criterion.text),
                )
                .help = Some(
                    "back each criterion with a check: matches, exists, member_of or attested"
                        .into(),
                );
            }
        }
        match (doc.resources.is_empty(), doc.manual.is_empty()) {
            (true, true) => {
                self.at(
                    ErrorKind::MissingField,
                    id_at,
                    format!(
                        "feature `{}` has neither resources nor manual steps",
                        doc.id.value
                    ),
                );
            }
            // A feature on Graph beta carries the portal steps a person follows when a workspace
            // turns beta off.
            (false, false) if feature.needs_beta() => {}
            (false, false) => {
                self.at(
                    ErrorKind::InvalidValue,
                    id_at,
                    format!(
                        "feature `{}` has both resources and manual steps",
                        doc.id.value
                    ),
                )
                .help = Some(
                    "split it: an automated feature and a manual one, so each has one status"
                        .into(),
                );
            }
            _ => {}
        }
    }

    /// Checks one resource's kind, fields and templates; returns its kind when known.
    fn check_resource(
        &mut self,
        feature: &Feature,
        resource: &ResourceDoc,
    ) -> Option<&'static KindSpec> {
        let kind_at = feature.loc(&resource.kind);
        let Some(kind) = kinds::kind(&resource.kind.value) else {
            let hint =
                kinds::did_you_mean(&resource.kind.value, kinds::KINDS.iter().map(|k| k.name));
            let known: Vec<&str> = kinds::KINDS.iter().map(|k| k.name).collect();
            self.at(
                ErrorKind::UnknownKind,
                kind_at,
                format!("unknown resource kind `{}`", resource.kind.value),
            )
            .help = Some(match hint {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("known kinds: {}", known.join(", ")),
            });
            return None;
        };
        if kind.prerequisite_only && resource.prerequisite != Some(Prerequisite::Always) {
            self.at(
                ErrorKind::InvalidValue,
                kind_at,
                format!("`{}` resources are only checked, never created", kind.name),
            )
            .help = Some("add `prerequisite: always`".into());
        }
        if resource.desired.entries().is_none() {
            self.at(
                ErrorKind::InvalidValue,
                resource.desired.at,
                "desired fields must be a mapping of Graph properties",
            );
            return None;
        }
        let odata_type = resource.desired.get("@odata.type").and_then(Node::as_str);
        if !kind.derived.is_empty() {
            let types: Vec<&str> = kind.derived.iter().map(|(t, _)| *t).collect();
            match odata_type {
                None => {
                    self.at(
                        ErrorKind::MissingField,
                        resource.desired.at,
                        format!("a {} needs `@odata.type`", kind.name),
                    )
                    .help = Some(format!("one of: {}", types.join(", ")));
                }
                Some(t) if !types.contains(&t) => {
                    let at = resource
                        .desired
                        .get("@odata.type")
                        .map_or(resource.desired.at, |n| n.at);
                    self.at(
                        ErrorKind::InvalidValue,
                        at,
                        format!("`{t}` is not a derived type of {}", kind.name),
                    )
                    .help = Some(format!("one of: {}", types.join(", ")));
                }
                _ => {}
            }
        }
        self.check_properties(kind, odata_type, &resource.desired, false);
        if let Some(hybrid) = &resource.hybrid {
            self.check_properties(kind, odata_type, hybrid, false);
        }
        if let Some(create_only) = &resource.create_only {
            self.check_properties(kind, odata_type, create_only, true);
        }
        if let IdentityKey::Property(p) = kind.identity {
            match resource.desired.get(p) {
                Some(n) if n.as_str().is_some_and(|s| !s.trim().is_empty()) => {}
                _ => {
                    self.at(
                        ErrorKind::MissingField,
                        resource.desired.at,
                        format!(
                            "a {} is identified by `{p}`, which the desired fields must set",
                            kind.name
                        ),
                    );
                }
            }
        }
        let in_for_each = match &resource.for_each {
            Some(param) => {
                let at = feature.loc(param);
                match parameter_type(&param.value) {
                    Some(ParamType::TextList) | Some(ParamType::CidrList) => {}
                    Some(ParamType::Text) => {
                        self.at(
                            ErrorKind::InvalidValue,
                            at,
                            format!("for_each needs a list parameter; `{}` is text", param.value),
                        );
                    }
                    None => {
                        self.at(
                            ErrorKind::UnknownTemplateParameter,
                            at,
                            format!("unknown template parameter `{}`", param.value),
                        );
                    }
                }
                true
            }
            None => false,
        };
        for node in [
            Some(&resource.desired),
            resource.create_only.as_ref(),
            resource.hybrid.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            self.check_templates(node, in_for_each);
        }
        Some(kind)
    }

    fn check_properties(
        &mut self,
        kind: &KindSpec,
        odata_type: Option<&str>,
        fields: &Node,
        create_only: bool,
    ) {
        let Some(entries) = fields.entries() else {
            self.at(
                ErrorKind::InvalidValue,
                fields.at,
                "expected a mapping of Graph properties",
            );
            return;
        };
        for (key, _) in entries {
            let allowed = if create_only {
                kind.create_only.contains(&key.name.as_str())
            } else {
                kind.allows(&key.name, odata_type)
            };
            if allowed {
                continue;
            }
            let message = if create_only {
                format!(
                    "`{}` is not a create-only property of {}",
                    key.name, kind.name
                )
            } else {
                format!(
                    "{} has no property `{}` in {}{}",
                    kind.name,
                    key.name,
                    kind.api.label(),
                    odata_type.map(|t| format!(" (as {t})")).unwrap_or_default()
                )
            };
            let hint = if create_only {
                (!kind.create_only.is_empty())
                    .then(|| format!("create-only properties: {}", kind.create_only.join(", ")))
            } else {
                kinds::did_you_mean(&key.name, kind.all_properties())
                    .map(|s| format!("did you mean `{s}`?"))
            };
            let diagnostic = self.at(ErrorKind::UnknownProperty, key.at, message);
            diagnostic.help = hint;
        }
    }

    fn check_templates(&mut self, node: &Node, in_for_each: bool) {
        let mut problems = Vec::new();
        node.walk(&mut Vec::new(), &mut |_, n| {
            if let Some(text) = n.as_str()
                && let Err(e) = template::check(text, in_for_each)
            {
                problems.push((n.at, text.to_owned(), e));
            }
        });
        for (at, text, error) in problems {
            let at = self.point_into_string(at, &text, error.offset);
            let diagnostic = self.at(ErrorKind::UnknownTemplateParameter, at, error.message);
            diagnostic.help = error.help;
        }
    }

    /// Moves a string node's location to the `{{` at `offset` within it, when the string sits
    /// on one line of the source (plain or quoted); otherwise keeps the node's location.
    fn point_into_string(&self, at: Loc, text: &str, offset: usize) -> Loc {
        let ordinal = text[..offset.min(text.len())].matches("{{").count();
        let Some(line) = crate::source::line_of(&self.sources.get(at.file).text, at.line) else {
            return at;
        };
        let start: usize = line
            .chars()
            .take(at.column.saturating_sub(1) as usize)
            .map(char::len_utf8)
            .sum();
        let Some(rest) = line.get(start..) else {
            return at;
        };
        let Some((byte, _)) = rest.match_indices("{{").nth(ordinal) else {
            return at;
        };
        let column = at.column + rest[..byte].chars().count() as u64;
        Loc {
            column,
            offset: at.offset.map(|o| o + byte),
            len: 2,
            ..at
        }
    }

    fn resolve_reference(
        &mut self,
        text: &str,
        at: Loc,
        expect: Option<&str>,
        resources: &HashMap<String, ResourceSite>,
    ) -> Option<ResourceSite> {
        let singleton = kinds::kind(text)
            .filter(|k| k.is_singleton())
            .map(|k| (k.name, ""));
        let Some((kind_name, identity)) = singleton.or_else(|| text.split_once(':')) else {
            self.at(
                ErrorKind::UnknownReference,
                at,
                format!("`{text}` is not a reference: expected `kind:identity`"),
            )
            .help = Some("e.g. `group:grp-Conditional_Access_Exclude`".into());
            return None;
        };
        if let Some(expected) = expect
            && kind_name != expected
        {
            self.at(
                ErrorKind::UnknownReference,
                at,
                format!("`{text}` must refer to a {expected}"),
            );
            return None;
        }
        if TENANT_REFERENCE_KINDS.contains(&kind_name) {
            let guid = crate::profile::TenantId::parse(identity).is_ok();
            if identity != "*" && !guid {
                self.at(
                    ErrorKind::UnknownReference,
                    at,
                    format!(
                        "`{text}`: a {kind_name} reference takes `*` (all) or a template id (GUID)"
                    ),
                );
            }
            return None;
        }
        if kinds::kind(kind_name).is_none() {
            let hint = kinds::did_you_mean(
                kind_name,
                kinds::KINDS
                    .iter()
                    .map(|k| k.name)
                    .chain(TENANT_REFERENCE_KINDS.iter().copied()),
            );
            let diagnostic = self.at(
                ErrorKind::UnknownKind,
                at,
                format!("unknown resource kind `{kind_name}` in reference `{text}`"),
            );
            if let Some(s) = hint {
                diagnostic.help = Some(format!("did you mean `{s}`?"));
            }
            return None;
        }
        match resources.get(text) {
            Some(&site) => Some(site),
            None => {
                let same_kind = resources
                    .keys()
                    .filter(|k| k.starts_with(&format!("{kind_name}:")));
                let hint = kinds::did_you_mean(text, same_kind.map(String::as_str));
                let diagnostic = self.at(
                    ErrorKind::UnknownReference,
                    at,
                    format!("`{text}` does not match any resource in the catalogue"),
                );
                diagnostic.help = Some(match hint {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "define it in a feature (as a prerequisite if the agency already has it); {} resources: {}",
                        kind_name,
                        {
                            let mut names: Vec<&str> = resources
                                .keys()
                                .filter(|k| k.starts_with(&format!("{kind_name}:")))
                                .map(String::as_str)
                                .collect();
                            names.sort_unstable();
                            if names.is_empty() {
                                "none".to_owned()
                            } else {
                                names.join(", ")
                            }
                        }
                    ),
                });
                None
            }
        }
    }

    fn check_cycles(&mut self, features: &[Feature], edges: &[Vec<(usize, Loc)>]) {
        // Iterative-free recursion is fine here: catalogues hold hundreds of features, not
        // millions, and the depth is bounded by the longest dependency chain.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        fn visit(
            node: usize,
            edges: &[Vec<(usize, Loc)>],
            marks: &mut [Mark],
            stack: &mut Vec<usize>,
            cycles: &mut Vec<(Vec<usize>, Loc)>,
        ) {
            marks[node] = Mark::Active;
            stack.push(node);
            for &(next, at) in &edges[node] {
                match marks[next] {
                    Mark::New => visit(next, edges, marks, stack, cycles),
                    Mark::Active => {
                        let start = stack.iter().position(|&n| n == next).unwrap_or(0);
                        cycles.push((stack[start..].to_vec(), at));
                    }
                    Mark::Done => {}
                }
            }
            stack.pop();
            marks[node] = Mark::Done;
        }
        let mut marks = vec![Mark::New; features.len()];
        let mut cycles = Vec::new();
        for start in 0..features.len() {
            if marks[start] == Mark::New {
                visit(start, edges, &mut marks, &mut Vec::new(), &mut cycles);
            }
        }
        let mut reported = HashSet::new();
        for (members, at) in cycles {
            let key: BTreeSet<usize> = members.iter().copied().collect();
            if !reported.insert(key) {
                continue;
            }
            let mut path: Vec<&str> = members.iter().map(|&i| features[i].id()).collect();
            path.push(features[members[0]].id());
            self.at(ErrorKind::DependencyCycle, at, format!("dependency cycle: {}", path.join(" → ")))
                .help = Some("a feature cannot depend, directly or through references, on itself: remove one of these dependencies".into());
        }
    }

    fn check_coverage(&mut self, features: &[Feature], sections: &[Section]) {
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

fn identity_property(kind: &KindSpec) -> &'static str {
    match kind.identity {
        IdentityKey::Property(p) => p,
        IdentityKey::Singleton => "",
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

/// The parts of a singleton a resource sets: top-level properties, or `property[key]` items of
/// keyed arrays, so two features can share one singleton without fighting over a field.
fn owned_fields(kind: &KindSpec, desired: &Node) -> Vec<String> {
    let mut owned = Vec::new();
    for (key, value) in desired.entries().unwrap_or_default() {
        if matches!(kind.identity, IdentityKey::Property(p) if p == key.name) {
            continue;
        }
        let keyed = kind.keyed_arrays.iter().find(|(p, _)| *p == key.name);
        match (keyed, &value.value) {
            (Some((_, item_key)), NodeValue::Seq(items)) => {
                for item in items {
                    let name = item.get(item_key).and_then(Node::as_str).unwrap_or("?");
                    owned.push(format!("{}[{name}]", key.name));
                }
            }
            _ => owned.push(key.name.clone()),
        }
    }
    owned
}

/// Every reference a feature makes: `$ref` markers in its resources and the targets of its
/// checks, each with where it is written and the kind it must have (if any).
fn feature_references(feature: &Feature) -> Vec<(String, Loc, Option<&'static str>)> {
    let mut found = Vec::new();
    for resource in &feature.doc.resources {
        for node in [
            Some(&resource.desired),
            resource.create_only.as_ref(),
            resource.hybrid.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            node.walk(&mut Vec::new(), &mut |_, n| {
                if let Some((text, at)) = n.as_reference() {
                    found.push((text.to_owned(), at, None));
                }
            });
        }
    }
    for criterion in &feature.doc.acceptance {
        for check in &criterion.checks {
            match check {
                Check::Matches(r) | Check::Exists(r) => {
                    found.push((r.value.clone(), feature.loc(r), None))
                }
                Check::MemberOf { member, group } => {
                    found.push((member.value.clone(), feature.loc(member), Some("user")));
                    found.push((group.value.clone(), feature.loc(group), Some("group")));
                }
                Check::Attested(_) => {}
            }
        }
    }
    found
}

/// The message of a serde-saphyr error without its own location prefix and snippet (we render
/// our own), and the kind of mistake it reports.
fn saphyr_message(err: &serde_saphyr::Error) -> (String, ErrorKind) {
    let rendered = err.to_string();
    let first = rendered.lines().next().unwrap_or_default();
    let mut message = first.strip_prefix("error: ").unwrap_or(first);
    // "line 2 column 1: unknown field …"
    if let Some(rest) = message.strip_prefix("line ")
        && let Some((_, after)) = rest.split_once(": ")
    {
        message = after;
    }
    let message = message.trim().to_owned();
    let kind = if message.contains("unknown field") {
        ErrorKind::UnknownField
    } else if message.contains("missing field") {
        ErrorKind::MissingField
    } else if message.contains("unknown variant")
        || message.contains("invalid type")
        || message.contains("invalid value")
    {
        ErrorKind::InvalidValue
    } else {
        ErrorKind::Syntax
    };
    (message, kind)
}
