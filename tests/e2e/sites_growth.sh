#!/bin/sh
# Growth by allocation site (--baseline) equals tracemalloc's own
# Snapshot.compare_to(old, "lineno") inside the target.
# fixtures/tracemalloc_target.py in grow mode: its generation 1 truth
# describes the state a first capture sees (the fixed point of its
# rounds); on SIGUSR1 its next round keeps the snapshot of that state
# (checked against the generation 1 truth), appends 4,000 bytes objects
# at its "# plant: grow" line and measures again, so that its generation
# 2 truth describes the state of a second capture, with the rows of
# compare_to whose size or count changed.
# - capture 1 (--save-summary, --save-snapshot): the summary's lines are
#   statistics("lineno") of generation 1, every one;
# - capture 2 with --baseline SUMMARY, then with --baseline SNAPSHOT:
#   growth.sites equals compare_to's changed rows, row for row in its
#   order (the grow line first, with the size and count delta tracemalloc
#   gives), growth.sites_changed their number;
# - the text report's growth section names the grow line first;
# - growth.memory is the difference of the two captures' memory sections
#   (the summary's and the report's).
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

FIX="$FIXTURES/tracemalloc_target.py"
TRUTH="$WORK/truth.json"

# generation N: wait up to 30 s for the truth of generation N (the
# fixture needs a few rounds to agree with itself).
generation() {
	i=0
	until "$PYTHON310" -c 'import json, sys
try:
    g = json.load(open(sys.argv[1])).get("generation")
except (OSError, ValueError):
    g = None
sys.exit(0 if g == int(sys.argv[2]) else 1)' "$TRUTH" "$1"; do
		i=$((i + 1))
		[ $i -gt 300 ] && fail "no truth of generation $1 within 30 s: $(cat "$WORK/target.out")"
		kill -0 "$TARGET_PID" 2>/dev/null ||
			fail "the target exited: $(cat "$WORK/target.out")"
		sleep 0.1
	done
}

tool() {
	out=$1
	shift
	run_tool "$out" "$WORK/err" "$@"
	[ "$RC" -eq 0 ] || fail "the tool exited $RC: $(cat "$WORK/err")"
}

start_target "$PYTHON310" "$FIX" "$TRUTH" 5 grow
generation 1
tool "$WORK/r1.json" -p "$TARGET_PID" --json --save-summary "$WORK/s1.json" \
	--save-snapshot "$WORK/s1.snap.gz"
cat >"$WORK/lines.py" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))["sites"]
got = sorted([x["filename"], x["lineno"], x["size"], x["count"]]
             for x in s["lines"])
want = sorted(t["statistics_lineno"])
if got != want or s["omitted"] or s["traced_memory"] != t["traced_memory"][0]:
    print("FAIL: %d lines, want %d; omitted %d" % (len(got), len(want),
                                                    s["omitted"]))
    sys.exit(1)
print("%d lines" % len(got))
PY
lines=$("$PYTHON310" "$WORK/lines.py" "$TRUTH" "$WORK/s1.json") ||
	fail "the summary's lines are not the target's statistics('lineno'): $lines"
pass "capture 1: the summary ($(wc -c <"$WORK/s1.json") bytes) keeps the target's statistics('lineno'), $lines, line for line"

kill -USR1 "$TARGET_PID"
generation 2

# check REPORT: growth.sites against the target's compare_to.
check() {
	"$PYTHON310" - "$TRUTH" "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
g = json.load(open(sys.argv[2]))["growth"]
want = t["growth_lineno"]
got = [[x["filename"], x["lineno"], x["size"], x["size_delta"], x["count"],
        x["count_delta"]] for x in g["sites"]]
grow = [t["filename"], t["planted_lines"]["grow"]]
ok = got == want and g["sites_changed"] == len(want) and got[0][:2] == grow
for a, b in zip(got, want):
    if a != b:
        print("FAIL: %r, want %r" % (a, b))
        break
if not ok:
    print("FAIL: %d rows (sites_changed %r), want %d" %
          (len(got), g["sites_changed"], len(want)))
    sys.exit(1)
print("%d rows; first %s:%d %+d B %+d blocks" % (len(got), got[0][0],
      got[0][1], got[0][3], got[0][5]))
PY
}

tool "$WORK/r2.json" -p "$TARGET_PID" --json --top 1000 \
	--baseline "$WORK/s1.json"
rows=$(check "$WORK/r2.json") ||
	fail "--baseline SUMMARY: growth.sites differs from compare_to: $rows"
pass "capture 2 against the summary: growth.sites is compare_to's, row for row ($rows)"
tool "$WORK/r3.json" -p "$TARGET_PID" --json --top 1000 \
	--baseline "$WORK/s1.snap.gz"
rows=$(check "$WORK/r3.json") ||
	fail "--baseline SNAPSHOT: growth.sites differs from compare_to: $rows"
pass "capture 2 against the snapshot: the same ($rows)"

tool "$WORK/r2.txt" -p "$TARGET_PID" --baseline "$WORK/s1.json"
want=$("$PYTHON310" -c 'import json, sys
t = json.load(open(sys.argv[1]))
print("%s:%d" % (t["filename"], t["planted_lines"]["grow"]))' "$TRUTH")
sed -n '/^  allocation sites, largest change first/{n;p;}' "$WORK/r2.txt" |
	grep -qF " $want (" ||
	fail "the text report's growth does not name $want first: $(grep -A1 '^  allocation sites' "$WORK/r2.txt")"
pass "the text report's growth names the grow line first"

"$PYTHON310" - "$WORK/s1.json" "$WORK/r2.json" <<'PY' || fail "growth.memory is not the difference of the memory sections"
import json, sys
b = json.load(open(sys.argv[1]))["memory"]
r = json.load(open(sys.argv[2]))
a, g = r["memory"], r["growth"]["memory"]
classes = {c["class"]: c for c in g["classes"]}
ok = (g["rss"]["before"] == b["rss"]["vm_rss"] and
      g["rss"]["after"] == a["rss"]["vm_rss"] and
      g["objects_delta"] == a["objects"]["count"] - b["objects"]["count"] and
      g["getsizeof_delta"] ==
      a["objects"]["getsizeof"] - b["objects"]["getsizeof"] and
      g["allocated_delta"] ==
      a["objects"]["allocated"] - b["objects"]["allocated"] and
      g["garbage_size_delta"] == a["garbage"]["size"] - b["garbage"]["size"]
      and all(classes[c["class"]]["after"] == c["resident"]
              for c in a["classes"]) and
      all(classes[c["class"]]["before"] == c["resident"]
          for c in b["classes"]))
sys.exit(0 if ok else 1)
PY
pass "growth.memory is the difference of the two captures' memory sections"
