#!/bin/sh
# The checkers of html_report.sh must catch broken outputs, each for its
# own reason; and the worst page the data contract allows stays under
# 2 MB and renders.  The broken outputs are made from the tool's own
# outputs on fixtures/html_target.py:
# - html_check.sh (Chromium): html_check_selftest.sh's six broken pages
#   (an image or a fetch planted with and without the CSP, the blob
#   written unescaped, a section missing, a figure off by one);
# - html_blob_check.py: a tree whose sums are off, a raw '<' in the
#   blob, a string over its cap, a page that is not the template;
# - folded_check.py: a raw ';', a raw line break, a lost line;
# - dot_check.sh: a label written with raw quotes.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310
E2E="$PHI_SRCDIR/tests/e2e"
command -v chromium >/dev/null 2>&1 || fail "no chromium: sh scripts/setup.sh --test"
command -v dot >/dev/null 2>&1 || fail "no dot: sh scripts/setup.sh --test"

py() {
	"$PYTHON310" -c "$@"
}

sh "$PHI_SRCDIR/src/report/html/mkpage.sh" "$WORK/template.html" ||
	fail "mkpage.sh failed"
start_target "$PYTHON310" "$FIXTURES/html_target.py" "$WORK/truth.json"
wait_file "$WORK/truth.json"
addr=$(py 'import json, sys; print(json.load(open(sys.argv[1]))["evil2"]["address"])' \
	"$WORK/truth.json")
run_tool "$WORK/report.json" "$WORK/report.err" -p "$TARGET_PID" --json \
	--top 50 --html "$WORK/report.html" --folded "$WORK/heap.folded" \
	--dot "$WORK/evil2.dot" --object "$addr"
[ "$RC" -eq 0 ] || fail "tool exited $RC: $(cat "$WORK/report.err")"

# ---- the page in Chromium, and the worst page
py 'import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"sections": ["memory", "dominators", "types", "retainers",
                               "suspects", "duplicates", "garbage", "growth"],
                  "figures": {"reachable_size": r["retained"]["reachable_size"]}}))' \
	"$WORK/report.json" >"$WORK/expect.json"
sh "$E2E/html_check_selftest.sh" "$WORK/report.html" "$WORK/expect.json" \
	>"$WORK/self.out" || fail "html_check.sh let a broken page pass: $(grep FAIL "$WORK/self.out")"
pass "html_check.sh catches $(grep -c '^ok' "$WORK/self.out") kinds of broken pages"
"$PYTHON310" "$E2E/html_bound.py" "$WORK/template.html" "$WORK/worst.html" \
	>"$WORK/worst.txt" || fail "the worst page the contract allows is over 2 MB"
echo '{"sections": ["memory", "dominators", "types", "retainers", "suspects", "duplicates", "garbage", "growth"]}' >"$WORK/worst.json"
PHI_SCREENSHOT=0 sh "$E2E/html_check.sh" "$WORK/worst.html" "$WORK/worst.json" \
	>"$WORK/worst.out" || fail "the worst page does not render: $(grep FAIL "$WORK/worst.out")"
pass "the worst page the contract allows renders ($(cat "$WORK/worst.txt"))"

# ---- the blob checker
blob_variant() {
	"$PYTHON310" - "$1" "$WORK/report.html" "$WORK/bad-$1.html" <<'PY'
import json, sys
kind, src, out = sys.argv[1:4]
page = open(src, encoding="utf-8").read()
a = page.index('id="phi-data">') + len('id="phi-data">')
b = page.index("</script>", a)
d = json.loads(page[a:b])
if kind == "sums":
    d["tree"]["nodes"][1]["retained"] += 1
elif kind == "cap":
    d["retainers"][0]["path"] = "x" * 401
elif kind == "template":
    page = page.replace("<title>", "<title>!", 1)
if kind == "raw":
    blob = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
else:
    blob = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
    for c, e in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        blob = blob.replace(c, e)
    if kind == "template":
        a += 1
        b += 1
open(out, "w", encoding="utf-8").write(page[:a] + blob + page[b:])
PY
}
for k in sums cap template raw; do
	blob_variant "$k"
	if "$PYTHON310" "$E2E/html_blob_check.py" "$WORK/bad-$k.html" \
		"$WORK/report.json" "$WORK/template.html" >"$WORK/$k.out"; then
		fail "html_blob_check.py passed a broken page ($k)"
	fi
done
grep -q "^FAIL: retained = size" "$WORK/sums.out" || fail "html_blob_check.py missed the sums"
grep -q "^FAIL: every string within its cap" "$WORK/cap.out" || fail "html_blob_check.py missed the cap"
grep -q "^FAIL: the page is the template" "$WORK/template.out" || fail "html_blob_check.py missed the template"
grep -q "^FAIL: no raw" "$WORK/raw.out" || fail "html_blob_check.py missed the raw '<'"
pass "html_blob_check.py catches wrong sums, a string over its cap, a changed template, a raw '<'"

# ---- the folded checker
py 'import json, sys
t = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
print(r["retained"]["reachable_size"])
for x in (t["planted"], t["evil"], t["evil2"]):
    print(x["path"].replace("\n", "\\x0a")); print(x["retained"])' \
	"$WORK/truth.json" "$WORK/report.json" >"$WORK/folded.args"
folded() {
	"$PYTHON310" - "$E2E/folded_check.py" "$1" "$WORK/folded.args" <<'PY'
import subprocess, sys
check, f, args = sys.argv[1:4]
args = [a.replace("\\x0a", "\n") for a in open(args).read().split("\n")[:-1]]
sys.exit(subprocess.call([sys.executable, check, f] + args))
PY
}
folded "$WORK/heap.folded" >"$WORK/folded.out" ||
	fail "the tool's folded stacks do not pass: $(grep FAIL "$WORK/folded.out")"
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

# ---- the DOT checker
want=$(py 'import json, sys
print(json.load(open(sys.argv[1]))["evil2"]["path"].replace("\n", "\\x0a"))' "$WORK/truth.json")
sh "$E2E/dot_check.sh" "$WORK/evil2.dot" "$want" >"$WORK/dot.out" ||
	fail "the tool's DOT graph does not pass: $(grep FAIL "$WORK/dot.out")"
sed 's/\\"/"/g' "$WORK/evil2.dot" >"$WORK/raw.dot"
if sh "$E2E/dot_check.sh" "$WORK/raw.dot" "$want" >"$WORK/raw.out"; then
	fail "dot_check.sh passed a DOT file with raw quotes"
fi
pass "dot_check.sh catches a label written unescaped"
