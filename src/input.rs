//! Finding and reading the inputs: files, directories (recursive, hidden entries skipped), `-` for stdin.

use std::path::{Path, PathBuf};

/// How an input's bytes encode its text (kubectl reads UTF-8, and UTF-16 behind a byte-order
/// mark, as `unicode.BOMOverride` does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    #[default]
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// `text` in this encoding (a UTF-16 text keeps its byte-order mark: it is the text's first
    /// character, U+FEFF).
    pub fn encode(self, text: &str) -> std::borrow::Cow<'_, [u8]> {
        let units = text.encode_utf16();
        match self {
            Encoding::Utf8 => text.as_bytes().into(),
            Encoding::Utf16Le => units.flat_map(u16::to_le_bytes).collect::<Vec<u8>>().into(),
            Encoding::Utf16Be => units.flat_map(u16::to_be_bytes).collect::<Vec<u8>>().into(),
        }
    }
}

/// One input file, read whole.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The path as the user gave it (or as found under a directory they gave), `-` for stdin.
    pub name: String,
    /// The real path, `None` for stdin.
    pub path: Option<PathBuf>,
    pub text: String,
    /// How the file was encoded (`fix` writes it back the same way).
    pub encoding: Encoding,
    /// The bytes as read (`None` for stdin): `fix` replaces the file only if it still holds them.
    pub read: Option<Fingerprint>,
}

/// The length and a hash of a file's bytes: what `fix` compares, just before and just after it
/// replaces a file, to find out whether another program wrote to it meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    len: usize,
    hash: u64,
}

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Fingerprint {
        use std::hash::Hasher;
        // SipHash with fixed keys: the same bytes always give the same hash.
        let mut h = std::hash::DefaultHasher::new();
        h.write(bytes);
        Fingerprint { len: bytes.len(), hash: h.finish() }
    }
}

/// An input that could not be used at all.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub name: String,
    pub message: String,
    /// The 1-based line where reading failed, when there is one (a NUL byte, invalid UTF-8).
    pub line: Option<usize>,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: error: {}", self.name, self.message),
            None => write!(f, "{}: error: {}", self.name, self.message),
        }
    }
}

/// A file to read: its name as shown to the user, and its path (`None` for stdin).
pub type Found = (String, Option<PathBuf>);

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Expand the user's paths into the list of files to read, in a stable order: each argument in turn,
/// a directory's files sorted by path. Unreadable or missing paths become errors; a directory that
/// holds no manifest is an error too (a typo'd directory should not pass silently).
pub fn discover(args: &[String], exclude: &dyn Fn(&Path) -> bool) -> (Vec<Found>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg == "-" {
            files.push(("-".to_owned(), None));
            continue;
        }
        let path = Path::new(arg);
        match std::fs::metadata(path) {
            Err(e) => errors.push(InputError { name: arg.clone(), message: io_message(&e), line: None }),
            Ok(meta) if meta.is_dir() => {
                let before = files.len();
                let mut excluded = 0;
                walk(path, &mut files, &mut errors, &mut |p| {
                    let out = exclude(p);
                    excluded += usize::from(out);
                    out
                });
                if files.len() == before && excluded > 0 {
                    // Excluded on purpose (.podsec.yaml): an empty run, not a typo'd directory.
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "podsec: {arg}: nothing to read: every entry here ({excluded}) is excluded by the configuration's `exclude`"
                    );
                } else if files.len() == before {
                    errors.push(InputError {
                        line: None,
                        name: arg.clone(),
                        message: "no *.yaml, *.yml or *.json files in this directory".into(),
                    });
                }
            }
            Ok(_) => files.push((arg.clone(), Some(path.to_path_buf()))),
        }
    }
    // The same file reached twice (`dir dir/a.yaml`, or `-` twice) is read once, where it first appears.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(name, path)| {
        let key = path
            .as_ref()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
            .unwrap_or_else(|| PathBuf::from(name));
        seen.insert(key)
    });
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<Found>, errors: &mut Vec<InputError>, exclude: &mut dyn FnMut(&Path) -> bool) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(InputError { name: dir.display().to_string(), message: io_message(&e), line: None });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden || exclude(&path) {
            continue;
        }
        // Symlinked directories are not followed (as ripgrep does): a link to `.` would recurse forever.
        let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if path.is_dir() {
            if !link {
                walk(&path, files, errors, exclude);
            }
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e)) {
            files.push((path.display().to_string(), Some(path)));
        }
    }
}

/// Standard input, read once and kept: a run may read `-` twice (the Namespace pre-pass, then the check).
fn stdin_bytes() -> std::io::Result<Vec<u8>> {
    static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    STDIN
        .get_or_init(|| {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf).map_err(|e| e.to_string())
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// Read one input whole. Not UTF-8 (or binary) is an error that names the byte where it fails.
pub fn read(name: &str, path: Option<&Path>) -> Result<Source, InputError> {
    let bytes = match path {
        Some(p) => std::fs::read(p),
        None => stdin_bytes(),
    }
    .map_err(|e| InputError { name: name.to_owned(), message: io_message(&e), line: None })?;
    let read = path.map(|_| Fingerprint::of(&bytes));
    let (text, encoding) =
        decode(bytes).map_err(|(message, line)| InputError { name: name.to_owned(), message, line: Some(line) })?;
    Ok(Source { name: name.to_owned(), path: path.map(Path::to_path_buf), text, encoding, read })
}

/// The text of a file, or why it is not text (with the line where that shows).
fn decode(bytes: Vec<u8>) -> Result<(String, Encoding), (String, usize)> {
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some((Encoding::Utf16Le, u16::from_le_bytes as fn([u8; 2]) -> u16)),
        Some([0xFE, 0xFF]) => Some((Encoding::Utf16Be, u16::from_be_bytes as fn([u8; 2]) -> u16)),
        _ => None,
    };
    if let Some((encoding, unit)) = utf16 {
        if !bytes.len().is_multiple_of(2) {
            let line = 1 + bytes.chunks(2).filter(|c| c.len() == 2 && unit([c[0], c[1]]) == 0x0A).count();
            return Err(("UTF-16 file with an odd number of bytes (truncated?)".into(), line));
        }
        let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
        let mut text = String::with_capacity(bytes.len() / 2);
        for c in char::decode_utf16(units) {
            match c {
                Ok('\0') | Err(_) => {
                    let line = 1 + text.matches('\n').count();
                    return Err(("not valid UTF-16 (a NUL or an unpaired surrogate)".into(), line));
                }
                Ok(c) => text.push(c),
            }
        }
        return Ok((text, encoding));
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let line = 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count();
        return Err((format!("binary file (NUL byte at offset {pos}); not a manifest"), line));
    }
    String::from_utf8(bytes).map(|t| (t, Encoding::Utf8)).map_err(|e| {
        let pos = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..pos].iter().filter(|&&b| b == b'\n').count();
        (format!("not valid UTF-8 (byte offset {pos})"), line)
    })
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Byte offset → 1-based line and column (columns count characters).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(crate::yaml::lines::line_starts(text));
        LineIndex { starts }
    }

    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line.saturating_sub(1).min(self.starts.len() - 1)]
    }
}

/// Whether the text is a template (Helm, Go `{{ }}`) rather than YAML: a `{{` that starts a line's
/// content, or, when the text does not even parse, a `{{` outside a comment where a YAML node would
/// start (`key: {{`, `- {{`, `[{{`); inside a plain scalar (`Application {{.app.name}} created`) it
/// is text that YAML reads fine and says nothing about the parse error. `{{` inside quoted or
/// block scalars (alerting rules in a ConfigMap, say) is data and does not count, even when another
/// document of the stream is broken (a syntax error there must not turn the whole file into a
/// "template" and hide its other documents). `data_spans` (sorted spans of quoted and block scalars
/// of every document that parses) is computed only when a candidate line is found.
pub fn template_line(text: &str, parses: bool, data_spans: impl FnOnce() -> Vec<(usize, usize)>) -> Option<usize> {
    let mut spans: Option<Vec<(usize, usize)>> = None;
    let mut data_spans = Some(data_spans);
    let mut last_line_start = usize::MAX;
    // Line starts are found incrementally (each byte is scanned once, however many `{{` a line holds).
    let (mut scanned, mut line_start) = (0, 0);
    // Where the current line's ` #` comment starts (found once per line).
    let mut comment: Option<(usize, Option<usize>)> = None;
    for (pos, _) in text.match_indices("{{") {
        if let Some(last) = crate::yaml::lines::line_starts(&text[scanned..pos]).last() {
            line_start = scanned + last;
        }
        scanned = pos;
        if line_start == last_line_start {
            continue;
        }
        let line = &text[line_start..];
        let content = line.trim_start_matches([' ', '\t']);
        let content_start = line_start + (line.len() - content.len());
        if content.starts_with('#') {
            continue;
        }
        if comment.is_none_or(|(at, _)| at != line_start) {
            let end = crate::yaml::lines::line_end(text, line_start);
            comment = Some((line_start, text[content_start..end].find(" #").map(|i| content_start + i)));
        }
        let before_comment = comment.and_then(|(_, c)| c).is_none_or(|c| c >= pos);
        let before = text[content_start..pos].trim_end_matches([' ', '\t']);
        let spaced = before.len() < pos - content_start;
        let node_start = (spaced && before.ends_with([':', '-', '?'])) || before.ends_with([',', '[', '{']);
        let candidate = pos == content_start || (!parses && before_comment && node_start);
        if !candidate {
            continue;
        }
        last_line_start = line_start;
        {
            let spans = spans.get_or_insert_with(|| data_spans.take().map_or_else(Vec::new, |f| f()));
            let i = spans.partition_point(|&(s, _)| s <= pos);
            if i > 0 && pos < spans[i - 1].1 {
                continue;
            }
        }
        return Some(crate::yaml::lines::line_number(text, line_start));
    }
    None
}
