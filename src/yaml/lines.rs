//! Line breaks as YAML (and libyaml, so the API server) reads them: `\n`, `\r\n`, a lone `\r`, and
//! the Unicode breaks NEL (U+0085), LS (U+2028) and PS (U+2029). Every line number podsec reports
//! and every line the editor writes next to is found with these functions, so that a file with
//! old Mac line endings (`\r` only) is as many lines to podsec as it is to the parser.

/// The length of the line break starting at byte `i`, if one starts there (2 for `\r\n`).
pub fn break_len(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i)? {
        b'\n' => Some(1),
        b'\r' => Some(if bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 }),
        0xC2 if bytes.get(i + 1) == Some(&0x85) => Some(2),
        0xE2 if bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) => Some(3),
        _ => None,
    }
}

/// Whether a break's first byte can be at `b` (a quick filter before [`break_len`]).
fn may_break(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | 0xC2 | 0xE2)
}

/// The start of every line after the first, in order (the offsets right after each line break).
pub fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if may_break(bytes[i])
                && let Some(n) = break_len(bytes, i)
            {
                i += n;
                return Some(i);
            }
            i += 1;
        }
        None
    })
}

/// The start of the line holding `pos` (a `pos` inside a `\r\n` counts as on the line it ends).
pub fn line_start(text: &str, pos: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = pos.min(bytes.len());
    while i > 0 {
        let b = bytes[i - 1];
        if b == b'\n' || b == b'\r' {
            // `\r` right before a `\n` at `i` is the first half of the break that ends at `i + 1`,
            // only if `i` is inside the pair; here `i - 1` is the break's last byte.
            if b == b'\r' && bytes.get(i) == Some(&b'\n') && i == pos {
                i -= 1;
                continue;
            }
            return i;
        }
        if (b == 0x85 && i >= 2 && bytes[i - 2] == 0xC2)
            || (matches!(b, 0xA8 | 0xA9) && i >= 3 && bytes[i - 2] == 0x80 && bytes[i - 3] == 0xE2)
        {
            return i;
        }
        i -= 1;
    }
    0
}

/// The end of the line holding `pos`, before its line break.
pub fn line_end(text: &str, pos: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = pos.min(bytes.len());
    while i < bytes.len() {
        if may_break(bytes[i]) && break_len(bytes, i).is_some() {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// Past the line break that ends the line holding `pos` (the text's end on its last line).
pub fn next_line(text: &str, pos: usize) -> usize {
    let end = line_end(text, pos);
    end + break_len(text.as_bytes(), end).unwrap_or(0)
}

/// The 1-based line number of byte `pos`.
pub fn line_number(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    1 + line_starts(&text[..pos]).count()
}

/// The line break a text uses (its first one), to write new lines in: `\n` when it has none.
pub fn eol_of(text: &str) -> &'static str {
    let bytes = text.as_bytes();
    let at = line_end(text, 0);
    match (bytes.get(at), break_len(bytes, at)) {
        (Some(b'\r'), Some(2)) => "\r\n",
        (Some(b'\r'), _) => "\r",
        _ => "\n",
    }
}

/// Whether the text ends with a line break.
pub fn ends_with_break(text: &str) -> bool {
    let bytes = text.as_bytes();
    (1..=3).any(|n| n <= bytes.len() && break_len(bytes, bytes.len() - n) == Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_break_kind() {
        let t = "a\nb\r\nc\rd\u{85}e\u{2028}f\u{2029}g";
        let starts: Vec<usize> = line_starts(t).collect();
        let lines: Vec<&str> =
            std::iter::once(0).chain(starts.iter().copied()).map(|s| &t[s..line_end(t, s)]).collect();
        assert_eq!(lines, ["a", "b", "c", "d", "e", "f", "g"]);
        for (n, &s) in std::iter::once(&0).chain(&starts).enumerate() {
            assert_eq!(line_start(t, s + 1), s, "line {n}");
            assert_eq!(line_number(t, s), n + 1);
            assert_eq!(next_line(t, s), starts.get(n).copied().unwrap_or(t.len()));
        }
        // A position between `\r` and `\n` belongs to the line the pair ends.
        assert_eq!(line_start(t, 4), 2);
        assert_eq!(eol_of("a\r\nb\n"), "\r\n");
        assert_eq!(eol_of("a\rb\n"), "\r");
        assert_eq!(eol_of("a"), "\n");
        assert!(ends_with_break("a\u{2029}") && ends_with_break("a\r") && !ends_with_break("a"));
    }
}
