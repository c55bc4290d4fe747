//! OData query options as Graph supports them on the emulated collections: `$filter` (a
//! useful subset of the grammar), `$select`, `$top`, `$count`, `$skiptoken`.

use serde_json::Value;

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare(String, CompareOp, Value),
    StartsWith(String, String),
    EndsWith(String, String),
    /// `prop/any(x: x eq 'v')`
    Any(String, CompareOp, Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Comma,
    Colon,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Token::LParen);
                i += 1;
            }
            ')' => {
                out.push(Token::RParen);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            ':' => {
                out.push(Token::Colon);
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string literal".into()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '-' | '.' | ':'))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                match text.parse::<f64>() {
                    Ok(n) => out.push(Token::Num(n)),
                    // GUIDs and timestamps are unquoted literals in OData.
                    Err(_) => out.push(Token::Str(text)),
                }
            }
            c if c.is_alphanumeric() || c == '_' || c == '@' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric()
                        || matches!(chars[i], '_' | '/' | '.' | '@' | '$'))
                {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

pub fn parse_filter(text: &str) -> Result<Filter, String> {
    let mut p = Parser {
        tokens: tokenize(text)?,
        pos: 0,
    };
    let f = p.or_expr()?;
    if p.pos != p.tokens.len() {
        return Err(format!("unexpected '{:?}'", p.tokens[p.pos]));
    }
    Ok(f)
}

impl Parser {
    fn peek_ident(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: Token) -> Result<(), String> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            other => Err(format!("expected {want:?}, found {other:?}")),
        }
    }

    fn or_expr(&mut self) -> Result<Filter, String> {
        let mut left = self.and_expr()?;
        while self.peek_ident("or") {
            self.pos += 1;
            let right = self.and_expr()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.peek_ident("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.peek_ident("not") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.tokens.get(self.pos) == Some(&Token::LParen) {
            self.pos += 1;
            let inner = self.or_expr()?;
            self.expect(Token::RParen)?;
            return Ok(inner);
        }
        let Some(Token::Ident(name)) = self.next() else {
            return Err("expected a property or function".into());
        };
        let lower = name.to_ascii_lowercase();
        if (lower == "startswith" || lower == "endswith")
            && self.tokens.get(self.pos) == Some(&Token::LParen)
        {
            self.pos += 1;
            let Some(Token::Ident(prop)) = self.next() else {
                return Err(format!("{name} needs a property"));
            };
            self.expect(Token::Comma)?;
            let Some(Token::Str(s)) = self.next() else {
                return Err(format!("{name} needs a string literal"));
            };
            self.expect(Token::RParen)?;
            return Ok(if lower == "startswith" {
                Filter::StartsWith(prop, s)
            } else {
                Filter::EndsWith(prop, s)
            });
        }
        if let Some(prop) = name.strip_suffix("/any") {
            self.expect(Token::LParen)?;
            let Some(Token::Ident(var)) = self.next() else {
                return Err("any() needs a lambda variable".into());
            };
            self.expect(Token::Colon)?;
            let Some(Token::Ident(var2)) = self.next() else {
                return Err("any() needs a comparison on its variable".into());
            };
            if var2 != var {
                return Err(format!("unknown lambda variable '{var2}'"));
            }
            let op = self.op()?;
            let value = self.literal()?;
            self.expect(Token::RParen)?;
            return Ok(Filter::Any(prop.to_string(), op, value));
        }
        let op = self.op()?;
        let value = self.literal()?;
        Ok(Filter::Compare(name, op, value))
    }

    fn op(&mut self) -> Result<CompareOp, String> {
        let Some(Token::Ident(w)) = self.next() else {
            return Err("expected a comparison operator".into());
        };
        Ok(match w.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            other => return Err(format!("unsupported operator '{other}'")),
        })
    }

    fn literal(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Value::String(s)),
            Some(Token::Num(n)) => Ok(serde_json::Number::from_f64(n)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            Some(Token::Ident(w)) if w == "true" => Ok(Value::Bool(true)),
            Some(Token::Ident(w)) if w == "false" => Ok(Value::Bool(false)),
            Some(Token::Ident(w)) if w == "null" => Ok(Value::Null),
            other => Err(format!("expected a literal, found {other:?}")),
        }
    }
}

impl Filter {
    /// The properties the filter names, to check against what the resource supports.
    pub fn properties(&self) -> Vec<&str> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut v = a.properties();
                v.extend(b.properties());
                v
            }
            Filter::Not(a) => a.properties(),
            Filter::Compare(p, _, _)
            | Filter::StartsWith(p, _)
            | Filter::EndsWith(p, _)
            | Filter::Any(p, _, _) => vec![p.as_str()],
        }
    }

    /// Whether the filter uses operators Graph reserves for advanced queries on directory
    /// objects (`ne`, `not`, `endswith`), which need `ConsistencyLevel: eventual`.
    pub fn is_advanced(&self) -> bool {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.is_advanced() || b.is_advanced(),
            Filter::Not(_) | Filter::EndsWith(..) => true,
            Filter::Compare(_, op, _) | Filter::Any(_, op, _) => *op == CompareOp::Ne,
            Filter::StartsWith(..) => false,
        }
    }

    pub fn matches(&self, item: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(item) && b.matches(item),
            Filter::Or(a, b) => a.matches(item) || b.matches(item),
            Filter::Not(a) => !a.matches(item),
            Filter::Compare(p, op, v) => compare(lookup(item, p), *op, v),
            Filter::StartsWith(p, s) => lookup(item, p)
                .as_str()
                .is_some_and(|x| x.to_lowercase().starts_with(&s.to_lowercase())),
            Filter::EndsWith(p, s) => lookup(item, p)
                .as_str()
                .is_some_and(|x| x.to_lowercase().ends_with(&s.to_lowercase())),
            Filter::Any(p, op, v) => lookup(item, p)
                .as_array()
                .is_some_and(|a| a.iter().any(|x| compare(x, *op, v))),
        }
    }
}

fn lookup<'a>(item: &'a Value, path: &str) -> &'a Value {
    path.split('/').fold(item, |v, seg| &v[seg])
}

fn compare(actual: &Value, op: CompareOp, expected: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (actual, expected) {
        // Graph compares strings case-insensitively in directory filters.
        (Value::String(a), Value::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match (op, ordering) {
        (CompareOp::Eq, o) => o == Some(Ordering::Equal),
        (CompareOp::Ne, o) => o != Some(Ordering::Equal),
        (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
        (CompareOp::Ge, Some(o)) => o != Ordering::Less,
        (CompareOp::Lt, Some(o)) => o == Ordering::Less,
        (CompareOp::Le, Some(o)) => o != Ordering::Greater,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_matches_common_filters() {
        let g = json!({"displayName": "grp-CA Exclude", "groupTypes": ["Unified"], "securityEnabled": true});
        assert!(
            parse_filter("displayName eq 'GRP-ca exclude'")
                .unwrap()
                .matches(&g)
        );
        assert!(
            parse_filter("startswith(displayName,'grp-')")
                .unwrap()
                .matches(&g)
        );
        assert!(
            parse_filter("groupTypes/any(c:c eq 'Unified')")
                .unwrap()
                .matches(&g)
        );
        assert!(
            parse_filter("securityEnabled eq true and not(displayName eq 'x')")
                .unwrap()
                .matches(&g)
        );
        assert!(!parse_filter("displayName eq 'it''s'").unwrap().matches(&g));
        assert!(parse_filter("displayName eq").is_err());
        assert!(parse_filter("displayName foo 'x'").is_err());
    }
}
