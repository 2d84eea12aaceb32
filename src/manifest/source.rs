//! Finding and reading the manifest files: one file, or every `*.yaml` / `*.yml` of a directory sorted by
//! name; and making sure each is plain UTF-8 text before the YAML parser sees it.
//!
//! The text checks live here, not in the parser, because the parser silently treats a NUL character as
//! the end of the input (a binary file would be read as a truncated manifest) and reports invalid UTF-8
//! without a position.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Location, ManifestError};

/// A manifest file larger than this is refused rather than read into memory. A million customer IDs take
/// about 15 MiB.
pub(super) const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

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

/// The files a manifest path stands for, as paths to show to the user (the directory joined with each
/// file name). A directory contributes its `*.yaml` and `*.yml` files (not subdirectories, not hidden
/// files, as a shell glob would), sorted by name.
pub(super) fn list_files(path: &Path) -> Result<Vec<PathBuf>, ManifestError> {
    let metadata = fs::metadata(path)
        .map_err(|e| path_error(path, format!("cannot read the manifest: {}", io_words(&e))))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = fs::read_dir(path).map_err(|e| {
        path_error(
            path,
            format!("cannot list the manifest directory: {}", io_words(&e)),
        )
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            path_error(
                path,
                format!("cannot list the manifest directory: {}", io_words(&e)),
            )
        })?;
        let name = entry.file_name();
        let name_bytes = name.as_encoded_bytes();
        let is_yaml = name_bytes.ends_with(b".yaml") || name_bytes.ends_with(b".yml");
        if !is_yaml || name_bytes.starts_with(b".") {
            continue;
        }
        let file = path.join(&name);
        // Follow symlinks: a linked manifest file counts; a directory named `x.yaml` does not.
        if fs::metadata(&file).map(|m| m.is_dir()).unwrap_or(false) {
            continue;
        }
        files.push(file);
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if files.is_empty() {
        return Err(path_error(
            path,
            "the manifest directory has no *.yaml or *.yml files: add a manifest file, or pass a file",
        ));
    }
    Ok(files)
}

/// Read a whole file, refusing one larger than [`MAX_FILE_BYTES`].
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, ManifestError> {
    let cannot = |e: io::Error| {
        path_error(
            path,
            format!("cannot read the manifest file: {}", io_words(&e)),
        )
    };
    let file = fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    if let Ok(metadata) = file.metadata() {
        bytes.reserve(usize::try_from(metadata.len().min(MAX_FILE_BYTES)).unwrap_or(0));
    }
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(path_error(
            path,
            format!(
                "the manifest file is larger than {} MiB; split it into several files in a directory",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
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

/// Characters YAML does not allow in a stream: C0 controls other than tab, line feed and carriage return,
/// DEL, and C1 controls other than NEL.
fn is_forbidden(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        '\u{85}' => false,
        c => c.is_control(),
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
    fn a_leading_byte_order_mark_is_dropped_and_tabs_and_crlf_pass() {
        assert_eq!(
            as_text(&file(), "\u{feff}version: 1\r\n\t\n".as_bytes()).ok(),
            Some("version: 1\r\n\t\n")
        );
    }
}
