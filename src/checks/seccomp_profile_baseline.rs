//! `seccompProfile_baseline` (baseline): no unconfined seccomp profile (annotations before 1.19,
//! fields from 1.19).

use crate::yaml::{Node, Span};

use super::fixing::{Class, Fixer, Scalar, annotations_to_runtime_default, fix_profile, set};
use super::{
    CheckInfo, Level, PodView, Violation, allowed_profile, annotations, bad_profile_types, containers, go_quote, name,
    plural, seccomp_types_detail, sorted,
};

pub(super) const ID: &str = "seccompProfile_baseline";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0, 19], DOC, evaluate, fix);

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    if variant >= 19 { fields(pod) } else { annotations_1_0(pod) }
}

/// v1.19: the `seccompProfile.type` fields; unset is allowed.
fn fields(pod: &PodView<'_>) -> Option<Violation> {
    let (setters, bad_types) = bad_profile_types(pod.spec, "seccompProfile");
    let span = setters.span?;
    Some(Violation::new(ID, "seccompProfile", seccomp_types_detail(&setters, bad_types), span))
}

fn allowed_annotation(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

/// The v1.0 annotations that are not allowed: the pod annotation, and the container annotations
/// of containers that exist (the fix planner rewrites exactly these).
pub(super) fn bad_annotations<'a>(meta: Option<&'a Node>, spec: &'a Node) -> Vec<(&'a str, &'a str, Span)> {
    let pod_annotation = annotations(meta).find(|(key, ..)| *key == POD_ANNOTATION);
    let container_annotations = containers(spec).filter_map(|c| {
        annotations(meta).find(|(key, ..)| key.strip_prefix(CONTAINER_ANNOTATION_PREFIX) == Some(name(c)))
    });
    pod_annotation.into_iter().chain(container_annotations).filter(|(_, value, _)| !allowed_annotation(value)).collect()
}

/// v1.0: the pod annotation, and the container annotations of containers that exist.
fn annotations_1_0(pod: &PodView<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut span = None;
    for (key, value, at) in bad_annotations(pod.meta, pod.spec) {
        bad.push(format!("{key}={}", go_quote(value)));
        span.get_or_insert(at);
    }
    let span = span?;
    let bad = sorted(bad);
    let detail = format!("forbidden {} {}", plural(bad.len(), "annotation", "annotations"), bad.join(", "));
    Some(Violation::new(ID, "seccompProfile", detail, span))
}

pub(super) fn fix(c: &mut Fixer, variant: u32) {
    if variant < 19 {
        let bad = bad_annotations(c.meta, c.spec).into_iter().map(|(k, ..)| k.to_owned()).collect();
        return annotations_to_runtime_default(c, bad);
    }
    fix_fields(c, false);
}

/// The `seccompProfile` fields (v1.19 on): each forbidden profile becomes `RuntimeDefault`; with
/// `add_when_missing` (restricted), a pod-level profile is added when a container has none.
pub(super) fn fix_fields(c: &mut Fixer, add_when_missing: bool) {
    let field = ["securityContext", "seccompProfile"];
    let pod = c.spec.path(&field);
    if let Some(p) = pod.filter(|p| !allowed_profile(p)) {
        fix_profile(c, c.at(&field), p, "pod securityContext.seccompProfile", "RuntimeDefault");
    }
    let mut uncovered = false;
    for k in c.containers() {
        match k.node.path(&field) {
            Some(p) if !allowed_profile(p) => {
                let who = format!("{} securityContext.seccompProfile", k.label());
                fix_profile(c, k.at(&field), p, &who, "RuntimeDefault");
            }
            Some(_) => {}
            None => uncovered = true,
        }
    }
    if add_when_missing && uncovered && pod.is_none() {
        let r = c.at(&["securityContext", "seccompProfile", "type"]);
        let note = "add pod securityContext.seccompProfile.type: RuntimeDefault".into();
        c.push(Class::Safe, vec![set(r, Scalar::Str("RuntimeDefault".into()))], note);
    }
}

pub(super) const DOC: &str = r#"## What it checks
- From v1.19: `seccompProfile.type` in the pod's `securityContext` and in every container's (init, regular and
  ephemeral), when `seccompProfile` is set.
- Before v1.19: the annotations `seccomp.security.alpha.kubernetes.io/pod` and
  `container.seccomp.security.alpha.kubernetes.io/<name>`, the latter only for names of containers in the pod.

## Allowed values
- Fields (v1.19+): unset, `RuntimeDefault` or `Localhost`. `Unconfined`, any other string and a missing `type` are
  violations.
- Annotations (before v1.19): `runtime/default`, `docker/default`, or anything starting with `localhost/`. An empty
  value is a violation.

## Versions
- **v1.0**: annotations only.
- **v1.19**: fields only; the annotations are ignored. At restricted level from v1.19 this check is replaced by
  `seccompProfile_restricted`.

## Why
Seccomp filters the system calls a container may make; an unconfined profile exposes the whole kernel attack surface.

## Example
```yaml
spec:
  securityContext:
    seccompProfile: {type: Unconfined}
  containers:
  - name: app
    image: nginx
```
`seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")` (v1.19+). Before v1.19, the
annotation `seccomp.security.alpha.kubernetes.io/pod: unconfined` gives
`seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")`.

## Fix
An explicit forbidden type at pod or container level becomes `RuntimeDefault` (**unsafe**). At policy versions before v1.19 a forbidden seccomp annotation becomes `runtime/default` (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::{fixed, fixed_with};
    use super::super::{PolicyVersion, fixing::FixOptions};

    #[test]
    fn a_forbidden_profile_becomes_runtime_default() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      seccompProfile:
        type: Unconfined
"#), @r#"
        unsafe: set container "app" securityContext.seccompProfile type "Unconfined" → RuntimeDefault
        @@ -10,2 +10,2 @@
               seccompProfile:
        -        type: Unconfined
        +        type: RuntimeDefault
        "#);
    }

    #[test]
    fn before_v1_19_the_annotations_are_fixed() {
        insta::assert_snapshot!(fixed_with(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
spec:
  containers:
  - name: app
    image: nginx
"#, PolicyVersion::v1(18), &FixOptions::default()), @"
        unsafe: set annotation seccomp.security.alpha.kubernetes.io/pod → runtime/default
        @@ -5,3 +5,3 @@
           annotations:
        -    seccomp.security.alpha.kubernetes.io/pod: unconfined
        +    seccomp.security.alpha.kubernetes.io/pod: runtime/default
         spec:
        ");
    }
}
