//! Kubernetes objects in a document: which kinds carry a pod template and where (PSA's
//! `DefaultPodSpecExtractor`), `List` expansion, and the API server's decoding of a workload into
//! its Go types (every field of them, from the tables `tools/gen-api-types.py` generates in
//! `k8s/apitypes.rs`), with encoding/json's errors.

use crate::yaml::{Entry, Kind, Node, Number, Span, Value};

/// A path from a document's root: mapping keys and sequence indices.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type Route = Vec<Seg>;

pub fn route(keys: &[&str]) -> Route {
    keys.iter().map(|k| Seg::Key((*k).to_owned())).collect()
}

/// JSON Pointer (RFC 6901) of a route.
pub fn pointer(route: &[Seg]) -> String {
    let mut out = String::new();
    for seg in route {
        out.push('/');
        match seg {
            Seg::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// A route as kubectl and the KRM spec write a field path (`spec.containers[0].securityContext`).
pub fn dotted(route: &[Seg]) -> String {
    let mut out = String::new();
    for seg in route {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Follow a route through a node.
pub fn at<'a>(node: &'a Node, route: &[Seg]) -> Option<&'a Node> {
    let mut n = node;
    for seg in route {
        n = match seg {
            Seg::Key(k) => n.get(k)?,
            Seg::Index(i) => n.as_seq()?.get(*i)?,
        };
    }
    Some(n)
}

/// Where a kind keeps its pod template, relative to the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRoute {
    pub kind: String,
    /// API group the kind must belong to (`""` for core); `None` accepts any group (user-configured kinds).
    pub group: Option<String>,
    /// Route to the pod template object (holding `metadata` and `spec`); empty for a Pod itself.
    pub template: Vec<String>,
}

/// A built-in workload kind: the apiVersion the API server serves it at, and its template route.
fn builtin(kind: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match kind {
        "Pod" => ("v1", &[]),
        "PodTemplate" => ("v1", &["template"]),
        "ReplicationController" => ("v1", &["spec", "template"]),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => ("apps/v1", &["spec", "template"]),
        "Job" => ("batch/v1", &["spec", "template"]),
        "CronJob" => ("batch/v1", &["spec", "jobTemplate", "spec", "template"]),
        _ => return None,
    })
}

/// Whether `kind` is a built-in workload kind at the version the API server serves (a core kind
/// without `apiVersion` counts, as it always has here).
fn is_served(api_version: &str, kind: &str) -> bool {
    builtin(kind).is_some_and(|(served, _)| api_version == served || (api_version.is_empty() && served == "v1"))
}

/// Whether `kind` is one of the nine kinds Pod Security Admission evaluates.
pub fn is_workload_kind(kind: &str) -> bool {
    builtin(kind).is_some()
}

/// The route of `kind`'s pod template, if it is a workload. Built-in kinds must carry the version
/// the API server serves (`apps/v1` Deployment); see [`unserved`] for the others.
pub fn template_route(api_version: &str, kind: &str, extra: &[TemplateRoute]) -> Option<Route> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if let Some(x) = extra.iter().find(|x| x.kind == kind && x.group.as_deref().is_none_or(|g| g == group)) {
        return Some(x.template.iter().map(|k| Seg::Key(k.clone())).collect());
    }
    let (_, route) = builtin(kind).filter(|_| is_served(api_version, kind))?;
    Some(route.iter().map(|k| Seg::Key((*k).to_owned())).collect())
}

/// The API server's answer to a workload kind at a version it does not serve: a group that holds
/// the kind (or once did: `extensions/v1beta1`, `apps/v1beta2`, `batch/v1beta1`, ...) at another
/// version, or the wrong one of the built-in groups (`apps/v1` Pod). The cluster refuses such an
/// object before Pod Security sees it. `None` for the served version and for other groups (a
/// custom resource that happens to share the name).
pub fn unserved(api_version: &str, kind: &str) -> Option<String> {
    let (served, _) = builtin(kind)?;
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if is_served(api_version, kind) || api_version.is_empty() || !matches!(group, "" | "apps" | "batch" | "extensions")
    {
        return None;
    }
    Some(format!(
        "no kind {kind:?} is registered for version {api_version:?} (the API server does not serve it; {kind} is served as {served})"
    ))
}

/// `kind: List` and `*List` wrappers: their `items` are the resources.
pub fn is_list(kind: &str, object: &Node) -> bool {
    kind.ends_with("List") && matches!(object.get("items").map(|n| &n.value), Some(Value::Seq(_)))
}

/// A type error the API server's JSON decoder would raise, at the offending node.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub message: String,
    pub span: Span,
}

// The API server decodes a workload's JSON (sigs.k8s.io/yaml's conversion of the YAML) into its Go
// struct with apimachinery's non-strict serializer over sigs.k8s.io/json: Go's encoding/json with
// case-sensitive field names. Unknown fields are skipped; `null` leaves the zero value; a value of
// the wrong JSON type is an `UnmarshalTypeError`, saved while decoding goes on, and the first one
// (in the JSON's order: sigs.k8s.io/yaml writes the keys of a mapping sorted) fails the object. A
// type with its own UnmarshalJSON (Quantity, IntOrString, Time) returns its error at once instead:
// that one wins even over an earlier saved error, as the decoder stops there.

#[rustfmt::skip]
mod apitypes;

/// How the decoder reads a JSON value into a Go type.
#[derive(Debug)]
enum Ty {
    Bool,
    Int32,
    Int64,
    /// A string, with its Go type as encoding/json prints it (`string`, `v1.Protocol`).
    Str(&'static str),
    /// `resource.Quantity`: a string or a number that `ParseQuantity` accepts.
    Quantity,
    /// `intstr.IntOrString`: a string or an int32.
    IntOrString,
    /// `metav1.Time`: an RFC 3339 string.
    Time,
    /// Anything (`FieldsV1`, `RawExtension` keep the raw JSON).
    Any,
    /// A slice: its Go type (`[]v1.Container`) and its item type.
    List(&'static str, &'static Ty),
    /// A map with string keys: its Go type (`map[string]string`, `v1.ResourceList`) and value type.
    Map(&'static str, &'static Ty),
    Struct(&'static Struct),
}

/// A Go struct: its name (the `Struct` of Go's message), its Go type, and its fields by JSON name,
/// sorted (fields of inlined structs included, as Go sees them).
#[derive(Debug)]
struct Struct {
    name: &'static str,
    go: &'static str,
    fields: &'static [(&'static str, Ty)],
}

impl Struct {
    fn field(&self, key: &str) -> Option<&Ty> {
        self.fields.binary_search_by(|(k, _)| (*k).cmp(key)).ok().map(|i| &self.fields[i].1)
    }
}

/// Decode `object` as the API server does before Pod Security sees it. A built-in workload kind of
/// its own API group is decoded whole into its Go type (metadata, spec and status: every field the
/// API types define); another kind (a workload kind from configuration) has its `metadata` checked
/// as ObjectMeta. Returns whether the whole object was decoded.
pub fn check_object(api_version: &str, kind: &str, object: &Node) -> Result<bool, DecodeError> {
    if let Some(root) = apitypes::root(kind).filter(|_| is_served(api_version, kind)) {
        decode(object, &Ty::Struct(root), root.name, None)?;
        return Ok(true);
    }
    if let Some(m) = object.field("metadata") {
        check_types(Some((m, "metadata")), None)?;
    }
    Ok(false)
}

/// Type-check a pod template's metadata (as ObjectMeta) and spec (as PodSpec) as the API server's
/// decoder would; each comes with its JSON path (e.g. `spec.template.spec`), used in the message
/// like Go's. For the workload kinds of configuration, whose objects are not decoded whole.
pub fn check_types(meta: Option<(&Node, &str)>, spec: Option<(&Node, &str)>) -> Result<(), DecodeError> {
    for (node, path, s) in
        [meta.map(|(n, p)| (n, p, &apitypes::OBJECT_META)), spec.map(|(n, p)| (n, p, &apitypes::POD_SPEC))]
            .into_iter()
            .flatten()
    {
        decode(node, &Ty::Struct(s), s.name, Some(&Path { key: path, up: None }))?;
    }
    Ok(())
}

/// Type-check the identity fields every object has.
pub fn check_object_header(object: &Node) -> Result<(), DecodeError> {
    for key in ["apiVersion", "kind"] {
        if let Some(n) = object.field(key)
            && n.kind() != Kind::String
        {
            return Err(DecodeError {
                message: format!(
                    "json: cannot unmarshal {} into Go struct field Object.{key} of type string",
                    n.kind()
                ),
                span: n.span,
            });
        }
    }
    Ok(())
}

/// Decode `node` as `ty`; `owner` and `path` are the Go struct and the JSON path it sits at. A first
/// pass in the text's order stops at the first problem; only then a second pass, in the JSON's key
/// order, finds the error Go reports (sorting keys costs nothing on the success path).
fn decode(node: &Node, ty: &Ty, owner: &str, path: Option<&Path>) -> Result<(), DecodeError> {
    if (Decoder { sorted: false, saved: None }).value(node, ty, owner, path).is_ok() {
        return Ok(());
    }
    let mut d = Decoder { sorted: true, saved: None };
    match d.value(node, ty, owner, path) {
        Err(Stop::Returned(e)) => Err(e),
        _ => d.saved.map_or(Ok(()), Err),
    }
}

/// The JSON path of a value, from the object root, without indices (Go's `FieldStack`); built into
/// a string only for a message.
struct Path<'a> {
    key: &'a str,
    up: Option<&'a Path<'a>>,
}

fn render(path: &Path) -> String {
    let mut keys = Vec::new();
    let mut p = Some(path);
    while let Some(at) = p {
        keys.push(at.key);
        p = at.up;
    }
    keys.reverse();
    keys.join(".")
}

enum Stop {
    /// First pass: something is wrong.
    Found,
    /// Second pass: an UnmarshalJSON error, which ends decoding.
    Returned(DecodeError),
}

struct Decoder {
    /// Second pass: keys in sorted order, errors collected as Go does.
    sorted: bool,
    /// The first saved `UnmarshalTypeError`.
    saved: Option<DecodeError>,
}

impl Decoder {
    fn value(&mut self, n: &Node, ty: &Ty, owner: &str, path: Option<&Path>) -> Result<(), Stop> {
        let go = match (ty, &n.value) {
            (_, Value::Null) | (Ty::Any, _) => return Ok(()),
            (Ty::Bool, Value::Bool(_)) | (Ty::Str(_), Value::String(..)) => return Ok(()),
            (Ty::Int32 | Ty::Int64, Value::Number(x)) => {
                let (bits, go) = if matches!(ty, Ty::Int32) { (32, "int32") } else { (64, "int64") };
                return if fits(x, bits) {
                    Ok(())
                } else {
                    self.mismatch(n, &format!("number {}", literal(x)), owner, path, go)
                };
            }
            (Ty::Quantity, v) => {
                return match v {
                    // A JSON number is always a well-formed quantity.
                    Value::Number(_) => Ok(()),
                    Value::String(s, _) => quantity(s).or_else(|e| self.returned(n, || e.to_owned())),
                    _ => self.returned(n, || ERR_FORMAT_WRONG.to_owned()),
                };
            }
            (Ty::IntOrString, v) => {
                // Its UnmarshalJSON: a string, else encoding/json into an int32.
                return match v {
                    Value::String(..) => Ok(()),
                    Value::Number(x) if fits(x, 32) => Ok(()),
                    Value::Number(x) => self.returned(n, || {
                        format!("json: cannot unmarshal number {} into Go value of type int32", literal(x))
                    }),
                    _ => {
                        self.returned(n, || format!("json: cannot unmarshal {} into Go value of type int32", n.kind()))
                    }
                };
            }
            (Ty::Time, v) => {
                // Its UnmarshalJSON: encoding/json into a string, then time.Parse(time.RFC3339, ...).
                return match v {
                    Value::String(s, _) => match parse_time(s) {
                        Ok(()) => Ok(()),
                        Err(message) => self.returned(n, || message),
                    },
                    _ => {
                        self.returned(n, || format!("json: cannot unmarshal {} into Go value of type string", n.kind()))
                    }
                };
            }
            (Ty::List(_, item), Value::Seq(items)) => {
                for i in items {
                    self.value(i, item, owner, path)?;
                }
                return Ok(());
            }
            (Ty::Map(_, value), Value::Map(entries)) => {
                // Go keeps the struct and path of the map itself for its values.
                return self.each(entries, |d, e| d.value(&e.value, value, owner, path));
            }
            (Ty::Struct(s), Value::Map(entries)) => {
                return self.each(entries, |d, e| match s.field(&e.key) {
                    Some(t) => d.value(&e.value, t, s.name, Some(&Path { key: &e.key, up: path })),
                    None => Ok(()),
                });
            }
            (Ty::Bool, _) => "bool",
            (Ty::Int32, _) => "int32",
            (Ty::Int64, _) => "int64",
            (Ty::Str(go) | Ty::List(go, _) | Ty::Map(go, _), _) => go,
            (Ty::Struct(s), _) => s.go,
        };
        self.mismatch(n, &n.kind().to_string(), owner, path, go)
    }

    /// The entries of a mapping, in the JSON's order on the second pass.
    fn each(
        &mut self,
        entries: &[Entry],
        mut f: impl FnMut(&mut Self, &Entry) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        if self.sorted {
            let mut order: Vec<&Entry> = entries.iter().collect();
            order.sort_unstable_by(|a, b| a.key.cmp(&b.key));
            order.into_iter().try_for_each(|e| f(self, e))
        } else {
            entries.iter().try_for_each(|e| f(self, e))
        }
    }

    /// An `UnmarshalTypeError`: saved (the first one), decoding goes on.
    fn mismatch(&mut self, n: &Node, got: &str, owner: &str, path: Option<&Path>, go: &str) -> Result<(), Stop> {
        if !self.sorted {
            return Err(Stop::Found);
        }
        if self.saved.is_none() {
            let message = match path {
                Some(p) => {
                    format!("json: cannot unmarshal {got} into Go struct field {owner}.{} of type {go}", render(p))
                }
                None => format!("json: cannot unmarshal {got} into Go value of type {go}"),
            };
            self.saved = Some(DecodeError { message, span: n.span });
        }
        Ok(())
    }

    /// An error an UnmarshalJSON returns: decoding stops, and this is the object's error.
    fn returned(&mut self, n: &Node, message: impl FnOnce() -> String) -> Result<(), Stop> {
        Err(if self.sorted { Stop::Returned(DecodeError { message: message(), span: n.span }) } else { Stop::Found })
    }
}

/// Whether a JSON number decodes into an int32/int64: Go parses its text with `ParseInt`, so a
/// fraction, an exponent form (1e21 and up) or an out-of-range value is an error.
fn fits(x: &Number, bits: u32) -> bool {
    match *x {
        Number::Int(i) => bits == 64 || i32::try_from(i).is_ok(),
        Number::UInt(_) => false,
        // -2^31 and 2^31-1, -2^63 and 2^63 are exact in f64.
        Number::Float(f) if bits == 32 => f.fract() == 0.0 && (-2147483648.0..=2147483647.0).contains(&f),
        Number::Float(f) => f.fract() == 0.0 && (-9223372036854775808.0..9223372036854775808.0).contains(&f),
    }
}

/// A number's JSON text as sigs.k8s.io/yaml writes it (encoding/json's float format: shortest
/// digits, exponent form below 1e-6 and from 1e21 on, `e-7`/`e+21`).
fn literal(x: &Number) -> String {
    match *x {
        Number::Int(i) => i.to_string(),
        Number::UInt(u) => u.to_string(),
        Number::Float(f) => {
            let abs = f.abs();
            if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
                let s = format!("{f:e}");
                let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
                let exp: i32 = exp.parse().unwrap_or(0);
                // Go writes at least two exponent digits, then drops the 0 of `e-07`.
                if exp < 0 { format!("{mantissa}e{exp}") } else { format!("{mantissa}e+{exp:02}") }
            } else {
                f.to_string()
            }
        }
    }
}

const ERR_FORMAT_WRONG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const ERR_NUMERIC: &str = "unable to parse numeric part of quantity";
const ERR_SUFFIX: &str = "unable to parse quantity's suffix";

/// `Quantity.UnmarshalJSON` of a JSON string: the text between the quotes, as encoding/json wrote
/// it, space-trimmed, through `ParseQuantity`. A character encoding/json escapes leaves a backslash
/// there, which no quantity has.
fn quantity(s: &str) -> Result<(), &'static str> {
    if s.chars().any(|c| c < ' ' || matches!(c, '"' | '\\' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}')) {
        return Err(ERR_FORMAT_WRONG);
    }
    parse_quantity(s.trim_matches(char::is_whitespace).as_bytes())
}

/// apimachinery's `ParseQuantity`, for its verdict only.
fn parse_quantity(s: &[u8]) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err(ERR_FORMAT_WRONG);
    }
    if s == b"0" {
        return Ok(());
    }
    let QuantityParts { value, num, denom, suffix } = split_quantity(s)?;
    let (binary, exponent) = quantity_suffix(suffix).ok_or(ERR_SUFFIX)?;
    let (num, denom) = (num as i64, denom as i64);
    // The int64 fast path, taken when the digits fit; it cannot fail.
    let (precision, scale) = if !binary {
        (18 - (num + denom), exponent - denom)
    } else if exponent >= 0 && denom == 0 {
        (15 - num - exponent * 3 / 10 - 1, 0)
    } else {
        (-1, 0)
    };
    if precision >= 0 && scale >= -9 {
        return Ok(());
    }
    // Else inf.Dec's SetString, which needs a digit.
    if value.iter().any(u8::is_ascii_digit) { Ok(()) } else { Err(ERR_NUMERIC) }
}

/// What `parseQuantityString` finds: the signed number's text, the lengths of its numerator
/// (leading zeros stripped, at least "0") and denominator, and the suffix.
struct QuantityParts<'a> {
    value: &'a [u8],
    num: usize,
    denom: usize,
    suffix: &'a [u8],
}

fn split_quantity(s: &[u8]) -> Result<QuantityParts<'_>, &'static str> {
    let parts = |value, num, denom, suffix| Ok(QuantityParts { value, num, denom, suffix });
    let end = s.len();
    let mut pos = usize::from(matches!(s[0], b'-' | b'+'));
    while pos < end && s[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return parts(b"0", 1, 0, b"");
    }
    let start = pos;
    while pos < end && s[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos >= end {
        return parts(s, end - start, 0, b"");
    }
    let num = (pos - start).max(1);
    let mut denom = 0;
    if s[pos] == b'.' {
        pos += 1;
        let from = pos;
        while pos < end && s[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos >= end {
            return parts(s, num, end - from, b"");
        }
        denom = pos - from;
    }
    let value = &s[..pos];
    let suffix = pos;
    while pos < end && b"eEinumkKMGTP".contains(&s[pos]) {
        pos += 1;
    }
    if pos < end && matches!(s[pos], b'-' | b'+') {
        pos += 1;
    }
    while pos < end && s[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end { Err(ERR_FORMAT_WRONG) } else { parts(value, num, denom, &s[suffix..]) }
}

/// The suffixer's `interpret`: whether the suffix is binary, and its exponent (of 10 or 2).
fn quantity_suffix(s: &[u8]) -> Option<(bool, i64)> {
    Some(match s {
        b"n" => (false, -9),
        b"u" => (false, -6),
        b"m" => (false, -3),
        b"" => (false, 0),
        b"k" => (false, 3),
        b"M" => (false, 6),
        b"G" => (false, 9),
        b"T" => (false, 12),
        b"P" => (false, 15),
        b"E" => (false, 18),
        b"Ki" => (true, 10),
        b"Mi" => (true, 20),
        b"Gi" => (true, 30),
        b"Ti" => (true, 40),
        b"Pi" => (true, 50),
        b"Ei" => (true, 60),
        [b'e' | b'E', rest @ ..] if !rest.is_empty() => {
            // strconv.ParseInt(rest, 10, 64), then int32(): Rust's i64 parsing has the same syntax.
            let e: i64 = std::str::from_utf8(rest).ok()?.parse().ok()?;
            (false, i64::from(e as i32))
        }
        _ => return None,
    })
}

const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

/// `time.Parse(time.RFC3339, value)`'s verdict and error text (Go's general parser, which accepts
/// all its RFC 3339 fast path does and more: a one-digit hour, a `,` before the fraction).
fn parse_time(value: &str) -> Result<(), String> {
    time_fields(value).map_err(|e| {
        let v = go_quote(value);
        match e {
            TimeError::Cannot(rest, elem) => {
                format!("parsing time {v} as \"{RFC3339}\": cannot parse {} as \"{elem}\"", go_quote(rest))
            }
            TimeError::Range(what) => format!("parsing time {v}: {what} out of range"),
            TimeError::Extra(rest) => format!("parsing time {v}: extra text: {}", go_quote(rest)),
            TimeError::Day => format!("parsing time {v}: day out of range"),
        }
    })
}

enum TimeError<'a> {
    /// The rest of the value, and the layout element it does not match.
    Cannot(&'a str, &'static str),
    Range(&'static str),
    Extra(&'a str),
    Day,
}

/// Go's `parse` for the RFC 3339 layout, element by element.
fn time_fields(value: &str) -> Result<(), TimeError<'_>> {
    use TimeError::{Cannot, Range};
    let mut rest = value;
    if rest.len() < 4 || !rest.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        return Err(Cannot(rest, "2006"));
    }
    let year: i64 = rest[..4].parse().unwrap_or(0);
    rest = skip(&rest[4..], "-")?;
    let (month, r) = getnum(rest, true).ok_or(Cannot(rest, "01"))?;
    if !(1..=12).contains(&month) {
        return Err(Range("month"));
    }
    rest = skip(r, "-")?;
    let (day, r) = getnum(rest, true).ok_or(Cannot(rest, "02"))?;
    rest = skip(r, "T")?;
    let (hour, r) = getnum(rest, false).ok_or(Cannot(rest, "15"))?;
    if hour >= 24 {
        return Err(Range("hour"));
    }
    rest = skip(r, ":")?;
    let (minute, r) = getnum(rest, true).ok_or(Cannot(rest, "04"))?;
    if minute >= 60 {
        return Err(Range("minute"));
    }
    rest = skip(r, ":")?;
    let (second, r) = getnum(rest, true).ok_or(Cannot(rest, "05"))?;
    if second >= 60 {
        return Err(Range("second"));
    }
    rest = r;
    // A fraction the layout does not have is accepted after the seconds.
    let b = rest.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
        rest = &rest[2 + b[2..].iter().take_while(|c| c.is_ascii_digit()).count()..];
    }
    if let Some(r) = rest.strip_prefix('Z') {
        rest = r;
    } else {
        let b = rest.as_bytes();
        if b.len() < 6 || b[3] != b':' {
            return Err(Cannot(rest, "Z07:00"));
        }
        let two = |x: &[u8]| {
            (x[0].is_ascii_digit() && x[1].is_ascii_digit())
                .then(|| i64::from(x[0] - b'0') * 10 + i64::from(x[1] - b'0'))
        };
        let hours = two(&b[1..3]);
        let minutes = hours.and_then(|_| two(&b[4..6]));
        // Go checks the ranges first (the later one wins) and allows 24 hours and 60 minutes.
        if minutes.unwrap_or(0) > 60 {
            return Err(Range("time zone offset minute"));
        }
        if hours.unwrap_or(0) > 24 {
            return Err(Range("time zone offset hour"));
        }
        if minutes.is_none() || !matches!(b[0], b'+' | b'-') {
            return Err(Cannot(rest, "Z07:00"));
        }
        rest = &rest[6..];
    }
    if !rest.is_empty() {
        return Err(TimeError::Extra(rest));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month as usize - 1];
    if day < 1 || day > days {
        return Err(TimeError::Day);
    }
    Ok(())
}

fn skip<'a>(rest: &'a str, prefix: &'static str) -> Result<&'a str, TimeError<'a>> {
    rest.strip_prefix(prefix).ok_or(TimeError::Cannot(rest, prefix))
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let digit = |i: usize| s.as_bytes().get(i).filter(|c| c.is_ascii_digit()).map(|c| i64::from(c - b'0'));
    match (digit(0), digit(1)) {
        (Some(a), Some(b)) => Some((a * 10 + b, &s[2..])),
        (Some(a), None) if !fixed => Some((a, &s[1..])),
        _ => None,
    }
}

/// The time package's `quote`: non-ASCII and control bytes as `\xNN`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if !c.is_ascii() || c < ' ' {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder's verdict on the first document of `yaml`.
    fn decode_yaml(yaml: &str) -> Result<bool, DecodeError> {
        let stream = crate::yaml::parse_stream(yaml, &crate::yaml::Limits::default());
        let root = stream.docs[0].root.as_ref().expect("valid YAML");
        let field = |k| root.get(k).and_then(Node::as_str).unwrap_or("");
        check_object(field("apiVersion"), field("kind"), root)
    }

    fn error(yaml: &str) -> String {
        decode_yaml(yaml).expect_err("a decode error").message
    }

    fn pod(spec: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n{spec}")
    }

    fn container(fields: &str) -> String {
        pod(&format!("  containers:\n  - name: a\n    image: x\n{fields}"))
    }

    #[test]
    fn env_value_bool_in_a_deployment() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      \
                    containers:\n      - name: a\n        env:\n        - name: X\n          value: true\n";
        assert_eq!(
            error(yaml),
            "json: cannot unmarshal bool into Go struct field EnvVar.spec.template.spec.containers.env.value of type string"
        );
    }

    #[test]
    fn fc_lun_placeholder_is_the_api_servers_error() {
        // As in kubernetes/examples' archived fibre_channel example.
        let yaml = pod(
            "  containers:\n  - name: a\n    image: x\n  volumes:\n  - name: fc\n    fc:\n      targetWWNs: ['500a0982991b8dc5']\n      lun: <ADD LUN ID Here>\n      fsType: ext4\n",
        );
        assert_eq!(
            error(&yaml),
            "json: cannot unmarshal string into Go struct field FCVolumeSource.spec.volumes.fc.lun of type int32"
        );
    }

    #[test]
    fn ints_are_range_checked_and_whole() {
        let port = |v: &str| error(&container(&format!("    ports:\n    - containerPort: {v}\n")));
        let at = "into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32";
        assert_eq!(port("3000000000"), format!("json: cannot unmarshal number 3000000000 {at}"));
        assert_eq!(port("1.5"), format!("json: cannot unmarshal number 1.5 {at}"));
        assert_eq!(port("-2147483649"), format!("json: cannot unmarshal number -2147483649 {at}"));
        assert_eq!(port("1e21"), format!("json: cannot unmarshal number 1e+21 {at}"));
        assert_eq!(port("\"80\""), format!("json: cannot unmarshal string {at}"));
        for ok in ["80", "2147483647", "-2147483648", "8.0", "0x50", "1e3"] {
            assert_eq!(decode_yaml(&container(&format!("    ports:\n    - containerPort: {ok}\n"))), Ok(true), "{ok}");
        }
        let grace = |v: &str| decode_yaml(&pod(&format!("  terminationGracePeriodSeconds: {v}\n")));
        assert_eq!(grace("9223372036854775807"), Ok(true));
        assert_eq!(
            grace("9223372036854775808").unwrap_err().message,
            "json: cannot unmarshal number 9223372036854775808 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64"
        );
        assert_eq!(
            grace("0.0000001").unwrap_err().message,
            "json: cannot unmarshal number 1e-7 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64"
        );
    }

    #[test]
    fn quantities() {
        let cpu = |v: &str| decode_yaml(&container(&format!("    resources:\n      limits:\n        cpu: {v}\n")));
        for ok in
            ["500m", "1", "0.5", "2", "1Gi", "'1e3'", "\" 1Gi \"", "1.5", "100000000000000000000", ".5", "'+1'", "1E"]
        {
            assert_eq!(cpu(ok), Ok(true), "{ok}");
        }
        let wrong = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
        for bad in ["lots", "''", "1 Gi", "true", "[1]", "{a: 1}", "'1Gi\\n'", "1e", "'1e+'"] {
            let e = cpu(bad).unwrap_err().message;
            assert!(e == wrong || e == "unable to parse quantity's suffix", "{bad}: {e}");
        }
        assert_eq!(cpu("lots").unwrap_err().message, wrong);
        assert_eq!(cpu("1mi").unwrap_err().message, "unable to parse quantity's suffix");
        assert_eq!(cpu("'.e-10'").unwrap_err().message, "unable to parse numeric part of quantity");
    }

    #[test]
    fn int_or_string() {
        let probe =
            |v: &str| decode_yaml(&container(&format!("    livenessProbe:\n      httpGet:\n        port: {v}\n")));
        assert_eq!(probe("8080"), Ok(true));
        assert_eq!(probe("http"), Ok(true));
        assert_eq!(probe("true").unwrap_err().message, "json: cannot unmarshal bool into Go value of type int32");
        assert_eq!(probe("1.5").unwrap_err().message, "json: cannot unmarshal number 1.5 into Go value of type int32");
        assert_eq!(probe("[1]").unwrap_err().message, "json: cannot unmarshal array into Go value of type int32");
        let surge = |v: &str| {
            decode_yaml(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nspec:\n  strategy:\n    rollingUpdate:\n      maxSurge: {v}\n"
            ))
        };
        assert_eq!(surge("25%"), Ok(true));
        assert_eq!(
            surge("3000000000").unwrap_err().message,
            "json: cannot unmarshal number 3000000000 into Go value of type int32"
        );
    }

    #[test]
    fn times() {
        let created =
            |v: &str| decode_yaml(&format!("apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: {v}\n"));
        for ok in ["null", "'2024-01-02T03:04:05Z'", "'2024-01-02T03:04:05.123+01:00'", "'2024-02-29T3:04:05Z'"] {
            assert_eq!(created(ok), Ok(true), "{ok}");
        }
        let layout = "\"2006-01-02T15:04:05Z07:00\"";
        assert_eq!(
            created("yesterday").unwrap_err().message,
            format!("parsing time \"yesterday\" as {layout}: cannot parse \"yesterday\" as \"2006\"")
        );
        assert_eq!(
            created("'2024-01-02 03:04:05Z'").unwrap_err().message,
            format!("parsing time \"2024-01-02 03:04:05Z\" as {layout}: cannot parse \" 03:04:05Z\" as \"T\"")
        );
        assert_eq!(
            created("'2024-13-02T03:04:05Z'").unwrap_err().message,
            "parsing time \"2024-13-02T03:04:05Z\": month out of range"
        );
        assert_eq!(
            created("'2023-02-29T03:04:05Z'").unwrap_err().message,
            "parsing time \"2023-02-29T03:04:05Z\": day out of range"
        );
        assert_eq!(
            created("'2024-01-02T03:04:05Zjunk'").unwrap_err().message,
            "parsing time \"2024-01-02T03:04:05Zjunk\": extra text: \"junk\""
        );
        // A YAML timestamp is a string to the API server (go-yaml v2 keeps it so, sigs.k8s.io/yaml
        // then writes it as JSON text); a number is not a time.
        assert_eq!(created("5").unwrap_err().message, "json: cannot unmarshal number into Go value of type string");
    }

    #[test]
    fn unknown_fields_are_ignored_and_null_is_always_fine() {
        assert_eq!(decode_yaml(&container("    colour: [1, {a: b}]\n    Image: 5\n")), Ok(true));
        let nulls = "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: null}\n  creationTimestamp: null\nspec:\n  \
                     containers:\n  - name: null\n    ports: null\n    resources: {limits: {cpu: null}}\n    \
                     livenessProbe: {httpGet: {port: null}}\n  - null\n  hostNetwork: null\nstatus: null\n";
        assert_eq!(decode_yaml(nulls), Ok(true));
    }

    #[test]
    fn volume_claim_templates_of_a_stateful_set() {
        let sts = |v: &str| {
            format!(
                "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  volumeClaimTemplates:\n  - metadata: {{name: data}}\n    \
                 spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: {v}\n"
            )
        };
        assert_eq!(decode_yaml(&sts("10Gi")), Ok(true));
        assert_eq!(
            decode_yaml(&sts("ten")).unwrap_err().message,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
        assert_eq!(
            decode_yaml(&sts("10Gi").replace("[ReadWriteOnce]", "[1]")).unwrap_err().message,
            "json: cannot unmarshal number into Go struct field PersistentVolumeClaimSpec.spec.volumeClaimTemplates.spec.accessModes of type v1.PersistentVolumeAccessMode"
        );
    }

    #[test]
    fn cron_job_template_path() {
        let yaml = "apiVersion: batch/v1\nkind: CronJob\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      \
                    template:\n        spec:\n          hostPID: 'yes'\n";
        assert_eq!(
            error(yaml),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.jobTemplate.spec.template.spec.hostPID of type bool"
        );
        let job = "apiVersion: batch/v1\nkind: Job\nspec:\n  backoffLimit: many\n";
        assert_eq!(
            error(job),
            "json: cannot unmarshal string into Go struct field JobSpec.spec.backoffLimit of type int32"
        );
    }

    #[test]
    fn maps_lists_and_structs_of_the_wrong_kind() {
        let labels = "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    tier: 1\n";
        assert_eq!(
            error(labels),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
        );
        assert_eq!(
            error("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations: [a]\n"),
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type map[string]string"
        );
        assert_eq!(
            error(&pod("  containers: {name: a}\n")),
            "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"
        );
        assert_eq!(
            error(&pod("  containers: [a]\n")),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type v1.Container"
        );
        assert_eq!(
            error("apiVersion: v1\nkind: Pod\nspec: x\n"),
            "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec"
        );
        assert_eq!(
            error(&container("    securityContext:\n      capabilities:\n        drop: [1]\n")),
            "json: cannot unmarshal number into Go struct field Capabilities.spec.containers.securityContext.capabilities.drop of type v1.Capability"
        );
        assert_eq!(
            error(&container("    resources:\n      limits: 1\n")),
            "json: cannot unmarshal number into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList"
        );
        // Fields of an inlined struct (Volume's VolumeSource) belong to the outer struct, as Go reports them.
        assert_eq!(
            error(&pod("  volumes:\n  - name: v\n    hostPath: /x\n")),
            "json: cannot unmarshal string into Go struct field Volume.spec.volumes.hostPath of type v1.HostPathVolumeSource"
        );
    }

    #[test]
    fn the_first_error_in_json_order_wins_and_returned_errors_win_over_saved_ones() {
        // sigs.k8s.io/yaml sorts keys: `image` comes before `name` whatever the text's order.
        let both = container("    tty: 1\n    stdin: 2\n");
        assert_eq!(
            error(&both),
            "json: cannot unmarshal number into Go struct field Container.spec.containers.stdin of type bool"
        );
        let meta_last = "apiVersion: v1\nkind: Pod\nspec:\n  hostPID: 1\nmetadata:\n  name: 5\n";
        assert_eq!(
            error(meta_last),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string"
        );
        // A Quantity's own error ends decoding: it is reported even after a saved type error.
        let quantity_later =
            container("    resources: {limits: {cpu: lots}}\n    imagePullPolicy: 1\n").replace("name: a", "name: 5");
        assert!(error(&quantity_later).starts_with("quantities must match"), "{}", error(&quantity_later));
    }

    #[test]
    fn other_kinds_check_metadata_only() {
        assert_eq!(decode_yaml("apiVersion: example.com/v1\nkind: Deployment\nspec: 5\n"), Ok(false));
        assert_eq!(
            decode_yaml("apiVersion: example.com/v1\nkind: Widget\nmetadata: {labels: {a: 1}}\n").unwrap_err().message,
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
        );
    }

    #[test]
    fn float_literals_as_go_writes_them() {
        let f = |x: f64| literal(&Number::Float(x));
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(3e9), "3000000000");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1.25e-7), "1.25e-7");
        assert_eq!(f(1e-10), "1e-10");
        assert_eq!(f(-2.5e300), "-2.5e+300");
        assert_eq!(f(0.000001), "0.000001");
    }

    #[test]
    fn time_quote_escapes_like_go() {
        assert_eq!(go_quote("a\"b\\é\n"), "\"a\\\"b\\\\\\xc3\\xa9\\x0a\"");
    }
}
