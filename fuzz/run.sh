#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60). cargo-fuzz needs nightly-only
# flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p corpus/raw_data_roundtrip corpus/input_parser corpus/handoff_decode
# Seed the corpora with the real transactions from the test vectors.
python3 - <<'PY' || true
import json, pathlib
d = pathlib.Path("../shared/tests/data")
for f in ["transactions_signed.json", "transactions_unsigned.json"]:
    for v in json.loads((d / f).read_text())["vectors"]:
        raw = bytes.fromhex(v["raw_data_hex"])
        (pathlib.Path("corpus/raw_data_roundtrip") / v["id"]).write_bytes(raw)
        (pathlib.Path("corpus/input_parser") / v["id"]).write_text(v["raw_data_hex"])
PY
for target in raw_data_roundtrip input_parser handoff_decode; do
  echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$SECONDS_PER_TARGET" -max_len=4096
done
