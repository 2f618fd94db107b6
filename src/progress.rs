//! A progress line on stderr for runs over many files: `podsec: checked 1,536 of 40,211 files`.
//!
//! Shown only when stderr is a terminal, `CI` is not set and `TERM` is not `dumb`, once the run has
//! taken more than a moment (a second; `PODSEC_PROGRESS_AFTER_MS` sets it, for tests), and redrawn
//! at most ten times a second. The line is cleared before anything else is written to the terminal,
//! so reports and errors never mix with it; pipes and CI logs never see it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    enabled: bool,
    verb: &'static str,
    total: usize,
    done: usize,
    start: Instant,
    after: Duration,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// Progress over `total` files, "checked" or "fixed" (`verb`); off for a single input.
    pub fn new(verb: &'static str, total: usize) -> Progress {
        let enabled = total > 1
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none_or(|v| v.is_empty() || v == "false")
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        let after = std::env::var("PODSEC_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis);
        Progress { enabled, verb, total, done: 0, start: Instant::now(), after, last: None, drawn: false }
    }

    /// `n` more files are done: redraw the line when it is due.
    pub fn advance(&mut self, n: usize) {
        self.done += n;
        if !self.enabled || self.done >= self.total || self.start.elapsed() < self.after {
            return;
        }
        if self.last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        self.last = Some(Instant::now());
        self.drawn = true;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[Kpodsec: {} {} of {} files", self.verb, group(self.done), group(self.total));
        let _ = err.flush();
    }

    /// Take the line away before other output (it comes back with the next `advance`).
    pub fn clear(&mut self) {
        if self.drawn {
            self.drawn = false;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// 40211 → "40,211".
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::group(7), "7");
        assert_eq!(super::group(1536), "1,536");
        assert_eq!(super::group(40211), "40,211");
        assert_eq!(super::group(1_000_000), "1,000,000");
    }
}
