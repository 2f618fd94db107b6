//! Throughput of `podsec check` next to a bare parse of the same bytes, and the peak memory of the
//! real CLI. Run it with:
//!
//!     cargo bench --bench throughput
//!
//! The corpus is every *.yaml, *.yml and *.json file of `../shared/corpus/**`, kept as separate files
//! and repeated until it holds at least 50 MB. Each figure is the median of 5 runs after a warm-up.
//! `PODSEC_BENCH_MB` changes the corpus size, `PODSEC_BENCH_RUNS` the number of runs.
//! The method and the recorded figures are in docs/performance.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use granit_parser::Parser;
use podsec::checks::{Level, PolicyVersion};
use podsec::engine::{self, Policy};
use podsec::input::Source;
use podsec::yaml::Limits;
use rayon::prelude::*;

/// Counts heap bytes while `COUNTING` is on (only in the memory section: the throughput runs pay
/// one relaxed load per allocation).
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn counted(delta: isize) {
    let live = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are updated.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            counted(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        if COUNTING.load(Ordering::Relaxed) {
            counted(-(layout.size() as isize));
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            counted(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Heap bytes allocated and not freed while running `f` (`f`'s result still alive), and the peak
/// above the starting point.
fn heap<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let out = f();
    COUNTING.store(false, Ordering::Relaxed);
    let live = LIVE.load(Ordering::Relaxed) - start;
    let peak = PEAK.load(Ordering::Relaxed) - start;
    (out, live.max(0) as usize, peak.max(0) as usize)
}

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");
const MB: f64 = 1_000_000.0;

fn main() {
    // `cargo bench` passes `--bench`; a filter or `--list` from the harness protocol is ignored.
    let target_mb: usize = env_or("PODSEC_BENCH_MB", 50);
    let runs: usize = env_or("PODSEC_BENCH_RUNS", 5);
    println!("podsec throughput benchmark (run it with `cargo bench --bench throughput`)");
    println!(
        "machine: {} cores ({} rayon threads), {}; load average at start: {}",
        cores(),
        rayon::current_num_threads(),
        cpu_model(),
        load_average()
    );

    let files = corpus_files(Path::new(CORPUS));
    let unique: usize = files.iter().map(|(_, t)| t.len()).sum();
    let sources = repeat(&files, target_mb * 1_000_000);
    let total: usize = sources.iter().map(|s| s.text.len()).sum();
    let largest = sources.iter().map(|s| s.text.len()).max().unwrap_or(0);
    println!(
        "corpus: {} files, {:.1} MB, repeated to {} files, {:.1} MB (largest file {:.2} MB)",
        files.len(),
        unique as f64 / MB,
        sources.len(),
        total as f64 / MB,
        largest as f64 / MB
    );

    let level: Level = "restricted".parse().expect("level");
    let version: PolicyVersion = "latest".parse().expect("version");
    let policy = Policy::new(level, version);
    let limits = Limits::default();

    let choice = podsec::fix::Choice::default();
    // What `podsec check` does per file: each document checked and its fixes classified, then its
    // tree dropped.
    let check = |s: &Source| {
        engine::check_each(s, &policy, &limits, |doc, rs| podsec::fix::classify(&s.text, doc, rs, &policy, &choice))
            .0
            .len()
    };
    // What `podsec fix` does per file (safe fixes): plan, edit, re-parse, re-check, self-check.
    let fix = |s: &Source| podsec::fix::fix_source(s, &policy, &choice, &limits).applied.len();
    let mut cases: Vec<Case> = vec![
        ("(a) bare parse (granit events), 1 thread", Box::new(|| sources.iter().map(|s| bare_parse(&s.text)).sum())),
        ("(b) bare parse, rayon", Box::new(|| sources.par_iter().map(|s| bare_parse(&s.text)).sum())),
        ("(c) check restricted:latest, 1 thread", Box::new(|| sources.iter().map(check).sum())),
        ("(d) check, rayon (as `podsec check`)", Box::new(|| sources.par_iter().map(check).sum())),
        ("(e) fix (safe), 1 thread", Box::new(|| sources.iter().map(fix).sum())),
        ("(f) fix (safe), rayon (as `podsec fix`)", Box::new(|| sources.par_iter().map(fix).sum())),
    ];
    let medians = measure_interleaved(runs, &mut cases);
    let (events, resources) = (medians[0].1, medians[2].1);

    let rate = |d: Duration| total as f64 / MB / d.as_secs_f64();
    println!();
    println!("| measurement (median of {runs}, interleaved)     | median     | MB/s   |");
    println!("|----------------------------------------------|------------|--------|");
    for ((label, _), (d, _)) in cases.iter().zip(&medians) {
        println!("| {label:<44} | {:>7.0} ms | {:>6.1} |", d.as_secs_f64() * 1e3, rate(*d));
    }
    let ratio = |bare: usize, check: usize| medians[bare].0.as_secs_f64() / medians[check].0.as_secs_f64();
    println!();
    println!(
        "| throughput ratio to the bare parse | 1 thread vs 1 thread | rayon vs rayon | rayon vs 1-thread parse |"
    );
    println!(
        "|------------------------------------|----------------------|----------------|-------------------------|"
    );
    println!(
        "| check                              | {:>20.2} | {:>14.2} | {:>23.2} |",
        ratio(0, 2),
        ratio(1, 3),
        ratio(0, 3)
    );
    println!(
        "| fix                                | {:>20.2} | {:>14.2} | {:>23.2} |",
        ratio(0, 4),
        ratio(1, 5),
        ratio(0, 5)
    );
    println!(
        "({events} parser events, {resources} resources per pass; goal: check and fix ≥ 0.8× bare parse, files in parallel)"
    );

    println!();
    single_stream(&sources, &policy, &limits, runs);
    println!();
    large_lists(&policy, &limits, runs);
    println!();
    peak_memory(&sources, &policy, &limits);
    println!();
    println!("load average at the end: {} (other work on the machine skews the figures)", load_average());
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|&v| v > 0).unwrap_or(default)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "unknown".to_owned(), |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

/// Every manifest file under `dir`, sorted by path, as (path relative to `dir`, text).
fn corpus_files(dir: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for entry in rd.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json")) {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.sort();
    let files: Vec<(String, String)> = paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            Some((p.strip_prefix(dir).unwrap_or(p).display().to_string(), text))
        })
        .collect();
    assert!(!files.is_empty(), "no corpus under {}", dir.display());
    files
}

/// The corpus files, repeated (as `rep<N>/<path>`) until they hold at least `target` bytes.
fn repeat(files: &[(String, String)], target: usize) -> Vec<Source> {
    let mut out = Vec::new();
    let mut total = 0;
    'outer: for rep in 0.. {
        for (name, text) in files {
            if total >= target {
                break 'outer;
            }
            total += text.len();
            out.push(Source { name: format!("rep{rep}/{name}"), path: None, text: text.clone(), ..Default::default() });
        }
    }
    out
}

/// Consume every event of `text`; the number of events (errors end the file).
fn bare_parse(text: &str) -> usize {
    let mut events = 0;
    for item in Parser::new_from_str(text) {
        match item {
            Ok(event) => {
                black_box(&event);
                events += 1;
            }
            Err(_) => break,
        }
    }
    events
}

/// A measured case: its label, and one pass over the corpus returning a count (kept alive).
type Case<'a> = (&'static str, Box<dyn FnMut() -> usize + 'a>);

/// One warm-up of every case, then `runs` rounds that run each case in turn (so that load from
/// elsewhere spreads over all of them); per case the median duration and the last result.
fn measure_interleaved(runs: usize, cases: &mut [Case]) -> Vec<(Duration, usize)> {
    let mut last: Vec<usize> = cases.iter_mut().map(|(_, f)| black_box(f())).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); cases.len()];
    for _ in 0..runs {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            let start = Instant::now();
            last[i] = black_box(f());
            times[i].push(start.elapsed());
        }
    }
    times
        .into_iter()
        .zip(last)
        .map(|(mut t, n)| {
            t.sort();
            (t[t.len() / 2], n)
        })
        .collect()
}

/// The first `target` bytes' worth of `sources` (whole files) as one multi-document stream, and
/// the files it was made of.
fn stream_of(sources: &[Source], target: usize) -> (Source, Vec<Source>) {
    let mut one = String::with_capacity(target + target / 8);
    let mut parts = Vec::new();
    for s in sources {
        if one.len() >= target {
            break;
        }
        one.push_str(&s.text);
        if !s.text.ends_with('\n') {
            one.push('\n');
        }
        one.push_str("---\n");
        parts.push(s.clone());
    }
    (Source { name: "stream.yaml".into(), path: None, text: one, ..Default::default() }, parts)
}

/// One stream of growing size against the same bytes as separate files: throughput must not fall
/// as the stream grows (linear time), and the CLI's peak RSS stays within the goals
/// (`fix` ≤ 3× the file + 30 MB, `check` ≤ 2× + 30 MB).
fn single_stream(sources: &[Source], policy: &Policy, limits: &Limits, runs: usize) {
    let choice = podsec::fix::Choice::default();
    let bin = env!("CARGO_BIN_EXE_podsec");
    let dir = tempfile::tempdir().expect("temp dir");
    println!("single stream (1 thread; the same documents as one file, and as the files they came from)");
    println!();
    println!(
        "| stream MB | bare parse MB/s | check MB/s | check / files | fix MB/s | fix / files | fix ms/MB | `fix --stdout` RSS MB (goal) | `check` RSS MB (goal) |"
    );
    println!(
        "|-----------|-----------------|------------|---------------|----------|-------------|-----------|------------------------------|-----------------------|"
    );
    let total: usize = sources.iter().map(|s| s.text.len()).sum();
    for mb in [1usize, 5, 10, 25, 50] {
        if mb * 1_000_000 > total + 1_000_000 {
            break;
        }
        let (stream, parts) = stream_of(sources, mb * 1_000_000);
        let size = stream.text.len() as f64 / MB;
        let check = |s: &Source| {
            engine::check_each(s, policy, limits, |doc, rs| podsec::fix::classify(&s.text, doc, rs, policy, &choice))
                .0
                .len()
        };
        let fix = |s: &Source| podsec::fix::fix_source(s, policy, &choice, limits).applied.len();
        let mut cases: Vec<Case> = vec![
            ("parse", Box::new(|| bare_parse(&stream.text))),
            ("check stream", Box::new(|| check(&stream))),
            ("check files", Box::new(|| parts.iter().map(check).sum())),
            ("fix stream", Box::new(|| fix(&stream))),
            ("fix files", Box::new(|| parts.iter().map(fix).sum())),
        ];
        let m = measure_interleaved(runs, &mut cases);
        let rate = |i: usize| size / m[i].0.as_secs_f64();
        let path = dir.path().join(format!("stream{mb}.yaml"));
        std::fs::write(&path, &stream.text).expect("write stream");
        let arg = path.display().to_string();
        let (_, fix_rss) = run_measured(bin, &["fix", "--stdout", &arg]);
        let (_, check_rss) = run_measured(bin, &["check", "--format", "json", &arg]);
        let (fix_rss, check_rss) = (fix_rss as f64 / MB, check_rss as f64 / MB);
        let (fix_goal, check_goal) = (3.0 * size + 30.0, 2.0 * size + 30.0);
        let verdict = |v: f64, goal: f64| if v <= goal { "met" } else { "MISSED" };
        println!(
            "| {size:>9.1} | {:>15.1} | {:>10.1} | {:>13.2} | {:>8.1} | {:>11.2} | {:>9.1} | {fix_rss:>6.1} ({fix_goal:>5.1} {:<6}) | {check_rss:>5.1} ({check_goal:>5.1} {:<6}) |",
            rate(0),
            rate(1),
            m[2].0.as_secs_f64() / m[1].0.as_secs_f64(),
            rate(3),
            m[4].0.as_secs_f64() / m[3].0.as_secs_f64(),
            m[3].0.as_secs_f64() * 1e3 / size,
            verdict(fix_rss, fix_goal),
            verdict(check_rss, check_goal),
        );
    }
    println!(
        "(\"/ files\": time of the same bytes as files divided by the stream's: ≥ 0.5 is the goal, 1.0 = no cost for one stream)"
    );
}

/// A `List` of N Pods, with `containers` in flow and in block style, against the same Pods as N
/// documents: `fix` must stay linear in N (goal: within 2× of the documents).
fn large_lists(policy: &Policy, limits: &Limits, runs: usize) {
    let choice = podsec::fix::Choice::default();
    let pod = |i: usize, flow: bool, indent: &str| {
        let containers = if flow {
            format!("{indent}  containers: [{{name: app, image: \"nginx:1.{i}\", ports: [{{containerPort: 80}}]}}]\n")
        } else {
            format!(
                "{indent}  containers:\n{indent}  - name: app\n{indent}    image: \"nginx:1.{i}\"\n{indent}    ports:\n{indent}    - containerPort: 80\n"
            )
        };
        format!(
            "apiVersion: v1\n{indent}kind: Pod\n{indent}metadata:\n{indent}  name: p{i}\n{indent}spec:\n{containers}"
        )
    };
    println!("`fix` of a List of N Pods against the same Pods as N documents (1 thread)");
    println!();
    println!("| N     | style | List ms | documents ms | List / documents |");
    println!("|-------|-------|---------|--------------|------------------|");
    for n in [1000usize, 2000, 4000] {
        for flow in [true, false] {
            let list = (0..n).fold(String::from("apiVersion: v1\nkind: List\nitems:\n"), |mut acc, i| {
                acc.push_str("- ");
                acc.push_str(&pod(i, flow, "  "));
                acc
            });
            let docs = (0..n).map(|i| pod(i, flow, "")).collect::<Vec<_>>().join("---\n");
            let list = Source { name: "list.yaml".into(), path: None, text: list, ..Default::default() };
            let docs = Source { name: "docs.yaml".into(), path: None, text: docs, ..Default::default() };
            let fix = |s: &Source| podsec::fix::fix_source(s, policy, &choice, limits).applied.len();
            let mut cases: Vec<Case> = vec![("list", Box::new(|| fix(&list))), ("docs", Box::new(|| fix(&docs)))];
            let m = measure_interleaved(runs, &mut cases);
            assert_eq!(m[0].1, m[1].1, "the List and the documents get the same fixes");
            println!(
                "| {n:<5} | {:<5} | {:>7.0} | {:>12.0} | {:>16.2} |",
                if flow { "flow" } else { "block" },
                m[0].0.as_secs_f64() * 1e3,
                m[1].0.as_secs_f64() * 1e3,
                m[0].0.as_secs_f64() / m[1].0.as_secs_f64()
            );
        }
    }
}

/// Peak RSS of the release binary on the corpus written out as files, and on one large file.
fn peak_memory(sources: &[Source], policy: &Policy, limits: &Limits) {
    let bin = env!("CARGO_BIN_EXE_podsec");
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("corpus");
    for s in sources {
        let path = tree.join(&s.name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &s.text).expect("write corpus file");
    }
    let total: usize = sources.iter().map(|s| s.text.len()).sum();
    let largest = sources.iter().map(|s| s.text.len()).max().unwrap_or(0);

    // One file: the same documents as one stream (each file's documents, separated by `---`).
    let mut one = String::with_capacity(total + 4 * sources.len());
    for s in sources {
        one.push_str(&s.text);
        if !s.text.ends_with('\n') {
            one.push('\n');
        }
        one.push_str("---\n");
    }
    let single = dir.path().join("all.yaml");
    std::fs::write(&single, &one).expect("write single file");
    // Sanity: the single stream holds as many resources as the files did.
    let in_files: usize = sources.par_iter().map(|s| engine::check_source(s, policy, limits).resources.len()).sum();
    let as_one = Source { name: "all.yaml".into(), path: None, text: one, ..Default::default() };
    // Where a single stream's memory goes: the span tree of every document is held until the file
    // is done (`check_source` parses the whole stream, then evaluates it).
    let (checked, _, check_peak) = heap(|| engine::check_source(&as_one, policy, limits));
    let in_one = checked.resources.len();
    drop(checked);
    let (stream, tree_bytes, _) = heap(|| podsec::yaml::parse_stream(&as_one.text, limits));
    let text = as_one.text.len() as f64;
    println!("single-file variant: {in_one} resources (the files held {in_files})");
    println!(
        "heap: the span tree of its {} documents takes {:.0} MB ({:.1} bytes per input byte); check_source peaks at {:.0} MB above the text",
        stream.docs.len(),
        tree_bytes as f64 / MB,
        tree_bytes as f64 / text,
        check_peak as f64 / MB
    );
    drop(stream);
    drop(as_one);

    let tree_arg = tree.display().to_string();
    let single_arg = single.display().to_string();
    println!();
    println!(
        "| `podsec check` (release binary)      | input MB | largest file MB | wall s | MB/s   | max RSS MB | goal ≤ 3×largest+30 MB |"
    );
    println!(
        "|--------------------------------------|----------|-----------------|--------|--------|------------|------------------------|"
    );
    for (label, args, input, biggest) in [
        ("--format json DIR (files)", vec!["check", "--format", "json", tree_arg.as_str()], total, largest),
        (
            "--format json FILE (one stream)",
            vec!["check", "--format", "json", single_arg.as_str()],
            total + 4 * sources.len(),
            total,
        ),
        (
            "--format text FILE (one stream)",
            vec!["check", "--format", "text", single_arg.as_str()],
            total + 4 * sources.len(),
            total,
        ),
    ] {
        let (wall, rss) = run_measured(bin, &args);
        let goal = 3.0 * biggest as f64 / MB + 30.0;
        let rss_mb = rss as f64 / MB;
        println!(
            "| {label:<36} | {:>8.1} | {:>15.2} | {:>6.2} | {:>6.1} | {:>10.1} | {:>6.1} {:<15} |",
            input as f64 / MB,
            biggest as f64 / MB,
            wall.as_secs_f64(),
            input as f64 / MB / wall.as_secs_f64(),
            rss_mb,
            goal,
            if rss_mb <= goal { "met" } else { "MISSED" }
        );
    }
}

/// Run `bin args` with stdout and stderr discarded; its wall time and peak RSS in bytes. Uses
/// `/usr/bin/time -v` when present, else samples the child's `VmHWM` in /proc until it exits.
fn run_measured(bin: &str, args: &[&str]) -> (Duration, u64) {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    if time.exists() {
        let out = Command::new(time)
            .arg("-v")
            .arg(bin)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run podsec");
        let wall = start.elapsed();
        let report = String::from_utf8_lossy(&out.stderr);
        let kb = report
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .expect("/usr/bin/time -v reports the maximum resident set size");
        return (wall, kb * 1024);
    }
    let mut child =
        Command::new(bin).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("run podsec");
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    loop {
        if let Some(kb) = std::fs::read_to_string(&status).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak_kb = peak_kb.max(kb);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (start.elapsed(), peak_kb * 1024)
}
