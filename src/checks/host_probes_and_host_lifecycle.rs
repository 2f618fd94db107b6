//! `hostProbesAndHostLifecycle` (baseline, from 1.34): probes and lifecycle handlers must not name a host.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, remove};
use super::{CheckInfo, Level, PodView, Violation, containers, containers_phrase, join_quote, name, plural, sorted};

pub(super) const ID: &str = "hostProbesAndHostLifecycle";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[34], DOC, evaluate, fix);

/// The handlers inspected, in the order they are visited within a container.
const HANDLERS: [&[&str]; 5] = [
    &["livenessProbe"],
    &["readinessProbe"],
    &["startupProbe"],
    &["lifecycle", "postStart"],
    &["lifecycle", "preStop"],
];

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let mut names = Vec::new();
    let mut hosts = Vec::new();
    let mut span = None;
    for c in containers(pod.spec) {
        for handler in HANDLERS.iter().filter_map(|path| c.path(path)) {
            for action in ["httpGet", "tcpSocket"] {
                if let Some(node) = handler.path(&[action, "host"])
                    && let Some(host) = node.as_str()
                    && !host.is_empty()
                {
                    names.push(name(c));
                    hosts.push(host);
                    span.get_or_insert(node.span);
                }
            }
        }
    }
    let span = span?;
    let (names, hosts) = (sorted(names), sorted(hosts));
    let detail = format!(
        "{} {} {} {}",
        containers_phrase(&names),
        plural(names.len(), "uses", "use"),
        plural(hosts.len(), "probe or lifecycle host", "probe or lifecycle hosts"),
        join_quote(&hosts)
    );
    Some(Violation::new(ID, "probe or lifecycle host", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    for k in c.containers() {
        for slot in HANDLERS {
            for handler in ["httpGet", "tcpSocket"] {
                let path = [slot, &[handler, "host"]].concat();
                if k.node.path(&path).and_then(Node::as_str).is_some_and(|h| !h.is_empty()) {
                    let note = format!("remove {} from {}", path.join("."), k.label());
                    c.push(Class::Unsafe, vec![remove(k.at(&path))], note);
                }
            }
        }
    }
}

pub(super) const DOC: &str = r#"## What it checks
The `host` of the `httpGet` and `tcpSocket` handlers of every container's `livenessProbe`, `readinessProbe`,
`startupProbe`, `lifecycle.postStart` and `lifecycle.preStop` (init, regular and ephemeral containers). `exec`, `grpc`
and `sleep` handlers are not inspected.

## Allowed values
Unset or `""` (the kubelet then uses the pod IP). Any other host is a violation, including `localhost`, `127.0.0.1`
and `::1`.

## Versions
- **v1.34**: the only variant. The check does not exist at v1.33 and older.

## Why
The kubelet makes probe and lifecycle requests from the node. A host of the pod's choosing turns them into requests
from the node's network position to any address: a way to reach node-local or otherwise unreachable services.

## Example
```yaml
spec:
  containers:
  - name: app
    image: nginx
    livenessProbe:
      httpGet: {host: 127.0.0.1, path: /healthz, port: 8080}
```
`probe or lifecycle host (container "app" uses probe or lifecycle host "127.0.0.1")`. Unlike other checks, the container
names are sorted and de-duplicated, like the hosts.

## Fix
Removes the `host` field of the probe or lifecycle handler (**unsafe**): the kubelet then uses the pod IP.
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn probe_and_lifecycle_hosts_are_removed() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    livenessProbe:
      httpGet:
        host: example.com
        port: 80
    lifecycle:
      preStop:
        tcpSocket:
          host: 10.0.0.1
          port: 80
"#), @r#"
        unsafe: remove livenessProbe.httpGet.host from container "app"
        unsafe: remove lifecycle.preStop.tcpSocket.host from container "app"
        @@ -10,3 +10,2 @@
               httpGet:
        -        host: example.com
                 port: 80
        @@ -15,3 +14,2 @@
                 tcpSocket:
        -          host: 10.0.0.1
                   port: 80
        "#);
    }
}
