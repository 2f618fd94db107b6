//! Conformance with the official Pod Security Admission library, read in place from
//! `../shared/conformance/`: the library's own fixtures and hand-written cases with its exact verdicts.

use std::path::{Path, PathBuf};

use podsec::checks::{Level, PolicyVersion};
use podsec::engine::{self, Outcome, Policy};
use podsec::input;
use podsec::yaml::Limits;

const SHARED: &str = "../shared/conformance";

fn policy(level: &str, version: &str) -> Policy {
    Policy::new(level.parse::<Level>().expect("level"), version.parse::<PolicyVersion>().expect("version"))
}

fn check(path: &Path, policy: &Policy) -> engine::Checked {
    let src = input::read(&path.display().to_string(), Some(path)).expect("readable fixture");
    engine::check_source(&src, policy, &Limits::default())
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The substring the library's error must contain, by fixture file stem (psa-fixtures/README.md).
fn expected_substring(stem: &str) -> &'static str {
    let id = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    match id {
        "allowprivilegeescalation" => "allowPrivilegeEscalation",
        "apparmorprofile" => "forbidden AppArmor profile",
        "capabilities_baseline" => "capabilities",
        "capabilities_restricted" => "unrestricted capabilities",
        "hostnamespaces" => "host namespaces",
        "hostpathvolumes" => "hostPath",
        "hostports" => "hostPort",
        "hostprobesandhostlifecycle" => "probe or lifecycle host",
        "privileged" => "privileged",
        "procmount" | "procmount_restricted" => "procMount",
        "restrictedvolumes" => "restricted volume types",
        "runasnonroot" => "runAsNonRoot",
        "runasuser" => "runAsUser",
        "seccompprofile_baseline" | "seccompprofile_restricted" => "seccompProfile",
        "selinuxoptions" => "seLinuxOptions",
        "sysctls" => "forbidden sysctl",
        "windowshostprocess" => "hostProcess",
        other => panic!("fixture stem {other:?} has no expected substring"),
    }
}

#[test]
fn psa_fixtures_all_levels_and_versions() {
    let root = Path::new(SHARED).join("psa-fixtures");
    let mut checked = 0;
    let mut failures = Vec::new();
    for level in ["baseline", "restricted"] {
        for minor in 0..=37 {
            let version = format!("v1.{minor}");
            let policy = policy(level, &version);
            for outcome in ["pass", "fail"] {
                let dir = root.join(level).join(&version).join(outcome);
                if !dir.exists() {
                    continue;
                }
                for path in yaml_files(&dir) {
                    checked += 1;
                    let result = check(&path, &policy);
                    let [resource] = result.resources.as_slice() else {
                        failures.push(format!("{}: expected one resource", path.display()));
                        continue;
                    };
                    let Outcome::Workload { findings, .. } = &resource.outcome else {
                        failures.push(format!("{}: not evaluated: {:?}", path.display(), resource.outcome));
                        continue;
                    };
                    let texts: Vec<String> =
                        findings.iter().filter(|f| !f.own).map(|f| format!("{} ({})", f.reason, f.detail)).collect();
                    if outcome == "pass" && (!texts.is_empty() || !resource.allowed()) {
                        failures.push(format!("{}: should pass, got {texts:?}", path.display()));
                    }
                    if outcome == "fail" {
                        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                        let want = expected_substring(stem);
                        if !texts.iter().any(|t| t.contains(want)) {
                            failures.push(format!("{}: should fail with {want:?}, got {texts:?}", path.display()));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} fixtures disagree:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(checked, 4537, "every upstream fixture is read");
}

#[test]
fn oracle_cases_agree_exactly() {
    let dir = Path::new(SHARED).join("oracle-cases");
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in yaml_files(&dir) {
        let expected_path = path.with_extension("expected.json");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).expect("expected.json")).expect("json");
        let cases = expected.as_object().expect("object of level:version");
        for (key, docs) in cases {
            let (level, version) = key.split_once(':').expect("level:version");
            // The oracle library's newest policy is v1.35, so its `latest` is v1.35; ours is v1.37.
            // The data must not distinguish them (no case uses a v1.37-only sysctl): check that first.
            if version == "latest" {
                let v135 = format!("{level}:v1.35");
                if let Some(same) = cases.get(&v135) {
                    assert_eq!(docs, same, "{}: {key} differs from {v135}", path.display());
                }
            }
            let result = check(&path, &policy(level, version));
            let docs = docs.as_array().expect("list of documents");
            if docs.len() != result.resources.len() {
                failures.push(format!(
                    "{} {key}: {} results, expected {}",
                    path.display(),
                    result.resources.len(),
                    docs.len()
                ));
                continue;
            }
            for (want, got) in docs.iter().zip(&result.resources) {
                compared += 1;
                let doc = want["doc"].as_u64().expect("doc") as usize;
                let here = format!("{} {key} doc {doc}", path.display());
                if got.doc != doc {
                    failures.push(format!("{here}: got doc {}", got.doc));
                }
                match &got.outcome {
                    Outcome::Error { message, .. } => {
                        if want.get("error").is_none() {
                            failures.push(format!("{here}: unexpected error {message}"));
                        }
                    }
                    Outcome::Skipped { kind } => {
                        if want.get("skipped") != Some(&serde_json::Value::Bool(true)) || want["kind"] != kind.as_str()
                        {
                            failures.push(format!("{here}: skipped {kind}, expected {want}"));
                        }
                    }
                    Outcome::Workload { kind, name, findings, .. } => {
                        let reasons: Vec<serde_json::Value> = findings
                            .iter()
                            .filter(|f| !f.own)
                            .map(|f| serde_json::json!({"reason": f.reason, "detail": f.detail}))
                            .collect();
                        let ok = want["kind"] == kind.as_str()
                            && want["name"] == name.as_deref().unwrap_or_default()
                            && want["allowed"] == got.allowed()
                            && want["reasons"] == serde_json::Value::Array(reasons.clone());
                        if !ok {
                            failures.push(format!("{here}: got {kind} {name:?} {reasons:?}, expected {want}"));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
    assert!(compared > 500, "only {compared} verdicts compared");
}

/// `docs/checks/*.md` are rendered from the code; a stale page fails here.
/// `PODSEC_UPDATE_DOCS=1 cargo test --test conformance docs` rewrites them.
#[test]
fn docs_are_current() {
    let update = std::env::var_os("PODSEC_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (path, content) in podsec::docs::pages() {
        let path = Path::new("docs").join(path);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(stale.is_empty(), "stale docs (run PODSEC_UPDATE_DOCS=1 cargo test --test conformance docs): {stale:?}");
}
