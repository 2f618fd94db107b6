//! The YAML layer on arbitrary text: parse and resolve every document (aliases, merge keys, limits),
//! convert each tree to JSON (a walk of the whole tree), and scan the literal spans. No panic, no
//! stack overflow, spans within the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podsec::yaml::{self, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let stream = yaml::parse_stream(text, &Limits::default());
    for doc in &stream.docs {
        match &doc.root {
            Ok(root) => {
                assert!(doc.end <= text.len() && root.span.end <= text.len(), "a span beyond the text");
                let _ = root.to_json();
            }
            Err(e) => assert!(e.offset <= text.len(), "an error beyond the text"),
        }
    }
    let (spans, _) = yaml::literal_spans(text);
    assert!(spans.iter().all(|&(s, e)| s <= e && e <= text.len()));
});
