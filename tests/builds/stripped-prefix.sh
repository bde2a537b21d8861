#!/bin/sh
# Make OUT a CPython 3.10 prefix whose libpython AND extension modules
# are stripped (`strip --strip-all`: no .symtab, no DWARF), from the
# shared-stripped build of tests/builds/make-builds.sh (BUILDS): issue
# 13's built-in decoders must give the same figures there as with DWARF.
#
# Usage: stripped-prefix.sh BUILDS OUT
#
#   OUT/bin/python3.10               the relinked executable (RUNPATH
#                                    $ORIGIN/../lib)
#   OUT/lib/libpython3.10.so.1.0     the stripped library
#   OUT/lib/python3.10/              a symlink to each entry of the source's
#                                    standard library, but lib-dynload:
#   OUT/lib/python3.10/lib-dynload/  stripped copies of its .so files
#
# CPython takes its prefix from the executable's location, so it loads
# these modules and no other; its sys.base_prefix is OUT.  Idempotent:
# OUT/.stamp names the builds it was made from.
set -eu

die() {
	echo "stripped-prefix.sh: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: stripped-prefix.sh BUILDS OUT"
BUILDS=$1
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
SRC=$BUILDS/shared-stripped
[ -x "$SRC/bin/python3.10" ] || die "no $SRC/bin/python3.10 (run make-builds.sh)"
STDLIB=$(readlink -f "$SRC/lib/python3.10") || die "no standard library"
[ -d "$STDLIB/lib-dynload" ] || die "no $STDLIB/lib-dynload"
stamp=$(cksum "$SRC/lib/libpython3.10.so.1.0" "$0" | tr '\n' ' ')
[ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$stamp" ] && exit 0

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/lib/python3.10/lib-dynload"
cp "$SRC/bin/python3.10" "$OUT/bin/python3.10"
cp "$SRC/lib/libpython3.10.so.1.0" "$OUT/lib/libpython3.10.so.1.0"
for e in "$STDLIB"/* "$STDLIB"/.[!.]*; do
	[ -e "$e" ] || continue
	[ "$(basename "$e")" = lib-dynload ] && continue
	ln -s "$e" "$OUT/lib/python3.10/$(basename "$e")"
done
for so in "$STDLIB"/lib-dynload/*.so; do
	strip --strip-all -o "$OUT/lib/python3.10/lib-dynload/$(basename "$so")" \
		"$so"
done
# Each copy lost its .symtab and DWARF.
for so in "$OUT"/lib/python3.10/lib-dynload/*.so "$OUT/lib/libpython3.10.so.1.0"; do
	if readelf -S "$so" | grep -q -e '\.symtab' -e '\.debug_info'; then
		die "$so is not stripped"
	fi
done
"$OUT/bin/python3.10" -c 'import sys, _asyncio, array; assert sys.base_prefix == sys.argv[1], sys.base_prefix; assert _asyncio.__file__.startswith(sys.argv[1]), _asyncio.__file__' "$OUT" ||
	die "$OUT/bin/python3.10 does not load its own stripped modules"
echo "$stamp" >"$OUT/.stamp"
