#!/bin/sh
# The pictures of real heaps, written by the tool and checked against
# the targets' own figures and the tool's --json report of the same run.
#
# 1. fixtures/html_target.py (a service-like heap with a planted cache,
#    lists under hostile keys, a key and a class name longer than any
#    cap, uncollectable garbage): one run writes --json, --html,
#    --folded and --dot of the list under the second hostile key.
#    - the page: exactly the template around a blob that keeps the data
#      contract (escaping, caps, the tree's sums, its paths) and carries
#      the report's figures (html_blob_check.py); in headless Chromium
#      from file://: every section, the heap's totals, the planted
#      cache's path and retained size (as the target computed it) in the
#      suspects, the retainers and the dominator tree, the hostile lists
#      likewise, their keys shown as text, nothing loaded, no request
#      leaving the page (html_check.sh; a screenshot is kept in
#      tests/artefacts/).  Parts the tool does not compute yet (memory,
#      garbage, growth) must say "Not in this report"; once the blob has
#      them, the garbage figures are the target's.
#    - folded stacks: well formed, adding up to the reachable heap, the
#      planted containers' stacks carrying their retained sizes.
#    - DOT: renders with graphviz, the hostile path drawn as the target
#      holds it.
# 2. fixtures/demo_service.py, the demo heap: the page keeps the contract
#    and shows the report's totals and its 50 largest retainers, in the
#    table and in the tree.
# The checkers themselves are tested by html_checkers.sh.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310
E2E="$PHI_SRCDIR/tests/e2e"
ARTEFACTS=${PHI_ARTEFACTS:-$PWD/tests/artefacts}
command -v chromium >/dev/null 2>&1 || fail "no chromium: sh scripts/setup.sh --test"
command -v dot >/dev/null 2>&1 || fail "no dot: sh scripts/setup.sh --test"

py() {
	"$PYTHON310" -c "$@"
}

# blob_has PAGE KEY: the page's blob has a non-null KEY.
blob_has() {
	py 'import json, sys
p = open(sys.argv[1], encoding="utf-8").read()
a = p.index("id=\"phi-data\">") + len("id=\"phi-data\">")
sys.exit(0 if json.loads(p[a:p.index("</script>", a)]).get(sys.argv[2]) else 1)' "$1" "$2"
}

sh "$PHI_SRCDIR/src/report/html/mkpage.sh" "$WORK/template.html" ||
	fail "mkpage.sh failed"

# ---- 1. the html_target heap

start_target "$PYTHON310" "$FIXTURES/html_target.py" "$WORK/truth.json"
wait_file "$WORK/truth.json"
addr=$(py 'import json, sys; print(json.load(open(sys.argv[1]))["evil2"]["address"])' \
	"$WORK/truth.json")
run_tool "$WORK/report.json" "$WORK/report.err" -p "$TARGET_PID" --json \
	--top 50 --html "$WORK/report.html" --folded "$WORK/heap.folded" \
	--dot "$WORK/evil2.dot" --object "$addr"
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/report.err")"
[ -s "$WORK/report.err" ] && fail "the tool wrote to stderr without a terminal: $(head -c 300 "$WORK/report.err")"
pass "one run wrote the JSON report, the page, the folded stacks and the DOT graph"

"$PYTHON310" "$E2E/html_blob_check.py" "$WORK/report.html" \
	"$WORK/report.json" "$WORK/template.html" >"$WORK/blob.out" ||
	fail "the blob breaks the contract: $(grep FAIL "$WORK/blob.out")"
pass "the page is the template around a blob that keeps the contract and the report's figures ($(wc -c <"$WORK/report.html") bytes)"

# The expectations: the target's own figures (the cache's retained size,
# the lists under hostile keys, the garbage once reported) and the
# report's totals, which the page must show unchanged.
garbage=no
blob_has "$WORK/report.html" garbage && garbage=yes
"$PYTHON310" - "$WORK/truth.json" "$WORK/report.json" "$garbage" \
	>"$WORK/expect.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
p = t["planted"]
rows = [{"section": "suspects", "path": p["path"], "col": "retained",
         "value": p["retained"]}]
for x in (p, t["evil"], t["evil2"]):
    for sec in ("retainers", "dominators"):
        rows.append({"section": sec, "path": x["path"], "col": "retained",
                     "value": x["retained"]})
figures = {"objects": r["objects"], "total_size": r["total_size"],
           "reachable_size": r["retained"]["reachable_size"],
           "duplicates_wasted": r["duplicates"]["wasted"]}
texts = [{"section": "retainers", "contains": t["evil"]["key"][:9]},
         {"section": "memory", "contains": "Not in this report"},
         {"section": "growth", "contains": "Not in this report"}]
if sys.argv[3] == "yes":
    figures.update({"garbage.objects": t["garbage"]["objects"],
                    "garbage.size": t["garbage"]["size"],
                    "garbage.cycles": t["garbage"]["cycles"]})
else:
    texts.append({"section": "garbage", "contains": "Not in this report"})
print(json.dumps({
    "sections": ["memory", "dominators", "types", "retainers", "suspects",
                 "duplicates", "garbage", "growth"],
    "figures": figures, "rows": rows, "texts": texts}, indent=1))
PY
sh "$E2E/html_check.sh" "$WORK/report.html" "$WORK/expect.json" \
	"$ARTEFACTS/html_report.png" >"$WORK/check.out" ||
	fail "the page does not pass its checks: $(grep FAIL "$WORK/check.out")"
pass "the page renders in Chromium with the target's figures, nothing loaded (garbage reported: $garbage)"

# Folded stacks: the total and each planted container's path and
# retained size.  A path that holds a newline is passed with it escaped
# (\x0a), as a line-based list cannot hold it; unescaped for the check.
py 'import json, sys
t = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
print(r["retained"]["reachable_size"])
for x in (t["planted"], t["evil"], t["evil2"]):
    print(x["path"].replace("\n", "\\x0a")); print(x["retained"])' \
	"$WORK/truth.json" "$WORK/report.json" >"$WORK/folded.args"
"$PYTHON310" - "$E2E/folded_check.py" "$WORK/heap.folded" "$WORK/folded.args" \
	>"$WORK/folded.out" <<'PY' || fail "folded stacks: $(grep FAIL "$WORK/folded.out")"
import subprocess, sys
check, f, args = sys.argv[1:4]
args = [a.replace("\\x0a", "\n") for a in open(args).read().split("\n")[:-1]]
sys.exit(subprocess.call([sys.executable, check, f] + args))
PY
pass "folded stacks ($(wc -l <"$WORK/heap.folded") lines) add up to the reachable heap; the planted stacks carry the target's retained sizes"

want=$(py 'import json, sys
print(json.load(open(sys.argv[1]))["evil2"]["path"].replace("\n", "\\x0a"))' "$WORK/truth.json")
sh "$E2E/dot_check.sh" "$WORK/evil2.dot" "$want" roots --nodes 6 --edges 6 \
	>"$WORK/dot.out" || fail "DOT: $(grep FAIL "$WORK/dot.out")"
pass "the DOT graph renders, the hostile path drawn as the target holds it"

# ---- 2. the demo heap

start_target "$PYTHON310" "$FIXTURES/demo_service.py" "$WORK/demo.ready"
wait_file "$WORK/demo.ready"
run_tool "$WORK/demo.json" "$WORK/demo.err" -p "$(cat "$WORK/demo.ready")" \
	--json --top 50 --html "$WORK/demo.html"
[ "$RC" -eq 0 ] || fail "tool exited $RC on the demo heap: $(cat "$WORK/demo.err")"
"$PYTHON310" "$E2E/html_blob_check.py" "$WORK/demo.html" "$WORK/demo.json" \
	"$WORK/template.html" >"$WORK/demo-blob.out" ||
	fail "the demo page breaks the contract: $(grep FAIL "$WORK/demo-blob.out")"
# Its totals, and each of its largest retainers in the table and, when
# it retains at least the tree's threshold, in the tree.
"$PYTHON310" - "$WORK/demo.json" "$WORK/demo-expect.json" \
	>"$WORK/demo.rows" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ret = r["retained"]
floor = -(-ret["reachable_size"] // 1000)
rows = []
for x in ret["top"]:
    rows.append({"section": "retainers", "path": x["path"], "col": "retained",
                 "value": x["retained_size"]})
    if x["retained_size"] >= floor and len(x["path"]) < 100:
        rows.append({"section": "dominators", "path": x["path"],
                     "col": "retained", "value": x["retained_size"]})
json.dump({
    "sections": ["memory", "dominators", "types", "retainers", "suspects",
                 "duplicates", "garbage", "growth"],
    "figures": {"objects": r["objects"], "total_size": r["total_size"],
                "reachable_size": ret["reachable_size"],
                "duplicates_wasted": r["duplicates"]["wasted"]},
    "rows": rows,
    "texts": [{"section": "retainers",
               "contains": "sys.modules['__main__'].__dict__['cache']"}]},
    open(sys.argv[2], "w"), indent=1)
print("%d retainers, %d of them in the tree" % (len(ret["top"]),
      sum(1 for x in rows if x["section"] == "dominators")))
PY
sh "$E2E/html_check.sh" "$WORK/demo.html" "$WORK/demo-expect.json" \
	"$ARTEFACTS/html_demo.png" >"$WORK/demo-check.out" ||
	fail "the demo page does not pass its checks: $(grep FAIL "$WORK/demo-check.out")"
pass "the demo heap's page ($(wc -c <"$WORK/demo.html") bytes) renders with the report's totals and largest retainers ($(cat "$WORK/demo.rows"))"
