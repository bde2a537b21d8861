#!/bin/sh
# The pictures of real heaps, written by the tool and checked against
# the targets' own figures and the tool's --json report of the same run.
#
# 1. fixtures/html_target.py (a service-like heap with a planted cache,
#    lists under hostile keys, a key and a class name longer than any
#    cap, uncollectable garbage): one run writes --json, --html,
#    --folded and --dot of the list under the second hostile key, and a
#    summary.
#    - the page: exactly the template around a blob that keeps the data
#      contract (escaping, caps, the tree's sums, its paths) and carries
#      the report's figures, its memory section, garbage and growth
#      field for field (html_blob_check.py); in headless Chromium from
#      file://: every section, the heap's totals, the memory totals of
#      the JSON report's memory section (RSS, objects, pymalloc, free
#      lists, malloc), the garbage the target planted (its count and
#      sys.getsizeof total, computed inside), the planted cache's path
#      and retained size (as the target computed it) in the suspects,
#      the retainers and the dominator tree, the hostile lists likewise,
#      their keys shown as text, nothing loaded, no request leaving the
#      page (html_check.sh; a screenshot is kept in tests/artefacts/);
#      growth "Not in this report" (no baseline).
#    - folded stacks: well formed, adding up to the reachable heap, the
#      planted containers' stacks carrying their retained sizes.
#    - DOT: renders with graphviz, the hostile path drawn as the target
#      holds it.
#    Then SIGUSR1: the target adds 4,000 records to its cache; a second
#    run with --baseline (the summary) writes --json and --html: the
#    JSON report's growth.paths[0] is the cache with the growth the
#    target computed, the blob's growth is the report's, and in Chromium
#    the growth section shows that path with its before, after and
#    delta, and the report's deltas.
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

sh "$PHI_SRCDIR/src/report/html/mkpage.sh" "$WORK/template.html" ||
	fail "mkpage.sh failed"

# ---- 1. the html_target heap

start_target "$PYTHON310" "$FIXTURES/html_target.py" "$WORK/truth.json"
wait_file "$WORK/truth.json"
addr=$(py 'import json, sys; print(json.load(open(sys.argv[1]))["evil2"]["address"])' \
	"$WORK/truth.json")
run_tool "$WORK/report.json" "$WORK/report.err" -p "$TARGET_PID" --json \
	--top 50 --html "$WORK/report.html" --folded "$WORK/heap.folded" \
	--dot "$WORK/evil2.dot" --object "$addr" \
	--save-summary "$WORK/summary.json"
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/report.err")"
[ -s "$WORK/report.err" ] && fail "the tool wrote to stderr without a terminal: $(head -c 300 "$WORK/report.err")"
pass "one run wrote the JSON report, the page, the folded stacks, the DOT graph and the summary"

"$PYTHON310" "$E2E/html_blob_check.py" "$WORK/report.html" \
	"$WORK/report.json" "$WORK/template.html" >"$WORK/blob.out" ||
	fail "the blob breaks the contract: $(grep FAIL "$WORK/blob.out")"
pass "the page is the template around a blob that keeps the contract and the report's figures ($(wc -c <"$WORK/report.html") bytes)"

# The expectations: the target's own figures (the cache's retained size,
# the lists under hostile keys, the garbage it planted) and the report's
# totals and memory section, which the page must show unchanged.
"$PYTHON310" - "$WORK/truth.json" "$WORK/report.json" \
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
m = r["memory"]
figures = {"objects": r["objects"], "total_size": r["total_size"],
           "reachable_size": r["retained"]["reachable_size"],
           "duplicates_wasted": r["duplicates"]["wasted"],
           "rss": m["rss"]["vm_rss"],
           "memory.rss.total": m["rss"]["vm_rss"],
           "memory.rss.anonymous": m["rss"]["anon"],
           "memory.rss.file": m["rss"]["file"],
           "memory.objects.getsizeof": m["objects"]["getsizeof"],
           "memory.objects.allocated": m["objects"]["allocated"],
           "memory.pymalloc.free": m["pymalloc"]["bytes_in_available_blocks"],
           "memory.free_lists": m["free_lists_bytes"],
           "memory.unexplained": m["unexplained"],
           "memory.malloc.system": m["malloc"]["mallinfo2"]["arena"],
           "memory.malloc.in_use": m["malloc"]["mallinfo2"]["uordblks"],
           "garbage.objects": t["garbage"]["objects"],
           "garbage.size": t["garbage"]["size"],
           "garbage.cycles": t["garbage"]["cycles"],
           "garbage_size": t["garbage"]["size"]}
for k in ("bytes_in_allocated_blocks", "arenas_current", "unused_pools"):
    figures["memory.pymalloc." + k] = m["pymalloc"][k]
# The memory section's classes, one row each in its table.
texts = [{"section": "retainers", "contains": t["evil"]["key"][:9]},
         {"section": "growth", "contains": "Not in this report"},
         {"section": "garbage", "contains": "Pair.other.other"}]
texts += [{"section": "memory", "contains": c["class"]}
          for c in m["classes"] if c["resident"]]
print(json.dumps({
    "sections": ["memory", "dominators", "types", "retainers", "suspects",
                 "duplicates", "garbage", "growth"],
    "figures": figures, "rows": rows, "texts": texts}, indent=1))
PY
sh "$E2E/html_check.sh" "$WORK/report.html" "$WORK/expect.json" \
	"$ARTEFACTS/html_report.png" >"$WORK/check.out" ||
	fail "the page does not pass its checks: $(grep FAIL "$WORK/check.out")"
pass "the page renders in Chromium with the target's figures and garbage ($(py 'import json, sys; g = json.load(open(sys.argv[1]))["garbage"]; print("%d objects, %d bytes" % (g["objects"], g["size"]))' "$WORK/truth.json")) and the report's memory totals, nothing loaded"

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

# Growth: the target grows its cache, a second run compares with the
# summary of the first.
kill -USR1 "$TARGET_PID"
i=0
until py 'import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["generation"] == 2 else 1)' \
	"$WORK/truth.json" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the target did not grow within 20 s"
	sleep 0.1
done
run_tool "$WORK/grown.json" "$WORK/grown.err" -p "$TARGET_PID" --json \
	--top 50 --html "$WORK/grown.html" --baseline "$WORK/summary.json"
[ "$RC" -eq 0 ] || fail "tool exited $RC with --baseline: $(cat "$WORK/grown.err")"
"$PYTHON310" "$E2E/html_blob_check.py" "$WORK/grown.html" \
	"$WORK/grown.json" "$WORK/template.html" >"$WORK/grown-blob.out" ||
	fail "the page with growth breaks the contract: $(grep FAIL "$WORK/grown-blob.out")"
"$PYTHON310" - "$WORK/truth.json" "$WORK/grown.json" \
	>"$WORK/grown-expect.json" <<'PY' || fail "the JSON report's growth.paths[0] is not the target's growth"
import json, sys
t = json.load(open(sys.argv[1]))["growth"]
g = json.load(open(sys.argv[2]))["growth"]
top = g["paths"][0]
if [top["path"], top["before"], top["after"], top["delta"]] != \
        [t["path"], t["before"], t["after"], t["delta"]]:
    sys.stderr.write("growth.paths[0] %r, the target's %r\n" % (top, t))
    sys.exit(1)
rows = [{"section": "growth", "path": top["path"], "col": c,
         "value": top[c]} for c in ("before", "after", "delta")]
print(json.dumps({
    "sections": ["memory", "dominators", "types", "retainers", "suspects",
                 "duplicates", "garbage", "growth"],
    "figures": {"growth." + k: g[k] for k in (
        "objects_delta", "total_size_delta", "reachable_size_delta")},
    "rows": rows},
    indent=1))
PY
sh "$E2E/html_check.sh" "$WORK/grown.html" "$WORK/grown-expect.json" \
	"$ARTEFACTS/html_growth.png" >"$WORK/grown-check.out" ||
	fail "the page with growth does not pass its checks: $(grep FAIL "$WORK/grown-check.out")"
pass "with --baseline: growth.paths[0] is the cache grown by the target's $(py 'import json, sys; print(json.load(open(sys.argv[1]))["growth"]["delta"])' "$WORK/truth.json") bytes, in the blob and in Chromium's growth section"

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
"$PYTHON310" "$E2E/html_expect.py" "$WORK/demo.json" "$WORK/demo-expect.json" \
	"sys.modules['__main__'].__dict__['cache']" >"$WORK/demo.rows"
sh "$E2E/html_check.sh" "$WORK/demo.html" "$WORK/demo-expect.json" \
	"$ARTEFACTS/html_demo.png" >"$WORK/demo-check.out" ||
	fail "the demo page does not pass its checks: $(grep FAIL "$WORK/demo-check.out")"
pass "the demo heap's page ($(wc -c <"$WORK/demo.html") bytes) renders with the report's totals and largest retainers ($(cat "$WORK/demo.rows"))"
