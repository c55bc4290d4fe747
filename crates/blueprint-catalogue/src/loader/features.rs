//! Validating the features: their fields, and the catalogue they make.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::coverage::Section;
use crate::kinds::{self};
use crate::node::Node;
use crate::source::{ErrorKind, Loc};

impl Loader {
    pub(crate) fn validate(&mut self, features: Vec<Feature>, sections: Vec<Section>) -> Catalogue {
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

    pub(crate) fn check_feature_fields(
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
        for param in &doc.automated_when_set {
            if !param.value.starts_with("params.")
                || crate::profile::parameter_type(&param.value).is_none()
            {
                self.at(
                    ErrorKind::InvalidValue,
                    feature.loc(param),
                    format!(
                        "automated_when_set names `{}`, which is not an agency parameter (params.…)",
                        param.value
                    ),
                );
            }
        }
        if !doc.automated_when_set.is_empty() && (doc.resources.is_empty() || doc.manual.is_empty())
        {
            self.at(
                ErrorKind::InvalidValue,
                id_at,
                format!(
                    "feature `{}` is automated only when parameters are set: it needs both resources and the manual steps a person performs until then",
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
            // turns beta off; one automated only when parameters are set, the steps a person
            // follows until they are.
            (false, false) if feature.needs_beta() || !doc.automated_when_set.is_empty() => {}
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
}
