#!/bin/sh
# Fetch (or take from a vendor-dist file), verify and build the pinned
# third-party libraries as static musl archives under build/vendor/<arch>/.
#
#   vendor/vendor.sh fetch        download the pinned tarballs into build/vendor/dist/
#   vendor/vendor.sh build [CC]   verify and build them (fetching first when needed)
#   vendor/vendor.sh dist FILE    pack the verified tarballs into one tar file
#
# Offline hosts: put the file made by `make vendor-dist` at ./polycrate-vendor.tar
# (or name it with POLYCRATE_VENDOR_DIST=path); it is used before any network.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
pins="$top/vendor/pins"
out="$top/build/vendor"
dist="$out/dist"
distfile="${POLYCRATE_VENDOR_DIST:-$top/polycrate-vendor.tar}"

die() { echo "vendor: $*" >&2; exit 1; }

pin_rows() { grep -v '^#' "$pins" | grep -v '^[[:space:]]*$'; }

sha_ok() { # file sha256
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

verify_all() {
	pin_rows | while read -r name pkg ver file sum; do
		[ -f "$dist/$file" ] || die "$file is missing from $dist"
		got=$(sha256sum "$dist/$file" | cut -d' ' -f1)
		if [ "$got" != "$sum" ]; then
			die "sha256 mismatch for $file ($name $ver)
  expected $sum
  got      $got
The tarball is not the pinned one: delete it and fetch again, or check vendor/pins."
		fi
	done
}

missing() {
	pin_rows | while read -r name pkg ver file sum; do
		sha_ok "$dist/$file" "$sum" || echo "$file"
	done
}

from_distfile() {
	[ -f "$distfile" ] || return 1
	echo "vendor: unpacking $distfile"
	tar -xf "$distfile" -C "$dist"
}

# apt-get source through a private sources list and private state, so the
# host's apt configuration is neither needed nor touched.
from_debian() {
	command -v apt-get >/dev/null || die "no apt-get here: place polycrate-vendor.tar (make vendor-dist) in $top"
	apt="$out/apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/src"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || die "missing $keyring (package debian-archive-keyring)"
	mirror="${POLYCRATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
	echo "deb-src [signed-by=$keyring] $mirror bookworm main" > "$apt/sources.list"
	set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
		-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root -q
	apt-get "$@" update >/dev/null || die "apt-get update of the private deb-src list failed"
	specs=$(pin_rows | while read -r name pkg ver file sum; do printf '%s=%s ' "$pkg" "$ver"; done)
	# shellcheck disable=SC2086
	(cd "$apt/src" && apt-get "$@" source --download-only $specs >/dev/null) ||
		die "apt-get source failed for: $specs"
	pin_rows | while read -r name pkg ver file sum; do
		cp "$apt/src/$file" "$dist/$file"
	done
}

# A dist file, when present, is the only source: a tarball in it that does not match its
# pin stops the build instead of being quietly fetched again.
fetch() {
	mkdir -p "$dist"
	[ -z "$(missing)" ] && return 0
	if from_distfile; then
		verify_all
		return 0
	fi
	from_debian
	verify_all
}

# Compile the listed C files into one static archive.
build_lib() { # name srcdir cflags files...
	lname=$1 srcd=$2 cfl=$3
	shift 3
	objd="$work/obj-$lname"
	mkdir -p "$objd"
	# shellcheck disable=SC2086
	printf '%s\n' "$@" | xargs -P "$JOBS" -I{} sh -c \
		'o="$1/$(echo "$2" | tr / _).o"; shift 2; exec "$@" -c "$0" -o "$o"' \
		"$srcd/{}" "$objd" {} $CC $VCFLAGS $cfl || die "compiling $lname failed"
	rm -f "$prefix/lib/lib$lname.a"
	$AR rcs "$prefix/lib/lib$lname.a" "$objd"/*.o
}

build() {
	CC=${1:-${CC:-musl-gcc}}
	AR=${AR:-ar}
	JOBS=$(nproc 2>/dev/null || echo 2)
	command -v "$CC" >/dev/null || die "compiler '$CC' not found (Debian: apt-get install musl-tools)"
	arch=$($CC -dumpmachine 2>/dev/null | cut -d- -f1)
	[ -n "$arch" ] || arch=$(uname -m)
	prefix="$out/$arch"
	stamp="$prefix/.built"
	want=$(cat "$pins"; echo "$CC")
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return 0
	fi
	fetch
	VCFLAGS="-O2 -fPIC -ffunction-sections -fdata-sections -w"
	work="$out/work-$arch"
	rm -rf "$work" "$prefix"
	mkdir -p "$work" "$prefix/lib" "$prefix/include"

	tar -xJf "$dist/bearssl_0.6+dfsg.1.orig.tar.xz" -C "$work"
	tar -xzf "$dist/libyaml_0.2.5.orig.tar.gz" -C "$work"
	tar -xjf "$dist/zlib_1.2.13.dfsg.orig.tar.bz2" -C "$work"

	b="$work/bearssl-0.6"
	echo "vendor: building BearSSL 0.6 with $CC"
	build_lib bearssl "$b" "-I$b/inc -I$b/src" $(cd "$b" && find src -name '*.c' | sort)
	cp "$b"/inc/*.h "$prefix/include/"

	y="$work/libyaml-0.2.5"
	echo "vendor: building libyaml 0.2.5 with $CC"
	cat > "$y/src/config.h" <<-CFG
	#define YAML_VERSION_MAJOR 0
	#define YAML_VERSION_MINOR 2
	#define YAML_VERSION_PATCH 5
	#define YAML_VERSION_STRING "0.2.5"
	CFG
	build_lib yaml "$y/src" "-I$y/include -I$y/src -DYAML_DECLARE_STATIC -DHAVE_CONFIG_H" \
		api.c dumper.c emitter.c loader.c parser.c reader.c scanner.c writer.c
	cp "$y/include/yaml.h" "$prefix/include/"

	z="$work/zlib-1.2.13.dfsg"
	echo "vendor: building zlib 1.2.13 with $CC"
	build_lib z "$z" "-I$z -DHAVE_UNISTD_H -DHAVE_STDARG_H" \
		adler32.c crc32.c deflate.c inflate.c inffast.c inftrees.c trees.c zutil.c
	cp "$z/zlib.h" "$z/zconf.h" "$prefix/include/"

	rm -rf "$work"
	echo "$want" > "$stamp"
	echo "vendor: libraries in $prefix"
}

distpack() {
	fetch
	file=${1:-$top/polycrate-vendor.tar}
	files=$(pin_rows | while read -r name pkg ver f sum; do printf '%s ' "$f"; done)
	# shellcheck disable=SC2086
	(cd "$dist" && tar --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$file.tmp" $files)
	mv "$file.tmp" "$file"
	echo "vendor: wrote $file"
}

case "${1:-build}" in
fetch) fetch ;;
build) shift || true; build "$@" ;;
dist) shift; distpack "$@" ;;
*) die "usage: vendor.sh fetch | build [CC] | dist FILE" ;;
esac
