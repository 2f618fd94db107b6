//! `runAsUser` (restricted, from 1.23): no explicit user ID 0.

use super::{CheckInfo, Level, PodView, Setters, Violation, host_users_false, security_contexts};

pub(super) const ID: &str = "runAsUser";

pub(super) const INFO: CheckInfo =
    CheckInfo { id: ID, level: Level::Restricted, variants: &[23, 35], overrides: &[], overrides_from: 0, doc: DOC };

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    if variant >= 35 && host_users_false(pod.spec) {
        return None;
    }
    let mut setters = Setters::default();
    for (owner, sc) in security_contexts(pod.spec) {
        if let Some(node) = sc.field("runAsUser")
            && node.as_i64() == Some(0)
        {
            setters.add(owner, node.span);
        }
    }
    let span = setters.span?;
    let detail = format!("{} must not set runAsUser=0", setters.phrase());
    Some(Violation::new(ID, "runAsUser=0", detail, span))
}

pub(super) const DOC: &str = r#"## What it checks
`runAsUser` in the pod's `securityContext` and in every container's (init, regular and ephemeral).

## Allowed values
Unset or any non-zero user ID. An explicit `0` is a violation at any level, even at pod level when every container
sets a non-zero value.

## Versions
- **v1.23**: introduced; absent at v1.22 and older.
- **v1.35**: a pod with `spec.hostUsers: false` (its own user namespace) passes; otherwise as v1.23.

## Why
UID 0 is root; in a container that shares the host's user namespace it is root on the node as soon as the container
boundary fails.

## Example
```yaml
spec:
  containers:
  - name: db
    image: postgres
    securityContext:
      runAsUser: 0
```
`runAsUser=0 (container "db" must not set runAsUser=0)`
"#;
