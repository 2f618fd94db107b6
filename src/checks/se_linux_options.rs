//! `seLinuxOptions` (baseline): only the container SELinux types, and no user or role.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, join, remove};
use super::{
    CheckInfo, Level, PodView, Setters, Violation, join_quote, plural, security_contexts, sorted, string_or_empty,
};

pub(super) const ID: &str = "seLinuxOptions";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0, 31], DOC, evaluate, fix);

pub(super) fn allowed_type(variant: u32, selinux_type: &str) -> bool {
    matches!(selinux_type, "" | "container_t" | "container_init_t" | "container_kvm_t")
        || (variant >= 31 && selinux_type == "container_engine_t")
}

pub(super) fn evaluate(pod: &PodView<'_>, variant: u32) -> Option<Violation> {
    let mut setters = Setters::default();
    let mut bad_types = Vec::new();
    let (mut user_set, mut role_set) = (false, false);
    for (owner, sc) in security_contexts(pod.spec) {
        let Some(options) = sc.field("seLinuxOptions") else {
            continue;
        };
        let mut first_bad = None;
        let selinux_type = string_or_empty(options, &["type"]);
        if !allowed_type(variant, selinux_type) {
            bad_types.push(selinux_type);
            first_bad = options.field("type");
        }
        for (key, set) in [("user", &mut user_set), ("role", &mut role_set)] {
            if let Some(node) = options.field(key)
                && !node.as_str().unwrap_or_default().is_empty()
            {
                *set = true;
                first_bad = first_bad.or(Some(node));
            }
        }
        if let Some(node) = first_bad {
            setters.add(owner, node.span);
        }
    }
    let span = setters.span?;
    let bad_types = sorted(bad_types);
    let mut data = Vec::with_capacity(3);
    if !bad_types.is_empty() {
        data.push(format!("{} {}", plural(bad_types.len(), "type", "types"), join_quote(&bad_types)));
    }
    if user_set {
        data.push("user may not be set".to_owned());
    }
    if role_set {
        data.push("role may not be set".to_owned());
    }
    let detail = format!("{} set forbidden securityContext.seLinuxOptions: {}", setters.phrase(), data.join("; "));
    Some(Violation::new(ID, "seLinuxOptions", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let field = ["securityContext", "seLinuxOptions"];
    let pod = c.spec.path(&field).map(|o| (c.at(&field), o, "pod".to_owned()));
    let containers = c.containers().filter_map(|k| k.node.path(&field).map(|o| (k.at(&field), o, k.label())));
    let places: Vec<_> = pod.into_iter().chain(containers).collect();
    for (base, o, who) in places {
        let mut ops = Vec::new();
        let mut what = Vec::new();
        for f in ["user", "role"] {
            if o.field(f).and_then(Node::as_str).is_some_and(|s| !s.is_empty()) {
                ops.push(remove(join(&base, &[f])));
                what.push(f.to_owned());
            }
        }
        if let Some(t) = o.field("type").and_then(Node::as_str)
            && !allowed_type(c.minor, t)
        {
            ops.push(remove(join(&base, &["type"])));
            what.push(format!("type {t}"));
        }
        if !ops.is_empty() {
            c.push(Class::Unsafe, ops, format!("remove seLinuxOptions {} from {who}", what.join(", ")));
        }
    }
}

pub(super) const DOC: &str = r#"## What it checks
`seLinuxOptions.type`, `.user` and `.role` in the pod's `securityContext` and in every container's (init, regular and
ephemeral). `level` is not restricted.

## Allowed values
- `type`: unset, `""`, `container_t`, `container_init_t`, `container_kvm_t`, and from v1.31 `container_engine_t`.
- `user` and `role`: unset or `""`.

## Versions
- **v1.0**: the types `container_t`, `container_init_t`, `container_kvm_t`.
- **v1.31**: adds `container_engine_t`.

## Why
A custom SELinux type, user or role can give the container a more permissive domain than the runtime's, for instance
an unconfined or host-administration type.

## Example
```yaml
spec:
  securityContext:
    seLinuxOptions: {type: spc_t}
  containers:
  - name: app
    image: nginx
    securityContext:
      seLinuxOptions: {user: system_u}
```
```text
seLinuxOptions (pod and container "app" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)
```

## Fix
Removes `user` and `role`, and a forbidden `type` (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn user_role_and_forbidden_type_are_removed() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    seLinuxOptions:
      level: s0:c123,c456
      type: spc_t
  containers:
  - name: app
    image: nginx
    securityContext:
      seLinuxOptions:
        user: system_u
        role: system_r
"#), @r#"
        unsafe: remove seLinuxOptions type spc_t from pod
        unsafe: remove seLinuxOptions user, role from container "app"
        @@ -8,3 +8,2 @@
               level: s0:c123,c456
        -      type: spc_t
           containers:
        @@ -13,4 +12,2 @@
             securityContext:
        -      seLinuxOptions:
        -        user: system_u
        -        role: system_r
        +      seLinuxOptions: {}
        "#);
    }
}
