//! `hostNamespaces` (baseline): the pod must not share the host's network, PID or IPC namespace.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, Scalar, set};
use super::{CheckInfo, Level, PodView, Violation};

pub(super) const ID: &str = "hostNamespaces";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0], DOC, evaluate, fix);

/// The fields, in the fixed order PSA reports them.
const FIELDS: [&str; 3] = ["hostNetwork", "hostPID", "hostIPC"];

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let set = FIELDS.map(|key| pod.spec.field(key).filter(|n| n.as_bool() == Some(true)));
    let span = set.iter().flatten().next()?.span;
    let detail = FIELDS
        .iter()
        .zip(&set)
        .filter(|(_, node)| node.is_some())
        .map(|(key, _)| format!("{key}=true"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Violation::new(ID, "host namespaces", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    for f in FIELDS {
        if c.spec.field(f).and_then(Node::as_bool) == Some(true) {
            c.push(Class::Unsafe, vec![set(c.at(&[f]), Scalar::Bool(false))], format!("set {f}: true → false"));
        }
    }
}

pub(super) const DOC: &str = r#"## What it checks
The pod-level booleans `spec.hostNetwork`, `spec.hostPID` and `spec.hostIPC`.

## Allowed values
Unset, `null` or `false` (these are plain booleans: unset is the same as `false`). `true` is a violation.

## Versions
- **v1.0**: the only variant; unchanged since.

## Why
Sharing the host's network namespace exposes the node's interfaces and loopback services; sharing its PID namespace
lets the pod see and signal host processes; sharing its IPC namespace exposes host shared memory.

## Example
```yaml
spec:
  hostNetwork: true
  hostPID: true
  containers:
  - name: app
    image: nginx
```
`host namespaces (hostNetwork=true, hostPID=true)`. The fields are always listed in the order `hostNetwork`, `hostPID`,
`hostIPC`.

## Fix
`hostNetwork`/`hostPID`/`hostIPC: true` → `false` (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn host_namespaces_are_turned_off() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: false
  containers:
  - name: app
    image: nginx
"#), @"
        unsafe: set hostNetwork: true → false
        unsafe: set hostPID: true → false
        @@ -5,4 +5,4 @@
         spec:
        -  hostNetwork: true
        -  hostPID: true
        +  hostNetwork: false
        +  hostPID: false
           hostIPC: false
        ");
    }
}
