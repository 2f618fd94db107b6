//! `runAsUser` (restricted, from 1.23): no explicit user ID 0.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, Scalar, remove, set};
use super::{CheckInfo, Level, PodView, Setters, Violation, host_users_false, security_contexts};

pub(super) const ID: &str = "runAsUser";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Restricted, &[23, 35], DOC, evaluate, fix);

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

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let field = ["securityContext", "runAsUser"];
    let root = |n: &Node| n.path(&field).and_then(Node::as_i64) == Some(0);
    let pod = root(c.spec).then(|| (c.at(&field), "pod".to_owned()));
    let containers = c.containers().filter(|k| root(k.node)).map(|k| (k.at(&field), k.label()));
    let places: Vec<_> = pod.into_iter().chain(containers).collect();
    for (route, who) in places {
        let (op, note) = match c.opts.run_as_user {
            Some(uid) => (set(route, Scalar::Int(uid)), format!("set {who} runAsUser: 0 → {uid}")),
            None => (remove(route), format!("remove runAsUser: 0 from {who}")),
        };
        c.push(Class::Unsafe, vec![op], note);
    }
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

## Fix
Removes `runAsUser: 0` at pod and container level, or sets it to `--run-as-user UID` when given (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::{fixed, fixed_with};
    use super::super::{PolicyVersion, fixing::FixOptions};

    #[test]
    fn a_root_uid_is_removed() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsUser: 0
  containers:
  - name: app
    image: nginx
"#), @"
        unsafe: remove runAsUser: 0 from pod
        @@ -5,4 +5,3 @@
         spec:
        -  securityContext:
        -    runAsUser: 0
        +  securityContext: {}
           containers:
        ");
    }

    #[test]
    fn with_run_as_user_a_root_uid_is_replaced() {
        insta::assert_snapshot!(fixed_with(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      runAsUser: 0
"#, PolicyVersion::LATEST, &FixOptions { run_as_user: Some(1000) }), @r#"
        unsafe: set container "app" runAsUser: 0 → 1000
        @@ -9,2 +9,2 @@
             securityContext:
        -      runAsUser: 0
        +      runAsUser: 1000
        "#);
    }
}
