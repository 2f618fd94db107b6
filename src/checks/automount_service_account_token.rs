//! `automountServiceAccountToken` (podsec's own, restricted): a pod that runs as the namespace's
//! `default` service account must not mount its API token. Shown beside PSA's findings but never
//! part of PSA's verdict (`allowed`).

use super::fixing::{Fixer, Scalar, class_of, set};
use super::{CheckInfo, Level, PodView, Source, Violation};

pub(super) const ID: &str = "automountServiceAccountToken";

pub(super) const INFO: CheckInfo =
    CheckInfo { source: Source::Podsec, ..CheckInfo::new(ID, Level::Restricted, &[0], DOC, evaluate, fix) };

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let spec = pod.spec;
    let automount = spec.field("automountServiceAccountToken");
    if automount.and_then(|n| n.as_bool()) == Some(false) {
        return None;
    }
    let account = ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| spec.field(k).and_then(|n| n.as_str()).filter(|s| !s.is_empty()))
        .unwrap_or("default");
    if account != "default" {
        // A pod naming its own service account probably needs its token: left alone.
        return None;
    }
    let span = automount.map_or(spec.span, |n| n.span);
    let detail = match automount {
        Some(_) => "pod uses the default service account and sets automountServiceAccountToken=true",
        None => "pod uses the default service account and must set automountServiceAccountToken=false",
    };
    Some(Violation::new(ID, "service account token mounted", detail.into(), span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let current = c.spec.field("automountServiceAccountToken");
    let note = match current {
        Some(_) => "set automountServiceAccountToken: true → false".into(),
        None => "add automountServiceAccountToken: false".into(),
    };
    c.push(class_of(current), vec![set(c.at(&["automountServiceAccountToken"]), Scalar::Bool(false))], note);
}

pub(super) const DOC: &str = r#"## What it checks
podsec's own check (not part of Pod Security Admission, never part of its verdict), at `restricted` only:
`spec.automountServiceAccountToken` of a pod that runs as the namespace's `default` service account (no
`serviceAccountName`, or `default`). Such a pod gets an API token it almost never needs.

## Allowed values
`automountServiceAccountToken: false`. A pod that names its own service account is not reported: that account
was probably made for it, and its token is likely needed.

## Versions
All policy versions (podsec's own check has no PSA variants).

## Why
A mounted token lets anyone who compromises the container talk to the Kubernetes API as the service account.

## Fix
Absent → pod-level `automountServiceAccountToken: false` (safe); explicit `true` → `false` (unsafe).

## Example
```yaml
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: nginx}]
```
`service account token mounted (pod uses the default service account and must set automountServiceAccountToken=false)`
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn the_token_is_not_mounted() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
"#), @"
        safe: add automountServiceAccountToken: false
        @@ -8 +8,2 @@
             image: nginx
        +  automountServiceAccountToken: false
        ");
    }

    #[test]
    fn an_explicit_true_is_unsafe() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  automountServiceAccountToken: true
  containers:
  - name: app
    image: nginx
"#), @"
        unsafe: set automountServiceAccountToken: true → false
        @@ -5,3 +5,3 @@
         spec:
        -  automountServiceAccountToken: true
        +  automountServiceAccountToken: false
           containers:
        ");
    }
}
