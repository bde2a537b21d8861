#!/bin/sh
# Progress on a terminal, and only there.  The tool runs under script(1)
# (util-linux), which gives it a terminal, on the demo heap:
# - on the terminal (PYHEAPINSPECT_TEST_PROGRESS=1 drops the one-second
#   delay, as a small heap is done sooner): a line per stage (copy,
#   decode, analyses, dump, HTML report), each drawn over the last (a
#   carriage return first, an erase-to-the-end-of-line last), how far
#   each is against the heap's own figures (the copy ends at 100%, the
#   dump counts the objects the JSON report found), the line erased at
#   the end, and nothing on the terminal while the target is frozen;
# - without the test variable, a run held frozen past the delay
#   (PYHEAPINSPECT_TEST_HOLD_MS) shows the stages after it and not the
#   copy before it;
# - without a terminal (a pipe, a file: scripts, cron), stderr stays
#   empty, the test variable set or not.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310
command -v script >/dev/null 2>&1 || fail "no script: sh scripts/setup.sh --test (util-linux)"

start_target "$PYTHON310" "$FIXTURES/demo_service.py" "$WORK/ready"
wait_file "$WORK/ready"
PID=$(cat "$WORK/ready")

# on_tty OUT CMD: CMD on a terminal; what it wrote there into OUT.
on_tty() {
	out=$1
	shift
	set +e
	script -eqc "$*" /dev/null </dev/null >"$out"
	RC=$?
	set -e
}

export PYHEAPINSPECT_TEST_PROGRESS=1
on_tty "$WORK/tty.out" "'$PHI_TOOL' -p $PID --json --dump '$WORK/d.jsonl' --html '$WORK/r.html' >'$WORK/r.json'"
[ "$RC" -eq 0 ] || fail "tool exited $RC on a terminal: $(tr '\r' '\n' <"$WORK/tty.out" | tail -n 3)"
"$PYTHON310" - "$WORK/tty.out" "$WORK/r.json" <<'PY' || fail "the progress lines are wrong"
import json, re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
objects = json.load(open(sys.argv[2]))["objects"]
failed = []

def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failed.append(what)

# Each draw: \r, the text, ESC [ K; an erase: \r ESC [ K.
draws = re.findall(r"\r([^\r\x1b]*)\x1b\[K", raw)
lines = [d for d in draws if d]
check(raw.replace("\r\n", "") and re.fullmatch(r"(\r[^\r\x1b]*\x1b\[K)+",
                                               raw) is not None,
      "every write is a carriage return, a line, an erase (%d writes)" %
      len(draws))
check(all(len(l) <= 79 and l.startswith("pyheapinspect: ") for l in lines),
      "every line is under 80 columns and says who writes it")
for stage in ("copying memory", "decoding objects", "analysing: referrers",
              "analysing: dominators", "analysing: paths to roots",
              "analysing: duplicates", "writing the dump",
              "writing the HTML report"):
    check(any(stage in l for l in lines), "stage shown: " + stage)
copy = [l for l in lines if "copying memory" in l and "%" in l]
check(bool(copy) and copy[-1].endswith("(100%)"),
      "the copy ends at 100%%: %r" % (copy[-1] if copy else None))
dump = [l for l in lines if "writing the dump:" in l]
check(bool(dump) and all(l.split(" of ")[1].startswith("%d objects" % objects)
                         for l in dump),
      "the dump counts of the %d objects the report found: %r" %
      (objects, dump[:1]))
check(raw.endswith("\r\x1b[K"), "the line is erased at the end")
# The erase before the freeze: the warm copy's line is followed by an
# erase, then by the decoding (nothing drawn while frozen).
i = raw.rfind("copying memory")
j = raw.find("decoding objects")
check(0 <= i < j and "\r\x1b[K" in raw[i:j] and
      not re.search(r"\r[^\r\x1b]+\x1b\[K", raw[raw.find("\r\x1b[K", i):j]),
      "erased after the warm copy; nothing drawn until the decoding")
sys.exit(1 if failed else 0)
PY
pass "on a terminal: every stage drawn in place, with how far it is, and erased"

unset PYHEAPINSPECT_TEST_PROGRESS
on_tty "$WORK/held.out" "PYHEAPINSPECT_TEST_HOLD_MS=1200 '$PHI_TOOL' -p $PID --html '$WORK/r2.html' >/dev/null"
[ "$RC" -eq 0 ] || fail "tool exited $RC on a terminal (held)"
grep -q "decoding objects" "$WORK/held.out" ||
	fail "a run past one second shows no progress: $(cat -v "$WORK/held.out" | head -c 300)"
grep -q "writing the HTML report" "$WORK/held.out" ||
	fail "a run past one second does not show the HTML report being written"
if grep -q "copying memory" "$WORK/held.out"; then
	fail "the copy, within the first second, was shown"
fi
pass "without the test variable: shown once the run has lasted a second"

for v in "" 1; do
	set +e
	PYHEAPINSPECT_TEST_PROGRESS=$v "$PHI_TOOL" -p "$PID" --json \
		--dump "$WORK/d2.jsonl" --html "$WORK/r3.html" \
		>"$WORK/r3.json" 2>"$WORK/r3.err"
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || fail "tool exited $rc without a terminal"
	[ -s "$WORK/r3.err" ] &&
		fail "without a terminal, stderr got: $(cat -v "$WORK/r3.err" | head -c 200)"
	# stderr into a pipe, the report thrown away.
	{ PYHEAPINSPECT_TEST_PROGRESS=$v "$PHI_TOOL" -p "$PID" \
		--html "$WORK/r4.html" 2>&1 >/dev/null; } | cat >"$WORK/pipe.out"
	[ -s "$WORK/pipe.out" ] &&
		fail "into a pipe, stderr got: $(cat -v "$WORK/pipe.out" | head -c 200)"
	[ -s "$WORK/r4.html" ] || fail "no page written with stderr into a pipe"
done
pass "without a terminal (a file, a pipe): no progress, the test variable set or not"
