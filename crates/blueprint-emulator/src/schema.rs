//! The Graph type metadata the emulator serves (`schema/graph-v1.yaml`, and `schema/graph-beta.yaml`
//! for the kinds served under `/beta/`), and the two things
//! it is used for: rejecting request bodies that real Graph would reject (unknown properties,
//! wrong JSON types, unknown enum members, abstract types without `@odata.type`), and giving
//! reads Graph's shape (every declared property present, omitted collections as `[]`, omitted
//! non-nullable Booleans, numbers and enumerations as their default, other omitted values as
//! `null`).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{ErrorStyle, GraphError};

const SCHEMA_YAML: &str = include_str!("../schema/graph-v1.yaml");
const BETA_SCHEMA_YAML: &str = include_str!("../schema/graph-beta.yaml");
const DEFAULTS_YAML: &str = include_str!("../schema/graph-v1-defaults.yaml");
const BETA_DEFAULTS_YAML: &str = include_str!("../schema/graph-beta-defaults.yaml");
const NAMESPACE: &str = "microsoft.graph";

/// A property's declared type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    Primitive(Primitive),
    Enum(String),
    Structured(String),
    Collection(Box<TypeRef>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    String,
    Boolean,
    Int32,
    Int64,
    Double,
    DateTimeOffset,
    Date,
    TimeOfDay,
    Duration,
    Guid,
    Binary,
}

impl Primitive {
    fn parse(name: &str) -> Option<Primitive> {
        Some(match name {
            "String" => Primitive::String,
            "Boolean" => Primitive::Boolean,
            "Int32" | "Int16" | "Byte" => Primitive::Int32,
            "Int64" => Primitive::Int64,
            "Double" | "Single" | "Decimal" => Primitive::Double,
            "DateTimeOffset" => Primitive::DateTimeOffset,
            "Date" => Primitive::Date,
            "TimeOfDay" => Primitive::TimeOfDay,
            "Duration" => Primitive::Duration,
            "Guid" => Primitive::Guid,
            "Binary" | "Stream" => Primitive::Binary,
            _ => return None,
        })
    }

    fn edm_name(self) -> &'static str {
        match self {
            Primitive::String => "Edm.String",
            Primitive::Boolean => "Edm.Boolean",
            Primitive::Int32 => "Edm.Int32",
            Primitive::Int64 => "Edm.Int64",
            Primitive::Double => "Edm.Double",
            Primitive::DateTimeOffset => "Edm.DateTimeOffset",
            Primitive::Date => "Edm.Date",
            Primitive::TimeOfDay => "Edm.TimeOfDay",
            Primitive::Duration => "Edm.Duration",
            Primitive::Guid => "Edm.Guid",
            Primitive::Binary => "Edm.Binary",
        }
    }
}

/// A complex or entity type.
#[derive(Debug)]
pub struct StructuredType {
    pub base: Option<String>,
    pub is_abstract: bool,
    /// An open type (directory objects) also takes directory extension properties
    /// (`extension_{appId}_{name}`).
    pub open: bool,
    /// Own properties in declaration order.
    pub props: Vec<(String, TypeRef)>,
    /// What a read shows for an own property the metadata declares `Nullable="false"` when
    /// the object leaves it out (`schema/graph-*-defaults.yaml`).
    pub defaults: HashMap<String, Value>,
}

#[derive(Debug)]
pub struct EnumType {
    pub flags: bool,
    pub members: Vec<String>,
}

#[derive(Debug)]
pub struct Schema {
    types: HashMap<String, StructuredType>,
    enums: HashMap<String, EnumType>,
}

#[derive(Deserialize)]
struct RawSchema {
    #[serde(default)]
    enums: indexmap::IndexMap<String, RawEnum>,
    #[serde(default)]
    complex: indexmap::IndexMap<String, RawType>,
    #[serde(default)]
    entities: indexmap::IndexMap<String, RawType>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawEnum {
    Members(Vec<String>),
    Detailed {
        #[serde(default)]
        flags: bool,
        members: Vec<String>,
    },
}

#[derive(Deserialize)]
struct RawType {
    #[serde(default)]
    base: Option<String>,
    #[serde(default, rename = "abstract")]
    is_abstract: bool,
    #[serde(default)]
    open: bool,
    #[serde(default)]
    props: Option<indexmap::IndexMap<String, String>>,
}

/// The schema compiled into the binary. A broken schema file is a build defect, caught by the
/// crate's tests, so failing loudly here is right.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::parse(SCHEMA_YAML, DEFAULTS_YAML).expect("schema/graph-v1*.yaml are valid")
    })
}

/// The Graph beta subset (`schema/graph-beta.yaml`), for the kinds served under `/beta/`.
pub fn beta_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::parse(BETA_SCHEMA_YAML, BETA_DEFAULTS_YAML)
            .expect("schema/graph-beta*.yaml are valid")
    })
}

impl Schema {
    /// A schema file and its defaults file (type → property → the value a read shows when the
    /// object leaves the property out).
    pub fn parse(text: &str, defaults: &str) -> Result<Schema, String> {
        let raw: RawSchema = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let mut defaults: indexmap::IndexMap<String, indexmap::IndexMap<String, Value>> =
            serde_saphyr::from_str(defaults).map_err(|e| format!("defaults: {e}"))?;
        let mut schema = Schema {
            types: HashMap::new(),
            enums: HashMap::new(),
        };
        for (name, e) in raw.enums {
            let (flags, members) = match e {
                RawEnum::Members(m) => (false, m),
                RawEnum::Detailed { flags, members } => (flags, members),
            };
            schema.enums.insert(name, EnumType { flags, members });
        }
        let mut pending = Vec::new();
        for (name, t) in raw.complex.into_iter().chain(raw.entities) {
            pending.push((name, t));
        }
        let names: Vec<String> = pending.iter().map(|(n, _)| n.clone()).collect();
        for (name, t) in pending {
            let mut props = Vec::new();
            for (prop, ty) in t.props.unwrap_or_default() {
                let parsed = schema
                    .parse_type(&ty, &names)
                    .ok_or_else(|| format!("{name}.{prop}: unknown type '{ty}'"))?;
                props.push((prop, parsed));
            }
            if let Some(base) = &t.base
                && !names.contains(base)
            {
                return Err(format!("{name}: unknown base type '{base}'"));
            }
            let mut own_defaults = HashMap::new();
            for (prop, value) in defaults.shift_remove(&name).unwrap_or_default() {
                let Some((_, ty)) = props.iter().find(|(p, _)| *p == prop) else {
                    return Err(format!("defaults: {name} declares no property '{prop}'"));
                };
                let valued = match ty {
                    TypeRef::Primitive(p) => matches!(
                        p,
                        Primitive::Boolean
                            | Primitive::Int32
                            | Primitive::Int64
                            | Primitive::Double
                    ),
                    TypeRef::Enum(_) => true,
                    _ => false,
                };
                if !valued || value.is_null() {
                    return Err(format!(
                        "defaults: {name}.{prop}: only a Boolean, a number or an enumeration \
                         has a default"
                    ));
                }
                schema
                    .validate_value(ty, &value, ErrorStyle::Service)
                    .map_err(|e| format!("defaults: {name}.{prop}: {}", e.message))?;
                own_defaults.insert(prop, value);
            }
            schema.types.insert(
                name,
                StructuredType {
                    base: t.base,
                    is_abstract: t.is_abstract,
                    open: t.open,
                    props,
                    defaults: own_defaults,
                },
            );
        }
        if let Some(name) = defaults.keys().next() {
            return Err(format!("defaults: no type '{name}' in the schema"));
        }
        Ok(schema)
    }

    fn parse_type(&self, text: &str, structured: &[String]) -> Option<TypeRef> {
        let text = text.trim();
        if let Some(inner) = text
            .strip_prefix("Collection(")
            .and_then(|t| t.strip_suffix(')'))
        {
            return Some(TypeRef::Collection(Box::new(
                self.parse_type(inner, structured)?,
            )));
        }
        let bare = text
            .strip_prefix("Edm.")
            .or_else(|| text.strip_prefix("microsoft.graph."))
            .unwrap_or(text);
        if let Some(p) = Primitive::parse(bare) {
            return Some(TypeRef::Primitive(p));
        }
        if self.enums.contains_key(bare) {
            return Some(TypeRef::Enum(bare.to_string()));
        }
        if structured.iter().any(|s| s == bare) {
            return Some(TypeRef::Structured(bare.to_string()));
        }
        None
    }

    /// All properties of a type, inherited first, in declaration order.
    pub fn all_props(&self, name: &str) -> Vec<(&str, &TypeRef)> {
        let mut chain = Vec::new();
        let mut current = self.types.get(name);
        while let Some(t) = current {
            chain.push(t);
            current = t.base.as_deref().and_then(|b| self.types.get(b));
        }
        chain
            .iter()
            .rev()
            .flat_map(|t| t.props.iter().map(|(n, ty)| (n.as_str(), ty)))
            .collect()
    }

    pub fn prop_type(&self, type_name: &str, prop: &str) -> Option<&TypeRef> {
        let mut current = self.types.get(type_name);
        while let Some(t) = current {
            if let Some((_, ty)) = t.props.iter().find(|(n, _)| n == prop) {
                return Some(ty);
            }
            current = t.base.as_deref().and_then(|b| self.types.get(b));
        }
        None
    }

    /// What a read shows for a non-nullable property the object leaves out (None: the
    /// property is nullable, or has no default).
    pub fn default_of(&self, type_name: &str, prop: &str) -> Option<&Value> {
        let mut current = self.types.get(type_name);
        while let Some(t) = current {
            if let Some(v) = t.defaults.get(prop) {
                return Some(v);
            }
            current = t.base.as_deref().and_then(|b| self.types.get(b));
        }
        None
    }

    fn is_open(&self, name: &str) -> bool {
        let mut current = self.types.get(name);
        while let Some(t) = current {
            if t.open {
                return true;
            }
            current = t.base.as_deref().and_then(|b| self.types.get(b));
        }
        false
    }

    /// Whether `derived` is `base` or inherits from it.
    /// The members of an enumeration type (None: no such enumeration).
    pub fn enum_members(&self, name: &str) -> Option<&[String]> {
        self.enums.get(name).map(|e| e.members.as_slice())
    }

    pub fn is_a(&self, derived: &str, base: &str) -> bool {
        let mut current = Some(derived);
        while let Some(name) = current {
            if name == base {
                return true;
            }
            current = self.types.get(name).and_then(|t| t.base.as_deref());
        }
        false
    }

    /// The concrete type named by an `@odata.type` value, checked against the declared type.
    pub fn resolve_odata_type(
        &self,
        declared: &str,
        odata_type: Option<&Value>,
        style: ErrorStyle,
    ) -> Result<String, GraphError> {
        let Some(value) = odata_type else {
            let t = self.types.get(declared);
            if t.is_some_and(|t| t.is_abstract) {
                return Err(GraphError::bad_request(
                    style,
                    format!(
                        "A type named '{NAMESPACE}.{declared}' is abstract; the payload must \
                         name a concrete type in '@odata.type'."
                    ),
                ));
            }
            return Ok(declared.to_string());
        };
        let Some(text) = value.as_str() else {
            return Err(GraphError::bad_request(
                style,
                "The value of '@odata.type' must be a string.",
            ));
        };
        let name = text
            .trim_start_matches('#')
            .strip_prefix("microsoft.graph.")
            .unwrap_or("");
        match self.types.get(name) {
            Some(t) if self.is_a(name, declared) && !t.is_abstract => Ok(name.to_string()),
            Some(_) if self.is_a(name, declared) => Err(GraphError::bad_request(
                style,
                format!("A type named '{text}' is abstract and cannot be instantiated."),
            )),
            _ => Err(GraphError::bad_request(
                style,
                format!(
                    "A type named '{text}' could not be resolved by the model. When a model is \
                     available, each type name must resolve to a valid type."
                ),
            )),
        }
    }

    /// Checks a request body (or part of one) against a structured type. Returns the concrete
    /// type the value was read as.
    pub fn validate_object(
        &self,
        declared: &str,
        value: &Value,
        style: ErrorStyle,
    ) -> Result<String, GraphError> {
        self.validate_object_except(declared, value, style, &[])
    }

    /// As [`Schema::validate_object`], leaving the named top-level properties to the caller
    /// (navigation properties a resource accepts inline).
    pub fn validate_object_except(
        &self,
        declared: &str,
        value: &Value,
        style: ErrorStyle,
        skip: &[&str],
    ) -> Result<String, GraphError> {
        let Some(obj) = value.as_object() else {
            return Err(GraphError::bad_request(
                style,
                format!(
                    "An unexpected '{}' node was found when reading from the JSON reader. A \
                     'StartObject' node was expected for type '{NAMESPACE}.{declared}'.",
                    json_node_name(value)
                ),
            ));
        };
        let actual = self.resolve_odata_type(declared, obj.get("@odata.type"), style)?;
        for (key, v) in obj {
            if key.contains("@odata.") || skip.contains(&key.as_str()) {
                continue;
            }
            let Some(ty) = self.prop_type(&actual, key) else {
                if key.starts_with("extension_") && self.is_open(&actual) {
                    continue;
                }
                return Err(GraphError::bad_request(
                    style,
                    format!(
                        "The property '{key}' does not exist on type '{NAMESPACE}.{actual}'. Make \
                         sure to only use property names that are defined by the type or mark \
                         the type as open type."
                    ),
                ));
            };
            // A non-nullable property (one with a default) refuses null, as OData does.
            if v.is_null() && self.default_of(&actual, key).is_some() {
                let expected = match ty {
                    TypeRef::Primitive(p) => p.edm_name().to_string(),
                    TypeRef::Enum(name) | TypeRef::Structured(name) => {
                        format!("{NAMESPACE}.{name}")
                    }
                    TypeRef::Collection(_) => "Collection".to_string(),
                };
                return Err(GraphError::bad_request(
                    style,
                    format!(
                        "A null value was found for the property named '{key}', which has the \
                         expected type '{expected}[Nullable=False]'. The expected type \
                         '{expected}[Nullable=False]' does not allow null values."
                    ),
                ));
            }
            self.validate_value(ty, v, style)?;
        }
        Ok(actual)
    }

    fn validate_value(&self, ty: &TypeRef, v: &Value, style: ErrorStyle) -> Result<(), GraphError> {
        if v.is_null() {
            return Ok(());
        }
        match ty {
            TypeRef::Collection(inner) => {
                let Some(items) = v.as_array() else {
                    return Err(GraphError::bad_request(
                        style,
                        format!(
                            "An unexpected '{}' node was found when reading from the JSON reader. \
                             A 'StartArray' node was expected.",
                            json_node_name(v)
                        ),
                    ));
                };
                for item in items {
                    self.validate_value(inner, item, style)?;
                }
                Ok(())
            }
            TypeRef::Structured(name) => self.validate_object(name, v, style).map(|_| ()),
            TypeRef::Enum(name) => {
                let e = &self.enums[name];
                let Some(text) = v.as_str() else {
                    return Err(convert_error(v, &format!("{NAMESPACE}.{name}"), style));
                };
                let parts: Vec<&str> = if e.flags {
                    text.split(',').map(str::trim).collect()
                } else {
                    vec![text]
                };
                for part in parts {
                    if !e.members.iter().any(|m| m == part) {
                        return Err(GraphError::bad_request(
                            style,
                            format!("Requested value '{part}' was not found."),
                        ));
                    }
                }
                Ok(())
            }
            TypeRef::Primitive(p) => {
                let ok = match p {
                    Primitive::String => v.is_string(),
                    // "365 days, 0:00:00" (Python's str of a timedelta, which msgraph-sdk-python
                    // sends: msgraph-sdk-python#1262) is refused as Graph refuses it.
                    Primitive::Duration => v.as_str().is_some_and(edm_duration),
                    // Edm.Binary travels as base64; Graph refuses other text.
                    Primitive::Binary => v.as_str().is_some_and(|s| {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD.decode(s).is_ok()
                    }),
                    Primitive::Boolean => v.is_boolean(),
                    Primitive::Int32 => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                    Primitive::Int64 => v.is_i64() || v.is_u64(),
                    Primitive::Double => {
                        v.is_number() || matches!(v.as_str(), Some("NaN" | "INF" | "-INF"))
                    }
                    Primitive::DateTimeOffset => v.as_str().is_some_and(|s| {
                        time::OffsetDateTime::parse(
                            s,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .is_ok()
                    }),
                    Primitive::Date => v.as_str().is_some_and(|s| {
                        time::Date::parse(
                            s,
                            time::macros::format_description!("[year]-[month]-[day]"),
                        )
                        .is_ok()
                    }),
                    Primitive::TimeOfDay => v.as_str().and_then(time_of_day).is_some(),
                    Primitive::Guid => v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
                };
                if ok {
                    Ok(())
                } else {
                    Err(convert_error(v, p.edm_name(), style))
                }
            }
        }
    }

    /// The type an object is of: the one its `@odata.type` names, else the declared one.
    fn concrete_type(&self, obj: &Map<String, Value>, declared: &str) -> String {
        obj.get("@odata.type")
            .and_then(Value::as_str)
            .and_then(|t| t.trim_start_matches('#').strip_prefix("microsoft.graph."))
            .filter(|t| self.types.contains_key(*t))
            .unwrap_or(declared)
            .to_string()
    }

    /// Gives a stored object Graph's read shape: `@odata.type` first for derived types, then
    /// every declared property in declaration order, omitted ones as `[]` or `null`.
    pub fn normalise(&self, type_name: &str, value: &Value, tag_type: bool) -> Value {
        self.normalise_at(type_name, value, tag_type, true)
    }

    /// `top`: the entity itself, whose stored navigation properties are returned inline; a
    /// nested complex value shows exactly its type's properties (a value stored by another
    /// version of Graph, with properties this version lacks, reads without them).
    fn normalise_at(&self, type_name: &str, value: &Value, tag_type: bool, top: bool) -> Value {
        let Some(obj) = value.as_object() else {
            return value.clone();
        };
        let actual = self.concrete_type(obj, type_name);
        let mut out = Map::new();
        if tag_type || actual != type_name {
            out.insert(
                "@odata.type".into(),
                Value::String(format!("#{NAMESPACE}.{actual}")),
            );
        }
        for (name, ty) in self.all_props(&actual) {
            // A property not nullable reads as its default when left out (Graph refuses a
            // null for one, so a stored null was left out too).
            let v = match obj.get(name).filter(|v| !v.is_null()) {
                Some(v) => self.normalise_value(ty, v),
                None => match ty {
                    TypeRef::Collection(_) => Value::Array(Vec::new()),
                    _ => self
                        .default_of(&actual, name)
                        .cloned()
                        .unwrap_or(Value::Null),
                },
            };
            out.insert(name.to_string(), v);
        }
        // Stored values the schema models as navigation properties (e.g. a method's
        // `includeTargets`) are returned inline, as Graph does for those resources.
        for (k, v) in obj.iter().filter(|_| top) {
            if !out.contains_key(k) && k != "@odata.type" {
                out.insert(k.clone(), v.clone());
            }
        }
        Value::Object(out)
    }

    /// Stores in an object the defaults of the non-nullable properties it leaves out, its
    /// complex values' too: what Graph holds for an object the service made (a tenant's seeded
    /// objects), so that a client writing back what it read changes nothing.
    pub fn fill_defaults(&self, type_name: &str, value: &mut Value) {
        let Some(obj) = value.as_object_mut() else {
            return;
        };
        let actual = self.concrete_type(obj, type_name);
        for (name, ty) in self.all_props(&actual) {
            match obj.get_mut(name) {
                Some(v) if !v.is_null() => self.fill_value(ty, v),
                _ => {
                    if let Some(default) = self.default_of(&actual, name) {
                        obj.insert(name.to_string(), default.clone());
                    }
                }
            }
        }
    }

    fn fill_value(&self, ty: &TypeRef, v: &mut Value) {
        match (ty, v) {
            (TypeRef::Structured(name), v @ Value::Object(_)) => self.fill_defaults(name, v),
            (TypeRef::Collection(inner), Value::Array(items)) => {
                items.iter_mut().for_each(|i| self.fill_value(inner, i));
            }
            _ => {}
        }
    }

    fn normalise_value(&self, ty: &TypeRef, v: &Value) -> Value {
        match (ty, v) {
            (TypeRef::Structured(name), Value::Object(_)) => {
                self.normalise_at(name, v, false, false)
            }
            (TypeRef::Collection(inner), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|i| self.normalise_value(inner, i))
                    .collect(),
            ),
            (TypeRef::Collection(_), Value::Null) => Value::Array(Vec::new()),
            (TypeRef::Primitive(Primitive::TimeOfDay), Value::String(text)) => {
                time_of_day(text).map_or_else(|| v.clone(), Value::String)
            }
            _ => v.clone(),
        }
    }
}

/// An `Edm.TimeOfDay` literal (`hh:mm`, `hh:mm:ss` or `hh:mm:ss.fffffff`) in the form Graph
/// returns it: seconds and seven fractional digits, so `"08:00"` reads `"08:00:00.0000000"`.
fn time_of_day(text: &str) -> Option<String> {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, ""));
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
        || fraction.len() > 7
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && (fraction.is_empty() || parts.len() != 3))
    {
        return None;
    }
    let number = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<u32>().ok());
    let (h, m, s) = (number(0)?, number(1)?, number(2)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(format!("{h:02}:{m:02}:{s:02}.{fraction:0<7}"))
}

/// Whether `text` is an Edm.Duration as Graph's OData library reads one (Microsoft.OData's
/// `EdmValueParser.ParseDuration`: a day-time duration, no years or months, then
/// `XmlConvert.ToTimeSpan`): `[-]P[nD][T[nH][nM][n[.n]S]]` with at least one part, e.g. `P90D`,
/// `PT10H`, `P1DT12H30M5.5S`.
fn edm_duration(text: &str) -> bool {
    fn number(digits: &str, fraction: bool) -> bool {
        let (whole, part) = match digits.split_once('.') {
            Some((w, p)) if fraction => (w, Some(p)),
            _ => (digits, None),
        };
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && part.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let Some(rest) = unsigned.strip_prefix('P') else {
        return false;
    };
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    if !days.is_empty() && !days.strip_suffix('D').is_some_and(|n| number(n, false)) {
        return false;
    }
    let Some(mut time) = time else {
        return !days.is_empty();
    };
    let mut parts = 0;
    for unit in ['H', 'M', 'S'] {
        if let Some((value, after)) = time.split_once(unit)
            && number(value, unit == 'S')
        {
            time = after;
            parts += 1;
        }
    }
    parts > 0 && time.is_empty()
}

fn json_node_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "StartObject",
        Value::Array(_) => "StartArray",
        _ => "PrimitiveValue",
    }
}

fn convert_error(v: &Value, expected: &str, style: ErrorStyle) -> GraphError {
    let literal = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    GraphError::bad_request(
        style,
        format!("Cannot convert the literal '{literal}' to the expected type '{expected}'."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TYPES: &str = "enums:\n  mode: [a, b]\ncomplex:\n  inner:\n    props:\n      enabled: Boolean\nentities:\n  thing:\n    props:\n      name: String\n      count: Int32\n      mode: mode\n      inner: inner\n";

    #[test]
    fn defaults_fill_what_a_read_leaves_out_and_a_bad_defaults_file_is_refused() {
        let schema = Schema::parse(
            TYPES,
            "thing: {count: 0, mode: b}\ninner: {enabled: false}\n",
        )
        .unwrap();
        let read = schema.normalise("thing", &json!({"name": "x", "inner": {}}), false);
        assert_eq!(
            read,
            json!({"name": "x", "count": 0, "mode": "b", "inner": {"enabled": false}})
        );
        let kept = schema.normalise("thing", &json!({"count": 3, "mode": "a"}), false);
        assert_eq!((&kept["count"], &kept["mode"]), (&json!(3), &json!("a")));
        for (bad, why) in [
            ("thing: {name: x}", "a string has no default"),
            ("thing: {count: yes}", "not an Int32"),
            ("thing: {mode: c}", "not a member"),
            ("thing: {size: 0}", "no such property"),
            ("other: {count: 0}", "no such type"),
        ] {
            assert!(Schema::parse(TYPES, bad).is_err(), "{why}");
        }
    }
}
