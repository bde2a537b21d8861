#!/bin/sh
# Hostile targets and snapshots (issue 12), end to end: each gives a
# bounded, reported result, never a crash or a hang.
#   - crafted snapshots (a set entry of 0 bytes, a dict entry key at
#     2^20, ...): refused with exit 10 and the field named; they killed
#     the tool with SIGFPE and SIGSEGV;
#   - an exception that is its own __context__ and __cause__, a
#     traceback that is its own tb_next: one object each;
#   - a frame whose f_back is itself, and with it a thread list that
#     loops (fixtures/hostile_loops.py): as many roots as the same heap
#     without the damage (100,000 more, then 4,096 x 100,000), counted;
#   - C objects whose decoders follow what the target says (an
#     lru_cache's links looping away from the root, an Element claiming
#     2^40 children, children at an address in no mapping): bounded
#     references, each damage counted;
#   - bytearrays and ints whose sizes would wrap the heap's total: it
#     saturates at 2^63 - 1, the ints are counted as damage;
#   - class names, module names, strings, keys and attribute names full
#     of terminal controls (fixtures/hostile_text.py): the text report
#     holds no control character but the newlines that end its lines,
#     each planted text escaped on one line, U+0000 shown as \x00; the
#     JSON document has them exactly; an error message naming the class
#     is escaped too.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# loops MODE: start fixtures/hostile_loops.py MODE; sets TARGET_PID.
loops() {
	rm -f "$WORK/ready"
	start_target "$PYTHON310" "$FIXTURES/hostile_loops.py" "$1" "$WORK/ready"
	wait_file "$WORK/ready"
}

# json_get FILE EXPR: a figure of the JSON document (EXPR over `d`).
json_get() {
	"$PYTHON310" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# tool_bounded OUT ERR ARGS...: run_tool under a 60 s limit.
tool_bounded() {
	out=$1 err=$2
	shift 2
	set +e
	timeout 60 "$PHI_TOOL" "$@" >"$out" 2>"$err"
	RC=$?
	set -e
	[ "$RC" -ne 124 ] || fail "the tool did not end within 60 s: $*"
}

# ---- crafted snapshots ----------------------------------------------------
loops none
tool_bounded "$WORK/none.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 \
	--save-snapshot "$WORK/base.snap.gz" --dump "$WORK/dump.jsonl"
[ "$RC" -eq 0 ] || fail "clean target: exit $RC: $(cat "$WORK/err")"
roots_none=$(json_get "$WORK/none.json" 'd["retained"]["roots"]')
# The exception that is its own context and cause, the traceback that is
# its own tb_next: each one object, with an edge to itself.
"$PYTHON310" - "$WORK/ready" "$WORK/dump.jsonl" <<'PY' || fail "looping exception chains"
import json, sys
info = json.load(open(sys.argv[1]))
want = {hex(info["exc"]): "ValueError", hex(info["tb"]): "traceback"}
seen = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o["address"] in want:
        seen[o["address"]] = o
for a, t in want.items():
    assert a in seen, "%s %s not in the dump" % (t, a)
    assert seen[a]["type"] == t, seen[a]
    assert seen[a]["refs"].count(a) >= 1, seen[a]
PY
kill -9 "$TARGET_PID"
pass "an exception that is its own cause and a traceback that loops: one object each"

# crafted NAME=VALUE FIELD: the snapshot with that value is refused.
crafted() {
	"$PYTHON310" "$PHI_SRCDIR/tests/e2e/craft_snapshot.py" \
		"$WORK/base.snap.gz" "$WORK/crafted.snap.gz" "$1"
	tool_bounded "$WORK/out" "$WORK/err" --snapshot "$WORK/crafted.snap.gz"
	[ "$RC" -eq 10 ] || fail "snapshot with $1: exit $RC, expected 10: $(cat "$WORK/err")"
	grep -qF "layout value $2 = " "$WORK/err" ||
		fail "snapshot with $1: the message does not name $2: $(cat "$WORK/err")"
	[ ! -s "$WORK/out" ] || fail "snapshot with $1: a report was printed"
}
crafted layout:setentry=0 'sizeof(setentry)'
crafted layout:PyDictKeyEntry.me_key=1048576 PyDictKeyEntry.me_key
crafted layout:PyGC_Head=0 'sizeof(PyGC_Head)'
crafted layout:_object.ob_type=16 _object.ob_type
crafted layout:_is.next=-8 _is.next
crafted layout:PyListObject.ob_item=1099511627776 PyListObject.ob_item
crafted layout:dequeobject=0 'sizeof(dequeobject)'
# The snapshot itself still reads.
tool_bounded "$WORK/out.json" "$WORK/err" --snapshot "$WORK/base.snap.gz" --json
[ "$RC" -eq 0 ] || fail "the uncrafted snapshot: exit $RC: $(cat "$WORK/err")"
pass "crafted snapshots refused with exit 10, the field named (7 cases)"

# ---- loops ----------------------------------------------------------------
loops frame
tool_bounded "$WORK/frame.json" "$WORK/err" -p "$TARGET_PID" --json --top 1
[ "$RC" -eq 0 ] || fail "looping frame: exit $RC: $(cat "$WORK/err")"
roots=$(json_get "$WORK/frame.json" 'd["retained"]["roots"]')
bad=$(json_get "$WORK/frame.json" 'd["inconsistencies"]["unreadable_fields"]')
# The same heap: its 22 frames of the main thread are now one, and the
# others are held from outside the heap (their references leaked).
[ "$roots" -le $((roots_none + 50)) ] ||
	fail "looping frame: $roots roots, the clean heap has $roots_none"
[ "$bad" -ge 1 ] || fail "looping frame: the damage is not counted"
assert_running "$TARGET_PID"
kill -9 "$TARGET_PID"
pass "a frame whose f_back is itself: $roots roots ($roots_none without the damage), $bad counted"

loops threads
tool_bounded "$WORK/threads.json" "$WORK/err" -p "$TARGET_PID" --json --top 1
[ "$RC" -eq 0 ] || fail "looping thread list: exit $RC: $(cat "$WORK/err")"
roots=$(json_get "$WORK/threads.json" 'd["retained"]["roots"]')
bad=$(json_get "$WORK/threads.json" 'd["inconsistencies"]["unreadable_fields"]')
[ "$roots" -le $((roots_none + 50)) ] ||
	fail "looping thread list: $roots roots, the clean heap has $roots_none"
[ "$bad" -ge 2 ] || fail "looping thread list: the damage is not counted ($bad)"
assert_running "$TARGET_PID"
kill -9 "$TARGET_PID"
pass "a thread list that loops, and a looping frame: $roots roots, $bad counted"

# ---- C objects -------------------------------------------------------------
loops ctypes
tool_bounded "$WORK/ctypes.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 \
	--dump "$WORK/ctypes.jsonl"
[ "$RC" -eq 0 ] || fail "corrupted C objects: exit $RC: $(cat "$WORK/err")"
"$PYTHON310" - "$WORK/ready" "$WORK/none.json" "$WORK/ctypes.json" \
	"$WORK/ctypes.jsonl" <<'PY' || fail "corrupted C objects not bounded"
import json, sys
info = json.load(open(sys.argv[1]))
none, d = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
bad = d["inconsistencies"]["unreadable_fields"]
bad_none = none["inconsistencies"]["unreadable_fields"]
# The looping links, the 2^40 children, the children nowhere.
assert bad >= bad_none + 3, (bad, bad_none)
# The same heap as the clean one, give or take the ready file's fields.
assert abs(d["objects"] - none["objects"]) < 1000, (d["objects"], none["objects"])
assert d["edges"] < none["edges"] + 1000, (d["edges"], none["edges"])
refs = {}
for line in open(sys.argv[4]):
    o = json.loads(line)
    refs[o["address"]] = o
lru = refs[hex(info["lru"])]
# Its cache dict, function, kwd_mark, the two types, and the three links'
# keys, results and type (the walk stops where the loop closes).
assert len(lru["refs"]) <= 16, lru["refs"]
for e in info["elements"]:
    assert len(refs[hex(e)]["refs"]) <= 4, refs[hex(e)]
print("%d more fields counted than the clean heap's %d; %d edges (%d)"
      % (bad - bad_none, bad_none, d["edges"], none["edges"]))
PY
assert_running "$TARGET_PID"
kill -9 "$TARGET_PID"
pass "an lru_cache whose links loop, Elements claiming 2^40 children and children nowhere: bounded, $(( $(json_get "$WORK/ctypes.json" 'd["inconsistencies"]["unreadable_fields"]') )) fields counted"

# ---- sizes ----------------------------------------------------------------
loops sizes
tool_bounded "$WORK/sizes.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 \
	--dump "$WORK/dump.jsonl"
[ "$RC" -eq 0 ] || fail "wrapping sizes: exit $RC: $(cat "$WORK/err")"
"$PYTHON310" - "$WORK/sizes.json" "$WORK/dump.jsonl" <<'PY' || fail "sizes not saturated"
import json, sys
d = json.load(open(sys.argv[1]))
top = (1 << 63) - 1
# 5 x (2^62 + 56) would wrap to about 2^62.
assert d["total_size"] == top, d["total_size"]
assert d["retained"]["reachable_size"] == top, d["retained"]
# The two ints of ob_size 2^61: damage, counted.
assert d["inconsistencies"]["unreadable_fields"] >= 2, d["inconsistencies"]
sizes = [json.loads(l)["size"] for l in open(sys.argv[2])]
assert min(sizes) >= 0 and max(sizes) <= top, (min(sizes), max(sizes))
big = [s for s in sizes if s >= 1 << 62]
assert len(big) == 5, big
print("total", d["total_size"], "five bytearrays of", big[0])
PY
kill -9 "$TARGET_PID"
pass "sizes that would wrap saturate at 2^63 - 1; impossible ints counted"

# ---- the terminal ---------------------------------------------------------
rm -f "$WORK/ready"
start_target "$PYTHON310" "$FIXTURES/hostile_text.py" "$WORK/ready"
wait_file "$WORK/ready"
nul=$(json_get "$WORK/ready" 'hex(d["nul_str"])')
tool_bounded "$WORK/out.txt" "$WORK/err" -p "$TARGET_PID" --top 1000 \
	--object "$nul"
[ "$RC" -eq 0 ] || fail "hostile text: exit $RC: $(cat "$WORK/err")"
tool_bounded "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json \
	--object "$nul"
[ "$RC" -eq 0 ] || fail "hostile text, --json: exit $RC: $(cat "$WORK/err")"
tool_bounded "$WORK/out.expr" "$WORK/experr" -p "$TARGET_PID" \
	--expr '__main__:EVIL[0].nosuch'
[ "$RC" -eq 15 ] || fail "--expr on the class: exit $RC: $(cat "$WORK/experr")"
"$PYTHON310" - "$WORK/out.txt" "$WORK/out.json" "$WORK/ready" "$WORK/experr" <<'PY' || fail "text from the target reached the terminal"
import json, re, sys
text = open(sys.argv[1], "rb").read()
doc = json.load(open(sys.argv[2]))
info = json.load(open(sys.argv[3]))
err = open(sys.argv[4], "rb").read()

# No control character but the newline, no DEL, no C1 control, nothing
# that moves or reorders text.
bad = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|"
                 rb"\xe2\x80[\xa8\xa9\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
for name, blob in (("report", text), ("--expr message", err)):
    m = bad.search(blob)
    assert not m, "%s: raw %r at %d: %r" % (name, m.group(), m.start(),
                                           blob[m.start() - 40:m.end() + 40])
text = text.decode()


def shown(s):
    """s as the text report escapes it (base/escape.h)."""
    out = []
    for c in s:
        o = ord(c)
        if c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        elif 0x80 <= o <= 0x9f or o in (0x2028, 0x2029, 0x202e):
            out.append("\\u%04x" % o)
        else:
            out.append(c)
    return "".join(out)


lines = text.split("\n")
# The class: one row of the histogram, its name escaped.
rows = [l for l in lines if l.endswith("  " + shown(info["type_name"]))]
assert len(rows) == 1, [l for l in lines if "Evil" in l][:5]
assert " 3 " in rows[0], rows[0]
# The duplicated nasty string: one row (its preview cut at 60).
dup = shown(info["dup"])[:60]
rows = [l for l in lines if " x " in l and dup[:40] in l]
assert len(rows) == 1, (dup, [l for l in lines if "dup" in l][:5])
# U+0000: the --object preview goes on past it.
assert "before\\x00after" in text, [l for l in lines if "before" in l]
# Keys and attribute names in paths, escaped.
assert "['" + shown(info["key"]) + "']" in text, \
    [l for l in lines if "HOLDER" in l]
assert "['" + shown(info["attr"]) + "']" in text, \
    [l for l in lines if "BOX" in l]
# The JSON document holds the exact texts.
names = [t["type"] for t in doc["types"]]
assert info["type_name"] in names
assert doc["named"][0]["preview"] == info["nul_text"], doc["named"][0]
assert any("['" + info["key"] + "']" in r["path"]
           for r in doc["retained"]["top"]), "no path through the key"
# The error naming the class.
assert b"\\x1b[2J" in err, err
print("report: %d lines, no control character" % len(lines))
PY
assert_running "$TARGET_PID"
pass "terminal controls in names, values, keys and attributes are escaped; U+0000 shown; JSON exact"
