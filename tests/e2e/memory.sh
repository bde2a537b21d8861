#!/bin/sh
# The memory section against the target's own figures:
#   fixtures/malloc_target.py (GC disabled, planted garbage cycles, glibc
#   thread arena and mmapped chunks; with and without tracemalloc):
#   - memory.garbage: the planted objects' count and sys.getsizeof total
#     exactly, their types, and the cycles with their paths
#     (Pair.other.other);
#   - memory.gc: gc.isenabled(), get_threshold(), get_count(),
#     len(get_objects(i)), get_freeze_count();
#   - memory.malloc (libc6-dbg is installed by scripts/setup.sh --test):
#     mallinfo2() and malloc_stats()' text, exactly; and the same without
#     the debug file (PYHEAPINSPECT_TEST_NO_LIBC_DEBUG), from the built-in
#     glibc 2.36 layouts;
#   - from a snapshot saved by that run: the same garbage, GC state and
#     pymalloc figures, and a note (not a gap) that the resident memory
#     and glibc's arenas need the live process;
#   - memory.pymalloc and memory.free_lists: the figures of
#     sys._debugmallocstats() and the free lists planted by construction;
#   - memory.rss: VmRSS at the freeze (the target is still, so /proc read
#     right after the tool says what it was then), and the classes add up
#     to it within 1%;
#   - --retained-allocated: the 6 MiB bytearray retains its pymalloc block
#     and its mmapped chunk, hand-computed;
#   - the dump's `allocated`: pymalloc's 16-byte size class of every int,
#     float and planted instance, hand-computed from its size;
#   fixtures/demo_service.py: memory.rss and its classes again (the
#   web-app heap's are checked by tests/e2e/webapp.sh, which has it).
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

debug_libc() {
	libc=$("$PYTHON310" -c 'import ctypes.util, sys; print(ctypes.util.find_library("c"))')
	id=$(readelf -n "$(ldconfig -p | sed -n "s|.*libc.so.6 (libc6,x86-64) => ||p" | head -n 1)" |
		sed -n 's/^ *Build ID: *//p' | head -n 1)
	[ -n "$id" ] && [ -f "/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug" ] ||
		fail "no debug file for $libc (build-id $id): install libc6-dbg (scripts/setup.sh --test)"
}
debug_libc

# vmrss PID: VmRSS in bytes.
vmrss() {
	awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

check_malloc_target() {
	"$PYTHON310" - "$@" <<'PY'
import json, sys
truth, doc, dump, rss_after, mode = sys.argv[1:]
t = json.load(open(truth))
m = json.load(open(doc))["memory"]
tm, bad = t["measured"], []

def short(name):
    return name.rsplit(".", 1)[-1]

# garbage
g, tg = m["garbage"], t["garbage"]
if (g["objects"], g["size"]) != (tg["objects"], tg["size"]):
    bad.append("garbage %d objects, %d bytes; planted %d, %d" %
               (g["objects"], g["size"], tg["objects"], tg["size"]))
types = {short(x["type"]): x["count"] for x in g["types"]}
if types != tg["types"]:
    bad.append("garbage types %r, planted %r" % (types, tg["types"]))
cycles = [(short(c["type"]), c["count"], c["length"], c["path"])
          for c in g["cycles"]]
for c in tg["cycles"]:
    if (c["type"], c["count"], c["length"], c["path"]) not in cycles:
        bad.append("cycle %r not found in %r" % (c, cycles))
# gc
mg = dict(m["gc"])
if mg.pop("collecting"):
    bad.append("gc: collecting")
if mg != tm["gc"]:
    bad.append("gc %r, target says %r" % (mg, tm["gc"]))
# glibc
mal = m["malloc"]
if not mal or mal["method"] != "debuginfo":
    bad.append("malloc: %r" % (mal and mal["method"]))
else:
    if mal["mallinfo2"] != tm["mallinfo2"]:
        bad.append("mallinfo2 %r, target says %r" %
                   (mal["mallinfo2"], tm["mallinfo2"]))
    if mal["malloc_stats"] != tm["malloc_stats"]:
        bad.append("malloc_stats differs:\n%s\n%s" %
                   (mal["malloc_stats"], tm["malloc_stats"]))
# pymalloc and free lists against _debugmallocstats' lines
text = tm["debugmallocstats_untraced"] or tm["debugmallocstats"]
lines = {l[:35].strip(): int(l[36:].replace(",", ""))
         for l in text.splitlines() if l[35:36] == "="}
p = m["pymalloc"]
for key, label in (("arenas_allocated_total", "# arenas allocated total"),
                   ("arenas_reclaimed", "# arenas reclaimed"),
                   ("arenas_highwater", "# arenas highwater mark"),
                   ("arenas_current", "# arenas allocated current"),
                   ("bytes_in_allocated_blocks", "# bytes in allocated blocks"),
                   ("bytes_in_available_blocks", "# bytes in available blocks"),
                   ("bytes_lost_to_pool_headers", "# bytes lost to pool headers"),
                   ("bytes_lost_to_quantization", "# bytes lost to quantization"),
                   ("bytes_lost_to_arena_alignment",
                    "# bytes lost to arena alignment")):
    if p[key] != lines[label]:
        bad.append("pymalloc %s %r, target %r" % (key, p[key], lines[label]))
if p["unused_pools"] * 16384 != lines["%d unused pools * 16384 bytes"
                                     % p["unused_pools"]]:
    bad.append("pymalloc unused_pools")
fl = {(x["list"], x.get("length", 0)): x["count"] for x in m["free_lists"]}
if fl[("async_gen_asend", 0)] != t["constructed"]["asend_free"] or \
        fl[("context", 0)] != t["constructed"]["context_free"]:
    bad.append("asend/context free lists %r" % fl)
for name, obj in (("dict", "PyDictObject"), ("float", "PyFloatObject"),
                  ("frame", "PyFrameObject"), ("list", "PyListObject")):
    hit = [l for l in text.splitlines() if " free %ss * " % obj in l]
    if not hit or int(hit[0].split()[0]) != fl[(name, 0)]:
        bad.append("free list %s %r, target %r" % (name, fl[(name, 0)], hit))
for n in range(1, 20):
    hit = [l for l in text.splitlines()
           if " free %d-sized PyTupleObjects * " % n in l]
    if not hit or int(hit[0].split()[0]) != fl[("tuple", n)]:
        bad.append("free list tuple %d" % n)
# rss
r, cls = m["rss"], m["classes"]
if r["vm_rss"] != int(rss_after):
    bad.append("memory.rss %d, VmRSS %s" % (r["vm_rss"], rss_after))
total = sum(c["resident"] for c in cls)
if abs(total - r["vm_rss"]) > r["vm_rss"] / 100:
    bad.append("classes add up to %d, VmRSS %d" % (total, r["vm_rss"]))
by = {c["class"]: c["resident"] for c in cls}
if by["pymalloc_arenas"] < lines["# arenas allocated current"] * (1 << 19):
    bad.append("pymalloc arenas resident %d" % by["pymalloc_arenas"])
if by["malloc_mmapped"] < t["constructed"]["big_block"]["size"]:
    bad.append("the 6 MiB block is not in malloc_mmapped: %r" % by)
# allocated: pymalloc's size class of small objects that are never
# resized (a str or bytes shrunk in place keeps its larger block, which
# pymalloc's realloc does when the new size is over 3/4 of the old).
n = 0
for line in open(dump):
    o = json.loads(line)
    if o["type"] in ("int", "float", "__main__.Pair", "__main__.Node") and \
            o["size"] <= 512:
        n += 1
        if o["allocated"] != (o["size"] + 15) & ~15:
            bad.append("allocated %r" % o)
            break
if n < 1000:
    bad.append("only %d small objects in the dump" % n)
for b in bad:
    print("mismatch:", b)
print("%s: garbage %d objects %d bytes, %d cycle shapes; RSS %d, classes %d"
      % (mode, g["objects"], g["size"], len(cycles), r["vm_rss"], total))
sys.exit(1 if bad else 0)
PY
}

for mode in plain --tracemalloc; do
	arg=$mode
	[ "$mode" = plain ] && arg=
	truth="$WORK/truth$mode.json"
	# shellcheck disable=SC2086  # $arg is empty or one word
	start_target "$PYTHON310" "$FIXTURES/malloc_target.py" "$truth" $arg
	wait_file "$truth"
	run_tool "$WORK/doc$mode.json" "$WORK/err$mode" -p "$TARGET_PID" \
		--json --dump "$WORK/dump$mode.jsonl"
	[ "$RC" -eq 0 ] || fail "$mode: exit $RC: $(cat "$WORK/err$mode")"
	check_malloc_target "$truth" "$WORK/doc$mode.json" \
		"$WORK/dump$mode.jsonl" "$(vmrss "$TARGET_PID")" "$mode" ||
		fail "$mode: the memory section is not the target's"
	if [ "$mode" = plain ]; then
		# The 6 MiB bytearray: its object in pymalloc (56 bytes, class
		# 64) and its buffer of 6 MiB + 1 in an mmapped chunk (the
		# request plus the size field, 16-aligned, then plus the size
		# field again, page-aligned: glibc's sysmalloc).
		run_tool "$WORK/big.json" "$WORK/err" -p "$TARGET_PID" --json \
			--top 1 --expr __main__:BIG --retained-allocated
		[ "$RC" -eq 0 ] || fail "--retained-allocated: exit $RC: $(cat "$WORK/err")"
		"$PYTHON310" - "$truth" "$WORK/big.json" "$WORK/doc$mode.json" <<'PY' ||
import json, sys
t = json.load(open(sys.argv[1]))
big = json.load(open(sys.argv[2]))["named"][0]
plain = json.load(open(sys.argv[3]))
n = t["constructed"]["big_block"]["size"] + 1
chunk = (((n + 8 + 15) & ~15) + 8 + 4095) & ~4095
want = 64 + chunk
print("BIG: retained %d allocated bytes, hand-computed %d" %
      (big["retained_size"], want))
sys.exit(0 if big["retained_size"] == want else 1)
PY
			fail "--retained-allocated: BIG does not retain its chunk"
	fi
	PYHEAPINSPECT_TEST_NO_LIBC_DEBUG=1 run_tool "$WORK/nodebug$mode.json" \
		"$WORK/err$mode" -p "$TARGET_PID" --json --top 1 \
		--save-snapshot "$WORK/snap$mode.gz"
	[ "$RC" -eq 0 ] || fail "$mode: no debug file: exit $RC: $(cat "$WORK/err$mode")"
	kill "$TARGET_PID"
	run_tool "$WORK/snap$mode.json" "$WORK/err$mode" --snapshot \
		"$WORK/snap$mode.gz" --json
	[ "$RC" -eq 0 ] || fail "$mode: --snapshot: exit $RC: $(cat "$WORK/err$mode")"
	"$PYTHON310" - "$truth" "$WORK/doc$mode.json" "$WORK/nodebug$mode.json" \
		"$WORK/snap$mode.json" <<'PY' || fail "$mode: without the debug file or from the snapshot"
import json, sys
t = json.load(open(sys.argv[1]))["measured"]
live, nodebug, snap = (json.load(open(p))["memory"] for p in sys.argv[2:5])
bad = []
mal = nodebug["malloc"]
if not mal or mal["method"] != "builtin-2.36" or \
        mal["mallinfo2"] != t["mallinfo2"] or \
        mal["malloc_stats"] != t["malloc_stats"]:
    bad.append("without libc's debug file: %r" % (mal and mal["method"]))
if snap["rss"] is not None or snap["malloc"] is not None or \
        "snapshot" not in (snap["note"] or ""):
    bad.append("snapshot: rss %r, malloc %r, note %r" %
               (snap["rss"], snap["malloc"], snap["note"]))
for k in ("garbage", "gc", "pymalloc", "free_lists", "objects"):
    if snap[k] != live[k]:
        bad.append("snapshot: %s differs" % k)
for b in bad:
    print("mismatch:", b)
sys.exit(1 if bad else 0)
PY
	pass "$mode: garbage, gc, malloc, pymalloc, free lists and RSS are the target's (also without libc's debug file, and from a snapshot)"
done

start_target "$PYTHON310" "$FIXTURES/demo_service.py" "$WORK/ready"
wait_file "$WORK/ready"
run_tool "$WORK/demo.json" "$WORK/demo.err" -p "$TARGET_PID" --json
[ "$RC" -eq 0 ] || fail "demo: exit $RC: $(cat "$WORK/demo.err")"
"$PYTHON310" "$PHI_SRCDIR/tests/e2e/check_rss.py" "$WORK/demo.json" \
	"$(vmrss "$TARGET_PID")" demo ||
	fail "demo: memory.rss or its classes are not VmRSS"
pass "demo: memory.rss is VmRSS and the classes add up to it"

