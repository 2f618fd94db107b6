//! Renderings of check results: text, json (versioned contract), SARIF 2.1.0, GitHub annotations.

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
#[derive(Default, Debug, Clone, Copy)]
pub struct Totals {
    pub files: usize,
    pub workloads: usize,
    pub failing: usize,
    pub violations: usize,
    /// Violations of Pod Security Admission itself (not podsec's own checks).
    pub psa_violations: usize,
    pub errors: usize,
}

pub fn totals(files: &[FileReport]) -> Totals {
    let mut t = Totals { files: files.len(), ..Totals::default() };
    for f in files {
        if f.error.is_some() {
            t.errors += 1;
        }
        for r in &f.resources {
            match &r.outcome {
                Outcome::Workload { findings, .. } => {
                    t.workloads += 1;
                    t.violations += findings.len();
                    t.failing += usize::from(!findings.is_empty());
                    t.psa_violations += findings.iter().filter(|f| !f.own).count();
                }
                Outcome::Error { .. } => t.errors += 1,
                Outcome::Skipped { .. } => {}
            }
        }
    }
    t
}

pub fn render(format: Format, files: &[FileReport], level: Level, version: PolicyVersion) -> (String, String) {
    match format {
        Format::Text => text(files, level, version),
        Format::Json => (to_string(&json_report(files, level, version)), String::new()),
        Format::Sarif => (to_string(&sarif(files)), errors_text(files)),
        Format::Github => github(files, level, version),
    }
}

fn to_string(v: &J) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
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

fn text(files: &[FileReport], level: Level, version: PolicyVersion) -> (String, String) {
    let mut out = String::new();
    for f in files {
        for r in &f.resources {
            if let Outcome::Workload { findings, .. } = &r.outcome {
                for v in findings {
                    let (l, c) = (v.pos.line, v.pos.col);
                    out.push_str(&format!("{}:{l}:{c}: {}: {}", f.name, v.check, v.reason));
                    if !v.detail.is_empty() {
                        out.push_str(&format!(" ({})", v.detail));
                    }
                    if let Some(fix) = v.fix {
                        out.push_str(&format!(" [fix: {fix}]"));
                    }
                    out.push('\n');
                }
            }
        }
    }
    let t = totals(files);
    out.push_str(&summary(&t, level, version));
    (out, errors_text(files))
}

pub fn summary(t: &Totals, level: Level, version: PolicyVersion) -> String {
    let plural = |n: usize, s: &str| if n == 1 { format!("{n} {s}") } else { format!("{n} {s}s") };
    let mut s = format!(
        "{} in {} of {} at {}:{} ({})",
        plural(t.violations, "violation"),
        t.failing,
        plural(t.workloads, "workload"),
        level,
        version,
        plural(t.files, "file"),
    );
    if t.errors > 0 {
        s.push_str(&format!(", {}", plural(t.errors, "error")));
    }
    s.push('\n');
    s
}

pub fn json_report(files: &[FileReport], level: Level, version: PolicyVersion) -> J {
    let mut results = Vec::new();
    for f in files {
        if let Some((msg, line)) = &f.error {
            results.push(json!({"file": f.name, "doc": null, "error": msg, "line": line}));
            continue;
        }
        for r in &f.resources {
            let mut obj = serde_json::Map::new();
            obj.insert("file".into(), json!(f.name));
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
                            let mut o = json!({"check": v.check, "reason": v.reason, "detail": v.detail, "line": l, "column": c});
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
                        obj.insert("level".into(), json!(l.to_string()));
                        obj.insert("pssVersion".into(), json!(v.to_string()));
                    }
                }
                Outcome::Skipped { kind } => {
                    obj.insert("kind".into(), if kind.is_empty() { J::Null } else { json!(kind) });
                    obj.insert("skipped".into(), json!(true));
                }
                Outcome::Error { message, pos, .. } => {
                    obj.insert("error".into(), json!(message));
                    obj.insert("line".into(), json!(pos.line));
                }
            }
            results.push(J::Object(obj));
        }
    }
    json!({"version": 1, "level": level.to_string(), "pssVersion": version.to_string(), "results": results})
}

fn sarif_uri(name: &str) -> String {
    let n = name.trim_start_matches("./");
    n.replace('\\', "/")
}

pub fn sarif(files: &[FileReport]) -> J {
    let registry: Vec<&checks::CheckInfo> = checks::registry().iter().chain(checks::own::registry()).collect();
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
    let mut results = Vec::new();
    for f in files {
        for r in &f.resources {
            let Outcome::Workload { findings, .. } = &r.outcome else { continue };
            for v in findings {
                let (l, c) = (v.pos.line, v.pos.col);
                let (el, ec) = (v.pos.end_line, v.pos.end_col);
                let (el, ec) = if (el, ec) <= (l, c) { (l, c + 1) } else { (el, ec) };
                let mut message = v.reason.clone();
                if !v.detail.is_empty() {
                    message.push_str(&format!(" ({})", v.detail));
                }
                results.push(json!({
                    "ruleId": v.check,
                    "ruleIndex": registry.iter().position(|c| c.id == v.check),
                    "level": "error",
                    "message": {"text": message},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": sarif_uri(&f.name)},
                        "region": {"startLine": l, "startColumn": c, "endLine": el, "endColumn": ec},
                    }}],
                }));
            }
        }
    }
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

/// GitHub workflow-command escaping (actions/toolkit `escapeData` / `escapeProperty`).
pub fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

pub fn gh_escape_property(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(files: &[FileReport], level: Level, version: PolicyVersion) -> (String, String) {
    let mut out = String::new();
    for f in files {
        let file = gh_escape_property(&sarif_uri(&f.name));
        if let Some((msg, line)) = &f.error {
            let line = line.map(|l| format!(",line={l}")).unwrap_or_default();
            out.push_str(&format!("::error file={file}{line},title=podsec error::{}\n", gh_escape_data(msg)));
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
                        out.push_str(&format!(
                            "::error file={file},line={l},col={c},title={}::{}\n",
                            gh_escape_property(&format!("podsec {}", v.check)),
                            gh_escape_data(&msg)
                        ));
                    }
                }
                Outcome::Error { message, pos, .. } => {
                    let (l, c) = (pos.line, pos.col);
                    out.push_str(&format!(
                        "::error file={file},line={l},col={c},title=podsec error::{}\n",
                        gh_escape_data(message)
                    ));
                }
                Outcome::Skipped { .. } => {}
            }
        }
    }
    let t = totals(files);
    out.push_str(&format!("::notice title=podsec::{}", gh_escape_data(summary(&t, level, version).trim_end())));
    out.push('\n');
    (out, String::new())
}
