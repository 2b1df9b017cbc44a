#!/bin/bash
# Builds mediasoup-worker from the mediasoup npm package's worker/ sources against Debian
# bookworm -dev libraries, without internet access beyond apt and the pip/npm registries.
# Adapted from the verified recipe in /work/shared/reference/mediasoup-worker-offline-build.sh:
# mediasoup's meson build wants to download its C/C++ dependencies as subprojects; we replace
# each subproject with a tiny meson shim that points at the system library instead.
#
# usage: sfu/build-worker-offline.sh VERSION OUTDIR [buildtype]
#   env: MEDIASOUP_PKG_DIR  the installed mediasoup package (default: <repo>/node_modules/mediasoup)
# The last line printed on stdout is the path of the built binary.
set -euo pipefail
V=${1:?usage: build-worker-offline.sh VERSION OUTDIR [buildtype]}
OUT=${2:?usage: build-worker-offline.sh VERSION OUTDIR [buildtype]}
BT=${3:-release}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKG=${MEDIASOUP_PKG_DIR:-$HERE/../node_modules/mediasoup}
log() { echo "[build-worker] $*" >&2; }

# --- 1. system packages (only installable when root; otherwise say what is missing) ---------
# Libraries are checked with dpkg; tools by command, since python/pip may come from elsewhere.
missing=()
for p in libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
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

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"

# --- 2. build tools (meson, ninja, invoke) in a private folder, not the system python -------
MS_TOOLS=${MS_TOOLS:-$OUT/tools}
if [ ! -x "$MS_TOOLS/bin/meson" ]; then
  log "pip install meson ninja invoke -> $MS_TOOLS"
  # --target installs are exempt from PEP 668's externally-managed check
  python3 -m pip install --quiet --target "$MS_TOOLS" meson ninja invoke >&2
fi
export PATH=$MS_TOOLS/bin:$PATH PYTHONPATH=$MS_TOOLS

# --- 3. worker sources: the installed package when its version matches, else npm pack -------
SRC=$OUT/src-$V/package
if [ ! -d "$SRC/worker" ]; then
  pkg_v=$(node -p "require('$PKG/package.json').version" 2>/dev/null || true)
  mkdir -p "$SRC"
  if [ "$pkg_v" = "$V" ] && [ -d "$PKG/worker/src" ]; then
    log "copying worker sources from $PKG"
    cp -R "$PKG/worker" "$SRC/worker"
    # a copied package may carry a previous build; never reuse it
    rm -rf "$SRC/worker/out"
  else
    log "fetching mediasoup@$V with npm pack"
    npm pack "mediasoup@$V" --pack-destination "$OUT" >/dev/null
    tar xzf "$OUT/mediasoup-$V.tgz" -C "$OUT/src-$V"
  fi
fi

# --- 4. shim subprojects --------------------------------------------------------------------
W=$SRC/worker; S=$W/subprojects
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
mk libsrtp2 <<'M'
project('libsrtp2', 'c')
libsrtp2_dep = declare_dependency(dependencies: dependency('libsrtp2'), include_directories: include_directories('compat'))
libsrtp2 = static_library('shim_srtp', 'empty.c')
M
printf "option('crypto-library', type: 'string', value: 'openssl')\noption('crypto-library-kdf', type: 'string', value: 'disabled')\noption('tests', type: 'string', value: 'disabled')\n" > "$S/$(dir libsrtp2)/meson_options.txt"
mkdir -p "$S/$(dir libsrtp2)/compat"
# mediasoup calls libsrtp's 3.x API (size_t lengths, srtp_stream_remove); Debian ships 2.5.
cat > "$S/$(dir libsrtp2)/compat/srtp.h" <<'H'
#pragma once
#include <srtp2/srtp.h>
#ifdef __cplusplus
#include <cstddef>
#define SHIM_WRAP(NAME) inline srtp_err_status_t NAME(srtp_t ctx, void* buf, size_t* len) { int n = static_cast<int>(*len); const srtp_err_status_t err = NAME(ctx, buf, &n); *len = static_cast<size_t>(n); return err; }
SHIM_WRAP(srtp_protect)
SHIM_WRAP(srtp_unprotect)
SHIM_WRAP(srtp_protect_rtcp)
SHIM_WRAP(srtp_unprotect_rtcp)
#undef SHIM_WRAP
#define srtp_stream_remove srtp_remove_stream
#endif
H
mk usrsctp <<'M'
project('usrsctp', 'c')
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('shim_usrsctp', 'empty.c')
M
printf "option('sctp_build_programs', type: 'boolean', value: false)\n" > "$S/$(dir usrsctp)/meson_options.txt"
if [ -f "$S/nlohmann_json.wrap" ]; then
mk nlohmann_json <<'M'
project('nlohmann_json', 'cpp')
nlohmann_json_dep = dependency('nlohmann_json')
M
fi
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
if [ -f "$S/flatbuffers.wrap" ]; then
mk flatbuffers <<'M'
project('flatbuffers', 'c', 'cpp')
flatbuffers_dep = dependency('flatbuffers')
flatbuffers_lib = static_library('shim_fb', 'empty.c')
M
fi

# --- 5. configure and compile -----------------------------------------------------------------
B=$OUT/build-$V-$BT
OPTS=""; grep -q ms_disable_liburing "$W/meson_options.txt" && OPTS="-Dms_disable_liburing=true"
if [ ! -f "$B/build.ninja" ]; then
  log "meson setup $B"
  meson setup --wrap-mode=nodownload $OPTS --buildtype="$BT" "$B" "$W" >&2
fi
if [ -f "$S/flatbuffers.wrap" ]; then ninja -C "$B" fbs/FBS >&2; fi
JOBS=$(( $(nproc 2>/dev/null || echo 2) + 1 ))
log "ninja -j$JOBS mediasoup-worker (takes several minutes)"
ninja -C "$B" -j"$JOBS" mediasoup-worker >&2
echo "$B/mediasoup-worker"
