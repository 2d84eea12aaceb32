#!/usr/bin/env bash
# Install bcprune for the GitHub Action (action.yml), or anywhere with bash and curl.
#
#   BCPRUNE_INSTALL=release  download bcprune-<target>.tar.gz (.zip on Windows) and its .sha256 from
#                            BCPRUNE_RELEASE_BASE_URL (default: the release v$BCPRUNE_VERSION of the
#                            action's own repository, BCPRUNE_ACTION_REPOSITORY, else GITHUB_REPOSITORY),
#                            check the SHA-256 and refuse (exit 1, nothing installed) on any mismatch
#                            or a missing/empty checksum. Where `gh` and GH_TOKEN are present, also check
#                            the release workflow's build provenance attestation (`gh attestation verify
#                            --repo`; the checksum only proves integrity, the attestation proves origin)
#                            and refuse on failure. When the release has no binary for the runner (no
#                            such release, or no build for this OS/architecture), build from source
#                            instead, with a ::notice.
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
    *) return 1 ;;
  esac
}

exe=bcprune
case "${RUNNER_OS:-$(uname -s)}" in Windows|MINGW*|MSYS*|CYGWIN*) exe=bcprune.exe ;; esac

build_from_source() {
  command -v cargo >/dev/null 2>&1 || die "building bcprune needs cargo (Rust) on the runner${1:+: $1}"
  if [[ -x "$install_dir/bin/$exe" ]]; then
    echo "Using the cached build in $install_dir" >&2
  else
    cargo install --locked --path "$source_dir" --root "$install_dir" >&2
  fi
}

# No release binary to be had: build from the action's checkout (the same commit), and say so.
fallback() {
  echo "::notice title=bcprune install::$1: building bcprune $version from the action's checkout instead (cargo install --locked; a few minutes)" >&2
  method=source
  fell_back=true
  build_from_source "$1"
}

repository="${BCPRUNE_ACTION_REPOSITORY:-${GITHUB_REPOSITORY:-}}"

case "$method" in
  release)
    if ! target="${BCPRUNE_TARGET:-$(target_triple)}"; then
      fallback "no release binary for ${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}"
    fi
  ;;
esac

case "$method" in
  release)
    case "$target" in *windows*) ext=zip ;; *) ext=tar.gz ;; esac
    if [[ -z "${BCPRUNE_RELEASE_BASE_URL:-}" && -z "$repository" ]]; then
      die "which repository's releases? Set BCPRUNE_ACTION_REPOSITORY (owner/name) or BCPRUNE_RELEASE_BASE_URL"
    fi
    base="${BCPRUNE_RELEASE_BASE_URL:-${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download/v$version}"
    archive="bcprune-$target.$ext"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    echo "Downloading $base/$archive" >&2
    if ! curl --fail --silent --show-error --location --retry 3 --max-time 300 \
      --output "$work/$archive" "$base/$archive"; then
      fallback "release v$version has no $archive at $base"
    fi
  ;;
esac

case "$method" in
  release)
    curl --fail --silent --show-error --location --retry 3 --max-time 60 \
      --output "$work/$archive.sha256" "$base/$archive.sha256" || die "could not download $base/$archive.sha256"
    expected="$(tr -d '\r' < "$work/$archive.sha256" | awk 'NR==1 {print tolower($1)}')"
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "$archive.sha256 holds no SHA-256: refusing to install"
    actual="$(sha256_of "$work/$archive")"
    if [[ "$actual" != "$expected" ]]; then
      die "SHA-256 mismatch for $archive: expected $expected, got $actual. Nothing was installed."
    fi
    echo "SHA-256 of $archive verified: $actual" >&2
    # The checksum comes from the same release as the archive: it proves integrity, not origin. The
    # release workflow attests the build's provenance; check it wherever `gh` can.
    if command -v gh >/dev/null 2>&1 && [[ -n "${GH_TOKEN:-}" && -n "$repository" ]]; then
      gh attestation verify "$work/$archive" --repo "$repository" >&2 \
        || die "the build provenance attestation of $archive does not verify for $repository: refusing to install. Nothing was installed."
      echo "Build provenance of $archive verified: built by $repository's release workflow" >&2
    else
      echo "Build provenance not checked (needs gh and a token on the runner): SHA-256 only" >&2
    fi
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
    if [[ "${fell_back:-}" != true ]]; then build_from_source; fi
    ;;
  *) die "unknown install method '$method': use release or source" ;;
esac

"$install_dir/bin/$exe" --version >&2 || die "the installed bcprune does not run"
if [[ -n "${GITHUB_PATH:-}" ]]; then echo "$install_dir/bin" >> "$GITHUB_PATH"; fi
echo "$install_dir/bin/$exe"
