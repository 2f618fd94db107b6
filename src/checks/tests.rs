use serde_json::{Value as Json, json};

use super::*;
use crate::yaml::{Entry, Number, Style, Value};

/// Build a tree from JSON. Every node gets a distinct span (`start` = its pre-order index, `end` =
/// the index after its subtree), so tests can tell which node a violation points at.
fn to_node(json: &Json, next: &mut usize) -> Node {
    let start = *next;
    *next += 1;
    let value = match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Number::Int(i),
            (None, Some(u)) => Number::UInt(u),
            _ => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        Json::String(s) => Value::String(s.clone(), Style::Plain),
        Json::Array(items) => Value::Seq(items.iter().map(|item| to_node(item, next)).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(key, value)| Entry {
                    key: key.clone(),
                    key_span: Span::default(),
                    value: to_node(value, next),
                    dup: false,
                })
                .collect(),
        ),
    };
    Node::new(value, Span { start, end: *next })
}

struct Pod {
    meta: Node,
    spec: Node,
}

impl Pod {
    fn new(spec: Json) -> Pod {
        Pod::with_meta(json!({}), spec)
    }

    fn with_meta(meta: Json, spec: Json) -> Pod {
        let mut next = 0;
        let meta = to_node(&meta, &mut next);
        let spec = to_node(&spec, &mut next);
        Pod { meta, spec }
    }

    fn view(&self) -> PodView<'_> {
        PodView { meta: Some(&self.meta), spec: &self.spec }
    }

    /// `reason (detail)` of every violation, as PSA prints them.
    fn eval(&self, level: Level, version: PolicyVersion) -> Vec<String> {
        evaluate(level, version, &self.view()).into_iter().map(|v| format!("{} ({})", v.reason, v.detail)).collect()
    }

    /// One check at one policy minor: `(reason, detail)`, or `None` when it passes.
    fn check(&self, id: &str, minor: u32) -> Option<(String, String)> {
        self.violation(id, minor).map(|v| (v.reason, v.detail))
    }

    fn violation(&self, id: &str, minor: u32) -> Option<Violation> {
        let index = REGISTRY.iter().position(|c| c.id == id).expect("known check");
        let variant = REGISTRY[index].variant_at(minor).expect("check exists at this minor");
        let violation = (REGISTRY[index].evaluate)(&self.view(), variant);
        if let Some(v) = &violation {
            assert_eq!(v.check, id);
        }
        violation
    }

    /// The span of the node at `path` in the spec (indices for sequence items).
    fn span(&self, path: &[&str]) -> Span {
        let mut node = &self.spec;
        for key in path {
            node = match key.parse::<usize>() {
                Ok(i) => &node.items()[i],
                Err(_) => node.get(key).expect("path exists"),
            };
        }
        node.span
    }
}

fn detail(reason: &str, detail: &str) -> Option<(String, String)> {
    Some((reason.to_owned(), detail.to_owned()))
}

const LATEST: PolicyVersion = PolicyVersion::LATEST;
const B: Level = Level::Baseline;
const R: Level = Level::Restricted;

fn v(minor: u32) -> PolicyVersion {
    PolicyVersion::v1(minor)
}

/// A container with the given name and security context.
fn c(name: &str, sc: Json) -> Json {
    json!({"name": name, "image": "x", "securityContext": sc})
}

// ----- versions, levels, registry ------------------------------------------------------------

#[test]
fn parses_versions() {
    assert_eq!(PolicyVersion::parse("latest"), Ok(LATEST));
    assert_eq!("v1.0".parse::<PolicyVersion>(), Ok(v(0)));
    assert_eq!("v1.25".parse::<PolicyVersion>(), Ok(v(25)));
    assert_eq!("v1.99".parse::<PolicyVersion>(), Ok(v(99)));
    for bad in ["", "v1.", "v1.01", "1.30", "v2.0", "v1.2.3", "v1.-1", "v1.+1", "Latest", "v1.a"] {
        let err = PolicyVersion::parse(bad).expect_err(bad);
        assert!(err.contains("must be \"latest\" or \"v1.x\""), "{err}");
    }
    assert!(PolicyVersion::parse("v1.99999999999").is_err());
    assert_eq!(LATEST.to_string(), "latest");
    assert_eq!(v(25).to_string(), "v1.25");
    assert!(LATEST > v(99) && v(99) > v(37) && v(2) < v(10));
}

#[test]
fn clamps_versions() {
    assert_eq!(LATEST.effective_minor(), MAX_MINOR);
    assert_eq!(v(99).effective_minor(), 37);
    assert_eq!(v(20).effective_minor(), 20);
    assert_eq!(active_checks(R, v(99)), active_checks(R, LATEST));
    assert_eq!(active_checks(B, v(99)), active_checks(B, v(37)));
    // sysctls 1.37 applies at v1.99 and latest, not at v1.36.
    let pod = Pod::new(json!({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat"}]}}));
    assert!(pod.eval(B, v(99)).is_empty());
    assert!(pod.eval(B, LATEST).is_empty());
    assert_eq!(pod.eval(B, v(36)), ["forbidden sysctls (net.ipv4.tcp_notsent_lowat)"]);
}

#[test]
fn parses_levels() {
    assert_eq!("baseline".parse::<Level>(), Ok(B));
    assert_eq!("restricted".parse::<Level>(), Ok(R));
    assert!("privileged".parse::<Level>().is_err());
    assert!("Restricted".parse::<Level>().is_err());
    assert_eq!(R.to_string(), "restricted");
    assert_eq!(B.as_str(), "baseline");
}

#[test]
fn registry_is_in_result_order() {
    let psa: Vec<&CheckInfo> = registry().iter().filter(|c| c.source == Source::Psa).collect();
    assert_eq!(psa.len(), 19);
    // PSA's checks first, then podsec's own.
    assert!(registry().iter().map(|c| c.source).is_sorted());
    for level in [B, R] {
        let ids: Vec<&str> = psa.iter().filter(|c| c.level == level).map(|c| c.id).collect();
        let mut sorted_ids = ids.clone();
        sorted_ids.sort_unstable();
        assert_eq!(ids, sorted_ids);
    }
    let levels: Vec<Level> = psa.iter().map(|c| c.level).collect();
    assert!(levels.is_sorted());
    for check in registry() {
        assert!(!check.variants.is_empty() && check.variants.is_sorted(), "{}", check.id);
        assert!(check.variants.iter().all(|&v| v <= MAX_MINOR));
        assert!(check.overrides.is_empty() || check.level == R, "{}", check.id);
        for id in check.overrides {
            assert_eq!(info(id).map(|c| c.level), Some(B), "{id}");
        }
        assert_eq!(info(check.id).map(|c| c.id), Some(check.id));
    }
    assert!(info("nope").is_none());
    assert_eq!(registry().iter().filter_map(|c| c.variants.last()).max(), Some(&MAX_MINOR));
}

#[test]
fn docs_have_the_sections() {
    for check in registry() {
        assert!(!check.doc.starts_with("# "), "{}", check.id);
        let mut at = 0;
        for section in ["## What it checks", "## Allowed values", "## Versions", "## Why", "## Example"] {
            let found = check.doc[at..].find(section);
            assert!(found.is_some(), "{}: {section}", check.id);
            at += found.unwrap_or_default();
        }
        // What `podsec fix` does is documented with the check.
        assert!(check.doc.contains("\n## Fix\n"), "{}: ## Fix", check.id);
        // PSA's variants are named by the policy version they start at (podsec's own have none).
        for variant in check.variants.iter().filter(|_| check.source == Source::Psa) {
            assert!(check.doc.contains(&format!("**v1.{variant}**")), "{} v1.{variant}", check.id);
        }
    }
}

#[test]
fn active_checks_per_level_and_version() {
    let baseline_latest = [
        "appArmorProfile",
        "capabilities_baseline",
        "hostNamespaces",
        "hostPathVolumes",
        "hostPorts",
        "hostProbesAndHostLifecycle",
        "privileged",
        "procMount",
        "seLinuxOptions",
        "seccompProfile_baseline",
        "sysctls",
        "windowsHostProcess",
    ];
    assert_eq!(active_checks(B, LATEST), baseline_latest);
    let restricted_latest = [
        "appArmorProfile",
        "hostNamespaces",
        "hostPorts",
        "hostProbesAndHostLifecycle",
        "privileged",
        "seLinuxOptions",
        "sysctls",
        "windowsHostProcess",
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "procMount_restricted",
        "restrictedVolumes",
        "runAsNonRoot",
        "runAsUser",
        "seccompProfile_restricted",
    ];
    assert_eq!(active_checks(R, LATEST), restricted_latest);
    assert_eq!(active_checks(B, v(33)).len(), 11);
    assert!(!active_checks(B, v(33)).contains(&"hostProbesAndHostLifecycle"));
    assert_eq!(
        active_checks(R, v(0)),
        [
            "appArmorProfile",
            "capabilities_baseline",
            "hostNamespaces",
            "hostPorts",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls",
            "windowsHostProcess",
            "restrictedVolumes",
            "runAsNonRoot",
        ]
    );
    assert!(active_checks(R, v(8)).contains(&"allowPrivilegeEscalation"));
    assert!(!active_checks(R, v(7)).contains(&"allowPrivilegeEscalation"));
    assert!(active_checks(R, v(23)).contains(&"runAsUser"));
    assert!(!active_checks(R, v(22)).contains(&"runAsUser"));
}

#[test]
fn overrides_apply_from_their_version() {
    let at = |minor| active_checks(R, v(minor));
    assert!(at(18).contains(&"seccompProfile_baseline"));
    assert!(!at(18).contains(&"seccompProfile_restricted"));
    assert!(!at(19).contains(&"seccompProfile_baseline"));
    assert!(at(19).contains(&"seccompProfile_restricted"));
    assert!(at(21).contains(&"capabilities_baseline"));
    assert!(!at(21).contains(&"capabilities_restricted"));
    assert!(!at(22).contains(&"capabilities_baseline"));
    assert!(at(22).contains(&"capabilities_restricted"));
    assert!(at(34).contains(&"procMount"));
    assert!(!at(34).contains(&"procMount_restricted"));
    assert!(!at(35).contains(&"procMount"));
    assert!(at(35).contains(&"procMount_restricted"));
    assert!((0..=MAX_MINOR).all(|minor| !at(minor).contains(&"hostPathVolumes")));
    assert!((0..=MAX_MINOR).all(|minor| active_checks(B, v(minor)).contains(&"hostPathVolumes")));

    // Restricted v1.18 still runs the baseline seccomp annotations check (and needs no profile).
    let seccomp = Pod::with_meta(
        json!({"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}),
        json!({"securityContext": {"runAsNonRoot": true},
               "containers": [c("a", json!({"allowPrivilegeEscalation": false}))]}),
    );
    assert_eq!(
        seccomp.eval(R, v(18)),
        ["seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"]
    );
    // Restricted v1.21 runs the baseline capabilities check: only the add allow-list.
    let caps =
        Pod::new(json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [c("a", json!({"allowPrivilegeEscalation": false,
                                      "capabilities": {"add": ["SYS_ADMIN", "CHOWN"]}}))]}));
    assert_eq!(
        caps.eval(R, v(21)),
        [
            "non-default capabilities (container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)"
        ]
    );
    assert_eq!(
        caps.eval(R, v(22)),
        [
            "unrestricted capabilities (container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"a\" must not include \"CHOWN\", \"SYS_ADMIN\" in securityContext.capabilities.add)"
        ]
    );
    // At restricted level a hostPath volume is reported by restrictedVolumes.
    let host_path = Pod::new(json!({"volumes": [{"name": "x", "hostPath": {"path": "/"}}]}));
    assert_eq!(host_path.eval(B, LATEST), ["hostPath volumes (volume \"x\")"]);
    assert!(
        host_path
            .eval(R, LATEST)
            .contains(&"restricted volume types (volume \"x\" uses restricted volume type \"hostPath\")".to_owned())
    );
}

#[test]
fn bare_nginx_at_restricted_latest() {
    let pod = Pod::new(json!({"containers": [{"name": "nginx", "image": "nginx"}]}));
    assert_eq!(
        pod.eval(R, LATEST).join(", "),
        "allowPrivilegeEscalation != false (container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), \
         unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), \
         runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), \
         seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
    );
    assert!(pod.eval(B, LATEST).is_empty());
    let spans: Vec<Span> = evaluate(R, LATEST, &pod.view()).iter().map(|v| v.span).collect();
    assert_eq!(spans, [pod.span(&["containers", "0"]); 4]);
}

#[test]
fn results_follow_the_check_order() {
    let pod = Pod::with_meta(
        json!({"annotations": {"container.apparmor.security.beta.kubernetes.io/a": "unconfined",
                               "seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}),
        json!({
            "hostNetwork": true,
            "hostUsers": true,
            "securityContext": {"runAsUser": 0, "sysctls": [{"name": "kernel.msgmax"}],
                                "seLinuxOptions": {"role": "r"}, "seccompProfile": {"type": "Unconfined"},
                                "windowsOptions": {"hostProcess": true}},
            "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
            "containers": [{"name": "a", "image": "x",
                "ports": [{"containerPort": 1, "hostPort": 1}],
                "livenessProbe": {"tcpSocket": {"host": "h", "port": 1}},
                "securityContext": {"privileged": true, "procMount": "Unmasked",
                                     "capabilities": {"add": ["SYS_ADMIN"]}}}],
        }),
    );
    let checks =
        |level, version| -> Vec<&str> { evaluate(level, version, &pod.view()).iter().map(|v| v.check).collect() };
    assert_eq!(checks(B, LATEST), active_checks(B, LATEST));
    assert_eq!(checks(R, LATEST), active_checks(R, LATEST));
    assert_eq!(checks(R, v(0)), active_checks(R, v(0)));
}

// ----- per-check goldens (§2) ----------------------------------------------------------------

#[test]
fn privileged() {
    let pod = Pod::new(json!({
        "initContainers": [c("a", json!({})), c("b", json!({"privileged": false}))],
        "containers": [c("c", json!({"privileged": null})), c("d", json!({"privileged": true}))],
        "ephemeralContainers": [c("e", json!({"privileged": true}))],
    }));
    let expected = "containers \"d\", \"e\" must not set securityContext.privileged=true";
    assert_eq!(pod.check("privileged", 0), detail("privileged", expected));
    let v = pod.violation("privileged", 0).expect("violation");
    assert_eq!(v.span, pod.span(&["containers", "1", "securityContext", "privileged"]));
    let one = Pod::new(json!({"containers": [c("a", json!({"privileged": true}))]}));
    assert_eq!(
        one.check("privileged", 0),
        detail("privileged", "container \"a\" must not set securityContext.privileged=true")
    );
    let fine = Pod::new(json!({"containers": [c("a", json!({"privileged": false}))]}));
    assert_eq!(fine.check("privileged", 0), None);
}

#[test]
fn host_namespaces() {
    let pod = Pod::new(json!({"hostIPC": true, "hostPID": true, "hostNetwork": true}));
    assert_eq!(
        pod.check("hostNamespaces", 0),
        detail("host namespaces", "hostNetwork=true, hostPID=true, hostIPC=true")
    );
    assert_eq!(pod.violation("hostNamespaces", 0).map(|v| v.span), Some(pod.span(&["hostNetwork"])));
    let pid = Pod::new(json!({"hostNetwork": false, "hostPID": true, "hostIPC": null}));
    assert_eq!(pid.check("hostNamespaces", 0), detail("host namespaces", "hostPID=true"));
    assert_eq!(Pod::new(json!({"hostNetwork": false})).check("hostNamespaces", 0), None);
}

#[test]
fn host_path_volumes() {
    let pod = Pod::new(json!({"volumes": [
        {"name": "a", "hostPath": {"path": "/a"}},
        {"name": "e", "emptyDir": {}},
        {"name": "n", "hostPath": null},
        {"name": "b", "hostPath": {}},
    ]}));
    assert_eq!(pod.check("hostPathVolumes", 0), detail("hostPath volumes", "volumes \"a\", \"b\""));
    assert_eq!(pod.violation("hostPathVolumes", 0).map(|v| v.span), Some(pod.span(&["volumes", "0"])));
}

#[test]
fn host_ports() {
    let ports = |list: Json| json!({"name": "x", "image": "x", "ports": list});
    let one = Pod::new(json!({"containers": [
        {"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 0}]},
        {"name": "b", "image": "x", "ports": [{"containerPort": 80}, {"containerPort": 20, "hostPort": 20}]},
    ]}));
    assert_eq!(one.check("hostPorts", 0), detail("hostPort", "container \"b\" uses hostPort 20"));
    assert_eq!(
        one.violation("hostPorts", 0).map(|v| v.span),
        Some(one.span(&["containers", "1", "ports", "1", "hostPort"]))
    );
    let two = Pod::new(json!({
        "initContainers": [{"name": "b", "image": "x", "ports": [{"hostPort": 10}, {"hostPort": 20}]}],
        "containers": [{"name": "c", "image": "x", "ports": [{"hostPort": 30}, {"hostPort": 10}]}],
    }));
    assert_eq!(two.check("hostPorts", 0), detail("hostPort", "containers \"b\", \"c\" use hostPorts 10, 20, 30"));
    let strings = Pod::new(json!({"ephemeralContainers": [ports(json!([{"hostPort": 80}, {"hostPort": 10000}]))]}));
    assert_eq!(strings.check("hostPorts", 0), detail("hostPort", "container \"x\" uses hostPorts 10000, 80"));
}

#[test]
fn host_probes_and_host_lifecycle() {
    let pod = Pod::new(json!({"containers": [{"name": "a", "image": "x",
        "livenessProbe": {"httpGet": {"host": "localhost", "port": 80}},
        "readinessProbe": {"tcpSocket": {"host": "127.0.0.1", "port": 80}},
        "startupProbe": {"httpGet": {"host": "", "port": 80}, "exec": {"command": ["x"]}},
        "lifecycle": {"postStart": {"httpGet": {"host": "::1"}}, "preStop": {"tcpSocket": {"host": "localhost"}}},
    }]}));
    assert_eq!(
        pod.check("hostProbesAndHostLifecycle", 34),
        detail(
            "probe or lifecycle host",
            "container \"a\" uses probe or lifecycle hosts \"127.0.0.1\", \"::1\", \"localhost\""
        )
    );
    assert_eq!(
        pod.violation("hostProbesAndHostLifecycle", 34).map(|v| v.span),
        Some(pod.span(&["containers", "0", "livenessProbe", "httpGet", "host"]))
    );
    let two = Pod::new(json!({
        "initContainers": [{"name": "invalid2", "image": "x", "lifecycle": {"preStop": {"httpGet": {"host": "b.com"}}}}],
        "containers": [
            {"name": "invalid1", "image": "x", "startupProbe": {"tcpSocket": {"host": "a.com"}}},
            {"name": "valid", "image": "x", "livenessProbe": {"httpGet": {"path": "/"}}},
            {"name": "invalid1", "image": "x", "readinessProbe": {"httpGet": {"host": "a.com"}}},
        ],
    }));
    assert_eq!(
        two.check("hostProbesAndHostLifecycle", 34),
        detail(
            "probe or lifecycle host",
            "containers \"invalid1\", \"invalid2\" use probe or lifecycle hosts \"a.com\", \"b.com\""
        )
    );
    assert!(two.eval(B, v(33)).is_empty());
    assert_eq!(two.eval(B, v(34)).len(), 1);
}

#[test]
fn capabilities_baseline() {
    let pod = Pod::new(json!({"containers": [
        c("a", json!({"capabilities": {"add": ["FOO", "CHOWN", "BAR"], "drop": ["SYS_ADMIN"]}})),
        c("ok", json!({"capabilities": {"add": ["NET_BIND_SERVICE", "KILL"]}})),
        c("b", json!({"capabilities": {"add": ["BAZ", "FOO"]}})),
    ]}));
    assert_eq!(
        pod.check("capabilities_baseline", 0),
        detail(
            "non-default capabilities",
            "containers \"a\", \"b\" must not include \"BAR\", \"BAZ\", \"FOO\" in securityContext.capabilities.add"
        )
    );
    assert_eq!(
        pod.violation("capabilities_baseline", 0).map(|v| v.span),
        Some(pod.span(&["containers", "0", "securityContext", "capabilities", "add", "0"]))
    );
    let case = Pod::new(json!({"containers": [c("a", json!({"capabilities": {"add": ["chown", "CAP_CHOWN"]}}))]}));
    assert_eq!(
        case.check("capabilities_baseline", 0),
        detail(
            "non-default capabilities",
            "container \"a\" must not include \"CAP_CHOWN\", \"chown\" in securityContext.capabilities.add"
        )
    );
}

#[test]
fn capabilities_restricted() {
    let pod = Pod::new(json!({"containers": [
        c("a", json!({"capabilities": {"add": ["FOO", "BAR"]}})),
        c("b", json!({"capabilities": {"drop": ["all"], "add": ["BAZ"]}})),
        c("c", json!({"capabilities": {"drop": ["ALL"], "add": ["CHOWN", "NET_BIND_SERVICE"]}})),
        c("d", json!({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})),
    ]}));
    assert_eq!(
        pod.check("capabilities_restricted", 22),
        detail(
            "unrestricted capabilities",
            "containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"a\", \"b\", \"c\" must not include \"BAR\", \"BAZ\", \"CHOWN\", \"FOO\" in securityContext.capabilities.add"
        )
    );
    assert_eq!(
        pod.violation("capabilities_restricted", 22).map(|v| v.span),
        Some(pod.span(&["containers", "0", "securityContext", "capabilities"]))
    );
    let missing = Pod::new(json!({"containers": [{"name": "a", "image": "x"}, c("b", json!({}))]}));
    assert_eq!(
        missing.check("capabilities_restricted", 25),
        detail(
            "unrestricted capabilities",
            "containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]"
        )
    );
    let add_only =
        Pod::new(json!({"containers": [c("a", json!({"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}))]}));
    assert_eq!(
        add_only.check("capabilities_restricted", 25),
        detail(
            "unrestricted capabilities",
            "container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add"
        )
    );
}

#[test]
fn app_armor_profile() {
    let pod = Pod::new(json!({"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
                              "containers": [c("a", json!({"appArmorProfile": {"type": "RuntimeDefault"}}))]}));
    assert_eq!(
        pod.check("appArmorProfile", 0),
        detail("forbidden AppArmor profile", "pod must not set AppArmor profile type to \"Unconfined\"")
    );
    let container = Pod::new(json!({
        "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}},
        "containers": [c("foo", json!({"appArmorProfile": {"type": "Unconfined"}}))],
    }));
    assert_eq!(
        container.check("appArmorProfile", 0),
        detail("forbidden AppArmor profile", "container \"foo\" must not set AppArmor profile type to \"Unconfined\"")
    );
    let prefix = "container.apparmor.security.beta.kubernetes.io/";
    let annotations = Pod::with_meta(
        json!({"annotations": {
            format!("{prefix}a"): "",
            format!("{prefix}b"): "runtime/default",
            format!("{prefix}c"): "localhost/",
            format!("{prefix}d"): "localhost/foo",
            format!("{prefix}e"): "unconfined",
            format!("{prefix}f"): "unknown",
            prefix: "bogus",
            "apparmor.security.beta.kubernetes.io/x": "unconfined",
        }}),
        json!({"containers": [c("a", json!({}))]}),
    );
    assert_eq!(
        annotations.check("appArmorProfile", 0),
        detail(
            "forbidden AppArmor profiles",
            "annotations must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/=\"bogus\"\", \"container.apparmor.security.beta.kubernetes.io/e=\"unconfined\"\", \"container.apparmor.security.beta.kubernetes.io/f=\"unknown\"\""
        )
    );
    let all = Pod::with_meta(
        json!({"annotations": {format!("{prefix}x"): "a\"b\\c\nd\u{1}\u{7f}é\u{200b}"}}),
        json!({"securityContext": {"appArmorProfile": {"type": "Bogus"}},
               "containers": [c("a", json!({"appArmorProfile": {}})), c("b", json!({"appArmorProfile": {"type": "Bogus"}}))]}),
    );
    assert_eq!(
        all.check("appArmorProfile", 0),
        detail(
            "forbidden AppArmor profiles",
            "pod and containers \"a\", \"b\" and annotation must not set AppArmor profile type to \"\", \"Bogus\", \"container.apparmor.security.beta.kubernetes.io/x=\"a\\\"b\\\\c\\nd\\x01\\x7fé\\u200b\"\""
        )
    );
    assert_eq!(
        all.violation("appArmorProfile", 0).map(|v| v.span),
        Some(all.span(&["securityContext", "appArmorProfile", "type"]))
    );
}

#[test]
fn se_linux_options() {
    let pod = Pod::new(json!({
        "securityContext": {"seLinuxOptions": {"type": "foo", "level": "s0"}},
        "initContainers": [c("a", json!({"seLinuxOptions": {"type": "container_t"}}))],
        "containers": [
            c("e", json!({"seLinuxOptions": {"type": "bar"}})),
            c("f", json!({"seLinuxOptions": {"user": "u"}})),
            c("b", json!({"seLinuxOptions": {"type": "", "user": "", "role": ""}})),
        ],
        "ephemeralContainers": [c("g", json!({"seLinuxOptions": {"role": "r", "type": "foo"}}))],
    }));
    assert_eq!(
        pod.check("seLinuxOptions", 0),
        detail(
            "seLinuxOptions",
            "pod and containers \"e\", \"f\", \"g\" set forbidden securityContext.seLinuxOptions: types \"bar\", \"foo\"; user may not be set; role may not be set"
        )
    );
    let user = Pod::new(json!({"securityContext": {"seLinuxOptions": {"user": "system_u"}}}));
    assert_eq!(
        user.check("seLinuxOptions", 0),
        detail("seLinuxOptions", "pod set forbidden securityContext.seLinuxOptions: user may not be set")
    );
    assert_eq!(
        user.violation("seLinuxOptions", 0).map(|v| v.span),
        Some(user.span(&["securityContext", "seLinuxOptions", "user"]))
    );
    let engine = Pod::new(json!({"containers": [c("a", json!({"seLinuxOptions": {"type": "container_engine_t"}}))]}));
    assert_eq!(
        engine.check("seLinuxOptions", 30),
        detail(
            "seLinuxOptions",
            "container \"a\" set forbidden securityContext.seLinuxOptions: type \"container_engine_t\""
        )
    );
    assert_eq!(engine.check("seLinuxOptions", 31), None);
    for allowed in ["container_t", "container_init_t", "container_kvm_t"] {
        let pod = Pod::new(json!({"securityContext": {"seLinuxOptions": {"type": allowed}}}));
        assert_eq!(pod.check("seLinuxOptions", 0), None);
    }
}

#[test]
fn proc_mount() {
    let pod = Pod::new(json!({
        "initContainers": [c("a", json!({"procMount": "Default"})), c("b", json!({}))],
        "containers": [c("d", json!({"procMount": "Unmasked"})), c("c", json!({"procMount": null}))],
        "ephemeralContainers": [c("e", json!({"procMount": "other"}))],
    }));
    let expected = detail(
        "procMount",
        "containers \"d\", \"e\" must not set securityContext.procMount to \"Unmasked\", \"other\"",
    );
    assert_eq!(pod.check("procMount", 0), expected);
    assert_eq!(pod.check("procMount_restricted", 35), expected);
    assert_eq!(pod.violation("procMount_restricted", 35).map(|v| v.check), Some("procMount_restricted"));
}

#[test]
fn seccomp_profile_baseline_annotations() {
    let pod_only = Pod::with_meta(
        json!({"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}),
        json!({"containers": [c("a", json!({}))]}),
    );
    assert_eq!(
        pod_only.check("seccompProfile_baseline", 0),
        detail("seccompProfile", "forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\"")
    );
    let prefix = "container.seccomp.security.alpha.kubernetes.io/";
    let many = Pod::with_meta(
        json!({"annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
            format!("{prefix}a"): "unconfined",
            format!("{prefix}b"): "unknown",
            format!("{prefix}c"): "runtime/default",
            format!("{prefix}d"): "docker/default",
            format!("{prefix}e"): "localhost/foo",
            format!("{prefix}missing"): "unconfined",
        }}),
        json!({"initContainers": [c("a", json!({}))], "containers": [c("c", json!({})), c("d", json!({}))],
               "ephemeralContainers": [c("b", json!({})), c("e", json!({}))]}),
    );
    assert_eq!(
        many.check("seccompProfile_baseline", 0),
        detail(
            "seccompProfile",
            "forbidden annotations container.seccomp.security.alpha.kubernetes.io/a=\"unconfined\", container.seccomp.security.alpha.kubernetes.io/b=\"unknown\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\""
        )
    );
    // The annotations are ignored from v1.19.
    assert_eq!(many.check("seccompProfile_baseline", 19), None);
    let empty =
        Pod::with_meta(json!({"annotations": {format!("{prefix}a"): ""}}), json!({"containers": [c("a", json!({}))]}));
    assert_eq!(
        empty.check("seccompProfile_baseline", 18),
        detail("seccompProfile", "forbidden annotation container.seccomp.security.alpha.kubernetes.io/a=\"\"")
    );
}

#[test]
fn seccomp_profile_fields() {
    let pod = Pod::new(json!({
        "securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [
            c("a", json!({"seccompProfile": {"type": "RuntimeDefault"}})),
            c("b", json!({})),
            c("c", json!({"seccompProfile": {"type": "Unconfined"}})),
            c("d", json!({"seccompProfile": {"type": "Unconfined"}})),
        ],
    }));
    let expected = detail(
        "seccompProfile",
        "pod and containers \"c\", \"d\" must not set securityContext.seccompProfile.type to \"Unconfined\"",
    );
    assert_eq!(pod.check("seccompProfile_baseline", 19), expected);
    assert_eq!(pod.check("seccompProfile_restricted", 19), expected);
    let implicit = Pod::new(json!({"containers": [c("a", json!({}))]}));
    assert_eq!(implicit.check("seccompProfile_baseline", 19), None);
    assert_eq!(
        implicit.check("seccompProfile_restricted", 19),
        detail(
            "seccompProfile",
            "pod or container \"a\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""
        )
    );
    let containers_only = Pod::new(json!({
        "securityContext": {"seccompProfile": {"type": "Localhost"}},
        "containers": [
            c("a", json!({"seccompProfile": {"type": "RuntimeDefault"}})),
            c("b", json!({})),
            c("c", json!({"seccompProfile": {"type": "Unconfined"}})),
            c("d", json!({"seccompProfile": {"type": "Unconfined"}})),
        ],
    }));
    assert_eq!(
        containers_only.check("seccompProfile_restricted", 25),
        detail(
            "seccompProfile",
            "containers \"c\", \"d\" must not set securityContext.seccompProfile.type to \"Unconfined\""
        )
    );
    // A pod-level invalid type fails even when every container sets a valid one.
    let pod_bad = Pod::new(json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [c("a", json!({"seccompProfile": {"type": "RuntimeDefault"}}))]}));
    assert_eq!(
        pod_bad.check("seccompProfile_restricted", 25),
        detail("seccompProfile", "pod must not set securityContext.seccompProfile.type to \"Unconfined\"")
    );
    // Explicit takes precedence over implicit; an empty profile counts as type "".
    let mixed = Pod::new(json!({"containers": [c("a", json!({})), c("b", json!({"seccompProfile": {}}))]}));
    assert_eq!(
        mixed.check("seccompProfile_restricted", 25),
        detail("seccompProfile", "container \"b\" must not set securityContext.seccompProfile.type to \"\"")
    );
    assert_eq!(
        mixed.violation("seccompProfile_restricted", 25).map(|v| v.span),
        Some(mixed.span(&["containers", "1", "securityContext", "seccompProfile"]))
    );
}

#[test]
fn sysctls() {
    let pod = Pod::new(json!({"securityContext": {"sysctls": [
        {"name": "a", "value": "1"},
        {"name": "kernel.shm_rmid_forced", "value": "1"},
        {"name": "b", "value": "1"},
    ]}}));
    assert_eq!(pod.check("sysctls", 0), detail("forbidden sysctls", "a, b"));
    assert_eq!(pod.violation("sysctls", 0).map(|v| v.span), Some(pod.span(&["securityContext", "sysctls", "0"])));
    let dup = Pod::new(json!({"securityContext": {"sysctls": [
        {"name": "net/ipv4/tcp_syncookies"}, {"name": "x"}, {"name": "net/ipv4/tcp_syncookies"}]}}));
    assert_eq!(
        dup.check("sysctls", 37),
        detail("forbidden sysctls", "net/ipv4/tcp_syncookies, x, net/ipv4/tcp_syncookies")
    );
    let boundaries = [
        (27, "net.ipv4.ip_local_reserved_ports"),
        (29, "net.ipv4.tcp_keepalive_time"),
        (29, "net.ipv4.tcp_fin_timeout"),
        (29, "net.ipv4.tcp_keepalive_intvl"),
        (29, "net.ipv4.tcp_keepalive_probes"),
        (32, "net.ipv4.tcp_rmem"),
        (32, "net.ipv4.tcp_wmem"),
        (37, "net.ipv4.tcp_slow_start_after_idle"),
        (37, "net.ipv4.tcp_notsent_lowat"),
    ];
    for (since, name) in boundaries {
        let pod = Pod::new(json!({"securityContext": {"sysctls": [{"name": name}]}}));
        assert_eq!(pod.eval(B, v(since - 1)), [format!("forbidden sysctls ({name})")]);
        assert!(pod.eval(B, v(since)).is_empty(), "{name}");
    }
}

#[test]
fn windows_host_process() {
    let pod = Pod::new(json!({
        "securityContext": {"windowsOptions": {"hostProcess": true}},
        "initContainers": [c("a", json!({"windowsOptions": {"hostProcess": false}}))],
        "containers": [c("e", json!({"windowsOptions": {"hostProcess": true}})), c("b", json!({"windowsOptions": {}}))],
        "ephemeralContainers": [c("f", json!({"windowsOptions": {"hostProcess": true}}))],
    }));
    assert_eq!(
        pod.check("windowsHostProcess", 0),
        detail(
            "hostProcess",
            "pod and containers \"e\", \"f\" must not set securityContext.windowsOptions.hostProcess=true"
        )
    );
}

#[test]
fn restricted_volumes() {
    let mut volumes = vec![
        json!({"name": "a1", "configMap": {}}),
        json!({"name": "a2", "csi": {}}),
        json!({"name": "a3", "downwardAPI": {}}),
        json!({"name": "a4", "emptyDir": {}}),
        json!({"name": "a5", "ephemeral": {}}),
        json!({"name": "a6", "image": {"reference": "r"}}),
        json!({"name": "a7", "persistentVolumeClaim": {}}),
        json!({"name": "a8", "projected": {}}),
        json!({"name": "a9", "secret": {}}),
        json!({"name": "a10", "secret": {}, "hostPath": {}}),
    ];
    let restricted = [
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
    let mut names = Vec::new();
    for (i, source) in restricted.iter().enumerate() {
        let name = format!("b{}", i + 1);
        volumes.push(json!({"name": name, *source: {}}));
        names.push(name);
    }
    volumes.push(json!({"name": "c1"}));
    names.push("c1".to_owned());
    volumes.push(json!({"name": "c2", "emptyDir": null}));
    names.push("c2".to_owned());
    let mut types: Vec<&str> = restricted.to_vec();
    types.push("unknown");
    types.sort_unstable();
    let pod = Pod::new(json!({"volumes": volumes}));
    assert_eq!(
        pod.check("restrictedVolumes", 0),
        detail(
            "restricted volume types",
            &format!("volumes {} use restricted volume types {}", join_quote(&names), join_quote(&types))
        )
    );
    assert!(join_quote(&types).starts_with("\"awsElasticBlockStore\", \"azureDisk\", "));
    assert!(join_quote(&types).ends_with(", \"unknown\", \"vsphereVolume\""));
    assert_eq!(pod.violation("restrictedVolumes", 0).map(|v| v.span), Some(pod.span(&["volumes", "10"])));
    let one = Pod::new(json!({"volumes": [{"name": "n", "nfs": {}, "hostPath": {}}]}));
    assert_eq!(
        one.check("restrictedVolumes", 0),
        detail("restricted volume types", "volume \"n\" uses restricted volume type \"hostPath\"")
    );
}

#[test]
fn allow_privilege_escalation() {
    let pod = Pod::new(json!({
        "initContainers": [{"name": "a", "image": "x"}],
        "containers": [c("b", json!({})), c("d", json!({"allowPrivilegeEscalation": false}))],
        "ephemeralContainers": [c("c", json!({"allowPrivilegeEscalation": true}))],
    }));
    assert_eq!(
        pod.check("allowPrivilegeEscalation", 8),
        detail(
            "allowPrivilegeEscalation != false",
            "containers \"a\", \"b\", \"c\" must set securityContext.allowPrivilegeEscalation=false"
        )
    );
    assert_eq!(pod.violation("allowPrivilegeEscalation", 8).map(|v| v.span), Some(pod.span(&["initContainers", "0"])));
    let only_true = Pod::new(json!({"containers": [c("c", json!({"allowPrivilegeEscalation": true}))]}));
    assert_eq!(
        only_true.violation("allowPrivilegeEscalation", 25).map(|v| v.span),
        Some(only_true.span(&["containers", "0", "securityContext", "allowPrivilegeEscalation"]))
    );
    let sc_only = Pod::new(json!({"containers": [c("c", json!({}))]}));
    assert_eq!(
        sc_only.violation("allowPrivilegeEscalation", 25).map(|v| v.span),
        Some(sc_only.span(&["containers", "0", "securityContext"]))
    );
}

#[test]
fn run_as_non_root() {
    let pod_false = Pod::new(json!({"securityContext": {"runAsNonRoot": false},
        "containers": [c("a", json!({"runAsNonRoot": true}))]}));
    assert_eq!(
        pod_false.check("runAsNonRoot", 0),
        detail("runAsNonRoot != true", "pod must not set securityContext.runAsNonRoot=false")
    );
    let containers_false = Pod::new(json!({"securityContext": {"runAsNonRoot": true},
        "containers": [c("a", json!({})), c("b", json!({"runAsNonRoot": true})),
                       c("c", json!({"runAsNonRoot": false})), c("d", json!({"runAsNonRoot": false}))]}));
    assert_eq!(
        containers_false.check("runAsNonRoot", 0),
        detail("runAsNonRoot != true", "containers \"c\", \"d\" must not set securityContext.runAsNonRoot=false")
    );
    let unset = Pod::new(json!({"securityContext": {"runAsUser": 1000},
        "containers": [c("a", json!({})), {"name": "b", "image": "x"}, c("c", json!({"runAsNonRoot": true}))]}));
    assert_eq!(
        unset.check("runAsNonRoot", 0),
        detail("runAsNonRoot != true", "pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true")
    );
    assert_eq!(
        unset.violation("runAsNonRoot", 0).map(|v| v.span),
        Some(unset.span(&["containers", "0", "securityContext"]))
    );
    let pod_true = Pod::new(json!({"securityContext": {"runAsNonRoot": true}, "containers": [c("a", json!({}))]}));
    assert_eq!(pod_true.check("runAsNonRoot", 0), None);
}

#[test]
fn run_as_user() {
    let pod = Pod::new(json!({"securityContext": {"runAsUser": 0},
        "containers": [c("a", json!({"runAsUser": 1000}))]}));
    assert_eq!(pod.check("runAsUser", 23), detail("runAsUser=0", "pod must not set runAsUser=0"));
    let containers = Pod::new(json!({"securityContext": {"runAsUser": 1000},
        "initContainers": [c("c", json!({"runAsUser": 0}))],
        "containers": [c("a", json!({})), c("b", json!({"runAsUser": 1})), c("d", json!({"runAsUser": 0}))]}));
    assert_eq!(
        containers.check("runAsUser", 23),
        detail("runAsUser=0", "containers \"c\", \"d\" must not set runAsUser=0")
    );
    assert_eq!(
        containers.violation("runAsUser", 23).map(|v| v.span),
        Some(containers.span(&["initContainers", "0", "securityContext", "runAsUser"]))
    );
}

// ----- cross-cutting behaviour ---------------------------------------------------------------

#[test]
fn ephemeral_containers_are_checked() {
    let pod = Pod::new(json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [c("app", json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}))],
        "ephemeralContainers": [c("debugger", json!({"privileged": true, "capabilities": {"add": ["SYS_PTRACE"]}}))],
    }));
    assert_eq!(
        pod.eval(R, LATEST),
        [
            "privileged (container \"debugger\" must not set securityContext.privileged=true)",
            "allowPrivilegeEscalation != false (container \"debugger\" must set securityContext.allowPrivilegeEscalation=false)",
            "unrestricted capabilities (container \"debugger\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"debugger\" must not include \"SYS_PTRACE\" in securityContext.capabilities.add)",
        ]
    );
}

#[test]
fn windows_exemption_from_1_25() {
    let pod = Pod::new(json!({
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "app", "image": "x"}],
    }));
    assert!(pod.eval(R, v(25)).is_empty());
    assert!(pod.eval(R, LATEST).is_empty());
    assert_eq!(
        pod.eval(R, v(24)),
        [
            "allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false)",
            "unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"])",
            "seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
        ]
    );
    // Exact, lower-case match only.
    let upper = Pod::new(json!({"os": {"name": "Windows"}, "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "app", "image": "x"}]}));
    assert_eq!(upper.eval(R, LATEST).len(), 3);
    // The quirk: a Windows pod adding SYS_ADMIN passes restricted but fails baseline.
    let quirk = Pod::new(json!({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
        "containers": [c("app", json!({"capabilities": {"add": ["SYS_ADMIN"]}}))]}));
    assert!(quirk.eval(R, LATEST).is_empty());
    assert_eq!(quirk.eval(B, LATEST).len(), 1);
    // No exemption for runAsNonRoot or hostProcess.
    let host_process = Pod::new(json!({"os": {"name": "windows"},
        "securityContext": {"windowsOptions": {"hostProcess": true}},
        "containers": [{"name": "app", "image": "x"}]}));
    assert_eq!(
        host_process.eval(R, LATEST),
        [
            "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)",
            "runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)",
        ]
    );
}

#[test]
fn host_users_false_from_1_35() {
    let pod = Pod::new(json!({
        "hostUsers": false,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}, "runAsUser": 0},
        "containers": [c("app", json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                                        "procMount": "Unmasked"}))],
    }));
    let proc_mount = "procMount (container \"app\" must not set securityContext.procMount to \"Unmasked\")";
    assert_eq!(
        pod.eval(R, v(34)),
        [
            proc_mount,
            "runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)",
            "runAsUser=0 (pod must not set runAsUser=0)",
        ]
    );
    assert_eq!(pod.eval(R, v(35)), [proc_mount]);
    assert_eq!(evaluate(R, v(35), &pod.view()).iter().map(|v| v.check).collect::<Vec<_>>(), ["procMount_restricted"]);
    assert_eq!(pod.eval(B, v(34)), [proc_mount]);
    assert!(pod.eval(B, v(35)).is_empty());
    // hostUsers unset or true: no relaxation.
    let host_users = Pod::new(json!({"hostUsers": true, "containers": [c("app", json!({"procMount": "Unmasked"}))]}));
    assert_eq!(host_users.eval(B, LATEST), [proc_mount]);
}

#[test]
fn metadata_may_be_absent() {
    let spec = to_node(&json!({"containers": [c("a", json!({"privileged": true}))]}), &mut 0);
    let pod = PodView { meta: None, spec: &spec };
    assert_eq!(evaluate(B, LATEST, &pod).len(), 1);
    let scalar = to_node(&json!("not a pod spec"), &mut 0);
    let pod = PodView { meta: Some(&scalar), spec: &scalar };
    assert!(evaluate(B, LATEST, &pod).is_empty());
    assert_eq!(evaluate(R, LATEST, &pod).len(), 0);
}

#[test]
fn null_strings_read_as_empty() {
    let pod = Pod::with_meta(
        json!({"annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": null,
            "container.apparmor.security.beta.kubernetes.io/a": null,
        }}),
        json!({"containers": [c("a", json!({"capabilities": {"add": [null]}}))]}),
    );
    assert_eq!(
        pod.eval(B, v(18)),
        [
            "non-default capabilities (container \"a\" must not include \"\" in securityContext.capabilities.add)",
            "seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"\")",
        ]
    );
}

#[test]
fn go_quote_matches_strconv_quote() {
    assert_eq!(go_quote(""), "\"\"");
    assert_eq!(go_quote("unconfined"), "\"unconfined\"");
    assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_eq!(go_quote("\u{7}\u{8}\u{c}\n\r\t\u{b}\u{0}\u{1b}\u{7f}"), "\"\\a\\b\\f\\n\\r\\t\\v\\x00\\x1b\\x7f\"");
    assert_eq!(
        go_quote("é日本\u{85}\u{a0}\u{feff}\u{e000}\u{f0000}"),
        "\"é日本\\u0085\\u00a0\\ufeff\\ue000\\U000f0000\""
    );
}

#[test]
fn join_quote_and_plural() {
    assert_eq!(join_quote::<&str>(&[]), "");
    assert_eq!(join_quote(&["a"]), "\"a\"");
    assert_eq!(join_quote(&["a\"b", "c"]), "\"a\"b\", \"c\"");
    assert_eq!(plural(1, "a", "b"), "a");
    assert_eq!(plural(0, "a", "b"), "b");
    assert_eq!(plural(2, "a", "b"), "b");
    assert_eq!(sorted(vec!["b", "a", "b", "B"]), ["B", "a", "b"]);
}

// ----- the checks' fix tests (each check's file has its own) -------------------------------------

/// What `check`'s fix does to a Pod manifest at `version` with `opts`, through the whole fix
/// engine (`fix` with `--unsafe-fixes`) with every other check ignored: each fix's class and note
/// (applied ones first), then the diff (one line of context). Asserts that the check fails before
/// and, unless its fix is manual, passes after.
pub(super) fn fixed_with(check: &str, yaml: &str, version: PolicyVersion, opts: &FixOptions) -> String {
    use fixing::Class;
    let yaml = yaml.trim_start_matches('\n');
    let info = info(check).expect("known check");
    let variant = info.variant_at(version.effective_minor()).expect("the check exists at this version");
    let violation = |text: &str| {
        let stream = crate::yaml::parse_stream(text, &crate::yaml::Limits::default());
        let root = stream.docs.into_iter().next().expect("one document").root.expect("valid YAML");
        let view = PodView { meta: root.field("metadata"), spec: root.field("spec").expect("a spec") };
        (info.evaluate)(&view, variant)
    };
    assert!(violation(yaml).is_some(), "{check} passes before the fix");
    let mut policy = crate::engine::Policy::new(info.level, version);
    policy.ignore = registry().iter().filter(|c| c.id != check).map(|c| c.id.to_owned()).collect();
    let choice = crate::fix::Choice { unsafe_fixes: true, options: opts.clone(), details: true, ..Default::default() };
    let src = crate::input::Source { name: "pod.yaml".into(), text: yaml.to_owned(), ..Default::default() };
    let result = crate::fix::fix_source(&src, &policy, &choice, &crate::yaml::Limits::default());
    assert!(result.bugs.is_empty() && result.errors.is_empty(), "{check}: {:?}", result.bugs);
    let fixes: Vec<_> = result.applied.iter().chain(&result.remaining).map(|a| &a.fix).collect();
    assert!(!fixes.is_empty(), "{check} plans no fix");
    let manual = fixes.iter().any(|f| f.class == Class::Manual);
    assert!(result.remaining.iter().all(|a| a.fix.class == Class::Manual), "{check}: a fix was not written");
    assert_eq!(violation(&result.text).is_some(), manual, "{check} after the fix:\n{}", result.text);
    let mut shown: String = fixes.iter().map(|f| format!("{}: {}\n", f.class.as_str(), f.note)).collect();
    let diff = similar::TextDiff::from_lines(yaml, result.text.as_str());
    for hunk in diff.unified_diff().context_radius(1).iter_hunks() {
        shown.push_str(&hunk.to_string());
    }
    shown
}

/// [`fixed_with`] at `latest`, without options.
pub(super) fn fixed(check: &str, yaml: &str) -> String {
    fixed_with(check, yaml, PolicyVersion::LATEST, &FixOptions::default())
}
