#!/usr/bin/env bash
# make demo-multisig: offline M-of-N approval (issue #14) against a local dev node. An owner
# signer home sets up a 2-of-3 "payouts" permission; three approver homes, each with its own key,
# policy and ledger, review the same 20-payout request from QR codes and return their own
# responses as QR codes; the broadcaster collects approvals and broadcasts at the threshold.
# Everything here is throw-away and DEMO-ONLY (the passphrase file is public).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release}
SIGNER="$BIN/coldpay-signer"; BCAST="$BIN/coldpay-broadcaster"; NODE="$BIN/coldpay-devnode"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coldpay-demo-multisig.XXXXXX")
NODE_PID=""
cleanup() { [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "DEMO FAILED: $*" >&2; exit 1; }
PASS=docs/examples/DEMO-PASSPHRASE.txt
START=$(date +%s)

# A signer home with one new key and the demo policy (plus `extra` policy lines at the top).
new_home() { # home name extra
  "$SIGNER" --home "$WORK/$1" init --network local >/dev/null
  { printf '%s\n' "$3"; cat docs/examples/demo-policy.toml; } > "$WORK/$1/policy.toml"
  "$SIGNER" --home "$WORK/$1" keys new --name "$2" --no-confirm --passphrase-file "$PASS" >/dev/null 2>"$WORK/$1.mnemonic.txt"
  "$SIGNER" --home "$WORK/$1" keys list --json | sed -n 's/.*"address": "\(T[^"]*\)".*/\1/p' | head -1
}

# Signs a permission update (args: home, account, then sign arguments) typing what the signer
# asks for, as the owner would: the account's last 6 characters, a space, the confirmation code
# from its review (never --yes). setsid keeps the signer away from this terminal, so it reads
# the typed line from the pipe.
sign_typed() { # home account args…
  local home=$1 account=$2; shift 2
  local typed="$WORK/$home.typed" review="$WORK/$home.review.txt"
  rm -f "$typed"; mkfifo "$typed"; : > "$review"
  setsid "$SIGNER" --home "$WORK/$home" sign "$@" --passphrase-file "$PASS" <"$typed" >"$review" 2>&1 &
  local pid=$!
  exec 3>"$typed"
  for _ in $(seq 300); do grep -q "confirmation code" "$review" && break; sleep 0.1; done
  local code
  code=$(sed -n 's/.*confirmation code \([A-Z0-9]\{6\}\).*/\1/p' "$review" | head -1)
  cat "$review"
  [ -n "$code" ] || { exec 3>&-; wait "$pid" || true; fail "the owner home showed no confirmation code"; }
  echo "(typing: ${account: -6} $code)"
  echo "${account: -6} $code" >&3; exec 3>&-
  wait "$pid" || { tail -5 "$review"; fail "the owner home did not sign"; }
}

step "Offline laptops: four throw-away signer homes (passphrase from $PASS — DEMO ONLY)"
TREASURY=$(new_home owner treasury "allow_permission_update = true")
A=$(new_home approver-a approver-a "")
B=$(new_home approver-b approver-b "")
C=$(new_home approver-c approver-c "")
echo "treasury (owner key): $TREASURY"
echo "approver A: $A"; echo "approver B: $B"; echo "approver C: $C"
echo "(the owner home's policy allows permission updates; the approvers' do not)"

step "Offline laptops: seal every home's policy, 2 of 3 admins (the three approvers' keys)"
for h in owner approver-a approver-b approver-c; do
  key=$(ls "$WORK/$h/keystores" | sed 's/\.json$//')
  "$SIGNER" --home "$WORK/$h" policy enroll --admin "$A:approver-a" --admin "$B:approver-b" --admin "$C:approver-c" \
    --threshold 2 --key "$key" --passphrase-file "$PASS" >"$WORK/$h.enroll.txt" 2>&1
  grep "^Sealed" "$WORK/$h.enroll.txt"
done

# Approves a policy proposal on an admin's own home, typing what it asks for ("approve N").
approve_policy() { # home proposal output
  local seq
  seq=$(sed -n 's/.*"seq": \([0-9]*\).*/\1/p' "$2" | head -1)
  echo "approve $seq" | setsid "$SIGNER" --home "$WORK/$1" policy approve "$2" --key "$1" \
    --passphrase-file "$PASS" -o "$3" >"$WORK/$1.approve.txt" 2>&1 || true
  cat "$WORK/$1.approve.txt"
  [ -s "$3" ] || fail "$1 did not approve the policy update"
}

step "Policy update on the approvers' homes: add a recipient to the allowlist, 2 of 3 admins approve"
"$SIGNER" --home "$WORK/approver-a" policy allow add TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm --label "new supplier" \
  -o "$WORK/policy-proposal.json"
# An unapproved edit of policy.toml is refused at the next signing:
cp "$WORK/approver-b/policy.toml" "$WORK/policy-b.bak"
sed -i 's/mode = "allowlist"/mode = "any"/' "$WORK/approver-b/policy.toml"
if "$SIGNER" --home "$WORK/approver-b" sign "$WORK/policy-proposal.json" --yes --passphrase-file "$PASS" 2>"$WORK/edit.txt"; then
  fail "approver-b signed with an edited policy.toml"
fi
grep -q "differs from the sealed policy" "$WORK/edit.txt" || { cat "$WORK/edit.txt"; fail "the edited policy was not named"; }
echo "refused: $(grep -o 'policy file .*differs from the sealed policy seq [0-9]*' "$WORK/edit.txt")"
cp "$WORK/policy-b.bak" "$WORK/approver-b/policy.toml"
# One approval is not enough:
approve_policy approver-a "$WORK/policy-proposal.json" "$WORK/approval-a.json"
if "$SIGNER" --home "$WORK/approver-a" policy apply "$WORK/policy-proposal.json" "$WORK/approval-a.json" \
  --passphrase-file "$PASS" 2>"$WORK/apply1.txt"; then fail "one approval of 2 sealed the update"; fi
echo "refused: $(tail -1 "$WORK/apply1.txt")"
approve_policy approver-c "$WORK/policy-proposal.json" "$WORK/approval-c.json"
for h in approver-a approver-b approver-c; do
  "$SIGNER" --home "$WORK/$h" policy apply "$WORK/policy-proposal.json" "$WORK/approval-a.json" "$WORK/approval-c.json" \
    --passphrase-file "$PASS" >"$WORK/$h.apply.txt" 2>&1 || { cat "$WORK/$h.apply.txt"; fail "$h did not apply the update"; }
  head -2 "$WORK/$h.apply.txt"
done

step "Start the local TRON dev node with a funded treasury (5,000 TRX, 250,000 USDT)"
"$NODE" --port 0 --block-ms 300 --solid-lag 19 --fund "$TREASURY=5000:250000" > "$WORK/node.out" &
NODE_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/node.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed 's/listening on //' "$WORK/node.out")
[ -n "$URL" ] || fail "the dev node did not start"
echo "dev node at $URL"
B_=("$BCAST" --db "$WORK/journal.sqlite" --node "$URL" --network local)

step "Owner laptop → online laptop: the watch-only account as QR codes"
"$SIGNER" --home "$WORK/owner" keys export-watch --qr-png "$WORK/qr-watch"
"${B_[@]}" accounts import-watch --qr-image "$WORK"/qr-watch/*.png
"${B_[@]}" accounts permissions "$TREASURY"

step "Online laptop: 2 of 3 that means 2 of 3: \"payouts\" replaces the default active (id 2), the owner becomes the same 2 of 3"
"${B_[@]}" accounts set-permission "$TREASURY" --id 2 --name payouts --threshold 2 \
  --key "$A=1" --key "$B=1" --key "$C=1" --operations trx,trc20 \
  --owner-threshold 2 --owner-key "$A=1" --owner-key "$B=1" --owner-key "$C=1" \
  --allow-owner-handover --qr-png "$WORK/qr-perm"

step "Owner laptop: scan the update's QR codes, review who controls the account before/after, type the code, sign"
sign_typed owner "$TREASURY" --qr-image "$WORK"/qr-perm/*.png --qr-png "$WORK/qr-perm-response" -o "$WORK/permission.response.json"
! grep -q "ALONE CAN STILL PAY" "$WORK/owner.review.txt" || fail "the owner's review says a single key can still pay"
echo "owner review: no key alone can pay after this update"

step "Online laptop: scan the owner's response, broadcast the update, follow it to finality"
"${B_[@]}" submit --qr-image "$WORK"/qr-perm-response/*.png
"${B_[@]}" track --follow --poll 500ms --timeout 90s
"${B_[@]}" accounts permissions "$TREASURY"
PERM_ID=$("${B_[@]}" --json accounts permissions "$TREASURY" | tr -d '\n ' \
  | sed -n 's/.*"id":\([0-9]*\),"keys":\[[^]]*\],"name":"payouts".*/\1/p')
[ -n "$PERM_ID" ] || fail "no payouts permission on the node"
echo "payouts permission id: $PERM_ID"

step "The treasury key alone can no longer pay: a 1 TRX payout signed by it alone is refused by the node"
# A scratch journal, so the refused attempt (live until it expires) stays out of the real one.
B_ALONE=("$BCAST" --db "$WORK/alone.sqlite" --node "$URL" --network local)
"${B_ALONE[@]}" accounts import-watch --qr-image "$WORK"/qr-watch/*.png >/dev/null
"${B_ALONE[@]}" pay --from "$TREASURY" --to TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT --amount 1 --token trx --payout-id alone-1
"${B_ALONE[@]}" build --batch alone-1 -o "$WORK/alone.request.json"
"$SIGNER" --home "$WORK/owner" sign "$WORK/alone.request.json" --yes --passphrase-file "$PASS" -o "$WORK/alone.response.json"
if "${B_ALONE[@]}" submit "$WORK/alone.response.json" > "$WORK/alone.submit.txt" 2>&1; then
  cat "$WORK/alone.submit.txt"
  fail "the node accepted a payout signed by the treasury key alone"
fi
cat "$WORK/alone.submit.txt"
grep -q "SIGERROR\|not contained of permission" "$WORK/alone.submit.txt" \
  || fail "the node did not refuse a payout signed by the treasury key alone"
echo "refused: the treasury key alone cannot pay"

step "Approver laptops → online laptop: each home's key, named as an approver of \"payouts\", over QR"
for h in approver-a approver-b approver-c; do
  "$SIGNER" --home "$WORK/$h" keys export-watch --approver-for "$TREASURY:payouts" --qr-png "$WORK/qr-watch-$h"
  "${B_[@]}" accounts import-watch --qr-image "$WORK/qr-watch-$h"/*.png
done
"${B_[@]}" accounts permissions "$TREASURY"

step "Online laptop: import the 20-payout batch, build it under permission $PERM_ID (12 h default expiry) as QR codes"
"${B_[@]}" batch import docs/examples/payouts.csv --from "$TREASURY" --batch-id demo
"${B_[@]}" build --batch demo --permission "$PERM_ID" --qr-png "$WORK/qr-request" -o "$WORK/request.json"
ls "$WORK/qr-request" | wc -l | xargs echo "request QR parts:"

approve() { # home
  step "Approver $1: scan the request QR codes, review, sign with its own key under its own policy"
  "$SIGNER" --home "$WORK/$1" sign --qr-image "$WORK"/qr-request/*.png --yes --passphrase-file "$PASS" \
    --qr-png "$WORK/qr-$1" -o "$WORK/$1.response.json"
  step "Online laptop: scan approver $1's response QR codes"
  "${B_[@]}" submit --qr-image "$WORK"/qr-"$1"/*.png
}

approve approver-a
"${B_[@]}" status --batch demo
BROADCAST=$("${B_[@]}" status --batch demo --json | tr -d '\n ' | sed -n 's/.*"broadcast":\([0-9]*\).*/\1/p')
[ "${BROADCAST:-0}" = "0" ] || fail "one approval alone was broadcast"
echo "one approval alone: nothing broadcast"

approve approver-c
"${B_[@]}" track --follow --poll 500ms --timeout 90s

step "Approver B signs too, late: harmless, reported"
approve approver-b

step "Report"
"${B_[@]}" report --batch demo

step "Check the dev node's ledger agrees: 20 payouts, each paid exactly once"
CONFIRMED=$("${B_[@]}" status --batch demo --json | tr -d '\n ' | sed -n 's/.*"confirmed":\([0-9]*\).*/\1/p')
echo "confirmed payouts: ${CONFIRMED:-0}"
[ "${CONFIRMED:-0}" = "20" ] || fail "expected 20 confirmed payouts"
if command -v curl >/dev/null; then
  LEDGER=$(curl -s "$URL/admin/ledger")
  N=$(printf '%s' "$LEDGER" | grep -o '"txid"' | wc -l)
  # 20 payouts + the permission update.
  [ "$N" = "21" ] || fail "the node ledger holds $N transactions, expected 21"
  echo "node ledger: $N transactions (20 payouts + 1 permission update)"
fi
echo
echo "Demo complete in $(( $(date +%s) - START ))s: 2-of-3 approval over QR, 20 payouts confirmed. Files in $WORK"
