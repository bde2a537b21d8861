#!/bin/sh
# html_check_selftest.sh PAGE EXPECT.json
#
# The browser check must fail on broken pages, each for its own reason.
# From a page that passes html_check.sh, make one broken copy per way a
# report can go wrong and assert that html_check.sh fails on it with
# the expected check named:
#   img-csp     an <img> to the network planted, CSP kept (the browser
#               blocks it: the DOM and the console tell)
#   img-nocsp   the same with the CSP removed (the request goes out: the
#               net log tells)
#   fetch-nocsp a script calling fetch(), CSP removed (net log)
#   unescaped   the data blob written without the page's escaping (the
#               target's text closes the data element and plants markup)
#   no-section  a view that does not draw the garbage section
#   figure      a total in the data off by one byte
# Prints one line per case; exits 1 when a broken page passes or fails
# for another reason.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)

python() {
	if [ -n "${PYTHON310:-}" ]; then
		"$PYTHON310" "$@"
	else
		python3 "$@"
	fi
}

# variant KIND PAGE OUT: write the broken copy.
variant() {
	python - "$@" <<'PY'
import json, re, sys
kind, src, out = sys.argv[1:4]
page = open(src, encoding="utf-8").read()
csp = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?')
start = page.index('id="phi-data">') + len('id="phi-data">')
end = page.index("</script>", start)
blob = page[start:end]
if kind == "img-csp":
    page = page.replace("<body>\n", '<body>\n<img src="http://198.51.100.30/x.png" alt="">\n', 1)
elif kind == "img-nocsp":
    page = csp.sub("", page, 1)
    page = page.replace("<body>\n", '<body>\n<img src="http://198.51.100.31/x.png" alt="">\n', 1)
elif kind == "fetch-nocsp":
    page = csp.sub("", page, 1)
    page = page.replace("</body>", '<script>fetch("http://198.51.100.32/y").catch(function () {});</script>\n</body>', 1)
elif kind == "unescaped":
    raw = blob.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    page = page[:start] + raw + page[end:]
elif kind == "figure":
    d = json.loads(blob)
    d["heap"]["reachable_size"] += 1
    esc = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
    esc = esc.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = page[:start] + esc + page[end:]
else:
    sys.exit("unknown variant " + kind)
open(out, "w", encoding="utf-8").write(page)
PY
}

# no_section PAGE OUT: the same data in a page whose view skips the
# garbage section, assembled by mkpage.sh (so its CSP hash is right and
# only the missing section is wrong).
no_section() {
	mkdir -p "$work/view"
	cp "$SRC/src/report/html/"* "$work/view/"
	sed 's/^\(\t*\)garbageSection, growthSection\];/\1growthSection];/' \
		"$SRC/src/report/html/view.js" >"$work/view/view.js"
	cmp -s "$SRC/src/report/html/view.js" "$work/view/view.js" &&
		{ echo "FAIL: could not remove the garbage section from view.js"; exit 1; }
	sh "$work/view/mkpage.sh" "$work/view/template.html"
	python - "$1" "$work/view/template.html" "$2" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
start = page.index('id="phi-data">') + len('id="phi-data">')
blob = page[start:page.index("</script>", start)]
t = open(sys.argv[2], encoding="utf-8").read()
open(sys.argv[3], "w", encoding="utf-8").write(t.replace("@PHI_DATA@", blob))
PY
}

# expect_fail KIND WANT...: html_check.sh fails on the variant, and each
# WANT is among its FAIL lines.
expect_fail() {
	kind=$1
	shift
	set +e
	PHI_SCREENSHOT=0 sh "$HERE/html_check.sh" "$work/$kind.html" "$expect" \
		>"$work/$kind.out" 2>&1
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		echo "FAIL: $kind: the broken page passed"
		bad=1
		return
	fi
	for want in "$@"; do
		if ! grep -q "^FAIL: $want" "$work/$kind.out"; then
			echo "FAIL: $kind: no failed check '$want'; got:"
			grep '^FAIL' "$work/$kind.out" | sed 's/^/    /'
			bad=1
			return
		fi
	done
	echo "ok: $kind caught: $(grep '^FAIL' "$work/$kind.out" | head -n 3 |
		cut -c7-70 | paste -sd'|' -)"
}

main() {
	[ $# -eq 2 ] || { echo "usage: html_check_selftest.sh PAGE EXPECT.json" >&2; exit 2; }
	page=$1
	expect=$2
	work=$(mktemp -d "${TMPDIR:-/tmp}/phi-html-self.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	bad=0
	for k in img-csp img-nocsp fetch-nocsp unescaped figure; do
		variant "$k" "$page" "$work/$k.html"
	done
	no_section "$page" "$work/no-section.html"
	expect_fail img-csp "no element that loads" "no CSP violation"
	expect_fail img-nocsp "no request left the page" "one Content-Security-Policy meta"
	expect_fail fetch-nocsp "no request left the page" "exactly the page's two scripts"
	expect_fail unescaped "the view ran to its end" "no element that loads"
	expect_fail no-section "section #garbage"
	expect_fail figure "figure reachable_size"
	return "$bad"
}

main "$@"
