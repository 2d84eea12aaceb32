#!/usr/bin/env bash
# Conformance check against BigCommerce's official OpenAPI spec (not part of CI: it needs npm).
#
# Puts Stoplight Prism (`prism proxy --errors`, request and response validation) between bcprune and the
# fake store, runs plan → apply --plan → re-plan through it, and fails if Prism reports any violation.
# Two phases, one per official spec (Prism proxies one spec at a time):
#   1. customers:   ../shared/bigcommerce/customers.v3.yml   ($SPEC), a manifest of customers;
#   2. subscribers: ../shared/bigcommerce/subscribers.v3.yml ($SUB_SPEC), a manifest of subscribers only
#      (list by id:in, one DELETE per ID, verify), and the check that no DELETE ever went to the
#      subscribers collection. Skipped, with a note, when this build's `sim` has no `--subscribers`.
# Each spec is rewritten in a temporary copy so its paths start at /stores/{store_hash}/v3, as
# bcprune's requests do; it is never copied into the repository. Two errors of the subscribers spec are
# corrected in the copy, or every listing would be reported: the `id` filter of `GET /customers/subscribers`
# is marked required (a list cannot require a single ID), and `id:in` lacks `style: form, explode: false`
# although its own description documents the comma form `id:in=4,5,6` (as customers.v3.yml declares it).
# Checked by hand with `prism mock --errors` on the corrected copy: `GET …/subscribers?id:in=1,2,3&limit=250`
# (and `&page=2`), `?email=…&limit=250` and `DELETE …/subscribers/7` validate; uncorrected, id:in is
# refused ("id:in.0 must be integer").
#
# Usage: scripts/prism-check.sh        (installs @stoplight/prism-cli into $PRISM_DIR, default ~/.cache/bcprune-prism)
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC=${SPEC:-../shared/bigcommerce/customers.v3.yml}
SUB_SPEC=${SUB_SPEC:-../shared/bigcommerce/subscribers.v3.yml}
PRISM_DIR=${PRISM_DIR:-$HOME/.cache/bcprune-prism}
SIM_PORT=${SIM_PORT:-47330}
PRISM_PORT=${PRISM_PORT:-47331}
[ -f "$SPEC" ] || { echo "error: spec not found at $SPEC (set SPEC=…)" >&2; exit 1; }
[ -f "$SUB_SPEC" ] || { echo "error: spec not found at $SUB_SPEC (set SUB_SPEC=…)" >&2; exit 1; }
if [ ! -x "$PRISM_DIR/node_modules/.bin/prism" ]; then
  mkdir -p "$PRISM_DIR"
  npm install --silent --prefix "$PRISM_DIR" @stoplight/prism-cli >/dev/null
fi
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT

sed -e "s#^  - url: 'https://api.bigcommerce.com/stores/{store_hash}/v3'#  - url: 'http://127.0.0.1:$PRISM_PORT'#" \
    -e "s#^  '/customers#  '/stores/{store_hash}/v3/customers#" "$SPEC" > "$work/spec.yml"

cargo build -q
bin=target/debug/bcprune
"$bin" sim --port "$SIM_PORT" --customers 1000 > "$work/sim.log" 2>&1 & pids+=($!)
"$PRISM_DIR/node_modules/.bin/prism" proxy --errors -p "$PRISM_PORT" "$work/spec.yml" "http://127.0.0.1:$SIM_PORT" \
  > "$work/prism.log" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do
  curl -s -o /dev/null -H 'X-Auth-Token: sim-token' "http://127.0.0.1:$PRISM_PORT/stores/demo42/v3/customers?id:in=1" && break
  sleep 0.5
done

{ echo 'version: 1'; echo 'absent:'; for i in $(seq 1 600); do echo "  - $((i * 2))"; done; echo '  - 5000'; } > "$work/m.yaml"
export BIGCOMMERCE_API_URL="http://127.0.0.1:$PRISM_PORT" BIGCOMMERCE_ACCESS_TOKEN=sim-token BIGCOMMERCE_STORE_HASH=demo42
"$bin" plan "$work/m.yaml" --out "$work/plan.json" > /dev/null 2>&1
"$bin" apply --plan "$work/plan.json" --batch-size 100 > /dev/null 2>&1
"$bin" plan "$work/m.yaml" --detailed-exitcode > /dev/null 2>&1

requests=$(grep -cE "(get|delete) /stores/demo42/v3/customers.*Request received" "$work/prism.log" || true)
# Prism reports a violation, or a request it refuses, with "violation" or an error mark (✖).
violations=$(grep -ciE "violation|✖" "$work/prism.log" || true)
echo "Prism validated $requests requests (a readiness probe and bcprune's plan, apply and re-plan); violations: $violations"
if [ "$violations" != "0" ]; then grep -iE "violation|✖" -A3 "$work/prism.log" >&2; exit 1; fi

# ---- Phase 2: subscribers -------------------------------------------------------------------------
if ! "$bin" sim --help 2>/dev/null | grep -q -- '--subscribers'; then
  echo "Subscribers phase skipped: this build's 'bcprune sim' has no --subscribers yet"
  exit 0
fi
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
pids=()
sed -e "s#^  - url: 'https://api.bigcommerce.com/stores/{store_hash}/v3'#  - url: 'http://127.0.0.1:$PRISM_PORT'#" \
    -e "s#^  '/customers/subscribers#  '/stores/{store_hash}/v3/customers/subscribers#" \
    -e "/^    IdParam:/,/^    IdInParam:/ s/required: true/required: false/" \
    -e "/^    IdInParam:/,/^    [A-Za-z]/ s/^      in: query\$/      in: query\n      style: form\n      explode: false/" \
    "$SUB_SPEC" > "$work/sub-spec.yml"
"$bin" sim --port "$SIM_PORT" --customers 10 --subscribers 1000 > "$work/sim2.log" 2>&1 & pids+=($!)
"$PRISM_DIR/node_modules/.bin/prism" proxy --errors -p "$PRISM_PORT" "$work/sub-spec.yml" "http://127.0.0.1:$SIM_PORT" \
  > "$work/prism2.log" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do
  curl -s -o /dev/null -H 'X-Auth-Token: sim-token' "http://127.0.0.1:$PRISM_PORT/stores/demo42/v3/customers/subscribers?id:in=1" && break
  sleep 0.5
done
{ echo 'version: 1'; echo 'absent: []'; echo 'absent_subscribers:'; for i in $(seq 1 300); do echo "  - $((i * 3))"; done; echo '  - 5000'; } > "$work/s.yaml"
"$bin" plan "$work/s.yaml" --out "$work/splan.json" > /dev/null 2>&1
"$bin" apply --plan "$work/splan.json" > /dev/null 2>&1
"$bin" plan "$work/s.yaml" --detailed-exitcode > /dev/null 2>&1

sub_requests=$(grep -cE "(get|delete) /stores/demo42/v3/customers/subscribers.*Request received" "$work/prism2.log" || true)
sub_violations=$(grep -ciE "violation|✖" "$work/prism2.log" || true)
# The collection DELETE (no ID in the path) deletes every subscriber: it must never appear.
collection_deletes=$(grep -ciE "delete /stores/demo42/v3/customers/subscribers([?[:space:]]|$)" "$work/prism2.log" || true)
echo "Prism validated $sub_requests subscriber requests (probe, plan, per-ID deletes, re-plan); violations: $sub_violations; collection DELETEs: $collection_deletes"
if [ "$sub_requests" -lt 300 ]; then echo "error: expected at least the 300 per-ID DELETEs through Prism" >&2; exit 1; fi
if [ "$collection_deletes" != "0" ]; then echo "error: a DELETE reached the subscribers collection" >&2; exit 1; fi
if [ "$sub_violations" != "0" ]; then grep -iE "violation|✖" -A3 "$work/prism2.log" >&2; exit 1; fi
