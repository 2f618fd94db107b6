//! `procMount_restricted` (restricted, from 1.35): `procMount` without the user-namespace relaxation.

use super::fixing::Fixer;
use super::{CheckInfo, Level, PodView, Violation, proc_mount};

pub(super) const ID: &str = "procMount_restricted";

pub(super) const INFO: CheckInfo = CheckInfo {
    overrides: &["procMount"],
    overrides_from: 35,
    ..CheckInfo::new(ID, Level::Restricted, &[35], DOC, evaluate, fix)
};

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    proc_mount::unconditional(ID, pod)
}

pub(super) fn fix(c: &mut Fixer, variant: u32) {
    proc_mount::fix(c, variant);
}

pub(super) const DOC: &str = r#"## What it checks
`securityContext.procMount` of every container (init, regular and ephemeral), whatever `spec.hostUsers` is.

## Allowed values
Unset or `Default`. `Unmasked` and any other value are violations.

## Versions
- **v1.35**: the only variant. It replaces the baseline `procMount` check at restricted level from v1.35, so the
  baseline relaxation for `hostUsers: false` pods does not apply at restricted level. Below v1.35 the check does not
  exist and the baseline `procMount` (unconditional there) runs instead.

## Why
The default proc mount masks and makes read-only the parts of `/proc` that expose or control the host kernel; the
restricted level keeps that protection even inside a user namespace.

## Example
```yaml
spec:
  hostUsers: false
  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Unmasked
```
`procMount (container "app" must not set securityContext.procMount to "Unmasked")` (at restricted v1.35+; baseline
v1.35+ allows it).

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
  hostUsers: false
  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Unmasked
"#), @r#"
        unsafe: set container "app" securityContext.procMount: Unmasked → Default
        @@ -10,2 +10,2 @@
             securityContext:
        -      procMount: Unmasked
        +      procMount: Default
        "#);
    }
}
