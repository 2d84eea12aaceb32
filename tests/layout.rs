//! The code's layout rules that a reader checks with grep, checked here so they stay true: the environment is
//! read in one place (the CLI's settings), no function returns a bare `String` as its error, and
//! `apply::run` does not branch on where its plan came from.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The lines of `src` (outside `skip`) that contain any of `needles`, as `path:line: text`.
fn lines_with(needles: &[&str], skip: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for path in rust_files(&src) {
        let relative = path
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if skip.iter().any(|skip| relative.starts_with(skip)) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a source file");
        for (number, line) in text.lines().enumerate() {
            if needles.iter().any(|needle| line.contains(needle)) {
                found.push(format!("src/{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn only_the_cli_settings_read_the_environment() {
    // The fake store (a test double with its own knobs) aside.
    let found = lines_with(&["env::var", "env::vars"], &["cli/settings.rs", "sim/"]);
    assert!(
        found.is_empty(),
        "the environment read outside cli/settings.rs:\n{}",
        found.join("\n")
    );
}

/// The error type of every `Result<…>` written on `line`, as text (`Result<u32, String>` → `String`).
fn result_errors(line: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("Result<") {
        let inner = &rest[start + "Result<".len()..];
        let (mut depth, mut comma, mut end) = (0usize, None, None);
        for (i, c) in inner.char_indices() {
            match c {
                '<' | '(' | '[' => depth += 1,
                '>' | ')' | ']' if depth == 0 => {
                    end = Some(i);
                    break;
                }
                '>' | ')' | ']' => depth -= 1,
                ',' if depth == 0 => comma = Some(i),
                _ => {}
            }
        }
        if let (Some(comma), Some(end)) = (comma, end) {
            errors.push(inner[comma + 1..end].trim().to_string());
        }
        rest = inner;
    }
    errors
}

#[test]
fn no_function_returns_a_bare_string_as_its_error() {
    assert_eq!(
        result_errors("fn f() -> Result<Map<String, Value>, String> {"),
        ["String"]
    );
    assert_eq!(
        result_errors("fn f() -> Result<(), NumberError> {"),
        ["NumberError"]
    );
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for path in rust_files(&src) {
        let relative = path
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).expect("read a source file");
        for (number, line) in text.lines().enumerate() {
            if result_errors(line).iter().any(|error| error == "String") {
                found.push(format!("src/{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a String as an error type:\n{}",
        found.join("\n")
    );
}

#[test]
fn apply_run_does_not_ask_where_its_plan_came_from() {
    // Issue 18.1: the plan's source (`plan::PlanSource`: made now, or a saved plan file) is one value
    // whose methods do the offline check, the claims' proof, the listing, the approval and the audit
    // line's origin; `apply::run` calls them and names neither branch.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/apply/run.rs");
    let text = std::fs::read_to_string(&path).expect("read src/apply/run.rs");
    let needles = [
        "saved",
        "Saved",
        "recheck",
        "plan::run(",
        "check_offline",
        "unproven_claims",
        "refresh_all",
        "Fresh",
    ];
    let found: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| needles.iter().any(|needle| line.contains(needle)))
        .map(|(number, line)| format!("src/apply/run.rs:{}: {}", number + 1, line.trim()))
        .collect();
    assert!(
        found.is_empty(),
        "apply::run branches on its plan's origin:\n{}",
        found.join("\n")
    );
}
