//! The catalogue loader: reads the built-in files and an agency's overlays, and collects every
//! problem at its file:line:col. One module per job: coverage, overlays, features, resources,
//! references.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::catalogue::*;
use crate::schema::CatalogueFileDoc;
use crate::source::{Diagnostic, Diagnostics, ErrorKind, FileId, Loc, Sources};

mod coverage;
mod features;
mod overlay;
mod references;
mod resources;

pub(crate) use references::feature_references;
pub(crate) use resources::{identity_property, owned_fields};

/// Story points on the planning scale the sprint plan uses.
pub(crate) const STORY_POINTS: [u8; 6] = [1, 2, 3, 5, 8, 13];

#[derive(Default)]
pub(crate) struct Loader {
    pub(crate) sources: Sources,
    pub(crate) problems: Diagnostics,
}

/// Where a resource is defined: (feature index, resource index).
pub(crate) type ResourceSite = (usize, usize);

impl Loader {
    pub(crate) fn error(&mut self, diagnostic: Diagnostic) {
        self.problems.push(diagnostic);
    }

    pub(crate) fn at(
        &mut self,
        kind: ErrorKind,
        at: Loc,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let diagnostic = self.sources.diagnostic(kind, at, message);
        self.problems.push(diagnostic);
        self.problems.0.last_mut().expect("just pushed")
    }

    /// Parses one YAML file; a syntax or schema error is recorded and `None` returned.
    pub(crate) fn parse<T: DeserializeOwned>(&mut self, file: FileId, text: &str) -> Option<T> {
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
}

pub(crate) fn read_overlay_dir(dir: &Path) -> Result<Vec<InputFile>, CatalogueError> {
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

pub(crate) fn stamp_file(doc: &mut CatalogueFileDoc, file: FileId) {
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

/// The message of a serde-saphyr error without its own location prefix and snippet (we render
/// our own), and the kind of mistake it reports.
pub(crate) fn saphyr_message(err: &serde_saphyr::Error) -> (String, ErrorKind) {
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
