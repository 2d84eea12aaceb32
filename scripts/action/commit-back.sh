#!/usr/bin/env bash
# Commit the state file and audit log back to the branch after an apply (action.yml, command: apply),
# rebasing and retrying when another commit landed meanwhile. Env: BCPRUNE_RECORDS (the files, space
# separated), GITHUB_TOKEN (contents: write; passed to git through the environment, never argv),
# GITHUB_REF_NAME (the branch), GITHUB_RUN_ID. Fails (exit 1) when the push is refused, for example by
# branch protection: the action has already uploaded the files as an artifact, so nothing is lost.
set -euo pipefail

read -r -a records <<< "${BCPRUNE_RECORDS:?BCPRUNE_RECORDS is required}"
branch="${GITHUB_REF_NAME:?GITHUB_REF_NAME is required}"
existing=()
for f in "${records[@]}"; do [[ -e "$f" ]] && existing+=("$f"); done
if [[ ${#existing[@]} -eq 0 ]]; then echo "No state file or audit log to commit." >&2; exit 0; fi

git config user.name "${BCPRUNE_GIT_NAME:-github-actions[bot]}"
git config user.email "${BCPRUNE_GIT_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
git add -- "${existing[@]}"
if git diff --cached --quiet; then echo "State file and audit log unchanged." >&2; exit 0; fi
git commit -q -m "bcprune: record apply (run ${GITHUB_RUN_ID:-local}) [skip ci]"

if [[ -n "${GITHUB_TOKEN:-}" ]]; then
  # The checkout kept no credentials (persist-credentials: false): hand git the token via env config.
  basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')"
  echo "::add-mask::$basic"
  export GIT_CONFIG_COUNT=1
  export GIT_CONFIG_KEY_0="http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader"
  export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
fi

for attempt in 1 2 3 4 5; do
  if git push -q origin "HEAD:refs/heads/$branch"; then
    echo "Committed the state file and audit log to $branch." >&2
    exit 0
  fi
  echo "Push refused (attempt $attempt of 5): rebasing onto origin/$branch and retrying." >&2
  git fetch -q origin "$branch"
  if ! git rebase -q "origin/$branch"; then
    git rebase --abort || true
    echo "::error title=bcprune::Could not rebase the records onto $branch (someone else changed them). They are in the run's artifact." >&2
    exit 1
  fi
  sleep $((attempt * ${BCPRUNE_RETRY_SLEEP_S:-3}))
done
echo "::error title=bcprune::Could not push the state file and audit log to $branch (branch protection?). They are in the run's artifact bcprune-records-*: commit them by hand." >&2
exit 1
