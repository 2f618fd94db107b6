//! `fix` (unsafe fixes included) on every input that is UTF-8, with its invariants:
//! - no panic, and no self-check failure (a `bugs` entry is a podsec bug);
//! - nothing to fix: the text comes back byte for byte;
//! - the output has the same documents, and every document that read still reads;
//! - JSON(original) with the emitted JSON patches applied == JSON(output), document by document;
//! - a second fix changes nothing.
//! Time per input is bounded by libFuzzer's `-timeout`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::checks::{Level, PolicyVersion};
use podsec::engine::Policy;
use podsec::fix::{Choice, fix_source};
use podsec::input::Source;
use podsec::yaml::{self, Limits, Node};
use serde_json::Value as J;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let src = Source { name: "fuzz.yaml".into(), text: text.into(), ..Default::default() };
    let policy = Policy::new(Level::Restricted, PolicyVersion::LATEST);
    let choice = Choice { unsafe_fixes: true, details: true, patches: true, ..Choice::default() };
    let limits = Limits::default();
    let result = fix_source(&src, &policy, &choice, &limits);
    assert!(result.bugs.is_empty(), "the fix failed its self-check: {:?}", result.bugs);
    if result.applied.is_empty() {
        assert_eq!(result.text, text, "nothing applied, yet the text changed");
        return;
    }
    let before = yaml::parse_stream(text, &limits);
    let after = yaml::parse_stream(&result.text, &limits);
    assert_eq!(before.docs.len(), after.docs.len(), "the fixed text has other documents");
    for (b, a) in before.docs.iter().zip(&after.docs) {
        assert!(b.root.is_err() || a.root.is_ok(), "a document no longer reads: {:?}", a.root.as_ref().err());
    }
    let json = |d: &yaml::Doc| d.root.as_ref().map_or(J::Null, Node::to_json);
    let mut docs: Vec<J> = before.docs.iter().map(json).collect();
    for p in &result.patches {
        let patch: json_patch::Patch = serde_json::from_str(&p.patch).expect("the patch is JSON");
        json_patch::patch(&mut docs[p.doc], &patch).expect("the patch applies");
    }
    for (i, d) in after.docs.iter().enumerate() {
        assert_eq!(json(d), docs[i], "document {i}: JSON(original) + patch != JSON(output)");
    }
    let again = fix_source(&Source { text: result.text.clone(), ..src.clone() }, &policy, &choice, &limits);
    assert_eq!(again.text, result.text, "a second fix changes the text again");
});
