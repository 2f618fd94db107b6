//! `fix` (unsafe fixes included) on every input that is UTF-8, with the invariants of
//! `podsec::fix::invariants` (self-check, byte for byte when nothing applies, documents still
//! read, JSON(original) + patches == JSON(output), idempotence). Time per input is bounded by
//! libFuzzer's `-timeout`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::checks::{Level, PolicyVersion};
use podsec::engine::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let policy = Policy::new(Level::Restricted, PolicyVersion::LATEST);
    if let Err(e) = podsec::fix::invariants::fix_holds(text, &policy) {
        panic!("{e}");
    }
});
