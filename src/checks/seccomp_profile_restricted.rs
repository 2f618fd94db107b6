//! `seccompProfile_restricted` (restricted, from 1.19): every container must run with the
//! `RuntimeDefault` or a `Localhost` seccomp profile, set on the pod or on the container.

use super::fixing::Fixer;
use super::{
    CheckInfo, Level, PodView, Setters, Violation, bad_profile_types, containers, is_windows, name, nearest,
    pod_security_context, seccomp_types_detail,
};

pub(super) const ID: &str = "seccompProfile_restricted";

pub(super) const INFO: CheckInfo = CheckInfo {
    overrides: &["seccompProfile_baseline"],
    overrides_from: 19,
    ..CheckInfo::new(ID, Level::Restricted, &[19, 25], DOC, evaluate, fix)
};

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    if variant >= 25 && is_windows(pod.spec) {
        return None;
    }
    let (explicit, bad_types) = bad_profile_types(pod.spec, "seccompProfile");
    if let Some(span) = explicit.span {
        let detail = seccomp_types_detail(&explicit, bad_types);
        return Some(Violation::new(ID, "seccompProfile", detail, span));
    }
    // No invalid type anywhere: a pod-level profile covers the containers without their own.
    if pod_security_context(pod.spec).is_some_and(|sc| sc.field("seccompProfile").is_some()) {
        return None;
    }
    let mut implicit = Setters::default();
    for c in containers(pod.spec) {
        if c.path(&["securityContext", "seccompProfile"]).is_none() {
            implicit.container(name(c), nearest(c, &["securityContext"]));
        }
    }
    let span = implicit.span?;
    let detail = format!(
        "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
        implicit.phrase()
    );
    Some(Violation::new(ID, "seccompProfile", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    super::seccomp_profile_baseline::fix_fields(c, true);
}

pub(super) const DOC: &str = r#"## What it checks
`seccompProfile.type` in the pod's `securityContext` and in every container's (init, regular and ephemeral):
- a pod-level `RuntimeDefault` or `Localhost` covers every container that sets no profile of its own;
- a container's own profile overrides the pod's and must itself be valid;
- a container with no profile of its own, in a pod without a valid one, fails;
- an invalid pod-level type fails even when every container sets a valid one.

## Allowed values
`RuntimeDefault` or `Localhost`. `Unconfined`, any other string and a missing `type` are violations, and so is leaving
a container without any profile.

## Versions
- **v1.19**: introduced; replaces `seccompProfile_baseline` at restricted level from v1.19. Below v1.19 the restricted
  level only checks the baseline annotations and requires no profile.
- **v1.25**: pods with `spec.os.name: windows` pass; otherwise as v1.19.

## Why
Seccomp filters the system calls a container may make; the runtime's default profile blocks the rarely needed calls
that most kernel exploits rely on.

## Example
```yaml
spec:
  containers:
  - name: app
    image: nginx
```
```text
seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")
```
An explicitly invalid type is reported instead when there is one, e.g.
`seccompProfile (containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined")`.

## Fix
No valid pod profile: pod-level `seccompProfile: {type: RuntimeDefault}` (**safe**). An existing profile object without a `type` gets `type: RuntimeDefault` (**safe**), or `type: Localhost` when it names a `localhostProfile` (the profile its author chose); an explicit forbidden type (`Unconfined`, ...) at pod or container level becomes `RuntimeDefault` (**unsafe**), dropping a `localhostProfile` that only `Localhost` may carry.
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn a_pod_level_profile_is_added_and_a_forbidden_one_replaced() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
  - name: debug
    image: busybox
    securityContext:
      seccompProfile:
        type: Unconfined
"#), @r#"
        unsafe: set container "debug" securityContext.seccompProfile type "Unconfined" → RuntimeDefault
        safe: add pod securityContext.seccompProfile.type: RuntimeDefault
        @@ -12,2 +12,5 @@
               seccompProfile:
        -        type: Unconfined
        +        type: RuntimeDefault
        +  securityContext:
        +    seccompProfile:
        +      type: RuntimeDefault
        "#);
    }

    #[test]
    fn a_profile_without_type_naming_a_localhost_profile_becomes_localhost() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    seccompProfile:
      localhostProfile: profiles/audit.json
  containers:
  - name: app
    image: nginx
"#), @"
        safe: set pod securityContext.seccompProfile type (no type) → Localhost
        @@ -8,2 +8,3 @@
               localhostProfile: profiles/audit.json
        +      type: Localhost
           containers:
        ");
    }

    #[test]
    fn a_profile_without_type_becomes_runtime_default() {
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
      seccompProfile: {localhostProfile: null}
"#), @r#"
        safe: set container "app" securityContext.seccompProfile type (no type) → RuntimeDefault
        @@ -9,2 +9,2 @@
             securityContext:
        -      seccompProfile: {localhostProfile: null}
        +      seccompProfile: {localhostProfile: null, type: RuntimeDefault}
        "#);
    }
}
