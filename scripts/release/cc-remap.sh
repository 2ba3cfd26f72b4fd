#!/bin/sh
# C compiler wrapper of release builds (CC_x86_64_unknown_linux_gnu in
# scripts/release/cargo-config.toml): the cc crate compiles libsecp256k1 through it, with
# -ffile-prefix-map for every mapping of remap-prefixes.sh (__FILE__ and debug paths).
# COLDPAY_RELEASE_CC names the real compiler (default: cc).
set -euf
. "$(dirname -- "$0")/remap-prefixes.sh"
maps=$(remap_prefixes)
old_ifs=$IFS
IFS='
'
for map in $maps; do
    set -- "$@" "-ffile-prefix-map=$map"
done
IFS=$old_ifs
exec "${COLDPAY_RELEASE_CC:-cc}" "$@"
