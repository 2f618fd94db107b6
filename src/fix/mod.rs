//! The fix engine: plan the fixes of every failing workload, pick them by applicability, lower them
//! to text splices, apply, re-check until nothing changes, then prove the result before anything is
//! written: the text re-parses, the checks agree, and JSON(original) + the RFC 6902 patch equals
//! JSON(result).

pub mod invariants;
mod namespace;

use serde_json::{Value as J, json};

pub use crate::checks::fixing::{Class, Fix, FixOptions};
use crate::checks::{self, fixing::FixTarget};
use crate::edit::{Editor, Op, OpKind, Splice, apply};
use crate::engine::{self, Outcome, Policy, Resource};
use crate::input::Source;
use crate::k8s::{self, Route, Seg};
use crate::yaml::{self, Limits, Node};

/// Bounds the fix loop: every round re-plans from the re-parsed text; two suffice in practice.
const MAX_ROUNDS: usize = 4;

/// A fix that was applied, or one that remains (with why).
#[derive(Clone, Debug)]
pub struct Applied {
    pub doc: usize,
    pub item: Option<usize>,
    pub fix: Fix,
    /// For a fix that remains although it was chosen: why podsec did not write it (the edit would
    /// reach shared YAML, or the document failed the self-check).
    pub refused: Option<String>,
}

/// Why a violation remains after `fix`, for the summary, the Markdown report and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remains {
    /// No automatic fix exists (hostPath and other restricted volume types, ...).
    Manual,
    /// An unsafe fix exists; it is applied only with `--unsafe-fixes`.
    NotChosen,
    /// podsec has a fix but did not write it, for this reason.
    Refused(String),
}

impl Applied {
    pub fn remains(&self) -> Remains {
        match (&self.refused, self.fix.class) {
            (Some(why), _) => Remains::Refused(why.clone()),
            (None, Class::Manual) => Remains::Manual,
            (None, _) => Remains::NotChosen,
        }
    }
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
    /// The RFC 6902 operations, as a JSON array (kept as text: a large stream has many).
    pub patch: String,
}

/// The outcome of fixing one file.
pub struct FileFix {
    /// The fixed text (equal to the input when nothing changed).
    pub text: String,
    /// The fixes applied (their ops only with [`Choice::details`]).
    pub applied: Vec<Applied>,
    /// Fixes not applied: manual, unsafe without `--unsafe-fixes`, or refused by the editor.
    pub remaining: Vec<Applied>,
    pub patches: Vec<PatchEntry>,
    /// Verdicts on the fixed text, positioned in it (only with [`Choice::details`]).
    pub after: Vec<Resource>,
    /// The file is a template (Helm, Go `{{ }}`): the line that shows it; nothing was fixed.
    pub template_line: Option<usize>,
    /// How many non-empty documents the file has.
    pub documents: usize,
    /// Documents that could not be read, positioned in the original text (they are left unchanged).
    pub errors: Vec<Resource>,
    /// Documents whose fixes failed the self-check: each was left exactly as it was (the others
    /// are still fixed).
    pub bugs: Vec<(usize, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct Choice {
    pub unsafe_fixes: bool,
    pub options: FixOptions,
    /// Label the input's Namespaces with the enforce level (`--label-namespaces`).
    pub label_namespaces: bool,
    /// Keep the details of the result: the ops of every applied fix and the verdicts on the fixed
    /// text ([`FileFix::after`]). Tests and tools read them; the CLI does not, and on a large
    /// stream they would outweigh the text.
    pub details: bool,
    /// Keep the RFC 6902 patch of every changed resource ([`FileFix::patches`], for
    /// `--format json-patch`).
    pub patches: bool,
}

fn workload_fixes(root: &Node, r: &Resource, policy: &Policy, choice: &Choice) -> Vec<Fix> {
    if let Outcome::Skipped { kind, reason } = &r.outcome {
        // A kustomize patch (`reason`) is left alone.
        if kind == "Namespace" && reason.is_none() && choice.label_namespaces {
            let object: Route = r.item.map_or_else(Vec::new, |i| vec![Seg::Key("items".into()), Seg::Index(i)]);
            let Some(ns) = k8s::at(root, &object) else { return Vec::new() };
            // A Namespace whose own label chose its workloads' level keeps that level.
            let (level, version) = policy.for_namespace(ns.path(&["metadata", "name"]).and_then(Node::as_str));
            return level.map_or_else(Vec::new, |level| namespace::label(ns, object, level, version));
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
    let (Some(_), version) = policy.for_namespace(namespace.as_deref()) else { return Vec::new() };
    let target = FixTarget { spec, meta, spec_route, meta_route };
    checks::plan_fixes(target, version, &failing, &choice.options)
}

/// Whether a fix is applied under `choice`.
fn chosen(fix: &Fix, choice: &Choice) -> bool {
    match fix.class {
        Class::Safe => true,
        Class::Unsafe => choice.unsafe_fixes,
        Class::Manual => false,
    }
}

/// Fix one file. Nothing is written here; the caller writes `text`.
///
/// The stream is read one document at a time and each document is fixed on its own, as a text of
/// its own (its *chunk*: from its `%` directives or `---` marker to the next document's), then
/// appended to the output: time is linear in the input, memory follows the largest document (plus
/// the input and the output), and a document whose fixes fail the self-check is left exactly as it
/// was without holding back the others.
pub fn fix_source(src: &Source, policy: &Policy, choice: &Choice, limits: &Limits) -> FileFix {
    // A kustomize patch is left alone (with `Policy::patches`): its documents are skipped.
    let policy = policy.for_source(src);
    let policy = &*policy;
    let text = src.text.as_str();
    let keep = |key: &str, value: &str| policy.reads_entry(key, value);
    let mut acc = Stitch::new(text, policy, choice, limits);
    let mut prev: Option<yaml::Doc> = None;
    let stream = yaml::parse_each(text, limits, Some(&keep), &mut |doc| {
        if let Some(p) = prev.take() {
            let end = yaml::document_text_start(text, p.end, doc.start);
            acc.document(p, end);
        }
        prev = Some(doc);
    });
    if let Some(p) = prev.take() {
        acc.document(p, text.len());
    }
    let parses = !(stream.any_error || stream.fatal.is_some());
    if text.contains("{{")
        && let Some(line) = crate::input::template_line(text, parses, || stream.literal_spans.clone())
    {
        return FileFix {
            text: src.text.clone(),
            applied: Vec::new(),
            remaining: Vec::new(),
            patches: Vec::new(),
            after: Vec::new(),
            template_line: Some(line),
            documents: acc.index,
            errors: Vec::new(),
            bugs: Vec::new(),
        };
    }
    acc.finish(stream.fatal)
}

/// The output of [`fix_source`], built document by document.
struct Stitch<'a> {
    text: &'a str,
    policy: &'a Policy,
    choice: &'a Choice,
    limits: &'a Limits,
    /// Where the next chunk starts in `text`.
    copied: usize,
    /// The index of the next document.
    index: usize,
    out: String,
    applied: Vec<Applied>,
    remaining: Vec<Applied>,
    patches: Vec<PatchEntry>,
    after: Vec<Resource>,
    errors: Vec<Resource>,
    bugs: Vec<(usize, String)>,
}

impl<'a> Stitch<'a> {
    fn new(text: &'a str, policy: &'a Policy, choice: &'a Choice, limits: &'a Limits) -> Self {
        Stitch {
            text,
            policy,
            choice,
            limits,
            copied: 0,
            index: 0,
            out: String::with_capacity(text.len() + text.len() / 32),
            applied: Vec::new(),
            remaining: Vec::new(),
            patches: Vec::new(),
            after: Vec::new(),
            errors: Vec::new(),
            bugs: Vec::new(),
        }
    }

    /// Fix one document, whose chunk ends at `end`, and append it to the output.
    fn document(&mut self, mut doc: yaml::Doc, end: usize) {
        let (di, start) = (self.index, self.copied);
        self.index += 1;
        let end = end.max(start);
        let chunk = &self.text[start..end];
        let base = self.out.len();
        self.copied = end;
        if doc.root.is_err() {
            // Unreadable: reported where it stands, and copied as it is.
            let stream = yaml::Stream { docs: vec![doc], ..Default::default() };
            for mut r in engine::evaluate_stream(stream, self.policy).resources {
                r.doc = di;
                self.errors.push(r.clone());
                if self.choice.details {
                    shift_resource(&mut r, base as isize - start as isize);
                    self.after.push(r);
                }
            }
            self.out.push_str(chunk);
            return;
        }
        yaml::shift_doc(&mut doc, -(start as isize));
        let stream = yaml::Stream { docs: vec![doc], ..Default::default() };
        let checked = engine::evaluate_stream(stream, self.policy);
        for r in checked.resources.iter().filter(|r| matches!(r.outcome, Outcome::Error { .. })) {
            let mut r = r.clone();
            r.doc = di;
            shift_resource(&mut r, start as isize);
            self.errors.push(r);
        }
        let fixed = fix_chunk(chunk, checked, self.policy, self.choice, self.limits);
        let (text, after) = match fixed.bug {
            Some(bug) => {
                self.bugs.push((di, bug));
                // The document stays as it was: what it would have fixed remains.
                self.remaining.extend(fixed.remaining_before.into_iter().map(|a| without_ops(a, di)));
                (chunk.into(), fixed.before)
            }
            None => {
                let details = self.choice.details;
                self.applied.extend(
                    fixed.applied.into_iter().map(|a| if details { Applied { doc: di, ..a } } else { counted(a, di) }),
                );
                self.remaining.extend(
                    fixed
                        .remaining
                        .into_iter()
                        .map(|a| if details { Applied { doc: di, ..a } } else { without_ops(a, di) }),
                );
                if self.choice.patches || details {
                    self.patches.extend(fixed.patches.into_iter().map(|p| PatchEntry { doc: di, ..p }));
                }
                (fixed.text, fixed.after)
            }
        };
        for mut r in after.into_iter().filter(|_| self.choice.details) {
            r.doc = di;
            shift_resource(&mut r, base as isize);
            self.after.push(r);
        }
        self.out.push_str(&text);
    }

    fn finish(mut self, fatal: Option<yaml::YamlError>) -> FileFix {
        if self.copied < self.text.len() {
            self.out.push_str(&self.text[self.copied..]);
        }
        if let Some(fatal) = fatal {
            let span = yaml::Span { start: fatal.offset, end: fatal.offset };
            let r = Resource {
                doc: self.index,
                item: None,
                outcome: Outcome::Error { message: fatal.message, span, pos: Default::default() },
            };
            self.errors.push(r.clone());
            if self.choice.details {
                let mut moved = r;
                shift_resource(&mut moved, self.out.len() as isize - self.text.len() as isize);
                self.after.push(moved);
            }
        }
        engine::locate(self.text, &mut self.errors);
        engine::locate(&self.out, &mut self.after);
        FileFix {
            text: self.out,
            applied: self.applied,
            remaining: self.remaining,
            patches: self.patches,
            after: self.after,
            template_line: None,
            documents: self.index,
            errors: self.errors,
            bugs: self.bugs,
        }
    }
}

/// A remaining fix as the caller needs it: its class and note, renumbered to document `doc` (its
/// ops address a text that is gone).
fn without_ops(a: Applied, doc: usize) -> Applied {
    Applied { doc, fix: Fix { ops: Vec::new(), ..a.fix }, ..a }
}

/// An applied fix as the CLI needs it: what it fixed, for the counts (no ops, no note).
fn counted(a: Applied, doc: usize) -> Applied {
    Applied { doc, fix: Fix { ops: Vec::new(), note: String::new(), ..a.fix }, ..a }
}

/// Move every span of a verdict by `delta` bytes.
fn shift_resource(r: &mut Resource, delta: isize) {
    let at = |s: yaml::Span| yaml::Span {
        start: s.start.saturating_add_signed(delta),
        end: s.end.saturating_add_signed(delta),
    };
    match &mut r.outcome {
        Outcome::Workload { findings, ignored, .. } => {
            for f in findings.iter_mut().chain(ignored.iter_mut()) {
                f.span = at(f.span);
            }
        }
        Outcome::Error { span, .. } => *span = at(*span),
        Outcome::Skipped { .. } => {}
    }
}

/// One document's chunk, fixed (document indices are 0: the caller renumbers them).
struct ChunkFix<'c> {
    text: std::borrow::Cow<'c, str>,
    applied: Vec<Applied>,
    remaining: Vec<Applied>,
    patches: Vec<PatchEntry>,
    /// Verdicts on the fixed chunk.
    after: Vec<Resource>,
    /// The verdicts and remaining fixes of the chunk as it was (only when the fix is refused).
    before: Vec<Resource>,
    remaining_before: Vec<Applied>,
    /// A failed self-check: the chunk must be left as it was.
    bug: Option<String>,
}

/// What would remain to fix in a checked text: every planned fix, with the reason where the
/// editor refused it.
fn remaining_of(checked: &engine::Checked, policy: &Policy, choice: &Choice, refused: &[Applied]) -> Vec<Applied> {
    let mut remaining = Vec::new();
    for (doc_index, doc) in checked.stream.docs.iter().enumerate() {
        let Ok(root) = &doc.root else { continue };
        for r in checked.resources.iter().filter(|r| r.doc == doc_index) {
            for fix in workload_fixes(root, r, policy, choice) {
                if let Some(x) = refused.iter().find(|x| {
                    x.doc == doc_index && x.item == r.item && x.fix.check == fix.check && x.fix.note == fix.note
                }) {
                    remaining.push(x.clone());
                } else {
                    remaining.push(Applied { doc: doc_index, item: r.item, fix, refused: None });
                }
            }
        }
    }
    remaining.dedup_by(|a, b| a.doc == b.doc && a.item == b.item && a.fix == b.fix);
    remaining
}

/// Fix one document's chunk: plan, lower, apply, re-check until nothing changes, then prove it.
fn fix_chunk<'c>(
    chunk: &'c str,
    mut current: engine::Checked,
    policy: &Policy,
    choice: &Choice,
    limits: &Limits,
) -> ChunkFix<'c> {
    let mut original = Original {
        spans: current.stream.docs.iter().map(|d| (d.start, d.end)).collect(),
        docs: current.stream.docs.iter().map(|_| None).collect(),
    };
    // Borrowed until the first edit: most documents have nothing to fix.
    let mut text = std::borrow::Cow::Borrowed(chunk);
    let mut applied: Vec<Applied> = Vec::new();
    let mut refused: Vec<Applied> = Vec::new();
    // Ops applied per document, in order, for the RFC 6902 patch.
    let mut doc_ops: Vec<Vec<Op>> = current.stream.docs.iter().map(|_| Vec::new()).collect();
    let mut rounds = 0;
    while rounds < MAX_ROUNDS {
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
            let (lowerable, not) = split_lowerable(&editor, fixes);
            for (item, fix, why) in not {
                refused.push(Applied { doc: di, item, fix, refused: Some(why) });
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
                applied.push(Applied { doc: di, item, fix, refused: None });
            }
            splices.extend(doc_splices);
        }
        if splices.is_empty() {
            break;
        }
        splices.sort_by_key(Splice::order);
        let new_text = apply(&text, &splices);
        // The chunk is parsed again whole (its directives included).
        let keep = |key: &str, value: &str| policy.reads_entry(key, value);
        let stream = yaml::parse_stream_keeping(&new_text, limits, Some(&keep));
        current = engine::evaluate_stream(stream, policy);
        text = new_text.into();
    }
    let after = current;
    let mut bug = None;
    let mut patches = Vec::new();
    if doc_ops.iter().any(|o| !o.is_empty()) {
        match self_check(chunk, &text, &mut original, &after, &doc_ops) {
            Ok(_) if injected_fault(chunk) => bug = Some("a failure injected by PODSEC_TEST_FAULT".into()),
            Ok(p) => patches = p,
            Err(e) => bug = Some(e),
        }
    }
    // What still fails after the fixes, with the fix that would apply (or why it is manual).
    let remaining = remaining_of(&after, policy, choice, &refused);
    if bug.is_none() {
        // A chosen fix that did not take effect means the loop did not converge: a podsec bug.
        if let Some(x) = remaining.iter().find(|x| chosen(&x.fix, choice) && x.refused.is_none()) {
            bug = Some(format!("fix for {} did not converge ({})", x.fix.check, x.fix.note));
        }
    }
    // Refused: what remains is everything planned on the chunk as it was (read again: its tree is
    // not kept through the rounds, so that a large document is held once).
    let (before, remaining_before) = if bug.is_some() {
        let keep = |key: &str, value: &str| policy.reads_entry(key, value);
        let again = engine::evaluate_stream(yaml::parse_stream_keeping(chunk, limits, Some(&keep)), policy);
        let mut remaining = remaining_of(&again, policy, choice, &[]);
        for x in remaining.iter_mut().filter(|x| chosen(&x.fix, choice)) {
            x.refused = Some("the document's fixes failed podsec's self-check (the error above)".into());
        }
        (again.resources, remaining)
    } else {
        Default::default()
    };
    ChunkFix { text, applied, remaining, patches, after: after.resources, before, remaining_before, bug }
}

/// A test hook: with `PODSEC_TEST_FAULT=self-check`, a document holding the text `podsec-test-fault`
/// fails its self-check, so that the handling of a refused document (left byte for byte, reported,
/// the others still fixed) is tested without needing a real podsec bug to trigger it.
fn injected_fault(chunk: &str) -> bool {
    chunk.contains("podsec-test-fault") && std::env::var_os("PODSEC_TEST_FAULT").is_some_and(|v| v == "self-check")
}

/// A fix and the List item of its resource.
type ItemFix = (Option<usize>, Fix);
/// A fix that cannot be written, with the reason.
type RefusedFix = (Option<usize>, Fix, String);

/// Which of a document's fixes can be written: each is lowered alone; those refused are tried
/// again together per resource and check, so that the fixes of the containers that share one
/// anchored value (`securityContext: &hardened`, `*hardened`) are written as one edit at the anchor
/// when each needs the same change. `check` classifies by the same rule.
fn split_lowerable(editor: &Editor, fixes: Vec<ItemFix>) -> (Vec<ItemFix>, Vec<RefusedFix>) {
    let (mut ok, mut refused) = (Vec::new(), Vec::new());
    for (item, fix) in fixes {
        match editor.lower(&fix.ops) {
            Ok(_) => ok.push((item, fix)),
            Err(why) => refused.push((item, fix, why)),
        }
    }
    let mut keys: Vec<(Option<usize>, &'static str)> = refused.iter().map(|(i, f, _)| (*i, f.check)).collect();
    keys.dedup();
    for key in keys {
        let group: Vec<usize> = (0..refused.len()).filter(|&j| (refused[j].0, refused[j].1.check) == key).collect();
        if group.len() < 2 {
            continue;
        }
        let ops: Vec<Op> = group.iter().flat_map(|&j| refused[j].1.ops.iter().cloned()).collect();
        match editor.lower(&ops) {
            Ok(_) => {
                for &j in group.iter().rev() {
                    let (item, fix, _) = refused.remove(j);
                    ok.push((item, fix));
                }
            }
            Err(why) => {
                for &j in &group {
                    refused[j].2.clone_from(&why);
                }
            }
        }
    }
    (ok, refused)
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
    // Fixes are added a check at a time (the fixes of one check for containers that share an anchor
    // are written together, or not at all), then one at a time within a check that conflicts.
    let grow = |base: &[Op], fixes: Vec<Fix>| {
        let (mut ops, mut kept) = (base.to_vec(), Vec::new());
        let mut units: Vec<Vec<Fix>> = Vec::new();
        for fix in fixes {
            match units.iter_mut().find(|u| u[0].check == fix.check) {
                Some(u) => u.push(fix),
                None => units.push(vec![fix]),
            }
        }
        for unit in units {
            let mut trial = ops.clone();
            trial.extend(unit.iter().flat_map(|f| f.ops.iter().cloned()));
            if editor.lower(&trial).is_ok() {
                ops = trial;
                kept.extend(unit);
                continue;
            }
            for fix in unit {
                let mut trial = ops.clone();
                trial.extend(fix.ops.iter().cloned());
                if editor.lower(&trial).is_ok() {
                    ops = trial;
                    kept.push(fix);
                }
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
                    Outcome::Skipped { kind, .. } => {
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
                PatchEntry { doc: r.doc, item: r.item, api_version, kind, namespace, name, patch: String::new() }
            })
            .collect();
        let is_json =
            root.flow && text.get(root.span.start..root.span.end).is_some_and(|t| serde_json::from_str::<J>(t).is_ok());
        OriginalDoc { json: root.to_json(), is_json, resources }
    }
}

/// Give every finding of one document's resources the applicability of its fix (`check` shows it):
/// the strictest class among the fixes planned for that check; no fix at all is manual; a fix that
/// `fix` would refuse to write (it is lowered here by the same editor, on the same text: shared
/// YAML, a value `fix` cannot reach) is `refused`.
pub fn classify(text: &str, doc: &yaml::Doc, resources: &mut [Resource], policy: &Policy, choice: &Choice) {
    let Ok(root) = &doc.root else { return };
    let editor = Editor::new(text, root, &doc.shared);
    for r in resources.iter_mut() {
        if !matches!(&r.outcome, Outcome::Workload { findings, .. } if !findings.is_empty()) {
            continue;
        }
        let fixes = workload_fixes(root, r, policy, choice);
        let writable = || fixes.iter().filter(|x| x.class != Class::Manual);
        // Usually all of a resource's fixes lower together, and then none is refused (one lowering,
        // not one per fix); otherwise the fixes are split as `fix` splits them.
        let all: Vec<Op> = writable().flat_map(|f| f.ops.iter().cloned()).collect();
        let refused = if editor.lower(&all).is_ok() {
            Vec::new()
        } else {
            split_lowerable(&editor, writable().map(|f| (r.item, f.clone())).collect()).1
        };
        if let Outcome::Workload { findings, .. } = &mut r.outcome {
            for f in findings.iter_mut() {
                let mine = || fixes.iter().filter(|x| x.check == f.check);
                let refused = refused.iter().any(|(_, x, _)| x.check == f.check);
                let class = mine().map(|x| x.class).max().unwrap_or(Class::Manual);
                f.fix = Some(if refused { "refused" } else { class.as_str() });
            }
        }
    }
}

/// Check that the fixed text says what the ops say: document for document, JSON(original) with
/// the RFC 6902 patch applied equals JSON(fixed). Returns the patch per changed resource.
fn self_check(
    old: &str,
    new: &str,
    original: &mut Original,
    after: &engine::Checked,
    doc_ops: &[Vec<Op>],
) -> Result<Vec<PatchEntry>, String> {
    if after.stream.docs.len() != original.spans.len() || after.stream.fatal.is_some() {
        return Err("the fixed text does not have the same documents".into());
    }
    let mut entries = Vec::new();
    for (di, (&(b_start, b_end), a)) in original.spans.iter().zip(&after.stream.docs).enumerate() {
        let ops = &doc_ops[di];
        let Some(orig) = original.docs[di].as_mut().filter(|_| !ops.is_empty()) else {
            // Untouched: the document's text must be too.
            if old.get(b_start..b_end) != new.get(a.start..a.end) {
                return Err("a document changed without an edit".to_owned());
            }
            continue;
        };
        let Ok(a_root) = &a.root else { return Err("the edited document no longer parses".to_owned()) };
        let has_items = orig.resources.iter().any(|r| r.item.is_some());
        let mut doc = std::mem::take(&mut orig.json);
        let mut per_item: Vec<(Option<usize>, Vec<J>)> = Vec::new();
        for op in ops {
            let item = match op.route.as_slice() {
                [Seg::Key(k), Seg::Index(i), ..] if k == "items" && has_items => Some(*i),
                _ => None,
            };
            let rfc = to_rfc6902(&doc, op);
            let patch: json_patch::Patch =
                serde_json::from_value(J::Array(vec![rfc.clone()])).map_err(|e| e.to_string())?;
            json_patch::patch(&mut doc, &patch).map_err(|e| format!("patch does not apply: {e}"))?;
            match per_item.iter_mut().find(|(i, _)| *i == item) {
                Some((_, list)) => list.push(rfc),
                None => per_item.push((item, vec![rfc])),
            }
        }
        if orig.is_json && new.get(a.start..a.end).is_none_or(|t| serde_json::from_str::<J>(t).is_err()) {
            return Err("the document was JSON and the edited text is not".to_owned());
        }
        let actual = a_root.to_json();
        if doc != actual {
            let diff = serde_json::to_string(&json_patch::diff(&doc, &actual)).unwrap_or_default();
            return Err(format!("the edited text does not match the intended change: {diff}"));
        }
        for (item, patch) in per_item {
            let mut entry = orig.resources.iter().find(|r| r.item == item).cloned().unwrap_or(PatchEntry {
                doc: di,
                item,
                api_version: String::new(),
                kind: String::new(),
                namespace: None,
                name: None,
                patch: String::new(),
            });
            entry.patch = J::Array(patch).to_string();
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
