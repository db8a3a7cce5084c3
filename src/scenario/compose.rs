//! Scenario composition: `extends = "other.toml"`.
//!
//! A scenario may name a parent file (relative to its own directory); the child then only
//! overrides values or adds entries. Chains of `extends` work; a cycle is an error.
//!
//! Merge rules, applied from the most basic ancestor down to the file itself:
//! - tables merge key by key (the child's value wins);
//! - arrays of tables whose entries have a `name` (mines, plants, controls, stockpiles) merge
//!   by name: an entry with an inherited name is merged into it, a new name is appended, and
//!   an entry with `remove = true` deletes the inherited entry of that name;
//! - any other value (numbers, strings, plain arrays, distributions) is replaced whole.
//!
//! So that error messages point into the right file, every file gets its own range in one
//! global offset space (`Sources`): spans of the merged document are global offsets and
//! `Sources::locate` maps them back to a file, line and column.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::diagnostic::Diagnostic;

/// One file of a scenario chain.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Offset of this file's first byte in the global offset space.
    pub base: usize,
}

/// The files of a scenario chain: the scenario itself first, then its ancestors.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    /// A single in-memory file (no `extends` resolution beyond it is possible without a path).
    pub fn single(path: &Path, text: &str) -> Sources {
        Sources {
            files: vec![SourceFile {
                path: path.to_path_buf(),
                text: Arc::from(text),
                base: 0,
            }],
        }
    }

    fn push(&mut self, path: PathBuf, text: String) -> usize {
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        self.files.push(SourceFile {
            path,
            text: Arc::from(text),
            base,
        });
        self.files.len() - 1
    }

    /// The file holding global offset `at` and the span made local to it.
    pub fn locate(&self, span: Range<usize>) -> (&SourceFile, Range<usize>) {
        let f = self
            .files
            .iter()
            .rev()
            .find(|f| f.base <= span.start)
            .unwrap_or(&self.files[0]);
        let len = f.text.len();
        let start = (span.start - f.base).min(len);
        (
            f,
            start..(span.end.saturating_sub(f.base)).clamp(start, len),
        )
    }

    /// A diagnostic located by a global span (None: the scenario file itself, no span).
    pub fn diagnostic(
        &self,
        span: Option<Range<usize>>,
        key: &str,
        title: String,
        found: String,
        allowed: Option<String>,
    ) -> Diagnostic {
        let (file, local) = match span {
            Some(s) => {
                let (f, l) = self.locate(s);
                (f, Some(l))
            }
            None => (&self.files[0], None),
        };
        Diagnostic {
            path: file.path.clone(),
            source: file.text.clone(),
            span: local,
            key: (!key.is_empty()).then(|| key.to_string()),
            title,
            found,
            allowed,
        }
    }
}

/// Located diagnostics: a cycle, an unreadable extended file, a malformed `extends`.
pub struct ChainError(pub Vec<Diagnostic>);

/// The chain of scenario files that starts with `path`, whose text is given; the files it
/// extends are read from disk, checking for cycles.
pub fn chain_from(path: &Path, text: String) -> Result<Sources, ChainError> {
    let mut sources = Sources::default();
    sources.push(path.to_path_buf(), text);
    let mut seen = vec![canonical(path)];
    loop {
        let last = sources.files.len() - 1;
        let (parent, span) = {
            let f = &sources.files[last];
            match extends_of(&sources, f) {
                Ok(Some(x)) => x,
                Ok(None) => return Ok(sources),
                Err(d) => return Err(ChainError(vec![*d])),
            }
        };
        let dir = sources.files[last]
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let parent_path = dir.join(&parent);
        let canon = canonical(&parent_path);
        if seen.contains(&canon) {
            let chain: Vec<String> = sources
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect();
            return Err(ChainError(vec![sources.diagnostic(
                Some(span),
                "extends",
                "`extends` forms a cycle".into(),
                format!("{} -> {}", chain.join(" -> "), parent_path.display()),
                Some("a chain of files that ends in a scenario without `extends`".into()),
            )]));
        }
        seen.push(canon);
        match super::read_file(&parent_path) {
            Ok(text) => {
                sources.push(parent_path, text);
            }
            Err(e) => {
                return Err(ChainError(vec![sources.diagnostic(
                    Some(span),
                    "extends",
                    format!(
                        "cannot read the extended scenario `{}`",
                        parent_path.display()
                    ),
                    e.to_string(),
                    Some("a path to a scenario file, relative to this file's directory".into()),
                )]));
            }
        }
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The `extends` value of a file and its global span.
fn extends_of(
    sources: &Sources,
    f: &SourceFile,
) -> Result<Option<(String, Range<usize>)>, Box<Diagnostic>> {
    let table = parse(sources, f)?;
    let Some(v) = table.get_ref().get("extends") else {
        return Ok(None);
    };
    let span = (v.span().start + f.base)..(v.span().end + f.base);
    match v.get_ref().as_str() {
        Some(s) => Ok(Some((s.to_string(), span))),
        None => Err(Box::new(sources.diagnostic(
            Some(span),
            "extends",
            "invalid value for `extends`".into(),
            "not a string".into(),
            Some("a path to a scenario file, e.g. extends = \"baseline.toml\"".into()),
        ))),
    }
}

fn parse<'a>(
    sources: &Sources,
    f: &'a SourceFile,
) -> Result<Spanned<DeTable<'a>>, Box<Diagnostic>> {
    DeTable::parse(&f.text).map_err(|e| {
        let span = e.span().map(|s| (s.start + f.base)..(s.end + f.base));
        Box::new(toml_diagnostic(sources, span, e.message()))
    })
}

/// A diagnostic from a toml/serde message such as "unknown field `x`, expected one of ...".
pub fn toml_diagnostic(sources: &Sources, span: Option<Range<usize>>, message: &str) -> Diagnostic {
    let first = message.trim().lines().next().unwrap_or("").to_string();
    let (found, allowed) = match first.split_once(", expected") {
        Some((f, a)) => (f.to_string(), Some(a.trim().to_string())),
        None => (first.clone(), None),
    };
    sources.diagnostic(
        span,
        "",
        format!("could not read scenario: {first}"),
        found,
        allowed,
    )
}

/// Parses every file of the chain and merges them into one document whose spans are global.
pub fn merged(sources: &Sources) -> Result<Spanned<DeTable<'_>>, Box<Diagnostic>> {
    let mut doc: Option<Spanned<DeTable>> = None;
    for f in sources.files.iter().rev() {
        let t = parse(sources, f)?;
        let span = t.span();
        let mut t = shift_table(t.into_inner(), f.base);
        t.remove("extends");
        doc = Some(match doc {
            None => Spanned::new((span.start + f.base)..(span.end + f.base), t),
            Some(base) => {
                let s = base.span();
                let mut b = base.into_inner();
                merge_table(sources, &mut b, t)?;
                Spanned::new(s, b)
            }
        });
    }
    Ok(doc.expect("at least one file"))
}

fn shift_span(r: Range<usize>, base: usize) -> Range<usize> {
    (r.start + base)..(r.end + base)
}

fn shift_value(v: Spanned<DeValue<'_>>, base: usize) -> Spanned<DeValue<'_>> {
    let span = shift_span(v.span(), base);
    let inner = match v.into_inner() {
        DeValue::Table(t) => DeValue::Table(shift_table(t, base)),
        DeValue::Array(a) => DeValue::Array(
            a.into_iter()
                .map(|x| shift_value(x, base))
                .collect::<DeArray>(),
        ),
        other => other,
    };
    Spanned::new(span, inner)
}

fn shift_table(t: DeTable<'_>, base: usize) -> DeTable<'_> {
    let mut out = DeTable::new();
    for (k, v) in t {
        let ks = shift_span(k.span(), base);
        out.insert(Spanned::new(ks, k.into_inner()), shift_value(v, base));
    }
    out
}

fn name_of<'a>(v: &'a Spanned<DeValue<'_>>) -> Option<&'a str> {
    v.get_ref().as_table()?.get("name")?.get_ref().as_str()
}

fn is_named_list(a: &DeArray<'_>) -> bool {
    !a.is_empty() && a.iter().all(|v| name_of(v).is_some())
}

fn merge_table<'a>(
    sources: &Sources,
    base: &mut DeTable<'a>,
    over: DeTable<'a>,
) -> Result<(), Box<Diagnostic>> {
    for (k, v) in over {
        let key: &str = k.get_ref();
        let vspan = v.span();
        match (base.get_mut(key).map(Spanned::get_mut), v.into_inner()) {
            (Some(DeValue::Table(b)), DeValue::Table(o)) => merge_table(sources, b, o)?,
            (Some(DeValue::Array(b)), DeValue::Array(o))
                if is_named_list(b) && is_named_list(&o) =>
            {
                merge_named(sources, b, o)?
            }
            (_, other) => {
                base.insert(k, Spanned::new(vspan, other));
            }
        }
    }
    Ok(())
}

/// Merges a named list: same name merges, new names append, `remove = true` deletes.
fn merge_named<'a>(
    sources: &Sources,
    base: &mut DeArray<'a>,
    over: DeArray<'a>,
) -> Result<(), Box<Diagnostic>> {
    for entry in over {
        let name = name_of(&entry).expect("named list").to_string();
        let pos = base.iter().position(|b| name_of(b) == Some(name.as_str()));
        let removal = entry.get_ref().as_table().and_then(|t| t.get("remove"));
        if let Some(r) = removal {
            match (r.get_ref().as_bool(), pos) {
                (Some(true), Some(i)) => {
                    let kept: Vec<_> = std::mem::replace(base, DeArray::new())
                        .into_iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, v)| v)
                        .collect();
                    *base = kept.into_iter().collect();
                    continue;
                }
                (Some(true), None) => {
                    return Err(Box::new(sources.diagnostic(
                        Some(r.span()),
                        "remove",
                        format!("nothing named \"{name}\" to remove"),
                        "no inherited entry has this name".into(),
                        Some(
                            "`remove = true` on an entry whose name the extended scenario defines"
                                .into(),
                        ),
                    )));
                }
                _ => {
                    return Err(Box::new(sources.diagnostic(
                        Some(r.span()),
                        "remove",
                        "invalid value for `remove`".into(),
                        "not `true`".into(),
                        Some("remove = true (or leave the key out)".into()),
                    )));
                }
            }
        }
        match pos {
            Some(i) => {
                let b = &mut base.as_mut()[i];
                let span = b.span();
                let mut inner = std::mem::replace(b.get_mut(), DeValue::Boolean(false));
                if let (DeValue::Table(bt), DeValue::Table(ot)) = (&mut inner, entry.into_inner()) {
                    merge_table(sources, bt, ot)?;
                }
                *b = Spanned::new(span, inner);
            }
            None => base.push(entry),
        }
    }
    Ok(())
}
