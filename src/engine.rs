//! From a source file to a verdict per resource: split the stream, find the workloads, type-check
//! what Pod Security reads, evaluate the checks.

use crate::checks::{self, Level, PodView, PolicyVersion};
use crate::input::{LineIndex, Source};
use crate::k8s::{self, Route, Seg, TemplateRoute};
use crate::yaml::{self, Entry, Node, Span, Value};

/// What the checks are asked.
#[derive(Clone, Debug)]
pub struct Policy {
    pub level: Level,
    pub version: PolicyVersion,
    /// Extra workload kinds (from configuration).
    pub extra_kinds: Vec<TemplateRoute>,
    /// Check ids neither reported nor fixed (from configuration; `*` for all).
    pub ignore: Vec<String>,
    /// Namespaces of the input with an `enforce` label: their workloads use that level (and
    /// `enforce-version`) unless the level was given on the command line.
    /// `None` as the level: `privileged`, no check applies.
    pub namespaces: Vec<crate::config::NamespacePolicy>,
    /// Kustomize patches to leave alone (`check` and `fix` on files set it; off by default).
    pub patches: crate::patches::Patches,
}

impl Policy {
    pub fn new(level: Level, version: PolicyVersion) -> Policy {
        Policy {
            level,
            version,
            extra_kinds: Vec::new(),
            ignore: Vec::new(),
            namespaces: Vec::new(),
            patches: Default::default(),
        }
    }

    /// The policy for one file: with [`Patches::skip`](crate::patches::Patches::skip), whether the
    /// file is a patch a kustomization names, or may hold strategic-merge directives (a copy only then).
    pub fn for_source(&self, src: &Source) -> std::borrow::Cow<'_, Policy> {
        if !self.patches.skip {
            return std::borrow::Cow::Borrowed(self);
        }
        let file = src.path.as_ref().and_then(|p| self.patches.files.get(p)).cloned();
        let scan = crate::patches::may_have_directive(&src.text);
        if file.is_none() && !scan {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut policy = self.clone();
        policy.patches.file = file;
        policy.patches.scan = scan;
        std::borrow::Cow::Owned(policy)
    }

    /// Whether to go on reading a document after its root entry `key: value` ([`yaml::Keep`]): the
    /// YAML layer skims the rest of a document whose `kind` this policy does not read.
    pub fn reads_entry(&self, key: &str, value: &str) -> bool {
        key != "kind" || self.reads_kind(value)
    }

    /// Whether a document of this `kind` is read in full (workloads, Lists, Namespaces); the others
    /// are only skimmed for errors.
    pub fn reads_kind(&self, kind: &str) -> bool {
        self.patches.scan
            || kind == "Namespace"
            || kind.ends_with("List")
            || k8s::is_workload_kind(kind)
            || self.extra_kinds.iter().any(|k| k.kind == kind)
    }

    /// The level (`None`: privileged, nothing to check) and version for a workload in `namespace`.
    pub fn for_namespace(&self, namespace: Option<&str>) -> (Option<Level>, PolicyVersion) {
        match namespace.and_then(|ns| self.namespaces.iter().find(|n| n.name == ns)) {
            Some(ns) => (ns.level, ns.version.unwrap_or(self.version)),
            None => (Some(self.level), self.version),
        }
    }
}

/// One violation, located in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub check: &'static str,
    pub reason: String,
    pub detail: String,
    pub span: Span,
    /// 1-based position of `span` (filled in by [`check_source`]).
    pub pos: Pos,
    /// podsec's own check (not part of PSA's verdict).
    pub own: bool,
    /// The applicability of its fix, when known (`safe`, `unsafe`, `manual`).
    pub fix: Option<&'static str>,
}

/// 1-based line/column of a span's start and end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    pub end_line: usize,
    pub end_col: usize,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    Workload {
        api_version: String,
        kind: String,
        namespace: Option<String>,
        name: Option<String>,
        findings: Vec<Finding>,
        /// Route of the object inside the document (empty, or `items/N` in a List).
        object: Route,
        /// Route of the pod template object, relative to the object (empty for a Pod).
        template: Route,
        /// Violations exempted by configuration or the `podsec.dev/ignore` annotation.
        ignored: Vec<Finding>,
        /// The level and version used, when a Namespace's label chose them.
        policy: Option<(&'static str, PolicyVersion)>,
    },
    Skipped {
        kind: String,
        /// Why it is left alone, when it is not for its kind: a kustomize patch.
        reason: Option<String>,
    },
    Error {
        message: String,
        span: Span,
        pos: Pos,
    },
}

#[derive(Clone, Debug)]
pub struct Resource {
    /// Index among the file's non-empty documents, from 0.
    pub doc: usize,
    /// Index in a `List`'s items.
    pub item: Option<usize>,
    pub outcome: Outcome,
}

impl Resource {
    pub fn allowed(&self) -> bool {
        match &self.outcome {
            Outcome::Workload { findings, ignored, .. } => findings.iter().chain(ignored).all(|f| f.own),
            _ => true,
        }
    }
}

/// A file, parsed, with its verdicts.
pub struct Checked {
    pub stream: yaml::Stream,
    pub resources: Vec<Resource>,
    /// The file is a template (Helm, Go `{{ }}`); the line that shows it. Nothing was checked.
    pub template_line: Option<usize>,
}

/// Parse and check a whole file, keeping every document's tree (the fixer edits them).
pub fn check_source(src: &Source, policy: &Policy, limits: &yaml::Limits) -> Checked {
    let policy = policy.for_source(src);
    let policy = &*policy;
    let keep = |key: &str, value: &str| policy.reads_entry(key, value);
    let stream = yaml::parse_stream_keeping(&src.text, limits, Some(&keep));
    let docs: Vec<Result<&Node, &yaml::YamlError>> = stream.docs.iter().map(|d| d.root.as_ref()).collect();
    let mut resources = Vec::new();
    for (i, root) in docs.into_iter().enumerate() {
        evaluate_root(root, i, policy, &mut resources);
    }
    let (resources, template_line) = finish(src, &stream, resources);
    Checked { stream, resources, template_line }
}

/// Parse and check a file one document at a time, dropping each tree once `with_tree` has seen it
/// with the document's verdicts: memory follows the largest document, not the file. Returns the
/// verdicts, the line that shows the file is a template (then there are none), and how many
/// non-empty documents the file has.
pub fn check_each(
    src: &Source,
    policy: &Policy,
    limits: &yaml::Limits,
    mut with_tree: impl FnMut(&yaml::Doc, &mut [Resource]),
) -> (Vec<Resource>, Option<usize>, usize) {
    let policy = policy.for_source(src);
    let policy = &*policy;
    let keep = |key: &str, value: &str| policy.reads_entry(key, value);
    let mut resources = Vec::new();
    let mut index = 0;
    let stream = yaml::parse_each(&src.text, limits, Some(&keep), &mut |doc| {
        let from = resources.len();
        evaluate_root(doc.root.as_ref(), index, policy, &mut resources);
        if doc.root.is_ok() {
            with_tree(&doc, &mut resources[from..]);
        }
        index += 1;
    });
    let mut stream = stream;
    stream.docs.clear();
    let (resources, template_line) = finish_counted(src, &stream, resources, index);
    (resources, template_line, index)
}

/// [`check_each`] for a text that cannot be a template (it holds no `{{`): each document's verdicts
/// are located and handed to `emit` as soon as it is judged, instead of being kept, so that memory
/// follows one document even when a file has thousands of them. Returns how many non-empty
/// documents the file has.
pub fn check_streaming(
    src: &Source,
    policy: &Policy,
    limits: &yaml::Limits,
    mut with_tree: impl FnMut(&yaml::Doc, &mut [Resource]),
    mut emit: impl FnMut(Vec<Resource>),
) -> usize {
    let policy = policy.for_source(src);
    let policy = &*policy;
    let keep = |key: &str, value: &str| policy.reads_entry(key, value);
    let mut lines: Option<LineIndex> = None;
    let mut index = 0;
    let stream = yaml::parse_each(&src.text, limits, Some(&keep), &mut |doc| {
        let mut resources = Vec::new();
        evaluate_root(doc.root.as_ref(), index, policy, &mut resources);
        if doc.root.is_ok() {
            with_tree(&doc, &mut resources);
        }
        locate_with(&mut lines, &src.text, &mut resources);
        index += 1;
        emit(resources);
    });
    if let Some(fatal) = stream.fatal {
        let span = Span { start: fatal.offset, end: fatal.offset };
        let mut resources = vec![Resource { doc: index, item: None, outcome: error(fatal.message, span) }];
        locate_with(&mut lines, &src.text, &mut resources);
        emit(resources);
    }
    index
}

/// Verdicts for an already parsed stream (no template test: the caller knows the text). Positions
/// are not filled in: the caller [`locate`]s the verdicts it keeps, in the text it reports.
pub fn evaluate_stream(stream: yaml::Stream, policy: &Policy) -> Checked {
    let mut resources = Vec::new();
    for (i, doc) in stream.docs.iter().enumerate() {
        evaluate_root(doc.root.as_ref(), i, policy, &mut resources);
    }
    if let Some(fatal) = &stream.fatal {
        let span = Span { start: fatal.offset, end: fatal.offset };
        resources.push(Resource { doc: stream.docs.len(), item: None, outcome: error(fatal.message.clone(), span) });
    }
    Checked { stream, resources, template_line: None }
}

fn evaluate_root(root: Result<&Node, &yaml::YamlError>, doc: usize, policy: &Policy, out: &mut Vec<Resource>) {
    match root {
        Err(e) => out.push(Resource {
            doc,
            item: None,
            outcome: error(e.message.clone(), Span { start: e.offset, end: e.offset }),
        }),
        Ok(root) => evaluate_document(root, doc, policy, out),
    }
}

fn finish(src: &Source, stream: &yaml::Stream, resources: Vec<Resource>) -> (Vec<Resource>, Option<usize>) {
    finish_counted(src, stream, resources, stream.docs.len())
}

/// Templates, a fatal error after the last document, line/column positions.
fn finish_counted(
    src: &Source,
    stream: &yaml::Stream,
    mut resources: Vec<Resource>,
    docs: usize,
) -> (Vec<Resource>, Option<usize>) {
    let parses = !(stream.any_error || stream.fatal.is_some());
    if src.text.contains("{{")
        && let Some(line) = crate::input::template_line(&src.text, parses, || stream.literal_spans.clone())
    {
        return (Vec::new(), Some(line));
    }
    if let Some(fatal) = &stream.fatal {
        resources.push(Resource {
            doc: docs,
            item: None,
            outcome: error(fatal.message.clone(), Span { start: fatal.offset, end: fatal.offset }),
        });
    }
    locate(&src.text, &mut resources);
    (resources, None)
}

fn error(message: String, span: Span) -> Outcome {
    Outcome::Error { message, span, pos: Pos::default() }
}

/// Fill in line/column positions (the line index is built only when something is reported).
pub fn locate(text: &str, resources: &mut [Resource]) {
    locate_with(&mut None, text, resources);
}

/// [`locate`] with a line index that the caller keeps across calls on the same text (built on
/// first use).
fn locate_with(index: &mut Option<LineIndex>, text: &str, resources: &mut [Resource]) {
    let mut pos_of = |span: Span| {
        let idx = index.get_or_insert_with(|| LineIndex::new(text));
        let (line, col) = idx.line_col(text, span.start);
        let (end_line, end_col) = idx.line_col(text, span.end.max(span.start));
        Pos { line, col, end_line, end_col }
    };
    for r in resources {
        match &mut r.outcome {
            Outcome::Workload { findings, .. } => findings.iter_mut().for_each(|f| f.pos = pos_of(f.span)),
            Outcome::Error { span, pos, .. } => *pos = pos_of(*span),
            Outcome::Skipped { .. } => {}
        }
    }
}

fn evaluate_document(root: &Node, doc: usize, policy: &Policy, out: &mut Vec<Resource>) {
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    if let Some(reason) = &policy.patches.file {
        // Whatever its shape (a JSON 6902 patch is a list of operations), a named patch is left alone.
        out.push(Resource {
            doc,
            item: None,
            outcome: Outcome::Skipped { kind: kind.into(), reason: Some(reason.clone()) },
        });
        return;
    }
    if k8s::is_list(kind, root) {
        for (i, item) in root.get("items").map_or(&[][..], Node::items).iter().enumerate() {
            let object = vec![Seg::Key("items".into()), Seg::Index(i)];
            out.push(Resource { doc, item: Some(i), outcome: evaluate_object(item, object, policy) });
        }
    } else {
        out.push(Resource { doc, item: None, outcome: evaluate_object(root, Vec::new(), policy) });
    }
}

/// Evaluate one object (a document root or a List item).
pub fn evaluate_object(object: &Node, object_route: Route, policy: &Policy) -> Outcome {
    if object.as_map().is_none() {
        return error(format!("a Kubernetes object must be a mapping, not {}", object.kind()), object.span);
    }
    if policy.patches.scan
        && let Some(reason) = crate::patches::directive(object)
    {
        let kind = object.get("kind").and_then(Node::as_str).unwrap_or("").to_owned();
        return Outcome::Skipped { kind, reason: Some(reason) };
    }
    if let Err(e) = k8s::check_object_header(object) {
        return error(e.message, e.span);
    }
    let api_version = object.get("apiVersion").and_then(Node::as_str).unwrap_or("").to_owned();
    let kind = object.get("kind").and_then(Node::as_str).unwrap_or("").to_owned();
    if kind.is_empty() {
        // Not a Kubernetes object (a config fragment, a values file): nothing to check.
        return Outcome::Skipped { kind, reason: None };
    }
    let Some(template) = k8s::template_route(&api_version, &kind, &policy.extra_kinds) else {
        if let Some(message) = k8s::unserved(&api_version, &kind) {
            let at = object.get("apiVersion").map_or(object.span, |n| n.span);
            return error(message, at);
        }
        return Outcome::Skipped { kind, reason: None };
    };
    let decoded = match k8s::check_object(&api_version, &kind, object) {
        Ok(decoded) => decoded,
        Err(e) => return error(e.message, e.span),
    };
    let meta = object.field("metadata");
    let namespace = meta.and_then(|m| m.get("namespace")).and_then(Node::as_str).map(str::to_owned);
    let name = meta.and_then(|m| m.get("name")).and_then(Node::as_str).map(str::to_owned);
    let (level, version) = policy.for_namespace(namespace.as_deref());
    let chosen = (level != Some(policy.level) || version != policy.version)
        .then_some((level.map_or("privileged", Level::as_str), version));
    let mut findings = Vec::new();
    // A ReplicationController without a template is not evaluated (PSA allows it), nor is a workload
    // in a privileged namespace.
    let tmpl = k8s::at(object, &template).filter(|n| !n.is_null());
    if let Some(level) = level
        && (tmpl.is_some() || kind != "ReplicationController")
    {
        let empty = Node::new(Value::Map(Vec::new()), tmpl.map_or(object.span, |t| t.span));
        let tmpl = tmpl.unwrap_or(&empty);
        let base = template.iter().map(seg_name).collect::<Vec<_>>().join(".");
        let dotted = |k: &str| if base.is_empty() { k.to_owned() } else { format!("{base}.{k}") };
        let pod_meta = tmpl.field("metadata");
        let spec = tmpl.field("spec");
        if tmpl.as_map().is_none() {
            return error(
                format!("json: cannot unmarshal {} into Go struct field of type v1.PodTemplateSpec", tmpl.kind()),
                tmpl.span,
            );
        }
        let (meta_path, spec_path) = (dotted("metadata"), dotted("spec"));
        let template_meta = pod_meta.filter(|_| !template.is_empty()).map(|m| (m, meta_path.as_str()));
        if !decoded && let Err(e) = k8s::check_types(template_meta, spec.map(|s| (s, spec_path.as_str()))) {
            return error(e.message, e.span);
        }
        let empty_spec = Node::new(Value::Map(Vec::new()), tmpl.span);
        let spec = spec.unwrap_or(&empty_spec);
        let defaulted = default_volumes(spec);
        let view = PodView { meta: pod_meta, spec: defaulted.as_ref().unwrap_or(spec) };
        for v in checks::evaluate_all(level, version, &view) {
            findings.push(Finding {
                check: v.check,
                reason: v.reason,
                detail: v.detail,
                span: v.span,
                pos: Pos::default(),
                own: v.source == checks::Source::Podsec,
                fix: None,
            });
        }
    }
    let skip = crate::config::ignored_by_annotation(object);
    let (ignored, findings): (Vec<Finding>, Vec<Finding>) = findings.into_iter().partition(|f| {
        let hit = |ids: &[String]| ids.iter().any(|i| i == "*" || i == f.check);
        hit(&policy.ignore) || hit(&skip)
    });
    Outcome::Workload {
        api_version,
        kind,
        namespace,
        name,
        findings,
        object: object_route,
        template,
        ignored,
        policy: chosen,
    }
}

fn seg_name(seg: &Seg) -> String {
    match seg {
        Seg::Key(k) => k.clone(),
        Seg::Index(i) => i.to_string(),
    }
}

/// API-server defaulting that changes a verdict: a volume with no source (or only null ones) becomes `emptyDir`
/// (upstream's `restrictedvolumes0.yaml` fixture relies on it). Returns a patched copy when needed.
fn default_volumes(spec: &Node) -> Option<Node> {
    let volumes = spec.field("volumes")?.as_seq()?;
    // Every source pointer nil: no key but `name` with a non-null value.
    let sourceless = |m: &[Entry]| m.iter().all(|e| e.key == "name" || e.value.is_null());
    if !volumes.iter().any(|v| v.as_map().is_some_and(sourceless)) {
        return None;
    }
    let mut copy = spec.clone();
    if let Value::Map(entries) = &mut copy.value {
        for e in entries.iter_mut().filter(|e| e.key == "volumes") {
            if let Value::Seq(items) = &mut e.value.value {
                for v in items.iter_mut() {
                    if let Value::Map(fields) = &mut v.value
                        && sourceless(fields)
                    {
                        fields.retain(|f| f.key == "name");
                        let span = v.span;
                        fields.push(Entry {
                            key: "emptyDir".into(),
                            key_span: span,
                            value: Node::new(Value::Map(Vec::new()), span),
                            dup: false,
                        });
                    }
                }
            }
        }
    }
    Some(copy)
}
