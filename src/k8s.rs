//! Kubernetes objects in a document: which kinds carry a pod template and where (PSA's
//! `DefaultPodSpecExtractor`), `List` expansion, and the type checks the API server's decoder would
//! apply to the fields Pod Security reads.

use crate::yaml::{Kind, Node, Span, Value};

/// A path from a document's root: mapping keys and sequence indices.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type Route = Vec<Seg>;

pub fn route(keys: &[&str]) -> Route {
    keys.iter().map(|k| Seg::Key((*k).to_owned())).collect()
}

/// JSON Pointer (RFC 6901) of a route.
pub fn pointer(route: &[Seg]) -> String {
    let mut out = String::new();
    for seg in route {
        out.push('/');
        match seg {
            Seg::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// Follow a route through a node.
pub fn at<'a>(node: &'a Node, route: &[Seg]) -> Option<&'a Node> {
    let mut n = node;
    for seg in route {
        n = match seg {
            Seg::Key(k) => n.get(k)?,
            Seg::Index(i) => n.as_seq()?.get(*i)?,
        };
    }
    Some(n)
}

/// Where a kind keeps its pod template, relative to the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRoute {
    pub kind: String,
    /// API group the kind must belong to (`""` for core); `None` accepts any group (user-configured kinds).
    pub group: Option<String>,
    /// Route to the pod template object (holding `metadata` and `spec`); empty for a Pod itself.
    pub template: Vec<String>,
}

fn builtin(kind: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match kind {
        "Pod" => ("", &[]),
        "PodTemplate" => ("", &["template"]),
        "ReplicationController" => ("", &["spec", "template"]),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => ("apps", &["spec", "template"]),
        "Job" => ("batch", &["spec", "template"]),
        "CronJob" => ("batch", &["spec", "jobTemplate", "spec", "template"]),
        _ => return None,
    })
}

/// Whether `kind` is one of the nine kinds Pod Security Admission evaluates.
pub fn is_workload_kind(kind: &str) -> bool {
    builtin(kind).is_some()
}

/// The route of `kind`'s pod template, if it is a workload. Built-in kinds must carry the version
/// the API server serves (`apps/v1` Deployment); see [`unserved`] for the others.
pub fn template_route(api_version: &str, kind: &str, extra: &[TemplateRoute]) -> Option<Route> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if let Some(x) = extra.iter().find(|x| x.kind == kind && x.group.as_deref().is_none_or(|g| g == group)) {
        return Some(x.template.iter().map(|k| Seg::Key(k.clone())).collect());
    }
    let (want, route) = builtin(kind)?;
    let served = if want.is_empty() { "v1".to_owned() } else { format!("{want}/v1") };
    (api_version == served || api_version.is_empty()).then(|| route.iter().map(|k| Seg::Key((*k).to_owned())).collect())
}

/// The API server's answer to a workload kind at a version it does not serve: a group that holds
/// the kind (or once did: `extensions/v1beta1`, `apps/v1beta2`, `batch/v1beta1`, ...) at another
/// version, or the wrong one of the built-in groups (`apps/v1` Pod). The cluster refuses such an
/// object before Pod Security sees it. `None` for the served version and for other groups (a
/// custom resource that happens to share the name).
pub fn unserved(api_version: &str, kind: &str) -> Option<String> {
    let (want, _) = builtin(kind)?;
    let served = if want.is_empty() { "v1".to_owned() } else { format!("{want}/v1") };
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if api_version == served || api_version.is_empty() || !matches!(group, "" | "apps" | "batch" | "extensions") {
        return None;
    }
    Some(format!(
        "no kind {kind:?} is registered for version {api_version:?} (the API server does not serve it; {kind} is served as {served})"
    ))
}

/// `kind: List` and `*List` wrappers: their `items` are the resources.
pub fn is_list(kind: &str, object: &Node) -> bool {
    kind.ends_with("List") && matches!(object.get("items").map(|n| &n.value), Some(Value::Seq(_)))
}

/// A type error the API server's JSON decoder would raise, at the offending node.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub message: String,
    pub span: Span,
}

/// The Go types of the PodSpec fields Pod Security reads (and their parents), for type checking.
#[derive(Clone, Copy)]
enum T {
    Bool,
    Int32,
    Int64,
    Str,
    IntOrStr,
    StrMap,
    StrList,
    List(&'static str, &'static [(&'static str, T)]),
    Obj(&'static str, &'static [(&'static str, T)]),
}

const SECCOMP: T = T::Obj("SeccompProfile", &[("type", T::Str), ("localhostProfile", T::Str)]);
const APPARMOR: T = T::Obj("AppArmorProfile", &[("type", T::Str), ("localhostProfile", T::Str)]);
const SELINUX: T = T::Obj("SELinuxOptions", &[("user", T::Str), ("role", T::Str), ("type", T::Str), ("level", T::Str)]);
const WINDOWS: T = T::Obj("WindowsSecurityContextOptions", &[("hostProcess", T::Bool), ("runAsUserName", T::Str)]);
const HANDLER: &[(&str, T)] = &[
    ("httpGet", T::Obj("HTTPGetAction", &[("host", T::Str), ("path", T::Str), ("port", T::IntOrStr)])),
    ("tcpSocket", T::Obj("TCPSocketAction", &[("host", T::Str), ("port", T::IntOrStr)])),
];
const PROBE: T = T::Obj("Probe", HANDLER);
const CONTAINER: &[(&str, T)] = &[
    ("name", T::Str),
    ("image", T::Str),
    (
        "securityContext",
        T::Obj(
            "SecurityContext",
            &[
                ("privileged", T::Bool),
                ("allowPrivilegeEscalation", T::Bool),
                ("runAsNonRoot", T::Bool),
                ("runAsUser", T::Int64),
                ("runAsGroup", T::Int64),
                ("readOnlyRootFilesystem", T::Bool),
                ("procMount", T::Str),
                ("capabilities", T::Obj("Capabilities", &[("add", T::StrList), ("drop", T::StrList)])),
                ("seccompProfile", SECCOMP),
                ("seLinuxOptions", SELINUX),
                ("appArmorProfile", APPARMOR),
                ("windowsOptions", WINDOWS),
            ],
        ),
    ),
    (
        "ports",
        T::List(
            "ContainerPort",
            &[("containerPort", T::Int32), ("hostPort", T::Int32), ("name", T::Str), ("protocol", T::Str)],
        ),
    ),
    ("livenessProbe", PROBE),
    ("readinessProbe", PROBE),
    ("startupProbe", PROBE),
    (
        "lifecycle",
        T::Obj(
            "Lifecycle",
            &[("postStart", T::Obj("LifecycleHandler", HANDLER)), ("preStop", T::Obj("LifecycleHandler", HANDLER))],
        ),
    ),
];
const POD_SPEC: T = T::Obj(
    "PodSpec",
    &[
        ("hostNetwork", T::Bool),
        ("hostPID", T::Bool),
        ("hostIPC", T::Bool),
        ("hostUsers", T::Bool),
        ("automountServiceAccountToken", T::Bool),
        ("serviceAccountName", T::Str),
        ("serviceAccount", T::Str),
        ("os", T::Obj("PodOS", &[("name", T::Str)])),
        (
            "securityContext",
            T::Obj(
                "PodSecurityContext",
                &[
                    ("runAsNonRoot", T::Bool),
                    ("runAsUser", T::Int64),
                    ("runAsGroup", T::Int64),
                    ("fsGroup", T::Int64),
                    ("seccompProfile", SECCOMP),
                    ("seLinuxOptions", SELINUX),
                    ("appArmorProfile", APPARMOR),
                    ("windowsOptions", WINDOWS),
                    ("sysctls", T::List("Sysctl", &[("name", T::Str), ("value", T::Str)])),
                ],
            ),
        ),
        ("initContainers", T::List("Container", CONTAINER)),
        ("containers", T::List("Container", CONTAINER)),
        ("ephemeralContainers", T::List("EphemeralContainer", CONTAINER)),
        (
            "volumes",
            T::List("Volume", &[("name", T::Str), ("hostPath", T::Obj("HostPathVolumeSource", &[("path", T::Str)]))]),
        ),
    ],
);
const META: T =
    T::Obj("ObjectMeta", &[("name", T::Str), ("namespace", T::Str), ("annotations", T::StrMap), ("labels", T::StrMap)]);

/// Type-check a pod template's metadata and spec as the API server's decoder would; `path` is the
/// JSON path of `spec` (e.g. `spec.template.spec`), used in the message like Go's.
pub fn check_types(meta: Option<(&Node, &str)>, spec: Option<(&Node, &str)>) -> Result<(), DecodeError> {
    if let Some((m, path)) = meta {
        check(m, META, "ObjectMeta", path)?;
    }
    if let Some((s, path)) = spec {
        check(s, POD_SPEC, "PodSpec", path)?;
    }
    Ok(())
}

/// Type-check the identity fields every object has.
pub fn check_object_header(object: &Node) -> Result<(), DecodeError> {
    for key in ["apiVersion", "kind"] {
        if let Some(n) = object.field(key)
            && n.kind() != Kind::String
        {
            return Err(err(n, "Object", key, "string"));
        }
    }
    Ok(())
}

fn err(node: &Node, owner: &str, path: &str, go_type: &str) -> DecodeError {
    DecodeError {
        message: format!(
            "json: cannot unmarshal {} into Go struct field {owner}.{path} of type {go_type}",
            node.kind()
        ),
        span: node.span,
    }
}

fn check(node: &Node, t: T, owner: &str, path: &str) -> Result<(), DecodeError> {
    if node.is_null() {
        return Ok(());
    }
    let kind = node.kind();
    match t {
        T::Bool if kind != Kind::Bool => Err(err(node, owner, path, "bool")),
        T::Str if kind != Kind::String => Err(err(node, owner, path, "string")),
        T::Int32 | T::Int64 => {
            let (go, lo, hi) = if matches!(t, T::Int32) {
                ("int32", i32::MIN as i64, i32::MAX as i64)
            } else {
                ("int64", i64::MIN, i64::MAX)
            };
            match node.as_i64() {
                Some(v) if kind == Kind::Number && v >= lo && v <= hi => Ok(()),
                _ => Err(err(node, owner, path, go)),
            }
        }
        T::IntOrStr if !matches!(kind, Kind::Number | Kind::String) => {
            Err(err(node, owner, path, "intstr.IntOrString"))
        }
        T::StrMap => match &node.value {
            Value::Map(entries) => {
                for e in entries {
                    if !e.value.is_null() && e.value.kind() != Kind::String {
                        return Err(err(&e.value, owner, path, "string"));
                    }
                }
                Ok(())
            }
            _ => Err(err(node, owner, path, "map[string]string")),
        },
        T::StrList => match &node.value {
            Value::Seq(items) => {
                for i in items {
                    if !i.is_null() && i.kind() != Kind::String {
                        return Err(err(i, owner, path, "string"));
                    }
                }
                Ok(())
            }
            _ => Err(err(node, owner, path, "[]string")),
        },
        T::List(name, fields) => match &node.value {
            Value::Seq(items) => {
                for i in items {
                    check(i, T::Obj(name, fields), owner, path)?;
                }
                Ok(())
            }
            _ => Err(err(node, owner, path, &format!("[]v1.{name}"))),
        },
        T::Obj(name, fields) => match &node.value {
            Value::Map(entries) => {
                for e in entries {
                    if let Some((_, ft)) = fields.iter().find(|(k, _)| *k == e.key) {
                        check(&e.value, *ft, name, &format!("{path}.{}", e.key))?;
                    }
                }
                Ok(())
            }
            _ => Err(err(node, owner, path, &format!("v1.{name}"))),
        },
        _ => Ok(()),
    }
}
