#!/bin/sh
# The tool copies what the target uses, not what it reserved, and stays
# within one memory budget, measured from outside (the kernel's peak RSS
# of the tool, from wait4):
# - 300 idle threads: at most the target's own VmRSS plus 4 MiB copied,
#   the same objects and edges as a copy of whole mappings, with each of
#   the three ways of finding the pages (PAGEMAP_SCAN, read() of the
#   pagemap, none);
# - --max-memory holds for the peak RSS, whether the run fits or not;
# - --max-memory below one merged mapping (a big bytes object next to
#   the pymalloc arenas): the objects of the full run, the bytes object
#   with its sys.getsizeof, and exit 16 with the memory not copied
#   listed; with less, references into what was not copied are listed
#   too, or the run refuses (exit 11); never exit 0;
# - the default budget follows the tool's cgroup: in a cgroup with
#   little headroom the tool says so and stays under its limit (no OOM
#   kill, no reclaim at the limit).
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

MIB=1048576

# peak_run OUT ERR ARGS...: run the tool; sets RC and PEAK (its peak
# resident memory in bytes, from the kernel's wait4 accounting).
peak_run() {
	out=$1 err=$2
	shift 2
	r=$("$PYTHON310" -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as o, open(sys.argv[2], "w") as e:
    rc = subprocess.call(sys.argv[3:], stdout=o, stderr=e)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, rc)
' "$out" "$err" "$PHI_TOOL" "$@")
	PEAK=${r% *}
	RC=${r#* }
}

# --- 300 idle threads ------------------------------------------------
start_target "$PYTHON310" "$FIXTURES/footprint_heap.py" threads 300 "$WORK/threads.json"
wait_file "$WORK/threads.json"
run_tool "$WORK/scan.json" "$WORK/err" -p "$TARGET_PID" --json --top 1
[ "$RC" -eq 0 ] || fail "threads heap: exit $RC: $(cat "$WORK/err")"
export PYHEAPINSPECT_TEST_PAGEMAP=read
run_tool "$WORK/read.json" "$WORK/err" -p "$TARGET_PID" --json --top 1
[ "$RC" -eq 0 ] || fail "threads heap, pagemap read: exit $RC: $(cat "$WORK/err")"
# Last: a whole copy maps the zero page into every page it reads.
export PYHEAPINSPECT_TEST_PAGEMAP=none
run_tool "$WORK/none.json" "$WORK/err" -p "$TARGET_PID" --json --top 1
[ "$RC" -eq 0 ] || fail "threads heap, no pagemap: exit $RC: $(cat "$WORK/err")"
unset PYHEAPINSPECT_TEST_PAGEMAP
"$PYTHON310" - "$WORK/threads.json" "$WORK/scan.json" "$WORK/read.json" "$WORK/none.json" <<'PY' || fail "threads heap: footprint"
import json, sys
truth = json.load(open(sys.argv[1]))
scan, read, none = (json.load(open(p)) for p in sys.argv[2:])
MIB = 1 << 20
assert truth["threads"] == 301, truth["threads"]
for d in scan, read:
    f = d["footprint"]
    assert f["pages"] == "resident", f
    assert f["mapped_bytes"] >= 300 * 8 * MIB, f
    assert d["bytes_copied"] <= truth["rss"] + 4 * MIB, (d["bytes_copied"], truth["rss"])
    assert d["threads"] == 301 and d["complete"], d["threads"]
f = none["footprint"]
assert f["pages"] == "whole mappings", f
assert "PYHEAPINSPECT_TEST_PAGEMAP" in f["pages_why"], f
assert none["bytes_copied"] >= 300 * 8 * MIB, none["bytes_copied"]
# Pages left out hold no object: the same heap either way.
for d in read, none:
    assert (d["objects"], d["edges"]) == (scan["objects"], scan["edges"]), \
        ((d["objects"], d["edges"]), (scan["objects"], scan["edges"]))
assert scan["objects"] >= truth["gc_objects"], (scan["objects"], truth["gc_objects"])
print("target RSS %.1f MiB; copied %.1f MiB (resident) and %.1f MiB (whole); "
      "%d objects" % (truth["rss"] / MIB, scan["bytes_copied"] / MIB,
                      none["bytes_copied"] / MIB, scan["objects"]))
PY
pass "300 idle threads: the target's resident pages only, the same heap as whole mappings"

peak_run "$WORK/b48.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --max-memory 64M
[ "$RC" -eq 0 ] || fail "--max-memory 64M: exit $RC: $(cat "$WORK/err")"
[ "$PEAK" -le $((64 * MIB)) ] || fail "--max-memory 64M: peak RSS $PEAK"
grep -q '"limit": 67108864' "$WORK/b48.json" || fail "the budget is not in the JSON"
pass "--max-memory 64M: peak RSS $((PEAK / 1024)) KiB"
kill -9 "$TARGET_PID"

# --- a bytes object merged with the arenas ---------------------------
start_target "$PYTHON310" "$FIXTURES/footprint_heap.py" bigbytes 256 "$WORK/big.json"
wait_file "$WORK/big.json"
big=$("$PYTHON310" -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["merged"], t; print(t["big"])' "$WORK/big.json") ||
	fail "the kernel did not merge the bytes object's mapping with the arenas': $(cat "$WORK/big.json")"
run_tool "$WORK/full.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --object "$big"
[ "$RC" -eq 0 ] || fail "bigbytes, no limit: exit $RC: $(cat "$WORK/err")"
peak_run "$WORK/cut.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --object "$big" --max-memory 100M
[ "$RC" -eq 16 ] || fail "bigbytes, --max-memory 100M: exit $RC, expected 16: $(cat "$WORK/err")"
[ "$PEAK" -le $((100 * MIB)) ] || fail "--max-memory 100M: peak RSS $PEAK"
"$PYTHON310" - "$WORK/big.json" "$WORK/full.json" "$WORK/cut.json" <<'PY' || fail "bigbytes, --max-memory 100M: report"
import json, sys
truth, full, cut = (json.load(open(p)) for p in sys.argv[1:])
lo, hi = truth["big_map"]
assert hi - lo > 100 << 20, truth
assert not cut["complete"], cut["complete"]
gaps = {g["what"]: g for g in cut["incomplete"]}
assert "memory not copied" in gaps, gaps
assert gaps["memory not copied"]["bytes"] >= 200 << 20, gaps
# Nothing but the body of the bytes object was left out.
assert cut["objects"] == full["objects"], (cut["objects"], full["objects"])
for d in full, cut:
    (n,) = d["named"]
    assert n["type"] == "bytes" and n["size"] == truth["big_size"], n
print("full run: %d objects; --max-memory 100M: %d objects, %.1f MiB "
      "copied, %.1f MiB not copied" % (full["objects"], cut["objects"],
      cut["bytes_copied"] / (1 << 20), gaps["memory not copied"]["bytes"] / (1 << 20)))
PY
pass "--max-memory below a merged mapping: the whole heap, exit 16, what is missing listed"

peak_run "$WORK/less.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --max-memory 50M
[ "$PEAK" -le $((50 * MIB)) ] || fail "--max-memory 50M: peak RSS $PEAK"
case $RC in
16)
	"$PYTHON310" - "$WORK/less.json" <<'PY' || fail "--max-memory 50M: gaps"
import json, sys
d = json.load(open(sys.argv[1]))
gaps = {g["what"] for g in d["incomplete"]}
assert {"memory not copied", "references into memory not copied"} <= gaps, gaps
print("objects:", d["objects"], "gaps:", sorted(gaps))
PY
	;;
11) grep -q "memory budget.*50 MiB" "$WORK/err" || fail "--max-memory 50M: $(cat "$WORK/err")" ;;
*) fail "--max-memory 50M: exit $RC, expected 16 or 11: $(cat "$WORK/err")" ;;
esac
pass "--max-memory 50M: exit $RC, peak RSS $((PEAK / 1024)) KiB"

# --- the default budget in a cgroup ----------------------------------
# A memory cgroup of the tool's own (v2, else v1), 200 MiB: the bytes
# object alone is more.
cg=
v2=$(mount_of cgroup2)
v1=$(mount_of cgroup memory)
if [ -n "$v2" ] && [ -f "$v2/cgroup.controllers" ] && grep -qw memory "$v2/cgroup.controllers"; then
	base=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)
	cg=$base/phi-footprint-$$
	if mkdir "$cg" 2>/dev/null && echo $((200 * MIB)) >"$cg/memory.max" 2>/dev/null; then
		limit_file=memory.max
	else
		rmdir "$cg" 2>/dev/null || true
		cg=
	fi
fi
if [ -z "$cg" ] && [ -n "$v1" ]; then
	base=$v1$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup)
	cg=$base/phi-footprint-$$
	mkdir "$cg" || fail "cannot create the memory cgroup $cg"
	echo $((200 * MIB)) >"$cg/memory.limit_in_bytes" || fail "cannot limit $cg"
	limit_file=memory.limit_in_bytes
fi
[ -n "$cg" ] || fail "no memory cgroup can be created here (cgroup v1 or v2, as root)"
set +e
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
	"$PHI_TOOL" -p "$TARGET_PID" --json --top 1 -v >"$WORK/cg.json" 2>"$WORK/err"
RC=$?
set -e
failcnt=$(cat "$cg/memory.failcnt" 2>/dev/null || sed -n 's/^max //p' "$cg/memory.events")
rmdir "$cg" || true
grep -q "of the .* MiB left to the tool's cgroup" "$WORK/err" || fail "the default budget did not come from the cgroup: $(cat "$WORK/err")"
[ "$RC" -eq 16 ] || fail "in a 200 MiB cgroup: exit $RC, expected 16: $(cat "$WORK/err")"
[ "$failcnt" -eq 0 ] || fail "in a 200 MiB cgroup: the tool hit the limit $failcnt times"
pass "the default budget follows the cgroup ($limit_file 200 MiB): exit 16, the limit never reached"
