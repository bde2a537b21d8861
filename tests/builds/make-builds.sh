#!/bin/sh
# Build, from the CPython 3.10 that tests/find-python310.sh finds (a shared
# build with DWARF, such as pyenv's), the interpreters that production runs
# and that issue 11's tests inspect: stripped, static, with separate debug
# files, with a debug file of the wrong build, and the decoy for a target
# in a container (tests/builds/in-container.sh).
#
# Usage: make-builds.sh OUTDIR
#
# Each build is a prefix, OUTDIR/NAME/bin/python3.10, with lib/python3.10
# a symlink to the source interpreter's standard library: CPython finds its
# prefix from the executable's own location, so every build finds its
# stdlib and lib-dynload without PYTHONHOME.  The shared builds are linked
# again from python.o with RUNPATH $ORIGIN/../lib, so that they load their
# own lib/libpython3.10.so.1.0 and never the source's (RUNPATH is searched
# after LD_LIBRARY_PATH: a copied executable would keep the source's
# RUNPATH and need the environment; relinking needs nothing).
#
#   shared-stripped/   libpython `strip --strip-all`: only .dynsym left
#   shared-debuglink/  the same with .gnu_debuglink (name and CRC) to
#                      lib/libpython3.10.so.1.0.debug, next to it
#   shared-mismatch/   the library of shared-debuglink, but the debug file
#                      under its debuglink name is CPython 3.9's
#   static/            python.o + libpython3.10.a, LINKFORSHARED, full DWARF
#   static-stripped/   the same `strip --strip-all`, no debuglink: its debug
#                      file is found only by build-id
#   static-debuglink/  stripped, with bin/python3.10.debug by debuglink
#   debug/             .build-id/xx/rest.debug of the 3.10 library and of
#                      the static executable (for --debug-dir)
#   debug-mismatch/    .build-id/xx/rest.debug named after the 3.10
#                      library's build-id, holding 3.9's debug info
#   container/app/     the host's side of a container's path: a decoy
#                      libpython3.10.so.1.0 (3.9's, stripped) and its
#                      debug file (3.9's).  in-container.sh mounts
#                      shared-debuglink/ over it inside the namespace.
#   builds.env         the paths above, as shell assignments
#
# Idempotent: OUTDIR/.stamp records the inputs (this script, the sources'
# build-ids, sizes and times); when it matches, nothing is rebuilt.
# Every build is checked before the stamp is written: it runs, is 3.10,
# maps the library it should (its own copy, or none for a static one), and
# each separate debug file has the build-id of the file it belongs to.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "make-builds.sh: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: make-builds.sh OUTDIR"
for tool in gcc strip objcopy readelf cksum; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

# conf PYTHON VAR...: print each sysconfig variable on a line of its own.
conf() {
	_py=$1
	shift
	"$_py" - "$@" <<'PY'
import sys, sysconfig
for name in sys.argv[1:]:
    v = sysconfig.get_path("stdlib") if name == "stdlib" else sysconfig.get_config_var(name)
    print("" if v is None else v)
PY
}

# shared_lib PYTHON: the path of its shared libpython, or nothing.
shared_lib() {
	"$1" - <<'PY'
import os, sysconfig
v = sysconfig.get_config_var
p = os.path.join(v("LIBDIR") or "", v("INSTSONAME") or "")
print(p if v("Py_ENABLE_SHARED") and os.path.isfile(p) else "")
PY
}

# find_python39: CPython 3.9 the way find-python310.sh finds 3.10
# ($PYTHON39, python3.9 on PATH, then pyenv); its libpython gives the
# debug file of the wrong build.
find_python39() {
	for c in "${PYTHON39:-}" "$(command -v python3.9 2>/dev/null || true)" \
		$(pyenv_39) "$HOME"/.pyenv/versions/3.9.*/bin/python3.9; do
		if [ -z "$c" ] || [ ! -x "$c" ]; then
			continue
		fi
		"$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))' \
			>/dev/null 2>&1 || continue
		"$c" -c 'import sys; print(sys.executable)'
		return 0
	done
	return 1
}

pyenv_39() {
	command -v pyenv >/dev/null 2>&1 || return 0
	for v in $(pyenv versions --bare 2>/dev/null | grep '^3\.9\.'); do
		p=$(pyenv prefix "$v" 2>/dev/null) && echo "$p/bin/python3.9"
	done
	return 0
}

# build_id FILE: the NT_GNU_BUILD_ID note as hex, or nothing.
build_id() {
	readelf -n "$1" 2>/dev/null | sed -n 's/^ *Build ID: *\([0-9a-f]*\)$/\1/p' |
		head -n 1
}

# need_build_id FILE: a build-id note is what debug files are matched by.
need_build_id() {
	[ -n "$(build_id "$1")" ] || die "$1 has no build-id note"
}

# libflags WORDS...: LIBS/SYSLIBS without the source's -L and -rpath, so
# that nothing links or loads the source's libpython by accident.
libflags() {
	for w in "$@"; do
		case "$w" in
		-L* | -Wl,-rpath,* | -Wl,-rpath=*) ;;
		*) printf '%s ' "$w" ;;
		esac
	done
}

# prefix DIR: an empty prefix whose lib/python3.10 is the stdlib.
prefix() {
	rm -rf "$1"
	mkdir -p "$1/bin" "$1/lib"
	ln -s "$STDLIB" "$1/lib/python3.10"
}

# link_shared DIR: bin/python3.10 from python.o against DIR/lib's library,
# found through RUNPATH $ORIGIN/../lib.  Stripped like the library: the
# executable holds only main().
link_shared() {
	# shellcheck disable=SC2086,SC2016 # word lists; $ORIGIN is ld.so's
	"$CC" -o "$1/bin/python3.10" "$LIBPL/python.o" \
		"$1/lib/libpython3.10.so.1.0" $LINKFORSHARED \
		'-Wl,-rpath,$ORIGIN/../lib' -Wl,--build-id $LINKLIBS
	strip --strip-all "$1/bin/python3.10"
}

# split_debug FILE: FILE.debug gets the debug sections and symbols
# (--only-keep-debug), FILE is stripped and linked to it (.gnu_debuglink:
# its base name and CRC32).
split_debug() {
	objcopy --only-keep-debug "$1" "$1.debug"
	strip --strip-all "$1"
	objcopy --add-gnu-debuglink="$1.debug" "$1"
}

# by_build_id DEBUGDIR ID FILE: FILE as DEBUGDIR/.build-id/xx/rest.debug.
by_build_id() {
	_d="$1/.build-id/$(echo "$2" | cut -c1-2)"
	mkdir -p "$_d"
	cp "$3" "$_d/$(echo "$2" | cut -c3-).debug"
}

# check_build NAME LIB: bin/python3.10 runs, is 3.10, and maps LIB as its
# libpython (no libpython at all when LIB is empty).
check_build() {
	_exe="$OUT/$1/bin/python3.10"
	_got=$("$_exe" - <<'PY'
import os, sys
assert sys.version_info[:2] == (3, 10), sys.version
libs = set()
for line in open("/proc/self/maps"):
    f = line.split()
    if len(f) >= 6 and "libpython" in os.path.basename(f[5]):
        libs.add(f[5])
print(os.path.realpath("/proc/self/exe"), sys.prefix, " ".join(sorted(libs)))
PY
) || die "$1: bin/python3.10 does not run"
	_want="$_exe $OUT/$1 $2"
	[ "$_got" = "${_want% }" ] || [ "$_got" = "$_want" ] ||
		die "$1: exe, prefix, libpython mapped: '$_got', expected '$_want'"
}

# check_debug FILE DEBUG: DEBUG belongs to FILE (same build-id) and has
# the DWARF and the .symtab that FILE lost.
check_debug() {
	[ "$(build_id "$1")" = "$(build_id "$2")" ] ||
		die "$2: build-id differs from $1's"
	readelf -S -W "$2" 2>/dev/null | grep -q ' \.debug_info ' || die "$2: no .debug_info"
	readelf -S -W "$2" 2>/dev/null | grep -q ' \.symtab ' || die "$2: no .symtab"
	! readelf -S -W "$1" | grep -q ' \.symtab ' || die "$1: still has .symtab"
}

PY=$(sh "$HERE/../find-python310.sh") || exit 1
PY39=$(find_python39) || die "no CPython 3.9 found (set PYTHON39): its debug info is the mismatched debug file"
SRCLIB=$(shared_lib "$PY")
[ -n "$SRCLIB" ] || die "$PY is not a shared build: the builds start from its libpython3.10.so.1.0"
LIB39=$(shared_lib "$PY39")
[ -n "$LIB39" ] || die "$PY39 is not a shared build"
{
	read -r LIBPL
	read -r STDLIB
	read -r CC
	read -r LINKFORSHARED
	read -r LIBS
	read -r SYSLIBS
} <<EOF
$(conf "$PY" LIBPL stdlib CC LINKFORSHARED LIBS SYSLIBS)
EOF
CC=${CC%% *}
# shellcheck disable=SC2086
LINKLIBS=$(libflags $LIBS $SYSLIBS)
for f in "$LIBPL/python.o" "$LIBPL/libpython3.10.a"; do
	[ -f "$f" ] || die "$f is missing: the static build links it"
done
readelf -S -W "$SRCLIB" | grep -q ' \.debug_info ' ||
	die "$SRCLIB has no DWARF: the builds need a library with full debug info"
readelf -S -W "$LIB39" | grep -q ' \.debug_info ' ||
	die "$LIB39 has no DWARF: the mismatched debug file needs 3.9's"
need_build_id "$SRCLIB"

mkdir -p "$1"
OUT=$(cd "$1" && pwd -P)
STAMP=$(
	cksum <"$0"
	echo "$PY $SRCLIB $(build_id "$SRCLIB") $LIB39 $(build_id "$LIB39")"
	stat -c "%n %s %Y" "$LIBPL/python.o" "$LIBPL/libpython3.10.a"
)
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
	echo "make-builds.sh: $OUT is up to date"
	exit 0
fi
rm -f "$OUT/.stamp"

# (a) shared libpython with only .dynsym.
prefix "$OUT/shared-stripped"
strip --strip-all -o "$OUT/shared-stripped/lib/libpython3.10.so.1.0" "$SRCLIB"
link_shared "$OUT/shared-stripped"

# (c) the same with a separate debug file by debuglink.
prefix "$OUT/shared-debuglink"
cp "$SRCLIB" "$OUT/shared-debuglink/lib/libpython3.10.so.1.0"
split_debug "$OUT/shared-debuglink/lib/libpython3.10.so.1.0"
link_shared "$OUT/shared-debuglink"

# (d) the library of (c), 3.9's debug info under its debuglink name.
prefix "$OUT/shared-mismatch"
cp "$OUT/shared-debuglink/lib/libpython3.10.so.1.0" "$OUT/shared-mismatch/lib/"
objcopy --only-keep-debug "$LIB39" "$OUT/shared-mismatch/lib/libpython3.10.so.1.0.debug"
link_shared "$OUT/shared-mismatch"

# (b) static: what CPython's Makefile does for the python target, with
# libpython3.10.a for $(BLDLIBRARY).  LINKFORSHARED exports the C API to
# the extension modules of lib-dynload.
prefix "$OUT/static"
# shellcheck disable=SC2086
"$CC" -o "$OUT/static/bin/python3.10" "$LIBPL/python.o" \
	"$LIBPL/libpython3.10.a" $LINKFORSHARED -Wl,--build-id $LINKLIBS
need_build_id "$OUT/static/bin/python3.10"
prefix "$OUT/static-stripped"
strip --strip-all -o "$OUT/static-stripped/bin/python3.10" "$OUT/static/bin/python3.10"
prefix "$OUT/static-debuglink"
cp "$OUT/static/bin/python3.10" "$OUT/static-debuglink/bin/python3.10"
split_debug "$OUT/static-debuglink/bin/python3.10"

# (c) the build-id layout of a debug directory.
rm -rf "$OUT/debug" "$OUT/debug-mismatch"
by_build_id "$OUT/debug" "$(build_id "$SRCLIB")" \
	"$OUT/shared-debuglink/lib/libpython3.10.so.1.0.debug"
by_build_id "$OUT/debug" "$(build_id "$OUT/static/bin/python3.10")" \
	"$OUT/static-debuglink/bin/python3.10.debug"
# (d) 3.9's debug info where the 3.10 library's build-id says to look.
by_build_id "$OUT/debug-mismatch" "$(build_id "$SRCLIB")" \
	"$OUT/shared-mismatch/lib/libpython3.10.so.1.0.debug"

# (e) the host's side of the container's path: every file there is of the
# wrong build (3.9), so that reading one instead of the container's shows.
rm -rf "$OUT/container"
mkdir -p "$OUT/container/app/lib"
strip --strip-all -o "$OUT/container/app/lib/libpython3.10.so.1.0" "$LIB39"
cp "$OUT/shared-mismatch/lib/libpython3.10.so.1.0.debug" "$OUT/container/app/lib/"

check_build shared-stripped "$OUT/shared-stripped/lib/libpython3.10.so.1.0"
check_build shared-debuglink "$OUT/shared-debuglink/lib/libpython3.10.so.1.0"
check_build shared-mismatch "$OUT/shared-mismatch/lib/libpython3.10.so.1.0"
check_build static ""
check_build static-stripped ""
check_build static-debuglink ""
check_debug "$OUT/shared-debuglink/lib/libpython3.10.so.1.0" \
	"$OUT/shared-debuglink/lib/libpython3.10.so.1.0.debug"
check_debug "$OUT/static-debuglink/bin/python3.10" \
	"$OUT/static-debuglink/bin/python3.10.debug"
check_debug "$OUT/static-stripped/bin/python3.10" \
	"$OUT/static-debuglink/bin/python3.10.debug"
check_debug "$OUT/shared-stripped/lib/libpython3.10.so.1.0" \
	"$OUT/debug/.build-id/$(build_id "$SRCLIB" | cut -c1-2)/$(build_id "$SRCLIB" | cut -c3-).debug"
[ "$(build_id "$OUT/shared-mismatch/lib/libpython3.10.so.1.0.debug")" != "$(build_id "$SRCLIB")" ] ||
	die "the mismatched debug file has the library's build-id"

cat >"$OUT/builds.env" <<EOF
# Written by tests/builds/make-builds.sh; see its header.
PHI_BUILDS=$OUT
PHI_BUILD_SOURCE=$PY
PHI_BUILD_LIB_ID=$(build_id "$SRCLIB")
PHI_BUILD_STATIC_ID=$(build_id "$OUT/static/bin/python3.10")
PHI_BUILD_LIB39_ID=$(build_id "$LIB39")
EOF
echo "$STAMP" >"$OUT/.stamp"
echo "make-builds.sh: built $OUT"
