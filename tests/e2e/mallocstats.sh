#!/bin/sh
# --mallocstats equals what sys._debugmallocstats() printed inside the
# target (fixtures/malloc_target.py, its "measured" truth), byte for byte,
# on a heap that allocated and freed a lot (arenas reclaimed, unused and
# partly used pools):
#   dwarf              the interpreter under test (symbols and DWARF)
#   dwarf-tracemalloc  tracemalloc running: CPython prints no pymalloc
#                      section then; the tool prints it anyway, equal to
#                      what CPython prints with the hooks off, and its
#                      free-list lines equal CPython's
#   stripped           libpython `strip --strip-all` (tests/builds): the
#                      arenas found from memory, every line equal but the
#                      three counters that live only in obmalloc's
#                      statics, which print "LABEL: unknown", with a gap
#                      (exit 16)
#   stripped-tracemalloc  both
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

BUILDS=${PHI_BUILDS_DIR:-$(dirname "$(dirname "$PHI_TOOL")")/tests/builds/out}
sh "$PHI_SRCDIR/tests/builds/make-builds.sh" "$BUILDS" >"$WORK/make-builds.out" 2>&1 ||
	fail "make-builds.sh: $(cat "$WORK/make-builds.out")"
# shellcheck disable=SC1091
. "$BUILDS/builds.env"

# compare TRUTH OUT ERR RC MODE STRIPPED
compare() {
	"$PYTHON310" - "$@" <<'PY'
import json, sys
truth_path, out_path, err_path, rc, mode, stripped = sys.argv[1:]
rc, stripped = int(rc), stripped == "yes"
t = json.load(open(truth_path))["measured"]
out = open(out_path).read()
err = open(err_path).read()
bad = []
as_is = t["debugmallocstats"]
want = t["debugmallocstats_untraced"] if mode == "tracemalloc" else as_is
if mode == "tracemalloc":
    # CPython prints only the free lists under tracemalloc: they are the
    # tail of the tool's text.
    if as_is.startswith("Small block"):
        bad.append("the truth has a pymalloc section under tracemalloc")
    if not out.endswith("\n" + as_is):
        bad.append("the free-list lines differ from CPython's")
# printone() lines: a label, '=' in column 36, the value.
lines = {l[:35].strip(): int(l[36:].replace(",", ""))
         for l in want.splitlines() if l[35:36] == "="}
if lines["# arenas reclaimed"] < 1 or not any(
        k.endswith("unused pools * 16384 bytes") and v > 0
        for k, v in lines.items()):
    bad.append("the fixture reclaimed no arena or left no unused pool")
counters = ("# arenas allocated total", "# arenas reclaimed",
            "# arenas highwater mark")
if stripped:
    exp = []
    for l in want.splitlines(True):
        label = l.split("=")[0].rstrip()
        exp.append(label + ": unknown\n" if label in counters else l)
    exp = "".join(exp)
    if rc != 16:
        bad.append("exit %d, not 16 (incomplete)" % rc)
    if "pymalloc arena counters" not in err:
        bad.append("no gap names the unknown counters")
else:
    exp = want
    if rc != 0:
        bad.append("exit %d: %s" % (rc, err.strip()))
if out != exp:
    import difflib
    sys.stderr.writelines(difflib.unified_diff(
        exp.splitlines(True), out.splitlines(True), "expected", "tool", n=0))
    bad.append("the text differs")
for b in bad:
    print("mismatch:", b)
print("%s%s: %d bytes compared" % ("stripped " if stripped else "", mode,
                                   len(exp)))
sys.exit(1 if bad else 0)
PY
}

for case in dwarf dwarf-tracemalloc stripped stripped-tracemalloc; do
	py=$PYTHON310 stripped=no arg= mode=plain
	case $case in
	stripped*) py=$PHI_BUILDS/shared-stripped/bin/python3.10 stripped=yes ;;
	esac
	case $case in
	*tracemalloc) arg=--tracemalloc mode=tracemalloc ;;
	esac
	truth="$WORK/truth-$case.json"
	# shellcheck disable=SC2086  # $arg is empty or one word
	start_target "$py" "$FIXTURES/malloc_target.py" "$truth" $arg
	wait_file "$truth"
	run_tool "$WORK/out-$case" "$WORK/err-$case" -p "$TARGET_PID" \
		--mallocstats
	compare "$truth" "$WORK/out-$case" "$WORK/err-$case" "$RC" "$mode" \
		"$stripped" || fail "$case: --mallocstats is not the target's"
	assert_running "$TARGET_PID"
	kill "$TARGET_PID"
	pass "$case: --mallocstats equals sys._debugmallocstats() inside"
done
