#!/bin/sh
# The whole test suite: install the dependencies, build, run 'make check'
# (unit and end-to-end tests) and 'make distcheck', then print one
# summary line.  Run as root: the tests trace processes and switch users.
set -u
cd "$(dirname "$0")/.."
sh scripts/setup.sh || exit 1
sh scripts/build.sh || exit 1
make -j"$(nproc)" check
check=$?
if [ $check -ne 0 ]; then
	for f in $(grep -l -E '^(FAIL|ERROR)' tests/unit/*.log tests/e2e/*.log 2>/dev/null); do
		echo "=== $f"; tail -n 40 "$f"
	done
fi
distcheck=0
if [ "${PHI_SKIP_DISTCHECK:-0}" != 1 ]; then
	make -j"$(nproc)" distcheck >distcheck.log 2>&1 || distcheck=1
	[ $distcheck -eq 0 ] || { echo "=== make distcheck failed:"; tail -n 60 distcheck.log; }
fi
pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
failed=$(( $(sed -n 's/^# FAIL: *//p' test-suite.log) + $(sed -n 's/^# ERROR: *//p' test-suite.log) + $(sed -n 's/^# XPASS: *//p' test-suite.log) + $(sed -n 's/^# SKIP: *//p' test-suite.log) + distcheck ))
pass=$(( pass + (1 - distcheck) ))
echo "tests: $pass passed, $failed failed"
[ $check -eq 0 ] && [ $distcheck -eq 0 ]
