//! `privileged` (baseline): no container may run privileged.

use super::fixing::{Fixer, container_bools_to_false};
use super::{CheckInfo, Level, PodView, Setters, Violation, containers, name};

pub(super) const ID: &str = "privileged";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0], DOC, evaluate, fix);

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let mut bad = Setters::default();
    for c in containers(pod.spec) {
        if let Some(node) = c.path(&["securityContext", "privileged"])
            && node.as_bool() == Some(true)
        {
            bad.container(name(c), node.span);
        }
    }
    let span = bad.span?;
    let detail = format!("{} must not set securityContext.privileged=true", bad.phrase());
    Some(Violation::new(ID, "privileged", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    container_bools_to_false(c, &["securityContext", "privileged"]);
}

pub(super) const DOC: &str = r#"## What it checks
`securityContext.privileged` of every container: init containers, containers and ephemeral containers. There is no
pod-level field.

## Allowed values
Unset, `null` or `false`. `true` is a violation.

## Versions
- **v1.0**: the only variant; unchanged since.

## Why
A privileged container has all capabilities and access to every host device: it is root on the node in all but name,
and it disables most other isolation (seccomp, AppArmor, read-only `/proc` and `/sys`).

## Example
```yaml
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      privileged: true
```
`privileged (container "app" must not set securityContext.privileged=true)`

## Fix
`privileged: true` → `false` (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn privileged_becomes_false() {
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
      privileged: true # needed?
"#), @r#"
        unsafe: set container "app" securityContext.privileged: true → false
        @@ -9,2 +9,2 @@
             securityContext:
        -      privileged: true # needed?
        +      privileged: false # needed?
        "#);
    }
}
