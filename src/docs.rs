//! User documentation rendered from the code (`docs/checks/<id>.md`, `podsec explain`).

use crate::checks::CheckInfo;

pub fn render_check(c: &CheckInfo) -> String {
    let versions: Vec<String> = c.variants.iter().map(|v| format!("v1.{v}")).collect();
    let mut s = format!(
        "# `{}`\n\n<!-- generated from src/checks by `cargo test` (docs_are_current); do not edit -->\n\n| | |\n|---|---|\n| level | {} |\n| variants (policy versions) | {} |\n",
        c.id,
        c.level,
        versions.join(", ")
    );
    if !c.overrides.is_empty() {
        s.push_str(&format!(
            "| replaces at restricted | {} (from v1.{}) |\n",
            c.overrides.join(", "),
            c.overrides_from
        ));
    }
    s.push('\n');
    s.push_str(c.doc.trim());
    s.push('\n');
    s
}

/// Every documentation page rendered from the code: `(path under docs/, content)`.
pub fn pages() -> Vec<(String, String)> {
    let all = crate::checks::registry();
    let mut index = String::from(
        "# Checks\n\n<!-- generated from src/checks by `cargo test` (docs_are_current); do not edit -->\n\n| check | level | source |\n|---|---|---|\n",
    );
    let mut pages = Vec::new();
    for c in all {
        index.push_str(&format!("| [`{0}`]({0}.md) | {1} | {2} |\n", c.id, c.level, c.source.as_str()));
        pages.push((format!("checks/{}.md", c.id), render_check(c)));
    }
    pages.push(("checks/README.md".into(), index));
    pages
}
