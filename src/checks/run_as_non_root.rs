//! `runAsNonRoot` (restricted): the pod or every container must require a non-root user.

use super::fixing::{Class, Fixer, Scalar, set};
use super::{
    CheckInfo, Level, PodView, Setters, Violation, containers, host_users_false, name, nearest, pod_security_context,
};
use crate::yaml::Node;

pub(super) const ID: &str = "runAsNonRoot";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Restricted, &[0, 35], DOC, evaluate, fix);

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    if variant >= 35 && host_users_false(pod.spec) {
        return None;
    }
    let mut explicit = Setters::default();
    let mut implicit = Setters::default();
    let pod_field = pod_security_context(pod.spec).and_then(|sc| sc.field("runAsNonRoot"));
    let pod_value = pod_field.and_then(Node::as_bool);
    if let Some(node) = pod_field
        && pod_value == Some(false)
    {
        explicit.pod(node.span);
    }
    for c in containers(pod.spec) {
        let field = c.path(&["securityContext", "runAsNonRoot"]);
        match field.and_then(|node| Some((node, node.as_bool()?))) {
            Some((_, true)) => {}
            Some((node, false)) => explicit.container(name(c), node.span),
            None if pod_value != Some(true) => {
                implicit.container(name(c), nearest(c, &["securityContext", "runAsNonRoot"]));
            }
            None => {}
        }
    }
    if let Some(span) = explicit.span {
        let detail = format!("{} must not set securityContext.runAsNonRoot=false", explicit.phrase());
        return Some(Violation::new(ID, "runAsNonRoot != true", detail, span));
    }
    let span = implicit.span?;
    let detail = format!("pod or {} must set securityContext.runAsNonRoot=true", implicit.phrase());
    Some(Violation::new(ID, "runAsNonRoot != true", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let field = ["securityContext", "runAsNonRoot"];
    let pod = c.spec.path(&field).and_then(Node::as_bool);
    if pod == Some(false) {
        let note = "set pod securityContext.runAsNonRoot: false → true".into();
        c.push_needing_non_root_image(Class::Unsafe, vec![set(c.at(&field), Scalar::Bool(true))], note);
    }
    let mut inherit = false;
    for k in c.containers() {
        match k.node.path(&field).and_then(Node::as_bool) {
            Some(false) => {
                let note = format!("set {} securityContext.runAsNonRoot: false → true", k.label());
                c.push_needing_non_root_image(Class::Unsafe, vec![set(k.at(&field), Scalar::Bool(true))], note);
            }
            None => inherit = true,
            Some(true) => {}
        }
    }
    // Containers that set nothing inherit one pod-level value.
    if inherit && pod.is_none() {
        let mut ops = vec![set(c.at(&field), Scalar::Bool(true))];
        let mut note = "add pod securityContext.runAsNonRoot: true".to_owned();
        if let Some(uid) = c.opts.run_as_user
            && c.spec.path(&["securityContext", "runAsUser"]).is_none()
        {
            ops.push(set(c.at(&["securityContext", "runAsUser"]), Scalar::Int(uid)));
            note.push_str(&format!(" and runAsUser: {uid}"));
        }
        c.push_needing_non_root_image(Class::Safe, ops, note);
    }
}

pub(super) const DOC: &str = r#"## What it checks
`runAsNonRoot` in the pod's `securityContext` and in every container's (init, regular and ephemeral):
- a pod-level `true` covers every container that does not set the field itself;
- a container's own value overrides the pod's;
- an explicit `false` anywhere fails, including at pod level when every container sets `true`.

`runAsUser` is not considered: a non-zero `runAsUser` does not satisfy this check.

## Allowed values
`true` at pod level (and no container setting `false`), or `true` on every container (and the pod not setting
`false`).

## Versions
- **v1.0**: as above.
- **v1.35**: a pod with `spec.hostUsers: false` (its own user namespace) passes; otherwise as v1.0.

There is no Windows exemption.

## Why
Requiring a non-root user makes the kubelet refuse to start a container whose image would run as UID 0, the user that
turns any container escape into root on the node.

## Example
```yaml
spec:
  containers:
  - name: app
    image: nginx
```
`runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)`. An explicit `false` is
reported instead when there is one: `runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)`.

## Fix
Absent: pod-level `runAsNonRoot: true` (**safe**), once for the pod; containers that do not set their own value inherit it, so no container-level copies are added. An explicit `false` at pod or container level becomes `true` (**unsafe**). With `--run-as-user UID`, a pod-level `runAsUser: UID` is added beside it when the pod sets none. The kubelet refuses to start a `runAsNonRoot` container whose image `USER` is root or a name.
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::{fixed, fixed_with};
    use super::super::{PolicyVersion, fixing::FixOptions};

    #[test]
    fn one_pod_level_value_covers_the_containers() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
  - name: sidecar
    image: envoy
    securityContext:
      runAsNonRoot: false
"#), @r#"
        unsafe: set container "sidecar" securityContext.runAsNonRoot: false → true
        safe: add pod securityContext.runAsNonRoot: true
        @@ -11,2 +11,4 @@
             securityContext:
        -      runAsNonRoot: false
        +      runAsNonRoot: true
        +  securityContext:
        +    runAsNonRoot: true
        "#);
    }

    #[test]
    fn with_run_as_user_the_uid_is_added_beside_it() {
        insta::assert_snapshot!(fixed_with(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
"#, PolicyVersion::LATEST, &FixOptions { run_as_user: Some(1000) }), @"
        safe: add pod securityContext.runAsNonRoot: true and runAsUser: 1000
        @@ -8 +8,4 @@
             image: nginx
        +  securityContext:
        +    runAsNonRoot: true
        +    runAsUser: 1000
        ");
    }
}
