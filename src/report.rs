//! Renderings of check results: text, json (versioned contract), SARIF 2.1.0, GitHub annotations.

use std::io::Write;

use serde_json::{Value as J, json};

use crate::checks::{self, Level, PolicyVersion};
use crate::engine::{Outcome, Resource};

/// Everything a renderer needs about one input.
pub struct FileReport {
    pub name: String,
    pub resources: Vec<Resource>,
    /// A file-level error (unreadable, template, no documents): reported instead of resources.
    pub error: Option<(String, Option<usize>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

/// Totals for the summary line and the exit code.
#[derive(Default, Debug, Clone)]
pub struct Totals {
    /// Workloads evaluated at another level or version than the run's (a Namespace's label
    /// chose it): `level:version` → how many.
    pub other_policies: std::collections::BTreeMap<String, usize>,
    pub files: usize,
    pub workloads: usize,
    pub failing: usize,
    pub violations: usize,
    pub errors: usize,
    /// Documents left alone as kustomize patches.
    pub patches: usize,
}

impl Totals {
    pub fn add(&mut self, o: &Totals) {
        self.files += o.files;
        self.workloads += o.workloads;
        self.failing += o.failing;
        self.violations += o.violations;
        self.errors += o.errors;
        self.patches += o.patches;
        for (k, n) in &o.other_policies {
            *self.other_policies.entry(k.clone()).or_default() += n;
        }
    }
}

pub fn totals(files: &[FileReport]) -> Totals {
    let mut t = Totals { files: files.len(), ..Totals::default() };
    for f in files {
        if f.error.is_some() {
            t.errors += 1;
        }
        for r in &f.resources {
            match &r.outcome {
                Outcome::Workload { findings, policy, .. } => {
                    if let Some((level, version)) = policy {
                        *t.other_policies.entry(format!("{level}:{version}")).or_default() += 1;
                    }
                    t.workloads += 1;
                    t.violations += findings.len();
                    t.failing += usize::from(!findings.is_empty());
                }
                Outcome::Error { .. } => t.errors += 1,
                Outcome::Skipped { reason, .. } => t.patches += usize::from(reason.is_some()),
            }
        }
    }
    t
}

/// Renders results as files complete, so that memory stays bounded by the files in flight rather
/// than by the whole input: text, JSON results and annotations are written per chunk of files; only
/// SARIF (one document) keeps its results until the end.
pub struct Reporter {
    format: Format,
    level: Level,
    version: PolicyVersion,
    pub totals: Totals,
    /// The JSON/SARIF document has been opened; no result written yet.
    opened: bool,
    first: bool,
    /// Colour the text format (ANSI): where, which check, the fix's class, the summary.
    pub color: bool,
}

impl Reporter {
    pub fn new(format: Format, level: Level, version: PolicyVersion) -> Self {
        Reporter { format, level, version, totals: Totals::default(), opened: false, first: true, color: false }
    }

    /// Render a chunk of files (in input order).
    pub fn chunk(&mut self, files: &[FileReport], out: &mut impl Write, err: &mut impl Write) -> std::io::Result<()> {
        self.totals.add(&totals(files));
        self.render(files, out, err)
    }

    /// Render part of one file's results (a file reported document by document); the file itself
    /// is counted by [`Reporter::file_done`].
    pub fn part(&mut self, part: &FileReport, out: &mut impl Write, err: &mut impl Write) -> std::io::Result<()> {
        let files = std::slice::from_ref(part);
        self.totals.add(&Totals { files: 0, ..totals(files) });
        self.render(files, out, err)
    }

    /// A file reported in parts is complete.
    pub fn file_done(&mut self) {
        self.totals.files += 1;
    }

    fn render(&mut self, files: &[FileReport], out: &mut impl Write, err: &mut impl Write) -> std::io::Result<()> {
        match self.format {
            Format::Text => {
                text_lines(files, out, self.color)?;
                err.write_all(errors_text(files).as_bytes())?;
            }
            Format::Json => {
                for r in json_results(files) {
                    self.item(out, &r)?;
                }
            }
            Format::Sarif => {
                for r in sarif_results(files) {
                    self.item(out, &r)?;
                }
                err.write_all(errors_text(files).as_bytes())?;
            }
            Format::Github => github_lines(files, out)?,
        }
        Ok(())
    }

    /// The document's opening, up to its results array (JSON and SARIF), written once.
    fn open(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if self.opened {
            return Ok(());
        }
        self.opened = true;
        match self.format {
            Format::Json => write!(
                out,
                "{{\"version\": 1, \"level\": {}, \"pssVersion\": {}, \"results\": [",
                json!(self.level.to_string()),
                json!(self.version.to_string())
            ),
            Format::Sarif => write_sarif_head(out),
            Format::Text | Format::Github => Ok(()),
        }
    }

    /// One element of the results array, one per line.
    fn item(&mut self, out: &mut impl Write, value: &J) -> std::io::Result<()> {
        self.open(out)?;
        out.write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut *out, value)?;
        Ok(())
    }

    /// Close the rendering (summary line, JSON closing, the SARIF document) and return the totals.
    pub fn finish(mut self, out: &mut impl Write) -> std::io::Result<Totals> {
        match self.format {
            Format::Text => {
                let line = summary(&self.totals, self.level, self.version);
                if self.color {
                    // Red when anything failed, green when all passed.
                    let code = if self.totals.violations > 0 || self.totals.errors > 0 { "1;31" } else { "1;32" };
                    writeln!(out, "\x1b[{code}m{}\x1b[0m", line.trim_end())?
                } else {
                    out.write_all(line.as_bytes())?
                }
            }
            Format::Json => {
                self.open(out)?;
                out.write_all(b"\n]}\n")?;
            }
            Format::Sarif => {
                self.open(out)?;
                out.write_all(b"\n]}]}\n")?;
            }
            Format::Github => {
                let line = summary(&self.totals, self.level, self.version);
                writeln!(out, "::notice title=podsec::{}", gh_escape_data(line.trim_end()))?;
            }
        }
        Ok(self.totals)
    }
}

fn errors_text(files: &[FileReport]) -> String {
    let mut err = String::new();
    for f in files {
        if let Some((msg, line)) = &f.error {
            match line {
                Some(l) => err.push_str(&format!("{}:{l}: error: {msg}\n", f.name)),
                None => err.push_str(&format!("{}: error: {msg}\n", f.name)),
            }
        }
        for r in &f.resources {
            if let Outcome::Error { message, pos, .. } = &r.outcome {
                let (l, c) = (pos.line, pos.col);
                err.push_str(&format!("{}:{l}:{c}: error: document {}: {message}\n", f.name, r.doc));
            }
        }
    }
    err
}

fn text_lines(files: &[FileReport], out: &mut impl Write, color: bool) -> std::io::Result<()> {
    // ANSI: bold place, red check id, dim fix class (nothing when not colouring).
    let (bold, red, dim, off) = if color { ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m") } else { ("", "", "", "") };
    for f in files {
        for r in &f.resources {
            if let Outcome::Workload { findings, .. } = &r.outcome {
                for v in findings {
                    let (l, c) = (v.pos.line, v.pos.col);
                    write!(out, "{bold}{}:{l}:{c}:{off} {red}{}{off}: {}", f.name, v.check, v.reason)?;
                    if !v.detail.is_empty() {
                        write!(out, " ({})", v.detail)?;
                    }
                    if let Some(fix) = v.fix {
                        write!(out, " {dim}[fix: {fix}]{off}")?;
                    }
                    out.write_all(b"\n")?;
                }
            }
        }
    }
    Ok(())
}

pub fn summary(t: &Totals, level: Level, version: PolicyVersion) -> String {
    let plural = |n: usize, s: &str| if n == 1 { format!("{n} {s}") } else { format!("{n} {s}s") };
    let mut files = plural(t.files, "file");
    if !t.other_policies.is_empty() {
        let others: Vec<String> =
            t.other_policies.iter().map(|(p, n)| format!("{} at {p}", plural(*n, "workload"))).collect();
        files.push_str(&format!("; {}, as their Namespace's label says", others.join(", ")));
    }
    if t.patches > 0 {
        files.push_str(&format!("; {} skipped", plural(t.patches, "kustomize patch document")));
    }
    let mut s = format!(
        "{} in {} of {} at {}:{} ({files})",
        plural(t.violations, "violation"),
        t.failing,
        plural(t.workloads, "workload"),
        level,
        version,
    );
    if t.errors > 0 {
        s.push_str(&format!(", {}", plural(t.errors, "error")));
    }
    s.push('\n');
    s
}

/// The JSON results of `files`, one at a time (a large file's are rendered as they are written,
/// not held as one array).
pub fn json_results(files: &[FileReport]) -> impl Iterator<Item = J> + '_ {
    files.iter().flat_map(|f| {
        let error =
            f.error.as_ref().map(|(msg, line)| json!({"file": f.name, "doc": null, "error": msg, "line": line}));
        let resources = f.resources.iter().filter(|_| f.error.is_none()).map(move |r| json_resource(&f.name, r));
        error.into_iter().chain(resources)
    })
}

/// The JSON result of one resource (docs/json-output.md).
fn json_resource(file: &str, r: &Resource) -> J {
    let mut obj = serde_json::Map::new();
    obj.insert("file".into(), json!(file));
    obj.insert("doc".into(), json!(r.doc));
    if let Some(i) = r.item {
        obj.insert("item".into(), json!(i));
    }
    match &r.outcome {
        Outcome::Workload { api_version, kind, namespace, name, findings, ignored, policy, .. } => {
            obj.insert("apiVersion".into(), json!(api_version));
            obj.insert("kind".into(), json!(kind));
            obj.insert("namespace".into(), json!(namespace));
            obj.insert("name".into(), json!(name));
            obj.insert("allowed".into(), json!(r.allowed()));
            let vs: Vec<J> = findings
                .iter()
                .map(|v| {
                    let (l, c) = (v.pos.line, v.pos.col);
                    let mut o =
                        json!({"check": v.check, "reason": v.reason, "detail": v.detail, "line": l, "column": c});
                    if v.own {
                        o["source"] = json!("podsec");
                    }
                    if let Some(fix) = v.fix {
                        o["fix"] = json!(fix);
                    }
                    o
                })
                .collect();
            obj.insert("violations".into(), J::Array(vs));
            if !ignored.is_empty() {
                obj.insert("ignored".into(), json!(ignored.iter().map(|f| f.check).collect::<Vec<_>>()));
            }
            if let Some((l, v)) = policy {
                obj.insert("level".into(), json!(l));
                obj.insert("pssVersion".into(), json!(v.to_string()));
            }
        }
        Outcome::Skipped { kind, reason } => {
            obj.insert("kind".into(), if kind.is_empty() { J::Null } else { json!(kind) });
            obj.insert("skipped".into(), json!(true));
            if let Some(reason) = reason {
                obj.insert("reason".into(), json!(reason));
            }
        }
        Outcome::Error { message, pos, .. } => {
            obj.insert("error".into(), json!(message));
            obj.insert("line".into(), json!(pos.line));
        }
    }
    J::Object(obj)
}

/// A SARIF `artifactLocation.uri`: relative to the working directory (which CI runs at the
/// repository root) when the file is under it, else an absolute `file://` URI; percent-encoded.
fn sarif_uri(name: &str) -> String {
    let path = std::path::Path::new(name);
    let relative = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(&cwd).ok().map(|p| p.to_string_lossy().into_owned()))
    } else {
        Some(name.trim_start_matches("./").to_owned())
    };
    match relative {
        Some(rel) => percent_encode(&rel.replace('\\', "/")),
        None => format!("file://{}", percent_encode(&name.replace('\\', "/"))),
    }
}

/// RFC 3986 percent-encoding of everything but unreserved characters and `/`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn all_rules() -> &'static [&'static checks::CheckInfo] {
    static RULES: std::sync::OnceLock<Vec<&'static checks::CheckInfo>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| checks::registry().iter().collect())
}

/// The SARIF log up to its `results` array, which the caller streams and closes with `]}]}`.
fn write_sarif_head(out: &mut impl Write) -> std::io::Result<()> {
    let doc = sarif_document(Vec::new());
    let text = serde_json::to_string(&doc).map_err(std::io::Error::other)?;
    let head = text.strip_suffix("[]}]}").ok_or_else(|| std::io::Error::other("SARIF layout"))?;
    out.write_all(head.as_bytes())?;
    out.write_all(b"[")
}

/// The SARIF log for `results`, with every rule (stable ids: the check ids). `results` is the last
/// member of the run (streaming relies on it).
pub fn sarif_document(results: Vec<J>) -> J {
    let registry = all_rules();
    let rules: Vec<J> = registry
        .iter()
        .map(|c| {
            let short = c.doc.lines().find(|l| !l.trim().is_empty() && !l.starts_with('#')).unwrap_or(c.id);
            json!({
                "id": c.id,
                "name": c.id,
                "shortDescription": {"text": format!("Pod Security Standards ({}): {}", c.level, c.id)},
                "fullDescription": {"text": short.trim()},
                "help": {"text": c.doc, "markdown": c.doc},
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": ["security", "kubernetes", format!("pss-{}", c.level)],
                    "precision": "very-high",
                    "security-severity": if c.level == Level::Baseline { "8.0" } else { "5.5" },
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "podsec",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/podsec/podsec",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// SARIF results for `files`, one at a time.
pub fn sarif_results(files: &[FileReport]) -> impl Iterator<Item = J> + '_ {
    let registry = all_rules();
    files.iter().flat_map(move |f| {
        f.resources.iter().flat_map(move |r| {
            let findings = match &r.outcome {
                Outcome::Workload { findings, .. } => findings.as_slice(),
                _ => &[],
            };
            findings.iter().map(move |v| {
                let (l, c) = (v.pos.line, v.pos.col);
                let (el, ec) = (v.pos.end_line, v.pos.end_col);
                let (el, ec) = if (el, ec) <= (l, c) { (l, c + 1) } else { (el, ec) };
                let mut message = v.reason.clone();
                if !v.detail.is_empty() {
                    message.push_str(&format!(" ({})", v.detail));
                }
                json!({
                    "ruleId": v.check,
                    "ruleIndex": registry.iter().position(|c| c.id == v.check),
                    "level": "error",
                    "message": {"text": message},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": sarif_uri(&f.name)},
                        "region": {"startLine": l, "startColumn": c, "endLine": el, "endColumn": ec},
                    }}],
                })
            })
        })
    })
}

/// GitHub workflow-command escaping (actions/toolkit `escapeData` / `escapeProperty`).
pub fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

pub fn gh_escape_property(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github_lines(files: &[FileReport], out: &mut impl Write) -> std::io::Result<()> {
    for f in files {
        let file = gh_escape_property(f.name.trim_start_matches("./"));
        if let Some((msg, line)) = &f.error {
            let line = line.map(|l| format!(",line={l}")).unwrap_or_default();
            writeln!(out, "::error file={file}{line},title=podsec error::{}", gh_escape_data(msg))?;
        }
        for r in &f.resources {
            match &r.outcome {
                Outcome::Workload { findings, .. } => {
                    for v in findings {
                        let (l, c) = (v.pos.line, v.pos.col);
                        let mut msg = v.reason.clone();
                        if !v.detail.is_empty() {
                            msg.push_str(&format!(" ({})", v.detail));
                        }
                        writeln!(
                            out,
                            "::error file={file},line={l},col={c},title={}::{}",
                            gh_escape_property(&format!("podsec {}", v.check)),
                            gh_escape_data(&msg)
                        )?;
                    }
                }
                Outcome::Error { message, pos, .. } => {
                    let (l, c) = (pos.line, pos.col);
                    writeln!(
                        out,
                        "::error file={file},line={l},col={c},title=podsec error::{}",
                        gh_escape_data(message)
                    )?;
                }
                Outcome::Skipped { .. } => {}
            }
        }
    }
    Ok(())
}
