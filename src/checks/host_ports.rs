//! `hostPorts` (baseline): no container port may be bound to a host port.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, index, join, remove};
use super::{CheckInfo, Level, PodView, Setters, Violation, containers, items, name, plural, sorted};

pub(super) const ID: &str = "hostPorts";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0], DOC, evaluate, fix);

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let mut bad = Setters::default();
    let mut ports = Vec::new();
    for c in containers(pod.spec) {
        let mut found = false;
        for port in items(c, "ports") {
            if let Some(node) = port.field("hostPort")
                && let Some(host_port) = node.as_i64()
                && host_port != 0
            {
                ports.push(host_port.to_string());
                if !found {
                    found = true;
                    bad.container(name(c), node.span);
                }
            }
        }
    }
    let span = bad.span?;
    let ports = sorted(ports);
    let detail = format!(
        "{} {} {} {}",
        bad.phrase(),
        plural(bad.containers.len(), "uses", "use"),
        plural(ports.len(), "hostPort", "hostPorts"),
        ports.join(", ")
    );
    Some(Violation::new(ID, "hostPort", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    for k in c.containers() {
        for (i, p) in items(k.node, "ports").iter().enumerate() {
            let port = p.field("hostPort").and_then(Node::as_i64).unwrap_or(0);
            if port != 0 {
                let route = join(&index(k.at(&["ports"]), i), &["hostPort"]);
                c.push(Class::Unsafe, vec![remove(route)], format!("remove hostPort {port} from {}", k.label()));
            }
        }
    }
}

pub(super) const DOC: &str = r#"## What it checks
`ports[*].hostPort` of every container: init containers, containers and ephemeral containers.

## Allowed values
Unset or `0`. Any other value is a violation.

## Versions
- **v1.0**: the only variant; unchanged since.

## Why
A host port binds the container to a port of the node itself, bypassing network policies that apply to pod IPs and
limiting scheduling to nodes where the port is free.

## Example
```yaml
spec:
  containers:
  - name: web
    image: nginx
    ports:
    - containerPort: 80
      hostPort: 8080
```
`hostPort (container "web" uses hostPort 8080)`. With several, the ports are distinct and sorted as strings:
`containers "b", "c" use hostPorts 10, 20, 30`.

On a live cluster, `hostNetwork: true` makes the API server default every `hostPort` to its `containerPort`, so such
pods also fail this check there.

## Fix
Removes the `hostPort` field of each port that sets one (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn host_ports_are_removed() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    ports:
    - containerPort: 80
      hostPort: 8080
    - containerPort: 443
"#), @r#"
        unsafe: remove hostPort 8080 from container "app"
        @@ -10,3 +10,2 @@
             - containerPort: 80
        -      hostPort: 8080
             - containerPort: 443
        "#);
    }
}
