#!/bin/sh
# rustc wrapper of release builds (build.rustc-wrapper in scripts/release/cargo-config.toml):
# adds --remap-path-prefix for every mapping of remap-prefixes.sh, so panic locations and any
# other path compiled into a binary name the same file whatever directory, CARGO_HOME or user
# built it. Cargo calls it as `rustc-remap.sh RUSTC ARGS...`.
set -euf
. "$(dirname -- "$0")/remap-prefixes.sh"
rustc=$1
shift
maps=$(remap_prefixes)
old_ifs=$IFS
IFS='
'
for map in $maps; do
    set -- "$@" "--remap-path-prefix=$map"
done
IFS=$old_ifs
exec "$rustc" "$@"
