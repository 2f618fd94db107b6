//! `--label-namespaces`: a Namespace's Pod Security labels, written like a check's fix.

use crate::checks::fixing::{Fix, Route, Scalar, class_of, join, set};
use crate::checks::{Level, PolicyVersion};
use crate::yaml::Node;

/// `--label-namespaces`: the Namespace's `enforce` (and `enforce-version`) labels.
pub(super) fn label(ns: &Node, object: Route, level: Level, version: PolicyVersion) -> Vec<Fix> {
    let labels = ns.path(&["metadata", "labels"]);
    let mut out = Vec::new();
    for (key, value) in [
        ("pod-security.kubernetes.io/enforce", level.to_string()),
        ("pod-security.kubernetes.io/enforce-version", version.to_string()),
    ] {
        let current = labels.and_then(|l| l.field(key));
        if current.and_then(Node::as_str) == Some(value.as_str()) {
            continue;
        }
        let route = join(&object, &["metadata", "labels", key]);
        let note = match current.and_then(Node::as_str) {
            Some(was) => format!("set label {key}: {was} → {value}"),
            None => format!("add label {key}: {value}"),
        };
        let ops = vec![set(route, Scalar::Str(value))];
        out.push(Fix { check: "namespaceLabels", class: class_of(current), ops, note, needs_non_root_image: false });
    }
    out
}
