#!/usr/bin/env bash
# Installs TronWeb and tronpy locally (scripts/sdk-bench/.deps) for `make bench`'s comparison.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p .deps
npm install --silent --prefix .deps/node tronweb@6
python3 -m pip install --quiet --target .deps/py tronpy
echo "TronWeb and tronpy installed in scripts/sdk-bench/.deps"
