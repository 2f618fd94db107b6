//! What to change so that a workload passes: per failing check, the edits (route-based ops) with
//! their applicability. The checks decide *whether* a pod passes; this decides the fewest values to
//! change, reading the same fields.

use crate::checks::{self, Level, PolicyVersion};
use crate::edit::{Op, OpKind, Scalar};
use crate::k8s::{Route, Seg};
use crate::yaml::Node;

/// How sure podsec is that an edit is what the author wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Fills a gap: the field was absent or null.
    Safe,
    /// Overrides a value the author wrote.
    Unsafe,
    /// No automatic fix.
    Manual,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Safe => "safe",
            Class::Unsafe => "unsafe",
            Class::Manual => "manual",
        }
    }
}

/// One fix: the edits, their class and a one-line description of the change (or, for manual, why).
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub check: &'static str,
    pub class: Class,
    pub ops: Vec<Op>,
    pub note: String,
}

/// Options that change what a fix writes.
#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// `--run-as-user UID`: write this UID where a root UID must go, and beside a new `runAsNonRoot`.
    pub run_as_user: Option<i64>,
}

const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

struct Ctx<'a> {
    spec: &'a Node,
    meta: Option<&'a Node>,
    /// Routes of `spec` and `metadata` from the document root.
    spec_route: Route,
    meta_route: Route,
    minor: u32,
    opts: &'a FixOptions,
    out: Vec<Fix>,
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

impl<'a> Ctx<'a> {
    fn at(&self, rel: &[&str]) -> Route {
        let mut r = self.spec_route.clone();
        r.extend(rel.iter().map(|k| key(k)));
        r
    }

    fn containers(&self) -> impl Iterator<Item = (Route, &'a Node, &'a str)> + '_ {
        CONTAINER_LISTS.iter().flat_map(move |list| {
            self.spec.field(list).map_or(&[][..], Node::items).iter().enumerate().map(move |(i, c)| {
                let mut r = self.spec_route.clone();
                r.push(key(list));
                r.push(Seg::Index(i));
                (r, c, c.field("name").and_then(Node::as_str).unwrap_or(""))
            })
        })
    }

    fn push(&mut self, check: &'static str, class: Class, ops: Vec<Op>, note: String) {
        self.out.push(Fix { check, class, ops, note });
    }

    fn windows(&self) -> bool {
        self.minor >= 25 && checks::windows_pod(self.spec)
    }

    fn user_namespaced(&self) -> bool {
        self.minor >= 35 && checks::user_namespace_pod(self.spec)
    }
}

fn set(route: Route, v: Scalar) -> Op {
    Op { route, kind: OpKind::Set(v) }
}

fn remove(route: Route) -> Op {
    Op { route, kind: OpKind::Remove }
}

fn join(base: &Route, rel: &[&str]) -> Route {
    let mut r = base.clone();
    r.extend(rel.iter().map(|k| key(k)));
    r
}

/// A bool field that is explicitly `want`'s opposite is overridden (unsafe); absent/null is filled (safe).
fn class_of(node: Option<&Node>) -> Class {
    if node.is_some_and(|n| !n.is_null()) { Class::Unsafe } else { Class::Safe }
}

fn where_(name: &str) -> String {
    format!("container {name:?}")
}

/// Plan the fixes for the failing checks `failing` of one pod template.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    spec: &Node,
    meta: Option<&Node>,
    spec_route: Route,
    meta_route: Route,
    level: Level,
    version: PolicyVersion,
    failing: &[&'static str],
    opts: &FixOptions,
) -> Vec<Fix> {
    let mut c = Ctx { spec, meta, spec_route, meta_route, minor: version.effective_minor(), opts, out: Vec::new() };
    let _ = level;
    for id in failing {
        match *id {
            "runAsNonRoot" => run_as_non_root(&mut c),
            "seccompProfile_restricted" => seccomp(&mut c, true),
            "seccompProfile_baseline" => seccomp(&mut c, false),
            "allowPrivilegeEscalation" => allow_privilege_escalation(&mut c),
            "capabilities_restricted" => capabilities(&mut c, true),
            "capabilities_baseline" => capabilities(&mut c, false),
            "privileged" => privileged(&mut c),
            "windowsHostProcess" => windows_host_process(&mut c),
            "hostNamespaces" => host_namespaces(&mut c),
            "hostPorts" => host_ports(&mut c),
            "sysctls" => sysctls(&mut c),
            "procMount" | "procMount_restricted" => proc_mount(&mut c, id),
            "seLinuxOptions" => se_linux(&mut c),
            "appArmorProfile" => app_armor(&mut c),
            "runAsUser" => run_as_user(&mut c),
            "hostProbesAndHostLifecycle" => host_probes(&mut c),
            "hostPathVolumes" | "restrictedVolumes" => volumes(&mut c, id),
            checks::own::AUTOMOUNT => automount(&mut c),
            _ => {}
        }
    }
    c.out
}

fn run_as_non_root(c: &mut Ctx) {
    const ID: &str = "runAsNonRoot";
    if c.user_namespaced() {
        return;
    }
    let pod = c.spec.path(&["securityContext", "runAsNonRoot"]);
    if pod.and_then(Node::as_bool) == Some(false) {
        let r = c.at(&["securityContext", "runAsNonRoot"]);
        c.push(
            ID,
            Class::Unsafe,
            vec![set(r, Scalar::Bool(true))],
            "set pod securityContext.runAsNonRoot: false → true".into(),
        );
    }
    let mut inherit = false;
    let containers: Vec<_> = c
        .containers()
        .map(|(r, n, name)| (r, n.path(&["securityContext", "runAsNonRoot"]).and_then(Node::as_bool), name.to_owned()))
        .collect();
    for (r, own, name) in containers {
        match own {
            Some(false) => c.push(
                ID,
                Class::Unsafe,
                vec![set(join(&r, &["securityContext", "runAsNonRoot"]), Scalar::Bool(true))],
                format!("set {} securityContext.runAsNonRoot: false → true", where_(&name)),
            ),
            None => inherit = true,
            Some(true) => {}
        }
    }
    if inherit && pod.and_then(Node::as_bool).is_none() {
        let mut ops = vec![set(c.at(&["securityContext", "runAsNonRoot"]), Scalar::Bool(true))];
        let mut note = "add pod securityContext.runAsNonRoot: true".to_owned();
        if let Some(uid) = c.opts.run_as_user
            && c.spec.path(&["securityContext", "runAsUser"]).is_none()
        {
            ops.push(set(c.at(&["securityContext", "runAsUser"]), Scalar::Int(uid)));
            note.push_str(&format!(" and runAsUser: {uid}"));
        }
        c.push(ID, Class::Safe, ops, note);
    }
}

/// Point an existing profile object at RuntimeDefault (dropping a `localhostProfile` that only
/// `Localhost` may carry).
fn fix_profile(c: &mut Ctx, id: &'static str, base: Route, profile: &Node, who: &str, value: &str) {
    let ty = profile.field("type");
    let mut ops = vec![set(join(&base, &["type"]), Scalar::Str(value.to_owned()))];
    if profile.field("localhostProfile").is_some() {
        ops.push(remove(join(&base, &["localhostProfile"])));
    }
    let was = ty.and_then(Node::as_str).map_or("(no type)".to_owned(), |s| format!("{s:?}"));
    c.push(id, class_of(ty), ops, format!("set {who} type {was} → {value}"));
}

fn seccomp(c: &mut Ctx, restricted: bool) {
    let id = if restricted { "seccompProfile_restricted" } else { "seccompProfile_baseline" };
    if c.minor < 19 {
        return seccomp_annotations(c);
    }
    if restricted && c.windows() {
        return;
    }
    let pod = c.spec.path(&["securityContext", "seccompProfile"]);
    let valid = |p: &Node| p.field("type").and_then(Node::as_str).is_some_and(checks::profile_type_allowed);
    if let Some(p) = pod.filter(|p| !valid(p)) {
        let base = c.at(&["securityContext", "seccompProfile"]);
        fix_profile(c, id, base, p, "pod securityContext.seccompProfile", "RuntimeDefault");
    }
    let mut uncovered = false;
    let containers: Vec<_> = c
        .containers()
        .map(|(r, n, name)| (r, n.path(&["securityContext", "seccompProfile"]), name.to_owned()))
        .collect();
    for (r, own, name) in containers {
        match own {
            Some(p) if !valid(p) => fix_profile(
                c,
                id,
                join(&r, &["securityContext", "seccompProfile"]),
                p,
                &format!("{} securityContext.seccompProfile", where_(&name)),
                "RuntimeDefault",
            ),
            Some(_) => {}
            None => uncovered = true,
        }
    }
    if restricted && uncovered && pod.is_none() {
        let r = c.at(&["securityContext", "seccompProfile", "type"]);
        c.push(
            id,
            Class::Safe,
            vec![set(r, Scalar::Str("RuntimeDefault".into()))],
            "add pod securityContext.seccompProfile.type: RuntimeDefault".into(),
        );
    }
}

/// Policy versions before 1.19 read the seccomp annotations.
fn seccomp_annotations(c: &mut Ctx) {
    const ID: &str = "seccompProfile_baseline";
    let bad = checks::bad_seccomp_annotations(c.meta, c.spec);
    annotations_to_runtime_default(c, ID, bad);
}

fn allow_privilege_escalation(c: &mut Ctx) {
    const ID: &str = "allowPrivilegeEscalation";
    if c.windows() {
        return;
    }
    let todo: Vec<_> = c
        .containers()
        .filter_map(|(r, n, name)| {
            let v = n.path(&["securityContext", "allowPrivilegeEscalation"]);
            if v.and_then(Node::as_bool) == Some(false) {
                return None;
            }
            // `allowPrivilegeEscalation: false` beside `privileged: true` or an added SYS_ADMIN is
            // rejected by API validation: only write it together with those unsafe fixes.
            let privileged = n.path(&["securityContext", "privileged"]).and_then(Node::as_bool) == Some(true);
            let sys_admin = n
                .path(&["securityContext", "capabilities", "add"])
                .is_some_and(|a| a.items().iter().any(|x| matches!(x.as_str(), Some("SYS_ADMIN" | "CAP_SYS_ADMIN"))));
            let class = if privileged || sys_admin { Class::Unsafe } else { class_of(v) };
            Some((r, class, v.and_then(Node::as_bool), name.to_owned()))
        })
        .collect();
    for (r, class, was, name) in todo {
        let op = set(join(&r, &["securityContext", "allowPrivilegeEscalation"]), Scalar::Bool(false));
        let note = match was {
            Some(true) => format!("set {} securityContext.allowPrivilegeEscalation: true → false", where_(&name)),
            _ => format!("add {} securityContext.allowPrivilegeEscalation: false", where_(&name)),
        };
        c.push(ID, class, vec![op], note);
    }
}

fn capabilities(c: &mut Ctx, restricted: bool) {
    let id = if restricted { "capabilities_restricted" } else { "capabilities_baseline" };
    if restricted && c.windows() {
        return;
    }
    let mut fixes = Vec::new();
    for (r, n, name) in c.containers() {
        let caps = n.path(&["securityContext", "capabilities"]);
        let drop_all =
            caps.and_then(|cp| cp.field("drop")).is_some_and(|d| d.items().iter().any(|x| x.as_str() == Some("ALL")));
        if restricted && !drop_all {
            let route = join(&r, &["securityContext", "capabilities", "drop"]);
            fixes.push((
                Class::Safe,
                vec![Op { route, kind: OpKind::Append(Scalar::Str("ALL".into())) }],
                format!("add ALL to {} securityContext.capabilities.drop", where_(name)),
            ));
        }
        let adds = caps.and_then(|cp| cp.field("add")).map_or(&[][..], Node::items);
        let mut bad: Vec<(usize, String)> = adds
            .iter()
            .enumerate()
            .filter_map(|(i, x)| {
                let s = x.as_str().unwrap_or("");
                let allowed = if restricted { s == "NET_BIND_SERVICE" } else { checks::baseline_capability_allowed(s) };
                (!allowed).then(|| (i, s.to_owned()))
            })
            .collect();
        if !bad.is_empty() {
            bad.reverse();
            let ops = bad.iter().map(|(i, _)| {
                let mut route = join(&r, &["securityContext", "capabilities", "add"]);
                route.push(Seg::Index(*i));
                remove(route)
            });
            let names: Vec<String> = bad.iter().rev().map(|(_, s)| s.clone()).collect();
            fixes.push((
                Class::Unsafe,
                ops.collect(),
                format!("remove {} from {} securityContext.capabilities.add", names.join(", "), where_(name)),
            ));
        }
    }
    for (class, ops, note) in fixes {
        c.push(id, class, ops, note);
    }
}

/// Explicit `true` → `false` on container fields.
fn container_bool_to_false(c: &mut Ctx, id: &'static str, path: &[&str]) {
    let todo: Vec<_> = c
        .containers()
        .filter(|(_, n, _)| n.path(path).and_then(Node::as_bool) == Some(true))
        .map(|(r, _, name)| (join(&r, path), name.to_owned()))
        .collect();
    for (route, name) in todo {
        c.push(
            id,
            Class::Unsafe,
            vec![set(route, Scalar::Bool(false))],
            format!("set {} {}: true → false", where_(&name), path.join(".")),
        );
    }
}

fn privileged(c: &mut Ctx) {
    container_bool_to_false(c, "privileged", &["securityContext", "privileged"]);
}

fn windows_host_process(c: &mut Ctx) {
    const ID: &str = "windowsHostProcess";
    let path = ["securityContext", "windowsOptions", "hostProcess"];
    if c.spec.path(&path).and_then(Node::as_bool) == Some(true) {
        let r = c.at(&path);
        c.push(
            ID,
            Class::Unsafe,
            vec![set(r, Scalar::Bool(false))],
            "set pod securityContext.windowsOptions.hostProcess: true → false".into(),
        );
    }
    container_bool_to_false(c, ID, &path);
}

fn host_namespaces(c: &mut Ctx) {
    for f in ["hostNetwork", "hostPID", "hostIPC"] {
        if c.spec.field(f).and_then(Node::as_bool) == Some(true) {
            let r = c.at(&[f]);
            c.push(
                "hostNamespaces",
                Class::Unsafe,
                vec![set(r, Scalar::Bool(false))],
                format!("set {f}: true → false"),
            );
        }
    }
}

fn host_ports(c: &mut Ctx) {
    let todo: Vec<_> = c
        .containers()
        .flat_map(|(r, n, name)| {
            n.field("ports").map_or(&[][..], Node::items).iter().enumerate().filter_map(move |(i, p)| {
                let port = p.field("hostPort").and_then(Node::as_i64).unwrap_or(0);
                (port != 0).then(|| {
                    let mut route = join(&r, &["ports"]);
                    route.push(Seg::Index(i));
                    route.push(key("hostPort"));
                    (route, format!("remove hostPort {port} from {}", where_(name)))
                })
            })
        })
        .collect();
    for (route, note) in todo {
        c.push("hostPorts", Class::Unsafe, vec![remove(route)], note);
    }
}

fn sysctls(c: &mut Ctx) {
    let items = c.spec.path(&["securityContext", "sysctls"]).map_or(&[][..], Node::items);
    let mut bad: Vec<(usize, String)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let name = s.field("name").and_then(Node::as_str).unwrap_or("");
            (!checks::sysctl_allowed(c.minor, name)).then(|| (i, name.to_owned()))
        })
        .collect();
    if bad.is_empty() {
        return;
    }
    bad.reverse();
    let ops = bad
        .iter()
        .map(|(i, _)| {
            let mut route = c.at(&["securityContext", "sysctls"]);
            route.push(Seg::Index(*i));
            remove(route)
        })
        .collect();
    let names: Vec<String> = bad.iter().rev().map(|(_, n)| n.clone()).collect();
    c.push("sysctls", Class::Unsafe, ops, format!("remove sysctls {}", names.join(", ")));
}

fn proc_mount(c: &mut Ctx, id: &'static str) {
    if id == "procMount" && c.user_namespaced() {
        return;
    }
    let todo: Vec<_> = c
        .containers()
        .filter_map(|(r, n, name)| {
            let v = n.path(&["securityContext", "procMount"])?.as_str()?;
            (v != "Default").then(|| {
                (
                    join(&r, &["securityContext", "procMount"]),
                    format!("set {} securityContext.procMount: {v} → Default", where_(name)),
                )
            })
        })
        .collect();
    for (route, note) in todo {
        c.push(id, Class::Unsafe, vec![set(route, Scalar::Str("Default".into()))], note);
    }
}

fn se_linux(c: &mut Ctx) {
    let mut places: Vec<(Route, &Node, String)> = Vec::new();
    if let Some(o) = c.spec.path(&["securityContext", "seLinuxOptions"]) {
        places.push((c.at(&["securityContext", "seLinuxOptions"]), o, "pod".into()));
    }
    for (r, n, name) in c.containers() {
        if let Some(o) = n.path(&["securityContext", "seLinuxOptions"]) {
            places.push((join(&r, &["securityContext", "seLinuxOptions"]), o, where_(name)));
        }
    }
    let minor = c.minor;
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
            && !checks::selinux_type_allowed(minor, t)
        {
            ops.push(remove(join(&base, &["type"])));
            what.push(format!("type {t}"));
        }
        if !ops.is_empty() {
            c.push(
                "seLinuxOptions",
                Class::Unsafe,
                ops,
                format!("remove seLinuxOptions {} from {who}", what.join(", ")),
            );
        }
    }
}

fn app_armor(c: &mut Ctx) {
    const ID: &str = "appArmorProfile";
    let valid = |p: &Node| p.field("type").and_then(Node::as_str).is_some_and(checks::profile_type_allowed);
    if let Some(p) = c.spec.path(&["securityContext", "appArmorProfile"]).filter(|p| !valid(p)) {
        let base = c.at(&["securityContext", "appArmorProfile"]);
        fix_profile(c, ID, base, p, "pod securityContext.appArmorProfile", "RuntimeDefault");
    }
    let containers: Vec<_> = c
        .containers()
        .filter_map(|(r, n, name)| {
            n.path(&["securityContext", "appArmorProfile"]).filter(|p| !valid(p)).map(|p| (r, p, name.to_owned()))
        })
        .collect();
    for (r, p, name) in containers {
        fix_profile(
            c,
            ID,
            join(&r, &["securityContext", "appArmorProfile"]),
            p,
            &format!("{} securityContext.appArmorProfile", where_(&name)),
            "RuntimeDefault",
        );
    }
    let bad = checks::bad_app_armor_annotations(c.meta);
    annotations_to_runtime_default(c, ID, bad);
}

fn run_as_user(c: &mut Ctx) {
    const ID: &str = "runAsUser";
    if c.user_namespaced() {
        return;
    }
    let mut places: Vec<(Route, String)> = Vec::new();
    if c.spec.path(&["securityContext", "runAsUser"]).and_then(Node::as_i64) == Some(0) {
        places.push((c.at(&["securityContext", "runAsUser"]), "pod".into()));
    }
    for (r, n, name) in c.containers() {
        if n.path(&["securityContext", "runAsUser"]).and_then(Node::as_i64) == Some(0) {
            places.push((join(&r, &["securityContext", "runAsUser"]), where_(name)));
        }
    }
    for (route, who) in places {
        let (op, note) = match c.opts.run_as_user {
            Some(uid) => (set(route, Scalar::Int(uid)), format!("set {who} runAsUser: 0 → {uid}")),
            None => (remove(route), format!("remove runAsUser: 0 from {who}")),
        };
        c.push(ID, Class::Unsafe, vec![op], note);
    }
}

fn host_probes(c: &mut Ctx) {
    let mut todo = Vec::new();
    for (r, n, name) in c.containers() {
        let slots: [&[&str]; 5] = [
            &["livenessProbe"],
            &["readinessProbe"],
            &["startupProbe"],
            &["lifecycle", "postStart"],
            &["lifecycle", "preStop"],
        ];
        for slot in slots {
            for handler in ["httpGet", "tcpSocket"] {
                let mut path: Vec<&str> = slot.to_vec();
                path.push(handler);
                path.push("host");
                if n.path(&path).and_then(Node::as_str).is_some_and(|h| !h.is_empty()) {
                    todo.push((join(&r, &path), format!("remove {} from {}", path.join("."), where_(name))));
                }
            }
        }
    }
    for (route, note) in todo {
        c.push("hostProbesAndHostLifecycle", Class::Unsafe, vec![remove(route)], note);
    }
}

fn volumes(c: &mut Ctx, id: &'static str) {
    c.push(
        id,
        Class::Manual,
        Vec::new(),
        format!(
            "replace the volume with an allowed type ({}); podsec cannot choose the storage for you",
            checks::allowed_volume_types().join(", ")
        ),
    );
}

fn automount(c: &mut Ctx) {
    let r = c.at(&["automountServiceAccountToken"]);
    let current = c.spec.field("automountServiceAccountToken");
    c.push(
        checks::own::AUTOMOUNT,
        class_of(current),
        vec![set(r, Scalar::Bool(false))],
        match current {
            Some(_) => "set automountServiceAccountToken: true → false".into(),
            None => "add automountServiceAccountToken: false".into(),
        },
    );
}

/// What `podsec fix` does for a check (rendered into the check's documentation page).
pub fn fix_doc(id: &str) -> &'static str {
    match id {
        "runAsNonRoot" => {
            "Absent: pod-level `runAsNonRoot: true` (**safe**), once for the pod; containers that do not set their own value inherit it, so no container-level copies are added. An explicit `false` at pod or container level becomes `true` (**unsafe**). With `--run-as-user UID`, a pod-level `runAsUser: UID` is added beside it when the pod sets none. The kubelet refuses to start a `runAsNonRoot` container whose image `USER` is root or a name."
        }
        "seccompProfile_restricted" => {
            "No valid pod profile: pod-level `seccompProfile: {type: RuntimeDefault}` (**safe**). An existing profile object without a `type` gets `type: RuntimeDefault` (**safe**); an explicit forbidden type (`Unconfined`, ...) at pod or container level becomes `RuntimeDefault` (**unsafe**), dropping a `localhostProfile` that only `Localhost` may carry."
        }
        "seccompProfile_baseline" => {
            "An explicit forbidden type at pod or container level becomes `RuntimeDefault` (**unsafe**). At policy versions before v1.19 a forbidden seccomp annotation becomes `runtime/default` (**unsafe**)."
        }
        "allowPrivilegeEscalation" => {
            "Per container (init, regular, ephemeral): absent → `allowPrivilegeEscalation: false` (**safe**); `true` → `false` (**unsafe**). Beside `privileged: true` or an added `SYS_ADMIN` the API server rejects `false`, so there the fix is **unsafe** and goes together with those fixes."
        }
        "capabilities_restricted" => {
            "Appends `ALL` to `capabilities.drop`, creating `securityContext`, `capabilities` and `drop` as needed (**safe**); removes `add` entries other than `NET_BIND_SERVICE` (**unsafe**)."
        }
        "capabilities_baseline" => "Removes the `add` entries outside the baseline set (**unsafe**).",
        "privileged" => "`privileged: true` → `false` (**unsafe**).",
        "windowsHostProcess" => "`hostProcess: true` → `false` at pod and container level (**unsafe**).",
        "hostNamespaces" => "`hostNetwork`/`hostPID`/`hostIPC: true` → `false` (**unsafe**).",
        "hostPorts" => "Removes the `hostPort` field of each port that sets one (**unsafe**).",
        "sysctls" => "Removes the forbidden entries of `securityContext.sysctls` (**unsafe**).",
        "procMount" | "procMount_restricted" => "A `procMount` other than `Default` becomes `Default` (**unsafe**).",
        "seLinuxOptions" => "Removes `user` and `role`, and a forbidden `type` (**unsafe**).",
        "appArmorProfile" => {
            "A profile type other than `RuntimeDefault`/`Localhost` becomes `RuntimeDefault`; a forbidden annotation value becomes `runtime/default` (**unsafe**)."
        }
        "runAsUser" => {
            "Removes `runAsUser: 0` at pod and container level, or sets it to `--run-as-user UID` when given (**unsafe**)."
        }
        "hostProbesAndHostLifecycle" => {
            "Removes the `host` field of the probe or lifecycle handler (**unsafe**): the kubelet then uses the pod IP."
        }
        "hostPathVolumes" | "restrictedVolumes" => {
            "**manual**: podsec cannot choose storage for you. Replace the volume with an allowed type (`configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`, `secret`), or exempt the workload."
        }
        checks::own::AUTOMOUNT => {
            "Absent → pod-level `automountServiceAccountToken: false` (**safe**); explicit `true` → `false` (**unsafe**)."
        }
        _ => "",
    }
}

/// `--label-namespaces`: the Namespace's `enforce` (and `enforce-version`) labels.
pub fn label_namespace(ns: &Node, object: Route, level: Level, version: PolicyVersion) -> Vec<Fix> {
    let labels = ns.path(&["metadata", "labels"]);
    let mut out = Vec::new();
    for (key, value) in [
        ("pod-security.kubernetes.io/enforce", level.to_string()),
        ("pod-security.kubernetes.io/enforce-version", version.to_string()),
    ] {
        let current = labels.and_then(|l| l.field(key));
        if current.and_then(Node::as_str) == Some(value.as_str()) {
            continue;
        }
        let route = join(&object, &["metadata", "labels", key]);
        let note = match current.and_then(Node::as_str) {
            Some(was) => format!("set label {key}: {was} → {value}"),
            None => format!("add label {key}: {value}"),
        };
        out.push(Fix {
            check: "namespaceLabels",
            class: class_of(current),
            ops: vec![set(route, Scalar::Str(value))],
            note,
        });
    }
    out
}

/// Set each of the pod's annotations `keys` to `runtime/default` (seccomp before v1.19, AppArmor).
fn annotations_to_runtime_default(c: &mut Ctx, id: &'static str, keys: Vec<String>) {
    for k in keys {
        let r = join(&c.meta_route, &["annotations", &k]);
        let note = format!("set annotation {k} → runtime/default");
        c.push(id, Class::Unsafe, vec![set(r, Scalar::Str("runtime/default".into()))], note);
    }
}
