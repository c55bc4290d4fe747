//! References between features' objects: resolved to their owners, no cycles.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::*;
use crate::kinds::{self, TENANT_REFERENCE_KINDS};
use crate::schema::Check;
use crate::source::{ErrorKind, Loc};

impl Loader {
    pub(crate) fn resolve_reference(
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

    pub(crate) fn check_cycles(&mut self, features: &[Feature], edges: &[Vec<(usize, Loc)>]) {
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
}

/// Every reference a feature makes: `$ref` markers in its resources and the targets of its
/// checks, each with where it is written and the kind it must have (if any).
pub(crate) fn feature_references(feature: &Feature) -> Vec<(String, Loc, Option<&'static str>)> {
    let mut found = Vec::new();
    for resource in &feature.doc.resources {
        // A kind that adds settings to another kind's objects needs the object that one
        // creates: the base resource of the same identity (the adding kind's own identity
        // property: Exchange names the Graph group's displayName `DisplayName`) is a reference.
        let odata_type = resource.desired.get("@odata.type").and_then(|n| n.as_str());
        if let Some(kind) = kinds::kind(&resource.kind.value)
            && let Some(base) = kind.adds_to(odata_type)
            && let kinds::IdentityKey::Property(p) = kind.identity
            && let Some(node) = resource.desired.get(p)
            && let Some(identity) = node.as_str()
        {
            found.push((
                reference_text(base.name, identity),
                node.at,
                Some(base.name),
            ));
        }
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
