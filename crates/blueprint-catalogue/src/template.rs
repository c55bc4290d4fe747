//! `{{ … }}` templates in desired fields.
//!
//! A string that is exactly one template (`"{{ params.allowed_countries }}"`) becomes the
//! parameter's value, whatever its JSON type; a template inside other text
//! (`"{{ agency.name }} Internal Network"`) is interpolated and must be text. Filters adapt a
//! value to the shape Graph wants: `ip_ranges` turns CIDR strings into Graph `ipRange`
//! objects, `join(";")` joins a list into one string, `lower` lower-cases text, `json` writes
//! a value as JSON text (for policies Graph keeps as a JSON document inside a string), `eq("…")`
//! turns a text parameter into a boolean, true when it is that value (an agency's choice
//! between named options deciding a setting's enabled state).
//!
//! Templates are checked when the catalogue loads, against the parameter table, so a typo in a
//! parameter name is caught before any agency renders it.

use serde_json::Value;

use crate::profile::{AgencyProfile, Cidr, ParamType, parameter_type};

/// The element name inside a `for_each` resource.
pub const EACH: &str = "each";

/// A parsed `{{ … }}` expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub parameter: String,
    pub filters: Vec<Filter>,
    /// Byte offset of the `{{` within the string, for error positions.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    IpRanges,
    Join(String),
    Lower,
    /// The value as JSON text.
    Json,
    /// Whether the text is this value: a boolean, so only a whole value.
    Eq(String),
    /// A protective marking's security classification, `SEC=…` up to the next comma
    /// (`VER=2018.4, NS=gov.au, SEC=OFFICIAL:Sensitive` gives `SEC=OFFICIAL:Sensitive`).
    MarkingSec,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    Expr(Expr),
}

/// A template error, with the byte offset within the string where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub message: String,
    pub offset: usize,
    pub help: Option<String>,
}

impl TemplateError {
    fn new(message: impl Into<String>, offset: usize) -> TemplateError {
        TemplateError {
            message: message.into(),
            offset,
            help: None,
        }
    }
}

/// Splits a string into literal text and expressions. A string without `{{` is one text
/// segment.
pub fn parse(text: &str) -> Result<Vec<Segment>, TemplateError> {
    let mut segments = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            segments.push(Segment::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError::new("`{{` is not closed by `}}`", base + start))?;
        segments.push(Segment::Expr(parse_expr(&after[..end], base + start)?));
        let consumed = start + 2 + end + 2;
        base += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest.to_owned()));
    }
    Ok(segments)
}

fn parse_expr(inner: &str, offset: usize) -> Result<Expr, TemplateError> {
    let mut parts = inner.split('|').map(str::trim);
    let parameter = parts.next().unwrap_or_default().to_owned();
    let valid_name = !parameter.is_empty()
        && parameter
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if !valid_name {
        return Err(TemplateError::new(
            format!(
                "`{{{{{inner}}}}}` is not a template expression: expected a parameter name such as `agency.name`"
            ),
            offset,
        ));
    }
    let mut filters = Vec::new();
    for filter in parts {
        filters.push(match filter {
            "ip_ranges" => Filter::IpRanges,
            "lower" => Filter::Lower,
            "json" => Filter::Json,
            "marking_sec" => Filter::MarkingSec,
            f if f.starts_with("eq(") && f.ends_with(')') => {
                let arg = f["eq(".len()..f.len() - 1].trim();
                let unquoted = arg
                    .strip_prefix('"')
                    .and_then(|a| a.strip_suffix('"'))
                    .ok_or_else(|| {
                        TemplateError::new(
                            format!("eq takes a quoted value, e.g. eq(\"acsc\"), not {arg}"),
                            offset,
                        )
                    })?;
                Filter::Eq(unquoted.to_owned())
            }
            f if f.starts_with("join(") && f.ends_with(')') => {
                let arg = f["join(".len()..f.len() - 1].trim();
                let unquoted = arg
                    .strip_prefix('"')
                    .and_then(|a| a.strip_suffix('"'))
                    .ok_or_else(|| {
                        TemplateError::new(
                            format!("join takes a quoted separator, e.g. join(\";\"), not {arg}"),
                            offset,
                        )
                    })?;
                Filter::Join(unquoted.to_owned())
            }
            other => {
                return Err(TemplateError::new(
                    format!(
                        "unknown template filter `{other}` (known: ip_ranges, join(\"…\"), lower, json, eq(\"…\"))"
                    ),
                    offset,
                ));
            }
        });
    }
    Ok(Expr {
        parameter,
        filters,
        offset,
    })
}

/// The static type of a value flowing through filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    List,
    Objects,
    Bool,
}

/// Checks a string's templates against the parameter table. `each` is the type of the list a
/// `for_each` resource walks (`None` outside one): `{{ each }}` is an element of a list of
/// text, `{{ each.field }}` a field of an element of a list of tables.
pub fn check(text: &str, each: Option<ParamType>) -> Result<(), TemplateError> {
    let segments = parse(text)?;
    let whole = segments.len() == 1;
    for segment in &segments {
        let Segment::Expr(expr) = segment else {
            continue;
        };
        let field = expr.parameter.strip_prefix("each.");
        let mut shape = if expr.parameter == EACH || field.is_some() {
            match (each, field) {
                (None, _) => {
                    return Err(TemplateError::new(
                        format!(
                            "`{{{{ {} }}}}` is only defined inside a resource with `for_each`",
                            expr.parameter
                        ),
                        expr.offset,
                    ));
                }
                (Some(ParamType::Records(fields)), Some(f)) if fields.contains(&f) => Shape::Text,
                (Some(ParamType::Records(fields)), _) => {
                    let mut error = TemplateError::new(
                        format!(
                            "`{}` is not a field of the list's elements: each element is a table",
                            expr.parameter
                        ),
                        expr.offset,
                    );
                    error.help = Some(format!(
                        "name a field: {}",
                        fields
                            .iter()
                            .map(|f| format!("each.{f}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    return Err(error);
                }
                (Some(_), None) => Shape::Text,
                (Some(_), Some(_)) => {
                    return Err(TemplateError::new(
                        format!(
                            "`{}`: the list's elements are text, with no fields; use `{{{{ each }}}}`",
                            expr.parameter
                        ),
                        expr.offset,
                    ));
                }
            }
        } else {
            match parameter_type(&expr.parameter) {
                Some(ParamType::Text) => Shape::Text,
                Some(ParamType::TextList) | Some(ParamType::CidrList) => Shape::List,
                Some(ParamType::NameValues) => Shape::Objects,
                // A list of tables only feeds `for_each`; its fields are `each.…` there.
                Some(ParamType::Records(_)) => {
                    return Err(TemplateError::new(
                        format!(
                            "`{}` is a list of tables: walk it with `for_each` and name a field as `{{{{ each.<field> }}}}`",
                            expr.parameter
                        ),
                        expr.offset,
                    ));
                }
                None => {
                    let known: Vec<&str> =
                        crate::profile::PARAMETERS.iter().map(|(n, _)| *n).collect();
                    let mut error = TemplateError::new(
                        format!("unknown template parameter `{}`", expr.parameter),
                        expr.offset,
                    );
                    error.help = Some(
                        match crate::kinds::did_you_mean(&expr.parameter, known.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("known parameters: {}", known.join(", ")),
                        },
                    );
                    return Err(error);
                }
            }
        };
        for filter in &expr.filters {
            shape = match (filter, shape) {
                (Filter::IpRanges, Shape::List)
                    if parameter_type(&expr.parameter) == Some(ParamType::CidrList) =>
                {
                    Shape::Objects
                }
                (Filter::Join(_), Shape::List) => Shape::Text,
                (Filter::Lower | Filter::MarkingSec, Shape::Text) => Shape::Text,
                (Filter::Json, _) => Shape::Text,
                (Filter::Eq(_), Shape::Text) => Shape::Bool,
                (f, _) => {
                    return Err(TemplateError::new(
                        format!("filter {f:?} does not apply to `{}`", expr.parameter),
                        expr.offset,
                    ));
                }
            };
        }
        if !whole && shape == Shape::Bool {
            return Err(TemplateError::new(
                format!(
                    "`{}` with eq(…) is true or false: it can only be a whole value, not part of a text",
                    expr.parameter
                ),
                expr.offset,
            ));
        }
        if !whole && shape != Shape::Text {
            return Err(TemplateError::new(
                format!(
                    "`{}` is a list: it can only be a whole value, not part of a text (use join(\"…\") to make text of it)",
                    expr.parameter
                ),
                expr.offset,
            ));
        }
    }
    Ok(())
}

/// Why a template could not be rendered for an agency.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderProblem {
    /// The profile leaves an optional parameter unset that this template needs.
    Missing(String),
    /// The value is present but unusable here (e.g. no trusted IP ranges for a location).
    Unusable(String),
}

/// Renders one string for an agency. `each` is the current element inside a `for_each`: text,
/// or a table whose fields `{{ each.field }}` names.
pub fn render(
    text: &str,
    profile: &AgencyProfile,
    each: Option<&Value>,
) -> Result<Value, RenderProblem> {
    let segments = parse(text).map_err(|e| RenderProblem::Unusable(e.message))?;
    let mut rendered = Vec::new();
    for segment in &segments {
        rendered.push(match segment {
            Segment::Text(t) => Value::String(t.clone()),
            Segment::Expr(expr) => {
                let mut value = if expr.parameter == EACH {
                    each.cloned().unwrap_or(Value::String(String::new()))
                } else if let Some(field) = expr.parameter.strip_prefix("each.") {
                    each.and_then(|e| e.get(field))
                        .cloned()
                        .unwrap_or(Value::String(String::new()))
                } else {
                    profile
                        .lookup(&expr.parameter)
                        .ok_or_else(|| RenderProblem::Missing(expr.parameter.clone()))?
                };
                for filter in &expr.filters {
                    value = apply(filter, value, &expr.parameter)?;
                }
                value
            }
        });
    }
    if rendered.len() == 1 {
        return Ok(rendered.pop().unwrap_or(Value::Null));
    }
    let mut out = String::new();
    for value in rendered {
        match value {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
    }
    Ok(Value::String(out))
}

fn apply(filter: &Filter, value: Value, parameter: &str) -> Result<Value, RenderProblem> {
    let items = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(match filter {
        Filter::IpRanges => {
            let ranges = items(&value);
            if ranges.is_empty() {
                return Err(RenderProblem::Unusable(format!(
                    "`{parameter}` is empty, and Graph needs at least one range here"
                )));
            }
            Value::Array(
                ranges
                    .iter()
                    .map(|r| {
                        Cidr::parse(r)
                            .map(|c| c.to_graph())
                            .map_err(RenderProblem::Unusable)
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        Filter::Join(separator) => Value::String(items(&value).join(separator)),
        Filter::Lower => Value::String(value.as_str().unwrap_or_default().to_lowercase()),
        Filter::MarkingSec => {
            let marking = value.as_str().unwrap_or_default();
            let sec = marking
                .find("SEC=")
                .map(|at| marking[at..].split(',').next().unwrap_or_default().trim())
                .unwrap_or_default();
            Value::String(sec.to_string())
        }
        Filter::Json => Value::String(value.to_string()),
        Filter::Eq(expected) => Value::Bool(value.as_str() == Some(expected.as_str())),
    })
}
