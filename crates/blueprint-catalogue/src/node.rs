//! A YAML value that remembers where each part of it was written.
//!
//! Desired fields are free-form (they are Graph properties), yet validation must point at the
//! exact key or string that is wrong, and overlays splice values from other files into them.
//! So every node carries its own file and position instead of relying on the enclosing feature.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::source::{FileId, Loc};

/// One YAML value with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub at: Loc,
}

/// The shapes a YAML value can take once parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Key order is kept: it is the order a person wrote, and rendered output follows it.
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub at: Loc,
}

impl Node {
    /// Records which file this node (and everything below it) came from. The YAML parser only
    /// knows positions within one document.
    pub fn stamp(&mut self, file: FileId) {
        self.at.file = file;
        match &mut self.value {
            NodeValue::Seq(items) => items.iter_mut().for_each(|n| n.stamp(file)),
            NodeValue::Map(entries) => {
                for (key, node) in entries {
                    key.at.file = file;
                    node.stamp(file);
                }
            }
            _ => {}
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `name` if this node is a mapping that has it.
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }

    /// An empty mapping at a location (used where a section is optional).
    pub fn empty_map(at: Loc) -> Node {
        Node {
            value: NodeValue::Map(Vec::new()),
            at,
        }
    }

    /// The plain JSON value, locations dropped.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Visits every node, depth first, with the path of keys leading to it.
    pub fn walk<'a>(
        &'a self,
        path: &mut Vec<&'a str>,
        visit: &mut dyn FnMut(&[&'a str], &'a Node),
    ) {
        visit(path, self);
        match &self.value {
            NodeValue::Seq(items) => items.iter().for_each(|n| n.walk(path, visit)),
            NodeValue::Map(entries) => {
                for (key, node) in entries {
                    path.push(&key.name);
                    node.walk(path, visit);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// If this node is a reference marker `{ $ref: "kind:identity" }`, the reference and where
    /// its text is.
    pub fn as_reference(&self) -> Option<(&str, Loc)> {
        match self.entries()? {
            [(key, value)] if key.name == REF_KEY => value.as_str().map(|s| (s, value.at)),
            _ => None,
        }
    }
}

/// The key of a reference marker inside desired fields: `{ $ref: "group:grp-…" }`. The engine
/// replaces the marker with the id of the referenced tenant object.
pub const REF_KEY: &str = "$ref";
/// The key of a file marker: `{ $file: "{{ params.terms_of_use_pdf }}" }`. The engine replaces it
/// with the file's contents, base64-encoded, when it sends the request (never stored).
pub const FILE_KEY: &str = "$file";

/// The string a marker carries: `value` is a one-key object `{key: "…"}`
/// (`key` is [`REF_KEY`] or [`FILE_KEY`]).
pub fn marker<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    let map = value.as_object()?;
    match (map.len(), map.get(key)) {
        (1, Some(Value::String(s))) => Some(s.as_str()),
        _ => None,
    }
}

/// Applies an overlay's `merge` onto a desired-fields mapping, like a JSON merge patch
/// (RFC 7386): mappings merge key by key, `null` removes a key, anything else replaces.
pub fn merge_patch(target: &mut Node, patch: &Node) {
    let (NodeValue::Map(target_entries), NodeValue::Map(patch_entries)) =
        (&mut target.value, &patch.value)
    else {
        *target = patch.clone();
        return;
    };
    for (key, value) in patch_entries {
        let existing = target_entries.iter().position(|(k, _)| k.name == key.name);
        match (existing, &value.value) {
            (Some(i), NodeValue::Null) => {
                target_entries.remove(i);
            }
            (None, NodeValue::Null) => {}
            (Some(i), _) => merge_patch(&mut target_entries[i].1, value),
            (None, _) => target_entries.push((key.clone(), value.clone())),
        }
    }
}

/// Applies an overlay's `append`: like [`merge_patch`], except that sequences are extended
/// rather than replaced. This is how an agency adds an exclusion group to a policy without
/// restating the blueprint's own.
pub fn append_patch(target: &mut Node, patch: &Node) {
    match (&mut target.value, &patch.value) {
        (NodeValue::Map(target_entries), NodeValue::Map(patch_entries)) => {
            for (key, value) in patch_entries {
                match target_entries.iter().position(|(k, _)| k.name == key.name) {
                    Some(i) => append_patch(&mut target_entries[i].1, value),
                    None => target_entries.push((key.clone(), value.clone())),
                }
            }
        }
        (NodeValue::Seq(items), NodeValue::Seq(extra)) => items.extend(extra.iter().cloned()),
        _ => *target = patch.clone(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned: Spanned<NodeValue> = Spanned::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            at: Loc::from_saphyr(spanned.referenced),
        })
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnyValue;
        impl<'de> Visitor<'de> for AnyValue {
            type Value = NodeValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<NodeValue, E> {
                Ok(NodeValue::Null)
            }
            fn visit_none<E>(self) -> Result<NodeValue, E> {
                Ok(NodeValue::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
                NodeValue::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<NodeValue, E> {
                Ok(NodeValue::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<NodeValue, E> {
                Ok(NodeValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeValue, E> {
                i64::try_from(v)
                    .map(NodeValue::Int)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<NodeValue, E> {
                i64::try_from(v)
                    .map(NodeValue::Int)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<NodeValue, E> {
                i64::try_from(v)
                    .map(NodeValue::Int)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<NodeValue, E> {
                Ok(NodeValue::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<NodeValue, E> {
                Ok(NodeValue::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<NodeValue, E> {
                Ok(NodeValue::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(NodeValue::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
                let mut entries: Vec<(Key, Node)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<Spanned<String>, Node>()? {
                    entries.push((
                        Key {
                            name: key.value,
                            at: Loc::from_saphyr(key.referenced),
                        },
                        value,
                    ));
                }
                Ok(NodeValue::Map(entries))
            }
        }
        deserializer.deserialize_any(AnyValue)
    }
}
