#!/bin/sh
# Issue 13's decoders of C types on fixtures/ctypes_heap.py (every C type
# of the standard library the tool has a built-in decoder for, with
# Python subclasses and the branches of their traversals, and every C
# module loaded), against the target's own gc.get_referents and
# sys.getsizeof (tests/e2e/check_ctypes.py):
#   dwarf     the interpreter under test (libpython and lib-dynload with
#             DWARF): every sample decoded by its built-in decoder, its
#             referents gc.get_referents', its size sys.getsizeof; every
#             module's state references found
#   stripped  the same heap on a prefix whose libpython AND extension
#             modules are `strip --strip-all` copies
#             (tests/builds/stripped-prefix.sh): the same figures; the
#             C types without a built-in decoder are scanned, and the
#             report's c_types section lists them as the dump has them
#   generic   the built-in decoders left out (PYHEAPINSPECT_TEST_CTYPES=
#             dwarf): the structs from DWARF miss references only where
#             tp_traverse walks what is no member, never take a weak list
#             head, and mark every size they cannot compute
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

stripped_prefix "$WORK/stripped"
CHECK="$PYTHON310 $PHI_SRCDIR/tests/e2e/check_ctypes.py"

start_target "$PYTHON310" "$FIXTURES/ctypes_heap.py" "$WORK/truth.json"
PID=$TARGET_PID
"$WORK/stripped/bin/python3.10" "$FIXTURES/ctypes_heap.py" \
	"$WORK/truth-stripped.json" </dev/null >"$WORK/stripped.out" 2>&1 &
SPID=$!
PIDS="$PIDS $SPID"
for f in truth truth-stripped; do
	i=0
	while [ ! -s "$WORK/$f.json" ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && fail "ctypes_heap.py wrote no $f.json within 60 s: $(cat "$WORK/target.out" "$WORK/stripped.out")"
		sleep 0.05
	done
done

run_tool "$WORK/out.json" "$WORK/err" -p "$PID" --json --dump "$WORK/dump.jsonl"
[ "$RC" -eq 0 ] || fail "the tool exited $RC: $(cat "$WORK/err")"
$CHECK --report "$WORK/out.json" "$WORK/truth.json" "$WORK/dump.jsonl" \
	>"$WORK/check.out" || fail "dwarf: $(grep -v ' [0-9]*/[0-9]*$' "$WORK/check.out")"
pass "dwarf: $(tail -1 "$WORK/check.out")"

run_tool "$WORK/out-s.json" "$WORK/err-s" -p "$SPID" --json -v \
	--dump "$WORK/dump-s.jsonl"
[ "$RC" -eq 0 ] || fail "the tool exited $RC: $(cat "$WORK/err-s")"
grep -q "layouts from the built-in CPython 3.10 table" "$WORK/err-s" ||
	fail "stripped: the layouts did not come from the built-in table: $(cat "$WORK/err-s")"
$CHECK --report "$WORK/out-s.json" "$WORK/truth-stripped.json" \
	"$WORK/dump-s.jsonl" >"$WORK/check-s.out" ||
	fail "stripped: $(grep -v ' [0-9]*/[0-9]*$' "$WORK/check-s.out")"
grep -q '"decoder": *"dwarf"' "$WORK/dump-s.jsonl" &&
	fail "stripped: a type was decoded from DWARF, which no file has"
grep -q '"conservative_refs"' "$WORK/dump-s.jsonl" ||
	fail "stripped: no conservative reference in the dump (the scan found nothing)"
pass "stripped: $(tail -1 "$WORK/check-s.out"); $(grep '^report:' "$WORK/check-s.out")"

PYHEAPINSPECT_TEST_CTYPES=dwarf run_tool "$WORK/out-g.json" "$WORK/err-g" \
	-p "$PID" --json --dump "$WORK/dump-g.jsonl"
[ "$RC" -eq 0 ] || fail "the tool exited $RC: $(cat "$WORK/err-g")"
$CHECK --generic --report "$WORK/out-g.json" "$WORK/truth.json" \
	"$WORK/dump-g.jsonl" >"$WORK/check-g.out" ||
	fail "generic: $(grep -v ' [0-9]*/[0-9]*, refs' "$WORK/check-g.out")"
pass "$(tail -1 "$WORK/check-g.out")"
