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
#   kill, no reclaim at the limit), and when that is below what the tool
#   needs to start, it says so (exit 11).
# The budgets below are what the tool needs before copying (its own
# "fixed" figure: what it uses at start plus a reserve) plus a margin,
# so that they mean the same in a sanitizer build, whose runtime uses
# more at start.  A sanitizer's shadow memory is outside the budget: in
# those builds the peak RSS is not held to the limit (said so below).
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

# peak_within LIMIT_BYTES WHAT: the last peak_run's peak is at most LIMIT.
peak_within() {
	if [ -n "${PHI_SANITIZED:-}" ]; then
		echo "$2: peak RSS $((PEAK / 1024)) KiB not held to the limit in a build with -fsanitize=$PHI_SANITIZED"
		return 0
	fi
	[ "$PEAK" -le "$1" ] || fail "$2: peak RSS $PEAK above the limit $1"
}

# json FILE EXPR: a value of a JSON document (d is the document).
json() {
	"$PYTHON310" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
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

fixed=$(json "$WORK/scan.json" 'd["footprint"]["budget"]["fixed"]')
# budget MARGIN_MIB: the tool's fixed part plus the margin, in MiB.
budget() { echo $(((fixed + $1 * MIB + MIB - 1) / MIB)); }

lim=$(budget 40)
peak_run "$WORK/b.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --max-memory "${lim}M"
[ "$RC" -eq 0 ] || fail "--max-memory ${lim}M: exit $RC: $(cat "$WORK/err")"
peak_within $((lim * MIB)) "--max-memory ${lim}M"
[ "$(json "$WORK/b.json" 'd["footprint"]["budget"]["limit"]')" -eq $((lim * MIB)) ] ||
	fail "the budget is not in the JSON"
pass "--max-memory ${lim}M (fixed part $((fixed / 1024)) KiB): peak RSS $((PEAK / 1024)) KiB"
kill -9 "$TARGET_PID"

# --- a bytes object merged with the arenas ---------------------------
start_target "$PYTHON310" "$FIXTURES/footprint_heap.py" bigbytes 256 "$WORK/big.json"
wait_file "$WORK/big.json"
big=$("$PYTHON310" -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["merged"], t; print(t["big"])' "$WORK/big.json") ||
	fail "the kernel did not merge the bytes object's mapping with the arenas': $(cat "$WORK/big.json")"
run_tool "$WORK/full.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --object "$big"
[ "$RC" -eq 0 ] || fail "bigbytes, no limit: exit $RC: $(cat "$WORK/err")"
lim=$(budget 75)
peak_run "$WORK/cut.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --object "$big" --max-memory "${lim}M"
[ "$RC" -eq 16 ] || fail "bigbytes, --max-memory ${lim}M: exit $RC, expected 16: $(cat "$WORK/err")"
peak_within $((lim * MIB)) "--max-memory ${lim}M"
"$PYTHON310" - "$WORK/big.json" "$WORK/full.json" "$WORK/cut.json" "$lim" <<'PY' || fail "bigbytes, --max-memory ${lim}M: report"
import json, sys
truth, full, cut = (json.load(open(p)) for p in sys.argv[1:4])
lo, hi = truth["big_map"]
assert hi - lo > int(sys.argv[4]) << 20, truth
assert not cut["complete"], cut["complete"]
gaps = {g["what"]: g for g in cut["incomplete"]}
assert "memory not copied" in gaps, gaps
assert gaps["memory not copied"]["bytes"] >= 200 << 20, gaps
# Nothing but the body of the bytes object was left out.
assert cut["objects"] == full["objects"], (cut["objects"], full["objects"])
for d in full, cut:
    (n,) = d["named"]
    assert n["type"] == "bytes" and n["size"] == truth["big_size"], n
print("full run: %d objects; --max-memory %sM: %d objects, %.1f MiB "
      "copied, %.1f MiB not copied" % (full["objects"], sys.argv[4], cut["objects"],
      cut["bytes_copied"] / (1 << 20), gaps["memory not copied"]["bytes"] / (1 << 20)))
PY
pass "--max-memory below a merged mapping: the whole heap, exit 16, what is missing listed"

lim=$(budget 25)
peak_run "$WORK/less.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 --max-memory "${lim}M"
peak_within $((lim * MIB)) "--max-memory ${lim}M"
case $RC in
16)
	"$PYTHON310" - "$WORK/less.json" <<'PY' || fail "--max-memory ${lim}M: gaps"
import json, sys
d = json.load(open(sys.argv[1]))
gaps = {g["what"] for g in d["incomplete"]}
assert {"memory not copied", "references into memory not copied"} <= gaps, gaps
print("objects:", d["objects"], "gaps:", sorted(gaps))
PY
	;;
11) grep -q "memory budget.*$lim MiB" "$WORK/err" || fail "--max-memory ${lim}M: $(cat "$WORK/err")" ;;
*) fail "--max-memory ${lim}M: exit $RC, expected 16 or 11: $(cat "$WORK/err")" ;;
esac
pass "--max-memory ${lim}M: exit $RC, peak RSS $((PEAK / 1024)) KiB"

# --- the default budget in a cgroup ----------------------------------
# A memory cgroup of the tool's own (v2, else v1).
v2=$(mount_of cgroup2)
v1=$(mount_of cgroup memory)
limit_file=
if [ -n "$v2" ] && [ -f "$v2/cgroup.controllers" ] && grep -qw memory "$v2/cgroup.controllers"; then
	base=$v2$(sed -n 's/^0:://p' /proc/self/cgroup)
	limit_file=memory.max
elif [ -n "$v1" ]; then
	base=$v1$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup)
	limit_file=memory.limit_in_bytes
fi
[ -n "$limit_file" ] || fail "no memory cgroup here (cgroup v1 or v2)"

# in_cgroup LIMIT_BYTES OUT ERR ARGS...: the tool in a new cgroup of
# that limit; sets RC and HITS (times the cgroup reached its limit).
in_cgroup() {
	cg=$base/phi-footprint-$$
	mkdir "$cg" || fail "cannot create the memory cgroup $cg (as root?)"
	echo "$1" >"$cg/$limit_file" || fail "cannot limit $cg"
	out=$2 err=$3
	shift 3
	set +e
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		"$PHI_TOOL" "$@" >"$out" 2>"$err"
	RC=$?
	set -e
	HITS=$(cat "$cg/memory.failcnt" 2>/dev/null || sed -n 's/^max //p' "$cg/memory.events")
	rmdir "$cg" || true
}

# Headroom below what the tool needs to start: it says so, exit 11.
in_cgroup $((fixed + 4 * MIB)) "$WORK/cg.out" "$WORK/err" -p "$TARGET_PID" --json --top 1
[ "$RC" -eq 11 ] || fail "in a cgroup of $((fixed / MIB + 4)) MiB: exit $RC, expected 11: $(cat "$WORK/err")"
grep -q "of the .* MiB left to the tool's cgroup .*) is below" "$WORK/err" ||
	fail "the default budget did not come from the cgroup: $(cat "$WORK/err")"
pass "a cgroup too small for the tool: exit 11, the cgroup named"

# 200 MiB, less than the bytes object alone: the copy is cut to the
# budget and the cgroup's limit is never reached.
if [ -n "${PHI_SANITIZED:-}" ]; then
	echo "the 200 MiB cgroup run is not made in a build with -fsanitize=$PHI_SANITIZED: its shadow memory is outside the budget"
	exit 0
fi
in_cgroup $((200 * MIB)) "$WORK/cg.json" "$WORK/err" -p "$TARGET_PID" --json --top 1 -v
grep -q "of the .* MiB left to the tool's cgroup" "$WORK/err" || fail "the default budget did not come from the cgroup: $(cat "$WORK/err")"
[ "$RC" -eq 16 ] || fail "in a 200 MiB cgroup: exit $RC, expected 16: $(cat "$WORK/err")"
[ "$HITS" -eq 0 ] || fail "in a 200 MiB cgroup: the tool hit the limit $HITS times"
pass "the default budget follows the cgroup ($limit_file 200 MiB): exit 16, the limit never reached"
