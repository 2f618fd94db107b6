//! Lowering route-based edits to text splices that leave every other byte alone.
//!
//! An edit names a place by route (keys and indices from the document root). The editor finds the
//! deepest node that exists, and writes only the missing part there, in the style of the
//! surroundings: the siblings' indentation, block or flow notation, the document's sequence-dash
//! style, its line ending, the original quoting of a replaced scalar. It refuses (with the reason)
//! edits that would reach through an alias or merge key, or change an anchor that aliases share.

use crate::k8s::{Route, Seg};
use crate::yaml::lines;
use crate::yaml::scalar::write_str;
use crate::yaml::{Entry, Node, Origin, Span, Style, Value};

/// A scalar value podsec writes.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Str(String),
}

impl Scalar {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Scalar::Bool(b) => (*b).into(),
            Scalar::Int(i) => (*i).into(),
            Scalar::Str(s) => s.as_str().into(),
        }
    }

    fn plain(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Str(s) => write_str(s),
        }
    }

    fn json(&self) -> String {
        self.to_json().to_string()
    }
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.plain())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum OpKind {
    /// Set a scalar, creating missing parents.
    Set(Scalar),
    /// Remove a mapping entry or a sequence item.
    Remove,
    /// Append an item to a sequence, creating it (and missing parents) when absent.
    Append(Scalar),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub route: Route,
    pub kind: OpKind,
}

/// A replacement of `start..end` by `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Among insertions at one position, the deeper target goes first (its lines belong above
    /// the shallower ones).
    pub depth: usize,
}

impl Splice {
    fn new(start: usize, end: usize, text: String) -> Splice {
        Splice { start, end, text, depth: 0 }
    }

    /// The order in which splices apply.
    pub fn order(&self) -> (usize, usize, std::cmp::Reverse<usize>) {
        (self.start, self.end, std::cmp::Reverse(self.depth))
    }
}

/// New content for a node that does not exist yet.
#[derive(Clone, Debug)]
enum New {
    Scalar(Scalar),
    Map(Vec<(String, New)>),
    Seq(Vec<Scalar>),
}

impl New {
    fn insert(&mut self, path: &[Seg], leaf: New) {
        let New::Map(entries) = self else { return };
        let Some((Seg::Key(first), rest)) = path.split_first() else { return };
        let idx = match entries.iter().position(|(k, _)| k == first) {
            Some(i) => i,
            None => {
                let init = if rest.is_empty() { leaf.clone() } else { New::Map(Vec::new()) };
                entries.push((first.clone(), init));
                if rest.is_empty() {
                    return;
                }
                entries.len() - 1
            }
        };
        let slot = &mut entries[idx].1;
        if rest.is_empty() {
            match (slot, leaf) {
                (New::Seq(items), New::Seq(more)) => items.extend(more),
                (slot, leaf) => *slot = leaf,
            }
        } else {
            slot.insert(rest, leaf);
        }
    }
}

/// Indentation step of nested block mappings when the document has none to copy.
const DEFAULT_STEP: usize = 2;
/// Column of a block sequence's `-` relative to its key (0: `- ` at the key's column, kubectl's
/// style) when the document has none to copy.
const DEFAULT_SEQ_OFFSET: usize = 0;

/// The layout facts of one document that new text must follow.
pub struct Editor<'a> {
    text: &'a str,
    root: &'a Node,
    shared: &'a [(Span, bool)],
    eol: &'static str,
    /// The document is JSON (a flow mapping with double-quoted keys): everything written is JSON.
    json: bool,
    /// Layout found under a node (by its address and which layout), so that the search from each
    /// edit up through its ancestors looks at every subtree once, however many edits there are.
    layouts: std::cell::RefCell<std::collections::HashMap<(usize, bool), Option<usize>>>,
    /// The places each shared anchor stands for (a walk of the tree, once per anchor).
    places: std::cell::RefCell<std::collections::HashMap<(usize, usize), Places>>,
}

/// Where a block scalar's header is: its `|`/`>` at `at`, its indicators up to `end`, and the start
/// of a comment after them.
struct BlockHeader {
    at: usize,
    end: usize,
    keep: bool,
    strip: bool,
    comment: Option<usize>,
}

/// The routes an anchored node stands for, or why an edit must not follow them.
type Places = Result<Vec<Route>, String>;

/// Pending insertions, grouped by the existing node they go into.
struct Pending {
    target: Route,
    content: New,
}

impl<'a> Editor<'a> {
    pub fn new(text: &'a str, root: &'a Node, shared: &'a [(Span, bool)]) -> Self {
        let eol = lines::eol_of(text);
        let json = root.flow
            && root
                .as_map()
                .and_then(|m| m.first())
                .is_some_and(|e| text.as_bytes().get(e.key_span.start) == Some(&b'"'));
        Editor { text, root, shared, eol, json, layouts: Default::default(), places: Default::default() }
    }

    fn col(&self, pos: usize) -> usize {
        pos - self.line_start(pos)
    }

    fn line_start(&self, pos: usize) -> usize {
        lines::line_start(self.text, pos)
    }

    /// The end of the line holding `pos`, before its line break.
    fn line_end(&self, pos: usize) -> usize {
        lines::line_end(self.text, pos)
    }

    /// Past the line break that ends the line holding `pos`.
    fn next_line(&self, pos: usize) -> usize {
        lines::next_line(self.text, pos)
    }

    fn find_step(&self, node: &Node) -> Option<usize> {
        match &node.value {
            Value::Map(entries) => {
                for e in entries.iter().filter(|e| e.value.origin == Origin::Direct) {
                    if let (Value::Map(children), false) = (&e.value.value, e.value.flow)
                        && let Some(first) = children.iter().find(|c| c.value.origin == Origin::Direct)
                    {
                        let (kc, cc) = (self.col(e.key_span.start), self.col(first.key_span.start));
                        if cc > kc && self.line_start(first.key_span.start) != self.line_start(e.key_span.start) {
                            return Some(cc - kc);
                        }
                    }
                    if let Some(s) = self.find_step(&e.value) {
                        return Some(s);
                    }
                }
                None
            }
            Value::Seq(items) => items.iter().find_map(|n| self.find_step(n)),
            _ => None,
        }
    }

    /// The layout nearest to `route`: searched in the target, then in each ancestor in turn, so
    /// that a file mixing 2- and 4-space blocks gets the style of the neighbourhood.
    fn nearest(&self, route: &[Seg], seq: bool) -> Option<usize> {
        (0..=route.len()).rev().find_map(|n| {
            let node = crate::k8s::at(self.root, &route[..n])?;
            let key = (std::ptr::from_ref(node) as usize, seq);
            if let Some(found) = self.layouts.borrow().get(&key) {
                return *found;
            }
            let found = if seq { self.find_seq_offset(node) } else { self.find_step(node) };
            self.layouts.borrow_mut().insert(key, found);
            found
        })
    }

    fn layout(&self, route: &[Seg]) -> (usize, usize) {
        let step = self.nearest(route, false).unwrap_or(DEFAULT_STEP);
        let seq = self.nearest(route, true).unwrap_or(DEFAULT_SEQ_OFFSET);
        (step, seq)
    }

    fn find_seq_offset(&self, node: &Node) -> Option<usize> {
        match &node.value {
            Value::Map(entries) => {
                for e in entries.iter().filter(|e| e.value.origin == Origin::Direct) {
                    if let (Value::Seq(items), false) = (&e.value.value, e.value.flow)
                        && !items.is_empty()
                    {
                        let dash = e.value.span.start;
                        if self.text.as_bytes().get(dash) == Some(&b'-') {
                            return Some(self.col(dash).saturating_sub(self.col(e.key_span.start)));
                        }
                    }
                    if let Some(o) = self.find_seq_offset(&e.value) {
                        return Some(o);
                    }
                }
                None
            }
            Value::Seq(items) => items.iter().find_map(|n| self.find_seq_offset(n)),
            _ => None,
        }
    }

    /// Lower `ops` to splices, or say why one of them cannot be written safely.
    pub fn lower(&self, ops: &[Op]) -> Result<Vec<Splice>, String> {
        let (translated, allowed) = self.through_anchors(ops)?;
        let ops = translated.as_deref().unwrap_or(ops);
        let mut splices = self.splices_of(ops)?;
        self.refuse_shared(&splices, &allowed)?;
        splices.extend(self.chomp_at_eof(&splices));
        merge_splices(splices)
    }

    /// Each op's splices: scalars replaced and items appended in place, removals grouped by parent,
    /// and the missing parts of all ops that stop at the same node inserted as one.
    fn splices_of(&self, ops: &[Op]) -> Result<Vec<Splice>, String> {
        let mut splices = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut pending_at: std::collections::HashMap<Route, usize> = std::collections::HashMap::new();
        // Removals are grouped by parent: emptying a collection and removing neighbours in a flow
        // collection are written as one edit.
        let mut removals: Vec<Route> = Vec::new();
        let mut gone_of: std::collections::HashMap<Route, Vec<&Seg>> = std::collections::HashMap::new();
        for op in ops {
            let (existing, depth) = self.walk(&op.route)?;
            let rest = &op.route[depth..];
            match (&op.kind, rest.is_empty()) {
                (OpKind::Set(v), true) => splices.push(self.replace_scalar(existing, &op.route, v)?),
                (OpKind::Remove, true) => {
                    self.refuse_removal(&op.route)?;
                    let parent = &op.route[..op.route.len() - 1];
                    let gone = gone_of.entry(parent.to_vec()).or_insert_with(|| {
                        removals.push(parent.to_vec());
                        Vec::new()
                    });
                    gone.extend(op.route.last());
                }
                (OpKind::Remove, false) => {}
                (OpKind::Append(v), true) => {
                    let mut splice = self.append(existing, v)?;
                    splice.depth = op.route.len();
                    splices.push(splice);
                }
                (kind, false) => {
                    let leaf = match kind {
                        OpKind::Append(v) => New::Seq(vec![v.clone()]),
                        OpKind::Set(v) => New::Scalar(v.clone()),
                        OpKind::Remove => continue,
                    };
                    let target = op.route[..depth].to_vec();
                    match pending_at.get(&target) {
                        Some(&i) => pending[i].content.insert(rest, leaf),
                        None => {
                            let mut content = New::Map(Vec::new());
                            content.insert(rest, leaf);
                            pending_at.insert(target.clone(), pending.len());
                            pending.push(Pending { target, content });
                        }
                    }
                }
            }
        }
        for parent in removals {
            let gone = gone_of.remove(&parent).unwrap_or_default();
            splices.extend(self.remove_children(&parent, &gone)?);
        }
        for p in pending {
            for mut splice in self.insert(&p.target, p.content)? {
                splice.depth = p.target.len();
                splices.push(splice);
            }
        }
        Ok(splices)
    }

    /// Refuse removing an entry whose removal would not remove it: one a merge key (`<<`) brings,
    /// or a key written twice (the other would count again).
    fn refuse_removal(&self, route: &[Seg]) -> Result<(), String> {
        let entry = self.entry_of(route);
        if entry.is_some_and(|e| e.value.origin == Origin::Merge) {
            return Err(format!(
                "`{}` comes from a merge key (<<); removing it there is not written by podsec",
                crate::k8s::pointer(route)
            ));
        }
        if entry.is_some_and(|e| e.dup) {
            return Err(format!(
                "`{}` is written more than once in its mapping (the last one counts); removing one would bring back another",
                crate::k8s::pointer(route)
            ));
        }
        Ok(())
    }

    /// Refuse splices that touch shared text (an anchor an alias also uses), except at the anchors
    /// `allowed` (where every place gets the same change).
    fn refuse_shared(&self, splices: &[Splice], allowed: &[Span]) -> Result<(), String> {
        for s in splices {
            // Closed intervals: an insertion right at the end of an anchored mapping extends it.
            // An insertion right after a shared scalar leaves it alone; right after a shared block
            // collection it would extend it.
            let touches = |sh: &Span, collection: bool| {
                (s.start < sh.end && s.end > sh.start)
                    || (collection && self.extends(s, sh))
                    || (s.start == s.end && s.start > sh.start && s.start < sh.end)
                    // An empty node (`key: &a` with nothing after): any edit at its place.
                    || (sh.start == sh.end && s.start <= sh.start && s.end >= sh.start)
            };
            if self.shared.iter().any(|(sh, collection)| !allowed.contains(sh) && touches(sh, *collection)) {
                return Err("the value is inside an anchor (&) that an alias (*) also uses; editing it would change the other place too".into());
            }
        }
        Ok(())
    }

    /// Whether the insertion `s` would become part of the block collection spanning `sh`: right at
    /// its end, or past only comments and blank lines after it (the comments of its last element)
    /// with lines indented as deep as the collection's own.
    fn extends(&self, s: &Splice, sh: &Span) -> bool {
        if s.start < sh.end || s.start != s.end {
            return false;
        }
        if s.start == sh.end {
            return true;
        }
        let between = &self.text[sh.end..s.start];
        let only_comments = between.split(['\n', '\r']).all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        if !only_comments {
            return false;
        }
        let first_line = s.text.trim_start_matches(['\r', '\n']);
        let indent = first_line.len() - first_line.trim_start_matches(' ').len();
        first_line.len() < s.text.len() && indent >= self.col(sh.start)
    }

    /// The deepest existing, non-null node on `route` and how many segments it took.
    fn walk(&self, route: &[Seg]) -> Result<(&'a Node, usize), String> {
        let mut node = self.root;
        for (i, seg) in route.iter().enumerate() {
            let next = crate::k8s::at(node, std::slice::from_ref(seg));
            match next {
                // A null reached through an alias (`securityContext: *empty`) cannot be filled
                // either: its text is the anchor's.
                Some(n) if !n.is_null() || matches!(n.origin, Origin::Alias | Origin::Merge) => {
                    // A mapping merged from an inline mapping (`<<: {image: x}`) is written there,
                    // for this place alone: it may be edited; one merged through an alias may not.
                    let inline_merge = n.origin == Origin::Merge && !self.in_shared(n.span);
                    if matches!(n.origin, Origin::Alias | Origin::Merge) && !inline_merge {
                        return Err(format!(
                            "`{}` comes from {}; podsec does not edit shared YAML",
                            crate::k8s::pointer(&route[..=i]),
                            if n.origin == Origin::Alias { "an alias (*)" } else { "a merge key (<<)" }
                        ));
                    }
                    node = n;
                }
                _ => return Ok((node, i)),
            }
        }
        Ok((node, route.len()))
    }

    /// Whether an entry of `node` is written in `node`'s own text: a direct one, or, in a mapping
    /// that itself comes from an inline merge (`<<: {securityContext: {privileged: false}}`), its
    /// merged entries.
    fn written_here(&self, node: &Node, e: &Entry) -> bool {
        e.value.origin == Origin::Direct || (node.origin == Origin::Merge && e.value.origin == Origin::Merge)
    }

    fn in_shared(&self, span: Span) -> bool {
        self.shared.iter().any(|(sh, _)| sh.start <= span.start && span.end <= sh.end && sh.start < sh.end)
    }

    /// Shared YAML, edited where that is exactly right: an op that reaches an anchored node (`&a`)
    /// or one of its aliases (`*a`) is written once, at the anchor, when every place the anchor
    /// stands for gets the same change from `ops` (the same workload needs it in each: containers
    /// sharing one `securityContext: &hardened`). The ops keep their own routes for the JSON patch,
    /// which then lists each place. Otherwise the edit is refused, with the reason. Returns the ops
    /// rerouted to the anchors (`None` when none is reached) and the anchors that may be edited.
    fn through_anchors(&self, ops: &[Op]) -> Result<(Option<Vec<Op>>, Vec<Span>), String> {
        if self.shared.is_empty() {
            return Ok((None, Vec::new()));
        }
        // (anchor, place, the rest of the route below the place, the op's kind)
        let mut touched: Vec<(Span, Route, Route, &OpKind)> = Vec::new();
        let mut out: Vec<Op> = Vec::new();
        for op in ops {
            match self.anchor_on(&op.route)? {
                None => out.push(op.clone()),
                Some((span, place_len, home)) => {
                    let rest = op.route[place_len..].to_vec();
                    if rest.is_empty() && op.kind == OpKind::Remove {
                        // Removing the anchored value itself would leave its aliases pointing nowhere.
                        return Err(format!(
                            "`{}` is shared through an anchor (&); removing it would leave its aliases (*) undefined",
                            crate::k8s::pointer(&op.route)
                        ));
                    }
                    touched.push((span, op.route[..place_len].to_vec(), rest.clone(), &op.kind));
                    let mut route = home;
                    route.extend(rest);
                    let at_home = Op { route, kind: op.kind.clone() };
                    if !out.contains(&at_home) {
                        out.push(at_home);
                    }
                }
            }
        }
        if touched.is_empty() {
            return Ok((None, Vec::new()));
        }
        let mut allowed: Vec<Span> = Vec::new();
        for &(span, ..) in &touched {
            if allowed.contains(&span) {
                continue;
            }
            let places = self.places(span)?;
            let changes = |place: &Route| {
                let mut c: Vec<(&Route, &OpKind)> =
                    touched.iter().filter(|t| t.0 == span && &t.1 == place).map(|t| (&t.2, t.3)).collect();
                c.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
                c.dedup();
                c
            };
            let first = changes(&places[0]);
            if places.iter().any(|p| changes(p) != first) {
                return Err(format!(
                    "the value is shared through an anchor (&) used in {} places ({}); podsec edits it only when every place gets the same change",
                    places.len(),
                    places.iter().map(|p| crate::k8s::pointer(p)).collect::<Vec<_>>().join(", ")
                ));
            }
            allowed.push(span);
        }
        Ok((Some(out), allowed))
    }

    /// The first anchored node on `route` that aliases share: its span, the length of the route to
    /// it, and the route where the anchor is written (the route itself for the anchor's own place).
    fn anchor_on(&self, route: &[Seg]) -> Result<Option<(Span, usize, Route)>, String> {
        let mut node = self.root;
        for (i, seg) in route.iter().enumerate() {
            let next = crate::k8s::at(node, std::slice::from_ref(seg));
            let Some(n) = next else { return Ok(None) };
            let shared = self.shared.iter().any(|(sh, _)| *sh == n.span);
            match n.origin {
                Origin::Alias if shared => {
                    let home = self
                        .places(n.span)?
                        .into_iter()
                        .find(|p| crate::k8s::at(self.root, p).is_some_and(|h| h.origin == Origin::Direct));
                    let home = home.ok_or("the anchor of an alias is not written in this document")?;
                    return Ok(Some((n.span, i + 1, home)));
                }
                Origin::Direct if shared => return Ok(Some((n.span, i + 1, route[..=i].to_vec()))),
                _ => {}
            }
            node = n;
        }
        Ok(None)
    }

    /// Every place an anchored node stands for: where it is written and each alias. A use through a
    /// merge key (`<<: *a`) spreads its keys into another mapping: it is no place an edit could
    /// follow, and makes the anchor one podsec does not edit.
    fn places(&self, span: Span) -> Result<Vec<Route>, String> {
        let key = (span.start, span.end);
        if let Some(found) = self.places.borrow().get(&key) {
            return found.clone();
        }
        let found = self.find_places(span);
        self.places.borrow_mut().insert(key, found.clone());
        found
    }

    fn find_places(&self, span: Span) -> Result<Vec<Route>, String> {
        let mut out = Vec::new();
        let mut stack: Vec<(&Node, Route)> = vec![(self.root, Vec::new())];
        while let Some((n, route)) = stack.pop() {
            if n.span == span && matches!(n.origin, Origin::Direct | Origin::Alias) {
                out.push(route);
                continue;
            }
            if n.origin == Origin::Merge && span.start <= n.span.start && n.span.end <= span.end {
                return Err("the value is shared through an anchor (&) that a merge key (<<) also uses; podsec does not edit it".into());
            }
            match &n.value {
                Value::Map(entries) => {
                    for e in entries {
                        let mut r = route.clone();
                        r.push(Seg::Key(e.key.clone()));
                        stack.push((&e.value, r));
                    }
                }
                Value::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let mut r = route.clone();
                        r.push(Seg::Index(i));
                        stack.push((item, r));
                    }
                }
                _ => {}
            }
        }
        out.sort();
        Ok(out)
    }

    fn entry_of(&self, route: &[Seg]) -> Option<&'a Entry> {
        let (Seg::Key(k), parent) = route.split_last()? else { return None };
        crate::k8s::at(self.root, parent)?.entry(k)
    }

    fn replace_scalar(&self, node: &Node, route: &[Seg], v: &Scalar) -> Result<Splice, String> {
        let text = match (&node.value, v) {
            (Value::String(_, Style::SingleQuoted), Scalar::Str(s)) => format!("'{}'", s.replace('\'', "''")),
            (Value::String(_, Style::DoubleQuoted), Scalar::Str(_)) => v.json(),
            (Value::Map(_) | Value::Seq(_), _) => {
                return Err(format!("`{}` is not a scalar", crate::k8s::pointer(route)));
            }
            _ if self.json || self.json_context(route) => v.json(),
            _ => v.plain(),
        };
        // A block scalar (`|`/`>`) is replaced from its header on, as a plain or quoted scalar; a
        // comment on the header line stays after the new value.
        if let Value::String(_, Style::Literal | Style::Folded) = node.value {
            let h = self.block_header(node.span.start).ok_or("cannot find the block scalar's header")?;
            let end = self.block_content_end(node, &h);
            let text = match h.comment {
                Some(c) => format!("{text} {}", &self.text[c..self.line_end(c)]),
                None => text,
            };
            return Ok(Splice::new(h.at, end, text));
        }
        Ok(Splice::new(node.span.start, node.span.end, text))
    }

    /// The header (`|`, `>-`, `|2+  # note`) of the block scalar whose content starts at `content`
    /// (for an empty block scalar, the parser's span starts on some later line).
    fn block_header(&self, content: usize) -> Option<BlockHeader> {
        let line_end = self.text.get(..content)?.trim_end().len();
        let ls = self.line_start(line_end);
        let line = &self.text[ls..line_end];
        // The first `|`/`>` followed only by indicators and an optional comment (a later one may
        // sit in that comment).
        line.match_indices(['|', '>']).find_map(|(i, _)| {
            let rest = &line[i + 1..];
            let ind = rest.len() - rest.trim_start_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit()).len();
            let after = &rest[ind..];
            let comment = after.trim_start();
            (comment.is_empty() || comment.starts_with('#')).then(|| BlockHeader {
                at: ls + i,
                end: ls + i + 1 + ind,
                keep: rest[..ind].contains('+'),
                strip: rest[..ind].contains('-'),
                comment: (!comment.is_empty()).then(|| line_end - comment.len()),
            })
        })
    }

    /// Where a node's own text ends, for writing after it: a block collection ends with its last
    /// written element; a block scalar with its last content line, or its header when it is empty
    /// (the parser's span of an empty block scalar starts on the next line), and with `|+` after
    /// the blank lines that are its kept line breaks.
    fn node_end(&self, n: &Node) -> usize {
        match &n.value {
            Value::Map(entries) if !n.flow => entries
                .iter()
                .filter(|e| matches!(e.value.origin, Origin::Direct | Origin::Alias))
                .max_by_key(|e| e.key_span.start)
                .map_or(n.span.end, |e| self.entry_end(e)),
            Value::Seq(items) if !n.flow => items
                .iter()
                .filter(|i| i.origin == Origin::Direct)
                .max_by_key(|i| i.span.start)
                .map_or(n.span.end, |i| self.node_end(i)),
            Value::String(_, Style::Literal | Style::Folded) => {
                let Some(h) = self.block_header(n.span.start) else { return n.span.end };
                let mut end = self.block_content_end(n, &h);
                if h.keep {
                    loop {
                        let next = self.next_line(end);
                        if next >= self.text.len() || next == end {
                            break;
                        }
                        let le = self.line_end(next);
                        if !self.text[next..le].trim().is_empty() {
                            break;
                        }
                        end = le;
                    }
                }
                end
            }
            _ => n.span.end,
        }
    }

    /// The end of a block scalar's last content line, or of its header line when it is empty.
    fn block_content_end(&self, n: &Node, h: &BlockHeader) -> usize {
        if n.span.start == n.span.end { h.comment.map_or(h.end, |c| self.line_end(c)) } else { n.span.end }
    }

    /// Where an entry's text ends: an alias value (`image: *img`) ends its key's line, while the
    /// value's span is the anchor's, elsewhere.
    fn entry_end(&self, e: &Entry) -> usize {
        match e.value.origin {
            Origin::Alias => self.line_end(e.key_span.end),
            _ => self.node_end(&e.value).max(e.key_span.end),
        }
    }

    /// The node whose text ends a block node's text (its last written descendant).
    fn last_leaf<'n>(&self, n: &'n Node) -> &'n Node {
        let next = match &n.value {
            Value::Map(entries) if !n.flow => entries
                .iter()
                .filter(|e| e.value.origin == Origin::Direct)
                .max_by_key(|e| e.key_span.start)
                .map(|e| &e.value),
            Value::Seq(items) if !n.flow => {
                items.iter().filter(|i| i.origin == Origin::Direct).max_by_key(|i| i.span.start)
            }
            _ => None,
        };
        next.map_or(n, |c| self.last_leaf(c))
    }

    /// A line written after the last byte of a text without a final line break gives a block scalar
    /// that ends there the line break it lacked (`|` reads `d` at the end of the text, `d\n` before
    /// another line): its header gets the strip indicator `-`, which keeps the value.
    fn chomp_at_eof(&self, splices: &[Splice]) -> Option<Splice> {
        let len = self.text.len();
        if lines::ends_with_break(self.text) || !splices.iter().any(|s| s.start == len && !s.text.is_empty()) {
            return None;
        }
        let leaf = self.last_leaf(self.root);
        // The content runs to the end of the text (trailing spaces on its last line are content too).
        if !matches!(leaf.value, Value::String(_, Style::Literal | Style::Folded))
            || self.line_end(leaf.span.end) != len
        {
            return None;
        }
        let h = self.block_header(leaf.span.start)?;
        if h.strip {
            return None;
        }
        Some(match self.text[h.at..h.end].find('+') {
            Some(i) => Splice::new(h.at + i, h.at + i + 1, "-".into()),
            None => Splice::new(h.end, h.end, "-".into()),
        })
    }

    /// Whether the node at `route` sits in a JSON-styled flow mapping (keys in double quotes).
    fn json_context(&self, route: &[Seg]) -> bool {
        self.entry_of(route).is_some_and(|e| self.text.as_bytes().get(e.key_span.start) == Some(&b'"'))
    }

    fn colon_after(&self, key: &Entry) -> usize {
        self.colon_of(key).unwrap_or(key.key_span.end)
    }

    /// The `:` after an entry's key (past a closing quote and spaces); none for a key written
    /// without one (`{name: c, nginx}`: `nginx` is a key with a null value).
    fn colon_of(&self, key: &Entry) -> Option<usize> {
        let from = key.key_span.end;
        let rest = self.text.get(from..)?.as_bytes();
        let mut i = usize::from(matches!(rest.first(), Some(b'"' | b'\'')));
        while matches!(rest.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        (rest.get(i) == Some(&b':')).then_some(from + i)
    }

    /// Write new entries (or fill null entries) into the existing mapping at `target`.
    fn insert(&self, target: &[Seg], content: New) -> Result<Vec<Splice>, String> {
        let node = crate::k8s::at(self.root, target).ok_or("internal: insertion target vanished")?;
        let New::Map(new_entries) = content else { return Err("internal: insertion is not a mapping".into()) };
        if !matches!(node.value, Value::Map(_)) || new_entries.is_empty() {
            // A null sequence item (`- # nothing here`) to write a mapping into, say.
            return Err(format!("`{}` is not a mapping podsec can write into", crate::k8s::pointer(target)));
        }
        // Null entries (`securityContext:`, `{allowPrivilegeEscalation: null}`) are filled where they
        // are; the other new entries go after the mapping's last entry, all in this one round.
        let (fills, fresh): (Vec<_>, Vec<_>) = new_entries.into_iter().partition(|(k, _)| node.entry(k).is_some());
        let mut out = Vec::new();
        for (key, value) in &fills {
            let e = node.entry(key).filter(|e| e.value.is_null()).ok_or("internal: filling a non-null entry")?;
            out.push(self.fill_null(e, value, self.layout(target), node.flow)?);
        }
        if !fresh.is_empty() {
            let add = self.insert_entries(node, target, fresh)?;
            // Right where a fill ends (the null entry is the last one): one splice, the fill first.
            match out.iter_mut().find(|f| f.end == add.start) {
                Some(fill) => fill.text.push_str(&add.text),
                None => out.push(add),
            }
        }
        Ok(out)
    }

    /// Where an entry of a flow mapping ends: an empty value (`{x: }`) ends right after its colon
    /// (its span is at the colon).
    fn flow_entry_end(&self, e: &Entry) -> usize {
        if e.value.origin == Origin::Alias {
            // `{runAsUser: *root}`: the alias token after the colon (the value's span is the anchor's).
            let from = self.colon_of(e).map_or(e.key_span.end, |c| c + 1);
            let rest = &self.text[from..];
            let token = rest.trim_start_matches([' ', '\t']);
            let start = from + (rest.len() - token.len());
            let len = token.find([' ', '\t', ',', '}', ']', '\n', '\r', '#']).unwrap_or(token.len());
            return start + len;
        }
        if e.value.span.start == e.value.span.end && e.value.is_null() {
            self.colon_of(e).map_or(e.key_span.end, |c| c + 1).max(e.value.span.end)
        } else {
            e.value.span.end.max(e.key_span.end)
        }
    }

    /// Write entries that are all new after the last entry of the mapping `node` at `target`.
    fn insert_entries(&self, node: &Node, target: &[Seg], new_entries: Vec<(String, New)>) -> Result<Splice, String> {
        let Value::Map(entries) = &node.value else {
            return Err(format!("`{}` is not a mapping", crate::k8s::pointer(target)));
        };
        let json =
            self.json || entries.first().is_some_and(|e| self.text.as_bytes().get(e.key_span.start) == Some(&b'"'));
        if node.flow && self.text.as_bytes().get(node.span.start) != Some(&b'{') {
            // `[key: value]`: a single-pair mapping in a flow sequence, with no braces to write into.
            return Err(format!("`{}` is a single-pair mapping inside a flow sequence", crate::k8s::pointer(target)));
        }
        if node.flow || (entries.is_empty() && self.text.get(node.span.start..node.span.start + 1) == Some("{")) {
            let body: Vec<String> = new_entries.iter().map(|(k, v)| self.flow_entry(k, v, json)).collect();
            let last = entries
                .iter()
                .filter(|e| self.written_here(node, e) || e.value.origin == Origin::Alias)
                .max_by_key(|e| e.key_span.start);
            return Ok(match last {
                // One entry per line (pretty-printed JSON, say): new entries get lines of their own.
                Some(e) if self.text[self.line_start(e.key_span.start)..e.key_span.start].trim().is_empty() => {
                    let end = self.flow_entry_end(e);
                    let indent = " ".repeat(self.col(e.key_span.start));
                    let text: String = body.iter().map(|b| format!(",{}{indent}{b}", self.eol)).collect();
                    Splice::new(end, end, text)
                }
                Some(e) => {
                    let end = self.flow_entry_end(e);
                    Splice::new(end, end, format!(", {}", body.join(", ")))
                }
                None => Splice::new(node.span.start + 1, node.span.start + 1, body.join(", ")),
            });
        }
        // Entries written in this mapping: direct ones, and keys whose value is an alias (`image: *img`;
        // the alias token ends its key's line, while the value's span is the anchor's, elsewhere).
        let written: Vec<&Entry> =
            entries.iter().filter(|e| self.written_here(node, e) || e.value.origin == Origin::Alias).collect();
        let first = written.iter().min_by_key(|e| e.key_span.start).ok_or("no entry written in this mapping")?;
        let last_end = written.iter().map(|e| self.entry_end(e)).max().unwrap_or(first.key_span.end);
        let indent = self.block_indent(first.key_span.start);
        let at = self.after_deeper_comments(self.line_end(last_end), indent);
        let mut text = String::new();
        for (k, v) in &new_entries {
            text.push_str(self.eol);
            text.push_str(&" ".repeat(indent));
            self.block_entry(&mut text, k, v, indent, self.layout(target));
        }
        Ok(Splice::new(at, at, text))
    }

    /// From the end of a collection's last line, past the comment lines indented deeper than `indent`
    /// that follow (also across blank lines): they belong to the last element. The first line at
    /// `indent` or less belongs to what follows.
    fn after_deeper_comments(&self, mut at: usize, indent: usize) -> usize {
        let mut scan = at;
        loop {
            let next = self.next_line(scan);
            if next >= self.text.len() {
                return at;
            }
            scan = self.line_end(next);
            let line = &self.text[next..scan];
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.starts_with('#') && line.len() - trimmed.len() > indent {
                at = scan;
            } else {
                return at;
            }
        }
    }

    /// Give a null-valued entry its content.
    fn fill_null(&self, e: &Entry, value: &New, lay: (usize, usize), in_flow: bool) -> Result<Splice, String> {
        let json = self.json || self.text.as_bytes().get(e.key_span.start) == Some(&b'"');
        // The value goes after the colon, or after the anchor an empty value carries
        // (`securityContext: &sc`: the empty node's span starts after it). A tag (`!!null`) goes:
        // it names the type of the value being replaced.
        let Some(colon) = self.colon_of(e) else {
            if !in_flow {
                return Err(format!("`{}` has no `:` to write a value after", e.key));
            }
            // `{name: c, nginx}`: the key gets its colon and value.
            let at = e.key_span.end.max(e.value.span.end);
            return Ok(Splice::new(at, at, format!(": {}", self.flow_value(value, json))));
        };
        let floor = colon + 1;
        let tag = self.tag_between(floor, e.value.span.start);
        if e.value.span.start != e.value.span.end {
            // Explicit `null`/`~`: replace it in place, in flow style (one line changes).
            let (start, keep) = match tag {
                Some((t0, t1)) => (t0, self.text[t1..e.value.span.start].trim_start().to_string()),
                None => (e.value.span.start, String::new()),
            };
            return Ok(Splice::new(start, e.value.span.end, format!("{keep}{}", self.flow_value(value, json))));
        }
        if let Some((t0, t1)) = tag {
            let v = match value {
                New::Scalar(s) if !json => s.plain(),
                _ if in_flow || json => self.flow_value(value, json),
                _ => {
                    // `key: !!null # note` → `key: # note` and the block value on the lines below.
                    let at = self.line_end(t1);
                    let start = if self.text[..t0].ends_with(' ') { t0 - 1 } else { t0 };
                    let mut text = self.text[t1..at].to_string();
                    self.block_value(&mut text, value, self.block_indent(e.key_span.start), lay);
                    return Ok(Splice::new(start, at, text));
                }
            };
            return Ok(Splice::new(t0, t1, v));
        }
        let colon = (floor - 1).max(e.value.span.start.saturating_sub(1));
        if in_flow {
            // `{capabilities: }`: the value goes right after the colon, in flow style.
            return Ok(Splice::new(colon + 1, colon + 1, format!(" {}", self.flow_value(value, json))));
        }
        match value {
            New::Scalar(s) => {
                Ok(Splice::new(colon + 1, colon + 1, format!(" {}", if json { s.json() } else { s.plain() })))
            }
            _ => {
                let indent = self.block_indent(e.key_span.start);
                let at = self.line_end(colon);
                let mut text = String::new();
                self.block_value(&mut text, value, indent, lay);
                Ok(Splice::new(at, at, text))
            }
        }
    }

    /// Past the node properties (`&anchor`, `!tag`) that follow `from` on its line (`from` when none).
    fn after_properties(&self, from: usize) -> usize {
        let bytes = self.text.as_bytes();
        let (mut at, mut end) = (from, from);
        loop {
            while matches!(bytes.get(at), Some(b' ' | b'\t')) {
                at += 1;
            }
            if !matches!(bytes.get(at), Some(b'&' | b'!')) {
                return end;
            }
            while at < bytes.len() && !matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
                at += 1;
            }
            end = at;
        }
    }

    /// A tag (`!!null`, `!custom`) among the node properties in `from..to` (after a key's colon,
    /// before its value): its range.
    fn tag_between(&self, from: usize, to: usize) -> Option<(usize, usize)> {
        let props = self.text.get(from..to)?;
        let props = &props[..lines::line_end(props, 0)];
        let props = props.find(" #").map_or(props, |i| &props[..i]);
        let mut at = 0;
        for token in props.split([' ', '\t']) {
            if token.starts_with('!') {
                return Some((from + at, from + at + token.len()));
            }
            at += token.len() + 1;
        }
        None
    }

    /// The indentation of a block mapping whose entry's key starts at `key`: the column after the
    /// line's leading spaces and sequence dashes (`  - &a name: c` is a mapping at column 4, whatever
    /// the anchor, tag or quotes before the key).
    fn block_indent(&self, key: usize) -> usize {
        let ls = self.line_start(key);
        let line = &self.text.as_bytes()[ls..key];
        let mut i = 0;
        loop {
            while i < line.len() && line[i] == b' ' {
                i += 1;
            }
            if i + 1 < line.len() && line[i] == b'-' && matches!(line[i + 1], b' ' | b'\t') {
                i += 2;
                continue;
            }
            break;
        }
        i
    }

    fn flow_entry(&self, k: &str, v: &New, json: bool) -> String {
        let key = if json { serde_json::Value::from(k).to_string() } else { write_str(k) };
        format!("{key}: {}", self.flow_value(v, json))
    }

    fn flow_value(&self, v: &New, json: bool) -> String {
        match v {
            New::Scalar(s) => {
                if json {
                    s.json()
                } else {
                    s.plain()
                }
            }
            New::Seq(items) => {
                let parts: Vec<String> = items.iter().map(|s| if json { s.json() } else { s.plain() }).collect();
                format!("[{}]", parts.join(", "))
            }
            New::Map(entries) => {
                let parts: Vec<String> = entries.iter().map(|(k, v)| self.flow_entry(k, v, json)).collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }

    /// `key: value` in block style at `indent` (the key is already indented).
    fn block_entry(&self, out: &mut String, k: &str, v: &New, indent: usize, lay: (usize, usize)) {
        out.push_str(&write_str(k));
        out.push(':');
        self.block_value(out, v, indent, lay);
    }

    /// The value part after `key:`, for a key at `indent`.
    fn block_value(&self, out: &mut String, v: &New, indent: usize, lay: (usize, usize)) {
        match v {
            New::Scalar(s) => {
                out.push(' ');
                out.push_str(&s.plain());
            }
            New::Map(entries) => {
                for (k, v) in entries {
                    out.push_str(self.eol);
                    out.push_str(&" ".repeat(indent + lay.0));
                    self.block_entry(out, k, v, indent + lay.0, lay);
                }
            }
            New::Seq(items) => {
                for s in items {
                    out.push_str(self.eol);
                    out.push_str(&" ".repeat(indent + lay.1));
                    out.push_str("- ");
                    out.push_str(&s.plain());
                }
            }
        }
    }

    fn append(&self, seq: &Node, v: &Scalar) -> Result<Splice, String> {
        let Value::Seq(items) = &seq.value else { return Err("not a sequence".into()) };
        let json = self.json
            || items.first().is_some_and(|n| matches!(n.value, Value::String(_, Style::DoubleQuoted)))
                && self.text.as_bytes().get(seq.span.start) == Some(&b'[');
        let item = if json { v.json() } else { v.plain() };
        if seq.flow {
            return Ok(match items.last() {
                Some(last) => Splice::new(last.span.end, last.span.end, format!(", {item}")),
                None => Splice::new(seq.span.start + 1, seq.span.start + 1, item),
            });
        }
        let last = items.last().ok_or("empty block sequence")?;
        if last.origin != Origin::Direct {
            // `- *raw`: its span is the anchor's, elsewhere; the item's own line is unknown.
            return Err("the sequence ends with an alias (*); podsec does not append after it".into());
        }
        let dash_col = self.col(self.dash_of(last).unwrap_or(seq.span.start));
        let at = self.after_deeper_comments(self.line_end(self.node_end(last)), dash_col);
        Ok(Splice::new(at, at, format!("{}{}- {item}", self.eol, " ".repeat(dash_col))))
    }

    /// The `-` of a block sequence item: on the item's first line, before its anchor or tag, or on
    /// the header line of a block scalar (whose span starts at its content, on a later line).
    fn dash_of(&self, item: &Node) -> Option<usize> {
        let start = match item.value {
            Value::String(_, Style::Literal | Style::Folded) => self.block_header(item.span.start)?.at,
            _ => item.span.start,
        };
        let ls = self.line_start(start);
        let before = &self.text[ls..start];
        let dash = before
            .char_indices()
            .filter(|&(i, c)| c == '-' && (i + 1 == before.len() || before[i + 1..].starts_with([' ', '\t'])))
            .map(|(i, _)| i)
            .next_back()?;
        Some(ls + dash)
    }

    /// Remove the children `gone` (keys or indices) of the collection at `parent`: whole lines in
    /// block style; a flow collection is rewritten with the kept elements' own text; a collection
    /// left empty becomes `{}`/`[]` so that it stays a collection.
    fn remove_children(&self, parent_route: &[Seg], gone: &[&Seg]) -> Result<Vec<Splice>, String> {
        let parent = crate::k8s::at(self.root, parent_route).ok_or("internal: parent vanished")?;
        // (start, end, removed) of every element, in text order.
        let mut elems: Vec<(usize, usize, bool)> = match &parent.value {
            Value::Map(entries) => entries
                .iter()
                .map(|e| {
                    (
                        e.key_span.start,
                        if parent.flow { e.value.span.end.max(e.key_span.end) } else { self.entry_end(e) },
                        gone.iter().any(|g| matches!(g, Seg::Key(k) if *k == e.key)),
                    )
                })
                .collect(),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    (
                        n.span.start,
                        if parent.flow { n.span.end } else { self.node_end(n) },
                        gone.iter().any(|g| matches!(g, Seg::Index(x) if *x == i)),
                    )
                })
                .collect(),
            _ => return Err("not a collection".into()),
        };
        elems.sort();
        let is_map = matches!(parent.value, Value::Map(_));
        if elems.iter().all(|e| e.2) {
            let empty = if is_map { "{}" } else { "[]" };
            if parent.flow {
                return Ok(vec![Splice::new(parent.span.start, parent.span.end, empty.into())]);
            }
            let owner = match parent_route.last() {
                Some(Seg::Key(_)) => self.entry_of(parent_route).ok_or("internal: owner entry")?,
                // A sequence item (`- hostPort: 80`): the item becomes `- {}`.
                _ => return Ok(vec![Splice::new(parent.span.start, parent.span.end, empty.into())]),
            };
            // `key: []` on the key's line (a comment there stays after it), and the elements' lines go.
            let colon = self.colon_after(owner);
            let first_line = self.line_start(elems[0].0);
            if first_line <= colon {
                return Err("internal: a block collection on its key's line".into());
            }
            let at = self.after_properties(colon + 1);
            return Ok(vec![
                Splice::new(at, at, format!(" {empty}")),
                Splice::new(first_line, self.next_line(parent.span.end), String::new()),
            ]);
        }
        if parent.flow {
            // Each run of removed elements goes with the separator after it (or, at the end, the one
            // before it), so that the kept elements keep their own lines and spacing.
            let mut out = Vec::new();
            let mut i = 0;
            while i < elems.len() {
                if !elems[i].2 {
                    i += 1;
                    continue;
                }
                let run_start = i;
                while i < elems.len() && elems[i].2 {
                    i += 1;
                }
                out.push(match elems.get(i) {
                    Some(next) => Splice::new(elems[run_start].0, next.0, String::new()),
                    None => Splice::new(elems[run_start - 1].1, elems[i - 1].1, String::new()),
                });
            }
            return Ok(out);
        }
        let mut out = Vec::new();
        for (pos, &(start, end, removed)) in elems.iter().enumerate() {
            if !removed {
                continue;
            }
            let line_start = self.line_start(start);
            let item_start =
                if is_map { start } else { self.text[line_start..start].rfind('-').map_or(start, |i| line_start + i) };
            if self.text[line_start..item_start].trim().is_empty() {
                // The element starts its line: remove whole lines.
                out.push(Splice::new(line_start, self.next_line(end), String::new()));
                continue;
            }
            // The first key of a `- ` item: pull the next entry up onto the dash line, or, when
            // comments stand between them, leave the dash alone on its line (`-`, then the comments
            // and the next entry where they are), so that no comment goes with the key.
            match elems.get(pos + 1) {
                Some(next) if !next.2 => {
                    let between = &self.text[self.next_line(end).min(next.0)..next.0];
                    if between.contains('#') && self.text[line_start..start].trim_end().ends_with('-') {
                        let dash_end = self.text[..start].trim_end().len();
                        out.push(Splice::new(dash_end, self.line_end(end), String::new()));
                    } else {
                        out.push(Splice::new(start, next.0, String::new()));
                    }
                }
                _ => return Err("cannot remove the first key of a sequence item together with the next".into()),
            }
        }
        Ok(out)
    }
}

/// Splices in text order, touching deletions joined and an insertion at the end of a replaced
/// scalar folded into it; overlapping ones refused.
fn merge_splices(mut splices: Vec<Splice>) -> Result<Vec<Splice>, String> {
    splices.sort_by_key(Splice::order);
    // Deletions that touch (neighbouring lines) are one deletion.
    splices.dedup_by(|next, prev| {
        let merge = prev.text.is_empty() && next.text.is_empty() && next.start <= prev.end;
        if merge {
            prev.end = prev.end.max(next.end);
        }
        merge
    });
    // An insertion right at the end of a replaced scalar (`privileged: false` and a new entry
    // after it) is one splice: the value, then the new lines.
    splices.dedup_by(|next, prev| {
        let merge = prev.start < prev.end
            && !prev.text.is_empty()
            && next.start == prev.end
            && next.start == next.end
            && !next.text.is_empty();
        if merge {
            prev.text.push_str(&next.text);
        }
        merge
    });
    // An insertion right at the end of a removed range counts as overlapping (it would land in
    // the wrong place); the fix loop writes the later edit in its next round.
    let conflict =
        |a: &Splice, b: &Splice| a.end > b.start || (a.end == b.start && a.start != a.end && b.start == b.end);
    if splices.windows(2).any(|w| conflict(&w[0], &w[1])) {
        return Err("overlapping edits".into());
    }
    Ok(splices)
}

/// Apply sorted, non-overlapping splices.
pub fn apply(text: &str, splices: &[Splice]) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for s in splices {
        out.push_str(&text[at..s.start]);
        out.push_str(&s.text);
        at = s.end;
    }
    out.push_str(&text[at..]);
    out
}
