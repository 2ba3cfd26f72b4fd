#!/usr/bin/env bash
# release-check.sh (`make release-check`): proves the release of HEAD is reproducible.
#
# 1. Builds the release twice (scripts/release.sh) in two different directories, each with its
#    own CARGO_HOME, TMPDIR and target directory, SOURCE_DATE_EPOCH from the commit; the two
#    SHA256SUMS (and tarballs) must be identical, else the differing files are listed.
# 2. Writes the source bundle (scripts/vendor.sh), extracts it elsewhere and runs
#    `cargo build --offline --locked --release -p coldpay-signer` in it under `env -i`, with an
#    empty CARGO_HOME, CARGO_NET_OFFLINE=true and, where `unshare -n` works, no network at all;
#    the signer it builds must hash as the release's coldpay-signer.
#
# Three release-profile builds: about half an hour on a busy 2-core machine. Not part of
# `make test`. Work directory: COLDPAY_RELEASE_CHECK_DIR (default target/release-check).
set -euo pipefail
umask 022

repo=$(cd "$(dirname "$0")/.." && pwd -P)
check=${COLDPAY_RELEASE_CHECK_DIR:-$repo/target/release-check}
user_home=${CARGO_HOME:-$HOME/.cargo}
start=$(date +%s)
step() { echo "== $* ($(($(date +%s) - start)) s)"; }

rm -rf "$check"
mkdir -p "$check"
# Every build below is of this one commit, whatever is committed meanwhile.
COLDPAY_RELEASE_COMMIT=$(git -C "$repo" rev-parse HEAD)
export COLDPAY_RELEASE_COMMIT

# A fresh CARGO_HOME seeded with the downloaded .crate files (cargo still unpacks them into its
# own registry/src, so their paths differ between the builds); the rest comes from crates.io.
new_cargo_home() {
    mkdir -p "$1/registry"
    if [ -d "$user_home/registry/cache" ]; then
        cp -r "$user_home/registry/cache" "$1/registry/"
    fi
}

build_release() { # build_release WORK DIST CARGO_HOME
    new_cargo_home "$3"
    mkdir -p "$1/tmp"
    env -u SOURCE_DATE_EPOCH COLDPAY_RELEASE_WORK="$1" COLDPAY_RELEASE_DIST="$2" \
        CARGO_HOME="$3" TMPDIR="$1/tmp" "$repo/scripts/release.sh"
}

step "release build 1 of 2"
build_release "$check/one" "$check/one/dist" "$check/one/cargo-home"
step "release build 2 of 2 (other paths, CARGO_HOME and TMPDIR)"
build_release "$check/b/second-build-tree" "$check/b/out" "$check/b/home/.cargo-elsewhere"

sums_a=$(find "$check/one/dist" -name SHA256SUMS)
sums_b=$(find "$check/b/out" -name SHA256SUMS)
if ! cmp -s "$sums_a" "$sums_b"; then
    echo "NOT REPRODUCIBLE: these files differ between the two builds:" >&2
    { diff "$sums_a" "$sums_b" || true; } | sed -n 's/^[<>] [0-9a-f]*  /  /p' | sort -u >&2
    exit 1
fi
tar_a=$(find "$check/one/dist" -maxdepth 1 -name '*.tar.gz')
tar_b=$(find "$check/b/out" -maxdepth 1 -name '*.tar.gz')
cmp -s "$tar_a" "$tar_b" || { echo "NOT REPRODUCIBLE: the release tarballs differ" >&2; exit 1; }
step "both releases identical: SHA256SUMS $(sha256sum <"$sums_a" | cut -d' ' -f1)"

step "source bundle (make vendor)"
COLDPAY_VENDOR_WORK="$check/vendor" COLDPAY_RELEASE_DIST="$check/vendor/dist" \
    CARGO_HOME="$check/one/cargo-home" "$repo/scripts/vendor.sh"
bundle=$(find "$check/vendor/dist" -name 'coldpay-*-src.tar.gz')
offline=$check/offline/some/other/place
mkdir -p "$offline" "$check/offline/home" "$check/offline/empty-cargo-home"
tar -xzf "$bundle" -C "$offline"
src=$(find "$offline" -mindepth 1 -maxdepth 1 -type d)

no_net=()
if unshare -n true 2>/dev/null; then
    no_net=(unshare -n)
    step "offline build of the signer from the bundle, in a network namespace with no interface"
else
    step "offline build of the signer from the bundle (unshare -n unavailable: CARGO_NET_OFFLINE only)"
fi
rustc_dir=$(dirname "$(command -v rustc)")
cargo_dir=$(dirname "$(command -v cargo)")
(cd "$src" && "${no_net[@]}" env -i PATH="$cargo_dir:$rustc_dir:/usr/bin:/bin" \
    HOME="$check/offline/home" CARGO_HOME="$check/offline/empty-cargo-home" \
    RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_NET_OFFLINE=true \
    cargo build --offline --locked --release -p coldpay-signer)

offline_sum=$(sha256sum "$src/target/x86_64-unknown-linux-gnu/release/coldpay-signer" | cut -d' ' -f1)
release_sum=$(sed -n 's/^\([0-9a-f]*\)  coldpay-signer$/\1/p' "$sums_a")
if [ "$offline_sum" != "$release_sum" ]; then
    echo "NOT REPRODUCIBLE: the signer built offline from the bundle hashes $offline_sum, the release's $release_sum" >&2
    exit 1
fi
step "offline signer identical to the release's: $offline_sum"
echo "release-check passed in $(($(date +%s) - start)) s"
