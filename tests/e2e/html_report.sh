#!/bin/sh
# Pictures of a heap, checked against the target's own figures: a
# service-like heap (fixtures/html_target.py) captured twice, its cache
# grown in between.
# - HTML: the page, loaded in headless Chromium from file://, shows every
#   section, the heap's totals, the planted cache's path and retained
#   size, the cache's growth, the planted garbage (objects, bytes,
#   cycles), and two containers keyed by hostile text
#   (rendered as text; nothing loaded); no request leaves the page; the
#   page is under 2 MB, and so is the worst page the data contract
#   allows.  The checker must also catch broken pages.
# - Folded stacks: well formed, adding up to the reachable heap, the
#   planted containers' stacks carrying their retained sizes; broken
#   files caught.
# - DOT: renders with graphviz, the hostile label shown as it is; a
#   broken file caught.
#
# Until --html, --folded and --dot exist, tests/e2e/html_sample.py makes
# the three files from the tool's --json and --dump of each capture (the
# page with the template that src/report/html/mkpage.sh assembles): the
# C side replaces make_outputs by calls of the tool.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310
E2E="$PHI_SRCDIR/tests/e2e"
ARTEFACTS=${PHI_ARTEFACTS:-$PWD/tests/artefacts}
command -v chromium >/dev/null 2>&1 || fail "no chromium: apt-get install chromium"
command -v dot >/dev/null 2>&1 || fail "no dot: apt-get install graphviz"

# wait_generation FILE N: the fixture has rewritten its truth for step N.
wait_generation() {
	i=0
	while ! grep -q "\"generation\": $2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 400 ] && fail "target did not reach generation $2 within 20 s"
		sleep 0.05
	done
}

# capture NAME: the tool's JSON report and dump of the target, and the
# kernel's view of its memory right after (for the sample's memory part).
capture() {
	run_tool "$WORK/$1.json" "$WORK/$1.err" -p "$TARGET_PID" --json --top 50
	[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/$1.err")"
	run_tool "$WORK/$1.txt" "$WORK/$1.err" -p "$TARGET_PID" --dump "$WORK/$1.jsonl"
	[ "$RC" -eq 0 ] || fail "tool --dump exited $RC: $(cat "$WORK/$1.err")"
	cat "/proc/$TARGET_PID/status" >"$WORK/$1.status"
	cat "/proc/$TARGET_PID/smaps" >"$WORK/$1.smaps"
}

# py SCRIPT ARGS...: a short Python step (the suite's CPython 3.10).
py() {
	"$PYTHON310" -c "$@"
}

make_outputs() {
	sh "$PHI_SRCDIR/src/report/html/mkpage.sh" "$WORK/template.html" ||
		fail "mkpage.sh failed"
	# The DOT graph is of the list under the second hostile key.
	addr=$(py 'import json, sys
t = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
print([x["address"] for x in r["retained"]["top"] if x["path"] == t["evil2"]["path"]][0])' \
		"$WORK/truth.json" "$WORK/after.json") ||
		fail "the tool lists no retainer at the truth's path of the second hostile key"
	"$PYTHON310" "$E2E/html_sample.py" --template "$WORK/template.html" \
		--report "$WORK/after.json" --dump "$WORK/after.jsonl" \
		--baseline-report "$WORK/before.json" \
		--baseline-dump "$WORK/before.jsonl" \
		--status "$WORK/after.status" --smaps "$WORK/after.smaps" \
		--out "$WORK/report.html" --folded-out "$WORK/heap.folded" \
		--dot-out "$WORK/evil2.dot" --dot-object "$addr" ||
		fail "html_sample.py failed"
}

# The expectations: figures the target computed about itself (the
# cache's retained size and its growth, the lists under hostile keys,
# the planted garbage) and the report's own totals, which the page must
# show unchanged.
write_expect() {
	"$PYTHON310" - "$WORK/truth.json" "$WORK/after.json" >"$WORK/expect.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
p, g = t["planted"], t["growth"]
rows = [{"section": "suspects", "path": p["path"], "col": "retained",
         "value": p["retained"]},
        {"section": "growth", "path": g["path"], "col": "delta",
         "value": g["delta"]}]
for x in (p, t["evil"], t["evil2"]):
    for sec in ("retainers", "dominators"):
        rows.append({"section": sec, "path": x["path"], "col": "retained",
                     "value": x["retained"]})
print(json.dumps({
    "sections": ["memory", "dominators", "types", "retainers", "suspects",
                 "duplicates", "garbage", "growth"],
    "figures": {"objects": r["objects"], "total_size": r["total_size"],
                "reachable_size": r["retained"]["reachable_size"],
                "garbage.objects": t["garbage"]["objects"],
                "garbage.size": t["garbage"]["size"],
                "garbage.cycles": t["garbage"]["cycles"]},
    "rows": rows,
    "texts": [{"section": "retainers", "contains": t["evil"]["key"][:9]}],
}, indent=1))
PY
}

check_html() {
	sh "$E2E/html_check.sh" "$WORK/report.html" "$WORK/expect.json" \
		"$ARTEFACTS/html_report.png" || fail "the page does not pass its checks"
	size=$(wc -c <"$WORK/report.html")
	[ "$size" -lt 2000000 ] || fail "page of $size bytes (bound: 2 MB)"
	pass "HTML report ($size bytes) renders in Chromium with the target's figures"
	"$PYTHON310" "$E2E/html_bound.py" "$WORK/template.html" "$WORK/worst.html" ||
		fail "the worst page the contract allows is over 2 MB"
	echo '{"sections": ["memory", "dominators", "types", "retainers", "suspects", "duplicates", "garbage", "growth"]}' >"$WORK/worst.json"
	PHI_SCREENSHOT=0 sh "$E2E/html_check.sh" "$WORK/worst.html" "$WORK/worst.json" >"$WORK/worst.out" ||
		fail "the worst page does not render: $(grep FAIL "$WORK/worst.out")"
	pass "the worst page the contract allows is under 2 MB and renders"
	sh "$E2E/html_check_selftest.sh" "$WORK/report.html" "$WORK/expect.json" ||
		fail "html_check.sh let a broken page pass"
	pass "html_check.sh catches broken pages"
}

# folded_args: the total and each planted container's path and retained
# size, one a line.
folded_args() {
	py 'import json, sys
t = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
print(r["retained"]["reachable_size"])
for x in (t["planted"], t["evil"], t["evil2"]):
    print(x["path"].replace("\n", "\\x0a")); print(x["retained"])' \
		"$WORK/truth.json" "$WORK/after.json"
}

# folded FILE: folded_check.py with the truth's figures.  A path that
# holds a newline is passed with it escaped (\x0a) as an argument cannot
# come from a line-based list otherwise; folded_check.py unescapes both.
folded() {
	set -- "$1"
	while IFS= read -r a; do set -- "$@" "$a"; done <"$WORK/folded.args"
	f=$1
	shift
	"$PYTHON310" - "$E2E/folded_check.py" "$f" "$@" <<'PY'
import subprocess, sys
check, f, args = sys.argv[1], sys.argv[2], sys.argv[3:]
args = [a.replace("\\x0a", "\n") for a in args]
sys.exit(subprocess.call([sys.executable, check, f] + args))
PY
}

check_folded() {
	folded_args >"$WORK/folded.args"
	folded "$WORK/heap.folded" >"$WORK/folded.out" ||
		fail "folded stacks: $(grep FAIL "$WORK/folded.out")"
	pass "folded stacks add up to the reachable heap; the planted stacks carry their retained sizes"
	# Broken files: a ';' written raw, a line break written raw, a line lost.
	sed 's/\\x3b/;/g' "$WORK/heap.folded" >"$WORK/semi.folded"
	py 'import sys
sys.stdout.write(open(sys.argv[1]).read().replace("\\x0a", "\n"))' \
		"$WORK/heap.folded" >"$WORK/newline.folded"
	sed '$d' "$WORK/heap.folded" >"$WORK/short.folded"
	for b in semi newline short; do
		if folded "$WORK/$b.folded" >"$WORK/$b.out"; then
			fail "folded_check.py passed a broken file ($b)"
		fi
	done
	grep -q "FAIL: the stack of sys.modules\['__main__'\].__dict__\['EVIL'\]\['</script>" "$WORK/semi.out" ||
		fail "folded_check.py missed the raw ';'"
	grep -q "FAIL: every line" "$WORK/newline.out" ||
		fail "folded_check.py missed the raw line break"
	grep -q "FAIL: the lines add up" "$WORK/short.out" ||
		fail "folded_check.py missed the lost line"
	pass "folded_check.py catches a raw ';', a raw line break and a lost line"
}

check_dot() {
	# Graphviz draws the label as the contract writes it: control
	# characters as \xNN text, everything else as it is.
	want=$(py 'import json, sys
print(json.load(open(sys.argv[1]))["evil2"]["path"].replace("\n", "\\x0a"))' "$WORK/truth.json")
	sh "$E2E/dot_check.sh" "$WORK/evil2.dot" "$want" roots --nodes 5 --edges 5 \
		>"$WORK/dot.out" || fail "DOT: $(grep FAIL "$WORK/dot.out")"
	pass "the DOT graph renders, the hostile label shown as the target holds it"
	# Broken: the quotes of the label written raw.
	sed 's/\\"/"/g' "$WORK/evil2.dot" >"$WORK/raw.dot"
	if sh "$E2E/dot_check.sh" "$WORK/raw.dot" "$want" >"$WORK/raw.out"; then
		fail "dot_check.sh passed a DOT file with raw quotes"
	fi
	pass "dot_check.sh catches a label written unescaped"
}

start_target "$PYTHON310" "$FIXTURES/html_target.py" "$WORK/truth.json"
wait_file "$WORK/truth.json"
capture before
kill -USR1 "$TARGET_PID"
wait_generation "$WORK/truth.json" 2
capture after
make_outputs
write_expect
check_html
check_folded
check_dot
