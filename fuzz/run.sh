#!/usr/bin/env bash
# Runs every cargo-fuzz target (each [[bin]] in fuzz/Cargo.toml) for SECONDS each (default 60),
# starting from the checked-in seeds in fuzz/seeds/<target>/ (plus the raw transactions of the
# test vectors for the transaction decoders). Corpora grow in fuzz/corpus/<target>/ (not checked
# in); crashes land in fuzz/artifacts/<target>/ and make the script fail.
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
# FUZZ_SANITIZER=none skips AddressSanitizer: the targets are safe Rust, and the ASan build
# takes over 20 minutes on 2 cores (the long runs in seeds/README.md used none).
SANITIZER="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=$(sed -n 's/^name = "\([a-z_0-9]*\)"$/\1/p' Cargo.toml | grep -v '^coldpay-fuzz$')
for target in $targets; do
  mkdir -p "corpus/$target"
  if [ -d "seeds/$target" ]; then cp -n "seeds/$target"/* "corpus/$target/" 2>/dev/null || true; fi
done
# Seed the transaction decoders with the real transactions from the test vectors.
python3 - <<'PY' || true
import json, pathlib
d = pathlib.Path("../shared/tests/data")
for f in ["transactions_signed.json", "transactions_unsigned.json"]:
    for v in json.loads((d / f).read_text())["vectors"]:
        raw = bytes.fromhex(v["raw_data_hex"])
        (pathlib.Path("corpus/raw_data_roundtrip") / v["id"]).write_bytes(raw)
        (pathlib.Path("corpus/input_parser") / v["id"]).write_text(v["raw_data_hex"])
PY
for target in $targets; do
  echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
  cargo fuzz run -s "$SANITIZER" "$target" "corpus/$target" -- -max_total_time="$SECONDS_PER_TARGET" -max_len=8192 -timeout=10
done
