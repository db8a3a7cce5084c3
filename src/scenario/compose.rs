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
            Err(super::ReadError::NotUtf8(d)) => return Err(ChainError(vec![*d])),
            Err(super::ReadError::Io(e)) => {
                return Err(ChainError(vec![sources.diagnostic(
                    Some(span),
                    "extends",
                    format!(
                        "cannot read the extended scenario `{}`",
                        parent_path.display()
                    ),
                    crate::os_error::explain(&e),
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
    let written = span.clone().map(|s| {
        let (f, local) = sources.locate(s);
        f.text.get(local).unwrap_or("").trim().to_string()
    });
    let first = plain_words(
        message.trim().lines().next().unwrap_or(""),
        written.as_deref(),
    );
    let (mut found, allowed) = match first.split_once(", expected") {
        Some((f, a)) => (f.to_string(), Some(a.trim().to_string())),
        None => (first.clone(), None),
    };
    if let (Some(key), Some(allowed)) = (unknown_field(&first), &allowed) {
        let names: Vec<&str> = allowed.split('`').skip(1).step_by(2).collect();
        if let Some(s) = suggestion(key, &names) {
            found = format!("{found}; did you mean `{s}`?");
        }
    }
    sources.diagnostic(
        span,
        "",
        format!("could not read scenario: {first}"),
        found,
        allowed,
    )
}

/// The key named by "unknown field `x`, expected ...".
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// A serde message without Rust type names and with a number echoed as the user wrote it:
/// "invalid type: floating point `1000...0.0`, expected i64" becomes
/// "invalid type: number `1e308`, expected a whole number".
fn plain_words(message: &str, written: Option<&str>) -> String {
    if let (Some(w), true) = (written, message.contains("` as i128")) {
        return format!(
            "number `{w}` is too large (whole numbers go up to {})",
            i64::MAX
        );
    }
    let mut m = message.to_string();
    for (kind, plain) in [
        ("floating point `", "number `"),
        ("integer `", "whole number `"),
    ] {
        if let Some(at) = m.find(kind) {
            let start = at + kind.len();
            if let Some(len) = m[start..].find('`') {
                let echoed = written
                    .filter(|w| !w.is_empty() && w.len() <= 40)
                    .map_or_else(|| m[start..start + len].to_string(), str::to_string);
                m = format!("{}{plain}{echoed}{}", &m[..at], &m[start + len..]);
            }
        }
    }
    for (ty, plain) in [
        ("i8", "a whole number"),
        ("i16", "a whole number"),
        ("i32", "a whole number"),
        ("i64", "a whole number"),
        ("u8", "a whole number at least 0"),
        ("u16", "a whole number at least 0"),
        ("u32", "a whole number at least 0"),
        ("u64", "a whole number at least 0"),
        ("usize", "a whole number at least 0"),
        ("f32", "a number"),
        ("f64", "a number"),
    ] {
        if let Some(head) = m.strip_suffix(&format!("expected {ty}")) {
            m = format!("{head}expected {plain}");
        }
    }
    m
}

/// The merged document of a chain, and the entries that files added to their parent's.
pub struct Merged<'a> {
    pub doc: Spanned<DeTable<'a>>,
    pub added: Vec<Added>,
}

/// An entry that a file adds to what the file it extends defines, rather than overriding one
/// of its entries: a region, sector or route table, or an entry of a named list. A misspelled
/// override lands here, so an error inside it can say so.
#[derive(Debug, Clone)]
pub struct Added {
    /// Dotted key of the table or list holding it, e.g. `regions.china.mines`.
    pub within: String,
    pub name: String,
    /// Global span of the name (the table key or the `name` value).
    pub name_span: Range<usize>,
    /// Global span of the whole entry.
    pub span: Range<usize>,
    /// The names the extended scenario defines there.
    pub existing: Vec<String>,
    /// The file extended.
    pub parent: PathBuf,
}

/// Parses every file of the chain and merges them into one document whose spans are global.
pub fn merged(sources: &Sources) -> Result<Merged<'_>, Box<Diagnostic>> {
    let mut doc: Option<Spanned<DeTable>> = None;
    let mut added = Vec::new();
    for (i, f) in sources.files.iter().enumerate().rev() {
        let t = parse(sources, f)?;
        let span = t.span();
        let mut t = shift_table(t.into_inner(), f.base);
        t.remove("extends");
        doc = Some(match doc {
            None => {
                for (k, x) in &t {
                    stray_removal(sources, None, k.get_ref(), x.get_ref())?;
                }
                Spanned::new((span.start + f.base)..(span.end + f.base), t)
            }
            Some(base) => {
                let s = base.span();
                let mut b = base.into_inner();
                let mut m = Merger {
                    sources,
                    parent: &sources.files[i + 1].path,
                    added: &mut added,
                };
                m.table("", &mut b, t)?;
                Spanned::new(s, b)
            }
        });
    }
    Ok(Merged {
        doc: doc.expect("at least one file"),
        added,
    })
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

/// A distribution such as `{ dist = "uniform", min = 1, max = 2 }`: replaced whole, never
/// merged key by key (a child's uniform must not inherit its parent's `mode`).
fn is_dist(t: &DeTable<'_>) -> bool {
    t.contains_key("dist")
}

/// Tables whose keys name entries (a key the parent lacks adds an entry).
fn is_entry_map(path: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    matches!(
        parts.as_slice(),
        ["regions"] | ["regions", _, "sectors"] | ["logistics", "routes"]
    )
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Merges one file's document into the merged document of the files it extends.
struct Merger<'s, 'p> {
    sources: &'s Sources,
    /// The file extended by the one being merged.
    parent: &'p Path,
    added: &'p mut Vec<Added>,
}

impl Merger<'_, '_> {
    fn table<'a>(
        &mut self,
        path: &str,
        base: &mut DeTable<'a>,
        over: DeTable<'a>,
    ) -> Result<(), Box<Diagnostic>> {
        let existing: Vec<String> = base.keys().map(|k| k.get_ref().to_string()).collect();
        for (k, v) in over {
            let key: &str = k.get_ref();
            let sub = join(path, key);
            let vspan = v.span();
            match (base.get_mut(key).map(Spanned::get_mut), v.into_inner()) {
                (Some(DeValue::Table(b)), DeValue::Table(o)) if !is_dist(b) && !is_dist(&o) => {
                    self.table(&sub, b, o)?
                }
                (Some(DeValue::Array(b)), DeValue::Array(o))
                    if is_named_list(b) && is_named_list(&o) =>
                {
                    self.named(&sub, b, o)?
                }
                (found, other) => {
                    if found.is_none() {
                        stray_removal(self.sources, Some(self.parent), &sub, &other)?;
                        if is_entry_map(path) {
                            self.added.push(Added {
                                within: path.to_string(),
                                name: key.to_string(),
                                name_span: k.span(),
                                span: vspan.clone(),
                                existing: existing.clone(),
                                parent: self.parent.to_path_buf(),
                            });
                        }
                    }
                    base.insert(k, Spanned::new(vspan, other));
                }
            }
        }
        Ok(())
    }

    /// Merges a named list: same name merges, new names append, `remove = true` deletes.
    fn named<'a>(
        &mut self,
        path: &str,
        base: &mut DeArray<'a>,
        over: DeArray<'a>,
    ) -> Result<(), Box<Diagnostic>> {
        for entry in over {
            let name = name_of(&entry).expect("named list").to_string();
            let pos = base.iter().position(|b| name_of(b) == Some(name.as_str()));
            if let Some(r) = removal(&entry) {
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
                        let names: Vec<&str> = base.iter().filter_map(name_of).collect();
                        return Err(Box::new(nothing_to_remove(
                            self.sources,
                            r.span(),
                            path,
                            &name,
                            Some(self.parent),
                            &names,
                        )));
                    }
                    _ => return Err(Box::new(invalid_remove(self.sources, r.span()))),
                }
            }
            match pos {
                Some(i) => {
                    let b = &mut base.as_mut()[i];
                    let span = b.span();
                    let mut inner = std::mem::replace(b.get_mut(), DeValue::Boolean(false));
                    if let (DeValue::Table(bt), DeValue::Table(ot)) =
                        (&mut inner, entry.into_inner())
                    {
                        self.table(&join(path, &name), bt, ot)?;
                    }
                    *b = Spanned::new(span, inner);
                }
                None => {
                    let name_span = entry
                        .get_ref()
                        .as_table()
                        .and_then(|t| t.get("name"))
                        .map_or(entry.span(), |n| n.span());
                    self.added.push(Added {
                        within: path.to_string(),
                        name,
                        name_span,
                        span: entry.span(),
                        existing: base.iter().filter_map(name_of).map(String::from).collect(),
                        parent: self.parent.to_path_buf(),
                    });
                    base.push(entry)
                }
            }
        }
        Ok(())
    }
}

/// The `remove` key of a named-list entry.
fn removal<'v, 'a>(entry: &'v Spanned<DeValue<'a>>) -> Option<&'v Spanned<DeValue<'a>>> {
    entry.get_ref().as_table()?.get("remove")
}

fn invalid_remove(sources: &Sources, span: Range<usize>) -> Diagnostic {
    sources.diagnostic(
        Some(span),
        "remove",
        "invalid value for `remove`".into(),
        "not `true`".into(),
        Some("remove = true (or leave the key out)".into()),
    )
}

/// `remove = true` on a name that the extended scenario (`parent`; None: there is none) does
/// not define in `path`, where it defines `names`.
fn nothing_to_remove(
    sources: &Sources,
    span: Range<usize>,
    path: &str,
    name: &str,
    parent: Option<&Path>,
    names: &[&str],
) -> Diagnostic {
    let (found, allowed) = match parent {
        None => (
            "this file extends no other scenario".to_string(),
            "`remove = true` only in a scenario with `extends`, to delete an entry of the \
             extended scenario"
                .to_string(),
        ),
        Some(p) => {
            let found = match suggestion(name, names) {
                Some(s) => format!("`{}` has no such entry; did you mean `{s}`?", p.display()),
                None => format!("`{}` has no such entry", p.display()),
            };
            let allowed = if names.is_empty() {
                format!(
                    "`{}` defines no `{path}`: there is nothing to remove (leave the entry out)",
                    p.display()
                )
            } else {
                format!(
                    "the name of an entry of `{path}` in `{}`: {}",
                    p.display(),
                    names.join(", ")
                )
            };
            (found, allowed)
        }
    };
    sources.diagnostic(
        Some(span),
        &join(path, "remove"),
        format!("nothing named \"{name}\" to remove from `{path}`"),
        found,
        Some(allowed),
    )
}

/// Refuses `remove = true` anywhere in a value that is not merged into an inherited named list
/// (a list the extended scenario `parent` lacks, or anything in a file that extends nothing).
fn stray_removal(
    sources: &Sources,
    parent: Option<&Path>,
    path: &str,
    v: &DeValue<'_>,
) -> Result<(), Box<Diagnostic>> {
    match v {
        DeValue::Table(t) => {
            for (k, x) in t {
                stray_removal(sources, parent, &join(path, k.get_ref()), x.get_ref())?;
            }
        }
        DeValue::Array(a) if is_named_list(a) => {
            for entry in a {
                if let Some(r) = removal(entry) {
                    if r.get_ref().as_bool() != Some(true) {
                        return Err(Box::new(invalid_remove(sources, r.span())));
                    }
                    let name = name_of(entry).unwrap_or_default();
                    let d = nothing_to_remove(sources, r.span(), path, name, parent, &[]);
                    return Err(Box::new(d));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The name in `names` closest to `name`, when it is close enough to be a typo of it.
pub fn suggestion<'n>(name: &str, names: &[&'n str]) -> Option<&'n str> {
    let limit = (name.chars().count() / 3).max(1);
    names
        .iter()
        .map(|n| (edit_distance(&name.to_lowercase(), &n.to_lowercase()), *n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// What an entry of `within` is called in messages.
fn entry_kind(within: &str) -> &'static str {
    let last = within.rsplit('.').next().unwrap_or("");
    match (within, last) {
        ("regions", _) => "region",
        ("logistics.routes", _) => "route",
        ("controls", _) => "control",
        ("stockpiles", _) => "stockpile",
        (_, "sectors") => "sector",
        (_, "mines") => "mine",
        (_, "separation") => "separation plant",
        (_, "magnet_plants") => "magnet plant",
        _ => "entry",
    }
}

/// A "missing field" error inside an entry that a file added to those of the scenario it
/// extends: most likely a misspelled override, so say so and suggest the nearest name.
pub fn unmatched_override(
    sources: &Sources,
    added: &[Added],
    span: Option<Range<usize>>,
    message: &str,
) -> Option<Diagnostic> {
    let field = message
        .trim()
        .strip_prefix("missing field `")?
        .split('`')
        .next()?;
    let span = span?;
    let inside = |a: &&Added| {
        (span.start <= a.name_span.start && a.name_span.end <= span.end)
            || (a.span.start <= span.start && span.start < a.span.end)
    };
    let a = added.iter().filter(inside).min_by_key(|a| a.span.len())?;
    let kind = entry_kind(&a.within);
    let parent = a.parent.display();
    let names: Vec<&str> = a.existing.iter().map(String::as_str).collect();
    let found = match suggestion(&a.name, &names) {
        Some(s) => format!("`{parent}` has no {kind} `{}`; did you mean `{s}`?", a.name),
        None => format!("`{parent}` has no {kind} of this name"),
    };
    let allowed = format!(
        "to override, the name of a {kind} of `{parent}` ({}); to add a new {kind}, all the \
         keys it needs (this one lacks `{field}`)",
        if names.is_empty() {
            "it defines none".to_string()
        } else {
            names.join(", ")
        }
    );
    Some(sources.diagnostic(
        Some(a.name_span.clone()),
        &join(&a.within, &a.name),
        format!("no {kind} `{}` to override in `{parent}`", a.name),
        found,
        Some(allowed),
    ))
}
