//! Rendering a feature's resources for one agency: the desired state the engine plans from.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalogue::{Catalogue, Feature, reference_text};
use crate::kinds::{self, IdentityKey};
use crate::node::{Node, NodeValue, REF_KEY, marker, merge_patch};
use crate::profile::AgencyProfile;
use crate::schema::{ImplementationType, Prerequisite};
use crate::source::{Diagnostics, ErrorKind};
use crate::template::{self, RenderProblem};

/// One tenant object as the agency should have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredObject {
    /// The feature that owns it.
    pub feature: String,
    pub kind: String,
    /// Path of its collection (or of the singleton), `/beta/…` for a Graph beta kind.
    pub path: String,
    /// The property that identifies it (`displayName`, `templateId`, …); `None` for singletons.
    pub identity_key: Option<String>,
    /// Its identity value, rendered (empty for singletons).
    pub identity: String,
    /// `kind:identity` as references name it (rendered).
    pub reference: String,
    /// Checked to exist, never created or changed.
    pub prerequisite: bool,
    /// Only these fields are compared with the tenant and sent on PATCH/POST. References are
    /// `{"$ref": "kind:identity"}` markers for the engine to replace with object ids.
    pub desired: Value,
    /// Sent only on POST.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_only: Option<Value>,
    /// The `kind:identity` references inside `desired` and `create_only`, in order.
    pub references: Vec<String>,
}

impl Catalogue {
    /// The desired state of one feature for an agency. Disabled features render too (a person
    /// may want to see what they decline); the caller decides what to deploy.
    pub fn render_feature(
        &self,
        feature: &Feature,
        profile: &AgencyProfile,
    ) -> Result<Vec<DesiredObject>, Diagnostics> {
        let mut objects = Vec::new();
        let mut problems = Diagnostics::default();
        for resource in &feature.doc.resources {
            let Some(kind) = kinds::kind(&resource.kind.value) else {
                continue;
            };
            if resource
                .only
                .is_some_and(|only| only != profile.agency.implementation)
            {
                continue;
            }
            let hybrid = profile.agency.implementation == ImplementationType::Hybrid;
            let mut desired = resource.desired.clone();
            if let (true, Some(patch)) = (hybrid, &resource.hybrid) {
                merge_patch(&mut desired, patch);
            }
            let elements: Vec<Option<Value>> = match &resource.for_each {
                // A list the profile leaves unset stops the feature, as any missing
                // parameter does (an empty list is the agency's own: no objects).
                Some(param) => match profile.lookup(&param.value) {
                    Some(list) => list
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(Some)
                        .collect(),
                    None => {
                        problems.push(
                            self.sources
                                .diagnostic(
                                    ErrorKind::InvalidParameter,
                                    feature.loc(param),
                                    format!(
                                        "feature `{}` needs `{}`, which the agency profile does not set",
                                        feature.id(),
                                        param.value
                                    ),
                                )
                                .with_help("set it in the profile's [params], or disable the feature in an overlay with a justification"),
                        );
                        Vec::new()
                    }
                },
                None => vec![None],
            };
            for each in elements {
                let mut render = |node: &Node| {
                    render_node(self, node, profile, each.as_ref(), feature, &mut problems)
                };
                let desired_json = render(&desired);
                let create_only = resource.create_only.as_ref().map(&mut render);
                let (identity_key, identity) = match kind.identity {
                    IdentityKey::Singleton => (None, String::new()),
                    IdentityKey::Property(p) => {
                        let value = |p: &str| {
                            desired_json
                                .get(p)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let identity = match kind.access.identity_qualifier {
                            Some(q) => kinds::qualified_identity(&value(p), &value(q)),
                            None => value(p),
                        };
                        (Some(p.to_owned()), identity)
                    }
                };
                let mut references = Vec::new();
                // The object a kind adds settings to comes first (it is created by the base
                // kind's resource of the same identity).
                let odata_type = desired_json.get("@odata.type").and_then(Value::as_str);
                if let Some(base) = kind.adds_to(odata_type) {
                    references.push(reference_text(base.name, &identity));
                }
                collect_references(&desired_json, &mut references);
                if let Some(c) = &create_only {
                    collect_references(c, &mut references);
                }
                objects.push(DesiredObject {
                    feature: feature.id().to_owned(),
                    kind: kind.name.to_owned(),
                    path: kind.request_path(),
                    reference: reference_text(kind.name, &identity),
                    identity_key,
                    identity,
                    prerequisite: match resource.prerequisite {
                        Some(Prerequisite::Always) => true,
                        Some(Prerequisite::Hybrid) => hybrid,
                        None => false,
                    },
                    desired: desired_json,
                    create_only,
                    references,
                });
            }
        }
        // An object Graph nests under another object's id depends on the feature's resource
        // that finds that parent ([`kinds::ParameterSource::Parent`]): the engine fills the
        // path in from it, and a parent the tenant lacks blocks it.
        for resource in &feature.doc.resources {
            let Some(parent) = kinds::kind(&resource.kind.value).and_then(|k| k.parent()) else {
                continue;
            };
            let parent_reference = objects
                .iter()
                .find(|o| o.kind == parent.name)
                .map(|o| o.reference.clone());
            let Some(parent_reference) = parent_reference else {
                problems.push(
                    self.sources
                        .diagnostic(
                            ErrorKind::InvalidValue,
                            feature.loc(&resource.kind),
                            format!(
                                "a {} lives under a {}, which feature `{}` does not name",
                                resource.kind.value,
                                parent.name,
                                feature.id()
                            ),
                        )
                        .with_help(format!(
                            "add a `{}` resource to the feature: the engine finds the parent through it",
                            parent.name
                        )),
                );
                continue;
            };
            for object in objects.iter_mut().filter(|o| o.kind == resource.kind.value) {
                if !object.references.contains(&parent_reference) {
                    object.references.insert(0, parent_reference.clone());
                }
            }
        }
        if problems.is_empty() {
            Ok(objects)
        } else {
            Err(problems)
        }
    }

    /// The desired state of every enabled, automated feature, in dependency order (a feature
    /// the workspace made manual, by turning off the API it needs, has none). Any feature that
    /// does not render fails the whole: for validating a catalogue against a profile.
    pub fn render_all(&self, profile: &AgencyProfile) -> Result<Vec<DesiredObject>, Diagnostics> {
        let rendered = self.render_where(profile, |_| true);
        let mut problems = Diagnostics::default();
        for (_, mut p) in rendered.unrendered {
            problems.0.append(&mut p.0);
        }
        if problems.is_empty() {
            Ok(rendered.objects)
        } else {
            Err(problems)
        }
    }

    /// The desired state of the enabled, automated features `wanted` accepts, in dependency
    /// order. A feature that does not render (a parameter the profile does not set) is kept
    /// aside with its reasons instead of failing the others: an agency deploying sprint 1 need
    /// not have supplied the policy file a sprint-6 feature uploads. The caller refuses to act
    /// on a feature that did not render.
    pub fn render_where(
        &self,
        profile: &AgencyProfile,
        wanted: impl Fn(&Feature) -> bool,
    ) -> Rendered {
        let mut rendered = Rendered::default();
        for feature in self.topological_order() {
            if feature.disabled.is_some() || feature.manual_because.is_some() || !wanted(feature) {
                continue;
            }
            match self.render_feature(feature, profile) {
                Ok(mut o) => rendered.objects.append(&mut o),
                Err(p) => {
                    rendered.unrendered.insert(feature.id().to_owned(), p);
                }
            }
        }
        rendered
    }
}

/// What [`Catalogue::render_where`] gives: the objects of the features that rendered, and for
/// each feature that did not, why.
#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<DesiredObject>,
    pub unrendered: std::collections::BTreeMap<String, Diagnostics>,
}

impl Rendered {
    /// The reasons the features among `features` did not render, together; `None` when each
    /// of them rendered.
    pub fn problems_of<'a>(
        &self,
        features: impl IntoIterator<Item = &'a str>,
    ) -> Option<Diagnostics> {
        Rendered::problems_in(&self.unrendered, features)
    }

    /// [`Rendered::problems_of`] for an `unrendered` map kept apart from its objects.
    pub fn problems_in<'a>(
        unrendered: &std::collections::BTreeMap<String, Diagnostics>,
        features: impl IntoIterator<Item = &'a str>,
    ) -> Option<Diagnostics> {
        let mut problems = Diagnostics::default();
        for feature in features {
            if let Some(p) = unrendered.get(feature) {
                problems.0.extend(p.0.iter().cloned());
            }
        }
        (!problems.is_empty()).then_some(problems)
    }
}

fn render_node(
    catalogue: &Catalogue,
    node: &Node,
    profile: &AgencyProfile,
    each: Option<&Value>,
    feature: &Feature,
    problems: &mut Diagnostics,
) -> Value {
    match &node.value {
        NodeValue::Str(text) => match template::render(text, profile, each) {
            Ok(value) => value,
            Err(problem) => {
                let message = match problem {
                    RenderProblem::Missing(param) => format!(
                        "feature `{}` needs `{param}`, which the agency profile does not set",
                        feature.id()
                    ),
                    RenderProblem::Unusable(why) => format!("feature `{}`: {why}", feature.id()),
                };
                problems.push(
                    catalogue
                        .sources
                        .diagnostic(ErrorKind::InvalidParameter, node.at, message)
                        .with_help("set it in the profile's [params], or disable the feature in an overlay with a justification"),
                );
                Value::Null
            }
        },
        NodeValue::Seq(items) => Value::Array(
            items
                .iter()
                .map(|n| render_node(catalogue, n, profile, each, feature, problems))
                .collect(),
        ),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.name.clone(),
                        render_node(catalogue, v, profile, each, feature, problems),
                    )
                })
                .collect::<Map<_, _>>(),
        ),
        _ => node.to_json(),
    }
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(r) = marker(value, REF_KEY) {
                out.push(r.to_string());
                return;
            }
            map.values().for_each(|v| collect_references(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}
