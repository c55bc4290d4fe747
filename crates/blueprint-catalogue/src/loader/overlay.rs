//! An agency's overlay files: add, override or disable features.

use std::collections::HashMap;

use super::*;
use crate::kinds::{self};
use crate::node::{append_patch, merge_patch};
use crate::schema::CatalogueFileDoc;
use crate::source::{ErrorKind, FileId, Loc};

impl Loader {
    pub(crate) fn check_duplicate_ids(&mut self, features: &[Feature]) {
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

    pub(crate) fn apply_overlay(
        &mut self,
        file: FileId,
        doc: CatalogueFileDoc,
        features: &mut [Feature],
    ) {
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

    pub(crate) fn unknown_feature(&mut self, at: Loc, id: &str, ids: &[String], action: &str) {
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
}
