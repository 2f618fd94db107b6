//! podsec and kustomize, end to end with the real kustomize (`kubectl kustomize`).
//!
//! Section 1 (functions `overlay_*`): `podsec fix --format kustomize DIR`, the overlay mode, on every
//! case of `../shared/kustomize/` and on error cases.
//!
//! Section 2 (functions `krm_*`): podsec as a transformer inside the build, by the legacy exec plugin
//! and by the container route (a `docker` shim first on PATH runs `podsec krm`), on the same cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value as J;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_podsec");

// ---------------------------------------------------------------------------------------------
// Section 1: overlay mode (`podsec fix --format kustomize DIR`)
// ---------------------------------------------------------------------------------------------

/// Whether `kubectl` runs here; when it does not, the caller skips (with a SKIPPED line), unless
/// `CI=true` or `PODSEC_REQUIRE_SHARED` is set, where it is a failure.
fn overlay_kubectl() -> bool {
    let ok = Command::new("kubectl").args(["version", "--client"]).output().is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true") && std::env::var_os("PODSEC_REQUIRE_SHARED").is_none(),
        "kubectl is missing and CI=true or PODSEC_REQUIRE_SHARED is set: the kustomize tests need it"
    );
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: kubectl not found (the kustomize overlay tests need it)");
    false
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn overlay_podsec(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podsec runs");
    if let Some(input) = stdin {
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn overlay_build(dir: &Path) -> String {
    let out = Command::new("kubectl").arg("kustomize").arg(dir).output().expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn overlay_copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            overlay_copy(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Every file under `root`, by relative path, with its bytes.
fn overlay_tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

type Key = (String, String, String, String);

/// The documents of a build, as JSON, with their identity.
fn overlay_docs(text: &str) -> Vec<(Key, J)> {
    let stream = podsec::yaml::parse_stream(text, &podsec::yaml::Limits::default());
    stream
        .docs
        .iter()
        .map(|d| {
            let j = d.root.as_ref().expect("the build parses").to_json();
            let s = |p: &str| j.pointer(p).and_then(J::as_str).unwrap_or("").to_owned();
            ((s("/apiVersion"), s("/kind"), s("/metadata/namespace"), s("/metadata/name")), j)
        })
        .collect()
}

/// Pointer → leaf value (empty objects and arrays are leaves).
fn overlay_leaves(v: &J, at: String, out: &mut BTreeMap<String, J>) {
    match v {
        J::Object(o) if !o.is_empty() => {
            for (k, x) in o {
                overlay_leaves(x, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        J::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                overlay_leaves(x, format!("{at}/{i}"), out);
            }
        }
        _ => {
            out.insert(at, v.clone());
        }
    }
}

fn overlay_under(p: &str, base: &str) -> bool {
    p == base || p.starts_with(&format!("{base}/"))
}

/// What one case gave, for the report line.
struct CaseResult {
    resources: usize,
    remaining: usize,
}

/// One case through the overlay mode, in a temp copy of its owner folder; every assertion of the
/// suite is made here. `unsafe_fixes` adds `--unsafe-fixes` (then only manual fixes may remain).
fn overlay_case(shared: &Path, case: &str, unsafe_fixes: bool) -> CaseResult {
    let owner = case.split('/').next().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    overlay_copy(&shared.join(owner), &tmp.path().join(owner));
    let dir = tmp.path().join(case);
    let dir_s = dir.display().to_string();
    let kname = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .into_iter()
        .find(|n| dir.join(n).is_file())
        .expect("a kustomization");
    let kust_before = std::fs::read_to_string(dir.join(kname)).unwrap();
    let tree_before = overlay_tree(tmp.path());
    let before = overlay_build(&dir);

    let mut args = vec!["fix", "--format", "kustomize", "--kustomize-cmd", "kubectl kustomize"];
    if unsafe_fixes {
        args.push("--unsafe-fixes");
    }
    args.push(&dir_s);
    let run = overlay_podsec(&args, None);
    assert!(run.code == 0 || run.code == 1, "{case}: exit {}: {}", run.code, run.stderr);
    let after = overlay_build(&dir);

    // (1) The new build passes but for what is manual (or unsafe and not chosen).
    let check = overlay_podsec(&["check", "--format", "json", "-"], Some(&after));
    assert!(check.code == 0 || check.code == 1, "{case}: check exit {}: {}", check.code, check.stderr);
    let report: J = serde_json::from_str(&check.stdout).unwrap();
    let mut remaining = 0;
    for r in report["results"].as_array().unwrap() {
        for v in r["violations"].as_array().into_iter().flatten() {
            let fix = v["fix"].as_str().unwrap_or("");
            let allowed: &[&str] = if unsafe_fixes { &["manual"] } else { &["manual", "unsafe"] };
            assert!(allowed.contains(&fix), "{case}: a {fix} violation is left after the overlay: {v}");
            remaining += 1;
        }
    }
    if run.code == 0 {
        assert_eq!(remaining, 0, "{case}: podsec said nothing remains, check finds {remaining}");
    }

    // (2) The new build differs from the old exactly by the patches the fix engine plans on it.
    let mut plan_args = vec!["fix", "--format", "json-patch"];
    if unsafe_fixes {
        plan_args.push("--unsafe-fixes");
    }
    plan_args.push("-");
    let planned = overlay_podsec(&plan_args, Some(&before));
    let planned: J = serde_json::from_str(&planned.stdout).expect("json-patch output");
    let planned = planned.as_array().unwrap();
    let (old_docs, new_docs) = (overlay_docs(&before), overlay_docs(&after));
    assert_eq!(
        old_docs.iter().map(|d| &d.0).collect::<Vec<_>>(),
        new_docs.iter().map(|d| &d.0).collect::<Vec<_>>(),
        "{case}: the build's resources changed"
    );
    let mut patched = 0;
    for ((key, old), (_, new)) in old_docs.iter().zip(&new_docs) {
        let ops = planned.iter().find(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or("").to_owned();
            (s("apiVersion"), s("kind"), s("namespace"), s("name")) == *key
        });
        let Some(ops) = ops.map(|p| p["patch"].clone()) else {
            assert_eq!(old, new, "{case}: {key:?} changed without a planned fix");
            continue;
        };
        patched += 1;
        let mut expect = old.clone();
        json_patch::patch(&mut expect, &serde_json::from_value::<json_patch::Patch>(ops.clone()).unwrap()).unwrap();
        assert_eq!(&expect, new, "{case}: {key:?} is not the build plus its planned patch");
        // Every changed leaf is at or under a patched path (a removal: under its parent list).
        let bases: Vec<String> = ops
            .as_array()
            .unwrap()
            .iter()
            .map(|op| {
                let path = op["path"].as_str().unwrap().trim_end_matches("/-").to_owned();
                if op["op"] == "remove" { path.rsplit_once('/').unwrap().0.to_owned() } else { path }
            })
            .collect();
        let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
        overlay_leaves(old, String::new(), &mut a);
        overlay_leaves(new, String::new(), &mut b);
        for p in a.keys().chain(b.keys()).filter(|p| a.get(*p) != b.get(*p)) {
            assert!(
                bases.iter().any(|base| overlay_under(p, base)),
                "{case}: {key:?}: {p} changed, not a patched path"
            );
        }
    }
    assert_eq!(patched, planned.len(), "{case}: a planned patch matched no resource of the build");

    // (4) Nothing outside DIR changed; inside, only the kustomization and podsec's patch files.
    let tree_after = overlay_tree(tmp.path());
    let rel_dir = PathBuf::from(case);
    for (p, bytes) in tree_before.iter() {
        if tree_after.get(p) != Some(bytes) {
            assert_eq!(p, &rel_dir.join(kname), "{case}: {} changed", p.display());
        }
    }
    for p in tree_after.keys().filter(|p| !tree_before.contains_key(*p)) {
        assert!(p.starts_with(rel_dir.join("podsec-patches")), "{case}: {} was created", p.display());
    }
    assert_eq!(tree_after.len() - tree_before.len(), patched, "{case}: one patch file per patched resource");

    // (5) The kustomization changed by added lines only: every original line, in order, comments too.
    let kust_after = std::fs::read_to_string(dir.join(kname)).unwrap();
    let mut new_lines = kust_after.lines();
    for line in kust_before.lines() {
        assert!(new_lines.any(|l| l == line), "{case}: kustomization line {line:?} lost or moved");
    }
    if patched == 0 {
        assert_eq!(kust_after, kust_before, "{case}: nothing to fix, yet the kustomization changed");
    }

    // (3) Running it again changes no file.
    let again = overlay_podsec(&args, None);
    assert_eq!(again.code, run.code, "{case}: second run: {}", again.stderr);
    assert!(overlay_tree(tmp.path()) == tree_after, "{case}: the second run changed files: {}", again.stderr);
    CaseResult { resources: patched, remaining }
}

fn overlay_cases(shared: &Path) -> Vec<String> {
    let tsv = std::fs::read_to_string(shared.join("CASES.tsv")).unwrap();
    tsv.lines().skip(1).filter_map(|l| l.split('\t').next()).filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

/// Every case of `../shared/kustomize/`, with safe fixes and with `--unsafe-fixes`, in parallel.
#[test]
fn overlay_every_shared_case() {
    let Some(shared) = common::shared("kustomize") else { return };
    if !overlay_kubectl() {
        return;
    }
    let cases = overlay_cases(&shared);
    assert_eq!(cases.len(), 12, "CASES.tsv lists 12 cases");
    let results: Vec<(String, bool, CaseResult)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .flat_map(|c| [false, true].map(|u| (c, u)))
            .map(|(c, u)| {
                let shared = &shared;
                s.spawn(move || (c.clone(), u, overlay_case(shared, c, u)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a case failed")).collect()
    });
    for (case, unsafe_fixes, r) in &results {
        let mode = if *unsafe_fixes { "--unsafe-fixes" } else { "safe" };
        println!("{case} [{mode}]: {} resources patched, {} violations left (manual/unsafe)", r.resources, r.remaining);
    }
    // The cases with something to fix are fixed through their overlay (a regression to "no patch"
    // would otherwise pass the assertions above).
    let patched = results.iter().filter(|(_, u, r)| !u && r.resources > 0).count();
    assert!(patched >= 9, "only {patched} cases were patched");
}

/// The preview modes write nothing and show the change; `--check` exits 1.
#[test]
fn overlay_preview_modes_write_nothing() {
    let Some(shared) = common::shared("kustomize") else { return };
    if !overlay_kubectl() {
        return;
    }
    let case =
        "GoogleCloudPlatform__kubernetes-engine-samples/workloads/migrate-x86-app-to-multi-arch/k8s/overlays/multiarch";
    let tmp = tempfile::tempdir().unwrap();
    overlay_copy(&shared.join(case.split('/').next().unwrap()), &tmp.path().join(case.split('/').next().unwrap()));
    let dir = tmp.path().join(case).display().to_string();
    let before = overlay_tree(tmp.path());
    let diff = overlay_podsec(&["fix", "--format", "kustomize", "--diff", &dir], None);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(diff.stdout.contains("+++ b/") && diff.stdout.contains("kustomization.yaml"), "{}", diff.stdout);
    assert!(diff.stdout.contains("--- /dev/null"), "a new patch file is diffed from /dev/null:\n{}", diff.stdout);
    // namePrefix `multiarch-` is DIR's own: the target is the name before it.
    assert!(diff.stdout.contains("+    name: hello-deployment\n"), "{}", diff.stdout);
    assert!(diff.stderr.contains("would fix"), "{}", diff.stderr);
    let stdout = overlay_podsec(&["fix", "--format", "kustomize", "--stdout", &dir], None);
    assert_eq!(stdout.code, 0, "{}", stdout.stderr);
    assert!(stdout.stdout.contains("- op: add"), "{}", stdout.stdout);
    let check = overlay_podsec(&["fix", "--format", "kustomize", "--check", &dir], None);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(overlay_tree(tmp.path()) == before, "a preview mode wrote files");
    // The diff applies as it is (git apply) and gives what a write gives.
    let out = Command::new("git")
        .args(["apply", "--unsafe-paths", "--directory", "/"])
        .current_dir(tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(diff.stdout.as_bytes())?;
            c.wait_with_output()
        });
    if let Ok(out) = out {
        assert!(out.status.success(), "git apply: {}", String::from_utf8_lossy(&out.stderr));
        let applied = overlay_tree(tmp.path());
        std::fs::remove_dir_all(tmp.path()).unwrap();
        overlay_copy(&shared.join(case.split('/').next().unwrap()), &tmp.path().join(case.split('/').next().unwrap()));
        let write = overlay_podsec(&["fix", "--format", "kustomize", &dir], None);
        assert_eq!(write.code, 0, "{}", write.stderr);
        assert!(overlay_tree(tmp.path()) == applied, "the diff and the write differ");
    }
}

/// A scenario of podsec's own: a base with a prefix and a namespace, a dotted name, unsafe and
/// manual fixes; one overlay sets `namespace:` and `namePrefix:`, the other (CRLF, comments) a
/// `nameSuffix:` and an existing `patches:` list.
fn overlay_scenario(root: &Path) {
    let w = |p: &str, t: &str| {
        let p = root.join("scen").join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    };
    w("base/kustomization.yaml", "namePrefix: b-\nresources: [deploy.yaml, cron.yaml]\n");
    w(
        "base/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web.v1\n  namespace: orig\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        securityContext:\n          privileged: true\n          capabilities:\n            add: [NET_ADMIN, NET_BIND_SERVICE]\n      volumes:\n      - name: host\n        hostPath: {path: /var}\n",
    );
    w(
        "base/cron.yaml",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: tick\n  namespace: orig\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: t\n            image: busybox\n",
    );
    w(
        "overlay/kustomization.yaml",
        "# the production overlay\nnamespace: prod   # everything goes here\nnamePrefix: o-\nresources:\n  - ../base\n",
    );
    w(
        "overlay-crlf/kustomization.yaml",
        "# staging\r\nnameSuffix: -s\r\nresources:\r\n- ../base\r\npatches:\r\n# keep replicas low\r\n- patch: |-\r\n    - op: add\r\n      path: /spec/replicas\r\n      value: 1\r\n  target:\r\n    kind: Deployment\r\n",
    );
}

/// podsec's own scenario: targets through prefixes, suffixes, namespaces and a dotted name; unsafe
/// fixes (a removal from a list) and a manual one left.
#[test]
fn overlay_own_scenario() {
    if !overlay_kubectl() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    overlay_scenario(root.path());
    for case in ["scen/overlay", "scen/overlay-crlf"] {
        let safe = overlay_case(root.path(), case, false);
        assert_eq!(safe.resources, 2, "{case}");
        assert!(safe.remaining >= 3, "{case}: privileged, capabilities and hostPath are left");
        let all = overlay_case(root.path(), case, true);
        assert_eq!(all.remaining, 1, "{case}: only hostPath (manual) is left");
    }
}

/// New fixes for a resource podsec already patches go into its patch file (the entry stays).
#[test]
fn overlay_updates_its_own_patch_in_place() {
    if !overlay_kubectl() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    overlay_scenario(root.path());
    let dir = root.path().join("scen/overlay");
    let d = dir.display().to_string();
    let safe = overlay_podsec(&["fix", "--format", "kustomize", &d], None);
    assert_eq!(safe.code, 1, "{}", safe.stderr);
    let kust = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    assert!(kust.contains("    name: b-web\\.v1\n") && !kust.contains("namespace: orig"), "{kust}");
    let patch = dir.join("podsec-patches/deployment_b-web.v1.yaml");
    let first = std::fs::read_to_string(&patch).unwrap();
    let all = overlay_podsec(&["fix", "--format", "kustomize", "--unsafe-fixes", &d], None);
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert!(all.stderr.contains("restrictedVolumes") && all.stderr.contains("[manual]"), "{}", all.stderr);
    assert_eq!(std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap(), kust, "the entry was already there");
    let second = std::fs::read_to_string(&patch).unwrap();
    assert!(second.starts_with(&first) && second.len() > first.len(), "appended:\n{second}");
    assert!(second.contains("- op: remove\n"), "{second}"); // capabilities.add: NET_ADMIN
    let tree = overlay_tree(root.path());
    let again = overlay_podsec(&["fix", "--format", "kustomize", "--unsafe-fixes", &d], None);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(overlay_tree(root.path()) == tree, "third run changed files");
}

fn overlay_script(dir: &Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

fn overlay_assert_error(run: &Run, dir: &str, what: &str) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {}", run.stderr);
    assert!(
        lines[0].starts_with("podsec: error: ") && lines[0].contains(dir) && lines[0].contains(what),
        "{}",
        lines[0]
    );
    assert_eq!(run.stdout, "");
}

/// Errors are one line naming the directory, exit 2, and nothing written. None needs kubectl: a
/// script stands in for kustomize.
#[test]
fn overlay_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let dir = tmp.path().join("overlay");
    std::fs::create_dir(&dir).unwrap();
    let d = dir.display().to_string();

    // No kustomization.
    let run = overlay_podsec(&["fix", "--format", "kustomize", &d], None);
    overlay_assert_error(&run, &d, "no kustomization");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    // Not a directory, and no directory at all.
    let run = overlay_podsec(&["fix", "--format", "kustomize", &format!("{d}/nope")], None);
    overlay_assert_error(&run, "nope", "not a directory");
    let run = overlay_podsec(&["fix", "--format", "kustomize"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // json-patch is not a preview of anything.
    let run = overlay_podsec(&["fix", "--format", "json-patch", "--diff", &d], None);
    assert_eq!(run.code, 2, "{}", run.stderr);

    let kust = "resources:\n- deployment.yaml\n";
    std::fs::write(dir.join("kustomization.yaml"), kust).unwrap();
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n";
    std::fs::write(dir.join("deployment.yaml"), deployment).unwrap();
    let files = overlay_tree(&dir);

    // kustomize missing.
    let missing = bin.join("no-such-kustomize").display().to_string();
    let run = overlay_podsec(&["fix", "--format", "kustomize", "--kustomize-cmd", &missing, &d], None);
    overlay_assert_error(&run, &d, "not found");
    assert!(overlay_tree(&dir) == files);

    // The build fails.
    let failing = overlay_script(&bin, "failing", "echo 'Error: accumulating resources: boom' >&2; exit 1");
    let run = overlay_podsec(&["fix", "--format", "kustomize", "--kustomize-cmd", &failing, &d], None);
    overlay_assert_error(&run, &d, "failed: Error: accumulating resources: boom");
    assert!(overlay_tree(&dir) == files);

    // A build that ignores the patches (as a target that matches nothing would): everything
    // written is put back.
    let ignoring = overlay_script(&bin, "ignoring", "cat \"$1/deployment.yaml\"");
    let run = overlay_podsec(&["fix", "--format", "kustomize", "--kustomize-cmd", &ignoring, &d], None);
    overlay_assert_error(&run, &d, "nothing was changed");
    assert!(overlay_tree(&dir) == files, "the rollback left files behind");
    assert!(!dir.join("podsec-patches").exists());
    // The same in --diff mode shows the change (there is no rebuild to fail).
    let run = overlay_podsec(&["fix", "--format", "kustomize", "--diff", "--kustomize-cmd", &ignoring, &d], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("+- path: podsec-patches/deployment_web.yaml\n"), "{}", run.stdout);
    assert!(overlay_tree(&dir) == files);

    // A real failing build, when kubectl is here.
    if Command::new("kubectl").args(["version", "--client"]).output().is_ok_and(|o| o.status.success()) {
        std::fs::write(dir.join("kustomization.yaml"), "resources:\n- missing.yaml\n").unwrap();
        let files = overlay_tree(&dir);
        let run = overlay_podsec(&["fix", "--format", "kustomize", "--kustomize-cmd", "kubectl kustomize", &d], None);
        overlay_assert_error(&run, &d, "failed");
        assert!(overlay_tree(&dir) == files);
    }
}

// ---------------------------------------------------------------------------------------------
// Section 2: the transformer (KRM function, container route, legacy exec plugin) inside the real
// kustomize (`kubectl kustomize --enable-alpha-plugins`)
// ---------------------------------------------------------------------------------------------

const PODSEC: &str = BIN;

/// A place for the routes: a plugin home with the exec plugin linked in, and a `docker` shim that
/// runs podsec's KRM function (kustomize runs a container function as `docker run ... IMAGE`).
struct Routes {
    dir: tempfile::TempDir,
}

impl Routes {
    fn new() -> Routes {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(PODSEC)
            .args(["kustomize", "install-plugin", "--dir"])
            .arg(dir.path().join("plugins"))
            .output()
            .unwrap();
        assert!(out.status.success(), "install-plugin: {}", String::from_utf8_lossy(&out.stderr));
        let snippet = String::from_utf8_lossy(&out.stdout);
        assert!(snippet.contains("kind: PodSecurityFix") && snippet.contains("transformers:"), "{snippet}");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let shim = bin.join("docker");
        std::fs::write(&shim, "#!/bin/sh\n# kustomize runs `docker run [flags] IMAGE`: run podsec's KRM function instead.\nprintf '%s\\n' \"$*\" >> \"$(dirname \"$0\")/docker.log\"\nexec \"$PODSEC_BIN\" krm\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        Routes { dir }
    }

    /// `kubectl kustomize [--enable-alpha-plugins] DIR` with the plugin home and the shim: (exit, stdout, stderr).
    fn build(&self, dir: &Path, plugins: bool) -> (i32, String, String) {
        let mut cmd = std::process::Command::new("kubectl");
        cmd.arg("kustomize");
        if plugins {
            cmd.arg("--enable-alpha-plugins");
        }
        let path = format!("{}:{}", self.dir.path().join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let out = cmd
            .arg(dir)
            .env("KUSTOMIZE_PLUGIN_HOME", self.dir.path().join("plugins"))
            .env("PATH", path)
            .env("PODSEC_BIN", PODSEC)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }
}

/// A kustomization in `at` that builds `base` through the transformer `config`.
fn wrap(at: &Path, base: &Path, config: &str) {
    std::fs::create_dir_all(at).unwrap();
    // kustomize takes only relative paths to other kustomizations.
    let (from, to) = (at.canonicalize().unwrap(), base.canonicalize().unwrap());
    let common = from.components().zip(to.components()).take_while(|(a, b)| a == b).count();
    let mut rel = std::path::PathBuf::new();
    for _ in from.components().skip(common) {
        rel.push("..");
    }
    rel.extend(to.components().skip(common));
    std::fs::write(
        at.join("kustomization.yaml"),
        format!("resources:\n- {}\ntransformers:\n- podsec.yaml\n", rel.display()),
    )
    .unwrap();
    std::fs::write(at.join("podsec.yaml"), config).unwrap();
}

fn transformer(route: &str, spec: &str) -> String {
    let annotation = match route {
        "plugin" => String::new(),
        "container" => {
            "  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: podsec:test\n"
                .into()
        }
        "exec" => {
            "  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./podsec-krm\n".into()
        }
        _ => unreachable!(),
    };
    format!(
        "apiVersion: podsec.dev/v1alpha1\nkind: PodSecurityFix\nmetadata:\n  name: podsec\n{annotation}spec:\n{spec}"
    )
}

/// The documents of a build, as JSON.
fn docs_of(build: &str) -> Vec<serde_json::Value> {
    podsec::yaml::parse_stream(build, &podsec::yaml::Limits::default())
        .docs
        .iter()
        .map(|d| d.root.as_ref().expect("kustomize output parses").to_json())
        .collect()
}

/// The fields a Pod Security fix may touch.
fn security_field(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').collect();
    segs.iter().any(|s| {
        matches!(
            *s,
            "securityContext"
                | "automountServiceAccountToken"
                | "hostNetwork"
                | "hostPID"
                | "hostIPC"
                | "hostPort"
                | "hostUsers"
        ) || s.starts_with("container.apparmor.security.beta.kubernetes.io~1")
    })
}

/// Every case of `../shared/kustomize/`, built through podsec by the exec plugin and by the
/// container route of the real kustomize: the routes agree, every build passes the level but for
/// what has no automatic fix, and the output equals the plain build but for security fields.
#[test]
fn krm_routes_on_the_real_kustomizations() {
    let (true, Some(root)) = (overlay_kubectl(), common::shared("kustomize")) else { return };
    let cases = std::fs::read_to_string(root.join("CASES.tsv")).unwrap();
    let routes = Routes::new();
    let mut failures = Vec::new();
    let (mut built, mut changed) = (0, 0);
    for line in cases.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let case = line.split('\t').next().unwrap();
        let dir = root.join(case);
        let (code, plain, err) = routes.build(&dir, false);
        assert_eq!(code, 0, "{case}: the plain build: {err}");
        let spec = "  level: restricted\n  unsafeFixes: true\n";
        let mut outputs = Vec::new();
        for route in ["plugin", "container"] {
            let at = routes.dir.path().join(route).join(case.replace('/', "__"));
            wrap(&at, &dir, &transformer(route, spec));
            let (code, out, err) = routes.build(&at, true);
            if code != 0 {
                failures.push(format!("{case} ({route}): exit {code}: {err}"));
                continue;
            }
            built += 1;
            // Passes restricted, but for the violations no fix can make (volumes).
            let file = at.join("build.yaml");
            std::fs::write(&file, &out).unwrap();
            let check =
                std::process::Command::new(PODSEC).args(["check", "--format", "json"]).arg(&file).output().unwrap();
            let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
            for r in report["results"].as_array().unwrap() {
                for v in r["violations"].as_array().into_iter().flatten() {
                    if v["fix"] != "manual" {
                        failures.push(format!("{case} ({route}): {} {} remains: {}", r["kind"], r["name"], v["check"]));
                    }
                }
            }
            // Only security fields differ from the plain build.
            let (before, after) = (docs_of(&plain), docs_of(&out));
            if before.len() != after.len() {
                failures.push(format!(
                    "{case} ({route}): {} documents, the plain build has {}",
                    after.len(),
                    before.len()
                ));
            }
            for (b, a) in before.iter().zip(&after) {
                let diff = serde_json::to_value(json_patch::diff(b, a)).unwrap();
                for op in diff.as_array().unwrap() {
                    changed += 1;
                    let path = op["path"].as_str().unwrap();
                    if !security_field(path) {
                        failures.push(format!("{case} ({route}): {} changed {path}", b["metadata"]["name"]));
                    }
                }
            }
            outputs.push(out);
        }
        if outputs.len() == 2 && outputs[0] != outputs[1] {
            failures.push(format!("{case}: the plugin and the container route differ"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(built >= 24, "only {built} builds");
    assert!(changed >= 24, "the builds were fixed: only {changed} fields changed");
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "kustomize: {built} builds through podsec, {changed} fields fixed");
    let log = std::fs::read_to_string(routes.dir.path().join("bin/docker.log")).unwrap();
    assert!(log.contains("run --rm -i") && log.contains("podsec:test"), "kustomize ran the container: {log}");
}

/// Mode check fails the build with one stderr line per violation; a bad functionConfig fails it
/// with one line; `kubectl kustomize` skips an exec function silently (it has no --enable-exec).
#[test]
fn krm_failures_and_the_exec_route_under_kubectl() {
    if !overlay_kubectl() {
        return;
    }
    let routes = Routes::new();
    let base = routes.dir.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("kustomization.yaml"), "resources:\n- pod.yaml\n").unwrap();
    std::fs::write(
        base.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx\n",
    )
    .unwrap();
    for route in ["plugin", "container"] {
        let at = routes.dir.path().join(format!("check-{route}"));
        wrap(&at, &base, &transformer(route, "  level: restricted\n  mode: check\n"));
        let (code, out, err) = routes.build(&at, true);
        assert_eq!(code, 1, "{route}: {out}{err}");
        assert!(err.contains("podsec: error: Pod/p: runAsNonRoot: runAsNonRoot != true (pod or container \"a\" must set securityContext.runAsNonRoot=true)"), "{route}: {err}");
        let at = routes.dir.path().join(format!("bad-{route}"));
        wrap(&at, &base, &transformer(route, "  level: privileged\n"));
        let (code, _, err) = routes.build(&at, true);
        assert_eq!(code, 1, "{route}: {err}");
        assert!(err.contains("podsec: error: invalid functionConfig"), "{route}: {err}");
        let at = routes.dir.path().join(format!("fix-{route}"));
        wrap(&at, &base, &transformer(route, "  level: baseline\n"));
        let (code, out, err) = routes.build(&at, true);
        assert_eq!(code, 0, "{route}: {err}");
        assert!(!out.contains("runAsNonRoot"), "baseline adds nothing to a compliant pod: {out}");
    }
    // The exec route: kubectl has no --enable-exec, and an exec function is skipped without a word.
    let at = routes.dir.path().join("exec");
    wrap(&at, &base, &transformer("exec", "  level: restricted\n"));
    std::os::unix::fs::symlink(PODSEC, at.join("podsec-krm")).unwrap();
    let (code, out, _) = routes.build(&at, true);
    assert_eq!(code, 0);
    assert!(!out.contains("runAsNonRoot"), "kubectl kustomize does not run exec functions: {out}");
    let unknown = std::process::Command::new("kubectl").args(["kustomize", "--enable-exec"]).arg(&at).output().unwrap();
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("unknown flag"));
    // The same link, run as kustomize's exec runtime would (no arguments, a ResourceList on stdin).
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    containers:\n    - name: a\n      image: nginx\nfunctionConfig:\n  apiVersion: podsec.dev/v1alpha1\n  kind: PodSecurityFix\n  spec: {level: restricted}\n";
    let mut child = std::process::Command::new(at.join("podsec-krm"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(list.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("runAsNonRoot: true") && text.contains("results:"), "{text}");
}
