# Sourced by rustc-remap.sh and cc-remap.sh: prints "FROM=TO" lines, the absolute paths that
# differ from one build machine to the next mapped to fixed names, general before specific
# (rustc and gcc both apply the last mapping that matches):
#   the source tree            -> /coldpay
#   $CARGO_HOME/registry/src/* -> /crates   (crate sources downloaded by cargo)
#   the source tree's vendor/  -> /crates   (the same sources in a `make vendor` bundle)
# so a vendored build and a registry build compile identical file names into the binaries.
remap_prefixes() {
    root=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd -P)
    home=${CARGO_HOME:-${HOME:-/nonexistent}/.cargo}
    printf '%s=/coldpay\n' "$root"
    set +f # the callers split the list with globbing off
    for src in "$home"/registry/src/*/; do
        [ -d "$src" ] && printf '%s=/crates\n' "${src%/}"
    done
    set -f
    printf '%s/vendor=/crates\n' "$root"
}
