//! `allowPrivilegeEscalation` (restricted, from 1.8): every container must disable privilege escalation.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, Scalar, class_of, set};
use super::{CheckInfo, Level, PodView, Setters, Violation, containers, is_windows, name, nearest};

pub(super) const ID: &str = "allowPrivilegeEscalation";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Restricted, &[8, 25], DOC, evaluate, fix);

const FIELD: [&str; 2] = ["securityContext", "allowPrivilegeEscalation"];

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    if variant >= 25 && is_windows(pod.spec) {
        return None;
    }
    let mut bad = Setters::default();
    for c in containers(pod.spec) {
        if c.path(&FIELD).and_then(|n| n.as_bool()) != Some(false) {
            bad.container(name(c), nearest(c, &FIELD));
        }
    }
    let span = bad.span?;
    let detail = format!("{} must set securityContext.allowPrivilegeEscalation=false", bad.phrase());
    Some(Violation::new(ID, "allowPrivilegeEscalation != false", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    for k in c.containers() {
        let v = k.node.path(&FIELD);
        let was = v.and_then(Node::as_bool);
        if was == Some(false) {
            continue;
        }
        // `allowPrivilegeEscalation: false` beside `privileged: true` or an added SYS_ADMIN is
        // rejected by API validation: only write it together with those unsafe fixes.
        let privileged = k.node.path(&["securityContext", "privileged"]).and_then(Node::as_bool) == Some(true);
        let sys_admin = k
            .node
            .path(&["securityContext", "capabilities", "add"])
            .is_some_and(|a| a.items().iter().any(|x| matches!(x.as_str(), Some("SYS_ADMIN" | "CAP_SYS_ADMIN"))));
        let class = if privileged || sys_admin { Class::Unsafe } else { class_of(v) };
        let note = match was {
            Some(true) => format!("set {} securityContext.allowPrivilegeEscalation: true → false", k.label()),
            _ => format!("add {} securityContext.allowPrivilegeEscalation: false", k.label()),
        };
        c.push(class, vec![set(k.at(&FIELD), Scalar::Bool(false))], note);
    }
}

pub(super) const DOC: &str = r#"## What it checks
`securityContext.allowPrivilegeEscalation` of every container: init containers, containers and ephemeral containers.
There is no pod-level field.

## Allowed values
Only an explicit `false`. Unset (including a container without `securityContext`) and `true` are violations.

## Versions
- **v1.8**: introduced (the field appeared in Kubernetes 1.8); absent at v1.7 and older.
- **v1.25**: pods with `spec.os.name: windows` pass; otherwise as v1.8.

## Why
With privilege escalation allowed, a process can gain more privileges than its parent, e.g. through setuid binaries
or file capabilities. Setting it to `false` sets the kernel's `no_new_privs` flag.

## Example
```yaml
spec:
  containers:
  - name: app
    image: nginx
```
`allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)`

## Fix
Per container (init, regular, ephemeral): absent → `allowPrivilegeEscalation: false` (**safe**); `true` → `false` (**unsafe**). Beside `privileged: true` or an added `SYS_ADMIN` the API server rejects `false`, so there the fix is **unsafe** and goes together with those fixes.
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn absent_is_safe_and_true_is_unsafe() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: nginx
    securityContext:
      allowPrivilegeEscalation: true
"#), @r#"
        safe: add container "init" securityContext.allowPrivilegeEscalation: false
        unsafe: set container "app" securityContext.allowPrivilegeEscalation: true → false
        @@ -8,2 +8,4 @@
             image: busybox
        +    securityContext:
        +      allowPrivilegeEscalation: false
           containers:
        @@ -12,2 +14,2 @@
             securityContext:
        -      allowPrivilegeEscalation: true
        +      allowPrivilegeEscalation: false
        "#);
    }

    #[test]
    fn beside_privileged_even_absent_is_unsafe() {
        // The API server rejects `allowPrivilegeEscalation: false` beside `privileged: true`: the
        // fix goes with privileged's (unsafe) fix, never alone.
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
      privileged: true
"#), @r#"
        unsafe: add container "app" securityContext.allowPrivilegeEscalation: false
        @@ -10 +10,2 @@
               privileged: true
        +      allowPrivilegeEscalation: false
        "#);
    }
}
