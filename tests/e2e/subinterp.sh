#!/bin/sh
# Subinterpreters (issue 11, item 6): the main interpreter and two live
# subinterpreters (fixtures/subinterp_target.py), each holding planted
# objects whose ids and sizes it measured itself.  Every path starts at
# the roots of the planted object's own interpreter (interp#N/ for a
# subinterpreter), --expr interp#N/MODULE:NAME finds the object of
# interpreter N, the retained sizes are the planted ones, each
# interpreter's sys.modules is listed as its own, and the JSON report and
# the dump give each object's interpreter; the same from a snapshot.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

start_target "$PYTHON310" "$FIXTURES/subinterp_target.py" "$WORK"
wait_file "$WORK/truth.json"
wait_file "$WORK/beat"
T="$WORK/truth.json"

# truth FIELD...: one figure of the truth (sub N is subs[N]).
truth() {
	"$PYTHON310" -c 'import json, sys
t = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    t = t[int(k)] if isinstance(t, list) else t[k]
print(t)' "$T" "$@"
}

A=$(truth subs 0 interpreter)
B=$(truth subs 1 interpreter)
HELD=$(truth subs 0 held)
[ "$A" != 0 ] && [ "$B" != 0 ] && [ "$A" != "$B" ] ||
	fail "the subinterpreters' ids are $A and $B"

# check JSON DUMP: the report and the dump against the truth.
check() {
	"$PYTHON310" - "$T" "$1" "$2" <<'PY'
import json, sys

truth = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
dump = {}
for line in open(sys.argv[3]):
    o = json.loads(line)
    dump[o["address"]] = o
bad = []
interps = [truth["main"]] + truth["subs"]


def prefix(i):
    return "" if i == 0 else "interp#%d/" % i


# The planted lists, named by --expr in each interpreter.
named = {n["expr"]: n for n in doc["named"]}
for t in interps:
    i = t["interpreter"]
    n = named.get(prefix(i) + "planted:HOARD")
    if n is None:
        bad.append("no named entry for interpreter %d" % i)
        continue
    want_path = prefix(i) + "sys.modules['planted'].__dict__['HOARD']"
    if n["address"] != t["hoard"]:
        bad.append("%s: address %s, the target says %s"
                   % (n["expr"], n["address"], t["hoard"]))
    if n["path"] != want_path:
        bad.append("%s: path %r, expected %r" % (n["expr"], n["path"],
                                                 want_path))
    if n["interpreter"] != i:
        bad.append("%s: interpreter %r" % (n["expr"], n["interpreter"]))
    if n["retained_size"] != t["hoard_retained"]:
        bad.append("%s: retains %d, the target measured %d"
                   % (n["expr"], n["retained_size"], t["hoard_retained"]))
    if n["deep_objects"] != len(t["hoard_items"]) + 1:
        bad.append("%s: %d objects deep" % (n["expr"], n["deep_objects"]))

# The thread of subinterpreter A holds a bytearray in a local: a frame
# root of A, named by that thread's ident.
a = truth["subs"][0]
n = named.get(a["held"])
want = "interp#%d/thread 0x%x frame blocker() local 'held'" % (
    a["interpreter"], a["thread"])
if n is None or n["path"] != want or n["interpreter"] != a["interpreter"] \
        or n["size"] != a["held_size"]:
    bad.append("held bytearray: %r, expected path %r, size %d"
               % (n, want, a["held_size"]))

# Each interpreter's sys.modules in the retained list, as its own; no
# entry whose path and interpreter disagree.
top = {x["address"]: x for x in doc["retained"]["top"]}
for t in interps:
    i = t["interpreter"]
    x = top.get(t["sys_modules"])
    if x is None:
        bad.append("interpreter %d: its sys.modules %s is not in the "
                   "retained list" % (i, t["sys_modules"]))
    elif x["path"] != prefix(i) + "sys.modules" or x["interpreter"] != i:
        bad.append("interpreter %d: sys.modules listed as %r (%r)"
                   % (i, x["path"], x["interpreter"]))
    elif x["retained_size"] < t["hoard_retained"]:
        bad.append("interpreter %d: sys.modules retains %d < %d"
                   % (i, x["retained_size"], t["hoard_retained"]))
for x in doc["retained"]["top"] + doc["retained"]["suspects"]:
    i, p = x["interpreter"], x["path"]
    if i is None:
        ok = not p.startswith("interp#") and not p.startswith("sys.")
    else:
        ok = p.startswith(prefix(i)) and (i != 0 or
                                          not p.startswith("interp#"))
    if not ok:
        bad.append("retained entry %s: path %r, interpreter %r"
                   % (x["address"], p, i))

# The dump: every planted object's line names its interpreter; a static
# type (shared by all) is the main interpreter's, as docs/schema.md
# says; each interpreter's own interned key is its own, and so is its
# small int 200 (one cache per interpreter in 3.10).
if len(set(t["small_int"] for t in interps)) != len(interps):
    bad.append("the fixture's interpreters share the small int 200")
for t in interps:
    i = t["interpreter"]
    for k in ("sys_modules", "hoard", "thing", "thing_class", "key",
              "small_int"):
        got = dump.get(t[k], {}).get("interpreter", "missing")
        if got != i:
            bad.append("dump: interpreter %d's %s %s says %r"
                       % (i, k, t[k], got))
    wrong = [b for b in t["hoard_items"]
             if dump.get(b, {}).get("interpreter") != i]
    if wrong:
        bad.append("dump: %d of interpreter %d's items elsewhere"
                   % (len(wrong), i))
if dump.get(truth["int_type"], {}).get("interpreter") != 0:
    bad.append("dump: int is not the main interpreter's")
if dump.get(a["held"], {}).get("interpreter") != a["interpreter"]:
    bad.append("dump: the held bytearray is not A's")

# The heap by interpreter: one entry per interpreter, main first, then
# by id; the objects of each add up to the reachable heap; what only
# one interpreter reaches and what several do, to what they reach.
by = doc["by_interpreter"]
ids = [x["interpreter"] for x in by["interpreters"]]
if ids != [0] + sorted(s["interpreter"] for s in truth["subs"]):
    bad.append("by_interpreter lists %r" % ids)
if [x["main"] for x in by["interpreters"]] != [True, False, False]:
    bad.append("main flags %r" % [x["main"] for x in by["interpreters"]])
if doc["interpreters"] != 3:
    bad.append("interpreters: %r" % doc["interpreters"])
objs = sum(x["objects"] for x in by["interpreters"])
size = sum(x["size"] for x in by["interpreters"])
if objs + by["process_wide_objects"] != doc["retained"]["reachable_objects"] \
        or size + by["process_wide_size"] != doc["retained"]["reachable_size"]:
    bad.append("by_interpreter: %d objects, %d bytes + process-wide do not "
               "make the reachable heap" % (objs, size))
if sum(x["only_objects"] for x in by["interpreters"]) + \
        by["shared_objects"] != objs or \
        sum(x["only_size"] for x in by["interpreters"]) + \
        by["shared_size"] != size:
    bad.append("only + shared is not what the interpreters reach")
for x in by["interpreters"][1:]:
    t = [s for s in truth["subs"] if s["interpreter"] == x["interpreter"]][0]
    need = t["hoard_retained"] + (t.get("held_size") or 0)
    if x["only_size"] < need:
        bad.append("interpreter %d alone reaches %d bytes < %d planted"
                   % (x["interpreter"], x["only_size"], need))
for b in bad:
    print("mismatch:", b)
print("%d interpreters, %d planted lists and %d items checked"
      % (len(interps), len(interps),
         sum(len(t["hoard_items"]) for t in interps)))
sys.exit(1 if bad else 0)
PY
}

EXPRS="--expr planted:HOARD --expr interp#$A/planted:HOARD
	--expr interp#$B/planted:HOARD --object $HELD"
# shellcheck disable=SC2086
run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 40 \
	--dump "$WORK/dump.jsonl" --save-snapshot "$WORK/sub.snap" $EXPRS
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"
check "$WORK/out.json" "$WORK/dump.jsonl" ||
	fail "the report differs from the interpreters' own truth"
assert_running "$TARGET_PID" "$WORK/beat"
pass "paths, --expr, retained sizes and the dump by interpreter (live)"

# The text report: the header lists the interpreters, paths say whose.
# shellcheck disable=SC2086
run_tool "$WORK/out.txt" "$WORK/err" -p "$TARGET_PID" --top 40 $EXPRS
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"
grep -q "^  interpreters        3: 0 (main) at 0x[0-9a-f]*, $A at 0x[0-9a-f]*, $B at 0x" "$WORK/out.txt" ||
	fail "the header does not list the interpreters: $(grep interpreters "$WORK/out.txt")"
for i in "$A" "$B"; do
	grep -q "^interp#$i/planted:HOARD: list at $(truth subs $((i == A ? 0 : 1)) hoard) (.*) \[interp#$i\]$" "$WORK/out.txt" ||
		fail "interpreter $i's list is not named as its own"
	grep -q "^  alive through interp#$i/sys.modules\['planted'\].__dict__\['HOARD'\]$" "$WORK/out.txt" ||
		fail "interpreter $i's list: no path from its own sys.modules"
	grep -q "^ *interp#$i/sys.modules$" "$WORK/out.txt" ||
		fail "interpreter $i's sys.modules is not in the retained list as its own"
done
grep -q "^  alive through sys.modules\['planted'\].__dict__\['HOARD'\]$" "$WORK/out.txt" ||
	fail "the main interpreter's list has no path from its sys.modules"
grep -q "^heap by interpreter" "$WORK/out.txt" ||
	fail "no heap-by-interpreter section"
pass "the text report names each object's interpreter"

# An interpreter that does not exist, and a malformed prefix.
run_tool "$WORK/out.txt" "$WORK/err" -p "$TARGET_PID" --expr "interp#99/planted:HOARD"
[ "$RC" -eq 15 ] || fail "--expr of interpreter 99: exit $RC, expected 15"
grep -q "no interpreter 99" "$WORK/err" || fail "unclear message: $(cat "$WORK/err")"
run_tool "$WORK/out.txt" "$WORK/err" -p "$TARGET_PID" --expr "interp#x/planted:HOARD"
[ "$RC" -eq 2 ] || fail "--expr interp#x/: exit $RC, expected 2"
assert_running "$TARGET_PID" "$WORK/beat"
pass "an unknown interpreter is refused with its id"

# The same from the snapshot, once the target is gone.
kill -9 "$TARGET_PID"
# shellcheck disable=SC2086
run_tool "$WORK/snap.json" "$WORK/err" --snapshot "$WORK/sub.snap" --json \
	--top 40 --dump "$WORK/snap.jsonl" $EXPRS
[ "$RC" -eq 0 ] || fail "tool exited $RC on the snapshot: $(cat "$WORK/err")"
check "$WORK/snap.json" "$WORK/snap.jsonl" ||
	fail "the snapshot's report differs from the truth"
pass "the same from a snapshot"
