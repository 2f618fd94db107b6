//! `podsec check` end to end on bad input: every broken, hostile or unreadable input is one error line
//! that names the file (and the line where there is one), the exit status is 2, time and memory stay
//! bounded, and the other inputs of the same run are still checked. Then the output formats, each
//! once, against their contracts (docs/json-output.md, SARIF 2.1.0 as GitHub reads it, GitHub
//! workflow commands).
//!
//! The built binary runs in a fresh temporary directory (so no `.podsec.yaml` of the repository is
//! picked up), under a wall-clock timeout and, on Unix, an address-space limit (`ulimit -v`): a
//! runaway allocation aborts the child and fails the test instead of swapping the machine.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as J;
use tempfile::TempDir;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_podsec");

/// A Pod that violates the baseline `privileged` check on line 8 (and restricted checks too).
const VIOLATING: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: neighbour}
spec:
  containers:
  - name: c
    image: nginx
    securityContext: {privileged: true}
";

/// Limits on one run of the binary.
#[derive(Clone, Copy)]
struct Bounds {
    timeout: Duration,
    /// Address space of the child, in MiB (virtual memory: thread stacks and malloc arenas count).
    mem_mib: u64,
}

const BOUNDS: Bounds = Bounds { timeout: Duration::from_secs(60), mem_mib: 1024 };

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Out {
    fn json(&self) -> J {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The stderr lines that mention `name`.
    fn error_lines(&self, name: &str) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.contains(name)).collect()
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cut = |s: &str| s.chars().take(4000).collect::<String>();
        write!(
            f,
            "exit {} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.elapsed,
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
}

fn podsec(cwd: &Path, args: &[&str]) -> Out {
    podsec_with(cwd, args, None, BOUNDS)
}

/// Run `podsec check ARGS` in `cwd`, feeding `stdin`, within `bounds`.
fn podsec_with(cwd: &Path, args: &[&str], stdin: Option<&[u8]>, bounds: Bounds) -> Out {
    podsec_run(cwd, "check", args, stdin, bounds)
}

/// `podsec <command> args…`, under `bounds`.
fn podsec_run(cwd: &Path, command: &str, args: &[&str], stdin: Option<&[u8]>, bounds: Bounds) -> Out {
    let mut cmd = if cfg!(unix) {
        let mut c = Command::new("sh");
        c.arg("-c").arg(r#"ulimit -v "$0" && exec "$@""#).arg((bounds.mem_mib * 1024).to_string()).arg(BIN);
        c
    } else {
        Command::new(BIN)
    };
    cmd.arg(command).args(args).current_dir(cwd).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("run podsec");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > bounds.timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("podsec {args:?} did not finish within {:?}", bounds.timeout);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let _ = writer.join();
    let text = |h: std::thread::JoinHandle<Vec<u8>>| String::from_utf8_lossy(&h.join().expect("reader")).into_owned();
    let (stdout, stderr) = (text(out), text(err));
    let code = status.code().unwrap_or_else(|| {
        panic!(
            "podsec {args:?} was killed ({status}): a crash, a stack overflow, or more than {} MiB of memory\n{stderr}",
            bounds.mem_mib
        )
    });
    Out { code, stdout, stderr, elapsed }
}

fn tmp() -> TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Write `content` to `dir/name` and return the path as a string.
fn put(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, content).expect("write input");
    path.display().to_string()
}

/// The violating neighbour of a run, written beside the bad input.
fn neighbour(dir: &Path) -> String {
    put(dir, "neighbour/pod.yaml", VIOLATING)
}

/// The neighbour's `privileged` violation is in the text output: a bad input does not stop the run.
#[track_caller]
fn assert_neighbour_checked(out: &Out, neighbour: &str) {
    let prefix = format!("{neighbour}:8:");
    assert!(
        out.stdout.lines().any(|l| l.starts_with(&prefix) && l.contains("privileged")),
        "the valid neighbour {neighbour} was not checked:\n{out:?}"
    );
}

/// Exactly one stderr line names `name`, says it is an error, and carries `line` (as `name:LINE:`,
/// or as `line LINE` in the message for file-level errors) when given.
#[track_caller]
fn assert_one_error(out: &Out, name: &str, line: Option<usize>) -> String {
    assert_eq!(out.code, 2, "an error must exit 2:\n{out:?}");
    let lines = out.error_lines(name);
    assert_eq!(lines.len(), 1, "expected one error line naming {name}:\n{out:?}");
    let l = lines[0];
    assert!(l.starts_with(name) && l.contains("error"), "not an error line for {name}: {l}");
    if let Some(n) = line {
        assert!(
            l.starts_with(&format!("{name}:{n}:")) || l.contains(&format!("line {n}")),
            "{name}: expected line {n} in: {l}"
        );
    }
    l.to_owned()
}

// ---------------------------------------------------------------------------------------------------
// Syntax errors

#[test]
fn unclosed_flow_sequence_is_an_error_at_its_line() {
    let dir = tmp();
    let bad = put(dir.path(), "unclosed.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: [\n");
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &[&bad, &ok]);
    assert_one_error(&out, &bad, Some(3));
    assert_neighbour_checked(&out, &ok);
}

#[test]
fn bad_indentation_is_an_error_at_its_line() {
    let dir = tmp();
    let bad = put(dir.path(), "indent.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: 1\n b: 2\n");
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &[&bad, &ok]);
    assert_one_error(&out, &bad, Some(5));
    assert_neighbour_checked(&out, &ok);
}

#[test]
fn tabs_as_indentation_are_an_error_at_their_line() {
    let dir = tmp();
    let bad = put(dir.path(), "tabs.yaml", "apiVersion: v1\nkind: Pod\nspec:\n\tcontainers: []\n");
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &[&bad, &ok]);
    assert_one_error(&out, &bad, Some(4));
    assert_neighbour_checked(&out, &ok);
}

/// A broken document in the middle: its neighbours in the same file are checked; json shows three
/// results (a workload, the error with its line, a workload).
#[test]
fn broken_middle_document_keeps_its_neighbours() {
    let dir = tmp();
    let text = format!("{VIOLATING}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: \"a\" b\n---\n{VIOLATING}");
    let bad = put(dir.path(), "multi.yaml", text);
    let ok = neighbour(dir.path());

    let out = podsec(dir.path(), &[&bad, &ok]);
    assert_one_error(&out, &bad, Some(13));
    assert_neighbour_checked(&out, &ok);
    assert!(out.stdout.lines().any(|l| l.starts_with(&format!("{bad}:8:")) && l.contains("privileged")), "{out:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with(&format!("{bad}:22:")) && l.contains("privileged")), "{out:?}");

    let out = podsec(dir.path(), &["--format", "json", &bad]);
    assert_eq!(out.code, 2, "{out:?}");
    let json = out.json();
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "{json:#}");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["file"], bad.as_str());
        assert_eq!(r["doc"], i, "{r}");
    }
    assert_eq!(results[0]["kind"], "Pod");
    assert_eq!(results[0]["allowed"], false);
    assert!(results[1]["error"].as_str().is_some_and(|e| !e.is_empty()), "{json:#}");
    assert_eq!(results[1]["line"], 13, "{json:#}");
    assert_eq!(results[2]["kind"], "Pod");
    assert_eq!(results[2]["violations"][0]["line"], 22, "{json:#}");
}

/// A value the API server cannot decode (`privileged: "true"`) is an error at its line; the next
/// document is still checked.
#[test]
fn type_error_is_an_error_result_and_the_next_document_is_checked() {
    let dir = tmp();
    let typed = VIOLATING.replace("{privileged: true}", "\n      privileged: \"true\"");
    let bad = put(dir.path(), "typed.yaml", format!("{typed}---\n{VIOLATING}"));
    let out = podsec(dir.path(), &["--format", "json", "--level", "baseline", &bad]);
    assert_eq!(out.code, 2, "{out:?}");
    let json = out.json();
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{json:#}");
    assert!(results[0]["error"].as_str().is_some_and(|e| e.contains("privileged")), "{json:#}");
    assert_eq!(results[0]["line"], 9, "{json:#}");
    assert_eq!(results[1]["allowed"], false, "{json:#}");
    assert_eq!(results[1]["violations"][0]["check"], "privileged", "{json:#}");
    assert_eq!(results[1]["violations"][0]["line"], 18, "{json:#}");
}

// ---------------------------------------------------------------------------------------------------
// Files that are not manifests

#[test]
fn helm_templates_are_refused_with_their_line() {
    let dir = tmp();
    let ok = neighbour(dir.path());
    let Some(dir_of_templates) = common::shared("corpus-bad/helm-templates") else { return };
    let templates: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> =
            std::fs::read_dir(dir_of_templates).expect("corpus-bad").map(|e| e.expect("entry").path()).collect();
        v.sort();
        v
    };
    assert_eq!(templates.len(), 3);
    for t in &templates {
        let name = t.display().to_string();
        let text = std::fs::read_to_string(t).expect("template");
        let out = podsec(dir.path(), &[&name, &ok]);
        let line = assert_one_error(&out, &name, None);
        assert!(line.contains("template"), "{line}");
        assert_neighbour_checked(&out, &ok);

        let out = podsec(dir.path(), &["--format", "json", &name]);
        assert_eq!(out.code, 2, "{out:?}");
        let json = out.json();
        let r = &json["results"][0];
        assert!(r["error"].as_str().is_some_and(|e| e.contains("template")), "{json:#}");
        let n = r["line"].as_u64().unwrap_or_else(|| panic!("{name}: no line: {json:#}")) as usize;
        let shown = text.lines().nth(n - 1).unwrap_or_default();
        assert!(shown.contains("{{"), "{name}:{n} is not a template line: {shown:?}");
        assert!(line.starts_with(&format!("{name}:{n}:")), "{line}");
    }
}

/// `{{ }}` in data is not a template, even when another document of the file is broken: in a block
/// scalar, a quoted scalar, or inside a plain scalar (Argo CD notification templates). The broken
/// document is an error at its own line and the others are still checked (this used to turn the
/// whole file into one "template" error at the data's line, hiding the violations).
#[test]
fn braces_in_data_beside_a_broken_document_are_not_a_template() {
    let dir = tmp();
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: rules}}\ndata:\n  rules: |\n    summary: \"{{{{ $labels.instance }}}} down\"\n  quoted: \"{{{{ x }}}}\"\n  message: Application {{{{.app.metadata.name}}}} created\n---\na: [\n---\n{VIOLATING}"
    );
    let bad = put(dir.path(), "rules.yaml", text);
    let out = podsec(dir.path(), &["--level", "baseline", &bad]);
    let line = assert_one_error(&out, &bad, Some(10));
    assert!(!line.contains("template"), "{line}");
    assert!(out.stdout.lines().any(|l| l.starts_with(&format!("{bad}:19:")) && l.contains("privileged")), "{out:?}");
}

/// Without a line that starts with `{{`, a template that does not parse is still recognised by a
/// `{{` where a value starts.
#[test]
fn template_with_braces_only_in_values_is_a_template() {
    let dir = tmp();
    let text =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers: [ {{ .Values.c }} ]\n";
    let bad = put(dir.path(), "pod.yaml", text);
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &[&bad, &ok]);
    let line = assert_one_error(&out, &bad, Some(4));
    assert!(line.contains("template"), "{line}");
    assert_neighbour_checked(&out, &ok);
}

#[test]
fn binary_file_is_an_error() {
    let dir = tmp();
    let bad = put(dir.path(), "binary.yaml", b"apiVersion: v1\nkind: Pod\n\x00\x01\x02\xff\xfe\x00");
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &[&bad, &ok]);
    assert_one_error(&out, &bad, Some(3));
    assert_neighbour_checked(&out, &ok);
}

#[test]
fn latin1_file_is_an_error() {
    let dir = tmp();
    let bad = put(dir.path(), "latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\ndata:\n  city: Z\xfcrich\n");
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &[&bad, &ok]);
    assert_one_error(&out, &bad, Some(4));
    assert_neighbour_checked(&out, &ok);
    // The json result of an unreadable file carries the line too.
    let out = podsec(dir.path(), &["--format", "json", &bad]);
    let report = out.json();
    assert_eq!(report["results"][0]["line"], 4, "{report}");
    assert_eq!(report["results"][0]["doc"], serde_json::Value::Null);
}

#[test]
fn empty_and_comment_only_files_named_directly_are_errors() {
    let dir = tmp();
    let empty = put(dir.path(), "empty.yaml", "");
    let comments = put(dir.path(), "comments.yaml", "# nothing here yet\n---\n# still nothing\n");
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &[&empty, &comments, &ok]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.error_lines(&empty).len(), 1, "{out:?}");
    assert_eq!(out.error_lines(&comments).len(), 1, "{out:?}");
    assert_neighbour_checked(&out, &ok);
}

/// Found while walking a directory, an empty file is just a file with no document: not an error.
#[test]
fn empty_file_found_in_a_directory_is_not_an_error() {
    let dir = tmp();
    put(dir.path(), "tree/empty.yaml", "");
    put(dir.path(), "tree/pod.yaml", VIOLATING);
    let out = podsec(dir.path(), &["--level", "baseline", "tree"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    assert!(out.stdout.starts_with("tree/pod.yaml:8:"), "{out:?}");
}

#[test]
fn directory_without_manifests_is_an_error() {
    let dir = tmp();
    put(dir.path(), "docs/README.md", "# not a manifest\n");
    put(dir.path(), "docs/.hidden.yaml", VIOLATING);
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &["docs", &ok]);
    assert_one_error(&out, "docs", None);
    assert_neighbour_checked(&out, &ok);
}

#[test]
fn missing_path_is_an_error() {
    let dir = tmp();
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &["no/such/file.yaml", &ok]);
    assert_one_error(&out, "no/such/file.yaml", None);
    assert_neighbour_checked(&out, &ok);
}

/// `chmod 000`. With the privilege to read it anyway (root, CAP_DAC_OVERRIDE) the file IS readable,
/// and then it must simply be checked: no spurious error. Either way the outcome is asserted; the
/// read failures that hold even for root are in `unresolvable_symlinks_are_errors`.
#[cfg(unix)]
#[test]
fn unreadable_file_is_an_error_unless_it_can_be_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp();
    let locked = put(dir.path(), "locked.yaml", VIOLATING);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let readable = std::fs::read(&locked).is_ok();
    let ok = neighbour(dir.path());
    let out = podsec(dir.path(), &["--level", "baseline", &locked, &ok]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).expect("chmod back");
    if readable {
        assert_eq!(out.code, 1, "readable (privileged user): checked like any file\n{out:?}");
        assert!(out.stdout.lines().any(|l| l.starts_with(&format!("{locked}:8:"))), "{out:?}");
    } else {
        let line = assert_one_error(&out, &locked, None);
        assert!(line.contains("permission denied"), "{line}");
    }
    assert_neighbour_checked(&out, &ok);
}

/// Reads that fail whoever runs them: a symlink loop named directly, and a dangling symlink found in
/// a directory.
#[cfg(unix)]
#[test]
fn unresolvable_symlinks_are_errors() {
    let dir = tmp();
    let d = dir.path();
    std::os::unix::fs::symlink("loop.yaml", d.join("loop.yaml")).expect("symlink");
    std::fs::create_dir(d.join("tree")).expect("mkdir");
    std::os::unix::fs::symlink("gone.yaml", d.join("tree/dangling.yaml")).expect("symlink");
    put(d, "tree/pod.yaml", VIOLATING);
    let ok = neighbour(d);
    let out = podsec(d, &["loop.yaml", "tree", &ok]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.error_lines("loop.yaml").len(), 1, "{out:?}");
    assert_eq!(out.error_lines("tree/dangling.yaml").len(), 1, "{out:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with("tree/pod.yaml:8:")), "{out:?}");
    assert_neighbour_checked(&out, &ok);
}

/// Links back up the tree (`self -> .`, twice) must not make the walk list files again and again
/// (two such links made it exponential).
#[cfg(unix)]
#[test]
fn symlink_cycles_in_a_directory_are_walked_once() {
    let dir = tmp();
    let d = dir.path();
    put(d, "tree/pod.yaml", VIOLATING);
    std::os::unix::fs::symlink(".", d.join("tree/self")).expect("symlink");
    std::os::unix::fs::symlink("..", d.join("tree/up")).expect("symlink");
    let out = podsec_with(
        d,
        &["--level", "baseline", "--format", "json", "tree"],
        None,
        Bounds { timeout: Duration::from_secs(20), ..BOUNDS },
    );
    let json = out.json();
    let files: Vec<&str> =
        json["results"].as_array().expect("results").iter().filter_map(|r| r["file"].as_str()).collect();
    assert_eq!(files, ["tree/pod.yaml"], "{out:?}");
}

// ---------------------------------------------------------------------------------------------------
// Hostile input: bounded time and memory

/// "Billion laughs": 10 levels of 10 aliases each (10^10 nodes if expanded).
#[test]
fn alias_bomb_is_refused_quickly() {
    let dir = tmp();
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    let bad = put(dir.path(), "bomb.yaml", &text);
    let ok = neighbour(dir.path());
    let out = podsec_with(dir.path(), &[&bad, &ok], None, Bounds { timeout: Duration::from_secs(20), mem_mib: 1024 });
    assert!(out.elapsed < Duration::from_secs(5), "alias bomb took {:?}", out.elapsed);
    let line: usize = assert_one_error(&out, &bad, None)
        .strip_prefix(&format!("{bad}:"))
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("the error has a line");
    assert!((5..=14).contains(&line), "line {line} is not in the bomb");
    assert_neighbour_checked(&out, &ok);
}

/// Anchors nested around a large mapping. In a workload, whose tree is built, each anchored copy
/// counts against the node budget, so the document is refused instead of multiplying memory. In a
/// kind podsec only skims (a ConfigMap), nothing is copied: the document is read within the same
/// bounds and, having no alias, is not an error (the API server accepts it too).
#[test]
fn anchors_are_budgeted() {
    let nested = |kind: &str, parent: &str| {
        let mut text = format!("apiVersion: v1\nkind: {kind}\nmetadata: {{name: n}}\n{parent}:\n");
        for i in 0..100 {
            text.push_str(&format!("{}k{i}: &a{i}\n", " ".repeat(i + 1)));
        }
        for j in 0..30_000 {
            text.push_str(&format!("{}x{j}: v\n", " ".repeat(101)));
        }
        text
    };
    let dir = tmp();
    let bad = put(dir.path(), "nested.yaml", nested("Pod", "spec"));
    let ok = neighbour(dir.path());
    let out = podsec_with(dir.path(), &[&bad, &ok], None, Bounds { timeout: Duration::from_secs(30), mem_mib: 1024 });
    assert_one_error(&out, &bad, None);
    assert_neighbour_checked(&out, &ok);

    let dir = tmp();
    let skimmed = put(dir.path(), "nested.yaml", nested("ConfigMap", "data"));
    let ok = neighbour(dir.path());
    let out =
        podsec_with(dir.path(), &[&skimmed, &ok], None, Bounds { timeout: Duration::from_secs(30), mem_mib: 1024 });
    assert!(!out.stderr.contains("nested.yaml"), "a ConfigMap without aliases is not an error: {out:?}");
    assert_neighbour_checked(&out, &ok);
}

#[test]
fn deep_flow_nesting_is_an_error_not_a_crash() {
    let dir = tmp();
    let seqs = put(dir.path(), "brackets.yaml", "[".repeat(100_000) + "\n");
    let maps = put(dir.path(), "braces.yaml", "a: ".to_owned() + &"{a: ".repeat(100_000) + "\n");
    let ok = neighbour(dir.path());
    let out =
        podsec_with(dir.path(), &[&seqs, &maps, &ok], None, Bounds { timeout: Duration::from_secs(20), mem_mib: 1024 });
    assert_one_error(&out, &seqs, Some(1));
    assert_one_error(&out, &maps, Some(1));
    assert_neighbour_checked(&out, &ok);
}

/// 10,000 levels of block mappings (one more space each: a 50 MB file) and of compact block
/// sequences (`- - - …` on one line).
#[test]
fn deep_block_nesting_is_an_error_not_a_crash() {
    let dir = tmp();
    let mut maps = String::with_capacity(51_000_000);
    for i in 0..10_000 {
        maps.push_str(&" ".repeat(i));
        maps.push_str("k:\n");
    }
    maps.push_str(&" ".repeat(10_000));
    maps.push_str("v: 1\n");
    let maps = put(dir.path(), "maps.yaml", maps);
    let seqs = put(dir.path(), "seqs.yaml", "- ".repeat(10_000) + "x\n");
    let ok = neighbour(dir.path());
    let out =
        podsec_with(dir.path(), &[&maps, &seqs, &ok], None, Bounds { timeout: Duration::from_secs(60), mem_mib: 2048 });
    assert_one_error(&out, &maps, None);
    assert_one_error(&out, &seqs, Some(1));
    assert_neighbour_checked(&out, &ok);
}

/// A Pod with `lines` appended under an unknown top-level key `x` (line 9 on): its tree is built and
/// fixed (the self-check converts it to JSON), and the unknown field is not an error.
fn pod_with_x(lines: &[String]) -> String {
    let mut text = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: deep}\nspec:\n  containers:\n  - name: c\n    image: i\nx:\n",
    );
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text
}

/// The crafted file of issue 9 and variants: collections nested below the text's limit on each line,
/// each line aliasing the one before inside its own nesting, so that the expanded tree is thousands
/// of levels deep (a stack overflow in `fix`, converting it to JSON). Each is one error naming the
/// line of the first alias that goes too deep, exit 2, in `check` and in every `fix` mode, and the
/// neighbour is still checked or fixed; the file is left as it was.
#[test]
fn aliases_nesting_beyond_the_limit_are_an_error_not_a_crash() {
    let chain = |open: &str, close: &str| -> String {
        let lines: Vec<String> = (0..40)
            .map(|i| {
                let inner = if i == 0 { "0".to_owned() } else { format!("*a{}", i - 1) };
                format!("  - &a{i} {}{inner}{}", open.repeat(189), close.repeat(189))
            })
            .collect();
        pod_with_x(&lines)
    };
    // Block mappings 150 deep, anchored, then aliased 150 levels down in a second block.
    let block = {
        let mut lines = vec!["  a: &b".to_owned()];
        lines.extend((0..150).map(|i| format!("{}k:", " ".repeat(4 + i))));
        lines.push(format!("{}v: 1", " ".repeat(154)));
        lines.push("  b:".to_owned());
        lines.extend((0..150).map(|i| format!("{}k:", " ".repeat(4 + i))));
        lines.push(format!("{}v: *b", " ".repeat(154)));
        pod_with_x(&lines)
    };
    let cases = [
        ("seqs.yaml", chain("[", "]"), 10),
        ("maps.yaml", chain("{a: ", "}"), 10),
        ("block.yaml", block, 9 + 152 + 151),
        // One level past the limit: the alias's 199 levels under `[` at depth 2 (the text's own
        // nesting limit is the same: 200 brackets under `x:` are refused).
        ("edge.yaml", pod_with_x(&[format!("  &e {}0{}", "[".repeat(199), "]".repeat(199)), "y: [*e]".into()]), 10),
    ];
    for (file, text, line) in cases {
        for mode in [&[][..], &["--diff"], &["--format", "json-patch"]] {
            for command in ["check", "fix"] {
                if command == "check" && !mode.is_empty() {
                    continue;
                }
                let dir = tmp();
                let bad = put(dir.path(), file, &text);
                let ok = neighbour(dir.path());
                let args: Vec<&str> = mode.iter().copied().chain([bad.as_str(), ok.as_str()]).collect();
                let out = podsec_run(dir.path(), command, &args, None, BOUNDS);
                let what = format!("{command} {mode:?} {file}");
                let l = assert_one_error(&out, &bad, Some(line));
                assert!(l.contains("aliases nest this document deeper than 200 levels"), "{what}: {l}");
                assert_eq!(std::fs::read_to_string(&bad).unwrap(), text, "{what}: the file changed");
                match (command, mode) {
                    ("check", _) => assert_neighbour_checked(&out, &ok),
                    (_, []) => {
                        assert_ne!(std::fs::read_to_string(&ok).unwrap(), VIOLATING, "{what}: neighbour not fixed")
                    }
                    (_, ["--diff"]) => assert!(out.stdout.contains(ok.trim_start_matches('/')), "{what}: {out:?}"),
                    _ => assert!(out.json().as_array().unwrap().iter().any(|p| p["file"] == ok.as_str()), "{what}"),
                }
            }
        }
    }
}

/// At the limit exactly (an alias expanding to the 200th level), a document is read, checked and
/// fixed as any other, in every mode, without exhausting the stack of any walk of its tree.
#[test]
fn aliases_nesting_up_to_the_limit_are_fixed() {
    let text = pod_with_x(&[format!("  &e {}0{}", "[".repeat(199), "]".repeat(199)), "y: *e".into()]);
    let dir = tmp();
    let file = put(dir.path(), "edge.yaml", &text);
    let out = podsec_run(dir.path(), "check", &[&file], None, BOUNDS);
    assert_eq!(out.code, 1, "{out:?}");
    for mode in [&["--diff"][..], &["--format", "json-patch"], &["--stdout"], &[]] {
        let args: Vec<&str> = mode.iter().copied().chain([file.as_str()]).collect();
        let out = podsec_run(dir.path(), "fix", &args, None, BOUNDS);
        assert_eq!(out.code, 0, "fix {mode:?}: {out:?}");
    }
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(fixed.contains("runAsNonRoot") && fixed.ends_with("y: *e\n"), "{fixed}");
}

/// A mapping with 200,000 keys (a big ConfigMap) and 50,000 anchors each used once: building the
/// tree must stay linear (duplicate-key lookups and shared-span bookkeeping were quadratic).
#[test]
fn large_mappings_and_many_aliases_stay_linear() {
    let dir = tmp();
    let mut keys = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    for i in 0..200_000 {
        keys.push_str(&format!("  key{i}: v{i}\n"));
    }
    let keys = put(dir.path(), "keys.yaml", keys);
    let mut aliases = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    for i in 0..50_000 {
        aliases.push_str(&format!("  k{i}: &a{i} v{i}\n"));
    }
    aliases.push_str("list:\n");
    for i in 0..50_000 {
        aliases.push_str(&format!("- *a{i}\n"));
    }
    let aliases = put(dir.path(), "aliases.yaml", aliases);
    let ok = neighbour(dir.path());
    let out = podsec_with(
        dir.path(),
        &["--level", "baseline", &keys, &aliases, &ok],
        None,
        Bounds { timeout: Duration::from_secs(30), mem_mib: 1024 },
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_neighbour_checked(&out, &ok);
}

/// A large file of valid Deployments is checked completely: every document has a result and every
/// violating one its violation. 60 MB in an optimised build; a debug build checks 16 MB (override
/// with `PODSEC_TEST_LARGE_MB`).
#[test]
fn large_file_is_checked_completely() {
    let mb: usize = std::env::var("PODSEC_TEST_LARGE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 16 } else { 60 });
    let dir = tmp();
    let mut text = String::with_capacity(mb * 1_000_000 + 4096);
    let (mut docs, mut violating) = (0usize, 0usize);
    while text.len() < mb * 1_000_000 {
        let host = docs % 3 == 0;
        violating += usize::from(host);
        text.push_str(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{docs}\n  labels: {{app: web}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      hostNetwork: {host}\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 8080\n        env:\n        - {{name: MODE, value: \"production\"}}\n        resources:\n          limits: {{cpu: 500m, memory: 128Mi}}\n---\n"
        ));
        docs += 1;
    }
    let big = put(dir.path(), "big.yaml", &text);
    drop(text);
    let ok = neighbour(dir.path());
    let bounds = Bounds { timeout: Duration::from_secs(120), mem_mib: 4096 + 64 * mb as u64 };
    let out = podsec_with(dir.path(), &["--format", "json", "--level", "baseline", &big, &ok], None, bounds);
    assert_eq!(out.code, 1, "{out:?}");
    let json = out.json();
    let results = json["results"].as_array().expect("results");
    let mine: Vec<&J> = results.iter().filter(|r| r["file"] == big.as_str()).collect();
    assert_eq!(mine.len(), docs);
    let found: usize = mine.iter().map(|r| r["violations"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(found, violating, "{docs} documents");
    assert!(mine.iter().all(|r| r["kind"] == "Deployment" && r.get("error").is_none()));
    assert!(mine.iter().enumerate().all(|(i, r)| r["doc"] == i));
    assert!(results.iter().any(|r| r["file"] == ok.as_str() && r["allowed"] == false));
    eprintln!("{mb} MB, {docs} documents: {:?}", out.elapsed);
}

// ---------------------------------------------------------------------------------------------------
// Everything at once, stdin, usage errors

/// Every kind of bad input in one run: each is reported once, none is lost, the good file is checked.
#[test]
fn every_bad_input_in_one_run_is_reported_once() {
    let dir = tmp();
    let d = dir.path();
    let bad = [
        put(d, "a-unclosed.yaml", "a: [\n"),
        put(d, "b-binary.yaml", b"\x00\x01"),
        put(d, "c-latin1.yaml", b"k: \xe9\n"),
        put(d, "d-empty.yaml", ""),
        put(d, "e-tabs.yaml", "a:\n\tb: 1\n"),
        put(
            d,
            "g-template.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n{{- if .Values.labels }}\n  labels: {{ toYaml .Values.labels | nindent 4 }}\n{{- end }}\n",
        ),
        "f-missing.yaml".to_owned(),
    ];
    let ok = neighbour(d);
    let mut args: Vec<&str> = vec!["--format", "json"];
    args.extend(bad.iter().map(String::as_str));
    args.push(&ok);
    let out = podsec(d, &args);
    assert_eq!(out.code, 2, "{out:?}");
    let json = out.json();
    let results = json["results"].as_array().expect("results");
    for name in &bad {
        let mine: Vec<&J> = results.iter().filter(|r| r["file"] == name.as_str()).collect();
        assert_eq!(mine.len(), 1, "{name}: {json:#}");
        assert!(mine[0]["error"].is_string(), "{name}: {json:#}");
    }
    assert!(results.iter().any(|r| r["file"] == ok.as_str() && r["allowed"] == false), "{json:#}");
    assert_eq!(results.len(), bad.len() + 1, "{json:#}");
}

// ---------------------------------------------------------------------------------------------------
// Output errors

/// Every report format, and every `fix` output, on a closed pipe (the reader stops after 100 bytes,
/// as `| head -c 100` does) and on a full disk (`/dev/full`, ENOSPC): exit 2, never 0 or 1 as if the
/// report were complete. A closed pipe ends quietly; a full disk says so on stderr.
#[test]
fn output_errors_exit_2_in_every_format() {
    let dir = tmp();
    let docs: String =
        (0..1000).map(|i| format!("---\n{}", VIOLATING.replace("neighbour", &format!("p{i}")))).collect();
    let file = put(dir.path(), "many.yaml", docs);
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", "--format", "text"],
        vec!["check", "--format", "json"],
        vec!["check", "--format", "sarif"],
        vec!["check", "--format", "github"],
        vec!["fix", "--stdout"],
        vec!["fix", "--diff"],
        vec!["fix", "--format", "json-patch"],
    ];
    let spawn = |args: &[&str], stdout: Stdio, stderr: Stdio| {
        Command::new(BIN).args(args).arg(&file).current_dir(dir.path()).stdout(stdout).stderr(stderr).spawn().unwrap()
    };
    for args in &runs {
        // A closed pipe: read 100 bytes, then close the read end (the output is far larger than a
        // pipe's buffer, so podsec is still writing).
        let mut child = spawn(args, Stdio::piped(), Stdio::piped());
        let mut head = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{args:?} | head -c 100: {status}\n{stderr}");
        assert!(!stderr.contains("could not write"), "{args:?}: a closed pipe is not news: {stderr}");
        if cfg!(target_os = "linux") {
            let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
            let out = spawn(args, full.into(), Stdio::piped()).wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} >/dev/full: {}\n{stderr}", out.status);
            assert!(stderr.contains("could not write the output: No space left"), "{args:?}: {stderr}");
        }
    }
    // fix's summary goes to stderr: a full stderr is an error too.
    if cfg!(target_os = "linux") {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = spawn(&["fix", "--stdout"], Stdio::null(), full.into()).wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "fix 2>/dev/full: {}", out.status);
    }
}

// ---------------------------------------------------------------------------------------------------
// At a terminal

/// A directory whose every file `.podsec.yaml` excludes is an empty, successful run that says so
/// (not "no manifests here", which is for a typo'd directory).
#[test]
fn a_directory_all_excluded_is_an_empty_successful_run() {
    let dir = tmp();
    put(dir.path(), ".podsec.yaml", "exclude: [\"vendor/**\"]\n");
    put(dir.path(), "vendor/pod.yaml", VIOLATING);
    for command in ["check", "fix"] {
        let out = podsec_run(dir.path(), command, &["vendor"], None, BOUNDS);
        assert_eq!(out.code, 0, "{command}: {out:?}");
        assert!(out.stderr.contains("vendor: nothing to read: every entry here (1) is excluded"), "{command}: {out:?}");
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("vendor/pod.yaml")).unwrap(), VIOLATING);
}

/// `--color`: ANSI colour in the text format when asked (`always`), never in a pipe (`auto`, the
/// default) nor with `never`, and never in the other formats.
#[test]
fn color_is_for_text_on_a_terminal_or_when_asked() {
    let dir = tmp();
    let file = neighbour(dir.path());
    let esc = |out: &Out| out.stdout.contains('\x1b');
    let out = podsec(dir.path(), &["--color", "always", &file]);
    assert!(esc(&out) && out.stdout.contains("\x1b[31mprivileged\x1b[0m"), "{out:?}");
    assert!(out.stdout.lines().last().unwrap().starts_with("\x1b[1;31m6 violations in 1 of 1 workload"), "{out:?}");
    for args in [&["--color", "auto"][..], &["--color", "never"], &[], &["--color", "always", "--format", "json"]] {
        let args: Vec<&str> = args.iter().copied().chain([file.as_str()]).collect();
        let out = podsec(dir.path(), &args);
        assert!(!esc(&out), "{args:?}: {out:?}");
        assert_eq!(out.code, 1);
    }
    assert_eq!(podsec(dir.path(), &["--color", "sometimes", &file]).code, 2);
}

/// `podsec completions SHELL` prints a completion script for it.
#[test]
fn completions_are_generated() {
    for (shell, marker) in [
        ("bash", "_podsec()"),
        ("zsh", "#compdef podsec"),
        ("fish", "complete -c podsec"),
        ("elvish", "podsec"),
        ("powershell", "podsec"),
    ] {
        let out = Command::new(BIN).args(["completions", shell]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains(marker) && text.contains("pss-version"), "{shell}: {text}");
    }
}

/// Whether util-linux `script` is there to give a test a pseudo-terminal (saying so when not).
fn has_script() -> bool {
    let there = Command::new("script").arg("--version").output().is_ok();
    if !there {
        eprintln!("SKIPPED: `script` (util-linux) is not installed: no pseudo-terminal to test with");
    }
    there
}

/// With no path and a terminal on stdin (here a pseudo-terminal by `script`, when it is installed),
/// `check` and `fix` say what they expect and exit 2 instead of waiting for input.
#[test]
fn no_path_at_a_terminal_says_what_is_expected() {
    if !has_script() {
        return;
    }
    let dir = tmp();
    for command in ["check", "fix"] {
        let out = Command::new("script")
            .args(["-qec", &format!("{BIN} {command}"), "/dev/null"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{command}: {text}");
        assert!(text.contains(&format!("podsec {command}: no input: name the files or directories")), "{text}");
    }
}

/// A run over many files draws a progress line on a terminal's stderr (cleared before the report
/// and at the end), and never in a pipe or when `CI` is set.
#[test]
fn progress_line_only_at_a_terminal_and_not_in_ci() {
    if !has_script() {
        return;
    }
    let dir = tmp();
    let many = dir.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..600 {
        std::fs::write(
            many.join(format!("p{i}.yaml")),
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers: [{{name: a, image: x}}]\n"
            ),
        )
        .unwrap();
    }
    let at_terminal = |command: &str, ci: bool| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &format!("{BIN} {command} many > /dev/null"), "/dev/null"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .env("PODSEC_PROGRESS_AFTER_MS", "0")
            .env_remove("CI");
        if ci {
            cmd.env("CI", "true");
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    for (command, verb) in [("check --format json", "checked"), ("fix --diff", "read")] {
        let shown = at_terminal(command, false);
        assert!(
            shown.contains(&format!("\r\x1b[Kpodsec: {verb} 256 of 600 files"))
                || shown.contains(&format!("podsec: {verb} 32 of 600 files")),
            "{command}: {shown:?}"
        );
        assert!(shown.contains("\r\x1b[K"), "{shown:?}");
        let ci = at_terminal(command, true);
        assert!(!ci.contains("files\r") && !ci.contains(&format!("{verb} ")), "{command} in CI: {ci:?}");
    }
    let out = Command::new(BIN)
        .args(["check", "many"])
        .current_dir(dir.path())
        .env("PODSEC_PROGRESS_AFTER_MS", "0")
        .env_remove("CI")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("checked"), "in a pipe");
}

#[test]
fn stdin_dash_is_read_and_named() {
    let dir = tmp();
    let ok = neighbour(dir.path());
    let out = podsec_with(dir.path(), &["--level", "baseline", "-", &ok], Some(VIOLATING.as_bytes()), BOUNDS);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with("-:8:") && l.contains("privileged")), "{out:?}");
    assert_neighbour_checked(&out, &ok);

    let out = podsec_with(dir.path(), &["-"], Some(b"a: [\n"), BOUNDS);
    assert_one_error(&out, "-", Some(1));

    // No path at all reads stdin too.
    let out = podsec_with(dir.path(), &["--format", "json"], Some(VIOLATING.as_bytes()), BOUNDS);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.json()["results"][0]["file"], "-");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tmp();
    let ok = neighbour(dir.path());
    for args in [["--pss-version", "v1.01"], ["--level", "privileged"], ["--level", "foo"], ["--format", "xml"]] {
        let mut all = args.to_vec();
        all.push(&ok);
        let out = podsec(dir.path(), &all);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
        assert!(out.stderr.contains(args[1]), "{args:?}: the message names the bad value: {out:?}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Output formats, on ../shared/conformance/oracle-cases/controllers.yaml

/// The controllers case copied to `k8s/controllers.yaml` under a fresh directory.
fn controllers() -> Option<(TempDir, String)> {
    let dir = tmp();
    let text =
        std::fs::read_to_string(common::shared("conformance/oracle-cases/controllers.yaml")?).expect("oracle case");
    put(dir.path(), "k8s/controllers.yaml", text);
    Some((dir, "k8s/controllers.yaml".to_owned()))
}

#[test]
fn json_output_matches_the_contract_and_the_oracle() {
    let Some((dir, name)) = controllers() else { return };
    let out = podsec(dir.path(), &["--format", "json", &name]);
    assert_eq!(out.code, 1, "{out:?}");
    let json = out.json();
    let top: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(top, ["version", "level", "pssVersion", "results"]);
    assert_eq!(json["version"], 1);
    assert_eq!(json["level"], "restricted");
    assert_eq!(json["pssVersion"], "latest");

    let oracle: J = serde_json::from_str(
        &std::fs::read_to_string(
            common::shared("conformance/oracle-cases/controllers.expected.json").expect("beside controllers.yaml"),
        )
        .expect("oracle"),
    )
    .expect("oracle json");
    let expected = oracle["restricted:latest"].as_array().expect("restricted:latest");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), expected.len(), "one entry per non-empty document: {json:#}");
    for (r, e) in results.iter().zip(expected) {
        assert_eq!(r["file"], name.as_str());
        assert_eq!(r["doc"], e["doc"], "{r}");
        if e.get("error").is_some() {
            assert!(r["error"].is_string() && r["line"].is_u64(), "{r}");
            continue;
        }
        assert_eq!(r["kind"], e["kind"], "{r}");
        if e["skipped"] == true {
            assert_eq!(r["skipped"], true, "{r}");
            continue;
        }
        for key in ["apiVersion", "kind", "namespace", "name", "allowed", "violations"] {
            assert!(r.get(key).is_some(), "workload result without {key}: {r}");
        }
        assert_eq!(r["allowed"], e["allowed"], "{r}");
        let psa: Vec<(&J, &J)> = r["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .filter(|v| v.get("source").is_none())
            .map(|v| {
                assert!(
                    v["check"].is_string() && v["line"].as_u64() >= Some(1) && v["column"].as_u64() >= Some(1),
                    "{v}"
                );
                (&v["reason"], &v["detail"])
            })
            .collect();
        let want: Vec<(&J, &J)> =
            e["reasons"].as_array().expect("reasons").iter().map(|v| (&v["reason"], &v["detail"])).collect();
        assert_eq!(psa, want, "doc {}", e["doc"]);
    }

    // The skipped and error shapes, in the same run.
    let d = dir.path();
    put(d, "other.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\na: [\n");
    let out = podsec(d, &["--format", "json", "other.yaml"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.is_empty(), "json carries the errors itself: {out:?}");
    let json = out.json();
    assert_eq!(
        json["results"],
        serde_json::json!([
            {"file": "other.yaml", "doc": 0, "kind": "Service", "skipped": true},
            {"file": "other.yaml", "doc": 1, "error": json["results"][1]["error"], "line": 5},
        ])
    );
    assert!(json["results"][1]["error"].as_str().is_some_and(|e| !e.is_empty()));
}

#[test]
fn sarif_output_has_what_github_requires() {
    let Some((dir, name)) = controllers() else { return };
    let out = podsec(dir.path(), &["--format", "sarif", &format!("./{name}")]);
    assert_eq!(out.code, 1, "{out:?}");
    let sarif = out.json();
    assert!(sarif["$schema"].as_str().is_some_and(|s| s.contains("sarif")), "{sarif:#}");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "podsec");
    let rules = driver["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    let text = |v: &J| v.as_str().is_some_and(|s| !s.trim().is_empty());
    for rule in rules {
        assert!(text(&rule["id"]), "{rule}");
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(text(&rule[key]["text"]), "rule {} has no {key}.text", rule["id"]);
        }
    }
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let results = run["results"].as_array().expect("results");
    assert!(results.len() >= 10, "{}", results.len());
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        assert!(ids.contains(&id), "{id} is not a rule");
        if let Some(i) = r["ruleIndex"].as_u64() {
            assert_eq!(rules[i as usize]["id"], id);
        }
        assert!(text(&r["message"]["text"]), "{r}");
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], name.as_str(), "relative, without ./");
        let region = &loc["region"];
        let n = |k: &str| region[k].as_u64().unwrap_or_else(|| panic!("region.{k}: {r}"));
        let (sl, sc, el, ec) = (n("startLine"), n("startColumn"), n("endLine"), n("endColumn"));
        assert!(sl >= 1 && sc >= 1 && (el, ec) > (sl, sc), "{region}");
    }
}

/// The absolute path of a file under the working directory should become a relative uri too (GitHub
/// resolves `uri` against the repository root).
#[test]
fn sarif_uri_of_an_absolute_path_is_relative() {
    let Some((dir, name)) = controllers() else { return };
    let abs = dir.path().join(&name).display().to_string();
    let out = podsec(dir.path(), &["--format", "sarif", &abs]);
    let sarif = out.json();
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, name.as_str());
}

#[test]
fn github_output_is_annotations_with_escaping() {
    let Some((dir, name)) = controllers() else { return };
    let out = podsec(dir.path(), &["--format", "github", &name]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let (last, annotations) = lines.split_last().expect("output");
    assert!(last.starts_with("::notice "), "{last}");
    assert!(annotations.len() >= 10);
    for l in annotations {
        let rest = l.strip_prefix(&format!("::error file={name},line=")).unwrap_or_else(|| panic!("{l}"));
        let (props, message) = rest.split_once("::").expect("message");
        assert!(props.contains(",col=") && props.contains(",title="), "{l}");
        assert!(!message.is_empty());
    }

    // A file name with `,` and `:` (properties) and a container name with `%` and a newline (message).
    let d = dir.path();
    let tricky = VIOLATING.replace("name: c", "name: \"c%1\\nx,y:z\"");
    put(d, "a,b:c.yaml", tricky);
    let out = podsec(d, &["--format", "github", "--level", "baseline", "a,b:c.yaml"]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one annotation, one notice: {out:?}");
    assert!(lines[0].starts_with("::error file=a%2Cb%3Ac.yaml,line=8,col="), "{}", lines[0]);
    assert!(lines[0].contains("c%251%0Ax,y:z"), "{}", lines[0]);

    // Errors are annotations too.
    put(d, "broken.yaml", "a: [\n");
    let out = podsec(d, &["--format", "github", "broken.yaml"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.starts_with("::error file=broken.yaml,line=1"), "{out:?}");
}

#[test]
fn github_escape_functions() {
    use podsec::report::{gh_escape_data, gh_escape_property};
    assert_eq!(gh_escape_data("plain text, with: punctuation"), "plain text, with: punctuation");
    assert_eq!(gh_escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
    assert_eq!(gh_escape_data("%0A is not a newline"), "%250A is not a newline");
    assert_eq!(gh_escape_property("k8s/a,b:c.yaml"), "k8s/a%2Cb%3Ac.yaml");
    assert_eq!(gh_escape_property("50%:x,\ny"), "50%25%3Ax%2C%0Ay");
    assert_eq!(gh_escape_property("%2C"), "%252C");
    assert_eq!(gh_escape_property(""), "");
    assert_eq!(gh_escape_data("ünïcödé ✓"), "ünïcödé ✓");
}

/// The literal spans gathered while parsing are the ones a second parse (`yaml::literal_spans`)
/// finds, on every corpus file, the Helm templates and a stream with a broken document.
#[test]
fn stream_literal_spans_match_a_second_parse() {
    use podsec::yaml::{Limits, literal_spans, parse_stream};
    let mut texts: Vec<(String, String)> = Vec::new();
    for dir in ["corpus", "corpus-bad/helm-templates"] {
        let Some(root) = common::shared(dir) else { return };
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("corpus dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    texts.push((path.display().to_string(), std::fs::read_to_string(&path).expect("utf-8")));
                }
            }
        }
    }
    assert!(texts.len() > 300);
    texts.push(("broken".into(), "a: 'x'\n---\nb: [\"y\"\n---\nc: |\n  z\n".into()));
    for (name, text) in &texts {
        assert_eq!(parse_stream(text, &Limits::default()).literal_spans, literal_spans(text).0, "{name}");
    }
}

/// Output is streamed in batches of files; a first batch without any result (empty files found in a
/// directory) must not open the JSON or SARIF document twice.
#[test]
fn streamed_json_and_sarif_stay_valid_across_empty_batches() {
    let dir = tmp();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    for i in 0..300 {
        put(&dir.path().join("k8s"), &format!("a{i:03}.yaml"), "# nothing here\n");
    }
    put(&dir.path().join("k8s"), "z.yaml", VIOLATING);
    for format in ["json", "sarif"] {
        let out = podsec(dir.path(), &["--format", format, "k8s"]);
        let doc = out.json();
        let results = if format == "json" { &doc["results"] } else { &doc["runs"][0]["results"] };
        assert!(!results.as_array().unwrap().is_empty(), "{format}: {doc}");
    }
}

/// A one-line JSON ConfigMap holding tens of thousands of `{{ }}` (a Grafana dashboard, as
/// `kubectl get -o json` prints it) is data, found quickly (the template test is linear).
#[test]
fn many_braces_on_one_line_are_data_and_fast() {
    let dir = tmp();
    let legends: Vec<String> = (0..40_000).map(|i| format!("\"{{{{pod}}}}-{i}\"")).collect();
    let text = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"g\"}}, \"data\": {{\"d\": [{}]}}}}\n",
        legends.join(", ")
    );
    let f = put(dir.path(), "graf.json", text);
    let started = std::time::Instant::now();
    let out = podsec(dir.path(), &["--format", "json", &f]);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["results"][0]["skipped"], true);
}

/// Shapes kubectl prints or accepts: an empty List (`kubectl get pods -o yaml` in an empty
/// namespace), a `~` document (skipped, as kubectl skips it), and volume sources written as null
/// (the API server defaults a volume whose sources are all nil to emptyDir).
#[test]
fn kubectl_shapes_are_accepted() {
    let dir = tmp();
    let empty_list =
        put(dir.path(), "list.yaml", "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n");
    let out = podsec(dir.path(), &["--format", "json", &empty_list]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["results"], serde_json::json!([]));

    let null_doc = put(dir.path(), "null.yaml", "~\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
    let out = podsec(dir.path(), &["--format", "json", &null_doc]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["results"].as_array().unwrap().len(), 1);

    let volumes = put(
        dir.path(),
        "vol.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: a, emptyDir: }, {name: b, hostPath: null}]\n  containers: [{name: c, image: x}]\n",
    );
    let out = podsec(dir.path(), &["--format", "json", &volumes]);
    let checks: Vec<String> = out.json()["results"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["check"].as_str().unwrap().to_owned())
        .collect();
    assert!(!checks.contains(&"restrictedVolumes".to_owned()), "{checks:?}");
}

/// A Namespace's enforce label sets its workloads' level: `privileged` checks nothing, an invalid
/// version reads as latest, the label is honoured on stdin and inside a List.
#[test]
fn namespace_labels_choose_the_level_everywhere() {
    let dir = tmp();
    let text = "apiVersion: v1\nkind: List\nitems:\n\
- {apiVersion: v1, kind: Namespace, metadata: {name: open, labels: {pod-security.kubernetes.io/enforce: privileged}}}\n\
- {apiVersion: v1, kind: Namespace, metadata: {name: base, labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.99}}}\n\
- {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: open}, spec: {hostNetwork: true, containers: [{name: c, image: x}]}}\n\
- {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: base}, spec: {containers: [{name: c, image: x}]}}\n";
    let f = put(dir.path(), "ns.yaml", text);
    for out in [
        podsec(dir.path(), &["--format", "json", &f]),
        podsec_with(
            dir.path(),
            &["--format", "json", "-"],
            Some(text.as_bytes()),
            Bounds { timeout: Duration::from_secs(30), mem_mib: 1024 },
        ),
    ] {
        assert_eq!(out.code, 0, "{out:?}");
        let results = out.json()["results"].clone();
        assert_eq!(results[2]["level"], "privileged", "{results}");
        assert_eq!(results[2]["violations"], serde_json::json!([]));
        assert_eq!(results[3]["level"], "baseline", "{results}");
    }
}

/// The last of duplicate `kind` keys wins (as the API server reads it), also when the first one
/// named a kind podsec only skims.
#[test]
fn the_last_kind_wins() {
    let dir = tmp();
    let f = put(
        dir.path(),
        "dup.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: x}]\nkind: Pod\n",
    );
    let out = podsec(dir.path(), &["--format", "json", "--level", "baseline", &f]);
    assert_eq!(out.code, 1, "{out:?}");
    let r = &out.json()["results"][0];
    assert_eq!(r["kind"], "Pod", "{r}");
    assert_eq!(r["violations"][0]["check"], "hostNamespaces");
}

/// A large file is reported document by document as it is read (memory follows one document);
/// what it reports is exactly what the whole-file path reports for the same documents (forced here
/// by a `{{` in a comment, which only the whole-file path may judge).
#[test]
fn a_large_file_streams_the_same_results() {
    let dir = tmp();
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 5 << 20 {
        text.push_str(&format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx\n        securityContext: {{privileged: true}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{a: b}}\n---\n"));
        if i == 500 {
            text.push_str("apiVersion: v1\nkind: Pod\nmetadata: [broken\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: t}\nspec: {hostNetwork: \"yes\"}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: li}, spec: {containers: [{name: a, image: x}]}}\n---\n");
        }
        i += 1;
    }
    let streamed = put(dir.path(), "big.yaml", &text);
    let whole = put(dir.path(), "whole.yaml", format!("{text}# {{{{ not a template }}}}\n"));
    for format in ["json", "text"] {
        let a = podsec(dir.path(), &["--format", format, &streamed]);
        let b = podsec(dir.path(), &["--format", format, &whole]);
        assert_eq!(a.code, 2, "{a:?}");
        assert_eq!(a.code, b.code);
        assert_eq!(a.stdout.replace("big.yaml", "whole.yaml"), b.stdout, "{format}");
        assert_eq!(a.stderr.replace("big.yaml", "whole.yaml"), b.stderr, "{format}");
    }
}

/// `podsec explain` covers every check `check` can print, PSA's and podsec's own, each with its source.
#[test]
fn explain_covers_every_check_with_its_source() {
    let list = Command::new(BIN).arg("explain").output().unwrap();
    assert_eq!(list.status.code(), Some(0));
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(list.lines().any(|l| l.starts_with("privileged ") && l.ends_with("Pod Security Admission")), "{list}");
    assert!(list.lines().any(|l| l.starts_with("automountServiceAccountToken ") && l.ends_with("podsec")), "{list}");
    for id in ["privileged", "automountServiceAccountToken"] {
        let page = Command::new(BIN).args(["explain", id]).output().unwrap();
        assert_eq!(page.status.code(), Some(0), "{id}");
        assert!(String::from_utf8_lossy(&page.stdout).starts_with(&format!("# `{id}`")), "{id}");
    }
    let unknown = Command::new(BIN).args(["explain", "nope"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
