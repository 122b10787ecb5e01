#!/bin/sh
# build-static.sh - build ./polycrate: fully static, stripped, with the pinned BearSSL,
# libyaml and zlib (vendor/pins). Runs offline when polycrate-vendor.tar is in place.
#
#   ./build-static.sh                    x86_64 (or the host's arch) with musl-gcc
#   CC=aarch64-linux-musl-gcc ./build-static.sh   any musl cross compiler
set -eu
cd "$(dirname "$0")"
cc=${CC:-musl-gcc}
command -v "$cc" >/dev/null 2>&1 || {
	echo "build-static: '$cc' not found (Debian: apt-get install musl-tools;" \
		"cross builds: CC=<arch>-linux-musl-gcc)" >&2
	exit 1
}
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" CC_MUSL="$cc" polycrate
# -static-pie through musl-gcc on Debian 12 silently gives a dynamic binary; make sure.
if command -v file >/dev/null 2>&1; then
	info=$(file polycrate)
	case "$info" in
	*"statically linked"* | *"static-pie linked"*) ;;
	*) echo "build-static: polycrate is not static: $info" >&2; exit 1 ;;
	esac
fi
size=$(wc -c <polycrate)
echo "build-static: polycrate ($(uname -m 2>/dev/null), $size bytes)"
