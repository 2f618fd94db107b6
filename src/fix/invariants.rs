//! The properties every `fix` must have, on any input: checked by the `fix` fuzz target
//! (`fuzz/`), by the regression test over `testdata/fuzz-findings/`, and by the style matrix.
//!
//! - no self-check failure (a `bugs` entry is a podsec bug);
//! - nothing to fix: the text comes back byte for byte;
//! - the output has the same documents, and every document that read still reads;
//! - JSON(original) with the emitted JSON patches applied == JSON(output), document by document;
//! - a second fix changes nothing.

use serde_json::Value as J;

use super::{Choice, FileFix, fix_source};
use crate::engine::Policy;
use crate::input::Source;
use crate::yaml::{self, Limits, Node};

/// Fix `text` (unsafe fixes included) and check the invariants; the fix's result when they hold.
pub fn fix_holds(text: &str, policy: &Policy) -> Result<FileFix, String> {
    let src = Source { name: "input.yaml".into(), text: text.into(), ..Default::default() };
    let choice = Choice { unsafe_fixes: true, details: true, patches: true, ..Choice::default() };
    let limits = Limits::default();
    let result = fix_source(&src, policy, &choice, &limits);
    if !result.bugs.is_empty() {
        return Err(format!("the fix failed its self-check: {:?}", result.bugs));
    }
    if result.applied.is_empty() {
        if result.text != text {
            return Err("nothing applied, yet the text changed".into());
        }
        return Ok(result);
    }
    let before = yaml::parse_stream(text, &limits);
    let after = yaml::parse_stream(&result.text, &limits);
    if before.docs.len() != after.docs.len() {
        return Err(format!("{} documents became {}", before.docs.len(), after.docs.len()));
    }
    for (i, (b, a)) in before.docs.iter().zip(&after.docs).enumerate() {
        if let (Ok(_), Err(e)) = (&b.root, &a.root) {
            return Err(format!("document {i} no longer reads: {}", e.message));
        }
    }
    let json = |d: &yaml::Doc| d.root.as_ref().map_or(J::Null, Node::to_json);
    let mut docs: Vec<J> = before.docs.iter().map(json).collect();
    for p in &result.patches {
        let patch: json_patch::Patch =
            serde_json::from_str(&p.patch).map_err(|e| format!("document {}: the patch is not JSON: {e}", p.doc))?;
        let doc =
            docs.get_mut(p.doc).ok_or_else(|| format!("a patch for document {} of {}", p.doc, before.docs.len()))?;
        json_patch::patch(doc, &patch).map_err(|e| format!("document {}: the patch does not apply: {e}", p.doc))?;
    }
    for (i, d) in after.docs.iter().enumerate() {
        if json(d) != docs[i] {
            return Err(format!("document {i}: JSON(original) + patch != JSON(output)"));
        }
    }
    let again = fix_source(&Source { text: result.text.clone(), ..src }, policy, &choice, &limits);
    if again.text != result.text {
        return Err("a second fix changes the text again".into());
    }
    Ok(result)
}
