//! Conformance with the official Pod Security Admission library, read in place from
//! `../shared/conformance/`: the library's own fixtures and hand-written cases with its exact verdicts.

use std::path::{Path, PathBuf};

use podsec::checks::{Level, PolicyVersion};
use podsec::engine::{self, Outcome, Policy};
use podsec::input;
use podsec::yaml::Limits;

mod common;
use common::shared;

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
    let Some(root) = shared("conformance/psa-fixtures") else { return };
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
    let Some(dir) = shared("conformance/oracle-cases") else { return };
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
                    Outcome::Skipped { kind, .. } => {
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

/// Every document of `../shared/corpus/` against the official decoder's and PSA library's verdict
/// (`corpus-verdicts/verdicts.jsonl`), at baseline and restricted. Two readings are podsec's own
/// and checked as such: a `List` is expanded (the library skips it; podsec checks each item), and a
/// document without `kind` is skipped (the decoder's "Object 'Kind' is missing": it is not a
/// Kubernetes object). An apiVersion the API server does not serve is an error, as there.
#[test]
fn corpus_verdicts_agree() {
    let (Some(corpus), Some(verdicts)) = (shared("corpus"), shared("conformance/corpus-verdicts/verdicts.jsonl"))
    else {
        return;
    };
    type Key = (String, String);
    let mut by_file: std::collections::BTreeMap<Key, Vec<serde_json::Value>> = Default::default();
    for line in std::fs::read_to_string(&verdicts).expect("verdicts").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let key = (v["file"].as_str().unwrap().to_owned(), v["level"].as_str().unwrap().to_owned());
        by_file.entry(key).or_default().push(v);
    }
    let (mut compared, mut lists, mut failures) = (0, 0, Vec::new());
    for ((file, level), rows) in &by_file {
        let policy = policy(level, "latest");
        let checked = check(&corpus.join(file), &policy);
        let here = format!("{file} at {level}");
        let docs: std::collections::BTreeSet<usize> = checked.resources.iter().map(|r| r.doc).collect();
        if docs.len() != rows.len() {
            failures.push(format!("{here}: {} documents, the API server reads {}", docs.len(), rows.len()));
            continue;
        }
        for row in rows {
            compared += 1;
            let doc = row["doc"].as_u64().unwrap() as usize;
            let mine: Vec<&engine::Resource> = checked.resources.iter().filter(|r| r.doc == doc).collect();
            let at = format!("{here} doc {doc}");
            if row["skipped"] == true && row["kind"] == "List" {
                lists += 1;
                if !mine.iter().all(|r| r.item.is_some()) || mine.is_empty() {
                    failures.push(format!("{at}: a List whose items podsec does not check: {mine:?}"));
                }
                continue;
            }
            let [r] = mine.as_slice() else {
                failures.push(format!("{at}: {} results", mine.len()));
                continue;
            };
            match (&r.outcome, row["error"].as_str()) {
                (Outcome::Skipped { kind, .. }, Some(e))
                    if e.starts_with("Object 'Kind' is missing") && kind.is_empty() => {}
                (Outcome::Error { message, .. }, Some(e)) => {
                    let want = e.strip_prefix("decode: ").unwrap_or(e);
                    let same = if want.starts_with("no kind ") {
                        // The scheme's location is noise; podsec says what to use instead.
                        message.starts_with(want.split(" in scheme ").next().unwrap())
                    } else {
                        message == want
                    };
                    if !same {
                        failures.push(format!("{at}: error {message:?}, the API server says {want:?}"));
                    }
                }
                (other, Some(e)) => failures.push(format!("{at}: the API server refuses it ({e}); podsec: {other:?}")),
                (Outcome::Skipped { .. }, None) if row["skipped"] == true => {}
                (Outcome::Workload { findings, .. }, None) if row["skipped"] != true => {
                    let want: Vec<(String, String)> = row["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| (x["reason"].as_str().unwrap().to_owned(), x["detail"].as_str().unwrap().to_owned()))
                        .collect();
                    let have: Vec<(String, String)> =
                        findings.iter().filter(|f| !f.own).map(|f| (f.reason.clone(), f.detail.clone())).collect();
                    if want != have || row["allowed"].as_bool() != Some(r.allowed()) {
                        failures.push(format!("{at}: PSA says {want:?}, podsec {have:?}"));
                    }
                }
                (other, None) => failures.push(format!("{at}: the API server reads {row}; podsec: {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
    assert!(compared > 2000, "only {compared} documents compared");
    eprintln!("corpus verdicts: {compared} documents agree ({lists} Lists expanded by podsec)");
}

/// Cases of `testdata/yaml-agreement` where podsec still reads YAML differently from go-yaml v2, each
/// with why. The list may only shrink: a case that now agrees must be taken off it.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[];

/// Every document of `testdata/yaml-agreement` reads as go-yaml v2 reads it (`expected.jsonl`: its
/// JSON, or an error; error texts are not compared), except the known disagreements above.
#[test]
fn yaml_agrees_with_go_yaml_v2() {
    let dir = Path::new("testdata/yaml-agreement");
    let mut expected: std::collections::BTreeMap<String, Vec<serde_json::Value>> = Default::default();
    for line in std::fs::read_to_string(dir.join("expected.jsonl")).unwrap().lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = row["file"].as_str().unwrap().to_owned();
        let docs = expected.entry(file).or_default();
        assert_eq!(row["doc"].as_u64(), Some(docs.len() as u64), "{line}");
        docs.push(row);
    }
    let files = yaml_files(dir);
    assert_eq!(files.len(), expected.len(), "every case has its verdict in expected.jsonl");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let want = expected.get(name).unwrap_or_else(|| panic!("{name}: not in expected.jsonl"));
        let text = std::fs::read_to_string(path).unwrap();
        let stream = podsec::yaml::parse_stream(&text, &Limits::default());
        let mut got: Vec<Result<serde_json::Value, String>> =
            stream.docs.iter().map(|d| d.root.as_ref().map(|n| n.to_json()).map_err(|e| e.message.clone())).collect();
        if let Some(e) = &stream.fatal {
            got.push(Err(e.message.clone()));
        }
        let agrees = got.len() == want.len()
            && got.iter().zip(want).all(|(g, w)| match (g, w.get("json")) {
                (Ok(json), Some(want)) => json == want,
                (Err(_), None) => true,
                _ => false,
            });
        let known = KNOWN_DISAGREEMENTS.iter().find(|(f, _)| *f == name);
        match (agrees, known) {
            (true, Some(_)) => failures.push(format!("{name}: now agrees; take it off KNOWN_DISAGREEMENTS")),
            (false, None) => failures.push(format!("{name}: podsec {got:?}, go-yaml v2 {want:?}")),
            _ => {}
        }
    }
    for (file, _) in KNOWN_DISAGREEMENTS {
        if !expected.contains_key(*file) {
            failures.push(format!("{file}: in KNOWN_DISAGREEMENTS but not a case"));
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
}
