//! `podsec dump-json` (hidden): every document as podsec's parser reads it, one JSON line each, so that
//! another YAML reader (tools/yaml-diff.py runs libyaml) can be compared with it document by document.
//!
//! Each line is `{"file", "doc", "json"}` for a document that reads, `{"file", "doc", "error", "line"}`
//! for one that does not (`doc` counts the file's non-empty documents from 0, as the checks do), and
//! `{"file", "doc": null, "error", "line"}` for a file that cannot be read at all. An error after which
//! nothing more of the stream could be read comes last, with `"fatal": true`.

use std::io::Write;

use serde_json::{Value, json};

use crate::frontend::{EXIT_ERROR, EXIT_OK};
use crate::input::{self, LineIndex};
use crate::yaml::{self, Limits, YamlError};

pub fn run(paths: &[String]) -> i32 {
    let (files, errors) = input::discover(paths, &|_| false);
    let mut out = crate::frontend::Output::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let mut status = EXIT_OK;
    let limits = Limits::default();
    for (name, path) in &files {
        let lines = match input::read(name, path.as_deref()) {
            Ok(src) => dump(&src.name, &src.text, &limits),
            Err(e) => {
                status = EXIT_ERROR;
                vec![json!({"file": e.name, "doc": null, "error": e.message, "line": e.line})]
            }
        };
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
    for e in errors {
        status = EXIT_ERROR;
        let _ = writeln!(out, "{}", json!({"file": e.name, "doc": null, "error": e.message, "line": e.line}));
    }
    crate::frontend::output_status([out.finish()]).unwrap_or(status)
}

/// The lines for one file's text.
fn dump(name: &str, text: &str, limits: &Limits) -> Vec<Value> {
    let index = LineIndex::new(text);
    let line = |e: &YamlError| index.line_col(text, e.offset).0;
    let stream = yaml::parse_stream(text, limits);
    let mut lines: Vec<Value> = stream
        .docs
        .iter()
        .enumerate()
        .map(|(n, doc)| match &doc.root {
            Ok(root) => json!({"file": name, "doc": n, "json": root.to_json()}),
            Err(e) => json!({"file": name, "doc": n, "error": e.message, "line": line(e)}),
        })
        .collect();
    if let Some(e) = &stream.fatal {
        lines.push(json!({"file": name, "doc": stream.docs.len(), "error": e.message, "line": line(e), "fatal": true}));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_non_empty_document() {
        let lines = dump("a.yaml", "a: 1\n---\n# only a comment\n---\nb: [\n---\n~\n---\nc: yes\n", &Limits::default());
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0], json!({"file": "a.yaml", "doc": 0, "json": {"a": 1}}));
        assert_eq!(lines[1]["doc"], 1);
        assert_eq!(lines[1]["line"], 5, "{lines:?}");
        assert!(lines[1]["error"].is_string());
        assert_eq!(lines[2], json!({"file": "a.yaml", "doc": 2, "json": {"c": true}}));
    }
}
