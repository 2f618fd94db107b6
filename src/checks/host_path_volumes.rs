//! `hostPathVolumes` (baseline): no `hostPath` volumes.

use super::fixing::Fixer;
use super::{CheckInfo, Level, PodView, Violation, items, join_quote, name, plural};

pub(super) const ID: &str = "hostPathVolumes";

pub(super) const INFO: CheckInfo = CheckInfo::new(ID, Level::Baseline, &[0], DOC, evaluate, fix);

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let host_path = || items(pod.spec, "volumes").iter().filter(|v| v.field("hostPath").is_some());
    let span = host_path().next()?.span;
    let names: Vec<&str> = host_path().map(name).collect();
    let detail = format!("{} {}", plural(names.len(), "volume", "volumes"), join_quote(&names));
    Some(Violation::new(ID, "hostPath volumes", detail, span))
}

pub(super) fn fix(c: &mut Fixer, variant: u32) {
    super::restricted_volumes::fix(c, variant);
}

pub(super) const DOC: &str = r#"## What it checks
`spec.volumes[*].hostPath`: any volume with a `hostPath` source.

## Allowed values
No `hostPath` volume.

## Versions
- **v1.0**: the only variant. At restricted level it is always replaced by `restrictedVolumes`, which reports a
  `hostPath` volume as `restricted volume types (volume "x" uses restricted volume type "hostPath")`.

## Why
A `hostPath` volume mounts a directory of the node into the container: it can read secrets of other pods, the
kubelet's credentials or the container runtime socket, and write anywhere the path allows.

## Example
```yaml
spec:
  volumes:
  - name: root
    hostPath: {path: /}
  containers:
  - name: app
    image: nginx
```
`hostPath volumes (volume "root")`

## Fix
**manual**: podsec cannot choose storage for you. Replace the volume with an allowed type (`configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`, `secret`), or exempt the workload.
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn a_host_path_volume_is_manual() {
        insta::assert_snapshot!(fixed(super::ID, r#"
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
  volumes:
  - name: host
    hostPath:
      path: /var/run
"#), @"manual: replace the volume with an allowed type (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret); podsec cannot choose the storage for you");
    }
}
