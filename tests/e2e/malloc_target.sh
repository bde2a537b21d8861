#!/bin/sh
# The memory fixture (fixtures/malloc_target.py) keeps still while it
# waits: its truth is what a reader freezing it will find.  Frozen and
# resumed as the tool does it, the target takes no page fault and, woken
# by SIGUSR1, measures itself again with the same figures.  This checks
# the fixture the issue-14 tests compare the tool against, not the tool.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# minflt PID: minor page faults of the process so far (field 10 of stat).
minflt() {
	sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f8
}

# freeze PID: stop every thread for a second, then resume, as the tool's
# freeze and copy would.
freeze() {
	kill -STOP "$1"
	i=0
	while [ "$(proc_state "$1")" != T ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "target $1 does not stop"
		sleep 0.01
	done
	sleep 1
	kill -CONT "$1"
}

# check TRUTH AFTER MODE FAULTS_AT_REST: the second measurement equals
# the first; the truth is plausible for what the fixture planted.
check() {
	"$PYTHON310" - "$@" <<'PY'
import json, sys
truth, after = (json.load(open(p)) for p in sys.argv[1:3])
tracemalloc = sys.argv[3] == "--tracemalloc"
faults_at_rest = [int(x) for x in sys.argv[4].split()]
t, a = truth["measured"], after["measured"]
bad = []
if (truth["sequence"], after["sequence"]) != (0, 1):
    bad.append("sequence %r, %r" % (truth["sequence"], after["sequence"]))
if truth["pid"] != after["pid"]:
    bad.append("not the same process")
# With tracemalloc, the wake-up's siginfo object is traced: its trace
# entries are malloc'd, so glibc's figures may move after SIGUSR1 (the
# frozen state still equals the truth: the wake-up is after it).
skip = {"mallinfo2", "malloc_stats"} if tracemalloc else set()
for k in sorted(set(t) | set(a)):
    if k not in skip and t.get(k) != a.get(k):
        bad.append("%s moved between the two measurements" % k)
if [t["faults"]["minflt"]] * 2 != faults_at_rest:
    bad.append("page faults after the measurement: %d, then %r"
               % (t["faults"]["minflt"], faults_at_rest))
d = t["debugmallocstats"]
pymalloc = d.startswith("Small block threshold = 512, in 32 size classes.")
if pymalloc == tracemalloc:
    bad.append("pymalloc section %s" % ("present" if pymalloc else "missing"))
if tracemalloc:
    u = t["debugmallocstats_untraced"]
    if not u.startswith("Small block threshold") or not u.endswith(d):
        bad.append("debugmallocstats_untraced: not the same free lists")
    d = u
lines = {l.split("=")[0].strip(): l.split("=")[1].strip().replace(",", "")
         for l in d.splitlines() if "=" in l}
if int(lines["# arenas reclaimed"]) < 1:
    bad.append("no arena reclaimed")
if not any(k.endswith("unused pools * 16384 bytes") and int(v) > 0
           for k, v in lines.items()):
    bad.append("no unused pool")
g = t["gc"]
if g["enabled"] or g["thresholds"] != [901, 13, 7] or \
        min(g["generations"]) < 1 or g["permanent"] < 1:
    bad.append("gc state %r" % g)
gb = truth["garbage"]
if gb["objects"] != sum(gb["types"].values()) or \
        gb["payload_bytes"] < 10 << 20 or gb["size"] <= gb["payload_bytes"]:
    bad.append("garbage %r" % {k: gb[k] for k in ("objects", "size")})
m = t["mallinfo2"]
if m["hblks"] < 1 or m["hblkhd"] < truth["constructed"]["big_block"]["size"] \
        or m["smblks"] < 1 or t["malloc_stats"].count("Arena ") < 2:
    bad.append("glibc: no mmapped chunk, fastbin or thread arena")
if not 0 < t["status"]["VmRSS"] == sum(t["status"][k] for k in
                                       ("RssAnon", "RssFile", "RssShmem")):
    bad.append("status %r" % t["status"])
for b in bad:
    print("mismatch:", b)
print("%s: truth settled in %d rounds; %d figures equal after a freeze"
      % (sys.argv[3] or "plain", after["rounds_to_settle"],
         len(set(t) - skip)))
sys.exit(1 if bad else 0)
PY
}

for mode in plain --tracemalloc; do
	arg=$mode
	[ "$mode" = plain ] && arg=
	truth="$WORK/truth-$mode.json"
	# shellcheck disable=SC2086  # $arg is empty or one word
	start_target "$PYTHON310" "$FIXTURES/malloc_target.py" "$truth" $arg
	wait_file "$truth"
	f1=$(minflt "$TARGET_PID")
	freeze "$TARGET_PID"
	f2=$(minflt "$TARGET_PID")
	kill -USR1 "$TARGET_PID"
	wait_file "$truth.after"
	check "$truth" "$truth.after" "$mode" "$f1 $f2" ||
		fail "$mode: the fixture's truth does not hold while it waits"
	kill "$TARGET_PID"
	pass "$mode: the fixture is quiescent: the truth holds after a freeze"
done
