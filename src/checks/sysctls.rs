//! `sysctls` (baseline): only the namespaced, safe sysctls.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, remove_items};
use super::{CheckInfo, Level, PodView, Violation, items, pod_security_context, string_or_empty};

pub(super) const ID: &str = "sysctls";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0, 27, 29, 32, 37], DOC, evaluate, fix);

/// The allowed sysctl names, each with the variant that added it.
const ALLOWED: [(u32, &str); 14] = [
    (0, "kernel.shm_rmid_forced"),
    (0, "net.ipv4.ip_local_port_range"),
    (0, "net.ipv4.tcp_syncookies"),
    (0, "net.ipv4.ping_group_range"),
    (0, "net.ipv4.ip_unprivileged_port_start"),
    (27, "net.ipv4.ip_local_reserved_ports"),
    (29, "net.ipv4.tcp_keepalive_time"),
    (29, "net.ipv4.tcp_fin_timeout"),
    (29, "net.ipv4.tcp_keepalive_intvl"),
    (29, "net.ipv4.tcp_keepalive_probes"),
    (32, "net.ipv4.tcp_rmem"),
    (32, "net.ipv4.tcp_wmem"),
    (37, "net.ipv4.tcp_slow_start_after_idle"),
    (37, "net.ipv4.tcp_notsent_lowat"),
];

pub(super) fn allowed(variant: u32, sysctl: &str) -> bool {
    ALLOWED.iter().any(|&(since, name)| since <= variant && name == sysctl)
}

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    let sysctls = pod_security_context(pod.spec).map_or(&[][..], |sc| items(sc, "sysctls"));
    let forbidden =
        || sysctls.iter().map(|s| (s, string_or_empty(s, &["name"]))).filter(|(_, name)| !allowed(variant, name));
    let span = forbidden().next()?.0.span;
    let detail = forbidden().map(|(_, name)| name).collect::<Vec<_>>().join(", ");
    Some(Violation::new(ID, "forbidden sysctls", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let field = ["securityContext", "sysctls"];
    let bad: Vec<(usize, String)> = c
        .spec
        .path(&field)
        .map_or(&[][..], Node::items)
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let name = string_or_empty(s, &["name"]);
            (!allowed(c.minor, name)).then(|| (i, name.to_owned()))
        })
        .collect();
    if !bad.is_empty() {
        let (ops, names) = remove_items(&c.at(&field), &bad);
        c.push(Class::Unsafe, ops, format!("remove sysctls {}", names.join(", ")));
    }
}

pub(super) const DOC: &str = r#"## What it checks
`spec.securityContext.sysctls[*].name`: an exact match (no `/`-to-`.` conversion, so `net/ipv4/tcp_syncookies` is
forbidden). The values are not inspected.

## Allowed values
- v1.0: `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
  `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`
- v1.27: + `net.ipv4.ip_local_reserved_ports`
- v1.29: + `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`,
  `net.ipv4.tcp_keepalive_probes`
- v1.32: + `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`
- v1.37: + `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat`

## Versions
- **v1.0**, **v1.27**, **v1.29**, **v1.32**, **v1.37**: each adds the names listed above. The v1.37 variant exists only
  in the unreleased v0.37 library; released libraries (v0.35, v0.36) stop at v1.32's list.

## Why
Only these sysctls are namespaced and isolated from other pods and the node; any other may change kernel behaviour for
the whole node.

## Example
```yaml
spec:
  securityContext:
    sysctls:
    - {name: kernel.msgmax, value: "65536"}
    - {name: net.ipv4.tcp_syncookies, value: "1"}
  containers:
  - name: app
    image: nginx
```
`forbidden sysctls (kernel.msgmax)`. The names are unquoted, in the pod's order, duplicates kept.

## Fix
Removes the forbidden entries of `securityContext.sysctls` (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn forbidden_sysctls_are_removed() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    sysctls:
    - name: kernel.msgmax
      value: "65536"
    - name: net.ipv4.ip_local_port_range
      value: 1024 65535
    - name: kernel.shm_rmid_forced
      value: "1"
  containers:
  - name: app
    image: nginx
"#), @r#"
        unsafe: remove sysctls kernel.msgmax
        @@ -7,4 +7,2 @@
             sysctls:
        -    - name: kernel.msgmax
        -      value: "65536"
             - name: net.ipv4.ip_local_port_range
        "#);
    }
}
