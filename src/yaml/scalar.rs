//! Scalar resolution as `sigs.k8s.io/yaml` does it (go-yaml v2 underneath: YAML 1.1 rules), and the
//! inverse question a writer must ask: would this string, written plain, be read back as a string?

use super::node::{Number, Style, Value};

/// Why a scalar cannot become JSON (the API server rejects the whole document).
#[derive(Debug, Clone, PartialEq)]
pub struct Unrepresentable(pub &'static str);

/// Resolve a scalar's text by its style and explicit core tag (`!!str`, `!!int` ...), if any.
pub fn resolve(text: &str, style: Style, tag: Option<&str>) -> Result<Value, Unrepresentable> {
    match tag {
        Some("str") => return Ok(Value::String(text.to_owned(), style)),
        Some(t @ ("bool" | "int" | "float" | "null")) => {
            // go-yaml v2 resolves the text, then refuses a value that is not of the tag's type.
            let v = resolve_plain(text, style)?;
            let fits = matches!(
                (t, &v),
                ("bool", Value::Bool(_))
                    | ("null", Value::Null)
                    | ("int", Value::Number(Number::Int(_) | Number::UInt(_)))
                    | ("float", Value::Number(_))
            );
            return if fits { Ok(v) } else { Err(Unrepresentable("cannot decode a tagged scalar as its tag's type")) };
        }
        _ => {}
    }
    if style != Style::Plain {
        return Ok(Value::String(text.to_owned(), style));
    }
    resolve_plain(text, style)
}

fn resolve_plain(text: &str, style: Style) -> Result<Value, Unrepresentable> {
    let first = match text.as_bytes().first() {
        None => return Ok(Value::Null),
        Some(b) => *b,
    };
    match first {
        b'~' | b'n' | b'N' | b'y' | b'Y' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'.' | b'-' | b'+' => {
            if let Some(v) = resolve_word(text)? {
                return Ok(v);
            }
        }
        _ => {}
    }
    if matches!(first, b'+' | b'-' | b'.' | b'0'..=b'9')
        && let Some(v) = resolve_number(text)?
    {
        return Ok(Value::Number(v));
    }
    Ok(Value::String(text.to_owned(), style))
}

fn resolve_word(text: &str) -> Result<Option<Value>, Unrepresentable> {
    Ok(Some(match text {
        "~" | "null" | "Null" | "NULL" => Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => Value::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Err(Unrepresentable("json: unsupported value: +Inf"));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Err(Unrepresentable("json: unsupported value: -Inf")),
        ".nan" | ".NaN" | ".NAN" => return Err(Unrepresentable("json: unsupported value: NaN")),
        _ => return Ok(None),
    }))
}

/// go-yaml v2: drop `_`, try Go's `ParseInt(s, 0, 64)` (sign, 0x/0o/0b prefixes, leading-0 octal),
/// then `ParseUint`, then a float if the text has YAML's float shape.
fn resolve_number(text: &str) -> Result<Option<Number>, Unrepresentable> {
    let plain: std::borrow::Cow<str> = if text.contains('_') { text.replace('_', "").into() } else { text.into() };
    if let Some(n) = parse_go_int(&plain) {
        return Ok(Some(n));
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        if f.is_finite() {
            return Ok(Some(Number::Float(f)));
        }
        return Err(Unrepresentable(if f > 0.0 {
            "json: unsupported value: +Inf"
        } else {
            "json: unsupported value: -Inf"
        }));
    }
    Ok(None)
}

fn parse_go_int(s: &str) -> Option<Number> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some(Number::Int((magnitude as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else if magnitude <= i64::MAX as u64 {
        Some(Number::Int(magnitude as i64))
    } else {
        Some(Number::UInt(magnitude))
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// True when `s` written as a plain scalar would be read back as exactly the string `s`.
/// Conservative: anything YAML-special or that resolves to another type needs quotes.
pub fn plain_is_safe(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    match resolve_plain(s, Style::Plain) {
        Ok(Value::String(..)) => {}
        _ => return false,
    }
    let first = s.as_bytes()[0];
    if b"-?:,[]{}#&*!|>'\"%@`<=".contains(&first) {
        return false;
    }
    !(s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.chars().any(|c| c.is_control() || matches!(c, '{' | '}' | '[' | ']' | ',')))
}

/// Write `s` as a YAML scalar: plain when that reads back as the same string, else double-quoted.
pub fn write_str(s: &str) -> String {
    if plain_is_safe(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling of `../shared/spec/k8s-yaml-scalars.jsonl` gives the API server's result.
    #[test]
    fn matches_sigs_k8s_yaml_table() {
        let table = std::fs::read_to_string("../shared/spec/k8s-yaml-scalars.jsonl")
            .expect("../shared/spec/k8s-yaml-scalars.jsonl beside the repository");
        let mut n = 0;
        for line in table.lines().filter(|l| !l.trim().is_empty()) {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let yaml = row["yaml"].as_str().unwrap();
            let doc = format!("v: {yaml}\n");
            let parsed = crate::yaml::parse_stream(&doc, &crate::yaml::Limits::default());
            let got = match &parsed.docs[0].root {
                Ok(node) => Ok(node.get("v").unwrap().to_json()),
                Err(e) => Err(e.message.clone()),
            };
            match row.get("json") {
                Some(want) => assert_eq!(got.as_ref().ok(), Some(want), "{yaml}: {got:?}"),
                None => assert!(got.is_err(), "{yaml} should be rejected, got {got:?}"),
            }
            n += 1;
        }
        assert_eq!(n, 71);
    }

    #[test]
    fn tagged_scalars_must_fit_their_tag() {
        for bad in ["!!int \"abc\"", "!!int 1.5", "!!bool \"maybe\"", "!!float x", "!!null 0"] {
            assert!(resolve_str(bad).is_err(), "{bad}");
        }
        assert_eq!(resolve_str("!!int \"0644\"").unwrap(), serde_json::json!(420));
        assert_eq!(resolve_str("!!float 1").unwrap(), serde_json::json!(1));
    }

    fn resolve_str(yaml: &str) -> Result<serde_json::Value, String> {
        let doc = format!("v: {yaml}\n");
        let parsed = crate::yaml::parse_stream(&doc, &crate::yaml::Limits::default());
        match &parsed.docs[0].root {
            Ok(node) => Ok(node.get("v").unwrap().to_json()),
            Err(e) => Err(e.message.clone()),
        }
    }

    #[test]
    fn writes_quoted_when_plain_would_change_meaning() {
        for s in ["yes", "y", "N", "off", "0644", "1_000", "1e3", "~", "null", "", " a", "a: b", "#x", "-"] {
            assert!(write_str(s).starts_with('"'), "{s}");
        }
        for s in ["RuntimeDefault", "ALL", "runtime/default", "NET_BIND_SERVICE", "Default"] {
            assert_eq!(write_str(s), s);
        }
    }
}
