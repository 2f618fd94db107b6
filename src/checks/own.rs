//! podsec's own checks: beyond Pod Security Admission, shown beside PSA's findings but never part of
//! PSA's verdict (`allowed`). Each has an id in PSA's style.

use super::{CheckInfo, Level, PodView, Violation};

/// The id of the service-account token check.
pub const AUTOMOUNT: &str = "automountServiceAccountToken";

pub const INFO: CheckInfo =
    CheckInfo { id: AUTOMOUNT, level: Level::Restricted, variants: &[0], overrides: &[], overrides_from: 0, doc: DOC };

/// podsec's own checks in result order.
pub fn registry() -> &'static [CheckInfo] {
    &[INFO]
}

/// Evaluate podsec's own checks (restricted level only).
pub fn evaluate(level: Level, pod: &PodView) -> Vec<Violation> {
    if level != Level::Restricted {
        return Vec::new();
    }
    let spec = pod.spec;
    let automount = spec.field("automountServiceAccountToken");
    if automount.and_then(|n| n.as_bool()) == Some(false) {
        return Vec::new();
    }
    let account = ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| spec.field(k).and_then(|n| n.as_str()).filter(|s| !s.is_empty()))
        .unwrap_or("default");
    if account != "default" {
        // A pod naming its own service account probably needs its token: left alone.
        return Vec::new();
    }
    let span = automount.map_or(spec.span, |n| n.span);
    let detail = match automount {
        Some(_) => "pod uses the default service account and sets automountServiceAccountToken=true",
        None => "pod uses the default service account and must set automountServiceAccountToken=false",
    };
    vec![Violation { check: AUTOMOUNT, reason: "service account token mounted".into(), detail: detail.into(), span }]
}

const DOC: &str = r#"## What it checks
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
