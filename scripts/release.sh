#!/usr/bin/env bash
# release.sh (`make release`): builds the release of the commit HEAD from a clean export of it
# and writes dist/coldpay-VERSION-x86_64-linux/ (and the same as a .tar.gz beside it):
#
#   coldpay-signer        statically linked (glibc crt-static), stripped
#   coldpay-broadcaster   dynamically linked, stripped
#   man/                  man pages (docs/man)
#   completions/          bash, zsh and fish completions, from the binaries themselves
#   docs/                 README.md and the operator documents
#   sbom/                 CycloneDX JSON of each binary's dependency tree (cargo-cyclonedx)
#   SHA256SUMS            over every file above
#
# Everything in it is reproducible: the same commit built in another directory, by another
# user with another CARGO_HOME, gives the same SHA256SUMS (`make release-check` proves it).
#
# Environment: COLDPAY_RELEASE_WORK (export and cargo target dir; default target/release-work),
# COLDPAY_RELEASE_DIST (default dist), SOURCE_DATE_EPOCH (default: the commit's time),
# CARGO_HOME as usual.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "$0")/.." && pwd -P)
work=${COLDPAY_RELEASE_WORK:-$repo/target/release-work}
dist_root=${COLDPAY_RELEASE_DIST:-$repo/dist}
triple=x86_64-unknown-linux-gnu
# The SBOM tool is pinned: another version writes other bytes. Install it with
#   cargo install cargo-cyclonedx --version 0.5.9 --locked
cyclonedx_version=0.5.9

fail() {
    echo "error: $*" >&2
    exit 1
}
for tool in git cargo sha256sum tar gzip python3 ldd; do
    command -v "$tool" >/dev/null || fail "$tool not found (needed to build a release)"
done
found=$(cargo cyclonedx --version 2>/dev/null || true)
[ "${found##* }" = "$cyclonedx_version" ] ||
    fail "cargo-cyclonedx $cyclonedx_version is needed for the SBOMs (found: ${found:-none}); install it with: cargo install cargo-cyclonedx --version $cyclonedx_version --locked"

src=$work/src
"$repo/scripts/release/export-source.sh" "$src"
mkdir -p "$src/.cargo" "$work/tmp"
cp "$src/scripts/release/cargo-config.toml" "$src/.cargo/config.toml"

# Only the committed configuration decides how the binaries are built.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET \
    RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CFLAGS CXXFLAGS \
    CARGO_PROFILE_RELEASE_LTO CARGO_PROFILE_RELEASE_CODEGEN_UNITS CARGO_PROFILE_RELEASE_STRIP \
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(cut -d' ' -f2 "$src/SOURCE_COMMIT")}
export TMPDIR=$work/tmp
# Inside the tree, so generated files (OUT_DIR) are mapped with it.
export CARGO_TARGET_DIR=$src/target
export LC_ALL=C TZ=UTC

cd "$src"
cargo fetch --locked
# One package per build: cargo unifies features across the packages of one build, and the
# signer must be the same binary as `cargo build -p coldpay-signer` of the source bundle.
cargo build --locked --release -p coldpay-signer
# The broadcaster stays dynamically linked (it resolves host names through glibc's NSS):
# an empty RUSTFLAGS replaces the config's crt-static flag.
# Its own target directory: the same dependencies built without crt-static would otherwise
# replace the signer's in target/ (the flags are not part of their file names) and each build
# would redo the other's.
RUSTFLAGS='' CARGO_TARGET_DIR=$src/target/dynamic cargo build --locked --release -p coldpay-broadcaster

bin=$CARGO_TARGET_DIR/$triple/release
dynbin=$CARGO_TARGET_DIR/dynamic/$triple/release
linkage=$(ldd "$bin/coldpay-signer" 2>&1 || true)
case $linkage in
*"not a dynamic executable"*) ;;
*) fail "coldpay-signer is not a static executable: ldd says: $linkage" ;;
esac
# No path of this build machine may be left in a binary (the wrappers map them all).
for b in "$bin/coldpay-signer" "$dynbin/coldpay-broadcaster"; do
    if grep -a -q -F -e "$src/" -e "${CARGO_HOME:-$HOME/.cargo}/" -e "$TMPDIR/" "$b"; then
        fail "$b still holds a path of this machine: $(grep -a -o -F -e "$src/" -e "${CARGO_HOME:-$HOME/.cargo}/" -e "$TMPDIR/" "$b" | sort -u | head -3)"
    fi
done
version=$("$bin/coldpay-signer" -V | cut -d' ' -f2)
name=coldpay-$version-x86_64-linux
out=$dist_root/$name
rm -rf "$out" "$out.tar.gz"
mkdir -p "$out/man" "$out/completions" "$out/docs" "$out/sbom"

install -m 0755 "$bin/coldpay-signer" "$out/coldpay-signer"
install -m 0755 "$dynbin/coldpay-broadcaster" "$out/coldpay-broadcaster"
for b in coldpay-signer coldpay-broadcaster; do
    install -m 0644 "docs/man/$b.1" "$out/man/$b.1"
    "$out/$b" completions bash >"$out/completions/$b.bash"
    "$out/$b" completions zsh >"$out/completions/_$b"
    "$out/$b" completions fish >"$out/completions/$b.fish"
done
install -m 0644 README.md "$out/README.md"
for doc in install runbook formats threat-model architecture cli; do
    install -m 0644 "docs/$doc.md" "$out/docs/$doc.md"
done

# SBOMs: cargo-cyclonedx describes each binary for the release target; its timestamp and
# random serial number are replaced (scripts/release/sbom-normalize.py).
for crate in signer broadcaster; do
    cargo cyclonedx --manifest-path "$crate/Cargo.toml" --format json --describe binaries \
        --spec-version 1.5 --target "$triple" --quiet
done
for b in coldpay-signer coldpay-broadcaster; do
    made=$(find signer broadcaster -maxdepth 1 -name "${b}_bin.cdx.json" -print -quit)
    [ -n "$made" ] || fail "cargo-cyclonedx wrote no SBOM for $b"
    python3 scripts/release/sbom-normalize.py "$made" "$src" >"$out/sbom/$b.cdx.json"
    rm -f "$made"
done

chmod 0644 "$out"/completions/* "$out"/sbom/*
(cd "$out" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum >SHA256SUMS)
chmod 0644 "$out/SHA256SUMS"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --format=gnu -C "$dist_root" -cf - "$name" | gzip -9n >"$out.tar.gz"

echo "wrote $out/ and $out.tar.gz (commit $(cut -d' ' -f1 "$src/SOURCE_COMMIT"))"
(cd "$out" && grep -E ' coldpay-(signer|broadcaster)$' SHA256SUMS)
echo "SHA256SUMS $(sha256sum "$out/SHA256SUMS" | cut -d' ' -f1)"
