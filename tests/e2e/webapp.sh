#!/bin/sh
# Issue 13's acceptance check, on a heap built from real third-party code:
# fixtures/webapp_heap.py (Django, Flask, Jinja2, Werkzeug, SQLAlchemy,
# asyncio, ElementTree, sqlite3, lru_cache, threads ...) writes the truth
# about every object of its process, the tool dumps the same process, and
# tests/e2e/check_webapp.py compares them: every object found with its
# type, sys.getsizeof and every gc.get_referents referent, and the 10 MB
# Future result, the lru_cache dict, the array and the BytesIO found,
# sized and held by their owners.  It fails until issue 13 is done, so it
# is not yet in E2E_TESTS; run it by hand:
#   PHI_TOOL=src/pyheapinspect PHI_SRCDIR=. \
#     PYTHON310=$(sh tests/find-python310.sh) sh tests/e2e/webapp.sh
# PHI_WEBAPP_REPORT=1 reports without failing on the comparison.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# The Debian packages, made importable by the 3.10 (fails naming the
# missing apt package).
path=$(sh "$PHI_SRCDIR/tests/webapp-path.sh" "$WORK/webapp-path") ||
	fail "tests/webapp-path.sh could not make the package folder"

start_target env PYTHONPATH="$path" "$PYTHON310" \
	"$FIXTURES/webapp_heap.py" "$WORK/truth.json"
# The fixture measures its 370,000 objects four times or so: about 25 s
# on an idle machine, over 100 s on a loaded one.  Allow 5 minutes (it
# lives 10).
i=0
while [ ! -s "$WORK/truth.json" ]; do
	kill -0 "$TARGET_PID" 2>/dev/null ||
		fail "webapp_heap.py exited: $(tail -5 "$WORK/target.out")"
	i=$((i + 1))
	[ $i -gt 3000 ] && fail "webapp_heap.py wrote no truth within 300 s"
	sleep 0.1
done
"$PYTHON310" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["stable"] else 1)' \
	"$WORK/truth.json" || fail "the fixture's truth is not stable"

run_tool "$WORK/out" "$WORK/err" -p "$TARGET_PID" --dump "$WORK/dump.jsonl"
[ "$RC" -eq 0 ] || fail "the tool exited $RC: $(cat "$WORK/err")"
assert_running "$TARGET_PID"

if [ "${PHI_WEBAPP_REPORT:-0}" = 1 ]; then
	# Only the report: what the tool misses today, for issue 13.
	"$PYTHON310" "$PHI_SRCDIR/tests/e2e/check_webapp.py" \
		"$WORK/truth.json" "$WORK/dump.jsonl" ||
		fail "check_webapp.py could not compare"
	echo "web-app heap: report made, not judged (PHI_WEBAPP_REPORT=1)"
	exit 0
fi
"$PYTHON310" "$PHI_SRCDIR/tests/e2e/check_webapp.py" --strict \
	"$WORK/truth.json" "$WORK/dump.jsonl" ||
	fail "the dump differs from the truth of the web-app heap (report above)"
pass "web-app heap: dump equals the target's truth"
