/// Options controlling parser and scanner behavior and resource usage.
///
/// Construct this type with [`crate::options!`] so that code remains compatible when new options
/// are added in future releases.
///
/// # Examples
///
/// ```rust
/// let options = granit_parser::options! {
///     strict_indentation: true,
///     flow_nesting_limit: 512,
///     block_nesting_limit: 256,
/// };
///
/// assert!(options.strict_indentation);
/// assert_eq!(options.flow_nesting_limit, 512);
/// assert_eq!(options.block_nesting_limit, 256);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
#[allow(clippy::struct_excessive_bools)] // Independent, opt-in parsing policies.
pub struct Options {
    /// Whether to enforce strict YAML indentation rules for flow collections, scalar
    /// continuations, and content following explicit-key anchor or tag properties.
    ///
    /// The default parsing is compatible with `PyYAML` and `ruamel.yaml`.
    /// `true` sets stricter indentation rules as required by the YAML specification,
    /// some non-compliant YAML that passes with the two libraries above will fail.
    /// Default is false.
    pub strict_indentation: bool,
    /// Reject all YAML directives, including reserved directives.
    ///
    /// When enabled, directive syntax recognized by the scanner in any document reports
    /// [`crate::ErrorKind::DirectiveDisallowed`] at the directive's `%` indicator.
    /// Percent signs inside scalars and comments are unaffected.
    /// Defaults to false.
    pub disallow_directives: bool,
    /// Read a byte-order mark (U+FEFF) inside a document as ordinary content.
    ///
    /// By default, a BOM is accepted only in a document prefix, before directives, comments, or
    /// content; another BOM where a token would begin reports [`crate::ErrorKind::BomInsideDocument`].
    /// When `true`, such a BOM instead starts a plain scalar and is kept as part of its text, as
    /// libyaml does. A BOM in a document prefix is still skipped, and a BOM following other
    /// characters of a plain or quoted scalar is content in either mode.
    /// A BOM at column 0 thus begins a scalar with an invisible prefix: for example,
    /// `\u{FEFF}---` is no longer a document start and `\u{FEFF}key: value` has a key that
    /// does not equal `key`. Consumers mapping such keys onto fixed field names should reject
    /// unknown keys (for example, Serde's `deny_unknown_fields`) so these are not silently
    /// ignored. Defaults to false.
    pub bom_inside_document_as_content: bool,
    /// Add no line feed after the last line of a block scalar when the input ends on that line,
    /// without a line break, as libyaml does.
    ///
    /// By default, such a line is read as if it ended with a line break, as the YAML test suite
    /// expects (`L24T`): `"key: |\n  text"` yields `"text\n"`. When `true`, it yields `"text"`,
    /// as libyaml, `PyYAML` and `ruamel.yaml` do. This applies to literal and folded scalars with
    /// clip or keep chomping; strip chomping adds no line feed either way. Defaults to false.
    pub block_scalar_eof_without_line_feed: bool,
    /// Read as libyaml 0.2 / go-yaml v2 do, where they differ from YAML 1.2.
    ///
    /// This copies the behaviour of libyaml's scanner and parser (as ported by go-yaml v2, the
    /// reader behind Kubernetes' `sigs.k8s.io/yaml`), so that a tool can accept and refuse exactly
    /// what such a consumer does. Each difference is local and named after the libyaml function
    /// whose behaviour it copies; see `PODSEC-PATCHES.md`. Among them: only `%YAML 1.1` and
    /// `%TAG` directives are accepted; a `#` where a token may start begins a comment; a BOM at
    /// column 0 of any line is skipped; a tab cannot start a line's block content; a directive
    /// ends an open document; after the first document, a document needs `---`. Spans are
    /// unchanged. Defaults to false.
    pub libyaml_compat: bool,
    /// Emit unresolved alias nodes instead of stopping at an unknown anchor.
    ///
    /// Defaults to `false`. When omitted or explicitly set to `false`, an alias without a
    /// preceding anchor definition in its document reports [`crate::ErrorKind::UnknownAnchor`]
    /// and stops parsing, preserving the default behavior.
    ///
    /// When `true`, the parser emits [`crate::Event::UnresolvedAlias`] with the original name
    /// (without `*`) and a span covering the complete alias token, then continues structural
    /// parsing. Consumers must handle this event as a node, including in mapping-key and
    /// mapping-value positions; silently ignoring it in a wildcard match can lose structure.
    /// Successful parsing in this mode does not establish full YAML validity: unresolved aliases
    /// remain invalid references, whose diagnostics the consumer can report separately.
    ///
    /// Resolved aliases still emit [`crate::Event::Alias`]. Each alias resolves against the most
    /// recent preceding definition in the same document. An unresolved occurrence neither
    /// allocates an anchor ID nor becomes resolved by a later definition. Repeated missing names
    /// produce separate unresolved events, and anchor names do not carry across documents.
    /// Scanning, grammar, input, and resource-limit errors still stop parsing normally.
    /// This option has no effect on a scanner used directly.
    ///
    /// ```rust
    /// use granit_parser::{Event, Parser};
    ///
    /// let options = granit_parser::options! { emit_unresolved_aliases: true };
    /// let events = Parser::new_from_str_with_options("[*missing, value]", options)
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// assert!(events.iter().any(|(event, _)| {
    ///     matches!(event, Event::UnresolvedAlias(name) if name == "missing")
    /// }));
    /// assert!(matches!(events.last(), Some((Event::StreamEnd, _))));
    /// # Ok::<(), granit_parser::ScanError>(())
    /// ```
    pub emit_unresolved_aliases: bool,
    /// Emit anchor definition metadata immediately after its node event.
    ///
    /// Defaults to `false`, preserving the existing event stream. When enabled, each anchored
    /// scalar or collection start is immediately followed by [`crate::Event::Anchor`] carrying
    /// the assigned ID and original name (without `&`). Its companion span covers the complete
    /// `&name` token. Collection anchors are emitted before their children, including aliases
    /// referring to the collection itself. This adjacency guarantee applies to each
    /// [`crate::Parser`]; see [`crate::ParserStack`] for ordering across stack pushes.
    ///
    /// The node event comes first so the parser never emits anchor metadata for a node that
    /// failed before its event could be emitted, including when recovering to the next document.
    ///
    /// Anchor events are presentation metadata, not additional YAML nodes. Their spans refer
    /// back to properties preceding the node, so event spans need not be in source order.
    /// This option is independent of comment emission and has no effect on a standalone scanner.
    pub emit_anchor_events: bool,
    /// Whether scanners emit comment tokens and parsers emit comment events.
    ///
    /// The default is `true` with the `comments` Cargo feature and `false` without it.
    /// When this is `false`, comments are still recognized and validated as YAML syntax, but their
    /// text is not captured and no comment tokens or events are emitted.
    /// Comment bytes are still consumed, so this is not an input-size or processing-time limit.
    /// This option is always available, but has no effect without the `comments` Cargo feature.
    #[cfg_attr(
        feature = "comments",
        doc = "[`Self::max_buffered_comment_events`] has no effect while comment emission is disabled."
    )]
    pub emit_comments: bool,
    /// Maximum number of consecutive comment events buffered while resolving an ambiguous
    /// collection entry or looking for the next document during recovery.
    ///
    /// The default is 96. A value of zero rejects the first comment that would need buffering.
    /// This option is available only with the `comments` Cargo feature.
    #[cfg(feature = "comments")]
    pub max_buffered_comment_events: usize,
    /// Maximum number of characters inspected while resolving a simple key.
    ///
    /// The default is 1024, matching YAML's simple-key length restriction. A key at exactly this
    /// limit is accepted. Lower values impose a stricter resource limit; higher values relax that
    /// YAML restriction.
    pub simple_key_max_lookahead: usize,
    /// Maximum number of simultaneously nested flow collections.
    ///
    /// The default is 255. A value of zero rejects the first flow collection opener.
    pub flow_nesting_limit: usize,
    /// Maximum number of simultaneously nested block collections parsed, or block indentation
    /// levels retained by a scanner used directly.
    ///
    /// The default is 255. A value of zero rejects the first block sequence or mapping. This
    /// bounds both indentation state retained while scanning and the number of closing tokens
    /// queued when nested block collections end together. Parsers also count indentless block
    /// sequences, which do not add scanner indentation state.
    pub block_nesting_limit: usize,
    /// Maximum number of UTF-8 source bytes retained for a directive name and payload.
    ///
    /// The default is 1024. Separating blanks before retained values count toward the limit.
    /// `%YAML` version components instead have a fixed nine-digit limit and are stored as integers.
    /// Real directives are far shorter than the default.
    pub max_directive_bytes: usize,
    /// Maximum number of parameters retained for a single reserved directive.
    ///
    /// The default is 16. The parser ignores reserved directives, so their parameters only reach
    /// code driving [`crate::Scanner`] directly. A value of zero rejects the first parameter.
    pub max_reserved_directive_params: usize,
}

impl Options {
    /// Controls whether scanners emit comment tokens and parsers emit comment events.
    ///
    /// When emission is disabled, comments are still recognized and validated, but their text
    /// is not captured. This sets [`Self::emit_comments`] in every build, but has no effect on
    /// parsing or scanning without the `comments` Cargo feature.
    ///
    /// This method is always available so downstream crates can disable comment emission
    /// even when another dependency enables the `comments` feature through feature unification.
    pub fn set_emit_comments(&mut self, emit_comments: bool) {
        self.emit_comments = emit_comments;
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            strict_indentation: false,
            disallow_directives: false,
            bom_inside_document_as_content: false,
            block_scalar_eof_without_line_feed: false,
            libyaml_compat: false,
            emit_unresolved_aliases: false,
            emit_anchor_events: false,
            emit_comments: cfg!(feature = "comments"),
            #[cfg(feature = "comments")]
            max_buffered_comment_events: 96,
            simple_key_max_lookahead: 1024,
            flow_nesting_limit: 255,
            block_nesting_limit: 255,
            max_directive_bytes: 1024,
            max_reserved_directive_params: 16,
        }
    }
}
