//! Source files and positions in them, and the diagnostics that point into them.
//!
//! Every error a person can make in a catalogue or profile file is reported as a
//! [`Diagnostic`]: what is wrong, where (file:line:col), the offending line with a caret under
//! the spot, and what to do about it.

use std::fmt;
use std::sync::Arc;

/// Index of a file in a [`Sources`] registry.
pub type FileId = u32;

/// A position in a source file: 1-based line and column (in characters), and the byte offset
/// and length where known (used by renderers that underline a span).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    pub file: FileId,
    pub line: u64,
    pub column: u64,
    pub offset: Option<usize>,
    pub len: usize,
}

impl Loc {
    pub(crate) fn from_saphyr(location: serde_saphyr::Location) -> Loc {
        let span = location.span();
        Loc {
            file: 0,
            line: location.line(),
            column: location.column(),
            offset: span.byte_offset().and_then(|o| usize::try_from(o).ok()),
            len: span
                .byte_len()
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(0),
        }
    }

    pub(crate) fn in_file(mut self, file: FileId) -> Loc {
        self.file = file;
        self
    }
}

/// One source file: a display name (a path, or `builtin:identity.yaml`) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
}

/// The files a catalogue was read from, so diagnostics can quote them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        FileId::try_from(self.files.len() - 1).expect("fewer than 4 billion files")
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }

    /// Builds a diagnostic pointing at `at`.
    pub fn diagnostic(&self, kind: ErrorKind, at: Loc, message: impl Into<String>) -> Diagnostic {
        let file = self.get(at.file);
        let mut diagnostic = Diagnostic {
            kind,
            message: message.into(),
            file: file.name.clone(),
            line: at.line,
            column: at.column,
            offset: at.offset,
            len: at.len,
            source_line: None,
            help: None,
            source_text: Some(file.text.clone()),
        };
        diagnostic.source_line = line_of(&file.text, at.line);
        diagnostic
    }
}

/// The text of a 1-based line, without its line ending.
pub fn line_of(text: &str, line: u64) -> Option<String> {
    let index = usize::try_from(line.checked_sub(1)?).ok()?;
    text.lines()
        .nth(index)
        .map(|l| l.trim_end_matches('\r').to_owned())
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col_of_offset(text: &str, offset: usize) -> (u64, u64) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u64 + 1;
    (line, column)
}

/// What kind of mistake a diagnostic reports. Tests and tools branch on this, never on the
/// message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The file is not well-formed YAML or TOML.
    Syntax,
    /// A field the schema does not have.
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong type or a value outside its allowed set.
    InvalidValue,
    /// Two features share an id.
    DuplicateId,
    /// Two resources claim the same tenant object (or the same fields of a singleton).
    DuplicateResource,
    /// `depends_on` names a feature that does not exist.
    UnknownDependency,
    /// A `$ref` names a resource that no feature defines.
    UnknownReference,
    /// Features depend on each other in a circle.
    DependencyCycle,
    /// A resource kind the catalogue does not know.
    UnknownKind,
    /// A desired field that the resource kind does not have in Graph v1.0.
    UnknownProperty,
    /// A `{{ … }}` template names a parameter that does not exist, or is malformed.
    UnknownTemplateParameter,
    /// An agency parameter (profile value) is not valid for its type.
    InvalidParameter,
    /// An ABAC reference to a section the coverage table does not list, or a listed section no
    /// feature accounts for.
    AbacCoverage,
    /// An overlay overrides or disables a feature in a way that cannot apply.
    InvalidOverlay,
}

impl ErrorKind {
    /// A short stable code, shown in brackets after `error`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnknownField => "unknown-field",
            ErrorKind::MissingField => "missing-field",
            ErrorKind::InvalidValue => "invalid-value",
            ErrorKind::DuplicateId => "duplicate-id",
            ErrorKind::DuplicateResource => "duplicate-resource",
            ErrorKind::UnknownDependency => "unknown-dependency",
            ErrorKind::UnknownReference => "unknown-reference",
            ErrorKind::DependencyCycle => "dependency-cycle",
            ErrorKind::UnknownKind => "unknown-kind",
            ErrorKind::UnknownProperty => "unknown-property",
            ErrorKind::UnknownTemplateParameter => "unknown-template-parameter",
            ErrorKind::InvalidParameter => "invalid-parameter",
            ErrorKind::AbacCoverage => "abac-coverage",
            ErrorKind::InvalidOverlay => "invalid-overlay",
        }
    }
}

/// One problem in an input file, located.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub kind: ErrorKind,
    pub message: String,
    /// Display name of the file (a path, or `builtin:…` for embedded files).
    pub file: String,
    /// 1-based; 0 when the position is unknown.
    pub line: u64,
    /// 1-based, in characters; 0 when unknown.
    pub column: u64,
    /// Byte offset of the spot, where known.
    pub offset: Option<usize>,
    /// Byte length of the offending text (0 when only a point is known).
    pub len: usize,
    /// The offending line, for the caret display.
    pub source_line: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// The whole file, so a front end can render its own snippet.
    pub source_text: Option<Arc<str>>,
}

impl Diagnostic {
    /// A diagnostic at `span` of `text`, the contents of the file `name` (at its start when
    /// there is no span): for a problem found after the file was read, such as a rendered
    /// value that points back at the profile setting it came from.
    pub fn in_text(
        kind: ErrorKind,
        name: &str,
        text: &str,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut sources = Sources::default();
        let file = sources.add(name, text);
        let offset = span.as_ref().map(|s| s.start).unwrap_or(0);
        let (line, column) = line_col_of_offset(text, offset);
        let loc = Loc {
            file,
            line,
            column,
            offset: Some(offset),
            len: span.map(|s| s.len()).unwrap_or(0),
        };
        sources.diagnostic(kind, loc, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// `file:line:col`, the form editors and terminals turn into links.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error[{}]: {}", self.kind.code(), self.message)?;
        write!(f, "  --> {}", self.location())?;
        if let Some(line) = &self.source_line {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            // The caret goes under the column; tabs are kept so it lines up in a terminal.
            let indent: String = line
                .chars()
                .take(self.column.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{pad} |\n{number} | {line}\n{pad} | {indent}^")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in one pass, in file order. Validation reports them all at once so a
/// person fixes a file in one go rather than one error per run.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}
