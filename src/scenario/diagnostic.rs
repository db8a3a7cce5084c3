//! Error messages about scenario files, rendered like rustc/cargo diagnostics:
//!
//! ```text
//! error: invalid value for `regions.china.mines.bayan_obo.capacity_t`
//!   --> scenarios/bad.toml:12:14
//!    |
//! 12 | capacity_t = -5
//!    |              ^^ found -5
//!    |
//!    = help: allowed: tonnes between 0 and 1e9 (world magnet demand is ~3e5 t a year)
//! ```

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

pub use crate::model::dist::number;

/// One problem in one file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub source: Arc<str>,
    pub span: Option<Range<usize>>,
    /// Dotted key of the offending value, when known.
    pub key: Option<String>,
    /// Headline, e.g. "invalid value for `x`".
    pub title: String,
    /// What was found (shown under the caret).
    pub found: String,
    /// What is allowed, when there is a simple rule to state.
    pub allowed: Option<String>,
}

impl Diagnostic {
    /// 1-based line and column of the span start (column counted in characters).
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let start = floor_char_boundary(
            &self.source,
            self.span.as_ref()?.start.min(self.source.len()),
        );
        let before = &self.source[..start];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }

    pub fn render(&self, styled: bool) -> String {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let path = self.path.display().to_string();
        let title = Level::ERROR.primary_title(self.title.as_str());
        let first = match &self.span {
            Some(span) => {
                // Clamp to the source, on character boundaries, and never point at an empty
                // range (annotate-snippets needs at least one character to draw a caret).
                let src = &*self.source;
                let len = src.len();
                let start = floor_char_boundary(src, span.start.min(len));
                let end = span.end.clamp(start, len);
                let end = if end == start && end < len {
                    end + 1
                } else {
                    end
                };
                let end = ceil_char_boundary(src, end);
                title.element(
                    Snippet::source(&*self.source)
                        .path(path.as_str())
                        .annotation(AnnotationKind::Primary.span(start..end).label(&*self.found)),
                )
            }
            None => title.element(annotate_snippets::Origin::path(path.as_str())),
        };
        let mut groups = vec![first];
        if self.span.is_none() && !self.found.is_empty() {
            groups.push(Group::with_title(
                Level::NOTE.secondary_title(format!("found: {}", self.found)),
            ));
        }
        if let Some(allowed) = &self.allowed {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(format!("allowed: {allowed}")),
            ));
        }
        renderer.render(&groups)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// All problems found in a scenario (validation reports every problem it can, not just the
/// first).
#[derive(Debug, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "error: scenario is invalid ({n} error{})",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}
