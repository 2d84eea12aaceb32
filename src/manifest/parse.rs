//! Reading one manifest file's YAML into its fields, with the line and column of every value.
//!
//! This walks the event stream of `yaml-rust2` (a pull parser) instead of deserializing into types, for
//! three reasons: every scalar keeps its position and its style (so `"101"` can be told from `101`), every
//! error of the file can be collected instead of stopping at the first, and nothing is ever expanded:
//! anchors and aliases are refused at the first one, so an alias bomb fails fast in bounded memory.
//! Tabs in indentation are found by a pass over the lines before parsing, because the parser's reaction
//! to them is vague or misplaced. Checks that span files (duplicates, `absent` ∧ `protect`, agreement of
//! settings) live in `merge`.

use std::path::Path;
use std::str::Chars;
use std::sync::Arc;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::number::{NumberKind, parse_number, shorten};
use super::{AbsentEntry, Location, ManifestError};
use crate::CustomerId;

/// The top-level keys a manifest file may have, in the order messages list them.
const TOP_KEYS: [&str; 5] = ["version", "store_hash", "max_deletes", "protect", "absent"];
/// The keys an `{id, reason}` entry of `absent` may have.
const ENTRY_KEYS: [&str; 2] = ["id", "reason"];
/// The manifest format version this build reads.
pub(super) const SUPPORTED_VERSION: u32 = 1;

/// What one file says, before the checks that span files.
#[derive(Debug, Default)]
pub(super) struct ParsedFile {
    pub store_hash: Option<(String, Location)>,
    pub max_deletes: Option<(u32, Location)>,
    pub protect: Vec<(CustomerId, Location)>,
    pub absent: Vec<AbsentEntry>,
}

/// Parse `text` (the contents of `file`, already known to be UTF-8 text) and append every problem found
/// to `errors`. The returned fields hold whatever was valid, for the cross-file checks.
pub(super) fn parse_file(
    file: &Arc<Path>,
    text: &str,
    errors: &mut Vec<ManifestError>,
) -> ParsedFile {
    let mut walker = Walker {
        parser: Parser::new_from_str(text),
        file: Arc::clone(file),
        errors,
        text,
        line_starts: None,
        peek_error: None,
        ended: false,
    };
    let mut parsed = ParsedFile::default();
    if walker.tabs_in_indentation() {
        return parsed;
    }
    // `Stop` means a fatal error was recorded (the YAML cannot be read further); what was read so far is kept.
    let _ = walker.document(&mut parsed);
    parsed
}

/// A fatal problem has been recorded; the rest of the file cannot be read.
struct Stop;

type Step<T> = Result<T, Stop>;

struct Walker<'t, 'e> {
    parser: Parser<Chars<'t>>,
    file: Arc<Path>,
    errors: &'e mut Vec<ManifestError>,
    /// The text being parsed, to refine the positions of some errors.
    text: &'t str,
    /// Byte offset of each line's start, built on the first error that needs it.
    line_starts: Option<Vec<usize>>,
    /// An error met while peeking, to be reported by the next `next()`.
    peek_error: Option<ScanError>,
    /// Whether the end of the stream has been read.
    ended: bool,
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
}

impl From<Marker> for Pos {
    /// The parser counts lines from 1 and columns from 0.
    fn from(mark: Marker) -> Self {
        Pos {
            line: mark.line(),
            column: mark.col() + 1,
        }
    }
}

/// Which top-level key a value belongs to.
#[derive(Clone, Copy)]
enum TopKey {
    Version,
    StoreHash,
    MaxDeletes,
    Protect,
    Absent,
}

impl TopKey {
    fn from_name(name: &str) -> Option<(usize, TopKey)> {
        Some(match name {
            "version" => (0, TopKey::Version),
            "store_hash" => (1, TopKey::StoreHash),
            "max_deletes" => (2, TopKey::MaxDeletes),
            "protect" => (3, TopKey::Protect),
            "absent" => (4, TopKey::Absent),
            _ => return None,
        })
    }
}

/// Lines and columns fit in 32 bits (files are capped far below 4 GiB); saturate rather than wrap.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'t> Walker<'t, '_> {
    fn location(&self, pos: impl Into<Pos>) -> Location {
        let pos = pos.into();
        Location {
            file: Arc::clone(&self.file),
            line: to_u32(pos.line),
            column: to_u32(pos.column),
        }
    }

    fn error(&mut self, pos: impl Into<Pos>, message: impl Into<String>) {
        let location = self.location(pos);
        self.errors.push(ManifestError {
            location,
            message: message.into(),
        });
    }

    fn fatal<T>(&mut self, pos: impl Into<Pos>, message: impl Into<String>) -> Step<T> {
        self.error(pos, message);
        Err(Stop)
    }

    /// The text of 1-based line `line` (without its line break), or "" past the end.
    fn line_text(&mut self, line: usize) -> &'t str {
        let text = self.text;
        let starts = self.line_starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let Some(&start) = line.checked_sub(1).and_then(|i| starts.get(i)) else {
            return "";
        };
        let end = starts.get(line).map_or(text.len(), |&next| next - 1);
        text.get(start..end).unwrap_or("").trim_end_matches('\r')
    }

    /// The characters of line `line`, for refining an error position; `None` for a very long line, so
    /// that many errors on one huge line cannot make loading quadratic.
    fn line_chars(&mut self, line: usize) -> Option<Vec<char>> {
        const MAX_LINE_BYTES: usize = 4096;
        let text = self.line_text(line);
        (text.len() <= MAX_LINE_BYTES).then(|| text.chars().collect())
    }

    /// Report every line indented with a tab; return whether there was one. YAML forbids tabs in
    /// indentation, and the parser's own reaction to them ranges from a vague message on the wrong line to
    /// silently reading a different structure, so they are found before parsing. (A tab that is content
    /// of a multi-line string right after its indentation is reported too: an accepted limitation.)
    fn tabs_in_indentation(&mut self) -> bool {
        let mut found = false;
        for (index, line) in self.text.split('\n').enumerate() {
            let content = line.trim_start_matches([' ', '\t']);
            let indentation = &line[..line.len() - content.len()];
            let content = content.trim_end_matches('\r');
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if let Some(column) = indentation.find('\t') {
                found = true;
                self.error(
                    Pos {
                        line: index + 1,
                        column: column + 1,
                    },
                    "tab character in indentation: YAML allows spaces only",
                );
            }
        }
        found
    }

    /// The parser marks an anchored or tagged node where its content starts; point at the `&` or `!`
    /// before it instead (on the same line, or at the end of the line above).
    fn back_to(&mut self, mark: Marker, indicator: char) -> Pos {
        let pos = Pos::from(mark);
        let line = self.line_chars(pos.line).unwrap_or_default();
        if let Some(mut index) = line
            .iter()
            .take(pos.column - 1)
            .rposition(|&c| c == indicator)
        {
            // `!!str`: the tag starts at the first `!` of the run.
            while index > 0 && line[index - 1] == indicator {
                index -= 1;
            }
            return Pos {
                line: pos.line,
                column: index + 1,
            };
        }
        if pos.line > 1 {
            let above = self.line_chars(pos.line - 1).unwrap_or_default();
            if let Some(index) = above.iter().rposition(|&c| c == indicator) {
                return Pos {
                    line: pos.line - 1,
                    column: index + 1,
                };
            }
        }
        pos
    }

    /// Where to report a list item that is empty (a `-` with nothing after it). The parser marks such an
    /// item where the next token starts, so look back for the line holding only the `-`.
    fn empty_item_pos(&mut self, mark: Marker) -> Pos {
        const LOOK_BACK_LINES: usize = 50;
        let mut line = mark.line();
        while line > 1 && mark.line() - line < LOOK_BACK_LINES {
            line -= 1;
            let text = self.line_text(line);
            let content = text.trim_start_matches(' ');
            if let Some(rest) = content.strip_prefix('-') {
                let rest = rest.trim_start_matches([' ', '\t']);
                if rest.is_empty() || rest.starts_with('#') {
                    return Pos {
                        line,
                        column: text.len() - content.len() + 1,
                    };
                }
            }
        }
        mark.into()
    }

    /// Position of a parser error; for one that may be about a tab, the tab itself on the reported line.
    fn parser_error_pos(&mut self, mark: Marker, info: &str) -> Pos {
        let pos = Pos::from(mark);
        let tab_named = info.contains("tab");
        if !tab_named && !info.contains("followed by a valid YAML whitespace") {
            return pos;
        }
        let line = self.line_chars(pos.line).unwrap_or_default();
        let before = line
            .iter()
            .take(pos.column)
            .rposition(|&c| c == '\t')
            .or_else(|| line.iter().position(|&c| c == '\t').filter(|_| tab_named));
        match before {
            Some(index) => Pos {
                line: pos.line,
                column: index + 1,
            },
            None => pos,
        }
    }

    /// The next event. Parser errors, anchors and aliases are fatal; explicit tags are reported and
    /// the value is read as written.
    fn next(&mut self) -> Step<(Event, Marker)> {
        // The parser must not be called again after an error (its state is then undefined), nor after
        // the end of the stream: either would loop forever.
        let next = match self.peek_error.take() {
            Some(error) => Err(error),
            None if self.ended => return Err(Stop),
            None => self.parser.next_token(),
        };
        let (event, mark) = match next {
            Ok(next) => next,
            Err(error) => {
                let message = plain_words(error.info());
                let pos = self.parser_error_pos(*error.marker(), error.info());
                return self.fatal(pos, message);
            }
        };
        let (anchor, tag) = match &event {
            Event::StreamEnd => {
                self.ended = true;
                (0, None)
            }
            Event::Alias(_) => {
                return self.fatal(
                    mark,
                    "YAML aliases (`*name`) are not allowed in a manifest: write every customer ID \
                     out, so the file reads the same to a reviewer as to bcprune",
                );
            }
            Event::Scalar(_, _, anchor, tag)
            | Event::SequenceStart(anchor, tag)
            | Event::MappingStart(anchor, tag) => (*anchor, tag.as_ref()),
            _ => (0, None),
        };
        if anchor != 0 {
            let pos = self.back_to(mark, '&');
            return self.fatal(
                pos,
                "YAML anchors (`&name`) are not allowed in a manifest: write every customer ID out, \
                 so the file reads the same to a reviewer as to bcprune",
            );
        }
        if let Some(tag) = tag {
            let message = format!(
                "explicit YAML tags like `{}` are not allowed in a manifest; remove the tag",
                tag_text(tag)
            );
            let pos = self.back_to(mark, '!');
            self.error(pos, message);
        }
        Ok((event, mark))
    }

    /// Consume the rest of a node whose first event is `first` (nothing more for a scalar).
    fn skip(&mut self, first: &Event) -> Step<()> {
        let mut depth: usize = match first {
            Event::MappingStart(..) | Event::SequenceStart(..) => 1,
            _ => return Ok(()),
        };
        while depth > 0 {
            match self.next()?.0 {
                Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                Event::MappingEnd | Event::SequenceEnd => depth -= 1,
                Event::StreamEnd => return Ok(()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Skip the value that follows a key that is being ignored.
    fn skip_value(&mut self) -> Step<()> {
        let (value, _) = self.next()?;
        self.skip(&value)
    }

    /// Where a mapping starts as a reader sees it. For a block mapping the parser marks the first `:`,
    /// so the first key's position is used instead.
    fn mapping_start(&mut self, mark: Marker) -> Marker {
        match self.parser.peek() {
            Ok((Event::Scalar(..) | Event::MappingStart(..) | Event::SequenceStart(..), key))
                if key.index() < mark.index() =>
            {
                *key
            }
            Ok(_) => mark,
            Err(error) => {
                // Keep the error for the next `next()`: peeking again would re-enter a failed parser.
                self.peek_error = Some(error);
                mark
            }
        }
    }

    fn document(&mut self, parsed: &mut ParsedFile) -> Step<()> {
        let (_stream_start, start) = self.next()?;
        let (event, mark) = self.next()?;
        match event {
            Event::DocumentStart => {}
            Event::StreamEnd => {
                return self.fatal(
                    start,
                    "the manifest file is empty (no YAML content): it needs at least `version: 1` \
                     and an `absent:` list",
                );
            }
            _ => return self.fatal(mark, "unexpected YAML content before the document"),
        }
        let (root, root_mark) = self.next()?;
        match root {
            Event::MappingStart(..) => {
                let start = self.mapping_start(root_mark);
                self.top_mapping(start, parsed)?;
            }
            Event::SequenceStart(..) => {
                self.error(
                    root_mark,
                    "the file is a YAML list, but a manifest is a mapping of keys: `version: 1`, \
                     `absent:` (a list of customer IDs) and optionally `protect`, `max_deletes`, \
                     `store_hash`",
                );
                self.skip(&root)?;
            }
            Event::Scalar(text, style, ..) => {
                if text.is_empty() && style == TScalarStyle::Plain {
                    self.error(
                        root_mark,
                        "the YAML document is empty: a manifest needs at least `version: 1` and an \
                         `absent:` list",
                    );
                } else {
                    self.error(
                        root_mark,
                        format!(
                            "the file is a single value (`{}`), but a manifest is a mapping of keys: \
                             `version: 1`, `absent:` and optionally `protect`, `max_deletes`, \
                             `store_hash`",
                            shorten(&text)
                        ),
                    );
                }
            }
            _ => {
                return self.fatal(
                    root_mark,
                    "unexpected YAML structure at the start of the document",
                );
            }
        }
        let _document_end = self.next()?;
        let (event, mark) = self.next()?;
        if let Event::DocumentStart = event {
            self.error(
                mark,
                "a second YAML document starts here: a manifest file holds exactly one document; \
                 put each manifest in its own file (a directory of files is merged)",
            );
        }
        Ok(())
    }

    /// Read a mapping key. Returns `None` (after reporting it and skipping key and value) when the key
    /// is not a scalar.
    fn key(&mut self, event: Event, mark: Marker) -> Step<Option<String>> {
        match event {
            Event::Scalar(text, ..) => Ok(Some(text)),
            other => {
                self.error(
                    mark,
                    "a key must be a plain name such as `absent`, not a list or mapping",
                );
                self.skip(&other)?;
                self.skip_value()?;
                Ok(None)
            }
        }
    }

    fn top_mapping(&mut self, start: Marker, parsed: &mut ParsedFile) -> Step<()> {
        let mut seen: [Option<Location>; 5] = Default::default();
        loop {
            let (event, key_mark) = self.next()?;
            if let Event::MappingEnd = event {
                break;
            }
            let Some(name) = self.key(event, key_mark)? else {
                continue;
            };
            let Some((slot, key)) = TopKey::from_name(&name) else {
                let message = unknown_key(&name, &TOP_KEYS, "at the top level of a manifest");
                self.error(key_mark, message);
                self.skip_value()?;
                continue;
            };
            if let Some(first) = &seen[slot] {
                let message = format!("duplicate key `{name}`: it is already set at {first}");
                self.error(key_mark, message);
                self.skip_value()?;
                continue;
            }
            seen[slot] = Some(self.location(key_mark));
            let (value, value_mark) = self.next()?;
            match key {
                TopKey::Version => self.version(value, value_mark, key_mark)?,
                TopKey::StoreHash => self.store_hash(value, value_mark, key_mark, parsed)?,
                TopKey::MaxDeletes => self.max_deletes(value, value_mark, key_mark, parsed)?,
                TopKey::Protect => self.protect(value, value_mark, key_mark, parsed)?,
                TopKey::Absent => self.absent(value, value_mark, key_mark, parsed)?,
            }
        }
        if seen[0].is_none() {
            self.error(
                start,
                format!("missing required key `version`: add `version: {SUPPORTED_VERSION}`"),
            );
        }
        if seen[4].is_none() {
            self.error(
                start,
                "missing required key `absent`: the list of customer IDs that must not exist \
                 (write `absent: []` for none)",
            );
        }
        Ok(())
    }

    /// Where to report a problem with a value: the value itself, or its key when the value is empty
    /// (an empty value is marked wherever the next token happens to be).
    fn value_mark(event: &Event, value_mark: Marker, key_mark: Marker) -> Marker {
        match event {
            Event::Scalar(text, TScalarStyle::Plain, ..) if text.is_empty() => key_mark,
            Event::Scalar(..) | Event::SequenceStart(..) => value_mark,
            _ => key_mark,
        }
    }

    fn version(&mut self, value: Event, value_mark: Marker, key_mark: Marker) -> Step<()> {
        let mark = Self::value_mark(&value, value_mark, key_mark);
        match value {
            Event::Scalar(text, style, ..) => {
                match parse_number(&text, style, NumberKind::Version) {
                    Ok(SUPPORTED_VERSION) => {}
                    Ok(other) => self.error(
                        mark,
                        format!(
                            "unsupported manifest version {other}: this bcprune reads version \
                             {SUPPORTED_VERSION} only"
                        ),
                    ),
                    Err(message) => self.error(mark, message),
                }
                Ok(())
            }
            other => {
                self.error(
                    mark,
                    format!(
                        "version must be the number {SUPPORTED_VERSION}, not a list or mapping"
                    ),
                );
                self.skip(&other)
            }
        }
    }

    fn store_hash(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        parsed: &mut ParsedFile,
    ) -> Step<()> {
        let mark = Self::value_mark(&value, value_mark, key_mark);
        match value {
            Event::Scalar(text, style, ..) => {
                if style == TScalarStyle::Plain && (text.is_empty() || is_null_word(&text)) {
                    self.error(
                        mark,
                        "store_hash is empty: give the store hash (as in \
                         https://api.bigcommerce.com/stores/STORE_HASH/) or remove the key",
                    );
                } else if style == TScalarStyle::Plain && is_bool_word(&text) {
                    self.error(
                        mark,
                        format!("store_hash `{text}` is a boolean, not a store hash"),
                    );
                } else if text.is_empty() {
                    self.error(
                        mark,
                        "store_hash is an empty string: give the store hash or remove the key",
                    );
                } else if !text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    self.error(
                        mark,
                        format!(
                            "store_hash `{}` is not a store hash: it may contain only letters, digits, \
                             `-` and `_` (the part after /stores/ in the API URL)",
                            shorten(&text)
                        ),
                    );
                } else {
                    parsed.store_hash = Some((text, self.location(mark)));
                }
                Ok(())
            }
            other => {
                self.error(mark, "store_hash must be text, not a list or mapping");
                self.skip(&other)
            }
        }
    }

    fn max_deletes(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        parsed: &mut ParsedFile,
    ) -> Step<()> {
        let mark = Self::value_mark(&value, value_mark, key_mark);
        match value {
            Event::Scalar(text, style, ..) => {
                match parse_number(&text, style, NumberKind::MaxDeletes) {
                    Ok(limit) => parsed.max_deletes = Some((limit, self.location(mark))),
                    Err(message) => self.error(mark, message),
                }
                Ok(())
            }
            other => {
                self.error(
                    mark,
                    "max_deletes must be a whole number (0 to 4294967295), not a list or mapping",
                );
                self.skip(&other)
            }
        }
    }

    /// Where a scalar list item is: its own mark, unless it is empty.
    fn item_pos(&mut self, text: &str, style: TScalarStyle, mark: Marker) -> Pos {
        if text.is_empty() && style == TScalarStyle::Plain {
            self.empty_item_pos(mark)
        } else {
            mark.into()
        }
    }

    /// Report that `key`'s value is not a list; skip it.
    fn not_a_list(&mut self, key: &str, value: Event, mark: Marker, example: &str) -> Step<()> {
        let what = match &value {
            Event::Scalar(text, TScalarStyle::Plain, ..)
                if text.is_empty() || is_null_word(text) =>
            {
                "has no value (null)".to_owned()
            }
            Event::Scalar(text, ..) => format!("is the single value `{}`", shorten(text)),
            Event::MappingStart(..) => "is a mapping".to_owned(),
            _ => "is not a list".to_owned(),
        };
        self.error(
            mark,
            format!("`{key}` {what}, but it must be a list of customer IDs, e.g. {example}"),
        );
        self.skip(&value)
    }

    fn protect(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        parsed: &mut ParsedFile,
    ) -> Step<()> {
        if !matches!(value, Event::SequenceStart(..)) {
            let mark = Self::value_mark(&value, value_mark, key_mark);
            return self.not_a_list(
                "protect",
                value,
                mark,
                "`protect: [1, 2]` (or `protect: []`)",
            );
        }
        loop {
            let (item, mark) = self.next()?;
            match item {
                Event::SequenceEnd => return Ok(()),
                Event::Scalar(text, style, ..) => {
                    match parse_number(&text, style, NumberKind::CustomerId) {
                        Ok(id) => parsed.protect.push((id, self.location(mark))),
                        Err(message) => {
                            let pos = self.item_pos(&text, style, mark);
                            self.error(pos, message);
                        }
                    }
                }
                other => {
                    let mark = match other {
                        Event::MappingStart(..) => self.mapping_start(mark),
                        _ => mark,
                    };
                    self.error(
                        mark,
                        "a `protect` entry must be a bare customer ID such as `- 42` (no `reason:`, \
                         no nested list)",
                    );
                    self.skip(&other)?;
                }
            }
        }
    }

    fn absent(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        parsed: &mut ParsedFile,
    ) -> Step<()> {
        if !matches!(value, Event::SequenceStart(..)) {
            let mark = Self::value_mark(&value, value_mark, key_mark);
            return self.not_a_list(
                "absent",
                value,
                mark,
                "`- 101` or `- id: 101` with `reason: ...` on the next line (or `absent: []`)",
            );
        }
        loop {
            let (item, mark) = self.next()?;
            match item {
                Event::SequenceEnd => return Ok(()),
                Event::Scalar(text, style, ..) => {
                    match parse_number(&text, style, NumberKind::CustomerId) {
                        Ok(id) => parsed.absent.push(AbsentEntry {
                            id,
                            reason: None,
                            location: self.location(mark),
                        }),
                        Err(message) => {
                            let pos = self.item_pos(&text, style, mark);
                            self.error(pos, message);
                        }
                    }
                }
                Event::MappingStart(..) => {
                    let start = self.mapping_start(mark);
                    self.absent_entry(start, parsed)?;
                }
                other => {
                    self.error(
                        mark,
                        "an `absent` entry must be a customer ID (`- 101`) or a mapping with `id` \
                         and `reason`, not a nested list",
                    );
                    self.skip(&other)?;
                }
            }
        }
    }

    /// An `{id, reason}` entry; its `MappingStart` has been read.
    fn absent_entry(&mut self, start: Marker, parsed: &mut ParsedFile) -> Step<()> {
        let mut id_key: Option<Location> = None;
        let mut reason_key: Option<Location> = None;
        let mut id: Option<(CustomerId, Location)> = None;
        let mut reason: Option<String> = None;
        loop {
            let (event, key_mark) = self.next()?;
            if let Event::MappingEnd = event {
                break;
            }
            let Some(name) = self.key(event, key_mark)? else {
                continue;
            };
            let seen = match name.as_str() {
                "id" => &mut id_key,
                "reason" => &mut reason_key,
                _ => {
                    let message = unknown_key(&name, &ENTRY_KEYS, "in an `absent` entry");
                    self.error(key_mark, message);
                    self.skip_value()?;
                    continue;
                }
            };
            if let Some(first) = seen {
                let message = format!("duplicate key `{name}`: it is already set at {first}");
                self.error(key_mark, message);
                self.skip_value()?;
                continue;
            }
            *seen = Some(self.location(key_mark));
            let (value, value_mark) = self.next()?;
            let mark = Self::value_mark(&value, value_mark, key_mark);
            match (name.as_str(), value) {
                ("id", Event::Scalar(text, style, ..)) => {
                    match parse_number(&text, style, NumberKind::CustomerId) {
                        Ok(value) => id = Some((value, self.location(mark))),
                        Err(message) => self.error(mark, message),
                    }
                }
                ("id", other) => {
                    self.error(
                        mark,
                        "`id` must be a single customer ID, not a list or mapping",
                    );
                    self.skip(&other)?;
                }
                (_, Event::Scalar(text, style, ..)) => {
                    let null = style == TScalarStyle::Plain && is_null_word(&text);
                    if null || text.trim().is_empty() {
                        self.error(
                            mark,
                            "`reason` is empty: say why this customer must be deleted, or remove \
                             the key",
                        );
                    } else {
                        reason = Some(text);
                    }
                }
                (_, other) => {
                    self.error(mark, "`reason` must be text, not a list or mapping");
                    self.skip(&other)?;
                }
            }
        }
        if id_key.is_none() {
            self.error(
                start,
                "this `absent` entry has no `id`: write `- id: 101` (with an optional `reason:`) \
                 or just `- 101`",
            );
        }
        if let Some((id, location)) = id {
            parsed.absent.push(AbsentEntry {
                id,
                reason: reason.map(String::into_boxed_str),
                location,
            });
        }
        Ok(())
    }
}

fn is_null_word(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn is_bool_word(text: &str) -> bool {
    matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}

fn tag_text(tag: &Tag) -> String {
    if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// The message for an unknown key, with a suggestion when it looks like a typo of a known one.
fn unknown_key(name: &str, known: &[&str], place: &str) -> String {
    let shown = shorten(name);
    let suggestion = known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance);
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match suggestion {
        Some((_, candidate)) => {
            format!("unknown key `{shown}` {place}: did you mean `{candidate}`? (allowed: {list})")
        }
        None => format!("unknown key `{shown}` {place} (allowed: {list})"),
    }
}

/// Optimal string alignment distance (Levenshtein plus adjacent transposition), for typo suggestions.
/// Long inputs are not compared (they are not typos of short key names).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > 32 || b.len() > 32 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Turn a parser error message into plain words.
fn plain_words(info: &str) -> String {
    if info.contains("tab") {
        "tab character here: YAML allows only spaces in this position".to_owned()
    } else if info == "':' must be followed by a valid YAML whitespace" {
        "`:` must be followed by a space".to_owned()
    } else if info.contains("mapping values are not allowed") {
        "unexpected `:` here: check the indentation of this line, or quote the text if the `:` \
         belongs to a value"
            .to_owned()
    } else if info.contains("did not find expected key") {
        "this line does not fit the structure above it: check its indentation (keys of one \
         mapping line up in the same column)"
            .to_owned()
    } else if info.contains("did not find expected '-' indicator") {
        "expected a list item (`- ...`) at this indentation: check the indentation of this line"
            .to_owned()
    } else if info.contains("expected ',' or ']'") {
        "unclosed or malformed flow list: expected `,` or `]`".to_owned()
    } else if info.contains("expected ',' or '}'") {
        "unclosed or malformed flow mapping: expected `,` or `}`".to_owned()
    } else if info.contains("unexpected end of stream") || info == "unexpected eof" {
        "the file ends in the middle of a value (an unclosed quote or bracket?)".to_owned()
    } else if info.contains("invalid indentation") || info.contains("wrongly indented") {
        "invalid indentation: check that this line lines up with its siblings".to_owned()
    } else if info.contains("simple key expect") || info.contains("could not find expected ':'") {
        "expected `:` after a key (a key and its value are written `key: value`)".to_owned()
    } else if info.contains("found unknown anchor") {
        "YAML aliases (`*name`) are not allowed in a manifest (and this one refers to no anchor)"
            .to_owned()
    } else if info.contains("recursion limit") {
        "the YAML is nested too deeply".to_owned()
    } else if info.contains("did not find expected node content") {
        "expected a value here".to_owned()
    } else {
        format!("invalid YAML: {info}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_catches_typos_of_key_names() {
        assert_eq!(edit_distance("absnet", "absent"), 1);
        assert_eq!(edit_distance("protec", "protect"), 1);
        assert_eq!(edit_distance("versoin", "version"), 1);
        assert!(edit_distance("customers", "absent") > 2);
    }

    #[test]
    fn unknown_key_suggests_the_closest_known_key() {
        let message = unknown_key("absnet", &TOP_KEYS, "at the top level of a manifest");
        assert!(message.contains("did you mean `absent`?"), "{message}");
        let message = unknown_key("customers", &TOP_KEYS, "at the top level of a manifest");
        assert!(!message.contains("did you mean"), "{message}");
    }
}
