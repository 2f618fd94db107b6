//! The fix engine: plan the fixes of every failing workload, pick them by applicability, lower them
//! to text splices, apply, re-check until nothing changes, then prove the result before anything is
//! written: the text re-parses, the checks agree, and JSON(original) + the RFC 6902 patch equals
//! JSON(result).

pub mod plan;
pub mod run;

use serde_json::{Value as J, json};

use crate::edit::{Editor, Op, OpKind, Splice, apply};
use crate::engine::{self, Outcome, Policy, Resource};
use crate::input::Source;
use crate::k8s::{self, Route, Seg};
use crate::yaml::{self, Limits, Node};
pub use plan::{Class, Fix, FixOptions};

/// Bounds the fix loop: every round re-plans from the re-parsed text; two suffice in practice.
const MAX_ROUNDS: usize = 4;

/// A fix that was applied, or one that remains (with why).
#[derive(Clone, Debug)]
pub struct Applied {
    pub doc: usize,
    pub item: Option<usize>,
    pub fix: Fix,
}

/// One changed resource, for `--format json-patch`.
#[derive(Clone, Debug)]
pub struct PatchEntry {
    pub doc: usize,
    pub item: Option<usize>,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub patch: Vec<J>,
}

/// The outcome of fixing one file.
pub struct FileFix {
    /// The fixed text (equal to the input when nothing changed).
    pub text: String,
    pub applied: Vec<Applied>,
    /// Fixes not applied: manual, unsafe without `--unsafe-fixes`, or refused by the editor.
    pub remaining: Vec<Applied>,
    pub patches: Vec<PatchEntry>,
    /// Verdicts on the fixed text.
    pub after: engine::Checked,
    /// Documents that could not be read, positioned in the original text (they are left unchanged).
    pub errors: Vec<Resource>,
    /// A failed self-check: nothing may be written for this file.
    pub bug: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Choice {
    pub unsafe_fixes: bool,
    pub options: FixOptions,
    /// Label the input's Namespaces with the enforce level (`--label-namespaces`).
    pub label_namespaces: bool,
}

fn workload_fixes(root: &Node, r: &Resource, policy: &Policy, choice: &Choice) -> Vec<Fix> {
    if let Outcome::Skipped { kind } = &r.outcome {
        if kind == "Namespace" && choice.label_namespaces {
            let object: Route = r.item.map_or_else(Vec::new, |i| vec![Seg::Key("items".into()), Seg::Index(i)]);
            let Some(ns) = k8s::at(root, &object) else { return Vec::new() };
            // A Namespace whose own label chose its workloads' level keeps that level.
            let (level, version) = policy.for_namespace(ns.path(&["metadata", "name"]).and_then(Node::as_str));
            return level.map_or_else(Vec::new, |level| plan::label_namespace(ns, object, level, version));
        }
        return Vec::new();
    }
    let Outcome::Workload { findings, object, template, namespace, .. } = &r.outcome else { return Vec::new() };
    if findings.is_empty() {
        return Vec::new();
    }
    let mut base: Route = object.clone();
    base.extend(template.iter().cloned());
    let spec_route: Route = [base.clone(), vec![Seg::Key("spec".into())]].concat();
    let meta_route: Route = [base.clone(), vec![Seg::Key("metadata".into())]].concat();
    let empty = Node::new(yaml::Value::Map(Vec::new()), yaml::Span::default());
    let spec = k8s::at(root, &spec_route).filter(|n| !n.is_null()).unwrap_or(&empty);
    let meta = k8s::at(root, &meta_route).filter(|n| !n.is_null());
    let mut failing: Vec<&'static str> = findings.iter().map(|f| f.check).collect();
    failing.dedup();
    let (Some(level), version) = policy.for_namespace(namespace.as_deref()) else { return Vec::new() };
    plan::plan(spec, meta, spec_route, meta_route, level, version, &failing, &choice.options)
}

/// Whether a fix is applied under `choice`.
fn chosen(fix: &Fix, choice: &Choice) -> bool {
    match fix.class {
        Class::Safe => true,
        Class::Unsafe => choice.unsafe_fixes,
        Class::Manual => false,
    }
}

/// Fix one file. Nothing is written here; the caller writes `text` when `bug` is `None`.
pub fn fix_source(src: &Source, policy: &Policy, choice: &Choice, limits: &Limits) -> FileFix {
    let mut current = engine::check_source(src, policy, limits);
    let errors = current.resources.iter().filter(|r| matches!(r.outcome, Outcome::Error { .. })).cloned().collect();
    let mut original = Original {
        spans: current.stream.docs.iter().map(|d| (d.start, d.end)).collect(),
        docs: current.stream.docs.iter().map(|_| None).collect(),
    };
    let mut text = src.text.clone();
    let mut applied: Vec<Applied> = Vec::new();
    let mut refused: Vec<Applied> = Vec::new();
    // Ops applied per document, in order, for the RFC 6902 patch.
    let mut doc_ops: Vec<Vec<Op>> = current.stream.docs.iter().map(|_| Vec::new()).collect();
    let mut rounds = 0;
    while current.template_line.is_none() && rounds < MAX_ROUNDS {
        rounds += 1;
        let mut splices: Vec<Splice> = Vec::new();
        for (di, doc) in current.stream.docs.iter().enumerate() {
            let Ok(root) = &doc.root else { continue };
            let fixes: Vec<(Option<usize>, Fix)> = current
                .resources
                .iter()
                .filter(|r| r.doc == di)
                .flat_map(|r| workload_fixes(root, r, policy, choice).into_iter().map(move |f| (r.item, f)))
                .filter(|(_, f)| chosen(f, choice))
                .collect();
            if fixes.is_empty() {
                continue;
            }
            let editor = Editor::new(&text, root, &doc.shared);
            let mut lowerable = Vec::new();
            for (item, fix) in fixes {
                match editor.lower(&fix.ops) {
                    Ok(_) => lowerable.push((item, fix)),
                    Err(why) => {
                        let note = format!("{} (not applied: {why})", fix.note);
                        refused.push(Applied { doc: di, item, fix: Fix { class: Class::Manual, note, ..fix } });
                    }
                }
            }
            // All of the document's fixes are lowered together, so that new keys for one parent
            // are written once. If they conflict, add them one by one: a fix that conflicts
            // waits for the next round, re-planned from the re-parsed text.
            let all: Vec<Op> = lowerable.iter().flat_map(|(_, f)| f.ops.iter().cloned()).collect();
            let (doc_splices, taken) = match editor.lower(&all) {
                Ok(s) => (s, lowerable),
                Err(_) => lower_incrementally(&editor, lowerable),
            };
            if !taken.is_empty() && original.docs[di].is_none() {
                // The document's first edit: its text is still the original's, and so is its tree.
                let resources = current.resources.iter().filter(|r| r.doc == di);
                original.docs[di] = Some(OriginalDoc::of(root, &text, resources));
            }
            for (item, fix) in taken {
                doc_ops[di].extend(fix.ops.iter().cloned());
                applied.push(Applied { doc: di, item, fix });
            }
            splices.extend(doc_splices);
        }
        if splices.is_empty() {
            break;
        }
        splices.sort_by_key(Splice::order);
        let new_text = apply(&text, &splices);
        current = recheck(current, &new_text, &splices, src, policy, limits);
        text = new_text;
    }
    let after = current;
    let mut bug = None;
    let mut patches = Vec::new();
    if doc_ops.iter().any(|o| !o.is_empty()) {
        match self_check(&src.text, &text, &original, &after, &doc_ops) {
            Ok(p) => patches = p,
            Err(e) => bug = Some(e),
        }
    }
    // What still fails after the fixes, with the fix that would apply (or why it is manual).
    let mut remaining = Vec::new();
    for doc_index in 0..after.stream.docs.len() {
        let Ok(root) = &after.stream.docs[doc_index].root else { continue };
        for r in after.resources.iter().filter(|r| r.doc == doc_index) {
            for fix in workload_fixes(root, r, policy, choice) {
                if let Some(x) =
                    refused.iter().find(|x| x.doc == doc_index && x.item == r.item && x.fix.note.starts_with(&fix.note))
                {
                    remaining.push(x.clone());
                } else {
                    remaining.push(Applied { doc: doc_index, item: r.item, fix });
                }
            }
        }
    }
    remaining.dedup_by(|a, b| a.doc == b.doc && a.item == b.item && a.fix == b.fix);
    if bug.is_none() {
        // A chosen fix that did not take effect means the loop did not converge: a podsec bug.
        if let Some(x) = remaining.iter().find(|x| chosen(&x.fix, choice)) {
            bug = Some(format!("fix for {} did not converge ({})", x.fix.check, x.fix.note));
        }
    }
    FileFix { text, applied, remaining, patches, after, errors, bug }
}

/// Lower a document's fixes when lowering them all at once conflicts: resource by resource (the
/// items of a List do not touch each other), each resource's fixes one by one only where its own
/// fixes conflict. Fixes that still conflict wait for the next round.
fn lower_incrementally(editor: &Editor, fixes: Vec<(Option<usize>, Fix)>) -> (Vec<Splice>, Vec<(Option<usize>, Fix)>) {
    let mut groups: Vec<(Option<usize>, Vec<Fix>)> = Vec::new();
    for (item, fix) in fixes {
        match groups.last_mut() {
            Some((i, list)) if *i == item => list.push(fix),
            _ => groups.push((item, vec![fix])),
        }
    }
    let ops_of = |fixes: &[Fix]| fixes.iter().flat_map(|f| f.ops.iter().cloned()).collect::<Vec<Op>>();
    let grow = |base: &[Op], fixes: Vec<Fix>| {
        let (mut ops, mut kept) = (base.to_vec(), Vec::new());
        for fix in fixes {
            let mut trial = ops.clone();
            trial.extend(fix.ops.iter().cloned());
            if editor.lower(&trial).is_ok() {
                ops = trial;
                kept.push(fix);
            }
        }
        kept
    };
    let mut accepted: Vec<(Option<usize>, Vec<Fix>)> = Vec::new();
    for (item, fixes) in groups {
        let kept = if editor.lower(&ops_of(&fixes)).is_ok() { fixes } else { grow(&[], fixes) };
        accepted.push((item, kept));
    }
    let all: Vec<Op> = accepted.iter().flat_map(|(_, f)| ops_of(f)).collect();
    let (splices, accepted) = match editor.lower(&all) {
        Ok(s) => (s, accepted),
        Err(_) => {
            // Resources that conflict with each other (rare): add them whole, one at a time.
            let (mut ops, mut splices, mut kept) = (Vec::new(), Vec::new(), Vec::new());
            for (item, fixes) in accepted {
                let mut trial = ops.clone();
                trial.extend(ops_of(&fixes));
                if let Ok(s) = editor.lower(&trial) {
                    (ops, splices) = (trial, s);
                    kept.push((item, fixes));
                }
            }
            (splices, kept)
        }
    };
    let taken = accepted.into_iter().flat_map(|(item, fixes)| fixes.into_iter().map(move |f| (item, f))).collect();
    (splices, taken)
}

/// What the self-check needs of the input: every document's text range, and for each edited
/// document its JSON and the identity of its resources, taken before its first edit.
struct Original {
    spans: Vec<(usize, usize)>,
    docs: Vec<Option<OriginalDoc>>,
}

struct OriginalDoc {
    json: J,
    /// The document was written as JSON: the fixed text must still be JSON.
    is_json: bool,
    /// The identity of each resource of the document (an entry with an empty patch).
    resources: Vec<PatchEntry>,
}

impl OriginalDoc {
    fn of<'a>(root: &Node, text: &str, resources: impl Iterator<Item = &'a Resource>) -> Self {
        let resources = resources
            .map(|r| {
                let (api_version, kind, namespace, name) = match &r.outcome {
                    Outcome::Workload { api_version, kind, namespace, name, .. } => {
                        (api_version.clone(), kind.clone(), namespace.clone(), name.clone())
                    }
                    Outcome::Skipped { kind } => {
                        // A Namespace being labelled: its identity is read from the object itself.
                        let object = match r.item {
                            Some(i) => root.get("items").and_then(|items| items.items().get(i)),
                            None => Some(root),
                        };
                        let text = |n: Option<&Node>| n.and_then(Node::as_str).map(str::to_owned);
                        let object = object.filter(|o| o.as_map().is_some());
                        (
                            text(object.and_then(|o| o.get("apiVersion"))).unwrap_or_default(),
                            kind.clone(),
                            text(object.and_then(|o| o.path(&["metadata", "namespace"]))),
                            text(object.and_then(|o| o.path(&["metadata", "name"]))),
                        )
                    }
                    Outcome::Error { .. } => Default::default(),
                };
                PatchEntry { doc: r.doc, item: r.item, api_version, kind, namespace, name, patch: Vec::new() }
            })
            .collect();
        let is_json =
            root.flow && text.get(root.span.start..root.span.end).is_some_and(|t| serde_json::from_str::<J>(t).is_ok());
        OriginalDoc { json: root.to_json(), is_json, resources }
    }
}

/// Verdicts on `new_text`, which is the current text with `splices` applied. Only the documents the
/// splices touched are parsed again (each from its own region of the text: from its first node to the
/// next document's first node); the others keep their trees, moved by the length change before them.
/// Anything unusual (a fatal error in the stream, a region that does not parse as one document) falls
/// back to parsing the whole text.
fn recheck(
    current: engine::Checked,
    new_text: &str,
    splices: &[Splice],
    src: &Source,
    policy: &Policy,
    limits: &Limits,
) -> engine::Checked {
    let full = || {
        engine::check_source(&Source { name: src.name.clone(), path: None, text: new_text.to_owned() }, policy, limits)
    };
    if current.stream.fatal.is_some() || current.stream.docs.is_empty() {
        return full();
    }
    let delta = |s: &Splice| s.text.len() as isize - (s.end - s.start) as isize;
    let starts: Vec<usize> = current.stream.docs.iter().map(|d| d.start).collect();
    let moved =
        |pos: usize| -> usize { pos.saturating_add_signed(splices.iter().filter(|s| s.start < pos).map(delta).sum()) };
    let keep = |kind: &str| policy.reads_kind(kind);
    let mut docs = Vec::with_capacity(starts.len());
    for (i, mut doc) in current.stream.docs.into_iter().enumerate() {
        let (start, end) = (starts[i], starts.get(i + 1).copied().unwrap_or(usize::MAX));
        let touched = splices.iter().any(|s| s.start >= start && s.start < end);
        let new_start = moved(start);
        if !touched {
            yaml::shift_doc(&mut doc, new_start as isize - start as isize);
            docs.push(doc);
            continue;
        }
        let new_end = if end == usize::MAX { new_text.len() } else { moved(end) };
        // The region starts at the beginning of the document's first line, so that indentation
        // reads as it does in the file; a document that does not start its line is parsed whole.
        let line_start = new_text[..new_start].rfind('\n').map_or(0, |i| i + 1);
        if !new_text[line_start..new_start].trim().is_empty() {
            return full();
        }
        let Some(region) = new_text.get(line_start..new_end) else { return full() };
        let mut parsed = yaml::parse_stream_keeping(region, limits, Some(&keep));
        if parsed.fatal.is_some() || parsed.docs.len() != 1 || parsed.docs[0].root.is_err() {
            return full();
        }
        let mut doc = parsed.docs.remove(0);
        yaml::shift_doc(&mut doc, line_start as isize);
        docs.push(doc);
    }
    let stream = yaml::Stream { docs, fatal: None, literal_spans: Vec::new(), any_error: false };
    engine::evaluate_stream(new_text, stream, policy)
}

/// Give every finding of one document's resources the applicability of its fix (`check` shows it):
/// the strictest class among the fixes planned for that check; no fix at all is manual.
pub fn classify(root: &Node, resources: &mut [Resource], policy: &Policy, choice: &Choice) {
    for r in resources.iter_mut() {
        let fixes = workload_fixes(root, r, policy, choice);
        if let Outcome::Workload { findings, .. } = &mut r.outcome {
            for f in findings.iter_mut() {
                let class = fixes.iter().filter(|x| x.check == f.check).map(|x| x.class).max().unwrap_or(Class::Manual);
                f.fix = Some(class.as_str());
            }
        }
    }
}

/// Check that the fixed text says what the ops say: document for document, JSON(original) with
/// the RFC 6902 patch applied equals JSON(fixed). Returns the patch per changed resource.
fn self_check(
    old: &str,
    new: &str,
    original: &Original,
    after: &engine::Checked,
    doc_ops: &[Vec<Op>],
) -> Result<Vec<PatchEntry>, String> {
    if after.stream.docs.len() != original.spans.len() || after.stream.fatal.is_some() {
        return Err("the fixed text does not have the same documents".into());
    }
    let mut entries = Vec::new();
    for (di, (&(b_start, b_end), a)) in original.spans.iter().zip(&after.stream.docs).enumerate() {
        let ops = &doc_ops[di];
        let Some(orig) = original.docs[di].as_ref().filter(|_| !ops.is_empty()) else {
            // Untouched: the document's text must be too.
            if old.get(b_start..b_end) != new.get(a.start..a.end) {
                return Err(format!("document {di} changed without an edit"));
            }
            continue;
        };
        let Ok(a_root) = &a.root else { return Err(format!("document {di} no longer parses")) };
        let has_items = orig.resources.iter().any(|r| r.item.is_some());
        let mut doc = orig.json.clone();
        let mut per_item: Vec<(Option<usize>, Vec<J>)> = Vec::new();
        for op in ops {
            let item = match op.route.as_slice() {
                [Seg::Key(k), Seg::Index(i), ..] if k == "items" && has_items => Some(*i),
                _ => None,
            };
            let rfc = to_rfc6902(&doc, op);
            let patch: json_patch::Patch =
                serde_json::from_value(J::Array(vec![rfc.clone()])).map_err(|e| e.to_string())?;
            json_patch::patch(&mut doc, &patch).map_err(|e| format!("document {di}: patch does not apply: {e}"))?;
            match per_item.iter_mut().find(|(i, _)| *i == item) {
                Some((_, list)) => list.push(rfc),
                None => per_item.push((item, vec![rfc])),
            }
        }
        if orig.is_json && new.get(a.start..a.end).is_none_or(|t| serde_json::from_str::<J>(t).is_err()) {
            return Err(format!("document {di} was JSON and the edited text is not"));
        }
        let actual = a_root.to_json();
        if doc != actual {
            let diff = serde_json::to_string(&json_patch::diff(&doc, &actual)).unwrap_or_default();
            return Err(format!("document {di}: the edited text does not match the intended change: {diff}"));
        }
        for (item, patch) in per_item {
            let mut entry = orig.resources.iter().find(|r| r.item == item).cloned().unwrap_or(PatchEntry {
                doc: di,
                item,
                api_version: String::new(),
                kind: String::new(),
                namespace: None,
                name: None,
                patch: Vec::new(),
            });
            entry.patch = patch;
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// The RFC 6902 operation for `op` against the current JSON `doc`: `replace` where the value
/// exists, `add` of the missing subtree at the deepest existing parent, `remove`.
fn to_rfc6902(doc: &J, op: &Op) -> J {
    let route = &op.route;
    let mut depth = 0;
    let mut cur = doc;
    for seg in route {
        let next = match seg {
            Seg::Key(k) => cur.get(k.as_str()),
            Seg::Index(i) => cur.get(*i),
        };
        match next {
            Some(n) if !n.is_null() => {
                cur = n;
                depth += 1;
            }
            _ => break,
        }
    }
    let exists = depth == route.len();
    match &op.kind {
        OpKind::Remove => json!({"op": "remove", "path": k8s::pointer(route)}),
        OpKind::Set(v) if exists => json!({"op": "replace", "path": k8s::pointer(route), "value": v.to_json()}),
        OpKind::Append(v) if exists => {
            json!({"op": "add", "path": format!("{}/-", k8s::pointer(route)), "value": v.to_json()})
        }
        OpKind::Set(_) | OpKind::Append(_) => {
            let leaf = match &op.kind {
                OpKind::Append(v) => J::Array(vec![v.to_json()]),
                OpKind::Set(v) => v.to_json(),
                OpKind::Remove => J::Null,
            };
            let value = route[depth + 1..].iter().rev().fold(leaf, |acc, seg| match seg {
                Seg::Key(k) => json!({ k.clone(): acc }),
                Seg::Index(_) => J::Array(vec![acc]),
            });
            json!({"op": "add", "path": k8s::pointer(&route[..=depth]), "value": value})
        }
    }
}
