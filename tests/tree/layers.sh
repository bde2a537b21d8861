#!/bin/sh
# The layer rule of docs/architecture.md, checked on the tree:
#  - analysis/ and report/ never read CPython structures: they include
#    no header of a CPython version folder (cpython/3*/), nor the table
#    of operations (cpython/ops.h), nor a memory source's internals
#    (source/proc/, source/snapshot/), nor debuginfo/, nor the image
#    (source/image.h); and they call no image accessor (phi_image_*) and
#    read no layout value (PHI_L);
#  - cpython/ reads memory only through the source interface: no
#    source/proc/ or source/snapshot/ header; a version folder includes
#    no other version's headers; it knows nothing of native/ (the C
#    library's memory);
#  - native/ (the C library's memory) stands on base/, debuginfo/ and the
#    source interface: no CPython, graph, analysis or report header, no
#    source folder's;
#  - source/ knows nothing of CPython, the graph's users or reports;
#  - graph/, debuginfo/ and base/ stand on base/ (and graph/ itself);
#  - only main.c wires everything: it is the one file outside these
#    rules.
# Each folder's public headers in include/pyheapinspect/ follow the rules
# of its sources.  Then the check is run again on a copy of the tree with
# one violation planted for each rule, and must fail for each (so that a
# rule that silently matches nothing is caught too); --quick skips that.
#
# Usage: sh tests/tree/layers.sh [--quick] [SRCDIR]
set -eu

self_test=yes
if [ "${1:-}" = --quick ]; then
	self_test=
	shift
fi
top=${1:-${PHI_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}}

# files FOLDER: the sources and headers of one stage.
files() {
	for d in "$top/src/$1" "$top/include/pyheapinspect/$1"; do
		[ -d "$d" ] && find "$d" -name '*.[ch]' -o -name '*.inc'
	done | LC_ALL=C sort
}

# forbid FOLDER WHAT REGEX: no file of FOLDER matches REGEX (extended,
# on lines that are not comments).
bad=0
forbid() {
	for f in $(files "$1"); do
		hits=$(grep -nE "$3" "$f" | grep -vE '^[0-9]+:[[:space:]]*(/\*|\*)' ||
			true)
		if [ -n "$hits" ]; then
			echo "layers: ${f#"$top"/} $2:" >&2
			echo "$hits" | sed 's/^/    /' >&2
			bad=$((bad + 1))
		fi
	done
}

inc='#include "pyheapinspect/'

check() {
	bad=0
	for stage in analysis report; do
		forbid "$stage" "includes a header internal to the CPython layer" \
			"${inc}cpython/(3[0-9]*/|ops\\.h)"
		forbid "$stage" "includes a memory source's internals or debug info" \
			"${inc}(source/(proc|snapshot|core)/|source/image\\.h|debuginfo/)"
		forbid "$stage" "reads the image itself (ask the CPython layer)" \
			'\bphi_image_[a-z0-9_]+\(|\bPHI_L\('
	done
	forbid cpython "reads memory past the source interface" \
		"${inc}source/(proc|snapshot|core)/"
	forbid cpython "depends on the C library's layer" "${inc}native/"
	forbid native "depends on a later stage or on CPython" \
		"${inc}(cpython|graph|analysis|report)/"
	forbid native "reads memory past the source interface" \
		"${inc}source/(proc|snapshot|core)/"
	for v in "$top"/src/cpython/3*/; do
		[ -d "$v" ] || continue
		ver=$(basename "$v")
		for f in $(find "$v" "$top/include/pyheapinspect/cpython/$ver" \
			-name '*.[ch]' 2>/dev/null); do
			hits=$(grep -nE "${inc}cpython/3[0-9]*/" "$f" |
				grep -v "cpython/$ver/" || true)
			if [ -n "$hits" ]; then
				echo "layers: ${f#"$top"/} includes another version's headers:" >&2
				echo "$hits" | sed 's/^/    /' >&2
				bad=$((bad + 1))
			fi
		done
	done
	forbid source "depends on a later stage" \
		"${inc}(cpython|analysis|report|graph|debuginfo|native)/"
	forbid graph "depends on a later stage" \
		"${inc}(source|cpython|analysis|report|debuginfo|native)/"
	forbid debuginfo "depends on a later stage" \
		"${inc}(source|cpython|analysis|report|graph|native)/"
	forbid base "depends on a stage" \
		"${inc}(source|cpython|analysis|report|graph|debuginfo|native)/"
	return "$bad"
}

if ! check; then
	echo "layers: $bad violation(s) of the layer rule (docs/architecture.md)" >&2
	exit 1
fi
echo "layers: the tree follows the layer rule"
[ -n "$self_test" ] || exit 0

# plant FILE LINE: a copy of the tree with LINE added to FILE must fail.
work=$(mktemp -d "${TMPDIR:-/tmp}/phi-layers.XXXXXX")
trap 'rm -rf "$work"' EXIT
plant() {
	rm -rf "$work/t"
	mkdir -p "$work/t"
	cp -R "$top/src" "$top/include" "$work/t/"
	printf '%s\n' "$2" >>"$work/t/$1"
	if (top=$work/t; check) 2>"$work/err"; then
		echo "layers: self-test: planting '$2' in $1 went unnoticed" >&2
		exit 1
	fi
	echo "layers: self-test: caught '$2' in $1: $(head -n 1 "$work/err")"
}
plant src/analysis/dups.c '#include "pyheapinspect/cpython/310/str.h"'
plant src/report/dump.c '#include "pyheapinspect/cpython/ops.h"'
plant src/report/text.c '#include "pyheapinspect/source/proc/reader.h"'
plant src/analysis/paths.c 'static int x(const void *i) { return phi_image_ptr(i, 0, 1) != 0; }'
plant src/report/json.c 'int y = PHI_L(lay, OB_TYPE);'
plant src/cpython/310/walk.c '#include "pyheapinspect/source/proc/capture.h"'
plant src/source/image.c '#include "pyheapinspect/cpython/heap.h"'
plant src/graph/graph.c '#include "pyheapinspect/analysis/paths.h"'
plant src/native/glibc.c '#include "pyheapinspect/cpython/heap.h"'
plant src/native/mappings.c '#include "pyheapinspect/source/proc/reader.h"'
plant src/cpython/310/pymalloc.c '#include "pyheapinspect/native/native.h"'
plant src/source/image.c '#include "pyheapinspect/native/native.h"'
echo "layers: self-test: every planted violation was caught"
