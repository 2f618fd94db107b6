//! `restrictedVolumes` (restricted): only the volume types that carry no host or network access.

use super::fixing::{Class, Fixer};
use super::{CheckInfo, Level, PodView, Violation, items, join_quote, name, plural, sorted};
use crate::yaml::Node;

pub(super) const ID: &str = "restrictedVolumes";

pub(super) const INFO: CheckInfo = CheckInfo {
    overrides: &["hostPathVolumes"],
    overrides_from: 0,
    ..CheckInfo::new(ID, Level::Restricted, &[0], DOC, evaluate, fix)
};

/// Volume sources that are allowed (a volume with any of them is allowed, whatever else it has).
pub(super) const ALLOWED: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Restricted volume sources, in the order PSA looks for the type it reports.
const RESTRICTED: [&str; 21] = [
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

/// The restricted type of a volume, `None` when the volume is allowed. A volume with no known
/// source at all is `unknown` (the API server would have defaulted it to `emptyDir`).
fn restricted_type(volume: &Node) -> Option<&'static str> {
    if ALLOWED.iter().any(|source| volume.field(source).is_some()) {
        return None;
    }
    Some(RESTRICTED.iter().find(|source| volume.field(source).is_some()).copied().unwrap_or("unknown"))
}

pub(super) fn evaluate(pod: &PodView<'_>, _variant: u32) -> Option<Violation> {
    let restricted = || items(pod.spec, "volumes").iter().filter_map(|v| Some((v, restricted_type(v)?)));
    let span = restricted().next()?.0.span;
    let (names, types): (Vec<&str>, Vec<&str>) = restricted().map(|(v, t)| (name(v), t)).unzip();
    let types = sorted(types);
    let detail = format!(
        "{} {} {} {} {}",
        plural(names.len(), "volume", "volumes"),
        join_quote(&names),
        plural(names.len(), "uses", "use"),
        plural(types.len(), "restricted volume type", "restricted volume types"),
        join_quote(&types)
    );
    Some(Violation::new(ID, "restricted volume types", detail, span))
}

pub(super) fn fix(c: &mut Fixer, _variant: u32) {
    let note = format!(
        "replace the volume with an allowed type ({}); podsec cannot choose the storage for you",
        ALLOWED.join(", ")
    );
    c.push(Class::Manual, Vec::new(), note);
}

pub(super) const DOC: &str = r#"## What it checks
The source of every volume in `spec.volumes`.

## Allowed values
Volumes with a `configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`,
`projected` or `secret` source. Any other source is a violation, reported by its name (`hostPath`, `nfs`, `gitRepo`,
...); a volume with no recognised source is reported as `unknown`.

## Versions
- **v1.0**: the only variant. It replaces `hostPathVolumes` at restricted level at every version. `image` volumes are
  allowed at every version since library v0.33.

## Why
The allowed types only expose data the pod is entitled to through the API or storage it claimed; the others reach the
node's file system (`hostPath`) or storage and network services directly, bypassing the cluster's access control.

## Example
```yaml
spec:
  volumes:
  - name: data
    nfs: {server: nfs.local, path: /exports}
  containers:
  - name: app
    image: nginx
```
`restricted volume types (volume "data" uses restricted volume type "nfs")`

A volume with only a `name` is reported as `unknown` here, while the API server would default it to `emptyDir`.

## Fix
**manual**: podsec cannot choose storage for you. Replace the volume with an allowed type (`configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`, `secret`), or exempt the workload.
"#;

#[cfg(test)]
mod tests {
    use super::super::tests::fixed;

    #[test]
    fn a_restricted_volume_type_is_manual() {
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
  - name: data
    nfs:
      server: nfs.example.com
      path: /exports
"#), @"manual: replace the volume with an allowed type (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret); podsec cannot choose the storage for you");
    }
}
