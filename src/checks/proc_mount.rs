//! `procMount` (baseline): containers must use the default (masked) `/proc` mount.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, Scalar, set};
use super::{CheckInfo, Level, PodView, Setters, Violation, containers, host_users_false, join_quote, name, sorted};

pub(super) const ID: &str = "procMount";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0, 35], DOC, evaluate, fix);

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    if variant >= 35 && host_users_false(pod.spec) {
        return None;
    }
    unconditional(ID, pod)
}

/// The v1.0 rule, without the user-namespace relaxation (shared with `procMount_restricted`).
pub(super) fn unconditional(id: &'static str, pod: &PodView<'_>) -> Option<Violation> {
    let mut bad = Setters::default();
    let mut values = Vec::new();
    for c in containers(pod.spec) {
        if let Some(node) = c.path(&["securityContext", "procMount"])
            && let Some(value) = node.as_str()
            && value != "Default"
        {
            values.push(value);
            bad.container(name(c), node.span);
        }
    }
    let span = bad.span?;
    let detail = format!("{} must not set securityContext.procMount to {}", bad.phrase(), join_quote(&sorted(values)));
    Some(Violation::new(id, "procMount", detail, span))
}

/// Each container's `procMount` other than `Default` becomes `Default`.
pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let field = ["securityContext", "procMount"];
    for k in c.containers() {
        if let Some(v) = k.node.path(&field).and_then(Node::as_str)
            && v != "Default"
        {
            let note = format!("set {} securityContext.procMount: {v} → Default", k.label());
            c.push(Class::Unsafe, vec![set(k.at(&field), Scalar::Str("Default".into()))], note);
        }
    }
}

pub(super) const DOC: &str = r#"## What it checks
`securityContext.procMount` of every container: init containers, containers and ephemeral containers.

## Allowed values
Unset or `Default`. `Unmasked` and any other value are violations.

## Versions
- **v1.0**: unconditional.
- **v1.35**: a pod with `spec.hostUsers: false` (its own user namespace) passes whatever its containers set; otherwise
  as v1.0. At restricted level from v1.35 this check is replaced by `procMount_restricted`, which has no such
  relaxation.

## Why
The default proc mount masks and makes read-only the parts of `/proc` that expose or control the host kernel.
`Unmasked` removes that protection; inside a user namespace the kernel limits the damage.

## Example
```yaml
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Unmasked
```
`procMount (container "app" must not set securityContext.procMount to "Unmasked")`

## Fix
A `procMount` other than `Default` becomes `Default` (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn an_unmasked_proc_mount_becomes_default() {
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
      procMount: Unmasked
"#), @r#"
        unsafe: set container "app" securityContext.procMount: Unmasked → Default
        @@ -9,2 +9,2 @@
             securityContext:
        -      procMount: Unmasked
        +      procMount: Default
        "#);
    }
}
