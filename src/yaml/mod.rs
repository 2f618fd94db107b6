//! YAML as the Kubernetes API server reads it, with byte spans for every node.
//!
//! Events come from `granit-parser` (exact byte spans, recovery at the next document); this module
//! builds the resolved tree: scalars per YAML 1.1 (`scalar.rs`), merge keys, aliases (with a budget
//! against alias bombs), the last of duplicate keys.

pub mod lines;
pub mod node;
pub mod scalar;

use std::collections::{HashMap, HashSet};

use granit_parser::{Event, Parser, ScalarStyle, StructureStyle};
pub use node::*;

/// Bounds that keep hostile input (alias bombs, deep nesting) cheap.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Nodes a single document may hold after alias expansion.
    pub max_nodes: usize,
    /// Nesting depth of collections.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_nodes: 1_000_000, max_depth: 200 }
    }
}

/// A syntax or decoding error, at a byte offset of the source.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub offset: usize,
}

/// One non-empty document of a stream.
#[derive(Debug)]
pub struct Doc {
    /// Byte range of the document's content in the source (from its first node to the end of its
    /// last; `---` and `...` markers are outside).
    pub start: usize,
    pub end: usize,
    pub root: Result<Node, YamlError>,
    /// Spans of anchored nodes that an alias also uses: text there stands for several places.
    /// (span, is a collection): an insertion at the end of a shared collection would extend it too.
    pub shared: Vec<(Span, bool)>,
}

#[derive(Debug, Default)]
pub struct Stream {
    pub docs: Vec<Doc>,
    /// An error after which nothing more of the stream could be read.
    pub fatal: Option<YamlError>,
    /// Spans of quoted and block scalars, in order: what [`literal_spans`] returns, gathered during
    /// this parse so that a caller who needs them needs no second one.
    pub literal_spans: Vec<(usize, usize)>,
    /// Some document (or the stream) could not be read.
    pub any_error: bool,
}

/// Parse every document of `src`. A broken document is reported in place and the parser recovers at
/// the next `---`; empty and comment-only documents are dropped.
pub fn parse_stream(src: &str, limits: &Limits) -> Stream {
    parse_stream_keeping(src, limits, None)
}

/// Decides, entry by entry, whether a document's tree is worth building: called with each root-level
/// `key: value` whose value is a string, in order, until it returns false. The rest of that document
/// is then skimmed: only checked for errors (syntax, values JSON cannot carry), not built. When the
/// deciding key comes again at the root (the last of duplicate keys wins), or a merge key does, the
/// document is read again in full.
pub type Keep<'a> = &'a dyn Fn(&str, &str) -> bool;

/// [`parse_stream`], building full trees only for the documents `keep` accepts (see [`Keep`]).
pub fn parse_stream_keeping(src: &str, limits: &Limits, keep: Option<Keep<'_>>) -> Stream {
    let mut docs = Vec::new();
    let mut stream = parse_each(src, limits, keep, &mut |doc| docs.push(doc));
    stream.docs = docs;
    stream
}

/// Parse `src` document by document, handing each to `on_doc` as soon as it is complete (so that a
/// caller can drop its tree before the next one is built). With `keep`, a document it rejects is
/// skimmed after the deciding entry: its root holds only the entries up to and including that one
/// (see [`Keep`]).
/// The returned stream has no `docs`.
pub fn parse_each(src: &str, limits: &Limits, keep: Option<Keep<'_>>, on_doc: &mut dyn FnMut(Doc)) -> Stream {
    let mut parser = Parser::new_from_str_with_options(src, parser_options(limits));
    let mut stream = Stream::default();
    let mut builder: Option<Builder> = None;
    // Where the previous document ended (its `...` included).
    let mut last_end = 0;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(pair)) => pair,
            Some(Err(err)) => {
                let offset = err.marker().byte_offset().unwrap_or(0);
                // An error before the document's start event: the document began at the first
                // content after the previous one (not at the error, lines later).
                let start = builder.take().map_or_else(|| first_content(src, last_end, offset), |b| b.doc_start);
                stream.any_error = true;
                on_doc(Doc {
                    start,
                    end: offset,
                    root: Err(YamlError { message: scan_message(&err), offset }),
                    shared: Vec::new(),
                });
                match parser.proceed_next_document() {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(err) => {
                        let offset = err.marker().byte_offset().unwrap_or(src.len());
                        stream.fatal = Some(YamlError { message: scan_message(&err), offset });
                        break;
                    }
                }
            }
        };
        let range = span.byte_range().unwrap_or(0..0);
        if let Event::Scalar(_, style, ..) = &event
            && *style != ScalarStyle::Plain
            && let Some(r) = span.byte_range()
        {
            stream.literal_spans.push((r.start, r.end));
        }
        match event {
            Event::StreamStart => {}
            Event::StreamEnd => break,
            Event::DocumentStart(..) => builder = Some(Builder::new(src, limits, range.end, keep)),
            Event::DocumentEnd => {
                if let Some(b) = builder.take() {
                    let (rebuild, doc_start) = (b.rebuild, b.doc_start);
                    if let Some(mut doc) = b.finish() {
                        if rebuild && doc.root.is_ok() {
                            // Read it again in full (a later duplicate of the deciding key may
                            // change the decision), from its directives on.
                            let from = document_text_start(src, last_end, doc.start).min(doc_start);
                            let region = src.get(from..doc.end.max(from)).unwrap_or("");
                            if let Some(mut full) = parse_stream(region, limits).docs.into_iter().next() {
                                shift_doc(&mut full, from as isize);
                                doc = full;
                            }
                        }
                        stream.any_error |= doc.root.is_err();
                        on_doc(doc);
                    }
                }
                last_end = range.end.max(last_end);
            }
            event => {
                if let Some(b) = builder.as_mut() {
                    b.event(event, range);
                }
            }
        }
    }
    stream
}

/// The first byte in `from..to` that is neither blank nor in a comment line (`to` when none).
fn first_content(src: &str, from: usize, to: usize) -> usize {
    let mut at = from.min(to);
    while at < to {
        let end = lines::line_end(src, at).min(to);
        let line = &src[at..end];
        let content = line.trim_start();
        if !content.is_empty() && !content.starts_with('#') {
            return at + (line.len() - content.len());
        }
        let next = lines::next_line(src, at);
        if next <= at {
            break;
        }
        at = next;
    }
    to
}

/// granit's options for reading YAML as go-yaml v2 (libyaml's port) does: under-indented quoted
/// continuation lines are accepted (granit's default since 2.2), a BOM inside a document is content,
/// and a block scalar that ends the input without a line break gets no line feed; and, with the
/// vendored granit's `libyaml_compat` (vendor/granit-parser/PODSEC-PATCHES.md), its scanner and
/// parser follow libyaml where it differs from YAML 1.2.
fn parser_options(limits: &Limits) -> granit_parser::Options {
    let mut options = granit_parser::Options::default();
    options.block_nesting_limit = limits.max_depth;
    options.flow_nesting_limit = limits.max_depth;
    options.bom_inside_document_as_content = true;
    options.block_scalar_eof_without_line_feed = true;
    options.libyaml_compat = true;
    options
}

/// Where the text of the document whose first node starts at `next` begins (its directives
/// included), given that the previous document's content ends at `prev_end`: at the first `%` directive or `---` marker line of the lines right
/// before `next` that hold nothing else (blank lines, comments, markers), or at the start of
/// `next`'s own line. Comments above a `---` stay with the document before it.
pub fn document_text_start(text: &str, prev_end: usize, next: usize) -> usize {
    let line_start = |pos: usize| lines::line_start(text, pos);
    let own = line_start(next.min(text.len())).max(prev_end);
    let mut boundary = own;
    let mut cur = own;
    while cur > prev_end {
        let ls = line_start(cur - 1);
        if ls < prev_end {
            break;
        }
        let line = text[ls..cur].trim_end();
        let marker = |m: &str| line.strip_prefix(m).is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']));
        if marker("---") || line.starts_with('%') {
            boundary = ls;
        } else if marker("...") || !(line.trim_start().is_empty() || line.trim_start().starts_with('#')) {
            // The previous document's end marker, or its content.
            break;
        }
        cur = ls;
    }
    boundary
}

fn scan_message(err: &granit_parser::ScanError) -> String {
    let text = err.to_string();
    // granit appends its own "at char N line L column C"; the caller reports file:line itself.
    match text.find(" at char ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

enum Frame {
    Seq { items: Vec<Node>, start: usize, flow_end: Option<usize>, anchor: usize },
    Map { entries: Vec<Entry>, index: KeyIndex, key: Option<Key>, start: usize, flow_end: Option<usize>, anchor: usize },
}

/// Key → position among a mapping's entries, built once the mapping is large enough that a linear
/// search per key (duplicate keys, merges) would make building it quadratic.
#[derive(Default)]
struct KeyIndex(Option<HashMap<String, usize>>);

impl KeyIndex {
    /// Mappings up to this many entries are searched linearly (most Kubernetes mappings are small).
    const FROM: usize = 16;

    fn find(&self, entries: &[Entry], key: &str) -> Option<usize> {
        match &self.0 {
            Some(map) => map.get(key).copied(),
            None => entries.iter().position(|e| e.key == key),
        }
    }

    /// Add `entry` as a new key, or replace the entry with the same key in place.
    fn put(&mut self, entries: &mut Vec<Entry>, entry: Entry, replace: impl FnOnce(&Entry, Entry) -> Entry) {
        if let Some(i) = self.find(entries, &entry.key) {
            entries[i] = replace(&entries[i], entry);
            return;
        }
        match &mut self.0 {
            Some(map) => {
                map.insert(entry.key.clone(), entries.len());
            }
            None if entries.len() + 1 >= Self::FROM => {
                let mut map: HashMap<String, usize> =
                    entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i)).collect();
                map.insert(entry.key.clone(), entries.len());
                self.0 = Some(map);
            }
            None => {}
        }
        entries.push(entry);
    }
}

struct Key {
    text: String,
    span: Span,
    merge: bool,
}

struct Builder<'l> {
    src: &'l str,
    limits: &'l Limits,
    doc_start: usize,
    /// Where the document's first node event starts (a block sequence's first `-`).
    first_event: Option<usize>,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    shared: Vec<(Span, bool)>,
    /// `shared`, as (start, end) pairs, for a constant-time "already there?".
    shared_seen: HashSet<(usize, usize)>,
    nodes: usize,
    /// go-yaml v2's `decodeCount` and `aliasCount` (its "excessive aliasing" rule).
    decodes: usize,
    aliased: usize,
    error: Option<YamlError>,
    /// Which documents get a full tree; `None`: all.
    keep: Option<Keep<'l>>,
    /// The root key whose entry made `keep` reject the document.
    skim_key: Option<String>,
    /// Skimming the rest of a document nobody reads: open collections since, and the furthest end.
    skim: Option<(usize, usize)>,
    /// While skimming, aliases are counted, not expanded: the size of each anchored node, and the
    /// anchor and node count at the start of each open collection.
    skim_sizes: HashMap<usize, usize>,
    skim_open: Vec<(usize, usize)>,
    /// While skimming at the root: whether the next root-level scalar is a key.
    skim_expect_key: bool,
    /// The deciding key (or a merge key) came again at the root after skimming began: the last
    /// one wins, so the document must be read again in full.
    rebuild: bool,
}

impl<'l> Builder<'l> {
    fn new(src: &'l str, limits: &'l Limits, doc_start: usize, keep: Option<Keep<'l>>) -> Self {
        Builder {
            keep,
            skim_key: None,
            skim: None,
            skim_sizes: HashMap::new(),
            skim_open: Vec::new(),
            skim_expect_key: true,
            rebuild: false,
            src,
            limits,
            doc_start,
            first_event: None,
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            shared: Vec::new(),
            shared_seen: HashSet::new(),
            nodes: 0,
            decodes: 0,
            aliased: 0,
            error: None,
        }
    }

    fn fail(&mut self, message: impl Into<String>, offset: usize) {
        if self.error.is_none() {
            self.error = Some(YamlError { message: message.into(), offset });
        }
    }

    fn event(&mut self, event: Event, range: std::ops::Range<usize>) {
        if self.error.is_some() {
            return;
        }
        if matches!(event, Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) | Event::Alias(..)) {
            self.first_event.get_or_insert(range.start);
        }
        if self.skim.is_some() {
            return self.skim_event(event, range);
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let mut span = Span { start: range.start, end: range.end };
                if matches!(style, Style::Literal | Style::Folded) {
                    let raw = self.src.get(range.clone()).unwrap_or("");
                    span.end = span.start + raw.trim_end().len();
                }
                // A mapping key stays raw text until we know it is not `<<`.
                if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                    return self.key(&text, style, anchor, tag.as_deref(), span);
                }
                self.decodes += 1;
                match scalar::resolve(&text, style, yaml_tag(tag.as_deref()).as_deref()) {
                    Ok(value) => self.push(Node::new(value, span), anchor),
                    Err(e) => self.fail(e.0, range.start),
                }
            }
            Event::SequenceStart(style, anchor, _) => self.open(false, style == StructureStyle::Flow, anchor, range),
            Event::MappingStart(style, anchor, _) => self.open(true, style == StructureStyle::Flow, anchor, range),
            Event::SequenceEnd | Event::MappingEnd => self.close(range),
            Event::Alias(id) => {
                if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                    return self.alias_key(id, range);
                }
                self.alias(id, range);
            }
            _ => {}
        }
    }

    /// A scalar in key position: its text becomes the pending key (a merge key if it is `<<`).
    fn key(&mut self, text: &str, style: Style, anchor: usize, tag: Option<&granit_parser::Tag>, span: Span) {
        let tag_name = yaml_tag(tag);
        // go-yaml v2 isMerge: `<<` plain and untagged, tagged `!` (still implicit), or `!!merge`.
        let merge = text == "<<"
            && match tag {
                None => style == Style::Plain,
                Some(t) => t.parts() == ("", "!") || tag_name.as_deref() == Some("merge"),
            };
        let text = match scalar::resolve(text, style, tag_name.as_deref()) {
            // The string `resolve` already copied (one allocation per key, not two).
            Ok(Value::String(s, _)) if anchor == 0 => Ok(s),
            Err(scalar::Unrepresentable(m)) => match m {
                scalar::POS_INF => Ok(".inf".to_owned()),
                scalar::NEG_INF => Ok("-.inf".to_owned()),
                scalar::NAN => Ok(".nan".to_owned()),
                _ => Err(m.to_owned()),
            },
            Ok(value) => {
                let text = key_text(&value);
                if anchor != 0 {
                    self.anchors.insert(anchor, Node::new(value, span));
                }
                text
            }
        };
        match text {
            Ok(text) => {
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some(Key { text, span, merge });
                }
                self.decodes += 1;
            }
            Err(m) => self.fail(m, span.start),
        }
    }

    /// A collection starts.
    fn open(&mut self, mapping: bool, flow: bool, anchor: usize, range: std::ops::Range<usize>) {
        self.decodes += 1;
        if self.stack.len() >= self.limits.max_depth {
            self.fail(format!("nesting deeper than {} levels", self.limits.max_depth), range.start);
        }
        let (start, flow_end) = (range.start, flow.then_some(0));
        self.stack.push(if mapping {
            Frame::Map { entries: Vec::new(), index: KeyIndex::default(), key: None, start, flow_end, anchor }
        } else {
            Frame::Seq { items: Vec::new(), start, flow_end, anchor }
        });
    }

    /// A collection ends: it becomes a node of its parent, spanning its own text.
    fn close(&mut self, range: std::ops::Range<usize>) {
        let Some(frame) = self.stack.pop() else { return };
        let (value, start, flow_end, anchor) = match frame {
            Frame::Seq { items, start, flow_end, anchor } => (Value::Seq(items), start, flow_end, anchor),
            Frame::Map { entries, start, flow_end, anchor, .. } => (Value::Map(entries), start, flow_end, anchor),
        };
        let end = match (flow_end, &value) {
            (Some(_), _) => range.end,
            (None, Value::Seq(items)) => items.last().map_or(start, |n| n.span.end),
            (None, Value::Map(entries)) => {
                entries.iter().map(|e| e.value.span.end.max(e.key_span.end)).max().unwrap_or(start)
            }
            _ => start,
        };
        // A block sequence starts at its first `-` (granit points an indentless sequence at its
        // first item instead).
        let start = match (&value, flow_end) {
            (Value::Seq(items), None) => items.first().map_or(start, |first| dash_before(self.src, first.span.start)),
            _ => start,
        };
        let mut node = Node::new(value, Span { start, end });
        node.flow = flow_end.is_some();
        self.push(node, anchor);
    }

    /// An alias used as a key: its scalar's value becomes the key, as for a written key.
    fn alias_key(&mut self, id: usize, range: std::ops::Range<usize>) {
        let Some(target) = self.anchors.get(&id) else {
            return self.fail("unknown alias", range.start);
        };
        let text = match &target.value {
            Value::Seq(_) | Value::Map(_) => Err("a mapping key must be a scalar".to_owned()),
            value => key_text(value),
        };
        let span = Span { start: range.start, end: range.end };
        self.decodes += 2;
        self.aliased += 1;
        match text {
            Ok(text) => {
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some(Key { text, span, merge: false });
                }
            }
            Err(m) => self.fail(m, range.start),
        }
    }

    /// An alias as a value: a copy of its anchor's node, within the budgets against alias bombs.
    fn alias(&mut self, id: usize, range: std::ops::Range<usize>) {
        let Some(target) = self.anchors.get(&id) else {
            return self.fail("unknown alias", range.start);
        };
        let (count, keys, height) = count_nodes_keys(target);
        // The expanded tree must obey the nesting limit as the text does: every walk of the tree
        // (JSON, checks, the editor, the self-check) recurses, bounded by this alone.
        if self.stack.len() + height > self.limits.max_depth {
            return self.fail(
                format!(
                    "aliases nest this document deeper than {} levels; refusing to expand it",
                    self.limits.max_depth
                ),
                range.start,
            );
        }
        self.nodes += count;
        if self.nodes > self.limits.max_nodes {
            return self.fail(
                format!(
                    "aliases expand this document beyond {} nodes (an alias bomb?); refusing to expand it",
                    self.limits.max_nodes
                ),
                range.start,
            );
        }
        // go-yaml v2 decode.go: every node decoded counts, keys included, and those decoded through
        // an alias too; past 1000, at most 99% of them may come from aliases.
        self.decodes += 1 + count + keys;
        self.aliased += count + keys;
        if excessive_aliasing(self.decodes, self.aliased) {
            return self.fail("document contains excessive aliasing", range.start);
        }
        if self.shared_seen.insert((target.span.start, target.span.end)) {
            self.shared.push((target.span, matches!(target.value, Value::Seq(_) | Value::Map(_))));
        }
        let mut node = target.clone();
        mark(&mut node, Origin::Alias);
        self.push_node(node);
    }

    /// A skimmed document: track nesting to find the root's end, and check scalars for values the
    /// API server's decoder rejects.
    fn skim_event(&mut self, event: Event, range: std::ops::Range<usize>) {
        let Some((depth, end)) = self.skim.as_mut() else { return };
        *end = (*end).max(range.end);
        let depth_now = *depth;
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.nodes += 1;
                if anchor != 0 {
                    self.skim_sizes.insert(anchor, 1);
                }
                if depth_now == 0 {
                    if self.skim_expect_key && (self.skim_key.as_deref() == Some(&*text) || text == "<<") {
                        self.rebuild = true;
                    }
                    self.skim_expect_key = !self.skim_expect_key;
                }
                let style = if style == ScalarStyle::Plain { Style::Plain } else { Style::DoubleQuoted };
                let numeric = text.as_bytes().first().is_some_and(|b| matches!(b, b'.' | b'+' | b'-' | b'0'..=b'9'));
                if (tag.is_some() || (style == Style::Plain && numeric))
                    && let Err(e) = scalar::resolve(&text, style, yaml_tag(tag.as_deref()).as_deref())
                {
                    self.fail(e.0, range.start);
                }
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                self.nodes += 1;
                self.skim_open.push((anchor, self.nodes));
                if let Some((depth, _)) = self.skim.as_mut() {
                    *depth += 1;
                }
            }
            Event::SequenceEnd | Event::MappingEnd if depth_now > 0 => {
                if depth_now == 1 {
                    // A root-level value ends.
                    self.skim_expect_key = true;
                }
                if let Some((anchor, at)) = self.skim_open.pop()
                    && anchor != 0
                {
                    self.skim_sizes.insert(anchor, self.nodes + 1 - at);
                }
                if let Some((depth, _)) = self.skim.as_mut() {
                    *depth -= 1;
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                // The root closes: keep what was built (up to the deciding entry).
                let end = *end;
                self.skim = None;
                if let Some(Frame::Map { entries, start, flow_end, .. }) = self.stack.pop() {
                    let mut node = Node::new(Value::Map(entries), Span { start, end });
                    node.flow = flow_end.is_some();
                    self.root = Some(node);
                }
                self.stack.clear();
            }
            Event::Alias(id) => {
                if depth_now == 0 {
                    self.skim_expect_key = !self.skim_expect_key;
                }
                let size = match self.skim_sizes.get(&id) {
                    Some(n) => *n,
                    None => self.anchors.get(&id).map_or(1, count_nodes),
                };
                self.nodes += size;
                if self.nodes > self.limits.max_nodes {
                    self.fail(
                        format!(
                            "aliases expand this document beyond {} nodes (an alias bomb?); refusing to expand it",
                            self.limits.max_nodes
                        ),
                        range.start,
                    );
                }
            }
            _ => {}
        }
    }

    fn push(&mut self, node: Node, anchor: usize) {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return self.fail(format!("document has more than {} nodes", self.limits.max_nodes), node.span.start);
        }
        if anchor != 0 {
            // The copy kept for aliases costs memory too: count it, or nested anchors around a large
            // mapping would each hold a full copy (depth × size) without touching the budget.
            if !matches!(node.value, Value::Seq(_) | Value::Map(_)) || self.charge(count_nodes(&node)) {
                self.anchors.insert(anchor, node.clone());
            } else {
                return self.fail(
                    format!(
                        "anchored copies make this document hold more than {} nodes; refusing to expand it",
                        self.limits.max_nodes
                    ),
                    node.span.start,
                );
            }
        }
        self.push_node(node);
    }

    /// Add `count` nodes to the document's total; false once it exceeds the budget.
    fn charge(&mut self, count: usize) -> bool {
        self.nodes = self.nodes.saturating_add(count);
        self.nodes <= self.limits.max_nodes
    }

    fn push_node(&mut self, node: Node) {
        let offset = node.span.start;
        // A root entry may decide that the rest of the document is only skimmed.
        if self.stack.len() == 1
            && let Some(keep) = self.keep
            && let Some(Frame::Map { key: Some(Key { text, merge: false, .. }), .. }) = self.stack.last()
            && let Some(value) = node.as_str()
            && !keep(text, value)
        {
            self.skim_key = Some(text.clone());
            self.skim = Some((0, node.span.end));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, index, key, .. }) => match key.take() {
                // A collection used as a key: sigs.k8s.io/yaml cannot turn it into a JSON key.
                None => self.fail("a mapping key must be a scalar", offset),
                Some(Key { merge: true, span, .. }) => {
                    if let Err(msg) = merge_into(entries, index, node) {
                        self.fail(msg, span.start);
                    }
                }
                Some(Key { text, span, .. }) => {
                    insert(entries, index, Entry { key: text, key_span: span, value: node, dup: false })
                }
            },
        }
    }

    fn finish(self) -> Option<Doc> {
        let Builder { src, root, error, shared, doc_start, first_event, .. } = self;
        if let Some(error) = error {
            return Some(Doc { start: doc_start, end: error.offset, root: Err(error), shared });
        }
        let root = root?;
        // An empty or comment-only document has an implicit empty scalar as its root; a document
        // that is just `~` or `null` is skipped too, as kubectl skips it.
        if root.is_null() {
            return None;
        }
        // A block scalar's span starts at its content, lines below its header (or at the next
        // line when it is empty): the document starts on the header's line.
        let start = match root.value {
            Value::String(_, Style::Literal | Style::Folded) => {
                let header_end = src.get(..root.span.start).map_or(0, |t| t.trim_end().len());
                lines::line_start(src, header_end).max(doc_start.min(root.span.start))
            }
            _ => root.span.start,
        };
        // A collection's span starts at its first item's content, which for an empty block scalar is
        // lines below the `-`: the document starts at its first node event.
        let start = first_event.map_or(start, |f| start.min(f.max(doc_start.min(root.span.start))));
        // Node properties on lines of their own before it (`!!str` above the value) belong to it too.
        let start = start.min(first_content(src, doc_start.min(start), start));
        Some(Doc { start, end: root.span.end, root: Ok(root), shared })
    }
}

/// Insert with "last one wins": a repeated key replaces the earlier value and is flagged.
fn insert(entries: &mut Vec<Entry>, index: &mut KeyIndex, entry: Entry) {
    index.put(entries, entry, |existing, entry| Entry { dup: existing.value.origin != Origin::Merge, ..entry });
}

/// go-yaml v2 merge: the merged mapping's keys are assigned in order (a later explicit key overrides
/// them); for a sequence of mappings, earlier mappings take precedence.
fn merge_into(entries: &mut Vec<Entry>, index: &mut KeyIndex, node: Node) -> Result<(), String> {
    let maps: Vec<Node> = match node.value {
        Value::Map(_) => vec![node],
        Value::Seq(items) => items.into_iter().rev().collect(),
        _ => return Err("map merge requires map or sequence of maps as the value".into()),
    };
    for map in maps {
        let Value::Map(merged) = map.value else {
            return Err("map merge requires map or sequence of maps as the value".into());
        };
        for mut e in merged {
            mark(&mut e.value, Origin::Merge);
            e.dup = false;
            index.put(entries, e, |_, e| e);
        }
    }
    Ok(())
}

/// The `-` that introduces a block sequence item starting at `item` (or `item` itself).
fn dash_before(src: &str, item: usize) -> usize {
    let before = src.get(..item).unwrap_or("");
    let trimmed = before.trim_end_matches([' ', '\t']);
    if trimmed.ends_with('-') { trimmed.len() - 1 } else { item }
}

/// Move every span of a document by `delta` bytes (its text moved in the file).
pub fn shift_doc(doc: &mut Doc, delta: isize) {
    let at = |p: usize| p.saturating_add_signed(delta);
    doc.start = at(doc.start);
    doc.end = at(doc.end);
    for (s, _) in &mut doc.shared {
        *s = Span { start: at(s.start), end: at(s.end) };
    }
    match &mut doc.root {
        Ok(root) => shift_node(root, delta),
        Err(e) => e.offset = at(e.offset),
    }
}

fn shift_node(node: &mut Node, delta: isize) {
    let at = |p: usize| p.saturating_add_signed(delta);
    node.span = Span { start: at(node.span.start), end: at(node.span.end) };
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift_node(n, delta)),
        Value::Map(entries) => {
            for e in entries {
                e.key_span = Span { start: at(e.key_span.start), end: at(e.key_span.end) };
                shift_node(&mut e.value, delta);
            }
        }
        _ => {}
    }
}

fn mark(node: &mut Node, origin: Origin) {
    node.origin = origin;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| mark(n, origin)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| mark(&mut e.value, origin)),
        _ => {}
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|e| count_nodes(&e.value)).sum(),
        _ => 0,
    }
}

/// A tag's name within `tag:yaml.org,2002:` (`int`, `binary`, `merge` ...), or `!` for any other tag
/// (go-yaml v2 cannot resolve those: the scalar is its text).
fn yaml_tag(tag: Option<&granit_parser::Tag>) -> Option<std::borrow::Cow<'_, str>> {
    tag.map(|t| t.suffix_in_namespace("tag:yaml.org,2002:").unwrap_or(std::borrow::Cow::Borrowed("!")))
}

/// A resolved scalar as a JSON key, as sigs.k8s.io/yaml's `convertToJSONableObject` writes it.
fn key_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s, _) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(Number::Int(i)) => Ok(i.to_string()),
        Value::Number(Number::UInt(_)) => Err("unsupported map key of type: uint64".to_owned()),
        Value::Number(Number::Float(f)) => Ok(go_float32_g(*f)),
        Value::Null => Err("unsupported map key of type: %!s(<nil>)".to_owned()),
        Value::Seq(_) | Value::Map(_) => Err("a mapping key must be a scalar".to_owned()),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits of the float32 nearest `f`, with
/// an exponent (`1e+07`) when it is below -4 or at least 6 (the key of a float, sigs.k8s.io/yaml).
fn go_float32_g(f: f64) -> String {
    let f = f as f32;
    if f.is_infinite() {
        return if f > 0.0 { ".inf".to_owned() } else { "-.inf".to_owned() };
    }
    if f.is_nan() {
        return ".nan".to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if f == 0.0 {
        out.push('0');
        return out;
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else if exp < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point - digits.len()));
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// go-yaml v2 `allowedAliasRatio` and the check in `decoder.unmarshal`.
fn excessive_aliasing(decodes: usize, aliased: usize) -> bool {
    if aliased <= 100 || decodes <= 1000 {
        return false;
    }
    let allowed = match decodes {
        ..=400_000 => 0.99,
        4_000_000.. => 0.10,
        d => 0.99 - 0.89 * ((d - 400_000) as f64 / 3_600_000.0),
    };
    aliased as f64 / decodes as f64 > allowed
}

/// Nodes, keys, and collection nesting depth (a scalar 0, `[0]` 1) of an anchored node: its tree
/// obeys the nesting limit, so the recursion is bounded by it.
fn count_nodes_keys(node: &Node) -> (usize, usize, usize) {
    let add = |(n, k, h): (usize, usize, usize), (a, b, c): (usize, usize, usize)| (n + a, k + b, h.max(c + 1));
    match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes_keys).fold((1, 0, 1), add),
        Value::Map(entries) => entries.iter().map(|e| count_nodes_keys(&e.value)).fold((1, entries.len(), 1), add),
        _ => (1, 0, 0),
    }
}

/// The spans of quoted and block scalars (data that may hold any text), in order, and whether the
/// whole text parses. A broken document is skipped (the parser recovers at the next one), so the
/// spans of the others are still there. Used only to tell a template from a manifest that carries
/// `{{` in its data.
pub fn literal_spans(src: &str) -> (Vec<(usize, usize)>, bool) {
    let mut spans = Vec::new();
    let mut parses = true;
    let mut parser = Parser::new_from_str_with_options(src, parser_options(&Limits::default()));
    loop {
        match parser.next_event() {
            None | Some(Ok((Event::StreamEnd, _))) => break,
            Some(Ok((Event::Scalar(_, style, ..), span))) if style != ScalarStyle::Plain => {
                if let Some(r) = span.byte_range() {
                    spans.push((r.start, r.end));
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) => {
                parses = false;
                if !matches!(parser.proceed_next_document(), Ok(true)) {
                    break;
                }
            }
        }
    }
    (spans, parses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(root: &Node) -> Vec<&str> {
        root.as_map().unwrap_or(&[]).iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn keep_skims_a_rejected_document_after_its_deciding_entry() {
        let keep = |key: &str, value: &str| key != "type" || value == "wanted";
        let text = "a: 1\ntype: other\nb: {c: [1, 2]}\n---\ntype: wanted\nb: 2\n---\ntype: other\nb: 3\ntype: wanted\n";
        let stream = parse_stream_keeping(text, &Limits::default(), Some(&keep));
        let roots: Vec<&Node> = stream.docs.iter().map(|d| d.root.as_ref().expect("valid")).collect();
        assert_eq!(keys(roots[0]), ["a", "type"], "skimmed after `type`");
        let end = roots[0].span.end;
        assert!(end >= text.find("]}").unwrap() + 2 && end <= text.find("---").unwrap(), "the root spans the document");
        assert_eq!(keys(roots[1]), ["type", "b"]);
        // The deciding key again: the last one wins, so the document is read in full.
        assert_eq!(keys(roots[2]), ["type", "b"]);
        assert_eq!(roots[2].field("type").and_then(Node::as_str), Some("wanted"));
        // A skimmed document is still checked for errors.
        let bad = parse_stream_keeping("type: other\nb: !!int x\n", &Limits::default(), Some(&keep));
        assert!(bad.any_error && bad.docs[0].root.is_err());
    }
}
