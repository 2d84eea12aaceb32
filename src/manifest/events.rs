//! The event reader under the manifest grammar: pulls `yaml-rust2` events one at a time, with the line
//! and column of each, and turns what the grammar must never see into errors.
//!
//! Parser errors, anchors and aliases are fatal (nothing is ever expanded, so an alias bomb fails fast in
//! bounded memory); explicit tags are reported and the value read as written. Tabs in indentation are
//! found by a pass over the lines before parsing, because the parser's reaction to them is vague or
//! misplaced. Positions the parser gets wrong for a reader (anchors, tags, empty list items, block
//! mappings) are refined here from the text, so the grammar (`grammar`) only decides what a value means.

use std::path::Path;
use std::str::Chars;
use std::sync::Arc;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError};

use super::{Location, ManifestError};

/// A fatal problem has been recorded; the rest of the file cannot be read.
pub(super) struct Stop;

/// The result of reading part of a file: `Err(Stop)` once the YAML cannot be read further.
pub(super) type Step<T> = Result<T, Stop>;

/// Reads one file's events (from any source of characters `I`) and collects its errors.
pub(super) struct Walker<'t, 'e, I> {
    parser: Parser<I>,
    file: Arc<Path>,
    errors: &'e mut Vec<ManifestError>,
    /// The text being parsed, to refine the positions of some errors.
    text: TextSource<'t>,
    /// An error met while peeking, to be reported by the next `next()`.
    peek_error: Option<ScanError>,
    /// Whether the end of the stream has been read.
    ended: bool,
}

/// The file's text for the rare questions the events cannot answer (where exactly an error is, whether
/// a quoted key holds an escape): the text being parsed when it is held in memory, or else the file read
/// again on the first such question, so a streamed manifest is held in memory only when it needs it.
struct TextSource<'t> {
    held: Option<&'t str>,
    path: Arc<Path>,
    loaded: Option<String>,
    /// Byte offset of each line's start, built on the first question that needs it.
    line_starts: Option<Vec<usize>>,
    /// A (character index, byte offset) pair seen last, so that turning the parser's character indices
    /// into byte offsets stays linear over a file.
    cursor: (usize, usize),
}

impl TextSource<'_> {
    fn text(&mut self) -> &str {
        if let Some(text) = self.held {
            return text;
        }
        self.loaded
            .get_or_insert_with(|| super::source::read_text(&self.path).unwrap_or_default())
    }
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    pub line: usize,
    pub column: usize,
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

/// Lines and columns fit in 32 bits (files are capped far below 4 GiB); saturate rather than wrap.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'t, 'e> Walker<'t, 'e, Chars<'t>> {
    /// A walker over `text`, held in memory: the contents of `file`.
    pub(super) fn new(file: &Arc<Path>, text: &'t str, errors: &'e mut Vec<ManifestError>) -> Self {
        Walker::with_parser(file, Parser::new_from_str(text), Some(text), errors)
    }
}

impl<'e, I: Iterator<Item = char>> Walker<'static, 'e, I> {
    /// A walker over the characters of `file` as they are read, already checked to be text without
    /// tabs in indentation.
    pub(super) fn streaming(
        file: &Arc<Path>,
        chars: I,
        errors: &'e mut Vec<ManifestError>,
    ) -> Self {
        Walker::with_parser(file, Parser::new(chars), None, errors)
    }
}

impl<'t, 'e, I: Iterator<Item = char>> Walker<'t, 'e, I> {
    fn with_parser(
        file: &Arc<Path>,
        parser: Parser<I>,
        held: Option<&'t str>,
        errors: &'e mut Vec<ManifestError>,
    ) -> Self {
        Walker {
            parser,
            file: Arc::clone(file),
            errors,
            text: TextSource {
                held,
                path: Arc::clone(file),
                loaded: None,
                line_starts: None,
                cursor: (0, 0),
            },
            peek_error: None,
            ended: false,
        }
    }
}

impl<I: Iterator<Item = char>> Walker<'_, '_, I> {
    pub(super) fn location(&self, pos: impl Into<Pos>) -> Location {
        let pos = pos.into();
        Location {
            file: Arc::clone(&self.file),
            line: to_u32(pos.line),
            column: to_u32(pos.column),
        }
    }

    pub(super) fn error(&mut self, pos: impl Into<Pos>, message: impl Into<String>) {
        let location = self.location(pos);
        self.errors.push(ManifestError {
            location,
            message: message.into(),
        });
    }

    pub(super) fn fatal<T>(&mut self, pos: impl Into<Pos>, message: impl Into<String>) -> Step<T> {
        self.error(pos, message);
        Err(Stop)
    }

    /// The text of 1-based line `line` (without its line break), or "" past the end.
    pub(super) fn line_text(&mut self, line: usize) -> &str {
        self.text.text();
        let source = &mut self.text;
        let text = source.held.or(source.loaded.as_deref()).unwrap_or("");
        let starts = source.line_starts.get_or_insert_with(|| {
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
    pub(super) fn tabs_in_indentation(&mut self) -> bool {
        // A streamed file was checked while it was read (`source::StreamChars`).
        let Some(text) = self.text.held else {
            return false;
        };
        let mut found = false;
        for (index, line) in text.split('\n').enumerate() {
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
    pub(super) fn empty_item_pos(&mut self, mark: Marker) -> Pos {
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
    pub(super) fn next(&mut self) -> Step<(Event, Marker)> {
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
    pub(super) fn skip(&mut self, first: &Event) -> Step<()> {
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
    pub(super) fn skip_value(&mut self) -> Step<()> {
        let (value, _) = self.next()?;
        self.skip(&value)
    }

    /// Whether the double-quoted scalar that starts at `mark` (its opening `"`) is written with a
    /// backslash escape, so that what it reads as differs from what a reviewer sees.
    pub(super) fn has_escape(&mut self, mark: Marker) -> bool {
        let index = mark.index();
        self.text.text();
        let source = &mut self.text;
        let text = source.held.or(source.loaded.as_deref()).unwrap_or("");
        // Walk from the last position asked for, so asking in file order stays linear.
        let (mut chars, mut bytes) = source.cursor;
        if index < chars {
            (chars, bytes) = (0, 0);
        }
        for c in text[bytes..].chars() {
            if chars == index {
                break;
            }
            chars += 1;
            bytes += c.len_utf8();
        }
        source.cursor = (chars, bytes);
        let Some(rest) = text[bytes..].strip_prefix('"') else {
            return false;
        };
        let end = rest.find('"').unwrap_or(rest.len());
        rest[..end].contains('\\')
    }

    /// Where a mapping starts as a reader sees it. For a block mapping the parser marks the first `:`,
    /// so the first key's position is used instead.
    pub(super) fn mapping_start(&mut self, mark: Marker) -> Marker {
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
}

fn tag_text(tag: &Tag) -> String {
    if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
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
