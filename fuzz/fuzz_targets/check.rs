//! `check` on arbitrary bytes: decoded as podsec decodes a file (UTF-8 here), checked at restricted
//! and baseline, and the verdicts rendered as JSON. No panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::checks::{Level, PolicyVersion};
use podsec::engine::{self, Policy};
use podsec::input::Source;
use podsec::yaml::Limits;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let src = Source { name: "fuzz.yaml".into(), text: text.into(), ..Default::default() };
    for level in [Level::Restricted, Level::Baseline] {
        let checked = engine::check_source(&src, &Policy::new(level, PolicyVersion::LATEST), &Limits::default());
        let _ = format!("{:?}", checked.resources);
    }
});
