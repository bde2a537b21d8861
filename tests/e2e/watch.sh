#!/bin/sh
# --watch against the target's own figures (fixtures/growth_target.py):
# - --json: one JSON document per line, one line per capture; the cache
#   grows (SIGUSR1) after the first; a later line's since_first shows the
#   cache's path first with the exact growth of its retained size, and
#   the closing document (watch_end) the full comparison, the same;
# - text: one line per capture, then the comparison;
# - SIGINT while the target is frozen: the capture ends and thaws it
#   (within its bound), the loop ends cleanly (exit 0) with the
#   comparison so far, and the target runs on, untraced.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

wait_generation() {
	i=0
	while ! grep -q "\"generation\": $2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && fail "target did not reach generation $2 within 30 s"
		sleep 0.05
	done
}

# wait_lines FILE N: FILE has N lines (the tool prints them as it goes).
wait_lines() {
	i=0
	while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && fail "no line $2 in $1 within 60 s: $(cat "$1")"
		sleep 0.05
	done
}

start_target "$PYTHON310" "$FIXTURES/growth_target.py" "$WORK/truth.json"
wait_generation "$WORK/truth.json" 1

# Three captures 4 s apart: the growth (well under a second) happens
# between the first and the second, and the target is quiet at each.
"$PHI_TOOL" -p "$TARGET_PID" --watch 4 --count 3 --json >"$WORK/watch.jsonl" 2>"$WORK/err" &
tool=$!
wait_lines "$WORK/watch.jsonl" 1
kill -USR1 "$TARGET_PID"
wait_generation "$WORK/truth.json" 2
set +e
wait "$tool"
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "--watch exited $rc: $(cat "$WORK/err")"
"$PYTHON310" - "$WORK/truth.json" "$WORK/watch.jsonl" <<'PY' || fail "--watch lines differ from the target's truth"
import json, sys
t = json.load(open(sys.argv[1]))["growth"]
lines = [json.loads(l) for l in open(sys.argv[2])]
bad = []
if [l.get("watch") for l in lines[:3]] != [1, 2, 3] or lines[3].get("watch_end") != "count" \
        or lines[3].get("captures") != 3 or len(lines) != 4:
    bad.append("lines: %r" % [list(l)[:2] for l in lines])
else:
    if lines[0]["since_first"] is not None or lines[0]["since_previous"] is not None:
        bad.append("the first line compares with something")
    for name, g in (("line 3 since_first", lines[2]["since_first"]),
                    ("watch_end", lines[3]["growth"])):
        top = g["paths"][0] if g["paths"] else {}
        got = tuple(top.get(k) for k in ("path", "before", "after", "delta"))
        want = tuple(t[k] for k in ("path", "before", "after", "delta"))
        if got != want:
            bad.append("%s: %r, target %r" % (name, got, want))
    prev = lines[2]["since_previous"]
    if any(p["path"] == t["path"] for p in prev["paths"]):
        bad.append("the cache grew again between the last two captures")
    for l in lines[:3]:
        if l["pid"] != json.load(open(sys.argv[1]))["pid"] or not l["complete"] or l["rss"] <= 0:
            bad.append("line %d: pid %r complete %r rss %r" % (l["watch"], l["pid"], l["complete"], l["rss"]))
for b in bad:
    print("mismatch:", b)
sys.exit(1 if bad else 0)
PY
pass "--watch --json: one document per capture, the growth line by line, then the full comparison"

run_tool "$WORK/watch.txt" "$WORK/err" -p "$TARGET_PID" --watch 0.2 --count 2 --top 5
[ "$RC" -eq 0 ] || fail "--watch (text) exited $RC: $(cat "$WORK/err")"
[ "$(grep -c '^#[12] .* objects [0-9]* heap ' "$WORK/watch.txt")" -eq 2 ] ||
	fail "--watch (text): not one line per capture: $(cat "$WORK/watch.txt")"
grep -q '^#2 .* | since first: objects ' "$WORK/watch.txt" ||
	fail "--watch (text): the second line compares with nothing: $(cat "$WORK/watch.txt")"
grep -q '^watch ended (count) after 2 captures' "$WORK/watch.txt" ||
	fail "--watch (text) did not end with the comparison: $(cat "$WORK/watch.txt")"
pass "--watch (text): one line per capture, then the comparison"

# SIGINT during the second capture, while the target is held frozen
# (tests only: the tool stays frozen 1.5 s before it copies).
PYHEAPINSPECT_TEST_HOLD_MS=1500 "$PHI_TOOL" -p "$TARGET_PID" --watch 0.5 --json \
	>"$WORK/int.jsonl" 2>"$WORK/err" &
tool=$!
wait_lines "$WORK/int.jsonl" 1
i=0
until [ "$(proc_state "$TARGET_PID")" = t ]; do
	i=$((i + 1))
	[ $i -gt 400 ] && fail "the second capture never froze the target"
	sleep 0.02
done
kill -INT "$tool"
set +e
wait "$tool"
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "--watch exited $rc after SIGINT: $(cat "$WORK/err")"
assert_running "$TARGET_PID"
grep -q "TracerPid:[[:space:]]*0" "/proc/$TARGET_PID/status" || fail "target still traced after SIGINT"
"$PYTHON310" - "$WORK/int.jsonl" <<'PY' || fail "--watch after SIGINT: $(cat "$WORK/int.jsonl")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
end = lines[-1]
ok = (len(lines) == 3 and end.get("watch_end") == "interrupted" and end["captures"] == 2
      and end["growth"] is not None and lines[1]["pause_ms"] >= 1500)
sys.exit(0 if ok else 1)
PY
pass "SIGINT while frozen: the target thawed and running, the loop ended with the comparison"
