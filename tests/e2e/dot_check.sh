#!/bin/sh
# dot_check.sh FILE [LINE]...
#
# Render a Graphviz DOT file (`--dot`) with Debian's graphviz and check
# what came out: `dot -Tsvg` must succeed with nothing on its standard
# error (no syntax error, no warning), and each LINE must be one line of
# some node's label as rendered.  Rendered, not as written: the SVG holds
# the text after graphviz applied its escapes (\" \\ \n \N ...) and its
# entities (&amp; ...), so a label escaped wrongly shows here.  A LINE
# starting with -- is an option:
#   --nodes N   the graph has at least N nodes
#   --edges N   and at least N edges
# Prints one line per check; exits 1 when one fails.
#
# Needs: dot (apt-get install graphviz), python3 or $PYTHON310.
set -eu

die() {
	echo "FAIL: $*"
	exit 1
}

python() {
	if [ -n "${PYTHON310:-}" ]; then
		"$PYTHON310" "$@"
	else
		python3 "$@"
	fi
}

main() {
	[ $# -ge 1 ] || die "usage: dot_check.sh FILE [LINE]..."
	file=$1
	shift
	[ -f "$file" ] || die "no file $file"
	command -v dot >/dev/null 2>&1 || die "no dot: apt-get install graphviz"
	work=$(mktemp -d "${TMPDIR:-/tmp}/phi-dot.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	if ! dot -Tsvg "$file" >"$work/out.svg" 2>"$work/err"; then
		die "dot -Tsvg failed: $(head -n 3 "$work/err")"
	fi
	[ -s "$work/err" ] && die "dot -Tsvg complained: $(head -n 3 "$work/err")"
	echo "ok: dot -Tsvg renders $file ($(wc -c <"$work/out.svg") bytes of SVG)"
	python - "$work/out.svg" "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
svg, args = sys.argv[1], sys.argv[2:]
root = ET.parse(svg).getroot()
nodes, edges = [], 0
for g in root.iter(SVG + "g"):
    cls = g.get("class")
    if cls == "node":
        nodes.append([t.text or "" for t in g.iter(SVG + "text")])
    elif cls == "edge":
        edges += 1
lines = {line for node in nodes for line in node}
failed = 0
want_nodes = want_edges = 0
i = 0
while i < len(args):
    a = args[i]
    if a == "--nodes":
        want_nodes = int(args[i + 1]); i += 2; continue
    if a == "--edges":
        want_edges = int(args[i + 1]); i += 2; continue
    ok = a in lines
    print(("ok: " if ok else "FAIL: ") + "a node label reads %r" % a[:100])
    failed += not ok
    i += 1
ok = len(nodes) >= want_nodes and edges >= want_edges
print(("ok: " if ok else "FAIL: ") + "%d nodes and %d edges (at least %d and %d)"
      % (len(nodes), edges, want_nodes, want_edges))
failed += not ok
sys.exit(1 if failed else 0)
PY
}

main "$@"
