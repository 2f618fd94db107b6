//! `capabilities_restricted` (restricted, from 1.22): drop `ALL`, add nothing but `NET_BIND_SERVICE`.

use super::fixing::Fixer;
use super::{
    CheckInfo, Level, PodView, Setters, Violation, containers, is_windows, items, join_quote, name, nearest, sorted,
    string_value,
};

pub(super) const ID: &str = "capabilities_restricted";

pub(super) const INFO: CheckInfo = CheckInfo {
    overrides: &["capabilities_baseline"],
    overrides_from: 22,
    ..CheckInfo::new(ID, Level::Restricted, &[22, 25], DOC, evaluate, fix)
};

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    if variant >= 25 && is_windows(pod.spec) {
        return None;
    }
    let mut missing_drop = Setters::default();
    let mut adding = Setters::default();
    let mut caps = Vec::new();
    let mut span = None;
    for c in containers(pod.spec) {
        let capabilities = c.path(&["securityContext", "capabilities"]);
        let drops_all =
            capabilities.is_some_and(|caps| items(caps, "drop").iter().any(|d| string_value(d) == Some("ALL")));
        if !drops_all {
            let at = nearest(c, &["securityContext", "capabilities", "drop"]);
            missing_drop.container(name(c), at);
            span.get_or_insert(at);
        }
        let mut found = false;
        for item in capabilities.map_or(&[][..], |caps| items(caps, "add")) {
            if let Some(cap) = string_value(item)
                && cap != "NET_BIND_SERVICE"
            {
                caps.push(cap);
                if !found {
                    found = true;
                    adding.container(name(c), item.span);
                    span.get_or_insert(item.span);
                }
            }
        }
    }
    let span = span?;
    let mut parts = Vec::with_capacity(2);
    if !missing_drop.containers.is_empty() {
        parts.push(format!("{} must set securityContext.capabilities.drop=[\"ALL\"]", missing_drop.phrase()));
    }
    if !adding.containers.is_empty() {
        parts.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            adding.phrase(),
            join_quote(&sorted(caps))
        ));
    }
    Some(Violation::new(ID, "unrestricted capabilities", parts.join("; "), span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    super::capabilities_baseline::fix_containers(c, true);
}

pub(super) const DOC: &str = r#"## What it checks
`securityContext.capabilities` of every container (init, regular and ephemeral):
1. `drop` must contain `ALL` (exactly; `all`, or listing every capability, does not count). A container with no
   `securityContext` or no `capabilities` fails this part.
2. every entry of `add` must be `NET_BIND_SERVICE`.

## Allowed values
`drop: [ALL]`, and `add` empty or `[NET_BIND_SERVICE]`.

## Versions
- **v1.22**: introduced; replaces `capabilities_baseline` at restricted level from v1.22.
- **v1.25**: pods with `spec.os.name: windows` pass (Windows has no Linux capabilities); otherwise as v1.22.

## Why
Dropping every capability removes the root-like powers a container gets by default (e.g. `CHOWN`, `SETUID`, `KILL`,
`MKNOD`); only binding to ports below 1024 may be added back.

## Example
```yaml
spec:
  containers:
  - name: job
    image: busybox
    securityContext:
      capabilities:
        add: [NET_ADMIN, CHOWN]
```
```text
unrestricted capabilities (container "job" must set securityContext.capabilities.drop=["ALL"]; container "job" must not include "CHOWN", "NET_ADMIN" in securityContext.capabilities.add)
```

## Fix
Appends `ALL` to `capabilities.drop`, creating `securityContext`, `capabilities` and `drop` as needed (**safe**); removes `add` entries other than `NET_BIND_SERVICE` (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn all_is_dropped_and_adds_other_than_net_bind_service_removed() {
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
        add: [NET_BIND_SERVICE, CHOWN]
  - name: sidecar
    image: envoy
"#), @r#"
        safe: add ALL to container "app" securityContext.capabilities.drop
        unsafe: remove CHOWN from container "app" securityContext.capabilities.add
        safe: add ALL to container "sidecar" securityContext.capabilities.drop
        @@ -10,4 +10,10 @@
               capabilities:
        -        add: [NET_BIND_SERVICE, CHOWN]
        +        add: [NET_BIND_SERVICE]
        +        drop:
        +        - ALL
           - name: sidecar
             image: envoy
        +    securityContext:
        +      capabilities:
        +        drop:
        +        - ALL
        "#);
    }
}
