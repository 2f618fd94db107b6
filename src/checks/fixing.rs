//! The fix vocabulary: what a check's fix is made of. Each check's `fix` reads the pod through a
//! [`Fixer`] and pushes [`Fix`]es: route-based edits ([`Op`]) with their [`Class`] and a one-line
//! note. Nothing here knows any particular check; the fix engine (`crate::fix`) lowers the ops to
//! text splices.

pub use crate::edit::{Op, OpKind, Scalar};
pub use crate::k8s::{Route, Seg};
use crate::yaml::Node;

/// How sure podsec is that an edit is what the author wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Fills a gap: the field was absent or null.
    Safe,
    /// Overrides a value the author wrote.
    Unsafe,
    /// No automatic fix.
    Manual,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Safe => "safe",
            Class::Unsafe => "unsafe",
            Class::Manual => "manual",
        }
    }
}

/// One fix: the edits, their class and a one-line description of the change (or, for manual, why).
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub check: &'static str,
    pub class: Class,
    pub ops: Vec<Op>,
    pub note: String,
    /// With this fix applied, the kubelet refuses to start a container whose image's `USER` is root
    /// or a name: the front ends say so (and suggest `--run-as-user`).
    pub needs_non_root_image: bool,
}

/// Options that change what a fix writes.
#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// `--run-as-user UID`: write this UID where a root UID must go, and beside a new `runAsNonRoot`.
    pub run_as_user: Option<i64>,
}

/// The pod (template) a fix is planned for: its PodSpec and metadata, and their routes from the
/// document root.
pub struct FixTarget<'a> {
    pub spec: &'a Node,
    pub meta: Option<&'a Node>,
    pub spec_route: Route,
    pub meta_route: Route,
}

/// One container of the pod, in PSA's visit order.
pub struct Container<'a> {
    /// Its route from the document root.
    pub route: Route,
    pub node: &'a Node,
    /// Its `name` (`""` when unset).
    pub name: &'a str,
}

impl Container<'_> {
    /// `container "name"`, for notes.
    pub fn label(&self) -> String {
        format!("container {:?}", self.name)
    }

    /// The route of `rel` under this container.
    pub fn at(&self, rel: &[&str]) -> Route {
        join(&self.route, rel)
    }
}

/// What a check's fix reads (the pod, the policy minor, the options) and where it puts its fixes.
/// A fix runs only for a pod that fails its check, so the check's exemptions (Windows pods,
/// user namespaces) are already applied.
pub struct Fixer<'a> {
    pub spec: &'a Node,
    pub meta: Option<&'a Node>,
    spec_route: Route,
    meta_route: Route,
    /// The policy minor the checks were evaluated at.
    pub minor: u32,
    pub opts: &'a FixOptions,
    /// The check whose fix is being planned (set by the registry before each check's `fix`).
    pub(super) check: &'static str,
    pub(super) out: Vec<Fix>,
}

const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

impl<'a> Fixer<'a> {
    pub(super) fn new(target: FixTarget<'a>, minor: u32, opts: &'a FixOptions) -> Fixer<'a> {
        Fixer {
            spec: target.spec,
            meta: target.meta,
            spec_route: target.spec_route,
            meta_route: target.meta_route,
            minor,
            opts,
            check: "",
            out: Vec::new(),
        }
    }

    /// The route of `rel` under the PodSpec.
    pub fn at(&self, rel: &[&str]) -> Route {
        join(&self.spec_route, rel)
    }

    /// The route of `rel` under the pod metadata.
    pub fn meta_at(&self, rel: &[&str]) -> Route {
        join(&self.meta_route, rel)
    }

    /// The containers: init containers, containers, then ephemeral containers.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + use<'a> {
        let (spec, spec_route) = (self.spec, self.spec_route.clone());
        CONTAINER_LISTS.iter().flat_map(move |list| {
            let spec_route = spec_route.clone();
            spec.field(list).map_or(&[][..], Node::items).iter().enumerate().map(move |(i, node)| {
                let mut route = spec_route.clone();
                route.push(key(list));
                route.push(Seg::Index(i));
                Container { route, node, name: node.field("name").and_then(Node::as_str).unwrap_or("") }
            })
        })
    }

    /// Add a fix of the current check.
    pub fn push(&mut self, class: Class, ops: Vec<Op>, note: String) {
        self.out.push(Fix { check: self.check, class, ops, note, needs_non_root_image: false });
    }

    /// Add a fix after which images whose `USER` is root or a name no longer start.
    pub fn push_needing_non_root_image(&mut self, class: Class, ops: Vec<Op>, note: String) {
        self.out.push(Fix { check: self.check, class, ops, note, needs_non_root_image: true });
    }
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// `base` extended by the keys `rel`.
pub fn join(base: &Route, rel: &[&str]) -> Route {
    let mut r = base.clone();
    r.extend(rel.iter().map(|k| key(k)));
    r
}

/// `base` extended by the index `i`.
pub fn index(base: Route, i: usize) -> Route {
    let mut r = base;
    r.push(Seg::Index(i));
    r
}

pub fn set(route: Route, v: Scalar) -> Op {
    Op { route, kind: OpKind::Set(v) }
}

pub fn remove(route: Route) -> Op {
    Op { route, kind: OpKind::Remove }
}

pub fn append(route: Route, v: Scalar) -> Op {
    Op { route, kind: OpKind::Append(v) }
}

/// A field the author wrote (not null) is overridden (unsafe); absent or null is filled (safe).
pub fn class_of(node: Option<&Node>) -> Class {
    if node.is_some_and(|n| !n.is_null()) { Class::Unsafe } else { Class::Safe }
}

/// Point an existing profile object (seccomp, AppArmor) at `value`, dropping a `localhostProfile`
/// that only `Localhost` may carry. A profile without a type that names a `localhostProfile` gets
/// `type: Localhost` instead: the profile the author named, and the one line that allows it.
pub fn fix_profile(c: &mut Fixer, base: Route, profile: &Node, who: &str, value: &str) {
    let ty = profile.field("type").filter(|n| !n.is_null());
    let localhost = profile.field("localhostProfile");
    let named = localhost.and_then(Node::as_str).is_some_and(|s| !s.is_empty());
    let value = if ty.is_none() && named { "Localhost" } else { value };
    let mut ops = vec![set(join(&base, &["type"]), Scalar::Str(value.to_owned()))];
    // A null `localhostProfile` is unset already.
    if value != "Localhost" && localhost.is_some_and(|n| !n.is_null()) {
        ops.push(remove(join(&base, &["localhostProfile"])));
    }
    let was = ty.and_then(Node::as_str).map_or("(no type)".to_owned(), |s| format!("{s:?}"));
    c.push(class_of(ty), ops, format!("set {who} type {was} → {value}"));
}

/// Set each of the pod's annotations `keys` to `runtime/default` (seccomp before v1.19, AppArmor).
pub fn annotations_to_runtime_default(c: &mut Fixer, keys: Vec<String>) {
    for k in keys {
        let r = c.meta_at(&["annotations", &k]);
        let note = format!("set annotation {k} → runtime/default");
        c.push(Class::Unsafe, vec![set(r, Scalar::Str("runtime/default".into()))], note);
    }
}

/// Each container's explicit `true` at `path` → `false`.
pub fn container_bools_to_false(c: &mut Fixer, path: &[&str]) {
    let todo: Vec<_> = c
        .containers()
        .filter(|k| k.node.path(path).and_then(Node::as_bool) == Some(true))
        .map(|k| (k.at(path), k.label()))
        .collect();
    for (route, who) in todo {
        c.push(
            Class::Unsafe,
            vec![set(route, Scalar::Bool(false))],
            format!("set {who} {}: true → false", path.join(".")),
        );
    }
}

/// The removals of the items `bad` (index, name; in source order) of the sequence at `route`, last
/// first so that each index still points at its item, and the items' names in source order.
pub fn remove_items(route: &Route, bad: &[(usize, String)]) -> (Vec<Op>, Vec<String>) {
    let ops = bad.iter().rev().map(|(i, _)| remove(index(route.clone(), *i))).collect();
    (ops, bad.iter().map(|(_, s)| s.clone()).collect())
}
