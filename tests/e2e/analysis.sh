#!/bin/sh
# Deep sizes equal the in-process recipe, retained sizes and paths have
# their known values, the first leak suspect is the planted one (at its
# accumulation point), planted duplicates are found, and --expr resolves
# module attributes, instance attributes, slots, dict keys and indices
# and refuses unknown names.  The fixture computes every expected value
# from inside the target.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

start_target "$PYTHON310" "$FIXTURES/analysis_target.py" "$WORK/truth.json"
wait_file "$WORK/truth.json"

# Every expression the truth names, plus the frame-held list by address.
"$PYTHON310" - "$WORK/truth.json" >"$WORK/args" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
exprs = set(t["deep"]) | set(t["retained"]) | set(t["objects"]) | set(t["paths"])
for e in sorted(exprs):
    print("--expr")
    print(e)
print("--object")
print(t["req"])
PY
set --
while IFS= read -r a; do set -- "$@" "$a"; done <"$WORK/args"
run_tool "$WORK/out.json" "$WORK/err" -p "$TARGET_PID" --json --top 50 --save-snapshot "$WORK/snap.gz" "$@"
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/err")"

"$PYTHON310" - "$WORK/truth.json" "$WORK/out.json" <<'PY' || fail "analysis figures differ from the target's truth"
import json, sys
t = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
named = {n["expr"]: n for n in doc["named"]}
bad = []
for e, want in t["deep"].items():
    got = named[e]
    for k in ("deep_size", "deep_objects"):
        if got[k] != want[k]:
            bad.append("%s %s: tool %d, in-process recipe %d" % (e, k, got[k], want[k]))
for e, want in t["retained"].items():
    if named[e]["retained_size"] != want:
        bad.append("%s retained_size: tool %d, expected %d" % (e, named[e]["retained_size"], want))
req = named[t["req"]]
if req["retained_size"] != t["req_retained"]:
    bad.append("frame local retained_size: tool %d, expected %d" % (req["retained_size"], t["req_retained"]))
want_path = "thread %s frame serve() local 'req'" % t["thread"]
if req["path"] != want_path:
    bad.append("frame local path %r, expected %r" % (req["path"], want_path))
for e, addr in t["objects"].items():
    if named[e]["address"] != addr:
        bad.append("%s resolved to %s, target says %s" % (e, named[e]["address"], addr))
for e, path in t["paths"].items():
    if named[e]["path"] != path:
        bad.append("%s path %r, expected %r" % (e, named[e]["path"], path))
# Leak suspects at the accumulation point: the planted dict, not the
# module's __dict__ or the instance holding it; never a module.
sus = doc["retained"]["suspects"]
want = t["suspect"]
got = sus[0] if sus else {}
if (got.get("path"), got.get("retained_size"), got.get("children", {}).get("count"), got.get("length")) != \
        (want["path"], want["retained"], want["children"], want["length"]):
    bad.append("first suspect %r, expected %r" % (
        [got.get(k) for k in ("path", "retained_size", "length")], want))
for s in sus:
    if s["type"] == "module" or s["path"].endswith("'].__dict__") and s["path"].count("[") == 1:
        bad.append("a module or its __dict__ is a suspect: %s" % s["path"])
groups = doc["duplicates"]["groups"]
for want in t["duplicates"]:
    if not any(g["type"] == want["type"] and g["count"] == want["count"] and
               g["size"] == want["size"] and g["wasted"] == (want["count"] - 1) * want["size"] and
               ("preview" not in want or g["preview"] == want["preview"]) for g in groups):
        bad.append("duplicate group not found: %r" % want)
# The copy is batched: a handful of reads, never one per object.
if not 1 <= doc["read_syscalls"] <= 8 or doc["objects"] < 10000:
    bad.append("%d read syscalls for %d objects" % (doc["read_syscalls"], doc["objects"]))
if doc["refcount_audit"]["lower_than_found"] != 0:
    bad.append("refcount audit: %d objects with fewer references than found" % doc["refcount_audit"]["lower_than_found"])
for b in bad:
    print("mismatch:", b)
print("%d deep sizes, %d retained sizes, %d addresses, %d paths, 1 suspect, %d duplicate groups checked" % (
    len(t["deep"]), len(t["retained"]) + 1, len(t["objects"]), len(t["paths"]) + 1, len(t["duplicates"])))
sys.exit(1 if bad else 0)
PY
assert_running "$TARGET_PID"
pass "deep sizes, retained sizes, paths, the first suspect, duplicates and --expr equal the target's truth"

# Unknown names are refused, one clear line, exit 15.
refuse() {
	run_tool "$WORK/out" "$WORK/err" -p "$TARGET_PID" --expr "$1"
	[ "$RC" -eq 15 ] || fail "--expr $1 exited $RC: $(cat "$WORK/err")"
	grep -q -- "$2" "$WORK/err" || fail "--expr $1 said '$(cat "$WORK/err")', expected /$2/"
	[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "--expr $1: more than one line on stderr"
}
refuse "nosuchmodule:x" "no module 'nosuchmodule' in sys.modules"
refuse "__main__:NOPE" "no attribute 'NOPE'"
refuse "__main__:BOX.nope" "no attribute 'nope' on __main__.Box"
refuse "__main__:DATA['nokey']" "no key or index 'nokey' on dict"
refuse "__main__:INTKEYS[43]" "no key or index '43' on dict"
refuse "__main__:SEQ[1][3]" "no key or index '3' on list"
run_tool "$WORK/out" "$WORK/err" -p "$TARGET_PID" --object 0x10
[ "$RC" -eq 15 ] || fail "--object 0x10 exited $RC"
grep -q "no object at 0x10 in the heap" "$WORK/err" || fail "--object 0x10: $(cat "$WORK/err")"
assert_running "$TARGET_PID"
pass "unknown modules, attributes, keys, indices and addresses are refused with exit 15"

# The snapshot saved by the first run gives the same analyses offline,
# after the target is gone, and says how that capture went (format 2):
# frozen and consistent like the live run, not "may be torn".
kill -9 "$TARGET_PID"
run_tool "$WORK/snap.json" "$WORK/err" --snapshot "$WORK/snap.gz" --json --top 50 "$@"
[ "$RC" -eq 0 ] || fail "--snapshot exited $RC: $(cat "$WORK/err")"
"$PYTHON310" - "$WORK/out.json" "$WORK/snap.json" <<'PY' || fail "the snapshot's analyses differ from the live ones"
import json, sys
live, snap = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("objects", "total_size", "types", "named", "sharing", "retained", "duplicates", "refcount_audit", "small_ints",
        "frozen", "consistent", "capture_status_known", "threads", "pause_ms", "bytes_copied", "read_syscalls", "bytes_skipped")
bad = [k for k in keys if live[k] != snap[k]]
if not (snap["frozen"] and snap["consistent"] and snap["capture_status_known"]):
    bad.append("status: frozen %s, consistent %s, known %s" % (snap["frozen"], snap["consistent"], snap["capture_status_known"]))
print("differ:", bad) if bad else print("%d sections equal" % len(keys))
sys.exit(1 if bad else 0)
PY
run_tool "$WORK/snap.txt" "$WORK/err" --snapshot "$WORK/snap.gz" --top 5
[ "$RC" -eq 0 ] || fail "--snapshot (text) exited $RC: $(cat "$WORK/err")"
grep -q "^  paused  .* ms (.* threads" "$WORK/snap.txt" ||
	fail "the snapshot's report does not say the target was paused: $(head -n 6 "$WORK/snap.txt")"
! grep -q "may be torn" "$WORK/snap.txt" ||
	fail "the snapshot's report warns of torn figures: $(head -n 6 "$WORK/snap.txt")"
pass "a saved snapshot analysed offline gives the live figures and capture status"
