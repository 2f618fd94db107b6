//! What the test binaries share: where the shared data beside the checkout is.

use std::path::{Path, PathBuf};

/// `../shared/<what>`, or `None` when the shared data (conformance fixtures, corpora, specs) is not
/// beside the checkout, as in a plain `git clone`: the caller skips its suite, and this says so.
/// With `PODSEC_REQUIRE_SHARED` set (`.ci/run` sets it) its absence is a failure instead.
pub fn shared(what: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("shared").join(what);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("PODSEC_REQUIRE_SHARED").is_none(),
        "{} is missing and PODSEC_REQUIRE_SHARED is set",
        path.display()
    );
    // Written to the process's stderr, not through `eprintln!`, so that the test harness does not
    // capture it: a skipped suite says so in every run.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {} not found (this test reads the shared data beside the checkout in place)",
        path.display()
    );
    None
}
