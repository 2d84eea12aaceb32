#!/usr/bin/env bash
# Run one bcprune command for the GitHub Action (action.yml) and record its outcome.
#
#   run.sh plan    plan MANIFEST --format markdown --detailed-exitcode --out DIR/plan.json [ARGS]
#                  -> DIR/plan.md, bcprune's own comment: the §13 marker, then the plan, or what failed
#                     (a bad manifest, an API error, no token: a pull request from a fork gets no secrets).
#   run.sh apply   apply --plan PLAN MANIFEST [ARGS]     (PLAN: BCPRUNE_PLAN, default DIR/plan.json)
#                  -> DIR/apply.md: what it did (deleted, redacted, failed, the audit head) under the marker
#                     <!-- bcprune:apply store=HASH -->, for the job summary and the merged pull request
#   run.sh report  report MANIFEST --format markdown [ARGS] -> DIR/report.md
#   run.sh records the default state file and audit log paths for MANIFEST (outputs state, audit-log)
#
# Env: BCPRUNE_MANIFEST, BCPRUNE_ARGS (extra arguments, split on spaces), BCPRUNE_OUT_DIR (default
# $RUNNER_TEMP/bcprune), BIGCOMMERCE_ACCESS_TOKEN / _STORE_HASH / _API_URL as bcprune reads them.
# The markdown also goes to $GITHUB_STEP_SUMMARY. Always exits 0 so the comment and upload steps run;
# the outcome is the `exitcode` output (and the last line of stdout), which the action's last step turns
# into the job's result. The token is never echoed: bcprune reads it from the environment.
set -uo pipefail

command="${1:?usage: run.sh plan|apply|report}"
manifest="${BCPRUNE_MANIFEST:?BCPRUNE_MANIFEST (the manifest file or directory) is required}"
out_dir="${BCPRUNE_OUT_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/bcprune}"
mkdir -p "$out_dir"
read -r -a extra <<< "${BCPRUNE_ARGS:-}"
bin="${BCPRUNE_BIN:-bcprune}"
store="${BIGCOMMERCE_STORE_HASH:-}"

output() { if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi; }
summary() { if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then cat "$1" >> "$GITHUB_STEP_SUMMARY"; fi; }
# GitHub refuses a step summary over 1 MiB. A report has a row per manifest entry, so a big one goes
# there without its table: title, provenance (state serial, audit head), the counts, and where it is.
report_summary() {
  local size
  size=$(wc -c < "$1")
  if (( size <= 1000000 )); then summary "$1"; return; fi
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    {
      awk '/^\| Resource /{exit} {print}' "$1"
      echo "The report has a row per manifest entry and is $size bytes, over GitHub's 1 MiB limit for a job summary. The whole report is the file in this step's \`markdown\` output; upload it as an artifact to keep it."
      echo
      tail -n 1 "$1"
    } >> "$GITHUB_STEP_SUMMARY"
  fi
}
finish() { output exitcode "$1"; echo "exitcode=$1"; exit 0; }

# What apply did, as markdown under its own marker (the job summary, and the comment on the merged pull
# request): the outcome, then bcprune's own lines saying what was deleted, redacted, failed or refused
# and the audit head, from its output (the plan table and progress are left out: IDs only, no masked
# emails). $1: the exit code; $2: why nothing ran, when bcprune did not.
apply_summary() {
  local code="$1" why="${2:-}" verdict
  case "$code" in
    0) verdict="✅ bcprune apply on store \`${store:-(manifest)}\`: done" ;;
    3) verdict="⛔ bcprune apply on store \`${store:-(manifest)}\` was refused (exit 3): nothing was deleted" ;;
    4) verdict="⚠️ bcprune apply on store \`${store:-(manifest)}\` partly failed (exit 4)" ;;
    *) verdict="❌ bcprune apply on store \`${store:-(manifest)}\` failed (exit $code): nothing was deleted by this run" ;;
  esac
  {
    printf '<!-- bcprune:apply store=%s -->\n' "$(printf '%s' "${store:-unknown}" | tr -c 'A-Za-z0-9_-' '_')"
    printf '### %s\n\n' "$verdict"
    if [[ -n "${BCPRUNE_PR:-}" ]]; then printf 'The plan reviewed on pull request #%s.' "$BCPRUNE_PR"; fi
    if [[ -n "${GITHUB_SERVER_URL:-}" && -n "${GITHUB_REPOSITORY:-}" && -n "${GITHUB_RUN_ID:-}" ]]; then
      printf ' [Run %s](%s/%s/actions/runs/%s).' "$GITHUB_RUN_ID" "$GITHUB_SERVER_URL" "$GITHUB_REPOSITORY" "$GITHUB_RUN_ID"
    fi
    printf '\n\n```text\n'
    if [[ -n "$why" ]]; then printf '%s\n' "$why"; fi
    grep -E '^error: ' "$out_dir/apply.stderr" 2> /dev/null | head -n 50
    # The audit head on a line of its own: a long `State: … Audit log: …, head …` line is cut at the
    # comment's right edge, and the head is what a reviewer copies.
    grep -E '^(Verified|Not verified|Outcome unknown|Abandoned|Redacted|Not redacted|Failed|Not attempted|Apply |No changes|State: )' "$out_dir/apply.stdout" 2> /dev/null | head -n 200 |
      awk '{ sub(/\. Audit log: /, ".\nAudit log: "); print }'
    printf '```\n'
  } > "$md"
  summary "$md"
  output markdown "$md"
}

no_token() {
  if [[ -z "${BIGCOMMERCE_ACCESS_TOKEN:-}" ]]; then
    echo "::error title=bcprune::No BigCommerce token. The action's \`token\` input is empty: the secret is not set, or this is a pull request from a fork, which GitHub runs without secrets. Nothing was sent to the store. A maintainer can push the branch to this repository to get a plan." >&2
    return 0
  fi
  return 1
}

case "$command" in
  plan)
    # bcprune writes the whole comment itself, marker first, also when the plan fails (a bad manifest,
    # an API error, no token) or a guard refuses it (exit 3): it says what failed.
    md="$out_dir/plan.md"
    no_token || true
    "$bin" plan "$manifest" --format markdown --detailed-exitcode --out "$out_dir/plan.json" ${extra[@]+"${extra[@]}"} \
      > "$md" 2> "$out_dir/plan.stderr"
    code=$?
    cat "$out_dir/plan.stderr" >&2
    if ! head -n1 "$md" | grep -Eq '^<!-- bcprune:plan store=[A-Za-z0-9_-]+ -->$'; then
      # bcprune did not get as far as its comment (not installed, killed): say so under the marker.
      printf '<!-- bcprune:plan store=%s -->\n### ❌ bcprune plan did not finish (exit %s): there is no plan to review, and nothing was deleted\n\nSee the job log.\n' \
        "$(printf '%s' "${store:-unknown}" | tr -c 'A-Za-z0-9_-' '_')" "$code" > "$md"
    fi
    summary "$md"
    output markdown "$md"
    output plan "$out_dir/plan.json"
    output has-changes "$([[ "$code" == 2 ]] && echo true || echo false)"
    case "$code" in
      0|2) ;;
      3) echo "::error title=bcprune::The plan was refused (exit 3): a guard (max_deletes, a protected ID) or a lock. See the plan comment." >&2 ;;
      *) echo "::error title=bcprune::bcprune plan failed (exit $code). See the plan comment and the log above." >&2 ;;
    esac
    finish "$code"
    ;;
  apply)
    plan="${BCPRUNE_PLAN:-$out_dir/plan.json}"
    md="$out_dir/apply.md"
    rm -f "$out_dir/apply.stdout" "$out_dir/apply.stderr"
    if no_token; then
      apply_summary 1 "No BigCommerce token: the action's \`token\` input is empty."
      finish 1
    fi
    if [[ ! -f "$plan" ]]; then
      echo "::error title=bcprune::No saved plan at $plan: only a reviewed plan is applied. Nothing was deleted." >&2
      apply_summary 1 "No saved plan: only a reviewed plan is applied."
      finish 1
    fi
    # stdout (the plan, then what was done) and stderr go to the log as they come, and to files for
    # the summary.
    exec 4> >(tee "$out_dir/apply.stderr" >&2)
    errors=$!
    "$bin" apply --plan "$plan" "$manifest" ${extra[@]+"${extra[@]}"} 2>&4 | tee "$out_dir/apply.stdout"
    code=${PIPESTATUS[0]}
    exec 4>&-
    wait "$errors" 2> /dev/null || true
    case "$code" in
      0) ;;
      3) echo "::error title=bcprune::The reviewed plan was refused (exit 3) and nothing was deleted: it has gone stale (the manifest, the state or a planned customer changed since it was reviewed), or max_deletes, a protected ID or a lock refused it. To re-plan, open a pull request touching the manifest (based on the current main), review its new plan and merge it." >&2 ;;
      4) echo "::error title=bcprune::Partial apply (exit 4): some deletions failed. The state file and audit log record exactly which; they are committed back and uploaded." >&2 ;;
      *) echo "::error title=bcprune::bcprune apply failed (exit $code). See the log above." >&2 ;;
    esac
    apply_summary "$code"
    finish "$code"
    ;;
  report)
    md="$out_dir/report.md"
    "$bin" report "$manifest" --format markdown ${extra[@]+"${extra[@]}"} > "$md"
    code=$?
    report_summary "$md"
    output markdown "$md"
    case "$code" in
      0) ;;
      2) echo "::error title=bcprune::Overdue erasure requests: see the report in the job summary." >&2 ;;
      *) echo "::error title=bcprune::bcprune report failed (exit $code)." >&2 ;;
    esac
    finish "$code"
    ;;
  records)
    # Where bcprune keeps the state file and audit log by default: beside a manifest file, or inside
    # a manifest directory.
    if [[ -d "$manifest" ]]; then dir="${manifest%/}"; else dir="$(dirname "$manifest")"; fi
    output state "$dir/bcprune.state.json"
    output audit-log "$dir/bcprune.audit.jsonl"
    echo "$dir/bcprune.state.json $dir/bcprune.audit.jsonl"
    ;;
  *) echo "::error title=bcprune::unknown command '$command': use plan, apply or report" >&2; exit 1 ;;
esac
