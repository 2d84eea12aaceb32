//! Finding and reading the manifest files: one file, or every `*.yaml` / `*.yml` of a directory tree
//! sorted by relative path; and making sure each is plain UTF-8 text before the YAML parser sees it.
//!
//! A directory is read recursively, so a request filed as `customers/2026/11/x.yaml` is never silently
//! left out; the extension matches in any case (`X.YAML`); hidden files and directories (`.git`,
//! `.draft.yaml`) are skipped, as a shell glob skips them. Nothing bcprune writes ends in `.yaml` (state,
//! audit log, lock and saved plans are JSON), so its own files are never read as manifests.
//!
//! Only regular files are read (a symlink to one is fine): a FIFO, socket or device named `x.yaml` is
//! refused by its metadata before it is opened, and opened without blocking, so a FIFO can never hang
//! `validate`, `plan` or `apply`. Each file is capped at [`MAX_FILE_BYTES`].
//!
//! A file is read twice at most: first streamed into the parser in 64 KiB chunks ([`StreamChars`], with
//! the text checks and the hash made on the fly), so a valid 57 MB manifest is never held in memory as
//! text; if anything at all is wrong with it, it is then read whole and checked as before, so every
//! error keeps its exact message and position.
//!
//! The text checks live here, not in the parser, because the parser silently treats a NUL character as
//! the end of the input (a binary file would be read as a truncated manifest) and reports invalid UTF-8
//! without a position. Bidirectional controls are refused with the other control characters: they make
//! a line display in another order than it is read ("Trojan Source"), so a reviewer could approve IDs
//! other than those bcprune reads.

use std::cell::RefCell;
use std::fs;
use std::io::{self, Read};
use std::rc::Rc;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Location, ManifestError};
use crate::text::is_bidi_control;

/// A manifest file larger than this is refused rather than read into memory. A million customer IDs,
/// each with its own reason, take about 57 MiB.
pub(super) const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One manifest file to read.
#[derive(Debug, Clone)]
pub(super) struct SourceFile {
    /// The path to show to the user: the manifest path joined with `relative`.
    pub path: PathBuf,
    /// The path below the manifest directory (the file name for a single file); files are sorted by
    /// it and it is hashed, so the same tree checked out elsewhere hashes the same.
    pub relative: PathBuf,
}

/// An error about a path as a whole (no line or column applies).
pub(super) fn path_error(path: &Path, message: impl Into<String>) -> ManifestError {
    ManifestError {
        location: Location {
            file: Arc::from(path),
            line: 0,
            column: 0,
        },
        message: message.into(),
    }
}

fn io_words(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

/// The files a manifest path stands for. A file stands for itself; a directory for every regular
/// `*.yaml` / `*.yml` file (any case) below it, skipping hidden entries, sorted by relative path in byte
/// order. Symlinks to files are followed; a symlink to a directory is refused (it could loop, and
/// skipping it would silently leave its requests out).
///
/// Every file that cannot be read this way is reported (not only the first).
pub(super) fn list_files(path: &Path) -> Result<Vec<SourceFile>, Vec<ManifestError>> {
    let metadata = fs::metadata(path).map_err(|e| {
        vec![path_error(
            path,
            format!("cannot read the manifest: {}", io_words(&e)),
        )]
    })?;
    if !metadata.is_dir() {
        check_regular(path, &metadata).map_err(|e| vec![e])?;
        let relative = path
            .file_name()
            .map_or_else(|| path.to_path_buf(), PathBuf::from);
        let file = SourceFile {
            path: path.to_path_buf(),
            relative,
        };
        return check_named(&file).map(|()| vec![file]).map_err(|e| vec![e]);
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut directories = vec![PathBuf::new()];
    while let Some(relative_dir) = directories.pop() {
        let dir = if relative_dir.as_os_str().is_empty() {
            path.to_path_buf()
        } else {
            path.join(&relative_dir)
        };
        let cannot = |e: io::Error| {
            path_error(
                &dir,
                format!("cannot list the manifest directory: {}", io_words(&e)),
            )
        };
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                errors.push(cannot(error));
                continue;
            }
        };
        for entry in entries {
            match entry.and_then(|entry| Ok((entry.file_name(), entry.file_type()?))) {
                Ok((name, file_type)) => match source_file(path, &relative_dir, &name, file_type) {
                    Ok(Some(Listed::File(file))) => files.push(file),
                    Ok(Some(Listed::Directory(relative))) => directories.push(relative),
                    Ok(None) => {}
                    Err(error) => errors.push(error),
                },
                Err(error) => errors.push(cannot(error)),
            }
        }
    }
    errors.extend(files.iter().filter_map(|file| check_named(file).err()));
    if !errors.is_empty() {
        return Err(errors);
    }
    files.sort_by(|a, b| {
        a.relative
            .as_os_str()
            .as_encoded_bytes()
            .cmp(b.relative.as_os_str().as_encoded_bytes())
    });
    if files.is_empty() {
        return Err(vec![path_error(
            path,
            "the manifest directory has no *.yaml or *.yml files: add a manifest file, or pass a file",
        )]);
    }
    Ok(files)
}

/// What a directory entry is to the manifest.
enum Listed {
    File(SourceFile),
    Directory(PathBuf),
}

/// Decide about entry `name` of directory `relative_dir` (below the manifest directory `root`):
/// skipped (`None`), a directory to read, a manifest file, or an error (not a regular file, a link to a
/// directory, unreadable).
fn source_file(
    root: &Path,
    relative_dir: &Path,
    name: &std::ffi::OsStr,
    file_type: fs::FileType,
) -> Result<Option<Listed>, ManifestError> {
    if is_hidden(name) {
        return Ok(None);
    }
    let relative = relative_dir.join(name);
    if file_type.is_dir() {
        return Ok(Some(Listed::Directory(relative)));
    }
    let file = root.join(&relative);
    let linked_dir = file_type.is_symlink() && fs::metadata(&file).is_ok_and(|m| m.is_dir());
    if !linked_dir && !is_yaml_name(name.as_encoded_bytes()) {
        return Ok(None);
    }
    // Follow a symlink: a linked manifest file counts; its target must be a regular file.
    let metadata = fs::metadata(&file).map_err(|e| {
        path_error(
            &file,
            format!("cannot read the manifest file: {}", io_words(&e)),
        )
    })?;
    if metadata.is_dir() {
        return Err(path_error(
            &file,
            "is a symbolic link to a directory: bcprune does not follow directory links in a \
             manifest; move the files into the manifest directory",
        ));
    }
    check_regular(&file, &metadata)?;
    Ok(Some(Listed::File(SourceFile {
        path: file,
        relative,
    })))
}

/// A manifest file whose name, or a directory on its way below the manifest directory, holds an email
/// address is refused, as a reason that holds one is: a path lives in git history, which cannot be erased
/// (and every message, plan and report would carry it).
fn check_named(file: &SourceFile) -> Result<(), ManifestError> {
    if super::reason::contains_email(&file.relative.to_string_lossy()) {
        return Err(path_error(
            &file.path,
            "the manifest file's path names an email address: a path lives in git history, which \
             cannot be erased; name the file by its request instead (e.g. `requests/2026-0042.yaml`)",
        ));
    }
    Ok(())
}

/// A hidden entry (`.git`, `.draft.yaml`): never read, as a shell glob skips it.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// Why loading a manifest directory would not read a file ([`crate::manifest::check_read_path`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRead {
    /// A component of the path (this name) starts with a dot.
    #[error(
        "`{0}` is hidden (it starts with a dot), and a manifest directory skips hidden files \
         and directories"
    )]
    Hidden(String),
    /// The file name (this one) does not end in `.yaml` or `.yml`.
    #[error("`{0}` does not end in .yaml or .yml, and a manifest directory reads only those")]
    NotYaml(String),
    /// The path (this one) names an email address, which the loader refuses.
    #[error(
        "`{0}` names an email address, and a manifest's path lives in git history, which cannot be \
         erased; name the file by its request instead"
    )]
    Address(String),
}

/// Whether loading a manifest directory reads the file at `relative` below it — the rule
/// [`list_files`] applies, for those who write files into a manifest directory (`import --into`): no
/// component hidden (`.` and `..` are not names), and a `*.yaml` / `*.yml` name. Says why not.
pub(super) fn check_read_path(relative: &Path) -> Result<(), NotRead> {
    for component in relative.components() {
        if let std::path::Component::Normal(name) = component
            && is_hidden(name)
        {
            return Err(NotRead::Hidden(name.to_string_lossy().into_owned()));
        }
    }
    let name = relative.file_name().unwrap_or_default();
    if !is_yaml_name(name.as_encoded_bytes()) {
        return Err(NotRead::NotYaml(name.to_string_lossy().into_owned()));
    }
    if super::reason::contains_email(&relative.to_string_lossy()) {
        return Err(NotRead::Address(relative.to_string_lossy().into_owned()));
    }
    Ok(())
}

/// `*.yaml` or `*.yml`, in any case.
fn is_yaml_name(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(b".yaml") || lower.ends_with(b".yml")
}

/// Refuse anything but a regular file, naming what it is.
fn check_regular(path: &Path, metadata: &fs::Metadata) -> Result<(), ManifestError> {
    if metadata.is_file() {
        return Ok(());
    }
    let what = crate::fsio::file_kind(metadata);
    Err(path_error(
        path,
        format!(
            "is {what}, not a regular file: a manifest must be a regular file (bcprune does not read \
             from pipes or devices)"
        ),
    ))
}

/// Read a whole regular file, refusing any other kind and one larger than [`MAX_FILE_BYTES`].
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, ManifestError> {
    let cannot = |e: io::Error| {
        path_error(
            path,
            format!("cannot read the manifest file: {}", io_words(&e)),
        )
    };
    let file = crate::fsio::open_nonblocking(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    check_regular(path, &metadata)?;
    let too_large = || {
        path_error(
            path,
            format!(
                "the manifest file is larger than {} MiB; split it into several files in a directory",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    // Checked by size again and read through a capped reader: the cap holds even for a file that grows
    // while it is read.
    crate::fsio::read_open_capped(&file, MAX_FILE_BYTES).map_err(|e| {
        if e.kind() == io::ErrorKind::FileTooLarge {
            too_large()
        } else {
            cannot(e)
        }
    })
}

/// The whole text of a manifest file, as the parser reads it (without a byte order mark), or `None` when
/// it cannot be read as text. For refining error positions in a streamed file.
pub(super) fn read_text(path: &Path) -> Option<String> {
    let bytes = read_file(path).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// What a [`StreamChars`] found, shared with the loader: the file's hash contribution, and whether it
/// stopped early because the file needs the in-memory path (not UTF-8, a forbidden character, a tab in
/// indentation, larger or smaller than its metadata said, a read error). That path then reports
/// exactly what is wrong, with the same messages and positions as always.
pub(super) struct StreamState {
    pub hasher: Sha256,
    pub bail: bool,
    /// The whole file was read, to its announced length.
    pub ended: bool,
}

/// The characters of a manifest file as it is read, in 64 KiB chunks, so that a large manifest is
/// never held in memory as text while it is parsed (a million IDs with reasons are a 57 MB file). The
/// checks `as_text` and the walker's tab pass make over a file held in memory are made here on the fly;
/// on the first doubt the stream ends and sets `bail`. Hashes the bytes it reads, so the manifest's
/// SHA-256 covers exactly what was parsed.
pub(super) struct StreamChars {
    file: fs::File,
    state: Rc<RefCell<StreamState>>,
    /// Bytes the file's metadata announced (hashed before the contents); reading more or fewer bails.
    expected: u64,
    read: u64,
    /// Raw bytes not yet decoded (at most 3 from the previous chunk, then the new chunk).
    raw: Vec<u8>,
    /// The decoded chunk and the position of the next character in it.
    chunk: String,
    position: usize,
    /// Whether the first character (a byte order mark is skipped) has been seen.
    started: bool,
    /// Tab-in-indentation check: still in the line's indentation, and whether it held a tab.
    in_indentation: bool,
    indentation_tab: bool,
    /// The stream has ended (or bailed): never read again.
    done: bool,
}

impl StreamChars {
    /// Open `path` (checked to be a regular file of at most [`MAX_FILE_BYTES`]) for streaming; the
    /// hash of `relative` and the file's length are added to the state's hasher first.
    pub(super) fn open(
        path: &Path,
        state: Rc<RefCell<StreamState>>,
    ) -> Result<(StreamChars, u64), ManifestError> {
        let cannot = |e: io::Error| {
            path_error(
                path,
                format!("cannot read the manifest file: {}", io_words(&e)),
            )
        };
        let file = crate::fsio::open_nonblocking(path).map_err(cannot)?;
        let metadata = file.metadata().map_err(cannot)?;
        check_regular(path, &metadata)?;
        let expected = metadata.len();
        let stream = StreamChars {
            file,
            state,
            expected,
            read: 0,
            raw: Vec::new(),
            chunk: String::new(),
            position: 0,
            started: false,
            in_indentation: true,
            indentation_tab: false,
            done: false,
        };
        Ok((stream, expected))
    }

    fn bail(&mut self) -> Option<char> {
        self.done = true;
        self.state.borrow_mut().bail = true;
        self.chunk.clear();
        self.position = 0;
        None
    }

    /// Read and decode the next chunk.
    fn refill(&mut self) -> Refill {
        const CHUNK: usize = 64 * 1024;
        let kept = self.raw.len();
        self.raw.resize(kept + CHUNK, 0);
        let count = loop {
            match self.file.read(&mut self.raw[kept..]) {
                Ok(count) => break count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Refill::Bail,
            }
        };
        self.raw.truncate(kept + count);
        self.read += count as u64;
        if count == 0 {
            // The end: no undecodable rest, and exactly the announced length.
            return if kept == 0 && self.read == self.expected {
                Refill::End
            } else {
                Refill::Bail
            };
        }
        if self.read > self.expected.min(MAX_FILE_BYTES) {
            return Refill::Bail;
        }
        self.state.borrow_mut().hasher.update(&self.raw[kept..]);
        let valid = match std::str::from_utf8(&self.raw) {
            Ok(text) => text.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => return Refill::Bail,
        };
        self.chunk.clear();
        // The first `valid` bytes were just checked to be UTF-8.
        self.chunk
            .push_str(std::str::from_utf8(&self.raw[..valid]).unwrap_or_default());
        self.raw.drain(..valid);
        self.position = 0;
        Refill::Data
    }
}

/// What reading one more chunk gave.
enum Refill {
    Data,
    End,
    Bail,
}

impl Iterator for StreamChars {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if self.done {
            return None;
        }
        loop {
            // ASCII (nearly every character of a manifest) without decoding.
            let next = match self.chunk.as_bytes().get(self.position) {
                Some(&byte) if byte.is_ascii() => Some(char::from(byte)),
                Some(_) => self.chunk[self.position..].chars().next(),
                None => None,
            };
            if let Some(c) = next {
                self.position += c.len_utf8();
                if !self.started {
                    self.started = true;
                    if c == '\u{feff}' {
                        continue;
                    }
                }
                if is_forbidden_fast(c) {
                    return self.bail();
                }
                if self.in_indentation {
                    match c {
                        ' ' => {}
                        '\t' => self.indentation_tab = true,
                        '\n' => self.indentation_tab = false,
                        // A tab before content (or a comment, or a CR): let the exact check decide.
                        _ if self.indentation_tab => return self.bail(),
                        _ => self.in_indentation = false,
                    }
                } else if c == '\n' {
                    self.in_indentation = true;
                    self.indentation_tab = false;
                }
                return Some(c);
            }
            match self.refill() {
                Refill::Data => {}
                Refill::End => {
                    self.done = true;
                    self.state.borrow_mut().ended = true;
                    return None;
                }
                Refill::Bail => return self.bail(),
            }
        }
    }
}

/// Check that `bytes` is UTF-8 text without control characters and return it as text, without a leading
/// byte order mark. On failure, the error names the line and column (and the byte offset) of the first
/// offending byte.
pub(super) fn as_text<'b>(file: &Arc<Path>, bytes: &'b [u8]) -> Result<&'b str, ManifestError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let offset = error.valid_up_to();
            // A control character before the invalid byte is the first problem: report that instead.
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            check_characters(file, bytes, valid)?;
            let byte = bytes.get(offset).copied().unwrap_or(0);
            return Err(text_error(
                file,
                bytes,
                offset,
                format!(
                    "the file is not UTF-8 text: invalid byte 0x{byte:02X} at byte offset {offset}; \
                     save the manifest as UTF-8"
                ),
            ));
        }
    };
    check_characters(file, bytes, text)?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Refuse the first control character of `text` (a prefix of `bytes`).
fn check_characters(file: &Arc<Path>, bytes: &[u8], text: &str) -> Result<(), ManifestError> {
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| is_forbidden(c)) {
        let what = if c == '\0' {
            "a NUL byte (is this a binary file?)".to_owned()
        } else if is_bidi_control(c) {
            format!(
                "the bidirectional control character U+{:04X} (it makes text display in another \
                 order than it is read)",
                u32::from(c)
            )
        } else {
            format!("the control character U+{:04X}", u32::from(c))
        };
        return Err(text_error(
            file,
            bytes,
            offset,
            format!(
                "the file contains {what} at byte offset {offset}; a manifest must be plain text"
            ),
        ));
    }
    Ok(())
}

/// Characters refused anywhere in a manifest: those YAML does not allow in a stream (C0 controls other
/// than tab, line feed and carriage return, DEL, and C1 controls other than NEL), and bidirectional
/// controls.
fn is_forbidden(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        '\u{85}' => false,
        c => c.is_control() || is_bidi_control(c),
    }
}

/// [`is_forbidden`], answered without a table lookup for ASCII.
fn is_forbidden_fast(c: char) -> bool {
    if c.is_ascii() {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
    } else {
        is_forbidden(c)
    }
}

/// An error at byte `offset` of `bytes` (valid UTF-8 up to `offset`), with its 1-based line and column
/// (counted in characters, as editors do).
fn text_error(file: &Arc<Path>, bytes: &[u8], offset: usize, message: String) -> ManifestError {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    ManifestError {
        location: Location {
            file: Arc::clone(file),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        },
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<Path> {
        Arc::from(Path::new("m.yaml"))
    }

    #[test]
    fn invalid_utf8_names_line_column_and_offset() {
        let err = as_text(&file(), b"version: 1\nabsent: [\xff]\n").expect_err("invalid UTF-8");
        assert_eq!((err.location.line, err.location.column), (2, 10));
        assert!(
            err.message.contains("0xFF at byte offset 20"),
            "{}",
            err.message
        );
    }

    #[test]
    fn nul_and_control_characters_are_refused() {
        let err = as_text(&file(), b"version: 1\0\n").expect_err("NUL");
        assert_eq!((err.location.line, err.location.column), (1, 11));
        assert!(err.message.contains("NUL"), "{}", err.message);
        let err = as_text(&file(), b"a\n\x1b[31m\n").expect_err("ESC");
        assert!(err.message.contains("U+001B"), "{}", err.message);
    }

    #[test]
    fn the_fast_check_agrees_with_the_full_one() {
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            assert_eq!(is_forbidden_fast(c), is_forbidden(c), "{c:?}");
        }
    }

    #[test]
    fn bidirectional_controls_are_refused_anywhere() {
        for c in [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let text = format!("version: 1\nabsent: [5] # x{c}y\n");
            let err = as_text(&file(), text.as_bytes()).expect_err("bidi");
            assert_eq!((err.location.line, err.location.column), (2, 16), "{c:?}");
            assert!(
                err.message.contains(&format!(
                    "bidirectional control character U+{:04X}",
                    u32::from(c)
                )),
                "{}",
                err.message
            );
        }
        assert!(as_text(&file(), "reason: \"\u{5d0}\u{5d1} ok\"\n".as_bytes()).is_ok());
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_and_tabs_and_crlf_pass() {
        assert_eq!(
            as_text(&file(), "\u{feff}version: 1\r\n\t\n".as_bytes()).ok(),
            Some("version: 1\r\n\t\n")
        );
    }
}
