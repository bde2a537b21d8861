#!/bin/sh
# Leaks over time, against the target's own figures
# (fixtures/growth_target.py): an application object's cache dict of
# 20,000 records that gains 20,000 more on SIGUSR1.
# - One capture: the first leak suspect is the cache itself (not the
#   module's __dict__, the object holding it or its __dict__), with the
#   exact size of what it alone holds and what its children are; the
#   list of Sessions is a suspect and their class a suspect group, with
#   their exact figures; no module or module __dict__ is a suspect.
# - Collection fill: the planted sparse dicts and set are listed with
#   their paths, lengths and exactly what a copy of each would save
#   (sys.getsizeof(x) - sys.getsizeof(type(x)(x))); the bytearray's and
#   the list's room too.
# - --save-summary: a small JSON document holding the same figures.
# - After the growth, --baseline (the summary, then the snapshot of the
#   first capture): the cache's path is first in growth.paths with the
#   exact growth of its retained size, and the first growth suspect;
#   the type deltas are the records added; the text report says so too.
# - Damaged summaries are refused with one line and exit 10.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# wait_generation FILE N: the fixture has rewritten its truth for step N.
wait_generation() {
	i=0
	while ! grep -q "\"generation\": $2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && fail "target did not reach generation $2 within 30 s"
		sleep 0.05
	done
}

start_target "$PYTHON310" "$FIXTURES/growth_target.py" "$WORK/truth.json"
wait_generation "$WORK/truth.json" 1
cp "$WORK/truth.json" "$WORK/truth1.json"

run_tool "$WORK/one.json" "$WORK/err" -p "$TARGET_PID" --json \
	--save-summary "$WORK/one.summary.json" --save-snapshot "$WORK/one.snap.gz"
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"

"$PYTHON310" - "$WORK/truth1.json" "$WORK/one.json" "$WORK/one.summary.json" <<'PY' || fail "suspects, fill or summary differ from the target's truth"
import json, os, re, sys
t = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
summ = json.load(open(sys.argv[3]))
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append("%s: tool %r, target %r" % (what, got, exp))
ret = doc["retained"]
sus = ret["suspects"]
c = t["cache"]
first = sus[0] if sus else {}
want("first suspect", first.get("path"), c["path"])
want("its retained size", first.get("retained_size"), c["retained"])
want("its children", first.get("children", {}).get("count"), c["children"])
want("what its children retain", first.get("children", {}).get("retained_size"), c["children_retained"])
kids = {k["type"]: k for k in first.get("children", {}).get("types", [])}
want("its dict children", kids.get("dict", {}).get("count"), c["dict_children"])
want("what they retain", kids.get("dict", {}).get("retained_size"), c["dict_retained"])
want("its str children", kids.get("str", {}).get("count"), c["str_children"])
want("what they retain", kids.get("str", {}).get("retained_size"), c["str_retained"])
want("its length", first.get("length"), c["length"])
want("suspect from", first.get("from", {}).get("retained_size", 0) >= c["retained"], True)
s = t["sessions"]
row = [x for x in sus if x["path"] == s["path"]]
want("sessions list among the suspects", len(row), 1)
if row:
    want("its retained size", row[0]["retained_size"], s["retained"])
    want("its children", row[0]["children"]["count"], s["children"])
    want("their type", row[0]["children"]["types"][0]["type"], s["type"])
    want("its length", row[0].get("length"), s["length"])
    want("its capacity", row[0].get("capacity"), s["capacity"])
groups = {g["type"]: g for g in ret["suspect_groups"]}
want("Session group instances", groups.get(s["type"], {}).get("instances"), s["children"])
want("Session group retained", groups.get(s["type"], {}).get("retained_size"), s["children_retained"])
# Never a module, a module's __dict__ or sys.modules.
for x in sus:
    if x["type"] == "module" or re.fullmatch(r"sys\.modules(\['[^']*'\](\.__dict__)?)?", x["path"]):
        bad.append("a module is a suspect: %s" % x["path"])
fill = doc["fill"]
largest = {x["path"]: x for x in fill["largest"]}
for sp in t["sparse"]:
    got = largest.get(sp["path"])
    if not got:
        bad.append("sparse %s not listed" % sp["path"])
        continue
    want(sp["path"] + " wasted", got["wasted"], sp["wasted"])
    want(sp["path"] + " length", got["length"], sp["length"])
    want(sp["path"] + " type", got["type"], sp["type"])
for d in t["dense"]:
    if d["path"] in largest:
        bad.append("%s is listed as sparse" % d["path"])
types = {x["type"]: x for x in fill["types"]}
ba = [d for d in t["dense"] if d["type"] == "bytearray"][0]
want("bytearrays seen", types["bytearray"]["count"], 1)
want("the bytearray's room", types["bytearray"]["slack"], ba["wasted"])
want("list room at least the planted list's", types["list"]["slack"] >= [d for d in t["dense"] if d["type"] == "list"][0]["wasted"], True)
# The summary: small, and the same figures.
size = os.path.getsize(sys.argv[3])
if size > 1 << 20:
    bad.append("summary of %d bytes" % size)
want("summary version", summ["summary_version"], 1)
want("summary objects", summ["objects"], doc["objects"])
want("summary reachable size", summ["reachable_size"], ret["reachable_size"])
want("summary first suspect", summ["suspects"][0]["path"], c["path"])
want("summary first suspect's children", summ["suspects"][0]["children"], c["children"])
paths = {p["path"]: p for p in summ["retainers"]}
want("summary cache retained", paths.get(c["path"], {}).get("retained"), c["retained"])
parent = paths.get(c["path"], {}).get("parent", -1)
want("cache's parent in the summary", summ["retainers"][parent]["path"] if parent >= 0 else None,
     t["app_path"] + ".__dict__")
htypes = {x["type"]: x for x in doc["types"]}
want("summary types", {x["type"]: (x["count"], x["size"]) for x in summ["types"]},
     {k: (v["count"], v["size"]) for k, v in htypes.items()})
for b in bad:
    print("mismatch:", b)
print("%d suspects, %d groups, %d sparse collections, summary of %d bytes checked" % (
    len(sus), len(groups), len(t["sparse"]), size))
sys.exit(1 if bad else 0)
PY
pass "the first suspect is the cache, with what it alone holds; sessions, fill and the summary equal the target's truth"

kill -USR1 "$TARGET_PID"
wait_generation "$WORK/truth.json" 2

# growth_check REPORT: the growth section against the target's truth.
growth_check() {
	"$PYTHON310" - "$WORK/truth.json" "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
g, tg = doc["growth"], t["growth"]
bad = []
top = g["paths"][0] if g["paths"] else {}
for k in ("path", "before", "after", "delta"):
    if top.get(k) != tg[k]:
        bad.append("growth.paths[0].%s: tool %r, target %r" % (k, top.get(k), tg[k]))
sus = g["suspects"][0] if g["suspects"] else {}
if (sus.get("path"), sus.get("delta")) != (tg["path"], tg["delta"]):
    bad.append("first growth suspect %r %r, target %r %r" % (sus.get("path"), sus.get("delta"), tg["path"], tg["delta"]))
if doc["retained"]["suspects"][0]["path"] != tg["path"] or \
   doc["retained"]["suspects"][0]["retained_size"] != tg["after"]:
    bad.append("after the growth the first suspect is %s" % doc["retained"]["suspects"][0]["path"])
# Each record: a dict, a list, an int, and four str (key, name, two
# tags); the target's own frame may hold a few more objects than before.
types = {x["type"]: x for x in g["types"]}
n = tg["entries"]
for name, per in (("dict", 1), ("list", 1), ("int", 1), ("str", 4)):
    d = types.get(name, {}).get("count_delta", 0)
    if not per * n <= d <= per * n + 10:
        bad.append("%s count_delta %d for %d new records" % (name, d, n))
for b in bad:
    print("mismatch:", b)
sys.exit(1 if bad else 0)
PY
}

run_tool "$WORK/two.json" "$WORK/err" -p "$TARGET_PID" --json --baseline "$WORK/one.summary.json"
[ "$RC" -eq 0 ] || fail "tool --baseline SUMMARY exited $RC: $(cat "$WORK/err")"
growth_check "$WORK/two.json" || fail "growth against the summary differs from the target's truth"
pass "against the summary, the cache's path heads growth.paths with its exact growth"

run_tool "$WORK/three.json" "$WORK/err" -p "$TARGET_PID" --json --baseline "$WORK/one.snap.gz"
[ "$RC" -eq 0 ] || fail "tool --baseline SNAPSHOT exited $RC: $(cat "$WORK/err")"
growth_check "$WORK/three.json" || fail "growth against the snapshot differs from the target's truth"
pass "against the snapshot, the same"

run_tool "$WORK/two.txt" "$WORK/err" -p "$TARGET_PID" --baseline "$WORK/one.summary.json"
[ "$RC" -eq 0 ] || fail "tool --baseline (text) exited $RC: $(cat "$WORK/err")"
path=$("$PYTHON310" -c 'import json, sys; print(json.load(open(sys.argv[1]))["growth"]["path"])' "$WORK/truth.json")
sed -n '/^growth since the baseline/,/^growth suspects/p' "$WORK/two.txt" | grep -qF "  $path" ||
	fail "the text report's growth section does not name the cache: $(sed -n '/^growth since/,$p' "$WORK/two.txt" | head -20)"
pass "the text report shows the growth"
assert_running "$TARGET_PID"

# Damaged summaries: one line, exit 10 (corrupt), no report.
refuse() {
	run_tool "$WORK/out" "$WORK/err" -p "$TARGET_PID" --baseline "$1"
	[ "$RC" -eq 10 ] || fail "summary $1 gave exit $RC: $(cat "$WORK/err")"
	[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "summary $1: more than one line on stderr"
	[ ! -s "$WORK/out" ] || fail "summary $1: a report was written"
}
printf '{"summary_version": 1}' >"$WORK/bad1.json"
printf '{"summary_version": 99}' >"$WORK/bad2.json"
printf '{' >"$WORK/bad3.json"
head -c 2000 "$WORK/one.summary.json" >"$WORK/bad4.json"
sed 's/"parent":-1/"parent":99999/' "$WORK/one.summary.json" >"$WORK/bad5.json"
for f in 1 2 3 4 5; do refuse "$WORK/bad$f.json"; done
run_tool "$WORK/out" "$WORK/err" -p "$TARGET_PID" --baseline "$WORK/none.json"
[ "$RC" -eq 12 ] || fail "a missing baseline gave exit $RC: $(cat "$WORK/err")"
pass "damaged or missing summaries are refused"
