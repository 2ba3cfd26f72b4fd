#!/usr/bin/env bash
# make demo: a whole cold-payout ceremony against a local dev node, QR codes both ways.
# Everything here is throw-away and DEMO-ONLY (the passphrase file is public).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release}
SIGNER="$BIN/coldpay-signer"; BCAST="$BIN/coldpay-broadcaster"; NODE="$BIN/coldpay-devnode"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coldpay-demo.XXXXXX")
NODE_PID=""
cleanup() { [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
PASS=docs/examples/DEMO-PASSPHRASE.txt
START=$(date +%s)

step "Offline laptop: create a throw-away signer home bound to the local network"
"$SIGNER" --home "$WORK/signer" init --network local
cp docs/examples/demo-policy.toml "$WORK/signer/policy.toml"
echo "(demo policy: allowlist of the 20 demo recipients, unattended signing allowed)"

step "Offline laptop: new 24-word wallet (passphrase from $PASS — DEMO ONLY)"
"$SIGNER" --home "$WORK/signer" keys new --name treasury --no-confirm --passphrase-file "$PASS" 2>"$WORK/mnemonic.txt"
echo "(the mnemonic was shown once; in the demo it went to $WORK/mnemonic.txt)"
TREASURY=$("$SIGNER" --home "$WORK/signer" keys list --json | sed -n 's/.*"address": "\(T[^"]*\)".*/\1/p' | head -1)
echo "treasury address: $TREASURY"

step "Offline laptop: seal the demo policy — sign enforces only a sealed policy"
echo "!! DEMO ONLY: 1-of-1 admin, and the admin is the treasury key itself. ONE ADMIN ALONE CAN CHANGE"
echo "!! THIS POLICY. A real home names 2 or more admins held by other people (docs/runbook.md 1a)."
"$SIGNER" --home "$WORK/signer" policy enroll --admin "$TREASURY:demo admin" --threshold 1 --passphrase-file "$PASS"
"$SIGNER" --home "$WORK/signer" policy show | head -6

step "Start the local TRON dev node with a funded treasury (5,000 TRX, 250,000 USDT)"
"$NODE" --port 0 --block-ms 300 --solid-lag 19 --fund "$TREASURY=5000:250000" > "$WORK/node.out" &
NODE_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/node.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed 's/listening on //' "$WORK/node.out")
echo "dev node at $URL"
B=("$BCAST" --db "$WORK/journal.sqlite" --node "$URL" --network local)

step "Offline laptop: export the watch-only account as QR codes"
"$SIGNER" --home "$WORK/signer" keys export-watch --qr-png "$WORK/qr-watch"
step "Online laptop: scan the watch-only QR codes"
"${B[@]}" accounts import-watch --qr-image "$WORK"/qr-watch/*.png
"${B[@]}" balance "$TREASURY"

step "Online laptop: import the 20-payout batch from docs/examples/payouts.csv"
"${B[@]}" batch import docs/examples/payouts.csv --from "$TREASURY" --batch-id demo

step "Online laptop: build the sign request (TAPOS from a solidified block, fee limits from estimates) as QR codes"
"${B[@]}" build --batch demo --expires-in 2h --qr-png "$WORK/qr-request" -o "$WORK/request.json"
ls "$WORK/qr-request" | wc -l | xargs echo "request QR parts:"

step "Offline laptop: scan the request QR codes, review, sign under the demo policy"
"$SIGNER" --home "$WORK/signer" sign --qr-image "$WORK"/qr-request/*.png --yes --passphrase-file "$PASS" \
  --qr-png "$WORK/qr-response" -o "$WORK/response.json"
"$SIGNER" --home "$WORK/signer" audit verify

step "Online laptop: scan the response QR codes, verify signatures, broadcast"
"${B[@]}" submit --qr-image "$WORK"/qr-response/*.png

step "Online laptop: follow the chain to solidified finality"
"${B[@]}" track --follow --poll 500ms --timeout 90s

step "Report"
"${B[@]}" report --batch demo --format csv

step "Check the dev node's ledger agrees: 20 payouts, each paid exactly once"
LEDGER=$(curl -s "$URL/admin/ledger" 2>/dev/null || true)
if [ -z "$LEDGER" ]; then LEDGER=$("${B[@]}" status --json); fi
CONFIRMED=$("${B[@]}" status --json | sed -n 's/.*"confirmed": \([0-9]*\).*/\1/p' | head -1)
echo "confirmed payouts: ${CONFIRMED:-0}"
"${B[@]}" tx decode "$WORK/request.json" --json > /dev/null
if [ "${CONFIRMED:-0}" != "20" ]; then echo "DEMO FAILED: expected 20 confirmed payouts" >&2; exit 1; fi
if command -v curl >/dev/null; then
  N=$(printf '%s' "$LEDGER" | grep -o '"txid"' | wc -l)
  [ "$N" = "20" ] || { echo "DEMO FAILED: the node ledger holds $N transactions, expected 20" >&2; exit 1; }
  echo "node ledger: $N transactions"
fi
echo
echo "Demo complete in $(( $(date +%s) - START ))s: 20 payouts confirmed at solidified finality. Files in $WORK"
