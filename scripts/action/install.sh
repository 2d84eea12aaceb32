#!/usr/bin/env bash
# Install bcprune for the GitHub Action (action.yml), or anywhere with bash and curl.
#
#   BCPRUNE_INSTALL=release  download bcprune-<target>.tar.gz (.zip on Windows) and its .sha256 from
#                            BCPRUNE_RELEASE_BASE_URL (default: the GitHub release v$BCPRUNE_VERSION),
#                            check the SHA-256 and refuse (exit 1, nothing installed) on any mismatch
#                            or a missing/empty checksum.
#   BCPRUNE_INSTALL=source   `cargo install --locked --path BCPRUNE_SOURCE_DIR` (the action's own checkout).
#
# Other inputs (env): BCPRUNE_VERSION (default: the version in BCPRUNE_SOURCE_DIR/Cargo.toml),
# BCPRUNE_INSTALL_DIR (where bin/bcprune goes), BCPRUNE_TARGET (override the detected target triple).
# Prints the installed binary's path on the last line of stdout and adds its folder to GITHUB_PATH when set.
# `install.sh --cache-key` prints a key for the source build's cache and does nothing else.
set -euo pipefail

die() { echo "::error title=bcprune install::$*" >&2; exit 1; }

source_dir="${BCPRUNE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
install_dir="${BCPRUNE_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-${TMPDIR:-/tmp}}/bcprune}"
method="${BCPRUNE_INSTALL:-release}"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else die "neither sha256sum nor shasum is installed: cannot check the download"
  fi
}

if [[ "${1:-}" == "--cache-key" ]]; then
  # The source build depends on the toolchain, the lock file and the sources: hash them all.
  (cd "$source_dir" && { rustc --version 2>/dev/null || true; cat Cargo.toml Cargo.lock;
    find src -type f -name '*.rs' | LC_ALL=C sort | xargs cat; }) > "${TMPDIR:-/tmp}/bcprune-key.$$"
  echo "bcprune-src-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-$(sha256_of "${TMPDIR:-/tmp}/bcprune-key.$$")"
  rm -f "${TMPDIR:-/tmp}/bcprune-key.$$"
  exit 0
fi

version="${BCPRUNE_VERSION:-}"
version="${version#v}"
if [[ -z "$version" ]]; then
  version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$source_dir/Cargo.toml" | head -n1)"
  [[ -n "$version" ]] || die "no version given and none found in $source_dir/Cargo.toml"
fi

target_triple() {
  local os="${RUNNER_OS:-$(uname -s)}" arch="${RUNNER_ARCH:-$(uname -m)}"
  case "$os" in Linux) os=linux ;; macOS|Darwin) os=macos ;; Windows|MINGW*|MSYS*|CYGWIN*) os=windows ;; esac
  case "$arch" in X64|x86_64|amd64) arch=x86_64 ;; ARM64|aarch64|arm64) arch=aarch64 ;; esac
  case "$os-$arch" in
    linux-x86_64) echo x86_64-unknown-linux-musl ;;
    linux-aarch64) echo aarch64-unknown-linux-musl ;;
    macos-x86_64) echo x86_64-apple-darwin ;;
    macos-aarch64) echo aarch64-apple-darwin ;;
    windows-x86_64) echo x86_64-pc-windows-msvc ;;
    *) die "no release binary for $os/$arch: use install: source" ;;
  esac
}

exe=bcprune
case "${RUNNER_OS:-$(uname -s)}" in Windows|MINGW*|MSYS*|CYGWIN*) exe=bcprune.exe ;; esac

case "$method" in
  release)
    target="${BCPRUNE_TARGET:-$(target_triple)}"
    case "$target" in *windows*) ext=zip ;; *) ext=tar.gz ;; esac
    base="${BCPRUNE_RELEASE_BASE_URL:-${GITHUB_SERVER_URL:-https://github.com}/bcprune/bcprune/releases/download/v$version}"
    archive="bcprune-$target.$ext"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    echo "Downloading $base/$archive" >&2
    curl --fail --silent --show-error --location --retry 3 --max-time 300 \
      --output "$work/$archive" "$base/$archive" || die "could not download $base/$archive"
    curl --fail --silent --show-error --location --retry 3 --max-time 60 \
      --output "$work/$archive.sha256" "$base/$archive.sha256" || die "could not download $base/$archive.sha256"
    expected="$(tr -d '\r' < "$work/$archive.sha256" | awk 'NR==1 {print tolower($1)}')"
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "$archive.sha256 holds no SHA-256: refusing to install"
    actual="$(sha256_of "$work/$archive")"
    if [[ "$actual" != "$expected" ]]; then
      die "SHA-256 mismatch for $archive: expected $expected, got $actual. Nothing was installed."
    fi
    echo "SHA-256 of $archive verified: $actual" >&2
    mkdir -p "$work/x"
    case "$ext" in
      zip) if command -v unzip >/dev/null 2>&1; then unzip -q "$work/$archive" -d "$work/x"
           else 7z x -y -o"$work/x" "$work/$archive" >/dev/null; fi ;;
      *) tar -xzf "$work/$archive" -C "$work/x" ;;
    esac
    found="$(find "$work/x" -type f -name "$exe" | head -n1)"
    [[ -n "$found" ]] || die "$archive holds no $exe"
    mkdir -p "$install_dir/bin"
    cp "$found" "$install_dir/bin/$exe"
    chmod +x "$install_dir/bin/$exe"
    ;;
  source)
    command -v cargo >/dev/null 2>&1 || die "install: source needs cargo (Rust) on the runner"
    if [[ -x "$install_dir/bin/$exe" ]]; then
      echo "Using the cached build in $install_dir" >&2
    else
      cargo install --locked --path "$source_dir" --root "$install_dir" >&2
    fi
    ;;
  *) die "unknown install method '$method': use release or source" ;;
esac

"$install_dir/bin/$exe" --version >&2 || die "the installed bcprune does not run"
if [[ -n "${GITHUB_PATH:-}" ]]; then echo "$install_dir/bin" >> "$GITHUB_PATH"; fi
echo "$install_dir/bin/$exe"
