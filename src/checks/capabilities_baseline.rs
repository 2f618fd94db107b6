//! `capabilities_baseline` (baseline): containers may only add the default capabilities.

use super::{CheckInfo, Level, PodView, Setters, Violation, containers, items, join_quote, name, sorted, string_value};

pub(super) const ID: &str = "capabilities_baseline";

pub(super) const INFO: CheckInfo =
    CheckInfo { id: ID, level: Level::Baseline, variants: &[0], overrides: &[], overrides_from: 0, doc: DOC };

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
"#;
