#!/bin/sh
# A target that changes under the tool, or whose memory is hostile,
# never crashes or hangs the tool and is never left stopped: threads
# coming and going, a forking target, a target killed mid-read, a GC
# collection in progress (short: waited for; endless: said so),
# corrupted objects, the pause budget and --no-freeze.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# churn MODE [STALL]: start fixtures/churn.py; sets TARGET_PID.
churn() {
	rm -f "$WORK/ready"
	start_target "$PYTHON310" "$FIXTURES/churn.py" "$1" "$WORK/ready" ${2:-}
	wait_file "$WORK/ready"
}

# wait_in_gc: until the churn target is inside a collection.
wait_in_gc() {
	i=0
	until [ -e "$WORK/ready.in-gc" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && fail "the target never entered a collection"
		sleep 0.01
	done
}

# Threads starting and exiting all the time: every run attaches to all
# of them (re-reading /proc/PID/task), none fails, none is left stopped.
churn threads
for i in 1 2 3 4 5; do
	run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 1
	[ "$RC" -eq 0 ] || fail "run $i on a thread-churning target exited $RC: $(cat "$WORK/err")"
	grep -q '"consistent": true' "$WORK/out.json" || fail "run $i not consistent"
done
assert_running "$TARGET_PID"
grep -q "TracerPid:[[:space:]]*0" "/proc/$TARGET_PID/status" || fail "a thread is still traced"
kill -9 "$TARGET_PID"
pass "threads created and exiting during attach: 5 runs, target running"

# A target that forks: children are not traced, the parent is read.
churn fork
for i in 1 2 3; do
	run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 1
	[ "$RC" -eq 0 ] || fail "run $i on a forking target exited $RC: $(cat "$WORK/err")"
done
assert_running "$TARGET_PID"
kill -9 "$TARGET_PID"
pass "a forking target is read and keeps running"

# The target dies while frozen (the test hook holds the freeze before
# the copy): one clear line, exit 8.
churn fork
PYHEAPINSPECT_TEST_HOLD_MS=3000 "$PHI_TOOL" -p "$TARGET_PID" >"$WORK/out" 2>"$WORK/err" &
tool=$!
i=0
until [ "$(proc_state "$TARGET_PID")" = t ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the target was never frozen"
	sleep 0.02
done
kill -9 "$TARGET_PID"
set +e
wait "$tool"
rc=$?
set -e
[ "$rc" -eq 8 ] || fail "target killed mid-read: exit $rc, expected 8: $(cat "$WORK/err")"
grep -q "exited while it was being read" "$WORK/err" || fail "message: $(cat "$WORK/err")"
pass "a target that exits mid-read gives exit 8"

# A GC collection in progress: a short one is waited for, its flag read
# from the live process before the freeze, and the target frozen at
# most three times in the run (once, unless a collection starts between
# the look and the freeze).
churn gcstall 2
wait_in_gc
run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --verbose
[ "$RC" -eq 0 ] || fail "short collection: exit $RC: $(cat "$WORK/err")"
grep -q "inside a GC collection: waiting for its end" "$WORK/err" || fail "the tool did not meet the collection: $(cat "$WORK/err")"
"$PYTHON310" -c 'import json,sys; d=json.load(open(sys.argv[1])); f=d["footprint"]["freezes"]; assert 1 <= f <= 3, f; print("freezes:", f)' "$WORK/out.json" ||
	fail "more than three freezes for one collection"
assert_running "$TARGET_PID"
kill -9 "$TARGET_PID"
pass "a short GC collection is waited for, with at most three freezes"

# ... and one that does not end is reported, exit 14.
churn gcstall 30
wait_in_gc
run_tool "$WORK/out" "$WORK/err" -p "$TARGET_PID"
[ "$RC" -eq 14 ] || fail "endless collection: exit $RC: $(cat "$WORK/err")"
grep -q "stayed inside a GC collection" "$WORK/err" || fail "message: $(cat "$WORK/err")"
assert_running "$TARGET_PID"
kill -9 "$TARGET_PID"
pass "an endless GC collection is reported with exit 14"

# A thread that never stops (in a frozen cgroup, as one in
# uninterruptible sleep would be): the attach gives up at --max-pause,
# which counts from the first PTRACE_SEIZE; every thread is detached at
# once (checked while the tool still runs, after its capture: the kernel
# detaches the straggler when the freezing thread exits); the target is
# read while it runs, and the report says so; thawed, the thread runs
# on.
rm -f "$WORK/fz.json"
start_target "$PYTHON310" "$FIXTURES/footprint_heap.py" threads 2 "$WORK/fz.json" "$WORK/fz.beat"
wait_file "$WORK/fz.json"
tid=$("$PYTHON310" -c 'import json,sys; print(json.load(open(sys.argv[1]))["heartbeat_tid"])' "$WORK/fz.json")
fzdir=
v1=$(mount_of cgroup freezer)
v2=$(mount_of cgroup2)
if [ -n "$v1" ] && mkdir "$v1/phi-safety-$$" 2>/dev/null; then
	fzdir=$v1/phi-safety-$$
	echo "$tid" >"$fzdir/tasks"
	echo FROZEN >"$fzdir/freezer.state"
	thaw() { echo THAWED >"$fzdir/freezer.state"; }
	frozen() { grep -q '^FROZEN' "$fzdir/freezer.state"; }
elif [ -n "$v2" ] && mkdir "$v2$(sed -n 's/^0:://p' /proc/self/cgroup)/phi-safety-$$" 2>/dev/null; then
	fzdir=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)/phi-safety-$$
	echo "$TARGET_PID" >"$fzdir/cgroup.procs"
	echo 1 >"$fzdir/cgroup.freeze"
	thaw() { echo 0 >"$fzdir/cgroup.freeze"; }
	frozen() { grep -q '^frozen 1' "$fzdir/cgroup.events"; }
else
	fail "no freezer cgroup can be created here (cgroup v1 freezer or v2, as root)"
fi
i=0
until frozen; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the cgroup never froze"
	sleep 0.01
done
PYHEAPINSPECT_TEST_HOLD_AFTER_MS=3000 "$PHI_TOOL" -p "$TARGET_PID" --json --top 1 --max-pause 300 -v >"$WORK/out.json" 2>"$WORK/err" &
tool=$!
i=0
until grep -q "not frozen:" "$WORK/err"; do
	i=$((i + 1))
	[ $i -gt 500 ] && { thaw; fail "the tool never gave up the attach: $(cat "$WORK/err")"; }
	sleep 0.01
done
for st in /proc/"$TARGET_PID"/task/*/status; do
	grep -q "TracerPid:[[:space:]]*0" "$st" || { thaw; fail "a thread is still traced after the attach gave up: $st"; }
done
thaw
set +e
wait "$tool"
RC=$?
set -e
rmdir "$fzdir" 2>/dev/null || true
[ "$RC" -eq 0 ] || fail "attach past --max-pause: exit $RC: $(cat "$WORK/err")"
assert_running "$TARGET_PID" "$WORK/fz.beat"
"$PYTHON310" - "$WORK/out.json" <<'PY' || fail "attach past --max-pause: report"
import json, sys
d = json.load(open(sys.argv[1]))
f = d["footprint"]
assert not d["frozen"] and not d["consistent"], (d["frozen"], d["consistent"])
assert f["stragglers"] >= 1, f
assert "did not stop within 300 ms" in f["freeze_note"], f
assert d["pause_ms"] < 300 + 200, d["pause_ms"]
print("stopped for %.1f ms, %d straggler(s): %s" % (d["pause_ms"], f["stragglers"], f["freeze_note"]))
PY
kill -9 "$TARGET_PID"
pass "a thread that never stops: attach bounded by --max-pause, all detached, read while running"

# Hostile memory: absurd sizes, wild pointers, a type pointer to garbage.
# Bounded time, a result, and the inconsistencies counted.
rm -f "$WORK/ready"
start_target "$PYTHON310" "$FIXTURES/hostile.py" "$WORK/ready"
wait_file "$WORK/ready"
run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --dump "$WORK/dump.jsonl" --expr "__main__:ROOTS"
[ "$RC" -eq 0 ] || fail "hostile target: exit $RC: $(cat "$WORK/err")"
"$PYTHON310" - "$WORK/out.json" "$WORK/dump.jsonl" <<'PY' || fail "hostile objects not reported as such"
import json, sys
doc = json.load(open(sys.argv[1]))
inc = doc["inconsistencies"]
# 5 unreadable fields (list size, list items, dict entries, set table,
# str characters) and 1 reference to a fake object, at least.
assert inc["unreadable_fields"] >= 5, inc
assert inc["bad_references"] >= 1, inc
sizes = [json.loads(l)["size"] for l in open(sys.argv[2])]
assert max(sizes) < 1 << 32, "an absurd size was believed: %d" % max(sizes)
print("inconsistencies:", inc, "largest object:", max(sizes))
PY
assert_running "$TARGET_PID"
pass "corrupted objects give bounded, reported results"

# The pause budget: at 1 ms the target is thawed before the copy ends,
# the result is marked inconsistent; --no-freeze never stops it.  The
# budget counts from the first PTRACE_SEIZE: on a loaded machine even
# the attach may take longer, and then the copy is taken while the
# target runs, which freeze_note says (also inconsistent).
run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --max-pause 1
[ "$RC" -eq 0 ] || fail "--max-pause 1: exit $RC: $(cat "$WORK/err")"
"$PYTHON310" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert not d["consistent"] and d["pause_ms"] < 1000, d["pause_ms"]
assert d["frozen"] or d["footprint"]["freeze_note"], (d["frozen"], d["footprint"])' "$WORK/out.json" ||
	fail "--max-pause 1 not reported as an inconsistent read"
run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --no-freeze
[ "$RC" -eq 0 ] || fail "--no-freeze: exit $RC: $(cat "$WORK/err")"
"$PYTHON310" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["frozen"] and not d["consistent"] and d["pause_ms"] == 0' "$WORK/out.json" ||
	fail "--no-freeze not reported as such"
assert_running "$TARGET_PID"
pass "the pause budget and --no-freeze are reported"

# --max-memory below what the tool needs to start refuses cleanly.
run_tool "$WORK/out" "$WORK/err" -p "$TARGET_PID" --max-memory 1M
[ "$RC" -eq 11 ] || fail "--max-memory 1M: exit $RC"
grep -q "memory budget of 1.0 MiB (--max-memory) is below" "$WORK/err" || fail "message: $(cat "$WORK/err")"
assert_running "$TARGET_PID"
pass "--max-memory refuses with exit 11"
