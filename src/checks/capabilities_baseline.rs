//! `capabilities_baseline` (baseline): containers may only add the default capabilities.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, Scalar, append, remove_items};
use super::{CheckInfo, Level, PodView, Setters, Violation, containers, items, join_quote, name, sorted, string_value};

pub(super) const ID: &str = "capabilities_baseline";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0], DOC, evaluate, fix);

/// The capabilities a container may add (exact, case-sensitive, no `CAP_` prefix).
const ALLOWED: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

pub(super) fn allowed(capability: &str) -> bool {
    ALLOWED.contains(&capability)
}

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let mut bad = Setters::default();
    let mut caps = Vec::new();
    for c in containers(pod.spec) {
        let Some(capabilities) = c.path(&["securityContext", "capabilities"]) else {
            continue;
        };
        let mut found = false;
        for item in items(capabilities, "add") {
            if let Some(cap) = string_value(item)
                && !allowed(cap)
            {
                caps.push(cap);
                if !found {
                    found = true;
                    bad.container(name(c), item.span);
                }
            }
        }
    }
    let span = bad.span?;
    let detail =
        format!("{} must not include {} in securityContext.capabilities.add", bad.phrase(), join_quote(&sorted(caps)));
    Some(Violation::new(ID, "non-default capabilities", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    fix_containers(c, false);
}

/// Per container: with `restricted`, `ALL` appended to `drop` (safe); the `add` entries the level
/// forbids removed (unsafe).
pub(super) fn fix_containers(c: &mut Fixer, restricted: bool) {
    for k in c.containers() {
        let caps = k.node.path(&["securityContext", "capabilities"]);
        let drop_all =
            caps.and_then(|cp| cp.field("drop")).is_some_and(|d| d.items().iter().any(|x| x.as_str() == Some("ALL")));
        if restricted && !drop_all {
            let op = append(k.at(&["securityContext", "capabilities", "drop"]), Scalar::Str("ALL".into()));
            c.push(Class::Safe, vec![op], format!("add ALL to {} securityContext.capabilities.drop", k.label()));
        }
        let adds = caps.and_then(|cp| cp.field("add")).map_or(&[][..], Node::items);
        let bad: Vec<(usize, String)> = adds
            .iter()
            .enumerate()
            .filter_map(|(i, x)| {
                let s = x.as_str().unwrap_or("");
                let ok = if restricted { s == "NET_BIND_SERVICE" } else { allowed(s) };
                (!ok).then(|| (i, s.to_owned()))
            })
            .collect();
        if !bad.is_empty() {
            let (ops, names) = remove_items(&k.at(&["securityContext", "capabilities", "add"]), &bad);
            let note = format!("remove {} from {} securityContext.capabilities.add", names.join(", "), k.label());
            c.push(Class::Unsafe, ops, note);
        }
    }
}

pub(super) const DOC: &str = r#"## What it checks
`securityContext.capabilities.add` of every container: init containers, containers and ephemeral containers.
`capabilities.drop` is not inspected.

## Allowed values
Only the container runtime's default capabilities: `AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`,
`MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`, `SYS_CHROOT`. The match is exact: `chown` and
`CAP_CHOWN` are violations.

## Versions
- **v1.0**: the only variant. At restricted level from v1.22 it is replaced by `capabilities_restricted`; below v1.22
  it also runs at restricted level.

## Why
Capabilities beyond the default set, such as `SYS_ADMIN`, `NET_ADMIN` or `SYS_PTRACE`, grant powers that are close to
root on the node and are a common route to container escape.

## Example
```yaml
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      capabilities:
        add: [NET_ADMIN, CHOWN]
```
`non-default capabilities (container "app" must not include "NET_ADMIN" in securityContext.capabilities.add)`

## Fix
Removes the `add` entries outside the baseline set (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn added_capabilities_outside_the_baseline_set_are_removed() {
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
      capabilities:
        add: [CHOWN, NET_ADMIN, SYS_TIME]
"#), @r#"
        unsafe: remove NET_ADMIN, SYS_TIME from container "app" securityContext.capabilities.add
        @@ -10,2 +10,2 @@
               capabilities:
        -        add: [CHOWN, NET_ADMIN, SYS_TIME]
        +        add: [CHOWN]
        "#);
    }
}
