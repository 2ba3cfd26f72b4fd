#!/usr/bin/env bash
# vendor.sh (`make vendor`): writes dist/coldpay-VERSION-src.tar.gz, the source of the commit
# HEAD with every dependency vendored (`cargo vendor`) and .cargo/config.toml holding the
# release settings (scripts/release/cargo-config.toml) and the source replacement. On a machine
# with only a Rust toolchain and no network, inside the extracted directory,
#
#   cargo build --offline --locked --release -p coldpay-signer
#
# builds target/x86_64-unknown-linux-gnu/release/coldpay-signer, the same bytes as the release's
# coldpay-signer (`make release-check` does exactly this with the network cut off).
# The tarball is deterministic: names sorted, mtimes from SOURCE_DATE_EPOCH (default: the
# commit's time), owner and group 0, no gzip timestamp.
#
# Environment: COLDPAY_VENDOR_WORK (default target/vendor-work), COLDPAY_RELEASE_DIST (default
# dist), CARGO_HOME as usual.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "$0")/.." && pwd -P)
work=${COLDPAY_VENDOR_WORK:-$repo/target/vendor-work}
dist_root=${COLDPAY_RELEASE_DIST:-$repo/dist}
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml")
[ -n "$version" ] || { echo "error: no version in [workspace.package] of Cargo.toml" >&2; exit 1; }
name=coldpay-$version-src
src=$work/$name

rm -rf "$work"
"$repo/scripts/release/export-source.sh" "$src"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(cut -d' ' -f2 "$src/SOURCE_COMMIT")}
export LC_ALL=C
(cd "$src" && cargo vendor --locked --versioned-dirs --quiet vendor >/dev/null)
mkdir -p "$src/.cargo"
{
    cat "$src/scripts/release/cargo-config.toml"
    cat <<'TOML'

# Source replacement of the source bundle (`make vendor`): every crate comes from vendor/.
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"

[net]
offline = true
TOML
} >"$src/.cargo/config.toml"

mkdir -p "$dist_root"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --mode='u+rw,go+r,go-w' --format=gnu -C "$work" -cf - "$name" |
    gzip -9n >"$dist_root/$name.tar.gz"
echo "wrote $dist_root/$name.tar.gz ($(du -h "$dist_root/$name.tar.gz" | cut -f1), $(ls "$src/vendor" | wc -l) vendored crates)"
sha256sum "$dist_root/$name.tar.gz"
