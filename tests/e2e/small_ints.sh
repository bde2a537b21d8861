#!/bin/sh
# The small-int cache read from outside equals what the target says about
# itself (id() of each of -5..256, its version), with layouts from DWARF
# and, with debug info stripped from libpython, from the built-in table.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# compare TRUTH JSON_OUT SOURCE: every figure of the tool's document
# against the target's own truth.
compare() {
	"$PYTHON310" - "$1" "$2" "$3" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
want_source = sys.argv[3]
bad = []
if doc["schema_version"] != 1: bad.append("schema_version")
if doc["pid"] != truth["pid"]: bad.append("pid")
if doc["python_version"] != truth["python_version"]:
    bad.append("python_version %r != %r" % (doc["python_version"], truth["python_version"]))
if doc["layout_source"] != want_source:
    bad.append("layout_source %r, expected %r" % (doc["layout_source"], want_source))
if not (0 < doc["pause_ms"] < 10000): bad.append("pause_ms %r" % doc["pause_ms"])
got = doc["small_ints"]
if len(got) != 262: bad.append("%d small ints, expected 262" % len(got))
for t, g in zip(truth["small_ints"], got):
    if (t["value"], t["address"]) != (g["value"], g["address"]) or not g["ok"]:
        bad.append("value %d: tool says %s (ok=%s), target says %s"
                   % (t["value"], g["address"], g["ok"], t["address"]))
    if g["refcount"] < 1: bad.append("value %d: refcount %d" % (t["value"], g["refcount"]))
if doc["small_ints_mismatches"] != 0: bad.append("mismatches reported")
for b in bad: print("mismatch:", b)
print("%d of 262 small-int addresses equal the target's id()" %
      sum(1 for t, g in zip(truth["small_ints"], got) if t["address"] == g["address"]))
sys.exit(1 if bad else 0)
PY
}

start_target "$PYTHON310" "$FIXTURES/small_ints.py" "$WORK/truth.json" "$WORK/beat"
wait_file "$WORK/truth.json"
wait_file "$WORK/beat"

run_tool "$WORK/out.json" "$WORK/err" --pid "$TARGET_PID" --json --verbose
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"
compare "$WORK/truth.json" "$WORK/out.json" dwarf || fail "JSON differs from the target's truth"
grep -q "layouts from DWARF in" "$WORK/err" || fail "--verbose does not name the DWARF source"
assert_running "$TARGET_PID" "$WORK/beat"
pass "JSON small ints equal id() (DWARF layouts)"

# The text table lists the same addresses.
run_tool "$WORK/out.txt" "$WORK/err" -p "$TARGET_PID" --small-ints
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"
"$PYTHON310" - "$WORK/truth.json" "$WORK/out.txt" <<'PY' || fail "text table differs"
import json, re, sys
truth = {t["value"]: t["address"] for t in json.load(open(sys.argv[1]))["small_ints"]}
rows = {}
for line in open(sys.argv[2]):
    m = re.match(r"\s+(-?\d+)\s+(0x[0-9a-f]+)\s+\d+\s+ok$", line)
    if m: rows[int(m.group(1))] = m.group(2)
sys.exit(0 if rows == truth else 1)
PY
assert_running "$TARGET_PID" "$WORK/beat"
pass "text table equals id()"

# Without DWARF: a copy of libpython with its debug sections removed,
# loaded ahead of the real one.
lib=$(ls "$(dirname "$(dirname "$PYTHON310")")"/lib/libpython3.10.so.1.0 2>/dev/null || true)
[ -n "$lib" ] || fail "no libpython3.10.so.1.0 next to $PYTHON310 (the built-in table test needs a shared build)"
mkdir -p "$WORK/nodwarf"
objcopy --strip-debug "$lib" "$WORK/nodwarf/libpython3.10.so.1.0"
kill -9 "$TARGET_PID"
rm -f "$WORK/truth.json" "$WORK/beat"
LD_LIBRARY_PATH="$WORK/nodwarf" start_target "$PYTHON310" "$FIXTURES/small_ints.py" "$WORK/truth.json" "$WORK/beat"
wait_file "$WORK/truth.json"
grep -q "$WORK/nodwarf/libpython" "/proc/$TARGET_PID/maps" || fail "the stripped libpython is not the one loaded"
run_tool "$WORK/out.json" "$WORK/err" --pid "$TARGET_PID" --json --verbose
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"
compare "$WORK/truth.json" "$WORK/out.json" builtin || fail "JSON differs with the built-in table"
grep -q "built-in CPython 3.10 table" "$WORK/err" || fail "--verbose does not say the built-in table was used"
assert_running "$TARGET_PID" "$WORK/beat"
pass "small ints equal id() with the built-in table"
