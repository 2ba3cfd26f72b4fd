#!/usr/bin/env bash
# export-source.sh DEST: writes the tree of the commit COLDPAY_RELEASE_COMMIT (default HEAD; not
# the work tree: uncommitted changes are left out) into DEST, plus SOURCE_COMMIT ("<commit> <commit time>") so builds
# without .git still name the commit. DEST is emptied first, except DEST/target (a cargo
# target directory kept between release builds).
set -euo pipefail
dest=$1
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
rev=$(git -C "$repo" rev-parse --verify "${COLDPAY_RELEASE_COMMIT:-HEAD}^{commit}")
mkdir -p "$dest"
find "$dest" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
git -C "$repo" archive --format=tar "$rev" | tar -x -C "$dest"
git -C "$repo" log -1 --format='%H %ct' "$rev" >"$dest/SOURCE_COMMIT"
if [ -z "${COLDPAY_RELEASE_COMMIT:-}" ] && [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    echo "note: building commit $(git -C "$repo" rev-parse --short HEAD); uncommitted changes are not included" >&2
fi
