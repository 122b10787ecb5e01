#!/bin/bash
# test_vendor.sh - the vendor recipe: pins verified, tampered tarballs refused, offline build
# from the vendor-dist file, project rebuilds leave the vendored libraries alone.
. "$(dirname "$0")/../lib.sh"
t_init vendor

dist="$TOP/build/vendor/dist"
if [ ! -d "$dist" ]; then
	t_skip "no fetched tarballs (build first)"
	t_done
fi

# every pinned tarball that was fetched matches its pin
grep -v '^#' "$TOP/vendor/pins" | grep -v '^[[:space:]]*$' | while read -r name pkg ver file sum; do
	echo "$sum  $dist/$file"
done >"$T_TMP/sums"
t_check "fetched tarballs match vendor/pins" sha256sum -c "$T_TMP/sums"
t_eq "three libraries pinned" "$(wc -l <"$T_TMP/sums")" 3

# a copy of the project without build/ (what a user unpacks on an air-gapped host)
proj="$T_TMP/proj"
mkdir -p "$proj"
(cd "$TOP" && tar -cf - Makefile build-static.sh src vendor tests/unit) | tar -xf - -C "$proj"
t_check "vendor-dist packs the tarballs" make -s -C "$TOP" vendor-dist
cp "$TOP/polycrate-vendor.tar" "$proj/polycrate-vendor.tar"
t_eq "vendor-dist holds the three tarballs" "$(tar -tf "$proj/polycrate-vendor.tar" | wc -l)" 3

# tampered dist file: stops with a clear message, before anything is built
tam="$T_TMP/tamper"
cp -r "$proj" "$tam"
mkdir -p "$T_TMP/t" && tar -xf "$tam/polycrate-vendor.tar" -C "$T_TMP/t"
printf 'x' >>"$T_TMP/t/zlib_1.2.13.dfsg.orig.tar.bz2"
(cd "$T_TMP/t" && tar -cf "$tam/polycrate-vendor.tar" ./*.tar.*)
t_rc 1 "tampered tarball stops the build" "$tam/vendor/vendor.sh" build
t_contains "mismatch is named" "$T_STDERR" "sha256 mismatch for zlib_1.2.13.dfsg.orig.tar.bz2"
t_contains "mismatch shows the pin" "$T_STDERR" "expected 71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"
if [ -e "$tam/build/vendor/x86_64/lib/libz.a" ]; then t_fail "nothing built after mismatch"; else t_ok "nothing built after mismatch"; fi

# offline: no network at all, only the dist file
if t_netns_ok; then
	t_rc 0 "offline build from polycrate-vendor.tar" t_in_netns "" sh -c "cd '$proj' && ./build-static.sh"
	t_contains "offline build used the dist file" "$T_OUT" "unpacking"
	t_check "offline binary runs" "$proj/polycrate" version
	info=$(file "$proj/polycrate")
	t_contains "offline binary is static" "$info" "statically linked"
	# a project rebuild does not rebuild the libraries
	before=$(stat -c %Y "$proj/build/vendor/x86_64/lib/libbearssl.a")
	sleep 1
	touch "$proj/src/main.c"
	t_rc 0 "rebuild after a source change" t_in_netns "" make -s -C "$proj" polycrate
	t_not_contains "rebuild does not build vendor" "$T_OUT" "vendor: building"
	t_eq "libbearssl.a untouched" "$(stat -c %Y "$proj/build/vendor/x86_64/lib/libbearssl.a")" "$before"
else
	t_skip "offline build needs network namespaces"
fi
t_done
