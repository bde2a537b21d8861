#!/bin/sh
# Issue 11's "Done when".  The interpreters that production runs, built from the CPython 3.10 under
# test by tests/builds/make-builds.sh (cached in $PHI_BUILDS_DIR, by
# default tests/builds/out in the build tree): on each, the heap of
# fixtures/rich_heap.py --varied read from outside equals the target's own
# truth object for object (address, type, sys.getsizeof, referents: the
# four checks of check_graph.py, as graph.sh runs them), the document
# reports no inconsistency (bad references, unreadable fields, small ints
# that are not where the interpreter has them), and the exit status says
# whether the report is complete: 0 exactly when the dump equals the
# truth and nothing was refused, never 0 with a smaller heap; 16 when a
# debug file was refused (then the JSON's "incomplete" lists it, and only
# it).
#
# Cases:
#   dwarf             the source interpreter (shared libpython with DWARF)
#   static            libpython linked into the executable, with DWARF
#   shared-stripped   libpython `strip --strip-all`: .dynsym only
#   static-stripped   the static executable `strip --strip-all`
#   snapshot-statics  the snapshot saved by shared-stripped's run, the
#                     statics found in memory erased from its description:
#                     found again in the saved image, equal to the truth
#   snapshot-gaps     the same without the object's segments, so that they
#                     cannot be looked for: each is a gap, exit status 16,
#                     and the dump is smaller than the truth
#   shared-debuglink  stripped, its debug file found by .gnu_debuglink
#                     (layouts from DWARF, -v names the file)
#   static-debuglink  the static executable stripped, its debug file next
#                     to it by .gnu_debuglink
#   static-buildid    stripped static, its debug file only in
#                     --debug-dir DIR/.build-id/xx/rest.debug; and the
#                     tool again without it (built-in table, statics
#                     found in memory): the whole heap equals the DWARF
#                     run's, object for object
#   mismatch-link     stripped, 3.9's debug info under its debuglink name:
#                     refused with a one-line warning naming it, layouts
#                     from the built-in table, still equal to the truth,
#                     exit status 0 with that note only (a note costs nothing)
#   mismatch-buildid  the same with 3.9's debug info at the library's
#                     build-id path of --debug-dir
#   container         the shared-debuglink build in its own mount and pid
#                     namespaces (tests/builds/in-container.sh) at a path
#                     where the host has files of 3.9 (a decoy library and
#                     debug file); the tool runs from the host with the
#                     host pid and must read the container's files (layouts
#                     from DWARF, which only the container's file has; -v
#                     names the container's path and says it is the
#                     target's own)
#   replaced          a copy of the stripped build run as the user nobody
#                     (in a mount namespace of its own, where the stdlib
#                     under /root, which nobody cannot reach, is bound on
#                     the prefix) and read by the tool as nobody: equal to
#                     the truth; then its libpython is replaced on disk
#                     (a new file renamed over it, as a package upgrade
#                     does) and nobody's tool refuses it (exit 4, a message
#                     that says it was replaced and to run as root); then
#                     it is deleted, refused the same way; root's tool
#                     reads the mapped file through /proc/PID/map_files and
#                     equals the truth again
# Every case runs; the test fails at the end if any failed, listing them.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

BUILDS=${PHI_BUILDS_DIR:-$(dirname "$(dirname "$PHI_TOOL")")/tests/builds/out}
sh "$PHI_SRCDIR/tests/builds/make-builds.sh" "$BUILDS" >"$WORK/make-builds.out" 2>&1 ||
	fail "make-builds.sh: $(cat "$WORK/make-builds.out")"
# shellcheck disable=SC1091
. "$BUILDS/builds.env"
LIBDBG=lib/libpython3.10.so.1.0.debug
FAILED=""

# bad CASE TEXT: one check of CASE failed; the other checks go on.
bad() {
	echo "FAIL: $1: $2" >&2
	case " $FAILED " in *" $1 "*) ;; *) FAILED="$FAILED $1" ;; esac
}

# json_field FILE KEY: a top-level field of the tool's JSON document.
json_field() {
	"$PYTHON310" -c 'import json, sys
try:
    print(json.load(open(sys.argv[1], encoding="utf-8")).get(sys.argv[2]))
except (OSError, ValueError) as e:
    print("(no document: %s)" % e)' "$1" "$2"
}

# json_gaps FILE [KEY]: the distinct "what" of the document's gaps (or
# of its KEY list, e.g. notes), sorted, joined by ", ".
json_gaps() {
	"$PYTHON310" -c 'import json, sys
try:
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
except (OSError, ValueError) as e:
    sys.exit("(no document: %s)" % e)
key = sys.argv[2] if len(sys.argv) > 2 else "incomplete"
print(", ".join(sorted({g["what"] for g in doc.get(key) or ()})))' "$@"
}

# start_case CASE PYTHON [in-container.sh SRC DST]: start the fixture and
# wait for its truth; sets TARGET_PID (the host pid) and TRUTH_PID (the
# pid the target sees: 1 in a container).
start_case() {
	d="$WORK/$1"
	mkdir -p "$d"
	if [ $# -gt 2 ]; then
		start_target sh "$PHI_SRCDIR/tests/builds/in-container.sh" \
			-p "$d/hostpid" "$4" "$5" "$2" \
			"$FIXTURES/rich_heap.py" --varied "$d/truth.json" "$d/beat"
		wait_file "$d/hostpid"
		TARGET_PID=$(cat "$d/hostpid")
		PIDS="$PIDS $TARGET_PID"
		TRUTH_PID=1
	else
		start_target "$2" "$FIXTURES/rich_heap.py" --varied \
			"$d/truth.json" "$d/beat"
		TRUTH_PID=$TARGET_PID
	fi
	wait_file "$d/truth.json"
	wait_file "$d/beat"
	cp "$WORK/target.out" "$d/target.out"
	"$PYTHON310" - "$d/truth.json" "$TRUTH_PID" <<'PY' ||
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if t["stable"] and t["pid"] == int(sys.argv[2]) and
         t.get("interned") else 1)
PY
		fail "$1: the fixture's truth is not stable, not its own or has no interned dict: $(cat "$d/target.out")"
}

# check_case CASE: the four checks of check_graph.py on CASE's files;
# prints what they measured and each group's first mismatches.  Returns 1
# if any failed.
check_case() {
	d="$WORK/$1"
	st=0
	"$PYTHON310" "$PHI_SRCDIR/tests/e2e/check_graph.py" all \
		"$d/truth.json" "$d/dump.jsonl" "$d/out.json" >"$d/check" 2>&1 ||
		st=1
	# every summary line, and 5 mismatches of each group
	awk -v c="$1" '/^== / { g = $2; n = 0; next }
		/^mismatch:/ { if (++n > 5) next }
		{ printf "  %s %s: %.240s\n", c, g, $0 }' "$d/check"
	return $st
}

# run_case CASE TOOL_ARGS...: the tool on the running target, then the
# checks and the exit status; kills the target.  Sets RC and CASE_EQUAL.
# With EXPECT_GAP set, the report must list that gap (the JSON's
# "incomplete") and no other, and exit with 16.  With EXPECT_NOTE set, it
# must list that note (the JSON's "notes"), no gap, and exit with 0: a
# note costs nothing (other notes may come with it).  With AFTER_RUN set, that function runs (with the
# case's name) before the target is killed.
EXPECT_GAP=
EXPECT_NOTE=
AFTER_RUN=
run_case() {
	d="$WORK/$1"
	c=$1
	shift
	run_tool "$d/out.json" "$d/err" -p "$TARGET_PID" --json \
		--dump "$d/dump.jsonl" "$@"
	CASE_EQUAL=yes
	if [ ! -s "$d/dump.jsonl" ]; then
		CASE_EQUAL=no
		bad "$c" "tool exited $RC without a dump: $(head -c 600 "$d/err")"
	elif ! check_case "$c"; then
		CASE_EQUAL=no
		bad "$c" "the dump differs from the target's truth (figures above; tool exited $RC)"
	fi
	[ ! -s "$d/out.json" ] || "$PYTHON310" - "$d/out.json" <<'PY' ||
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
inc = doc.get("inconsistencies") or {}
bad = {k: v for k, v in inc.items() if v}
if doc.get("small_ints_mismatches"):
    bad["small_ints_mismatches"] = doc["small_ints_mismatches"]
if bad:
    print(" ".join("%s %s" % kv for kv in sorted(bad.items())))
sys.exit(1 if bad else 0)
PY
		bad "$c" "the document reports inconsistencies (above)"
	want_rc=0
	if [ -n "$EXPECT_GAP" ]; then
		want_rc=16
		gaps=$(json_gaps "$d/out.json")
		[ "$gaps" = "$EXPECT_GAP" ] ||
			bad "$c" "the report's gaps are '$gaps', expected '$EXPECT_GAP' only"
	fi
	if [ -n "$EXPECT_NOTE" ]; then
		notes=$(json_gaps "$d/out.json" notes)
		gaps=$(json_gaps "$d/out.json")
		# Other notes may come with it (a stripped build's pymalloc
		# counters): the one expected must be there, and no gap.
		case ", $notes, " in
		*", $EXPECT_NOTE, "*) ;;
		*) bad "$c" "the report's notes are '$notes', expected '$EXPECT_NOTE' among them" ;;
		esac
		[ -z "$gaps" ] ||
			bad "$c" "the report has gaps '$gaps', expected none"
	fi
	if [ "$CASE_EQUAL" = no ] && [ "$RC" -eq 0 ]; then
		bad "$c" "exit status 0 with an incomplete report"
	elif [ "$CASE_EQUAL" = yes ] && [ "$RC" -ne "$want_rc" ]; then
		bad "$c" "exit status $RC with a report equal to the truth (expected $want_rc): $(head -c 600 "$d/err")"
	fi
	[ -z "$AFTER_RUN" ] || "$AFTER_RUN" "$c"
	if kill -0 "$TARGET_PID" 2>/dev/null; then
		assert_running "$TARGET_PID" "$d/beat"
		kill -9 "$TARGET_PID" 2>/dev/null || true
	else
		bad "$c" "the target died"
	fi
	[ "$CASE_EQUAL" = yes ] && [ "$RC" -eq 0 ]
}

# expect_layout CASE SOURCE: the document's layout_source.
expect_layout() {
	got=$(json_field "$WORK/$1/out.json" layout_source)
	[ "$got" = "$2" ] || bad "$1" "layout_source '$got', expected '$2'"
}

# expect_named CASE FILE: -v (stderr) names FILE, the debug file used.
expect_named() {
	grep -qF "$2" "$WORK/$1/err" ||
		bad "$1" "-v does not name $2: $(head -c 600 "$WORK/$1/err")"
}

# expect_refused CASE FILE: without -v, exactly one line of stderr names
# the refused debug file.
expect_refused() {
	n=$(grep -cF "$2" "$WORK/$1/err" || true)
	[ "$n" -eq 1 ] ||
		bad "$1" "$n lines of stderr name the mismatched $2 (expected a one-line warning): $(head -c 600 "$WORK/$1/err")"
}

# case_done CASE: one line per case, for the log.
case_done() {
	case " $FAILED " in
	*" $1 "*) echo "case $1: FAILED" ;;
	*) pass "case $1: the dump equals the truth, exit status ${2:-0}" ;;
	esac
}

# dwarf: the baseline, the build the tool supports today.
start_case dwarf "$PYTHON310"
run_case dwarf -v || true
expect_layout dwarf dwarf
case_done dwarf

start_case static "$BUILDS/static/bin/python3.10"
run_case static -v || true
expect_layout static dwarf
case_done static

start_case shared-stripped "$BUILDS/shared-stripped/bin/python3.10"
grep -qF "$BUILDS/shared-stripped/lib/libpython3.10.so.1.0" "/proc/$TARGET_PID/maps" ||
	bad shared-stripped "the stripped libpython is not the one mapped"
run_case shared-stripped -v --save-snapshot "$WORK/shared-stripped/saved.snap.gz" || true
case_done shared-stripped

# snapshot-statics, snapshot-gaps: the snapshot of shared-stripped with
# the statics found in memory erased from its description (as a stripped
# build leaves them).  With the object's segments kept, they are found
# again in the saved image: equal to the truth, exit 0.  Without the
# segments they cannot be looked for: every one is a gap, the exit status
# 16, and the dump is smaller than the truth (what the gaps say it costs).
# patch_snapshot IN OUT DROP_SEGMENTS: the description rewritten.
patch_snapshot() {
	"$PYTHON310" - "$@" <<'PY'
import gzip, struct, sys
src, dst, drop_segments = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"
ERASE = {"symbol:" + n for n in ("interned", "deque_type", "defdict_type",
                                 "_PyExc_BaseException", "subtype_dealloc")}
b = gzip.open(src).read()
out = [b[:16]]          # magic, format version, pid
pos, nums = 16, []
(n,) = struct.unpack_from("<I", b, pos)
pos += 4
for _ in range(n):
    (l,) = struct.unpack_from("<I", b, pos)
    name = b[pos + 4:pos + 4 + l].decode()
    (v,) = struct.unpack_from("<q", b, pos + 4 + l)
    pos += 12 + l
    if name in ERASE:
        assert v, name      # found by the live run
        v = 0
    if drop_segments and name.startswith("segment:"):
        continue
    nums.append(struct.pack("<I", l) + name.encode() + struct.pack("<q", v))
out.append(struct.pack("<I", len(nums)))
out.extend(nums)
out.append(b[pos:])
with gzip.open(dst, "wb", compresslevel=1) as f:
    f.write(b"".join(out))
PY
}

# snapshot_case CASE DROP_SEGMENTS: the tool on the patched snapshot.
snapshot_case() {
	d="$WORK/$1"
	mkdir -p "$d"
	cp "$WORK/shared-stripped/truth.json" "$d/truth.json"
	patch_snapshot "$WORK/shared-stripped/saved.snap.gz" "$d/s.snap.gz" "$2" ||
		{ bad "$1" "cannot patch the snapshot"; return 0; }
	run_tool "$d/out.json" "$d/err" --snapshot "$d/s.snap.gz" --json \
		--dump "$d/dump.jsonl"
	CASE_EQUAL=yes
	check_case "$1" >"$d/check.summary" || CASE_EQUAL=no
}

snapshot_case snapshot-statics no
cat "$WORK/snapshot-statics/check.summary"
if [ "$CASE_EQUAL" != yes ] || [ "$RC" -ne 0 ]; then
	bad snapshot-statics "exit status $RC, or the dump differs from the truth: $(head -c 600 "$WORK/snapshot-statics/err")"
fi
case_done snapshot-statics

snapshot_case snapshot-gaps yes
gaps=$(json_gaps "$WORK/snapshot-gaps/out.json")
want="symbol _PyExc_BaseException, symbol defdict_type, symbol deque_type, symbol interned, symbol subtype_dealloc"
[ "$gaps" = "$want" ] ||
	bad snapshot-gaps "the report's gaps are '$gaps', expected '$want'"
[ "$RC" -eq 16 ] ||
	bad snapshot-gaps "exit status $RC, expected 16: $(head -c 600 "$WORK/snapshot-gaps/err")"
[ "$CASE_EQUAL" = no ] ||
	bad snapshot-gaps "the dump equals the truth without the statics: the test proves nothing"
grep -E 'objects found|refs found' "$WORK/snapshot-gaps/check.summary" || true
case " $FAILED " in
*" snapshot-gaps "*) echo "case snapshot-gaps: FAILED" ;;
*) pass "case snapshot-gaps: each missing static is a gap, exit status 16, a smaller dump" ;;
esac

start_case static-stripped "$BUILDS/static-stripped/bin/python3.10"
run_case static-stripped -v || true
case_done static-stripped

start_case shared-debuglink "$BUILDS/shared-debuglink/bin/python3.10"
run_case shared-debuglink -v || true
expect_layout shared-debuglink dwarf
expect_named shared-debuglink "$BUILDS/shared-debuglink/$LIBDBG"
case_done shared-debuglink

start_case static-debuglink "$BUILDS/static-debuglink/bin/python3.10"
run_case static-debuglink -v || true
expect_layout static-debuglink dwarf
expect_named static-debuglink "debug file '$BUILDS/static-debuglink/bin/python3.10.debug' on the host, matched by .gnu_debuglink"
case_done static-debuglink

id=$PHI_BUILD_STATIC_ID
# same_heap CASE: the tool again on CASE's target, without the debug file
# (the built-in table, the statics found in memory): the whole heap, not
# only the truth's part, equals the DWARF run's object for object (type,
# size, tracking, value, references), but for the heartbeat thread,
# whose counter (an int) and frame move between the two captures.
same_heap() {
	d="$WORK/$1"
	run_tool "$d/builtin.json" "$d/builtin.err" -p "$TARGET_PID" --json \
		--dump "$d/builtin.jsonl"
	"$PYTHON310" - "$d/dump.jsonl" "$d/builtin.jsonl" "$d/out.json" \
		"$d/builtin.json" <<'PY' || bad "$1" "the run without the debug file differs from the DWARF run (above; exit $RC)"
import json, sys
def load(p):
    with open(p, encoding="utf-8") as f:
        return {o["address"]: o for o in map(json.loads, f)}
a, b = load(sys.argv[1]), load(sys.argv[2])
src = [json.load(open(p, encoding="utf-8"))["layout_source"] for p in sys.argv[3:5]]
only = sorted((x, (a.get(x) or b.get(x))["type"]) for x in set(a) ^ set(b))
diff = []
for x in set(a) & set(b):
    p, q = a[x], b[x]
    for k in ("type", "size", "gc_tracked", "opaque", "value", "refs",
              "weak_refs"):
        if p.get(k) != q.get(k) and not (
                (p["type"], k) in (("int", "value"), ("frame", "refs"))):
            diff.append("%s (%s): %s %.80r / %.80r" % (x, p["type"], k,
                                                       p.get(k), q.get(k)))
churn = [o for o in only if o[1] != "int"]
print("  same heap: %d objects with DWARF, %d without; %d only in one "
      "(heartbeat ints), %d fields differ; layouts %s / %s"
      % (len(a), len(b), len(only), len(diff), src[0], src[1]))
for line in (diff + ["only in one: %s %s" % o for o in churn])[:10]:
    print("  mismatch:", line)
sys.exit(0 if src == ["dwarf", "builtin"] and len(only) <= 4 and not churn
         and not diff else 1)
PY
	[ "$RC" -eq 0 ] ||
		bad "$1" "without the debug file the tool exited $RC: $(head -c 600 "$d/builtin.err")"
}

start_case static-buildid "$BUILDS/static-stripped/bin/python3.10"
AFTER_RUN=same_heap
run_case static-buildid -v --debug-dir "$BUILDS/debug" || true
AFTER_RUN=
expect_layout static-buildid dwarf
expect_named static-buildid "debug file '$BUILDS/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug' on the host, matched by build-id $id"
case_done static-buildid

# A refused debug file is a note: the built-in table stands in, and the
# figures are those of the truth (the dump is compared).
EXPECT_NOTE="debug file refused"
start_case mismatch-link "$BUILDS/shared-mismatch/bin/python3.10"
run_case mismatch-link || true
expect_layout mismatch-link builtin
expect_refused mismatch-link "$BUILDS/shared-mismatch/$LIBDBG"
case_done mismatch-link

id=$PHI_BUILD_LIB_ID
start_case mismatch-buildid "$BUILDS/shared-stripped/bin/python3.10"
run_case mismatch-buildid --debug-dir "$BUILDS/debug-mismatch" || true
expect_layout mismatch-buildid builtin
expect_refused mismatch-buildid "$(echo "$id" | cut -c3-).debug"
case_done mismatch-buildid
EXPECT_NOTE=

# container: the setup itself is checked first (namespaces, what the
# target maps, which file each path gives), so that a failure of the tool
# cannot be a failure of the setup.
app="$BUILDS/container/app"
start_case container "$app/bin/python3.10" in-container "$BUILDS/shared-debuglink" "$app"
ns=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$TARGET_PID/status")
[ "$ns" = "$(printf '%s\t1' "$TARGET_PID")" ] ||
	fail "container: the target is not pid 1 of its own pid namespace (NSpid: $ns)"
[ "$(readlink "/proc/$TARGET_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
	fail "container: the target shares the host's mount namespace"
grep -qF "$app/lib/libpython3.10.so.1.0" "/proc/$TARGET_PID/maps" ||
	fail "container: /proc/PID/maps does not name the inside path $app/lib/libpython3.10.so.1.0"
cmp -s "/proc/$TARGET_PID/root$app/$LIBDBG" "$BUILDS/shared-debuglink/$LIBDBG" ||
	fail "container: /proc/PID/root$app/$LIBDBG is not the container's debug file"
cmp -s "$app/$LIBDBG" "$BUILDS/shared-mismatch/$LIBDBG" ||
	fail "container: the host's $app/$LIBDBG is not the decoy (3.9's)"
[ ! -e "$app/bin/python3.10" ] ||
	fail "container: $app/bin/python3.10 exists on the host"
run_case container -v || true
expect_layout container dwarf
expect_named container "debug file '$app/$LIBDBG' in the root of process $TARGET_PID (/proc/$TARGET_PID/root), matched by .gnu_debuglink"
case_done container

# replaced: see the header.  The target runs as nobody, so that the tool
# as nobody may trace it (the same user) but may not open map_files
# (that needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE).
NOBODY=65534
as_nobody() {
	setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups "$@"
}

# run_nobody OUT ERR ARGS...: the tool as nobody; sets RC.
run_nobody() {
	out=$1 err=$2
	shift 2
	set +e
	as_nobody "$PHI_TOOL" "$@" >"$out" 2>"$err"
	RC=$?
	set -e
}

# expect_refusal STEP TEXT...: nobody's tool exited 4 and said each TEXT.
expect_refusal() {
	step=$1
	shift
	[ "$RC" -eq 4 ] ||
		bad replaced "$step: nobody's tool exited $RC, expected 4: $(head -c 600 "$rp/out/$step.err")"
	for t in "$@"; do
		grep -qF "$t" "$rp/out/$step.err" ||
			bad replaced "$step: the message does not say '$t': $(head -c 600 "$rp/out/$step.err")"
	done
}

# check_replaced STEP: the dump of STEP equals the truth (default heap).
check_replaced() {
	"$PYTHON310" "$PHI_SRCDIR/tests/e2e/check_graph.py" all \
		"$rp/out/truth.json" "$rp/out/$1.jsonl" "$rp/out/$1.json" \
		>"$rp/$1.check" 2>&1 && [ "$RC" -eq 0 ] && return 0
	bad replaced "$1: exit status $RC, or the dump differs from the truth: $(grep -v '^mismatch' "$rp/$1.check" | head -c 600) $(head -c 300 "$rp/out/$1.err")"
}

for tool in setpriv unshare; do
	command -v "$tool" >/dev/null 2>&1 || fail "replaced: $tool (util-linux) is needed"
done
rp="$WORK/replaced"
lib="$rp/py/lib/libpython3.10.so.1.0"
mkdir -p "$rp/py/bin" "$rp/py/lib/python3.10" "$rp/out"
chmod 711 "$WORK"
chmod 755 "$rp" "$rp/py" "$rp/py/bin" "$rp/py/lib" "$rp/py/lib/python3.10"
chmod 777 "$rp/out"
cp "$BUILDS/shared-stripped/bin/python3.10" "$rp/py/bin/"
cp "$BUILDS/shared-stripped/lib/libpython3.10.so.1.0" "$lib"
stdlib=$("$PYTHON310" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
# unshare without --fork execs in place: $! is the target's pid.
# shellcheck disable=SC2016 # expanded by the inner sh
unshare --mount --propagation private sh -c \
	'mount --bind "$1" "$2/lib/python3.10" && shift 2 &&
	 exec setpriv --reuid 65534 --regid 65534 --clear-groups "$@"' \
	replaced "$stdlib" "$rp/py" "$rp/py/bin/python3.10" \
	"$FIXTURES/rich_heap.py" "$rp/out/truth.json" "$rp/out/beat" \
	</dev/null >"$rp/target.out" 2>&1 &
TARGET_PID=$!
PIDS="$PIDS $TARGET_PID"
wait_file "$rp/out/truth.json"
wait_file "$rp/out/beat"
[ "$(stat -c %u "/proc/$TARGET_PID")" = "$NOBODY" ] ||
	fail "replaced: the target does not run as nobody"

run_nobody "$rp/out/before.json" "$rp/out/before.err" -p "$TARGET_PID" \
	--json --dump "$rp/out/before.jsonl"
check_replaced before

# a package upgrade: the new file is renamed over the old one
cp "$BUILDS/container/app/lib/libpython3.10.so.1.0" "$lib.new"
mv -f "$lib.new" "$lib"
grep -qF "$lib (deleted)" "/proc/$TARGET_PID/maps" ||
	fail "replaced: the maps do not show the replaced library as deleted"
run_nobody "$rp/out/replaced.json" "$rp/out/replaced.err" -p "$TARGET_PID" --json
expect_refusal replaced "'$lib' mapped by process $TARGET_PID was replaced on disk" \
	"map_files" "run pyheapinspect as root"

rm -f "$lib"
run_nobody "$rp/out/deleted.json" "$rp/out/deleted.err" -p "$TARGET_PID" --json
expect_refusal deleted "'$lib' mapped by process $TARGET_PID was deleted since it was mapped" \
	"map_files" "run pyheapinspect as root"

# root reads the mapped file itself
run_tool "$rp/out/root.json" "$rp/out/root.err" -p "$TARGET_PID" -v --json \
	--dump "$rp/out/root.jsonl"
check_replaced root
grep -qF "opened as '/proc/$TARGET_PID/map_files/" "$rp/out/root.err" ||
	bad replaced "root's -v does not name map_files: $(head -c 600 "$rp/out/root.err")"
assert_running "$TARGET_PID" "$rp/out/beat"
kill -9 "$TARGET_PID" 2>/dev/null || true
case_done replaced

[ -z "$FAILED" ] || fail "cases failed:$FAILED"
