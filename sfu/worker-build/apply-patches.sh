#!/bin/bash
# Applies hoinghi's patches for mediasoup VERSION to a mediasoup worker/ source tree, or fails.
#
# usage: sfu/worker-build/apply-patches.sh WORKER_DIR VERSION
#
# The patches live in sfu/worker-build/patches/VERSION/, applied in name order with --fuzz=0:
# a patch whose lines are not found exactly stops the build, since a worker built without the
# kTLS fix crashes on the first browser (see docs/upstream/mediasoup-ktls-bio-callback.md).
# A version without a patch folder is refused too: its kTLS behaviour is unknown until someone
# ports the patch. Applying twice is refused (the tree is already patched, or half patched).
set -euo pipefail
W=${1:?usage: apply-patches.sh WORKER_DIR VERSION}
V=${2:?usage: apply-patches.sh WORKER_DIR VERSION}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
P=$HERE/patches/$V
fail() { echo "[apply-patches] ERROR: $*" >&2; exit 1; }

[ -d "$W/src" ] || fail "$W is not a mediasoup worker/ source tree"
[ -d "$P" ] || fail "no patches for mediasoup $V in $P; port sfu/worker-build/patches/*/ to it (the kTLS fix is required with Debian's OpenSSL)"
shopt -s nullglob
patches=("$P"/*.patch)
[ ${#patches[@]} -gt 0 ] || fail "$P holds no .patch file"
command -v patch >/dev/null || fail "the 'patch' command is missing (Debian: apt-get install patch)"
for f in "${patches[@]}"; do
  # --dry-run first, so a patch that does not apply leaves the tree untouched
  if ! out=$(patch --dry-run --batch --forward --fuzz=0 -p1 -d "$W" < "$f" 2>&1); then
    echo "$out" >&2
    fail "$(basename "$f") does not apply to mediasoup $V in $W: the line it changes was not found; refusing to build a worker without it"
  fi
  patch --batch --forward --fuzz=0 --no-backup-if-mismatch -p1 -d "$W" < "$f" >&2
  echo "[apply-patches] applied $(basename "$f")" >&2
done
