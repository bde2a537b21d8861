#!/bin/sh
# The object graph read from outside equals what the target measures about
# itself.  fixtures/rich_heap.py builds a heap rich in every kind of object
# and writes its truth: address, type name, sys.getsizeof, gc.is_tracked
# and referents of every object reachable from its roots, per-class totals
# of its own classes, and the values of planted scalars.  One run of
# --json --dump must then give:
#  - a dump of valid UTF-8 JSON lines, unique addresses, closed under refs;
#  - the objects of unreachable cycles (only the GC lists hold them) with
#    their type and size;
#  - every truth object with the same type, size and tracking, and every
#    truth referent among its refs or weak_refs (100%; only objects of the
#    private C types in OPAQUE_OK may be opaque without their referents);
#  - --json figures equal to the dump (objects, total_size, gc_tracked,
#    opaque, and every types entry, sorted by size) and, for the fixture's
#    classes, to the truth;
#  - the planted str, int, float and bytes values;
#  - a target that still runs.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# check MODE TRUTH DUMP JSON_OUT: one group of checks, printing what it
# measured and up to 30 mismatches; exits non-zero on any mismatch.
check() {
	"$PYTHON310" "$PHI_SRCDIR/tests/e2e/check_graph.py" "$@"
}

# run_check MODE: check against this run's files.
run_check() {
	check "$1" "$WORK/truth.json" "$WORK/dump.jsonl" "$WORK/out.json"
}

start_target "$PYTHON310" "$FIXTURES/rich_heap.py" "$WORK/truth.json" "$WORK/beat"
wait_file "$WORK/truth.json"
wait_file "$WORK/beat"
"$PYTHON310" - "$WORK/truth.json" "$TARGET_PID" <<'PY' ||
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if t["stable"] and t["pid"] == int(sys.argv[2]) else 1)
PY
	fail "the fixture's truth is not stable or not its own: $(cat "$WORK/target.out")"

run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --dump "$WORK/dump.jsonl"
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"
[ -s "$WORK/dump.jsonl" ] || fail "--dump wrote nothing"
assert_running "$TARGET_PID" "$WORK/beat"
pass "the target runs on after --json --dump"

run_check dump || fail "the dump is not valid or not closed under references"
pass "dump: valid UTF-8 JSON lines, unique addresses, closed under references"
run_check truth || fail "the dump differs from the target's truth"
pass "every truth object found with its type, size, tracking and refs"
run_check histogram || fail "the --json figures differ from the dump or the truth"
pass "--json totals and types equal the dump and the fixture's class totals"
run_check values || fail "planted values differ"
pass "str, int, float and bytes values equal the target's"
assert_running "$TARGET_PID" "$WORK/beat"
