//! The Pod Security Admission (PSA) checks, as `k8s.io/pod-security-admission` evaluates them.
//!
//! Behaviour and message wording follow `pss-checks.md` (the spec): each check reads only the pod
//! (template) metadata and the PodSpec, and a failed check yields PSA's exact reason and detail text.
//! Levels and policy versions combine as in PSA's registry: every check runs the variant with the
//! greatest minimum version at or below the requested minor, and at restricted level the baseline
//! checks that a restricted check overrides are skipped.

use std::fmt;
use std::str::FromStr;

use crate::yaml::{Node, Span};
use fixing::{Fix, FixOptions, FixTarget, Fixer};

pub mod fixing;

/// The newest policy minor version any check has a variant for (sysctls 1.37).
pub const MAX_MINOR: u32 = 37;

/// A Pod Security Standards level that has checks (`privileged` has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Level, String> {
        match s {
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(format!("invalid level {s:?}: must be one of baseline, restricted")),
        }
    }
}

/// A policy version: `latest` or `v1.N`.
///
/// For `latest`, `minor` is `u32::MAX`, so that the derived ordering puts `latest` after every
/// `v1.N`, as PSA orders versions. Read the minor to evaluate with [`PolicyVersion::effective_minor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyVersion {
    pub minor: u32,
    pub latest: bool,
}

impl PolicyVersion {
    pub const LATEST: PolicyVersion = PolicyVersion { minor: u32::MAX, latest: true };

    /// The version `v1.<minor>`.
    pub const fn v1(minor: u32) -> PolicyVersion {
        PolicyVersion { minor, latest: false }
    }

    /// Parse `latest` or `v1.N` (`^v1\.(0|[1-9][0-9]*)$`, as PSA's `ParseVersion`).
    pub fn parse(s: &str) -> Result<PolicyVersion, String> {
        if s == "latest" {
            return Ok(PolicyVersion::LATEST);
        }
        let invalid = || format!("invalid policy version {s:?}: must be \"latest\" or \"v1.x\"");
        let digits = s.strip_prefix("v1.").ok_or_else(invalid)?;
        let canonical = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !canonical {
            return Err(invalid());
        }
        let minor = digits.parse().map_err(|_| format!("invalid policy version {s:?}: minor version is too large"))?;
        Ok(PolicyVersion::v1(minor))
    }

    /// The minor version the checks are evaluated at: `latest` and anything newer than
    /// [`MAX_MINOR`] are clamped to it.
    pub fn effective_minor(&self) -> u32 {
        if self.latest { MAX_MINOR } else { self.minor.min(MAX_MINOR) }
    }
}

impl fmt::Display for PolicyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.latest { f.write_str("latest") } else { write!(f, "v1.{}", self.minor) }
    }
}

impl FromStr for PolicyVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<PolicyVersion, String> {
        PolicyVersion::parse(s)
    }
}

/// What a check reads: the pod (template) metadata mapping, if any, and the PodSpec mapping.
pub struct PodView<'a> {
    pub meta: Option<&'a Node>,
    pub spec: &'a Node,
}

/// A failed check: PSA's reason and detail, and where in the source the first offending value is
/// (or, for a missing field, the nearest enclosing node that exists).
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub check: &'static str,
    /// Whose check it is: a podsec check's violation is never part of PSA's verdict.
    pub source: Source,
    pub reason: String,
    pub detail: String,
    pub span: Span,
}

impl Violation {
    fn new(check: &'static str, reason: &str, detail: String, span: Span) -> Violation {
        Violation { check, source: Source::Psa, reason: reason.to_owned(), detail, span }
    }
}

/// Whose check it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Pod Security Admission's: part of its verdict, evaluated exactly as the library does.
    Psa,
    /// podsec's own: shown beside PSA's findings, never part of PSA's verdict.
    Podsec,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Psa => "Pod Security Admission",
            Source::Podsec => "podsec",
        }
    }
}

/// A check's evaluation: the pod, and the minimum minor of the variant in force.
type EvalFn = fn(&PodView<'_>, u32) -> Option<Violation>;

/// A check's fix planning: the pod (through the [`Fixer`]) and the variant in force.
type FixFn = fn(&mut Fixer<'_>, u32);

/// A check's registration: what it is, how it evaluates, how it is fixed, and its documentation.
pub struct CheckInfo {
    pub id: &'static str,
    pub level: Level,
    /// The minimum policy minor of each variant, strictly increasing.
    pub variants: &'static [u32],
    /// The baseline checks this (restricted) check overrides.
    pub overrides: &'static [&'static str],
    /// The policy minor from which the override applies.
    pub overrides_from: u32,
    /// User documentation of the check and of its fix (markdown, without a top-level heading).
    pub doc: &'static str,
    pub source: Source,
    pub evaluate: EvalFn,
    /// Plans the fix of a pod that fails the check.
    pub fix: FixFn,
}

impl CheckInfo {
    /// A PSA check that overrides no other (set `overrides`, or `source`, over it).
    pub(super) const fn new(
        id: &'static str,
        level: Level,
        variants: &'static [u32],
        doc: &'static str,
        evaluate: EvalFn,
        fix: FixFn,
    ) -> CheckInfo {
        CheckInfo { id, level, variants, overrides: &[], overrides_from: 0, doc, source: Source::Psa, evaluate, fix }
    }

    /// The variant (its minimum minor) in force at `minor`, or `None` when the check does not exist yet.
    fn variant_at(&self, minor: u32) -> Option<u32> {
        self.variants.iter().copied().take_while(|&v| v <= minor).last()
    }
}

mod allow_privilege_escalation;
mod app_armor_profile;
mod automount_service_account_token;
mod capabilities_baseline;
mod capabilities_restricted;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes_and_host_lifecycle;
mod privileged;
mod proc_mount;
mod proc_mount_restricted;
mod restricted_volumes;
mod run_as_non_root;
mod run_as_user;
mod se_linux_options;
mod seccomp_profile_baseline;
mod seccomp_profile_restricted;
mod sysctls;
mod windows_host_process;

/// Every check, in result order: PSA's in PSA's order (baseline ids byte-sorted, then restricted
/// ids byte-sorted), then podsec's own. A check's module is unused (a warning, an error in CI)
/// until it is listed here.
static REGISTRY: &[CheckInfo] = &[
    app_armor_profile::INFO,
    capabilities_baseline::INFO,
    host_namespaces::INFO,
    host_path_volumes::INFO,
    host_ports::INFO,
    host_probes_and_host_lifecycle::INFO,
    privileged::INFO,
    proc_mount::INFO,
    se_linux_options::INFO,
    seccomp_profile_baseline::INFO,
    sysctls::INFO,
    windows_host_process::INFO,
    allow_privilege_escalation::INFO,
    capabilities_restricted::INFO,
    proc_mount_restricted::INFO,
    restricted_volumes::INFO,
    run_as_non_root::INFO,
    run_as_user::INFO,
    seccomp_profile_restricted::INFO,
    automount_service_account_token::INFO,
];

/// Every check, PSA's and podsec's own, in result order.
pub fn registry() -> &'static [CheckInfo] {
    REGISTRY
}

pub fn info(id: &str) -> Option<&'static CheckInfo> {
    REGISTRY.iter().find(|c| c.id == id)
}

/// Whether a restricted check active at `minor` overrides the baseline check `id`.
fn overridden(id: &str, minor: u32) -> bool {
    REGISTRY.iter().any(|c| {
        c.level == Level::Restricted
            && c.overrides.contains(&id)
            && minor >= c.overrides_from
            && c.variant_at(minor).is_some()
    })
}

/// The checks evaluated at `level` and `version`, each with the variant in force, in result order.
fn active(level: Level, version: PolicyVersion) -> impl Iterator<Item = (&'static CheckInfo, u32)> {
    let minor = version.effective_minor();
    REGISTRY.iter().filter_map(move |c| {
        let skipped =
            c.level > level || (level == Level::Restricted && c.level == Level::Baseline && overridden(c.id, minor));
        if skipped { None } else { c.variant_at(minor).map(|variant| (c, variant)) }
    })
}

/// PSA's checks evaluated at `level` and `version`, in PSA's result order.
pub fn active_checks(level: Level, version: PolicyVersion) -> Vec<&'static str> {
    active(level, version).filter(|(c, _)| c.source == Source::Psa).map(|(c, _)| c.id).collect()
}

/// Evaluate one pod as PSA does: its failed checks, in result order.
pub fn evaluate(level: Level, version: PolicyVersion, pod: &PodView) -> Vec<Violation> {
    evaluate_all(level, version, pod).into_iter().filter(|v| v.source == Source::Psa).collect()
}

/// Evaluate one pod with every check, PSA's then podsec's own: the failed ones, in result order.
pub fn evaluate_all(level: Level, version: PolicyVersion, pod: &PodView) -> Vec<Violation> {
    active(level, version)
        .filter_map(|(c, variant)| (c.evaluate)(pod, variant).map(|v| Violation { source: c.source, ..v }))
        .collect()
}

/// Plan the fixes of one pod for its failing checks `failing` (ids), in result order, each by its
/// check's `fix`.
pub fn plan_fixes(target: FixTarget, version: PolicyVersion, failing: &[&str], opts: &FixOptions) -> Vec<Fix> {
    let minor = version.effective_minor();
    let mut fixer = Fixer::new(target, minor, opts);
    for check in REGISTRY.iter().filter(|c| failing.contains(&c.id)) {
        fixer.check = check.id;
        (check.fix)(&mut fixer, check.variant_at(minor).unwrap_or(0));
    }
    fixer.out
}

// ----- reading the tree ----------------------------------------------------------------------

/// The items of the sequence at `key` (empty when absent, null or not a sequence).
fn items<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    node.field(key).map_or(&[], Node::items)
}

/// The string at `path`, if there is one.
fn str_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    node.path(path).and_then(Node::as_str)
}

/// The string at `path`, or `""` when absent (as Go reads an unset string field).
fn string_or_empty<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    str_at(node, path).unwrap_or("")
}

/// A string value, with `null` read as `""` (Go decodes `null` into a string as the empty string).
fn string_value(node: &Node) -> Option<&str> {
    if node.is_null() { Some("") } else { node.as_str() }
}

/// A container's (or volume's) name, `""` when unset.
fn name(node: &Node) -> &str {
    string_or_empty(node, &["name"])
}

/// The span of the node at `path`, or of its deepest existing ancestor along the path.
fn nearest(node: &Node, path: &[&str]) -> Span {
    let mut found = node;
    for key in path {
        match found.field(key) {
            Some(next) => found = next,
            None => break,
        }
    }
    found.span
}

/// The containers in PSA's visit order: init containers, containers, then ephemeral containers.
fn containers(spec: &Node) -> impl Iterator<Item = &Node> {
    ["initContainers", "containers", "ephemeralContainers"].into_iter().flat_map(move |key| items(spec, key))
}

/// The pod's security context, if set.
fn pod_security_context(spec: &Node) -> Option<&Node> {
    spec.field("securityContext")
}

/// `spec.os.name == "windows"` (exact), which exempts a pod from some restricted checks from 1.25.
fn is_windows(spec: &Node) -> bool {
    str_at(spec, &["os", "name"]) == Some("windows")
}

/// `spec.hostUsers` explicitly `false` (a user-namespace pod), which relaxes some checks from 1.35.
fn host_users_false(spec: &Node) -> bool {
    spec.field("hostUsers").and_then(Node::as_bool) == Some(false)
}

/// The pod's security context, then each container's, in visit order (those that are set).
fn security_contexts<'a>(spec: &'a Node) -> impl Iterator<Item = (Owner<'a>, &'a Node)> {
    let pod = pod_security_context(spec).map(|sc| (Owner::Pod, sc));
    let containers = containers(spec).filter_map(|c| c.field("securityContext").map(|sc| (Owner::Container(c), sc)));
    pod.into_iter().chain(containers)
}

/// Whose security context a value is in.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Pod,
    Container(&'a Node),
}

/// The annotations of the pod metadata, in source order: key, value, value span.
fn annotations(meta: Option<&Node>) -> impl Iterator<Item = (&str, &str, Span)> {
    meta.and_then(|m| m.field("annotations"))
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((e.key.as_str(), string_value(&e.value)?, e.value.span)))
}

// ----- message formatting --------------------------------------------------------------------

/// `singular` when `n == 1`, else `plural` (PSA's `pluralize`).
fn plural(n: usize, singular: &'static str, plural: &'static str) -> &'static str {
    if n == 1 { singular } else { plural }
}

/// Each item wrapped in `"` (not escaped) and joined with `", "` (PSA's `joinQuote`).
fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(item.as_ref());
        out.push('"');
    }
    out
}

/// Distinct values in byte-wise ascending order (Go's `sets.List`).
fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort_unstable();
    values.dedup();
    values
}

/// `container "a"` or `containers "a", "b"`.
fn containers_phrase(names: &[&str]) -> String {
    format!("{} {}", plural(names.len(), "container", "containers"), join_quote(names))
}

/// A string quoted as Go's `%q` (`strconv.Quote`) does: `"` and `\` escaped, control and other
/// non-printing characters written as escapes. Printability outside ASCII is approximated by
/// treating control, format, private-use and non-ASCII space characters as non-printing.
fn go_quote(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if !go_printable(c) => {
                let code = u32::from(c);
                let _ = if code < 0x10000 { write!(out, "\\u{code:04x}") } else { write!(out, "\\U{code:08x}") };
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint` for non-ASCII characters.
fn go_printable(c: char) -> bool {
    let format_or_private = matches!(
        u32::from(c),
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
            | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xF0000..
    );
    c == ' ' || !(c.is_control() || c.is_whitespace() || format_or_private)
}

/// Who set a forbidden value: the pod and/or some containers (in visit order, not de-duplicated),
/// plus the span of the first offending place.
#[derive(Default)]
struct Setters<'a> {
    pod: bool,
    containers: Vec<&'a str>,
    span: Option<Span>,
}

impl<'a> Setters<'a> {
    fn pod(&mut self, span: Span) {
        self.pod = true;
        self.span.get_or_insert(span);
    }

    fn add(&mut self, owner: Owner<'a>, span: Span) {
        match owner {
            Owner::Pod => self.pod(span),
            Owner::Container(c) => self.container(name(c), span),
        }
    }

    fn container(&mut self, name: &'a str, span: Span) {
        self.containers.push(name);
        self.span.get_or_insert(span);
    }

    /// The parts of the setters phrase: `pod`, then `container(s) Q(names)`.
    fn parts(&self) -> impl Iterator<Item = String> {
        let pod = self.pod.then(|| "pod".to_owned());
        let containers = (!self.containers.is_empty()).then(|| containers_phrase(&self.containers));
        pod.into_iter().chain(containers)
    }

    /// `pod`, `container(s) Q(names)`, or both joined with `" and "`.
    fn phrase(&self) -> String {
        self.parts().collect::<Vec<_>>().join(" and ")
    }
}

/// The wording shared by the seccomp field checks: `<setters> must not set
/// securityContext.seccompProfile.type to Q(types)`.
fn seccomp_types_detail(setters: &Setters<'_>, bad_types: Vec<&str>) -> String {
    format!(
        "{} must not set securityContext.seccompProfile.type to {}",
        setters.phrase(),
        join_quote(&sorted(bad_types))
    )
}

/// The security contexts (pod, then containers) whose `<key>` profile (`seccompProfile` or
/// `appArmorProfile`) is set with a type other than `RuntimeDefault` or `Localhost`, and those types
/// (a missing type reads as `""`).
fn bad_profile_types<'a>(spec: &'a Node, key: &str) -> (Setters<'a>, Vec<&'a str>) {
    let mut setters = Setters::default();
    let mut bad_types = Vec::new();
    for (owner, sc) in security_contexts(spec) {
        if let Some(profile) = sc.field(key)
            && !allowed_profile(profile)
        {
            bad_types.push(string_or_empty(profile, &["type"]));
            setters.add(owner, nearest(profile, &["type"]));
        }
    }
    (setters, bad_types)
}

/// Whether a seccomp or AppArmor profile `type` is `RuntimeDefault` or `Localhost`.
fn allowed_profile_type(profile_type: &str) -> bool {
    matches!(profile_type, "RuntimeDefault" | "Localhost")
}

/// Whether a seccomp or AppArmor profile object is allowed: its `type` (`""` when unset) is.
fn allowed_profile(profile: &Node) -> bool {
    allowed_profile_type(string_or_empty(profile, &["type"]))
}

#[cfg(test)]
mod tests;
