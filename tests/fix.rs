//! `podsec fix`: the upstream fixtures are fixed to pass, real-world manifests change only where a
//! value must, and the diffs of the style scenarios in `testdata/fix/` are what a reviewer approved.
//!
//! The snapshots are insta's: `cargo insta test` then `cargo insta review` to approve a change.

use std::path::{Path, PathBuf};

use podsec::checks::{Level, PolicyVersion};
use podsec::edit::OpKind;
use podsec::engine::{Outcome, Policy};
use podsec::fix::{Choice, FileFix, fix_source};
use podsec::frontend::unified_diff;
use podsec::input::{self, LineIndex, Source};
use podsec::k8s::{self, Seg};
use podsec::yaml::{self, Limits, Node};

mod common;

fn policy(level: &str, version: &str) -> Policy {
    Policy::new(level.parse::<Level>().expect("level"), version.parse::<PolicyVersion>().expect("version"))
}

fn choice(unsafe_fixes: bool) -> Choice {
    Choice { unsafe_fixes, details: true, patches: true, ..Choice::default() }
}

fn read(path: &Path) -> Source {
    input::read(&path.display().to_string(), Some(path)).expect("readable")
}

fn fix(src: &Source, policy: &Policy, unsafe_fixes: bool) -> FileFix {
    fix_source(src, policy, &choice(unsafe_fixes), &Limits::default())
}

/// Whether `value` matches the insta snapshot `<dir>/<name>.snap` (`dir` from the crate root), made
/// from `input`. On a mismatch insta prints the difference (and, outside CI, writes `<name>.snap.new`
/// for `cargo insta review`); returning instead of panicking lets a test report every scenario first.
fn matches_snapshot(dir: &str, name: &str, input: &Path, value: &str) -> bool {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(input);
    let check = std::panic::AssertUnwindSafe(|| settings.bind(|| insta::assert_snapshot!(name, value)));
    std::panic::catch_unwind(check).is_ok()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(p);
        }
    }
}

/// Every `fail/` fixture, fixed at its own level and version with unsafe fixes, then passes unless
/// only manual violations remain; every `pass/` fixture changes only by the service-account line.
#[test]
fn upstream_fixtures_are_fixed() {
    let Some(root) = common::shared("conformance/psa-fixtures") else { return };
    let (mut fixed, mut manual, mut untouched) = (0, 0, 0);
    let mut failures = Vec::new();
    for level in ["baseline", "restricted"] {
        for minor in 0..=37 {
            let version = format!("v1.{minor}");
            let policy = policy(level, &version);
            for outcome in ["pass", "fail"] {
                let dir = root.join(level).join(&version).join(outcome);
                let Ok(rd) = std::fs::read_dir(&dir) else { continue };
                let mut paths: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
                paths.sort();
                for path in paths {
                    let src = read(&path);
                    let result = fix(&src, &policy, true);
                    let here = path.display().to_string();
                    if let Some((_, bug)) = result.bugs.first() {
                        failures.push(format!("{here}: {bug}"));
                        continue;
                    }
                    let Outcome::Workload { findings, .. } = &result.after[0].outcome else {
                        failures.push(format!("{here}: not a workload after fixing"));
                        continue;
                    };
                    if outcome == "pass" {
                        let added: Vec<&str> = similar::TextDiff::from_lines(&src.text, &result.text)
                            .iter_all_changes()
                            .filter(|c| c.tag() != similar::ChangeTag::Equal)
                            .map(|c| c.value())
                            .collect();
                        let expected: &[&str] =
                            if level == "restricted" { &["  automountServiceAccountToken: false\n"] } else { &[] };
                        if added != expected {
                            failures.push(format!("{here}: a passing pod changed: {added:?}"));
                        }
                        untouched += 1;
                    } else if findings.is_empty() {
                        fixed += 1;
                    } else if result.remaining.iter().all(|r| r.fix.class == podsec::fix::Class::Manual)
                        && findings.iter().all(|f| matches!(f.check, "restrictedVolumes" | "hostPathVolumes"))
                    {
                        manual += 1;
                    } else {
                        let left: Vec<String> =
                            findings.iter().map(|f| format!("{} ({})", f.reason, f.detail)).collect();
                        failures.push(format!("{here}: still fails: {left:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} fixtures:\n{}", failures.len(), failures.join("\n"));
    eprintln!("fixtures: {fixed} fixed, {manual} left with manual violations only, {untouched} passing pods unchanged");
    assert!(fixed > 2000 && untouched > 1000, "{fixed} fixed, {untouched} untouched");
}

#[test]
fn compliant_file_is_byte_identical() {
    let Some(path) = common::shared("conformance/oracle-cases/compliant-restricted.yaml") else { return };
    let src = read(&path);
    for unsafe_fixes in [false, true] {
        let result = fix(&src, &policy("restricted", "latest"), unsafe_fixes);
        assert!(result.bugs.is_empty());
        assert_eq!(result.text, src.text);
        assert!(result.applied.is_empty() && result.patches.is_empty());
    }
}

/// The 1-based lines a fix may rewrite in the original: the entry of a value that is replaced or
/// removed (and the key line of a collection left empty), the lines of a flow collection written
/// into, and a null entry being filled. New block entries only add lines.
fn allowed_lines(root: &Node, route: &[Seg], kind: &OpKind, text: &str, idx: &LineIndex, out: &mut Vec<usize>) {
    let mut lines = |start: usize, end: usize| {
        let (a, _) = idx.line_col(text, start);
        let (b, _) = idx.line_col(text, end);
        out.extend(a..=b);
    };
    // Walk to the deepest existing node, remembering the entries on the way.
    let mut node = root;
    let mut depth = 0;
    for seg in route {
        let (next, entry) = match seg {
            Seg::Key(k) => (node.get(k), node.entry(k)),
            Seg::Index(i) => (node.as_seq().and_then(|s| s.get(*i)), None),
        };
        match next {
            Some(n) if !n.is_null() => {
                node = n;
                depth += 1;
            }
            Some(n) => {
                // A null entry gets its content: its key line changes.
                if let Some(e) = entry {
                    lines(e.key_span.start, n.span.end.max(e.key_span.end));
                }
                return;
            }
            None => break,
        }
    }
    if depth == route.len() {
        let parent = k8s::at(root, &route[..route.len() - 1]).unwrap();
        let start = match route.last() {
            Some(Seg::Key(k)) => parent.entry(k).map_or(node.span.start, |e| e.key_span.start),
            _ => node.span.start,
        };
        lines(start, node.span.end);
        if matches!(kind, OpKind::Remove) {
            // Removing every element rewrites the collection's own key line (`add: []`).
            if let Some(owner) = route.len().checked_sub(2).and_then(|n| {
                let gp = k8s::at(root, &route[..n])?;
                match &route[n] {
                    Seg::Key(k) => gp.entry(k),
                    Seg::Index(_) => None,
                }
            }) {
                lines(owner.key_span.start, owner.key_span.end);
            }
        }
    } else if node.flow {
        lines(node.span.start, node.span.end);
    } else if let OpKind::Append(_) = kind {
        // Appending to an existing block sequence only adds a line.
    }
}

/// Every corpus file, fixed (safe, then with unsafe fixes): the self-check holds, every comment line
/// is still there, no original line changes unless it holds a changed value, the emitted JSON
/// patches turn each original document into the fixed one, and a second run changes nothing.
#[test]
fn corpus_is_fixed_minimally() {
    let Some(corpus) = common::shared("corpus") else { return };
    let mut files = Vec::new();
    files_under(&corpus, &mut files);
    assert!(files.len() >= 300, "corpus has {} files", files.len());
    let policy = policy("restricted", "latest");
    let mut failures = Vec::new();
    let (mut changed, mut ops_total) = (0, 0);
    for path in &files {
        let src = read(path);
        for unsafe_fixes in [false, true] {
            let here = format!("{} (unsafe={unsafe_fixes})", path.display());
            let result = fix(&src, &policy, unsafe_fixes);
            if let Some((_, bug)) = result.bugs.first() {
                failures.push(format!("{here}: {bug}"));
                continue;
            }
            if result.text == src.text {
                continue;
            }
            changed += 1;
            // Comments: every comment line is still there, in the same order.
            let comments =
                |t: &str| t.lines().filter(|l| l.trim_start().starts_with('#')).map(str::to_owned).collect::<Vec<_>>();
            if comments(&src.text) != comments(&result.text) {
                failures.push(format!("{here}: comment lines changed"));
            }
            // Inline comments (`value # note`, inside sequence items too) stay, or go with their line
            // when the fix removes that line.
            let inline = |t: &str| {
                let mut v: Vec<String> = t
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .filter_map(|l| l.find(" #").map(|i| l[i..].trim_end().to_owned()))
                    .collect();
                v.sort();
                v
            };
            let (mut before_inline, after_inline) = (inline(&src.text), inline(&result.text));
            for c in &after_inline {
                if let Some(i) = before_inline.iter().position(|b| b == c) {
                    before_inline.remove(i);
                }
            }
            let removed_lines: Vec<&str> = similar::TextDiff::from_lines(&src.text, &result.text)
                .iter_all_changes()
                .filter(|c| c.tag() == similar::ChangeTag::Delete)
                .map(|c| c.value())
                .collect::<Vec<_>>();
            for lost in before_inline {
                if !removed_lines.iter().any(|l| l.trim_end().ends_with(&lost)) {
                    failures.push(format!("{here}: an inline comment was lost: {lost:?}"));
                }
            }
            // Lines: only those holding a changed value are rewritten or removed.
            let stream = yaml::parse_stream(&src.text, &Limits::default());
            let idx = LineIndex::new(&src.text);
            let mut allowed = Vec::new();
            for a in &result.applied {
                let Ok(root) = &stream.docs[a.doc].root else { continue };
                for op in &a.fix.ops {
                    ops_total += 1;
                    allowed_lines(root, &op.route, &op.kind, &src.text, &idx, &mut allowed);
                }
            }
            let diff = similar::TextDiff::from_lines(&src.text, &result.text);
            let inserted: Vec<&str> =
                diff.iter_all_changes().filter(|c| c.tag() == similar::ChangeTag::Insert).map(|c| c.value()).collect();
            for change in diff.iter_all_changes() {
                // A last line without a line break gets one when lines are added after it.
                let gains_eol = !change.value().ends_with('\n')
                    && inserted.iter().any(|i| {
                        i.strip_suffix('\n').map(|i| i.strip_suffix('\r').unwrap_or(i)) == Some(change.value())
                    });
                if change.tag() == similar::ChangeTag::Delete && !gains_eol {
                    let line = change.old_index().unwrap() + 1;
                    if !allowed.contains(&line) {
                        failures.push(format!(
                            "{here}: line {line} changed but holds no changed value: {:?}",
                            change.value()
                        ));
                    }
                }
            }
            // JSON patches: applied to the original documents they give the fixed documents.
            let after = yaml::parse_stream(&result.text, &Limits::default());
            let mut docs: Vec<serde_json::Value> =
                stream.docs.iter().map(|d| d.root.as_ref().map_or(serde_json::Value::Null, Node::to_json)).collect();
            for p in &result.patches {
                let patch: json_patch::Patch = serde_json::from_str(&p.patch).unwrap();
                json_patch::patch(&mut docs[p.doc], &patch).unwrap();
            }
            for (i, d) in after.docs.iter().enumerate() {
                if d.root.as_ref().map_or(serde_json::Value::Null, Node::to_json) != docs[i] {
                    failures.push(format!("{here}: json-patch of document {i} does not give the fixed text"));
                }
            }
            // The re-check (only edited documents re-parsed) agrees with checking the fixed text afresh.
            let fresh = podsec::engine::check_source(
                &Source { text: result.text.clone(), ..src.clone() },
                &policy,
                &Limits::default(),
            );
            let verdicts = |rs: &[podsec::engine::Resource]| format!("{rs:?}");
            if verdicts(&fresh.resources) != verdicts(&result.after) {
                failures.push(format!("{here}: the incremental re-check differs from a fresh check"));
            }
            // Idempotent.
            let again = fix(&Source { text: result.text.clone(), ..src.clone() }, &policy, unsafe_fixes);
            if again.text != result.text {
                failures.push(format!("{here}: a second run changes the text again"));
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    eprintln!("corpus: {} files, {changed} fixed texts, {ops_total} edits checked", files.len());
    assert!(changed > 400, "only {changed} texts changed");
}

/// Style scenarios: the diff is compared with the reviewed snapshot beside the input
/// (`testdata/fix/<input>.snap`); the result is idempotent, keeps its line endings and proves itself.
#[test]
fn style_scenarios_match_snapshots() {
    let dir = Path::new("testdata/fix");
    let mut inputs = Vec::new();
    files_under(dir, &mut inputs);
    assert!(inputs.len() >= 12);
    let policy = policy("restricted", "latest");
    let mut failures = Vec::new();
    for path in inputs {
        let src = read(&path);
        let result = fix(&src, &policy, true);
        assert!(result.bugs.is_empty(), "{}: {:?}", path.display(), result.bugs);
        let mut snapshot = unified_diff(&path.display().to_string(), &src.text, &result.text);
        for r in &result.remaining {
            let class = match r.remains() {
                podsec::fix::Remains::Refused(why) => format!("{}, refused: {why}", r.fix.class.as_str()),
                _ => r.fix.class.as_str().to_string(),
            };
            snapshot.push_str(&format!("# remains: doc {}: {} [{class}]: {}\n", r.doc, r.fix.check, r.fix.note));
        }
        let name = path.file_name().and_then(|n| n.to_str()).expect("a file name").to_owned();
        if !matches_snapshot("testdata/fix", &name, &path, &snapshot) {
            failures.push(name);
        }
        if src.text.contains("\r\n") {
            let bare_lf = result.text.split("\r\n").any(|part| part.contains('\n'));
            assert!(!bare_lf, "{}: an LF line was written into a CRLF file", path.display());
            // insta compares text with CRLF read as LF: the diff's own lines must keep the file's CRs.
            // Every line of the file in the diff (context, removed, added), but for the headers.
            let (old, new) = (format!("--- a/{}", path.display()), format!("+++ b/{}", path.display()));
            let lines = snapshot.split('\n').take_while(|l| !l.starts_with("# remains:"));
            let mut file_lines = lines.filter(|l| l.starts_with(['+', '-', ' ']) && **l != *old && **l != *new);
            assert!(file_lines.all(|l| l.ends_with('\r')), "{}: a diff line lost its CR", path.display());
        }
        let again = fix(&Source { text: result.text.clone(), ..src.clone() }, &policy, true);
        assert_eq!(again.text, result.text, "{}: not idempotent", path.display());
    }
    assert!(failures.is_empty(), "snapshots differ (see above; `cargo insta review`): {}", failures.join(", "));
}

// ---- The command line: writing, outputs, configuration -------------------------------------------

fn podsec(args: &[&str], cwd: &Path, stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write as _;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_podsec"));
    cmd.args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run podsec");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const BARE_POD: &str =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # keep\nspec:\n  containers:\n  - name: a\n    image: nginx\n";

#[test]
fn writes_in_place_atomically_keeping_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    std::fs::write(&file, BARE_POD).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, _, err) = podsec(&["fix", "--check", "pod.yaml"], dir.path(), None);
    assert_eq!(code, 1, "--check reports pending changes: {err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), BARE_POD, "--check writes nothing");
    let (code, out, err) = podsec(&["fix", "pod.yaml"], dir.path(), None);
    assert_eq!(code, 0, "everything fixed: {err}");
    assert!(out.is_empty(), "in-place mode prints nothing on stdout");
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(
        fixed.starts_with("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # keep\n")
            && fixed.contains("runAsNonRoot: true")
    );
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    let (code, _, _) = podsec(&["fix", "--check", "pod.yaml"], dir.path(), None);
    assert_eq!(code, 0, "a second run has nothing to do");
    let (code, out, _) = podsec(&["check", "pod.yaml"], dir.path(), None);
    assert_eq!(code, 0, "{out}");
}

/// A violating Pod, then a ConfigMap of `keys` entries (podsec only skims it): a large file whose fix
/// is quick, so that many runs fit in the suite.
fn large_manifest(deployments: usize, keys: usize) -> String {
    let mut text = String::new();
    for i in 0..deployments {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx\n        securityContext: {{privileged: true}}\n"
        ));
    }
    text.push_str("---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n");
    text.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    for i in 0..keys {
        text.push_str(&format!("  k{i:06}: value-{i:06}-padding-padding-padding\n"));
    }
    text
}

fn podsec_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".podsec-"))
        .collect()
}

/// Issue 9: `fix` in place on a 2 MB file while another program appends lines to it (an editor
/// saving, a checkout). Runs start the writer at moments spread over the fix; in every run, every
/// line the writer appended is in the file afterwards: podsec either wrote its fix before the
/// writer's lines landed (they are then in the fixed file) or saw them and wrote nothing (exit 2,
/// said on stderr).
#[test]
fn a_concurrent_append_is_never_lost() {
    use std::io::Write as _;
    use std::time::{Duration, Instant};
    const RUNS: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    let original = large_manifest(0, 40_000);
    assert!(original.len() > 1_900_000);
    // How long a fix takes here, to spread the writer over it.
    std::fs::write(&file, &original).unwrap();
    let start = Instant::now();
    let (code, _, err) = podsec(&["fix", "--unsafe-fixes", "big.yaml"], dir.path(), None);
    assert_eq!(code, 0, "{err}");
    let took = start.elapsed();
    let (mut refused, mut written, mut saved) = (0, 0, 0);
    for run in 0..RUNS {
        std::fs::write(&file, &original).unwrap();
        let delay = took.mul_f64(run as f64 / RUNS as f64 * 1.2);
        let writer = {
            let file = file.clone();
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let mut lines = Vec::new();
                let until = Instant::now() + Duration::from_millis(40);
                for n in 0.. {
                    if Instant::now() > until {
                        break;
                    }
                    let line = format!("# appended by run {run}, line {n}\n");
                    let mut f = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
                    f.write_all(line.as_bytes()).unwrap();
                    lines.push(line);
                    drop(f);
                    std::thread::sleep(Duration::from_micros(200));
                }
                lines
            })
        };
        let (code, _, err) = podsec(&["fix", "--unsafe-fixes", "big.yaml"], dir.path(), None);
        let lines = writer.join().unwrap();
        let now = std::fs::read_to_string(&file).unwrap();
        // One pass over the file (a search per line is slow in a debug build).
        let present: std::collections::HashSet<&str> = now.lines().filter(|l| l.starts_with("# appended")).collect();
        let lost: Vec<&String> = lines.iter().filter(|l| !present.contains(l.trim_end())).collect();
        assert!(
            lost.is_empty(),
            "run {run}: {} of {} appended lines lost (exit {code}): {err}",
            lost.len(),
            lines.len()
        );
        match code {
            0 => written += 1,
            2 if err.contains("saved as") => saved += 1,
            2 => {
                assert!(err.contains("big.yaml: error: not written: it changed while podsec was fixing it"), "{err}");
                refused += 1;
            }
            _ => panic!("run {run}: exit {code}: {err}"),
        }
        assert!(podsec_leftovers(dir.path()).is_empty(), "run {run}: temporary files left");
    }
    eprintln!(
        "concurrent append: {RUNS} runs (fix takes {took:?}): {written} fixed, {refused} refused, {saved} saved aside, 0 lost"
    );
    assert!(refused > 0 && written > 0, "the runs did not cover both outcomes: {written} fixed, {refused} refused");
}

/// Issue 9: `fix` in place, killed (SIGKILL) at 200 moments spread over the whole run (reading,
/// fixing, writing, renaming). After every kill the file is either the original or the complete
/// fixed text, with its mode; a temporary file a kill leaves is hidden (discovery skips it) and the
/// next run removes it.
#[test]
fn a_killed_fix_leaves_the_original_or_the_fixed_file() {
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};
    const KILLS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    let original = large_manifest(40, 10_000);
    let (code, fixed, err) = podsec(&["fix", "--unsafe-fixes", "--stdout", "-"], dir.path(), Some(&original));
    assert_eq!(code, 0, "{err}");
    assert_ne!(fixed, original);
    let reset = || {
        std::fs::write(&file, &original).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    };
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_podsec"))
            .args(["fix", "--unsafe-fixes", "big.yaml"])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole run takes here (the median of five), to spread the kills over it.
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            reset();
            let start = Instant::now();
            assert!(run().wait().unwrap().success());
            start.elapsed()
        })
        .collect();
    times.sort();
    // Runs between kills vary (a kill may leave the disk busy): spread over half as long again.
    let took = times[2].mul_f64(1.5);
    let (mut kept, mut replaced, mut finished, mut temps_left) = (0, 0, 0, 0);
    for i in 0..KILLS {
        reset();
        let mut child = run();
        std::thread::sleep(took.mul_f64((i as f64 + 0.5) / KILLS as f64));
        if child.try_wait().unwrap().is_some() {
            finished += 1;
        }
        let _ = child.kill();
        child.wait().unwrap();
        let now = std::fs::read_to_string(&file).unwrap();
        match () {
            _ if now == original => kept += 1,
            _ if now == fixed => replaced += 1,
            _ => panic!(
                "kill {i} at {:?}: the file is neither the original nor the fixed text",
                took.mul_f64(i as f64 / KILLS as f64)
            ),
        }
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "kill {i}: the mode changed");
        let left = podsec_leftovers(dir.path());
        temps_left += usize::from(!left.is_empty());
        assert!(left.len() <= 1, "kill {i}: the temporary files of earlier runs were not removed: {left:?}");
    }
    // Discovery skips a temporary file a kill left, and the next complete run removes it.
    let (code, out, _) = podsec(&["check", "."], dir.path(), None);
    assert!(code != 2 && !out.contains(".podsec-"), "{out}");
    reset();
    assert!(run().wait().unwrap().success());
    assert_eq!(podsec_leftovers(dir.path()), Vec::<String>::new(), "a complete run leaves no temporary file");
    eprintln!(
        "SIGKILL: {KILLS} kills spread over {took:?} (a run and a half): {kept} left the original, {replaced} the fixed text ({finished} after the run ended), 0 torn; {temps_left} left a hidden temporary file, removed by the next run"
    );
    assert!(kept > KILLS / 10 && replaced > 0, "the kills were not spread over the run");
}

#[test]
fn stdin_goes_to_stdout_and_json_patch_describes_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = podsec(&["fix", "-"], dir.path(), Some(BARE_POD));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  name: p # keep\n") && out.contains("allowPrivilegeEscalation: false"), "{out}");
    std::fs::write(dir.path().join("pod.yaml"), BARE_POD).unwrap();
    let (code, out, err) = podsec(&["fix", "--format", "json-patch", "pod.yaml"], dir.path(), None);
    assert_eq!(code, 0, "{err}");
    let entries: serde_json::Value = serde_json::from_str(&out).unwrap();
    let entry = &entries.as_array().unwrap()[0];
    assert_eq!(entry["file"], "pod.yaml");
    assert_eq!(
        (entry["doc"].as_u64(), entry["kind"].as_str(), entry["name"].as_str()),
        (Some(0), Some("Pod"), Some("p"))
    );
    let mut doc = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}});
    let patch: json_patch::Patch = serde_json::from_value(entry["patch"].clone()).unwrap();
    json_patch::patch(&mut doc, &patch).unwrap();
    assert_eq!(doc["spec"]["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(doc["spec"]["containers"][0]["securityContext"]["capabilities"]["drop"][0], "ALL");
    assert_eq!(std::fs::read_to_string(dir.path().join("pod.yaml")).unwrap(), BARE_POD, "json-patch writes nothing");
}

#[test]
fn a_broken_document_is_left_alone_and_the_others_are_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec:\n  containers:\n  - name: a\n    securityContext:\n      privileged: \"true\"\n";
    let text = format!("{BARE_POD}---\n{broken}---\n{BARE_POD}");
    std::fs::write(dir.path().join("s.yaml"), &text).unwrap();
    let (code, _, err) = podsec(&["fix", "s.yaml"], dir.path(), None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s.yaml:17:") && err.contains("privileged"), "the error names the file and line: {err}");
    let fixed = std::fs::read_to_string(dir.path().join("s.yaml")).unwrap();
    assert!(fixed.contains(&format!("---\n{broken}---\n")), "the broken document is byte-identical");
    assert_eq!(fixed.matches("runAsNonRoot: true").count(), 2, "both neighbours are fixed");
}

#[test]
fn configuration_namespace_labels_and_exemptions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    std::fs::write(
        dir.path().join(".podsec.yaml"),
        "level: baseline\nignore: [hostPorts]\nexclude: [\"k8s/vendor-*.yaml\"]\nkinds:\n- {kind: Rollout, apiVersion: argoproj.io/v1alpha1, template: spec.template}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("k8s/vendor-broken.yaml"), "a: [\n").unwrap();
    let manifest = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n---\n\
apiVersion: v1\nkind: Pod\nmetadata:\n  name: in-prod\n  namespace: prod\nspec:\n  containers: [{name: a, image: nginx, ports: [{containerPort: 80, hostPort: 80}]}]\n---\n\
apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: ro\n  annotations:\n    podsec.dev/ignore: hostNamespaces\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers: [{name: a, image: nginx}]\n";
    std::fs::write(dir.path().join("k8s/app.yaml"), manifest).unwrap();
    let (code, out, err) = podsec(&["check", "--format", "json", "k8s"], dir.path(), None);
    assert_eq!(code, 1, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["level"], "baseline", "the configuration's level");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "the excluded file is not read: {results:?}");
    // The same from another working directory: exclusions are relative to the configuration file.
    let elsewhere = dir.path().join("k8s").display().to_string();
    let (code, out, err) = podsec(&["check", "--format", "json", &elsewhere], Path::new("/"), None);
    assert_eq!(code, 1, "{err}");
    let far: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(far["results"].as_array().unwrap().len(), 3, "excluded from elsewhere too: {far}");
    let pod = &results[1];
    assert_eq!(pod["level"], "restricted", "the Namespace's enforce label chose the level");
    assert!(pod["violations"].as_array().unwrap().iter().any(|v| v["check"] == "seccompProfile_restricted"));
    assert_eq!(pod["ignored"], serde_json::json!(["hostPorts"]), "ignored by configuration");
    let rollout = &results[2];
    assert_eq!(rollout["kind"], "Rollout", "a configured kind is a workload");
    assert_eq!(rollout["violations"], serde_json::json!([]));
    assert_eq!(rollout["ignored"], serde_json::json!(["hostNamespaces"]), "ignored by the annotation");
    // An explicit --level wins over the label; --label-namespaces writes it.
    let (_, out, _) = podsec(
        &["fix", "--level", "baseline", "--label-namespaces", "--unsafe-fixes", "--stdout", "k8s/app.yaml"],
        dir.path(),
        None,
    );
    assert!(
        out.contains(
            "pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: latest\n"
        ),
        "{out}"
    );
    // A bad configuration is an error naming the file and line.
    std::fs::write(dir.path().join(".podsec.yaml"), "level: baseline\nignore: [notACheck]\n").unwrap();
    let (code, _, err) = podsec(&["check", "k8s/app.yaml"], dir.path(), None);
    assert_eq!(code, 2);
    assert!(err.contains(".podsec.yaml:2") && err.contains("notACheck"), "{err}");
}

#[test]
fn a_symlinked_file_is_fixed_through_the_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::create_dir(dir.path().join("links")).unwrap();
    std::fs::write(dir.path().join("real/pod.yaml"), BARE_POD).unwrap();
    std::os::unix::fs::symlink("../real/pod.yaml", dir.path().join("links/pod.yaml")).unwrap();
    let (code, _, err) = podsec(&["fix", "links/pod.yaml"], dir.path(), None);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::symlink_metadata(dir.path().join("links/pod.yaml")).unwrap().file_type().is_symlink(),
        "the link stays a link"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("real/pod.yaml")).unwrap().contains("runAsNonRoot: true"),
        "the target is fixed"
    );
}

/// A large `kind: List` whose items each need conflicting edits (a removal and an insertion in the
/// same mapping) is fixed in linear time: the items are lowered one by one, not all against all.
#[test]
fn a_large_list_with_conflicting_edits_is_fixed_quickly() {
    let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..400 {
        text.push_str(&format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n  spec:\n    securityContext:\n      runAsUser: 0\n    containers:\n    - name: c\n      image: x\n"
        ));
    }
    let src = Source { name: "list.yaml".into(), path: None, text, ..Default::default() };
    let started = std::time::Instant::now();
    let result = fix(&src, &policy("restricted", "latest"), true);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    assert!(result.bugs.is_empty(), "{:?}", result.bugs);
    assert!(result.remaining.is_empty(), "{} remain", result.remaining.len());
    assert_eq!(result.text.matches("runAsNonRoot: true").count(), 400);
    assert!(!result.text.contains("runAsUser: 0"));
}

/// A document whose fixes fail the self-check is left exactly as it was, reported with its index,
/// and the file's other documents are still fixed and written (exit 2 for the error).
#[test]
fn a_refused_document_does_not_hold_back_the_others() {
    let dir = tempfile::tempdir().unwrap();
    // PODSEC_TEST_FAULT=self-check makes the self-check of a document holding `podsec-test-fault`
    // fail, as a podsec bug would.
    let refused = "apiVersion: v1\nkind: Pod\nmetadata: {name: t, annotations: {podsec-test-fault: \"1\"}}\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext: {allowPrivilegeEscalation: null}\n";
    let text = format!("{BARE_POD}---\n{refused}---\n{BARE_POD}");
    std::fs::write(dir.path().join("s.yaml"), &text).unwrap();
    let run = |args: &[&str], fault: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_podsec"));
        cmd.args(args).current_dir(dir.path());
        if fault {
            cmd.env("PODSEC_TEST_FAULT", "self-check");
        }
        let out = cmd.output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run(&["fix", "s.yaml"], true);
    let fixed = std::fs::read_to_string(dir.path().join("s.yaml")).unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("document 1: podsec bug") && err.contains("PODSEC_TEST_FAULT"), "{err}");
    assert!(fixed.contains(&format!("---\n{refused}---\n")), "the refused document is byte-identical:\n{fixed}");
    let docs: Vec<&str> = fixed.split("---\n").collect();
    assert_eq!(docs.len(), 3);
    for d in [docs[0], docs[2]] {
        assert!(d.contains("runAsNonRoot: true") && d.contains("- ALL"), "the neighbours are fixed:\n{fixed}");
    }
    // The summary counts what remains in what was written: the refused document's violations.
    assert!(err.contains("; 5 remain"), "{err}");
    let (code, err) = run(&["check", "s.yaml"], false);
    assert!(
        code == 1 && !err.contains("error"),
        "what was written parses, and the refused document still fails: {err}"
    );
    // Without the fault, the same document is fixed like the others.
    let (code, err) = run(&["fix", "s.yaml"], false);
    assert_eq!(code, 0, "{err}");
}

/// A `%TAG` directive belongs to its document: a document whose last `kind` makes it a workload
/// (read again in full after skimming) and its fixed chunk keep it.
#[test]
fn tag_directives_are_honoured_where_a_document_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n...\n%TAG !e! tag:example.com,2000:app/\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: !e!foo b\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n";
    std::fs::write(dir.path().join("t.yaml"), text).unwrap();
    let (code, out, err) = podsec(&["check", "--format", "json", "t.yaml"], dir.path(), None);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["results"][1]["kind"], "Pod", "{out}");
    let (code, out, err) = podsec(&["fix", "--stdout", "t.yaml"], dir.path(), None);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&text[..text.find("spec:").unwrap()]), "{out}");
    assert!(out.contains("drop:\n        - ALL"), "{out}");
}

/// `--level` and `--pss-version` each override a Namespace's label, independently; the summary
/// names what a label chose.
#[test]
fn flags_win_over_namespace_labels_independently() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.21\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  automountServiceAccountToken: false\n  containers:\n  - name: a\n    image: x\n    securityContext: {allowPrivilegeEscalation: false}\n";
    std::fs::write(dir.path().join("ns.yaml"), text).unwrap();
    // v1.21 has no restricted capabilities check; v1.30 has.
    let (code, out, _) = podsec(&["check", "ns.yaml"], dir.path(), None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 workload at restricted:v1.21, as their Namespace's label says"), "{out}");
    let (code, out, _) = podsec(&["check", "--pss-version", "v1.30", "ns.yaml"], dir.path(), None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("capabilities_restricted") && out.contains("at restricted:v1.30 (1 file)"), "{out}");
    // --level alone keeps the label's version.
    let (code, out, _) = podsec(&["check", "--level", "restricted", "ns.yaml"], dir.path(), None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("at restricted:v1.21"), "{out}");
}

/// An apiVersion the API server does not serve (any more, or ever) for a workload kind is refused
/// as the API server refuses it; a kind of the same name in another group is a custom resource.
#[test]
fn unserved_api_versions_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n---\napiVersion: apps/v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: d}\n";
    std::fs::write(dir.path().join("v.yaml"), text).unwrap();
    let (code, out, _) = podsec(&["check", "--format", "json", "v.yaml"], dir.path(), None);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &v["results"];
    assert!(
        r[0]["error"].as_str().unwrap().starts_with("no kind \"CronJob\" is registered for version \"batch/v1beta1\"")
    );
    assert_eq!(r[0]["line"], 1);
    assert!(r[1]["error"].as_str().unwrap().starts_with("no kind \"Pod\" is registered for version \"apps/v1\""));
    assert_eq!(r[2]["skipped"], true);
    let (code, _, _) = podsec(&["fix", "v.yaml"], dir.path(), None);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(dir.path().join("v.yaml")).unwrap(), text, "nothing written");
}

/// A UTF-16 file with a byte-order mark (as some Windows editors save) is read as kubectl reads it,
/// and written back in the same encoding, BOM and line endings kept; an odd byte count is an error.
#[test]
fn utf16_files_are_read_and_written_back_as_utf16() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p # caf\u{e9} \u{1F600}\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: x\r\n";
    type Enc = fn(&str) -> Vec<u8>;
    let le: Enc = |t| t.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Enc = |t| t.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (name, enc, dec) in [
        ("le.yaml", le, u16::from_le_bytes as fn([u8; 2]) -> u16),
        ("be.yaml", be, u16::from_be_bytes as fn([u8; 2]) -> u16),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, enc(text)).unwrap();
        let (code, out, err) = podsec(&["check", name], dir.path(), None);
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains(&format!("{name}:7:5: allowPrivilegeEscalation")), "{out}");
        let (code, _, err) = podsec(&["fix", name], dir.path(), None);
        assert_eq!(code, 0, "{err}");
        let bytes = std::fs::read(&path).unwrap();
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| dec([c[0], c[1]])).collect();
        let fixed = String::from_utf16(&units).expect("still UTF-16");
        assert!(fixed.starts_with(&text[..text.find("spec:").unwrap()]), "BOM, CRLF, comment kept: {fixed:?}");
        assert!(fixed.contains("allowPrivilegeEscalation: false\r\n"), "{fixed:?}");
        assert_eq!(bytes, enc(&fixed), "the same encoding");
        // Fixed, it is left byte for byte.
        let (code, _, _) = podsec(&["fix", name], dir.path(), None);
        assert_eq!((code, std::fs::read(&path).unwrap()), (0, bytes));
    }
    let mut odd = le(text);
    odd.push(b'x');
    std::fs::write(dir.path().join("odd.yaml"), odd).unwrap();
    let (code, _, err) = podsec(&["check", "odd.yaml"], dir.path(), None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("odd.yaml:") && err.contains("odd number of bytes"), "{err}");
}

/// Kustomize patches are not workloads: the files a kustomization names as patches (`patches:`,
/// `patchesStrategicMerge:`, `patchesJson6902:`, also in a `Component`) and documents carrying
/// strategic-merge directives are left byte for byte, listed as skipped with the reason; the real
/// workloads beside them are still fixed.
#[test]
fn kustomize_patches_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    const PARTIAL: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n";
    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n";
    write("base/kustomization.yaml", "resources:\n- deployment.yaml\n");
    write("base/deployment.yaml", DEPLOYMENT);
    write(
        "overlay/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../base\npatches:\n- path: patches/image.yaml\n- patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 2\n  target: {kind: Deployment}\npatchesStrategicMerge:\n- smp.yaml\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\npatchesJson6902:\n- path: ops.yaml\n  target: {group: apps, version: v1, kind: Deployment, name: web}\ncomponents:\n- ../component\n",
    );
    write("overlay/patches/image.yaml", PARTIAL);
    write("overlay/smp.yaml", &PARTIAL.replace("nginx:1.27", "nginx:1.28"));
    write("overlay/ops.yaml", "- op: add\n  path: /spec/template/spec/hostNetwork\n  value: false\n");
    // A component's kustomization (no extension: kustomize's third name) names its patch too.
    write(
        "component/Kustomization",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: sidecar.yaml\n",
    );
    write("component/sidecar.yaml", &PARTIAL.replace("name: web\n        image", "name: sidecar\n        image"));
    // A `$patch: delete` beside a real workload, in a file no kustomization names.
    let deletes = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: loadgenerator\n$patch: delete\n";
    let mixed = format!("{deletes}---\n{}", DEPLOYMENT.replace("name: web", "name: api"));
    write("more/mixed.yaml", &mixed);
    write(
        "more/order.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      $setElementOrder/containers:\n      - name: web\n      containers:\n      - name: web\n        image: nginx\n",
    );
    let patches = [
        "overlay/patches/image.yaml",
        "overlay/smp.yaml",
        "overlay/ops.yaml",
        "component/sidecar.yaml",
        "more/order.yaml",
    ];
    let before: Vec<String> = patches.iter().map(|p| std::fs::read_to_string(root.join(p)).unwrap()).collect();

    let (code, out, err) = podsec(&["check", "--format", "json", "."], root, None);
    assert_eq!(code, 1, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let results = report["results"].as_array().unwrap();
    let entry = |file: &str, doc: u64| {
        results
            .iter()
            .find(|r| r["file"] == format!("./{file}") && r["doc"] == doc)
            .unwrap_or_else(|| panic!("no result for {file} doc {doc}: {out}"))
            .clone()
    };
    let named = |k: &str| format!("a kustomize patch (named by ./{k})");
    for (file, kind, reason) in [
        ("overlay/patches/image.yaml", "Deployment", named("overlay/kustomization.yaml")),
        ("overlay/smp.yaml", "Deployment", named("overlay/kustomization.yaml")),
        ("component/sidecar.yaml", "Deployment", named("component/Kustomization")),
        ("more/mixed.yaml", "Deployment", "a strategic-merge patch (`$patch: delete`)".to_owned()),
        ("more/order.yaml", "Deployment", "a strategic-merge patch (`$setElementOrder/containers`)".to_owned()),
    ] {
        let r = entry(file, 0);
        assert_eq!((&r["skipped"], &r["kind"], &r["reason"]), (&json(true), &json(kind), &json(&reason)), "{r}");
    }
    // A JSON 6902 patch (a list of operations) named by a kustomization is skipped, not an error.
    let ops = entry("overlay/ops.yaml", 0);
    assert_eq!(
        (&ops["skipped"], &ops["kind"], &ops["reason"]),
        (&json(true), &json(None::<&str>), &json(named("overlay/kustomization.yaml"))),
        "{ops}"
    );
    // The real workloads are still checked; a plain skipped document has no reason.
    assert_eq!(entry("more/mixed.yaml", 1)["allowed"], json(false));
    assert_eq!(entry("base/deployment.yaml", 0)["allowed"], json(false));
    assert!(entry("base/kustomization.yaml", 0).get("reason").is_none());
    let (_, text, _) = podsec(&["check", "."], root, None);
    assert!(
        !text.contains("patches/image.yaml") && !text.contains("mixed.yaml:2:"),
        "nothing per skipped document: {text}"
    );
    assert!(text.contains("; 6 kustomize patch documents skipped)"), "{text}");
    // A file given alone: the kustomization of its own directory counts.
    let (code, out, _) = podsec(&["check", "--format", "json", "smp.yaml"], &root.join("overlay"), None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"reason\":\"a kustomize patch (named by kustomization.yaml)\""), "{out}");

    let (code, _, err) = podsec(&["fix", "."], root, None);
    assert_eq!(code, 0, "{err}");
    for (p, text) in patches.iter().zip(&before) {
        assert_eq!(&std::fs::read_to_string(root.join(p)).unwrap(), text, "{p} is left byte for byte");
    }
    let fixed = std::fs::read_to_string(root.join("more/mixed.yaml")).unwrap();
    assert!(fixed.starts_with(deletes) && fixed.contains("allowPrivilegeEscalation: false"), "{fixed}");
    assert!(std::fs::read_to_string(root.join("base/deployment.yaml")).unwrap().contains("runAsNonRoot: true"));
    let (code, out, _) = podsec(&["check", "."], root, None);
    assert_eq!(code, 0, "{out}");

    // The engine itself (as the conformance tests call it) still evaluates a `$patch` document.
    let src = Source { name: "d.yaml".into(), text: mixed.clone(), ..Source::default() };
    let checked = podsec::engine::check_source(&src, &policy("restricted", "latest"), &Limits::default());
    assert!(matches!(checked.resources[0].outcome, Outcome::Workload { .. }), "{:?}", checked.resources[0]);
}

fn json<T: serde::Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

// ---- `--format markdown`: the pull request body ---------------------------------------------------

/// `podsec fix --format markdown` on the examples (and a workload whose name needs escaping) is the
/// approved report in `testdata/fix-markdown/examples.md.snap`, and writes nothing.
#[test]
fn markdown_report_lists_every_change_and_what_remains() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut originals = Vec::new();
    for name in ["jobs.yaml", "node-agent.yaml", "web-deployment.yaml"] {
        let text = std::fs::read_to_string(root.join("examples").join(name)).unwrap();
        std::fs::write(dir.path().join(name), &text).unwrap();
        originals.push((name, text));
    }
    let weird = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"a|<b>_c\"\nspec:\n  hostNetwork: true\n  containers:\n  - name: a\n    image: nginx\n";
    std::fs::write(dir.path().join("weird.yaml"), weird).unwrap();
    originals.push(("weird.yaml", weird.to_owned()));
    let (code, out, err) = podsec(&["fix", "--format", "markdown", "."], dir.path(), None);
    assert_eq!(code, 1, "violations remain: {err}");
    for (name, text) in &originals {
        assert_eq!(&std::fs::read_to_string(dir.path().join(name)).unwrap(), text, "{name}: markdown writes nothing");
    }
    assert!(
        matches_snapshot("testdata/fix-markdown", "examples.md", &root.join("examples"), &out),
        "the report differs"
    );
    // insta trims the end of a snapshot: the report ends its last line, once.
    assert!(
        out.ends_with('\n') && !out.ends_with("\n\n"),
        "the report's end: {:?}",
        &out[out.len().saturating_sub(40)..]
    );
    // What a reader needs is there: the PSA message resolved, the exact unsafe change, the guidance, the warning.
    assert!(out.contains("| `web-deployment.yaml:19` | Deployment/web | `runAsNonRoot` | safe | `spec.template.spec.securityContext.runAsNonRoot: (unset) → true` | runAsNonRoot != true (pod or container \"web\" must set securityContext.runAsNonRoot=true) |"), "{out}");
    assert!(out.contains("`spec.template.spec.hostPID: true → false`"), "{out}");
    assert!(out.contains("### Manual fixes") && out.contains("podsec cannot choose the storage for you"), "{out}");
    assert!(out.contains("> [!WARNING]"), "{out}");
    assert!(out.contains("Pod/a\\|\\<b\\>\\_c"), "a name is shown, never interpreted: {out}");
    let (_, out, _) = podsec(&["fix", "--format", "markdown", "--run-as-user", "1000", "."], dir.path(), None);
    assert!(!out.contains("[!WARNING]"), "with --run-as-user there is nothing to warn about: {out}");
    // A compliant tree: nothing to change, exit 0.
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("pod.yaml"), BARE_POD).unwrap();
    assert_eq!(podsec(&["fix", "pod.yaml"], clean.path(), None).0, 0);
    let (code, out, err) = podsec(&["fix", "--format", "markdown", "pod.yaml"], clean.path(), None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to change"), "{out}");
    let (code, _, err) = podsec(&["fix", "--format", "markdown", "--diff", "pod.yaml"], clean.path(), None);
    assert_eq!(code, 2, "{err}");
}

/// Every input a fuzz run found breaking an invariant of `fix` (`testdata/fuzz-findings/`, each
/// minimised and then fixed in podsec) now holds them all.
#[test]
fn fuzz_findings_hold_the_fix_invariants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz-findings");
    let mut paths = Vec::new();
    files_under(&dir, &mut paths);
    assert!(paths.len() >= 4, "{} findings", paths.len());
    let policy = policy("restricted", "latest");
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).expect("UTF-8");
            let result = podsec::fix::invariants::fix_holds(&text, &policy).err()?;
            Some(format!("{}: {result}", p.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A deterministic smoke run of the `fix` fuzz target on stable Rust: the project's own YAML files
/// (`testdata/`, `examples/`), mutated line by line and token by token the way the fuzzer's
/// dictionary does, each held to the invariants. The coverage-guided runs (nightly, `fuzz/`) go
/// much further; this keeps what they found from coming back in CI.
#[test]
fn mutated_inputs_hold_the_fix_invariants() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in ["testdata/fix", "testdata/fuzz-findings", "testdata/yaml-agreement", "examples"] {
        files_under(&root.join(dir), &mut seeds);
    }
    let seeds: Vec<String> = seeds.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    assert!(seeds.len() > 50, "{} seeds", seeds.len());
    const TOKENS: &[&str] = &[
        " |", " |+", " >-", "\r", "\r\n", "\n", "  ", "- ", "{", "}", "[", "]", ", ", ": ", " ~", " null", "&a ", "*a",
        " #c", "<<: ", "!!str ", "\"", "'", "---\n",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let policy = policy("restricted", "latest");
    let (mut runs, mut failures) = (0, Vec::new());
    for round in 0..150 {
        for seed in &seeds {
            let mut lines: Vec<String> = seed.split_inclusive('\n').map(str::to_string).collect();
            if lines.is_empty() {
                continue;
            }
            for _ in 0..1 + next(3) {
                if lines.is_empty() {
                    break;
                }
                let i = next(lines.len());
                match (round + next(4)) % 4 {
                    0 => drop(lines.remove(i)),
                    1 => {
                        let dup = lines[next(lines.len())].clone();
                        lines.insert(i, dup);
                    }
                    2 => {
                        let line = &mut lines[i];
                        let mut at = next(line.len() + 1);
                        while !line.is_char_boundary(at) {
                            at -= 1;
                        }
                        line.insert_str(at, TOKENS[next(TOKENS.len())]);
                    }
                    _ => {
                        let j = next(lines.len());
                        lines.swap(i, j);
                    }
                }
            }
            let text = lines.concat();
            runs += 1;
            if let Err(e) = podsec::fix::invariants::fix_holds(&text, &policy) {
                // Kept for a look with the CLI (`podsec fix --unsafe-fixes --diff`).
                let saved = std::env::temp_dir().join(format!("podsec-mutation-{runs}.yaml"));
                let _ = std::fs::write(&saved, &text);
                failures.push(format!("{e}\n--- input ({}) ---\n{text}", saved.display()));
            }
        }
    }
    eprintln!("mutation smoke: {runs} inputs, {} failures", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {runs} mutated inputs break an invariant:\n{}",
        failures.len(),
        failures.iter().take(3).cloned().collect::<Vec<_>>().join("\n\n")
    );
}

/// One case of the style matrix: a Pod whose container `c` is written in one combination of styles.
struct StyleCase {
    name: String,
    text: String,
}

/// The style matrix: every fix podsec writes, in each notation its surroundings can have. Each
/// container's `securityContext` (and the fields a fix touches in it) is written block, flow,
/// multi-line flow, JSON-quoted, with every null spelling for the field, every depth of missing
/// parent, comments before, inline and after, anchors and tags on the item's first key, an empty
/// last value, block scalars of every chomping right before the insertion, and `\n`, `\r\n` and
/// `\r` line breaks.
fn style_matrix() -> Vec<StyleCase> {
    const NULLS: &[&str] = &["", " ~", " null", " Null", " NULL", " !!null", " !!null ''"];
    // (field, value that violates, or "" for only the null spellings)
    const FIELDS: &[(&str, &str)] = &[
        ("privileged", " true"),
        ("allowPrivilegeEscalation", " true"),
        ("runAsNonRoot", " false"),
        ("procMount", " Unmasked"),
        ("runAsUser", " 0"),
        ("capabilities", ""),
        ("seccompProfile", ""),
    ];
    let mut sc_variants: Vec<(String, String)> = Vec::new();
    for (field, bad) in FIELDS {
        let values: Vec<&str> = NULLS.iter().copied().chain((!bad.is_empty()).then_some(*bad)).collect();
        for (vi, v) in values.iter().enumerate() {
            let flow_v = if v.is_empty() { String::new() } else { v.to_string() };
            sc_variants.push((format!("{field}{vi}-block"), format!("    securityContext:\n      {field}:{v}\n")));
            sc_variants.push((
                format!("{field}{vi}-block-comments"),
                format!("    # about the context\n    securityContext: # inline on the parent\n      # before the field\n      {field}:{v} # inline on the field\n      # after the field\n"),
            ));
            sc_variants.push((format!("{field}{vi}-flow"), format!("    securityContext: {{{field}:{flow_v}}}\n")));
            sc_variants.push((
                format!("{field}{vi}-flow-first"),
                format!("    securityContext: {{{field}:{flow_v}, readOnlyRootFilesystem: true}}\n"),
            ));
            sc_variants.push((
                format!("{field}{vi}-flow-multiline"),
                format!(
                    "    securityContext: {{\n      {field}:{flow_v},\n      readOnlyRootFilesystem: true\n    }}\n"
                ),
            ));
            sc_variants.push((
                format!("{field}{vi}-quoted-keys"),
                format!("    \"securityContext\": {{\"{field}\":{flow_v}}}\n"),
            ));
            sc_variants.push((
                format!("{field}{vi}-single-quoted-key"),
                format!("    securityContext:\n      '{field}':{v}\n"),
            ));
        }
    }
    // Missing parents at each depth, and the containers a fix writes into.
    for (name, sc) in [
        ("absent", ""),
        ("parent-empty", "    securityContext:\n"),
        ("parent-empty-comment", "    securityContext: # none yet\n"),
        ("parent-braces", "    securityContext: {}\n"),
        ("caps-empty", "    securityContext:\n      capabilities:\n"),
        ("caps-flow-empty", "    securityContext: {capabilities: }\n"),
        ("drop-empty", "    securityContext:\n      capabilities:\n        drop:\n"),
        ("drop-flow-empty", "    securityContext: {capabilities: {drop: }}\n"),
        ("drop-brackets", "    securityContext: {capabilities: {drop: []}}\n"),
        (
            "drop-items",
            "    securityContext:\n      capabilities:\n        drop:\n        - NET_RAW # raw sockets\n        # the end of the list\n",
        ),
        ("drop-items-indented", "    securityContext:\n      capabilities:\n        drop:\n          - \"NET_RAW\"\n"),
        ("add-bad", "    securityContext:\n      capabilities:\n        add: [NET_ADMIN, NET_BIND_SERVICE]\n"),
        (
            "add-bad-block",
            "    securityContext:\n      capabilities:\n        add:\n        - NET_ADMIN # not allowed\n        - NET_BIND_SERVICE\n",
        ),
        ("empty-last-value", "    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: }\n"),
        ("seccomp-type-null", "    securityContext:\n      seccompProfile:\n        type:\n"),
        ("seccomp-unconfined", "    securityContext:\n      seccompProfile: {type: Unconfined}\n"),
        ("tagged-parent", "    securityContext: !!map\n      privileged: true\n"),
        ("anchored-unshared", "    securityContext: &own\n      privileged: true\n"),
    ] {
        sc_variants.push((name.into(), sc.into()));
    }
    // What comes right before the container's end (where insertions go).
    let tails: &[(&str, &str)] = &[
        ("", ""),
        ("args-literal", "    args:\n    - |\n      echo hi\n"),
        ("args-literal-strip", "    args:\n    - |-\n      echo hi\n\n"),
        ("args-literal-keep", "    args:\n    - |+\n      echo hi\n\n\n"),
        ("args-folded", "    args:\n    - >\n      echo\n      hi\n"),
        ("args-folded-keep", "    args:\n    - >+\n      echo hi\n\n"),
        ("args-indented", "    args:\n    - |2\n        echo hi\n"),
        ("args-empty-literal", "    args:\n    - |\n"),
        (
            "ports-comment",
            "    ports:\n    - hostPort: 8080\n      # metrics port, keep in sync with the Service\n      containerPort: 8080\n",
        ),
    ];
    let heads: &[(&str, &str)] = &[
        ("plain", "  - name: c\n    image: x\n"),
        ("anchored-first-key", "  - &first name: c\n    image: x\n"),
        ("tagged-first-key", "  - !!str name: c\n    image: x\n"),
        ("quoted-first-key", "  - \"name\": c\n    image: x\n"),
    ];
    let mut cases = Vec::new();
    for (sname, sc) in &sc_variants {
        for (ti, (tname, tail)) in tails.iter().enumerate() {
            // Every securityContext with the first tail and head; every tail and head with a few.
            let few = sname.ends_with("-block") || sname.ends_with("-flow") || !sname.contains(char::is_numeric);
            if ti > 0 && !few {
                continue;
            }
            for (hi, (hname, head)) in heads.iter().enumerate() {
                if hi > 0 && (ti > 0 || !few) {
                    continue;
                }
                for (eol_name, eol) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
                    if eol != "\n" && (ti > 1 || hi > 0) {
                        continue;
                    }
                    for at_end in [true, false] {
                        if !at_end && (ti > 0 || hi > 0 || eol != "\n") {
                            continue;
                        }
                        // The securityContext last in the container, or before the tail.
                        let body = if at_end { format!("{head}{tail}{sc}") } else { format!("{head}{sc}{tail}") };
                        let text =
                            format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: m\nspec:\n  containers:\n{body}");
                        cases.push(StyleCase {
                            name: format!(
                                "{sname}/{tname}/{hname}/{eol_name}/{}",
                                if at_end { "last" } else { "first" }
                            ),
                            text: text.replace('\n', eol),
                        });
                    }
                }
            }
        }
    }
    cases
}

/// The full-line comments of a text, and the inline ones (`value # note`) with their line.
fn comments_of(text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let (mut full, mut inline) = (Vec::new(), Vec::new());
    for l in text.split(['\n', '\r']) {
        if l.trim_start().starts_with('#') {
            full.push(l.to_string());
        } else if let Some(i) = l.find(" #") {
            inline.push((l[i + 1..].to_string(), l.to_string()));
        }
    }
    (full, inline)
}

/// Every case of the style matrix is fixed to pass restricted (unsafe fixes included), with the fix
/// invariants (self-check, JSON patch, a second fix changes nothing), every comment kept, and no
/// line of the original removed or rewritten but those that hold a value the fix changes.
#[test]
fn style_matrix_is_fixed_to_the_level() {
    let cases = style_matrix();
    let policy = policy("restricted", "latest");
    let fixed_keys = [
        "privileged",
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "procMount",
        "runAsUser",
        "capabilities",
        "drop",
        "add",
        "seccompProfile",
        "type",
        "securityContext",
        "hostPort",
        "- NET_ADMIN",
        "- NET_RAW",
        "- \"NET_RAW\"",
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let result = match podsec::fix::invariants::fix_holds(&case.text, &policy) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        let src = Source { name: "m.yaml".into(), text: result.text.clone(), ..Default::default() };
        let after = podsec::engine::check_source(&src, &policy, &Limits::default());
        let bad: Vec<String> = after
            .resources
            .iter()
            .filter(|r| !r.allowed())
            .flat_map(|r| match &r.outcome {
                Outcome::Workload { findings, .. } => findings.iter().map(|f| f.check.to_string()).collect(),
                other => vec![format!("{other:?}")],
            })
            .collect();
        if !bad.is_empty() || after.resources.is_empty() {
            failures.push(format!("{}: still failing {bad:?}\n{}", case.name, result.text));
            continue;
        }
        let eol_free = |t: &str| t.replace("\r\n", "\n").replace('\r', "\n");
        let (old, new) = (eol_free(&case.text), eol_free(&result.text));
        let diff = similar::TextDiff::from_lines(&old, &new);
        let deleted: Vec<String> = diff
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Delete)
            .map(|c| c.value().trim_end_matches('\n').to_string())
            .collect();
        let added: Vec<String> = diff
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Insert)
            .map(|c| c.value().trim_end_matches('\n').to_string())
            .collect();
        // Every full-line comment stays, in order; an inline comment stays or goes with its line.
        let ((full_before, inline_before), (full_after, inline_after)) = (comments_of(&old), comments_of(&new));
        let lost_inline = inline_before
            .iter()
            .filter(|(c, line)| !inline_after.iter().any(|(a, _)| a == c) && !deleted.contains(line))
            .count();
        if full_before != full_after || lost_inline > 0 {
            failures.push(format!("{}: comments changed\n{}", case.name, result.text));
            continue;
        }
        // A line that is deleted holds a fixed key, or is a line of a flow collection written into
        // (then it comes back extended: `x: 1` → `x: 1,` or `x: 1, y: 2`).
        let wrongly: Vec<String> = deleted
            .iter()
            .filter(|l| !l.contains('{') && !l.contains('}') && !fixed_keys.iter().any(|k| l.contains(k)))
            .filter(|l| !added.iter().any(|a| a.starts_with(l.trim_end())))
            .cloned()
            .collect();
        if !wrongly.is_empty() {
            failures
                .push(format!("{}: lines rewritten that hold nothing fixed: {wrongly:?}\n{}", case.name, result.text));
        }
    }
    eprintln!("style matrix: {} cases, {} failures", cases.len(), failures.len());
    if let Some(path) = std::env::var_os("PODSEC_MATRIX_FAILURES") {
        let _ = std::fs::write(path, failures.join("\n\n=====\n"));
    }
    assert!(cases.len() > 300, "{} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(8).cloned().collect::<Vec<_>>().join("\n\n")
    );
}

/// Several inputs with `--stdout` make one valid stream: each file's text intact, documents kept
/// apart (a missing final line break, a `---` of the file's own, a `%YAML` directive).
#[test]
fn several_inputs_to_stdout_are_one_valid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a, image: x}]}"),
        ("b.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: b, image: x}]}\n"),
        ("c.yaml", "--- # own marker\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        ("d.yaml", "%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let names: Vec<&str> = files.iter().map(|f| f.0).collect();
    let (code, out, err) = podsec(&[&["fix", "--stdout"], names.as_slice()].concat(), dir.path(), None);
    assert_eq!(code, 0, "{err}");
    let stream = yaml::parse_stream(&out, &Limits::default());
    let got: Vec<String> = stream
        .docs
        .iter()
        .map(|d| {
            d.root
                .as_ref()
                .expect("every document reads")
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(got, ["a", "b", "c", "d"], "{out}");
    let (code, _, err) = podsec(&["check", "-"], dir.path(), Some(&out));
    assert_eq!(code, 0, "the stream passes as a whole: {err}");
    for (name, text) in &files[2..] {
        assert!(out.contains(text), "{name} is intact in:\n{out}");
    }
}

/// The fix planner reads the checks' own predicates: a null AppArmor annotation, which PSA reads
/// as `""` and allows, is left alone (the planner once had its own copy of the test and rewrote it).
#[test]
fn planner_and_checks_agree_on_a_null_apparmor_annotation() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/a: null\n    container.apparmor.security.beta.kubernetes.io/b: unconfined\nspec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n    image: x\n";
    let src = Source { name: "p.yaml".into(), text: text.into(), ..Default::default() };
    let result = fix(&src, &policy("baseline", "latest"), true);
    assert!(result.bugs.is_empty(), "{:?}", result.bugs);
    assert!(result.text.contains("/a: null\n"), "the allowed null stays:\n{}", result.text);
    assert!(result.text.contains("/b: runtime/default\n"), "the forbidden one is fixed:\n{}", result.text);
}

/// Old Mac line endings (`\r` alone) are line breaks to YAML: `check` reports each finding on its
/// own line (not all on line 1), and `fix` writes its lines with `\r` too.
#[test]
fn cr_only_line_breaks_are_lines() {
    let text = "apiVersion: v1\rkind: Pod\rmetadata:\r  name: a\rspec:\r  containers:\r  - name: a\r    image: x\r    securityContext:\r      privileged: true\r";
    let src = Source { name: "cr.yaml".into(), text: text.into(), ..Default::default() };
    let checked = podsec::engine::check_source(&src, &policy("baseline", "latest"), &Limits::default());
    let lines: Vec<usize> = checked
        .resources
        .iter()
        .flat_map(|r| match &r.outcome {
            Outcome::Workload { findings, .. } => findings.iter().map(|f| f.pos.line).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(lines, [10], "privileged is on line 10");
    let result = fix(&src, &policy("restricted", "latest"), true);
    assert!(result.bugs.is_empty(), "{:?}", result.bugs);
    assert!(!result.text.contains('\n'), "only CR line breaks are written: {:?}", result.text);
    assert!(result.text.contains("privileged: false\r"), "{:?}", result.text);
}
