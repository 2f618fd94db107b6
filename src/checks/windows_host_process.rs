//! `windowsHostProcess` (baseline): no Windows HostProcess containers.

use crate::yaml::Node;

use super::fixing::{Class, Fixer, Scalar, container_bools_to_false, set};
use super::{CheckInfo, Level, PodView, Setters, Violation, security_contexts};

pub(super) const ID: &str = "windowsHostProcess";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0], DOC, evaluate, fix);

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let mut setters = Setters::default();
    for (owner, sc) in security_contexts(pod.spec) {
        if let Some(node) = sc.path(&["windowsOptions", "hostProcess"])
            && node.as_bool() == Some(true)
        {
            setters.add(owner, node.span);
        }
    }
    let span = setters.span?;
    let detail = format!("{} must not set securityContext.windowsOptions.hostProcess=true", setters.phrase());
    Some(Violation::new(ID, "hostProcess", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let path = ["securityContext", "windowsOptions", "hostProcess"];
    if c.spec.path(&path).and_then(Node::as_bool) == Some(true) {
        let note = "set pod securityContext.windowsOptions.hostProcess: true → false".into();
        c.push(Class::Unsafe, vec![set(c.at(&path), Scalar::Bool(false))], note);
    }
    container_bools_to_false(c, &path);
}

pub(super) const DOC: &str = r#"## What it checks
`windowsOptions.hostProcess` in the pod's `securityContext` and in every container's (init, regular and ephemeral).

## Allowed values
Unset, `null` or `false`. `true` is a violation.

## Versions
- **v1.0**: the only variant. There is no exemption for Windows pods: this check is about them.

## Why
A Windows HostProcess container runs directly on the host, with access to its network, processes and file system: the
Windows counterpart of a privileged container.

## Example
```yaml
spec:
  os: {name: windows}
  hostNetwork: true
  securityContext:
    windowsOptions: {hostProcess: true}
  containers:
  - name: app
    image: mcr.microsoft.com/windows/nanoserver
```
`hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)`. HostProcess pods also need
`hostNetwork: true`, which `hostNamespaces` reports.

## Fix
`hostProcess: true` → `false` at pod and container level (**unsafe**).
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn host_process_becomes_false() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    windowsOptions:
      hostProcess: true
  containers:
  - name: app
    image: nginx
    securityContext:
      windowsOptions:
        hostProcess: true
"#), @r#"
        unsafe: set pod securityContext.windowsOptions.hostProcess: true → false
        unsafe: set container "app" securityContext.windowsOptions.hostProcess: true → false
        @@ -7,3 +7,3 @@
             windowsOptions:
        -      hostProcess: true
        +      hostProcess: false
           containers:
        @@ -13,2 +13,2 @@
               windowsOptions:
        -        hostProcess: true
        +        hostProcess: false
        "#);
    }
}
