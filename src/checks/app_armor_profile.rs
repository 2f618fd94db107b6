//! `appArmorProfile` (baseline): no unconfined or unknown AppArmor profile, in fields or annotations.

use crate::yaml::{Node, Span};

use super::fixing::{Fixer, annotations_to_runtime_default, fix_profile};
use super::{
    CheckInfo, Level, PodView, Violation, allowed_profile, annotations, bad_profile_types, go_quote, join_quote,
    plural, sorted,
};

pub(super) const ID: &str = "appArmorProfile";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0], DOC, evaluate, fix);

/// Every annotation key with this prefix is inspected, whether or not it names a container.
const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

/// The annotations that are not allowed (the fix planner rewrites exactly these). A null value
/// reads as `""`, which is allowed.
pub(super) fn bad_annotations(meta: Option<&Node>) -> impl Iterator<Item = (&str, &str, Span)> {
    annotations(meta).filter(|(key, value, _)| key.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(value))
}

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let (setters, bad_types) = bad_profile_types(pod.spec, "appArmorProfile");
    let mut bad_annotations = Vec::new();
    let mut span = setters.span;
    for (key, value, value_span) in self::bad_annotations(pod.meta) {
        bad_annotations.push(format!("{key}={}", go_quote(value)));
        span.get_or_insert(value_span);
    }
    let span = span?;

    let mut values = sorted(bad_types);
    let bad_annotations = sorted(bad_annotations);
    values.extend(bad_annotations.iter().map(String::as_str));
    let annotation_setter =
        (!bad_annotations.is_empty()).then(|| plural(bad_annotations.len(), "annotation", "annotations").to_owned());
    let who = setters.parts().chain(annotation_setter).collect::<Vec<_>>().join(" and ");
    let reason = plural(values.len(), "forbidden AppArmor profile", "forbidden AppArmor profiles");
    let detail = format!("{who} must not set AppArmor profile type to {}", join_quote(&values));
    Some(Violation::new(ID, reason, detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let field = ["securityContext", "appArmorProfile"];
    if let Some(p) = c.spec.path(&field).filter(|p| !allowed_profile(p)) {
        fix_profile(c, c.at(&field), p, "pod securityContext.appArmorProfile", "RuntimeDefault");
    }
    for k in c.containers() {
        if let Some(p) = k.node.path(&field).filter(|p| !allowed_profile(p)) {
            let who = format!("{} securityContext.appArmorProfile", k.label());
            fix_profile(c, k.at(&field), p, &who, "RuntimeDefault");
        }
    }
    let bad = bad_annotations(c.meta).map(|(k, ..)| k.to_owned()).collect();
    annotations_to_runtime_default(c, bad);
}

pub(super) const DOC: &str = r#"## What it checks
- `appArmorProfile.type` in the pod's `securityContext` and in every container's (init, regular and ephemeral), when
  `appArmorProfile` is set;
- every pod annotation whose key starts with `container.apparmor.security.beta.kubernetes.io/`, whether or not the rest
  of the key names an existing container.

## Allowed values
- Field `type`: `RuntimeDefault` or `Localhost` (with any `localhostProfile`). `Unconfined`, any other string and a
  missing `type` are violations.
- Annotation value: `""`, `runtime/default`, or anything starting with `localhost/`. `unconfined`, `docker/default` and
  anything else are violations.

## Versions
- **v1.0**: the only variant. Since library v0.30 (Kubernetes 1.30, when the field went GA) it checks the fields as
  well as the annotations, at every policy version.

## Why
AppArmor confines what a process may access; an `Unconfined` profile removes that layer, and an unknown one escapes
the cluster's control.

## Example
```yaml
metadata:
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  securityContext:
    appArmorProfile: {type: Unconfined}
  containers:
  - name: app
    image: nginx
```
```text
forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")
```
The bad field types come first (distinct, sorted), then the bad annotations as sorted `key="value"` entries; the reason
is singular when there is exactly one bad value.

## Fix
A profile type other than `RuntimeDefault`/`Localhost` becomes `RuntimeDefault`; a forbidden annotation value becomes `runtime/default` (**unsafe**). A profile without a `type` gets `type: RuntimeDefault` (**safe**), or `type: Localhost` when it names a `localhostProfile`.
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn profiles_and_annotations_become_runtime_default() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  securityContext:
    appArmorProfile:
      type: Unconfined
  containers:
  - name: app
    image: nginx
"#), @r#"
        unsafe: set pod securityContext.appArmorProfile type "Unconfined" → RuntimeDefault
        unsafe: set annotation container.apparmor.security.beta.kubernetes.io/app → runtime/default
        @@ -5,3 +5,3 @@
           annotations:
        -    container.apparmor.security.beta.kubernetes.io/app: unconfined
        +    container.apparmor.security.beta.kubernetes.io/app: runtime/default
         spec:
        @@ -9,3 +9,3 @@
             appArmorProfile:
        -      type: Unconfined
        +      type: RuntimeDefault
           containers:
        "#);
    }
}
