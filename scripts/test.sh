#!/bin/sh
# The whole test suite, as CI runs it (as root: the tests trace processes
# and switch users):
#   1. install the dependencies and build (warnings are errors);
#   2. make check: unit tests and end-to-end tests against real targets;
#   3. make distcheck: the tarball builds, installs and passes alone;
#   4. the suite again, built with ASan + LeakSanitizer + UBSan, from
#      that tarball (every sanitizer report fails the test it happens in);
#   5. the suite again under ThreadSanitizer (make tsan, about 9 minutes);
#   (3 to 5 leave out HEAVY_TESTS, the web-app heap: see Makefile.am;
#   the whole run took 1151 s on 2 cores);
#   6. the fuzz target for FUZZ_SECONDS (120), when tests/fuzz exists.
# It ends with one line: "tests: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
t0=$(date +%s)
sh scripts/setup.sh --test || exit 1
sh scripts/build.sh || exit 1
passed=0
failed=0

# stage NAME: a stage's heading, with the seconds since the start (the
# suite must stay within about 20 minutes on 2 cores).
stage() {
	echo "== $1 (at $(($(date +%s) - t0)) s)"
}

# count LOG: add a test-suite.log's totals.
count() {
	p=$(sed -n 's/^# PASS: *//p' "$1")
	f=$(($(sed -n 's/^# FAIL: *//p' "$1") + $(sed -n 's/^# ERROR: *//p' "$1") + $(sed -n 's/^# XPASS: *//p' "$1") + $(sed -n 's/^# SKIP: *//p' "$1")))
	passed=$((passed + ${p:-0}))
	failed=$((failed + f))
}

# show_failures DIR: the end of each failed test's log.
show_failures() {
	for f in $(grep -l -E '^(FAIL|ERROR)' "$1"/tests/unit/*.log "$1"/tests/e2e/*.log 2>/dev/null); do
		echo "=== $f"
		tail -n 40 "$f"
	done
}

# step NAME COMMAND...: one pass/fail step of its own.
step() {
	name=$1
	shift
	if "$@" >"$top/$name.log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS: $name"
	else
		failed=$((failed + 1))
		echo "FAIL: $name"
		tail -n 60 "$top/$name.log"
	fi
}

stage "make check"
make -j"$(nproc)" check >check.log 2>&1 || show_failures .
grep -E '^(PASS|FAIL|ERROR|SKIP):' check.log
count test-suite.log

stage "make distcheck"
step distcheck make -j"$(nproc)" distcheck HEAVY_TESTS=

stage "sanitizers (ASan, LeakSanitizer, UBSan)"
# A subshell: it changes directory.
san() (
	rm -rf _san && mkdir _san &&
		tar xzf pyheapinspect-*.tar.gz -C _san &&
		cd _san/pyheapinspect-* &&
		./configure -q --enable-sanitizers &&
		make -j"$(nproc)" &&
		ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1 make -j"$(nproc)" check HEAVY_TESTS=
	rc=$?
	[ $rc -eq 0 ] || show_failures .
	return $rc
)
[ -f pyheapinspect-0.1.0.tar.gz ] || make dist >/dev/null
step sanitizers san

stage "ThreadSanitizer"
tsan() {
	make tsan HEAVY_TESTS=
	rc=$?
	[ $rc -eq 0 ] || show_failures _tsan/pyheapinspect-*
	return $rc
}
step tsan tsan

if [ -x tests/fuzz/run.sh ] || [ -f tests/fuzz/run.sh ]; then
	stage "fuzzing for ${FUZZ_SECONDS:-120} s"
	# A fixed seed: the same inputs on every CI run, so that a landing
	# never depends on luck; fuzz with other seeds by hand (make fuzz).
	FUZZ_ARGS="${FUZZ_ARGS:--seed=1}" step fuzz sh tests/fuzz/run.sh
fi

echo "== done in $(($(date +%s) - t0)) s"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
