//! Validating a feature's resources against their kinds: properties, templates, identities.

use super::*;
use crate::kinds::{self, IdentityKey, KindSpec};
use crate::node::{Node, NodeValue};
use crate::profile::{ParamType, parameter_type};
use crate::schema::{Prerequisite, ResourceDoc};
use crate::source::{ErrorKind, Loc};
use crate::template;

impl Loader {
    /// Checks one resource's kind, fields and templates; returns its kind when known.
    pub(crate) fn check_resource(
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
        if kind.is_checked_only() && resource.prerequisite != Some(Prerequisite::Always) {
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
        if kind.name == kinds::dns::DNS_RECORD.name {
            let field = |name: &str| resource.desired.get(name);
            let expected_from = field(kinds::dns::EXPECTED_FROM);
            if let Some(problem) = kinds::dns::desired_problem(
                field(kinds::dns::RECORD).and_then(Node::as_str),
                field(kinds::dns::VALUE).is_some(),
                expected_from.and_then(Node::as_str),
            ) {
                let at = expected_from.map_or(resource.desired.at, |n| n.at);
                self.at(ErrorKind::InvalidValue, at, problem);
            }
        }
        if let Some(hybrid) = &resource.hybrid {
            self.check_properties(kind, odata_type, hybrid, false);
        }
        if let Some(create_only) = &resource.create_only {
            self.check_properties(kind, odata_type, create_only, true);
        }
        let identified_by: Vec<&str> = match kind.identity {
            IdentityKey::Property(p) => std::iter::once(p)
                .chain(kind.access.identity_qualifier)
                .collect(),
            IdentityKey::Singleton => Vec::new(),
        };
        for p in identified_by {
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
        let each = match &resource.for_each {
            Some(param) => {
                let at = feature.loc(param);
                match parameter_type(&param.value) {
                    Some(
                        t @ (ParamType::TextList | ParamType::CidrList | ParamType::Records(_)),
                    ) => Some(t),
                    Some(ParamType::Text) => {
                        self.at(
                            ErrorKind::InvalidValue,
                            at,
                            format!("for_each needs a list parameter; `{}` is text", param.value),
                        );
                        Some(ParamType::TextList)
                    }
                    Some(ParamType::NameValues) => {
                        self.at(
                            ErrorKind::InvalidValue,
                            at,
                            format!(
                                "for_each needs a list parameter; `{}` is a table of name/value pairs, a whole value (a list box's entries)",
                                param.value
                            ),
                        );
                        Some(ParamType::TextList)
                    }
                    None => {
                        self.at(
                            ErrorKind::UnknownTemplateParameter,
                            at,
                            format!("unknown template parameter `{}`", param.value),
                        );
                        Some(ParamType::TextList)
                    }
                }
            }
            None => None,
        };
        for node in [
            Some(&resource.desired),
            resource.create_only.as_ref(),
            resource.hybrid.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            self.check_templates(node, each);
        }
        Some(kind)
    }

    pub(crate) fn check_properties(
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

    pub(crate) fn check_templates(&mut self, node: &Node, each: Option<ParamType>) {
        let mut problems = Vec::new();
        node.walk(&mut Vec::new(), &mut |_, n| {
            if let Some(text) = n.as_str()
                && let Err(e) = template::check(text, each)
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
    pub(crate) fn point_into_string(&self, at: Loc, text: &str, offset: usize) -> Loc {
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
}

pub(crate) fn identity_property(kind: &KindSpec) -> &'static str {
    match kind.identity {
        IdentityKey::Property(p) => p,
        IdentityKey::Singleton => "",
    }
}

/// The parts of a singleton a resource sets: top-level properties, or `property[key]` items of
/// keyed arrays, so two features can share one singleton without fighting over a field.
pub(crate) fn owned_fields(kind: &KindSpec, desired: &Node) -> Vec<String> {
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
