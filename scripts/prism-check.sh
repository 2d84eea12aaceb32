#!/usr/bin/env bash
# Conformance check against BigCommerce's official OpenAPI spec (not part of CI: it needs npm).
#
# Puts Stoplight Prism (`prism proxy --errors`, request and response validation) between bcprune and the
# fake store, runs plan → apply --plan → re-plan through it, and fails if Prism reports any violation.
# Three phases, one per official spec (Prism proxies one spec at a time):
#   1. customers:   ../shared/bigcommerce/customers.v3.yml   ($SPEC), a manifest of customers;
#   2. subscribers: ../shared/bigcommerce/subscribers.v3.yml ($SUB_SPEC), a manifest of subscribers only
#      (list by id:in, one DELETE per ID, verify), and the check that no DELETE ever went to the
#      subscribers collection. Skipped, with a note, when this build's `sim` has no `--subscribers`.
#   3. orders:      ../shared/bigcommerce/orders.v2.yml      ($ORDERS_SPEC), PRODUCT §15's requests: bcprune's
#      own `import --orders redact` (GET /v2/orders?email=…&limit=250&page=N) through scripts/prism/router.cjs
#      (V2 to Prism, the customers lookups straight to the store); then, in the form bcprune sends them,
#      discovery `GET /v2/orders?customer_id=&limit=250&page=` (two pages, then the 204), `GET /v2/orders/{id}`,
#      `GET /v2/orders/{id}/shipping_addresses` and the two redaction PUTs with the bodies
#      `order_redaction` builds (scripts/prism/*.json, kept equal to the builders by
#      `schema::the_prism_check_sends_the_order_bodies_the_builders_make`); with a build that carries
#      orders out (`validate` accepts `orders: redact`), plan → apply --plan → re-plan of an order manifest
#      through the router too. Fails on any violation, and on any DELETE to /v2/orders.
# Each spec is rewritten in a temporary copy so its paths start at /stores/{store_hash}/v3, as
# bcprune's requests do; it is never copied into the repository. Two errors of the subscribers spec are
# corrected in the copy, or every listing would be reported: the `id` filter of `GET /customers/subscribers`
# is marked required (a list cannot require a single ID), and `id:in` lacks `style: form, explode: false`
# although its own description documents the comma form `id:in=4,5,6` (as customers.v3.yml declares it).
# Checked by hand with `prism mock --errors` on the corrected copy: `GET …/subscribers?id:in=1,2,3&limit=250`
# (and `&page=2`), `?email=…&limit=250` and `DELETE …/subscribers/7` validate; uncorrected, id:in is
# refused ("id:in.0 must be integer").
#
# Findings (spec disagreements, kept in the copy, never in the repository): see the end of this file.
#
# Usage: scripts/prism-check.sh        (installs @stoplight/prism-cli into $PRISM_DIR, default ~/.cache/bcprune-prism)
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC=${SPEC:-../shared/bigcommerce/customers.v3.yml}
SUB_SPEC=${SUB_SPEC:-../shared/bigcommerce/subscribers.v3.yml}
ORDERS_SPEC=${ORDERS_SPEC:-../shared/bigcommerce/orders.v2.yml}
ROUTER_PORT=${ROUTER_PORT:-47332}
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

# ---- Phase 3: orders (V2, PRODUCT §15) --------------------------------------------------------------
if ! "$bin" sim --help 2>/dev/null | grep -q -- '--guest-orders'; then
  echo "Orders phase skipped: this build's 'bcprune sim' has no --guest-orders yet"
  exit 0
fi
[ -f "$ORDERS_SPEC" ] || { echo "error: spec not found at $ORDERS_SPEC (set ORDERS_SPEC=…)" >&2; exit 1; }
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
pids=()
# Finding O1 (see the end): the spec lists only 200 for the order listing, but V2 answers an empty page
# with 204 and no body; the copy gets that 204 (after the listing's 200), or every end of a listing is
# reported.
sed -e "s#^  - url: 'https://api.bigcommerce.com/stores/{store_hash}/v2'#  - url: 'http://127.0.0.1:$PRISM_PORT'#" \
    -e "s#^  '/orders#  '/stores/{store_hash}/v2/orders#" \
    -e "/^          \$ref: '#\/components\/responses\/orderCollection_Resp'\$/a\\        '204':\\n          description: No Content (an empty V2 page)" \
    "$ORDERS_SPEC" > "$work/orders-spec.yml"
# Customer 3: orders 100-101; customer 5: 102-401 (two pages of 250); guests: 402-403.
"$bin" sim --port "$SIM_PORT" --customers 20 --subscribers 0 --quota 100000 --orders 3:2 --orders 5:300 \
  --guest-orders guest@example.com:2 > "$work/sim3.log" 2>&1 & pids+=($!)
"$PRISM_DIR/node_modules/.bin/prism" proxy --errors -p "$PRISM_PORT" "$work/orders-spec.yml" "http://127.0.0.1:$SIM_PORT" \
  > "$work/prism3.log" 2>&1 & pids+=($!)
node scripts/prism/router.cjs "$ROUTER_PORT" "$PRISM_PORT" "$SIM_PORT" > "$work/router.log" 2>&1 & pids+=($!)
orders="http://127.0.0.1:$PRISM_PORT/stores/demo42/v2/orders"
auth=(-H 'X-Auth-Token: sim-token' -H 'Accept: application/json')
for _ in $(seq 1 60); do
  curl -s -o /dev/null "${auth[@]}" "$orders?customer_id=3&limit=250&page=1" && break
  sleep 0.5
done
# bcprune's own requests: import --orders redact (a read-only token is enough).
mkdir -p "$work/o"
printf 'version: 1\nabsent: []\norders_retention:\n  years: 10\n  basis: "§147 AO"\n' > "$work/o/retention.yaml"
BIGCOMMERCE_API_URL="http://127.0.0.1:$ROUTER_PORT" BIGCOMMERCE_ACCESS_TOKEN=sim-read-only-token \
  "$bin" import --into "$work/o/request.yaml" --manifest "$work/o" --orders redact --reason "DSR-2026-0001" guest@example.com nobody@example.com \
  > "$work/import.out" 2>&1 || { cat "$work/import.out" >&2; echo "error: import --orders redact failed through Prism" >&2; exit 1; }
grep -q -- "- id: 402" "$work/o/request.yaml" || { echo "error: import did not list the guest's orders" >&2; exit 1; }
# The rest of §15's requests, in the form bcprune sends them: discovery of customer 5 (two pages and the
# 204 after a short page), a customer without orders (204), one order, its shipping addresses, the two
# redaction PUTs (an order with both IP fields, one with IPv4 only, a shipping address), then the GET that
# verifies them.
for query in "customer_id=5&limit=250&page=1" "customer_id=5&limit=250&page=2" "customer_id=5&limit=250&page=3" \
             "customer_id=7&limit=250&page=1"; do
  curl -s -o /dev/null "${auth[@]}" "$orders?$query"
done
put=(-X PUT -H 'Content-Type: application/json')
curl -s -o /dev/null "${auth[@]}" "$orders/100"
curl -s -o /dev/null "${auth[@]}" "$orders/100/shipping_addresses"
curl -s -o /dev/null "${auth[@]}" "${put[@]}" --data @scripts/prism/order-put.json "$orders/100"
curl -s -o /dev/null "${auth[@]}" "${put[@]}" --data @scripts/prism/order-put-v4-only.json "$orders/101"
curl -s -o /dev/null "${auth[@]}" "${put[@]}" --data @scripts/prism/shipping-address-put.json "$orders/100/shipping_addresses/1001"
curl -s -o /dev/null "${auth[@]}" "$orders/100"
curl -s -o /dev/null "${auth[@]}" "$orders/100/shipping_addresses"
# With a build that carries orders out, plan and apply them through the router as well.
printf 'version: 1\norders_retention:\n  years: 0\n  basis: "test"\nabsent:\n  - id: 5\n    reason: "DSR-2"\n    orders: redact\nredact_orders:\n  - id: 403\n    reason: "DSR-2"\n' > "$work/o/orders.yaml"
if "$bin" validate "$work/o/orders.yaml" > /dev/null 2>&1; then
  export BIGCOMMERCE_API_URL="http://127.0.0.1:$ROUTER_PORT"
  "$bin" plan "$work/o/orders.yaml" --out "$work/oplan.json" > /dev/null 2>&1
  "$bin" apply --plan "$work/oplan.json" --max-deletes 1000 > /dev/null 2>&1
  "$bin" plan "$work/o/orders.yaml" --detailed-exitcode > /dev/null 2>&1 || true
  plan_note="plan, apply and re-plan of an order manifest"
else
  plan_note="plan and apply skipped: this build does not carry orders out yet"
fi

order_requests=$(grep -cE "(get|put|delete) /stores/demo42/v2/orders.*Request received" "$work/prism3.log" || true)
order_violations=$(grep -ciE "violation|✖" "$work/prism3.log" || true)
order_deletes=$(grep -ciE "delete /stores/demo42/v2/orders" "$work/prism3.log" || true)
echo "Prism validated $order_requests order requests (import, discovery pages and 204s, one order, shipping addresses, redaction PUTs, verification; $plan_note); violations: $order_violations; DELETEs on orders: $order_deletes"
if [ "$order_deletes" != "0" ]; then echo "error: a DELETE reached /v2/orders (it archives)" >&2; exit 1; fi
if [ "$order_violations" != "0" ]; then grep -iE "violation|✖" -A3 "$work/prism3.log" >&2; exit 1; fi

# ---- Findings (orders.v2.yml at 24f580ca; last run 2026-12-02, Prism proxy --errors) ------------------
# O1. `GET /orders` documents only 200, but V2 answers an empty page with 204 and no body (API-NOTES §11,
#     long-standing V2 behaviour): the copy adds the 204, else the end of every listing is a violation
#     ("Request/Response not valid", HTTP 500 from Prism, and bcprune retries it until it gives up).
#     `GET /orders/{order_id}/shipping_addresses` likewise documents only 200; the fake store answers an
#     order without shipping addresses with 204 (not exercised here: every seeded order has one or two).
# O2. The redaction bodies validate as they are: `order_Put` accepts `billing_address` holding only the
#     nine personal fields (`zip` a string of two characters), `customer_message`, `ip_address` and
#     `ip_address_v6`; the shipping address `PUT` accepts the nine fields alone. No field §15 forbids is
#     required by the spec.
# O3. The fake store's answers validate against the response schemas: order listings (bare arrays),
#     one order (RFC 2822 dates, sub-resources as {url, resource}), shipping addresses, and both PUTs'
#     answers. A negative check by hand (`PUT` with `zip: 5`, `GET ?customer_id=abc`) gets Prism's 422,
#     so a clean run means something.
