#!/bin/bash
# Builds mediasoup-worker from the mediasoup npm package's worker/ sources against Debian
# bookworm -dev libraries, without internet access beyond apt and the pip/npm registries.
# Adapted from the verified recipe /work/shared/reference/mediasoup-worker-offline-build-3.19.sh.
#
# mediasoup's meson build wants to download its C/C++ dependencies as subprojects; each one is
# replaced by a tiny meson shim pointing at the system library. Two adaptations make 3.19.x work
# here (README, "The media worker"):
#   - libsrtp: mediasoup calls versatica's libsrtp 3 API, Debian has libsrtp2 2.5; the header
#     sfu/worker-build/libsrtp3-shim/srtp.h maps one onto the other.
#   - kTLS: Debian's OpenSSL is built with kernel TLS, which a mediasoup BIO callback bug turns
#     into a SIGSEGV on the first DTLS flight; sfu/worker-build/patches/VERSION/ fixes it. The
#     patches are applied first, and a patch that does not apply stops the build before anything
#     is compiled: no worker is better than one that crashes on every browser.
#
# usage: sfu/build-worker-offline.sh VERSION OUTDIR [buildtype]
#   env: MEDIASOUP_PKG_DIR  the installed mediasoup package (default: <repo>/node_modules/mediasoup)
#        MS_TOOLS           folder with meson/ninja/invoke from pip (default: OUTDIR/tools)
# The last line printed on stdout is the path of the built binary; everything else goes to stderr.
set -euo pipefail
V=${1:?usage: build-worker-offline.sh VERSION OUTDIR [buildtype]}
OUT=${2:?usage: build-worker-offline.sh VERSION OUTDIR [buildtype]}
BT=${3:-release}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKG=${MEDIASOUP_PKG_DIR:-$HERE/../node_modules/mediasoup}
log() { echo "[build-worker] $*" >&2; }
started=$(date +%s)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"

# --- 1. worker sources: the installed package when its version matches, else npm pack -------
SRC=$OUT/src-$V/package
W=$SRC/worker
# A source tree left by a run that stopped before its patches were applied is not trusted.
if [ -d "$SRC" ] && [ ! -f "$SRC/.hoinghi-patched" ]; then rm -rf "$OUT/src-$V"; fi
if [ ! -d "$W" ]; then
  pkg_v=$(node -p "require('$PKG/package.json').version" 2>/dev/null || true)
  mkdir -p "$SRC"
  if [ "$pkg_v" = "$V" ] && [ -d "$PKG/worker/src" ]; then
    log "copying worker sources from $PKG"
    cp -R "$PKG/worker" "$W"
    # a copied package may carry a previous build; never reuse it
    rm -rf "$W/out"
  else
    log "fetching mediasoup@$V with npm pack"
    npm pack "mediasoup@$V" --pack-destination "$OUT" >/dev/null
    tar xzf "$OUT/mediasoup-$V.tgz" -C "$OUT/src-$V"
  fi
fi

# --- 2. our patches (the kTLS fix); fails loudly, before anything is installed or compiled ---
if [ ! -f "$SRC/.hoinghi-patched" ]; then
  "$HERE/worker-build/apply-patches.sh" "$W" "$V"
  touch "$SRC/.hoinghi-patched"
fi

# --- 3. system packages (only installable when root; otherwise say what is missing) ---------
# Libraries are checked with dpkg; tools by command, since python/pip may come from elsewhere.
missing=()
for p in libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev libflatbuffers-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v flatc >/dev/null || missing+=(flatbuffers-compiler)
command -v g++ >/dev/null || missing+=(build-essential g++)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v python3 >/dev/null || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing missing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
  else
    log "missing Debian packages: ${missing[*]}"
    log "install them as root: apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# --- 4. build tools (meson, ninja, invoke) in a private folder, not the system python -------
MS_TOOLS=${MS_TOOLS:-$OUT/tools}
if [ ! -x "$MS_TOOLS/bin/meson" ]; then
  log "pip install meson ninja invoke -> $MS_TOOLS"
  # --target installs are exempt from PEP 668's externally-managed check
  python3 -m pip install --quiet --target "$MS_TOOLS" meson ninja invoke >&2
fi
export PATH=$MS_TOOLS/bin:$PATH PYTHONPATH=$MS_TOOLS

# --- 5. shim subprojects: each of mediasoup's wraps points at the Debian library ------------
S=$W/subprojects
[ -f "$S/libsrtp3.wrap" ] && [ -f "$S/flatbuffers.wrap" ] ||
  { log "mediasoup $V has no libsrtp3/flatbuffers subprojects: this script builds the 3.19 layout"; exit 1; }
dir() { grep '^directory' "$S/$1.wrap" | sed 's/.*= *//'; }
mk() { local d="$S/$(dir "$1")"; mkdir -p "$d"; : > "$d/empty.c"; cat > "$d/meson.build"; }
mk openssl <<'M'
project('openssl', 'c')
openssl_dep = dependency('openssl')
libcrypto_lib = static_library('shim_crypto', 'empty.c')
libssl_lib = static_library('shim_ssl', 'empty.c')
M
mk libuv <<'M'
project('libuv', 'c')
libuv_dep = dependency('libuv')
libuv = static_library('shim_uv', 'empty.c')
M
printf "option('build_tests', type: 'boolean', value: false)\noption('build_benchmarks', type: 'boolean', value: false)\n" > "$S/$(dir libuv)/meson_options.txt"
# libsrtp 3 API on Debian's libsrtp2: the shim header comes first on the include path
mk libsrtp3 <<'M'
project('libsrtp3', 'c')
libsrtp3_dep = declare_dependency(dependencies: dependency('libsrtp2'), include_directories: include_directories('compat'))
libsrtp3 = static_library('shim_srtp', 'empty.c')
M
SD="$S/$(dir libsrtp3)"
printf "option('crypto-library', type: 'string', value: 'openssl')\noption('crypto-library-kdf', type: 'string', value: 'disabled')\noption('tests', type: 'string', value: 'disabled')\n" > "$SD/meson_options.txt"
mkdir -p "$SD/compat"
cp "$HERE/worker-build/libsrtp3-shim/srtp.h" "$SD/compat/srtp.h"
mk usrsctp <<'M'
project('usrsctp', 'c')
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('shim_usrsctp', 'empty.c')
M
printf "option('sctp_build_programs', type: 'boolean', value: false)\n" > "$S/$(dir usrsctp)/meson_options.txt"
mk abseil-cpp <<'M'
project('abseil-cpp', 'c', 'cpp')
absl_container_dep = dependency('absl_flat_hash_map')
absl_container_lib = static_library('shim_absl', 'empty.c')
absl_strings_dep = dependency('absl_strings')
absl_types_dep = declare_dependency(dependencies: [dependency('absl_optional'), dependency('absl_variant'), dependency('absl_span')])
M
mk catch2 <<'M'
project('catch2', 'cpp')
catch2_dep = dependency('catch2', required: false)
M
mk flatbuffers <<'M'
project('flatbuffers', 'c', 'cpp')
flatbuffers_dep = dependency('flatbuffers')
flatbuffers_lib = static_library('shim_fb', 'empty.c')
M

# --- 6. configure and compile -----------------------------------------------------------------
# liburing is off: its subproject would be downloaded, and libuv's epoll path is what we test.
B=$OUT/build-$V-$BT
if [ ! -f "$B/build.ninja" ]; then
  log "meson setup $B"
  meson setup --wrap-mode=nodownload -Dms_disable_liburing=true --buildtype="$BT" "$B" "$W" >&2
fi
ninja -C "$B" fbs/FBS >&2
JOBS=$(( $(nproc 2>/dev/null || echo 2) + 1 ))
log "ninja -j$JOBS mediasoup-worker (about 8 minutes on 2 cores)"
ninja -C "$B" -j"$JOBS" mediasoup-worker >&2
log "built in $(( $(date +%s) - started )) s"
echo "$B/mediasoup-worker"
