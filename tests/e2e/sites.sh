#!/bin/sh
# Allocation sites from outside: the target's tracemalloc traces, read
# from its memory, equal tracemalloc's own answers inside.
# fixtures/tracemalloc_target.py plants objects at known lines, then
# writes, for the state a reader from outside sees, get_traced_memory(),
# take_snapshot().statistics("lineno") and ("traceback"), and
# get_object_traceback() of every planted object (check_sites.py says
# what each check compares).  Variants:
#   start5    tracemalloc.start(5): the JSON (every statistics row, the
#             figures, every object's traceback, retained sets by site),
#             --sites=traceback, the --sites text, the dump, a snapshot
#   start1    tracemalloc.start(1)
#   env5      PYTHONTRACEMALLOC=5 (tracing from start-up)
#   off       never started: a one-line note, exit 0, even with --sites
#   stopped   started then stopped: the same
#   debuglink libpython without .symtab, its debug file (with one) found
#             by .gnu_debuglink (tests/builds/make-builds.sh): the tables
#             from the debug file's .symtab, everything equal
#   dwarf     the same but the debug file has no .symtab either, only
#             DWARF: the tables from DWARF, everything equal
#   stripped  libpython without .symtab nor DWARF: one NOTE line saying
#             why sites are unavailable, exit 0; with --sites that line
#             is a gap (INCOMPLETE, exit 16)
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

FIX="$FIXTURES/tracemalloc_target.py"

check() {
	"$PYTHON310" "$PHI_SRCDIR/tests/e2e/check_sites.py" "$@" ||
		fail "check_sites.py $1 ($VARIANT)"
}

# start VARIANT CMD...: start a target whose truth is $WORK/VARIANT.json
# (given as the argument @); the fixture needs a few rounds to agree with
# itself (about 2 to 6 s): allow 30 s.
start() {
	VARIANT=$1
	shift
	n=$#
	while [ "$n" -gt 0 ]; do
		a=$1
		shift
		[ "$a" = @ ] && a="$WORK/$VARIANT.json"
		set -- "$@" "$a"
		n=$((n - 1))
	done
	start_target "$@"
	i=0
	while [ ! -s "$WORK/$VARIANT.json" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && fail "$VARIANT: no truth within 30 s: $(cat "$WORK/target.out")"
		kill -0 "$TARGET_PID" 2>/dev/null ||
			fail "$VARIANT: the target exited: $(cat "$WORK/target.out")"
		sleep 0.05
	done
}

stop() {
	kill "$TARGET_PID" 2>/dev/null || true
	wait "$TARGET_PID" 2>/dev/null || true
}

# The --expr of every planted object of the truth.
exprs() {
	"$PYTHON310" -c 'import json, sys
for n in sorted(json.load(open(sys.argv[1]))["objects"]):
    print("--expr __main__:" + n)' "$WORK/$VARIANT.json"
}

# tool OUT ARGS...: run the tool on the target; it must exit 0.
tool() {
	out=$1
	shift
	run_tool "$out" "$WORK/err" -p "$TARGET_PID" "$@"
	[ "$RC" -eq 0 ] || fail "$VARIANT: the tool exited $RC: $(cat "$WORK/err")"
}

# traced VARIANT CMD...: the checks every tracing variant gets.
traced() {
	start "$@"
	# shellcheck disable=SC2046 # one word per option
	tool "$WORK/$VARIANT.out.json" --json $(exprs)
	check json "$WORK/$VARIANT.json" "$WORK/$VARIANT.out.json"
	pass "$VARIANT: sites, figures and object tracebacks equal the target's"
}

traced start5 "$PYTHON310" "$FIX" @ 5
# Without --sites (nor --json, --dump, a named object): one line, from the
# tables' counts alone.
tool "$WORK/plain.txt"
n=$("$PYTHON310" -c 'import json, sys
print(json.load(open(sys.argv[1]))["snapshot_traces"])' "$WORK/start5.json")
grep -q "^allocation sites: tracemalloc is tracing, $n traces, .*; --sites lists them\$" "$WORK/plain.txt" ||
	fail "start5: no line with the $n traces: $(grep '^allocation' "$WORK/plain.txt")"
[ "$(grep -c '^allocation sites' "$WORK/plain.txt")" -eq 1 ] ||
	fail "start5: more than one line of allocation sites without --sites"
pass "start5: without --sites, one line with the number of traces"
tool "$WORK/tb.json" --json --sites=traceback
check tracebacks "$WORK/start5.json" "$WORK/tb.json"
pass "start5: statistics('traceback') equal the target's"
tool "$WORK/sites.txt" --sites --top 10
check text "$WORK/start5.json" "$WORK/sites.txt"
pass "start5: the --sites text equals tracemalloc's str(Statistic)"
tool "$WORK/out.txt" --dump "$WORK/dump.jsonl"
check dump "$WORK/start5.json" "$WORK/dump.jsonl"
pass "start5: the dump's traceback ids"
# shellcheck disable=SC2046
tool "$WORK/live.json" --json --save-snapshot "$WORK/t.snap.gz" $(exprs)
# shellcheck disable=SC2046
run_tool "$WORK/snap.json" "$WORK/err" --snapshot "$WORK/t.snap.gz" --json $(exprs)
[ "$RC" -eq 0 ] || fail "--snapshot exited $RC: $(cat "$WORK/err")"
check same "$WORK/start5.json" "$WORK/live.json" "$WORK/snap.json"
pass "start5: a saved snapshot gives the same sites"
stop

traced start1 "$PYTHON310" "$FIX" @ 1
stop
traced env5 env PYTHONTRACEMALLOC=5 "$PYTHON310" "$FIX" @
stop

for v in off stopped; do
	start "$v" "$PYTHON310" "$FIX" @ "$v"
	tool "$WORK/$v.out.json" --json --sites --expr __main__:DICT
	check off "$WORK/$v.json" "$WORK/$v.out.json"
	tool "$WORK/$v.txt" --sites
	grep -q '^allocation sites: none: tracemalloc is not tracing' "$WORK/$v.txt" ||
		fail "$v: no one-line note in the text report"
	[ "$(grep -c '^allocation sites' "$WORK/$v.txt")" -eq 1 ] ||
		fail "$v: more than one line about allocation sites"
	pass "$v: one line says tracemalloc is not tracing; exit 0"
	stop
done

[ -n "${PHI_LIBPYTHON:-}" ] || fail "no libpython of the CPython under test (PHI_LIBPYTHON)"
# Builds without .symtab, made from the CPython under test: in $WORK (a
# couple of seconds) unless PHI_BUILDS_DIR names a cache, so that the
# build tree keeps nothing (make distcheck).
BUILDS=${PHI_BUILDS_DIR:-$WORK/builds}
sh "$PHI_SRCDIR/tests/builds/make-builds.sh" "$BUILDS" >"$WORK/builds.out" 2>&1 ||
	fail "make-builds.sh: $(cat "$WORK/builds.out")"
for b in shared-debuglink shared-stripped; do
	! readelf -S -W "$BUILDS/$b/lib/libpython3.10.so.1.0" | grep -q ' \.symtab ' ||
		fail "$b: its libpython has a .symtab"
done

# tables_from VARIANT WANT: where the tool found tracemalloc's tables.
tables_from() {
	"$PYTHON310" -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["tracemalloc"]["tables_from"] != sys.argv[2])' \
		"$WORK/$1.out.json" "$2" ||
		fail "$1: the tables were not found in $2"
}

traced debuglink "$BUILDS/shared-debuglink/bin/python3.10" "$FIX" @ 5
tables_from debuglink symtab
pass "debuglink: the tables found in the debug file's .symtab"
stop

# A debug file with DWARF and no .symtab (objcopy --only-keep-debug keeps
# .symtab: --strip-all after it drops it), linked by .gnu_debuglink from
# the stripped library.
D="$WORK/dwarfonly"
cp -R "$BUILDS/shared-stripped" "$D"
objcopy --only-keep-debug "$PHI_LIBPYTHON" "$WORK/full.debug"
objcopy --strip-all --keep-section='.debug_*' "$WORK/full.debug" \
	"$D/lib/libpython3.10.so.1.0.debug"
rm -f "$WORK/full.debug"
(cd "$D/lib" && objcopy --add-gnu-debuglink=libpython3.10.so.1.0.debug \
	libpython3.10.so.1.0)
! readelf -S -W "$D/lib/libpython3.10.so.1.0.debug" | grep -q ' \.symtab ' ||
	fail "dwarf: the debug file still has a .symtab"
traced dwarf "$D/bin/python3.10" "$FIX" @ 5
grep -q "$D/lib/libpython3.10.so.1.0" "/proc/$TARGET_PID/maps" ||
	fail "dwarf: the target does not map the stripped library"
tables_from dwarf dwarf
pass "dwarf: the tables found in the DWARF of a debug file without .symtab"
stop

UNAVAILABLE="allocation sites: unavailable: tracemalloc is tracing, but 'libpython3.10.so.1.0' has neither .symtab nor DWARF for Modules/_tracemalloc.c"
start stripped "$BUILDS/shared-stripped/bin/python3.10" "$FIX" @ 5
tool "$WORK/stripped.txt"
grep -q "^  NOTE  *$UNAVAILABLE\$" "$WORK/stripped.txt" ||
	fail "stripped: no note saying why sites are unavailable: $(grep -i 'allocation' "$WORK/stripped.txt")"
[ "$(grep -c 'allocation sites' "$WORK/stripped.txt")" -eq 1 ] ||
	fail "stripped: more than one line about allocation sites"
run_tool "$WORK/stripped2.txt" "$WORK/err" -p "$TARGET_PID" --sites
[ "$RC" -eq 16 ] || fail "stripped: --sites exited $RC, not 16 (incomplete)"
grep -q "^  INCOMPLETE  *$UNAVAILABLE\$" "$WORK/stripped2.txt" ||
	fail "stripped: --sites lists no gap: $(grep -i 'allocation' "$WORK/stripped2.txt")"
pass "stripped: unavailable, said in one note (exit 0); a gap with --sites"
stop
