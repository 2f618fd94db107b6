//! `runAsNonRoot` (restricted): the pod or every container must require a non-root user.

use super::{
    CheckInfo, Level, PodView, Setters, Violation, containers, host_users_false, name, nearest, pod_security_context,
};
use crate::yaml::Node;

pub(super) const ID: &str = "runAsNonRoot";

pub(super) const INFO: CheckInfo =
    CheckInfo { id: ID, level: Level::Restricted, variants: &[0, 35], overrides: &[], overrides_from: 0, doc: DOC };

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
"#;
