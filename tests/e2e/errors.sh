#!/bin/sh
# Each error a user can meet gives its own one-line message and exit
# status, and leaves the target running.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

# expect RC_WANTED PATTERN ARGS...: run the tool, check status and the
# one-line message on stderr.
expect() {
	want=$1 pattern=$2
	shift 2
	run_tool "$WORK/out" "$WORK/err" "$@"
	[ "$RC" -eq "$want" ] || fail "'$*' exited $RC, expected $want: $(cat "$WORK/err")"
	grep -q -- "$pattern" "$WORK/err" || fail "'$*' said '$(cat "$WORK/err")', expected /$pattern/"
	[ -s "$WORK/out" ] && fail "'$*' wrote to stdout on error"
	return 0
}

# Usage errors.
expect 2 "one target is needed"
expect 2 "invalid pid 'abc'" -p abc
expect 2 "invalid option" --no-such-option
pass "usage errors exit 2"

# A pid that does not exist: take one that just exited.
sh -c 'exit 0' &
gone=$!
wait "$gone" || true
expect 3 "process $gone: it does not exist" -p "$gone"
pass "missing process exits 3"

# Not a Python process.
sleep 300 &
PIDS="$PIDS $!"
expect 5 "process $!.* is not a Python process" -p "$!"
assert_running "$!"
pass "non-Python process exits 5 and keeps running"

# CPythons of other versions (each writes its own version as truth).
others=0
for v in 2.7 3.8 3.9 3.11 3.12; do
	py=
	for cand in $(command -v "python$v" 2>/dev/null) \
		$(pyenv versions --bare 2>/dev/null | grep "^$v\." |
			while read -r full; do echo "$(pyenv prefix "$full")/bin/python$v"; done); do
		# A pyenv shim for a version that is not selected fails here.
		py=$("$cand" -c 'import sys; print(sys.executable)' 2>/dev/null) && break
		py=
	done
	[ -n "$py" ] || continue
	rm -f "$WORK/ver"
	start_target "$py" "$FIXTURES/version_probe.py" "$WORK/ver"
	wait_file "$WORK/ver"
	expect 6 "target runs CPython $(cat "$WORK/ver"); pyheapinspect supports 3.10" -p "$TARGET_PID"
	assert_running "$TARGET_PID"
	pass "CPython $(cat "$WORK/ver") refused with exit 6"
	others=$((others + 1))
done
[ "$others" -gt 0 ] || fail "no CPython other than 3.10 found (pyenv 2.7/3.8/3.9/3.11/3.12): the version check is untested"

# Permission: a non-root user may not trace root's process.
start_target "$PYTHON310" "$FIXTURES/small_ints.py" "$WORK/truth.json" "$WORK/beat"
wait_file "$WORK/beat"
if [ "$(id -u)" -eq 0 ]; then
	cp "$PHI_TOOL" "$WORK/tool"
	chmod 755 "$WORK" "$WORK/tool"
	set +e
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/tool" -p "$TARGET_PID" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	set -e
	[ "$RC" -eq 4 ] || fail "non-root run exited $RC: $(cat "$WORK/err")"
	grep -q "not root" "$WORK/err" || fail "non-root message: $(cat "$WORK/err")"
	assert_running "$TARGET_PID" "$WORK/beat"
	pass "non-root exits 4 with 'not root'"

	# Root without CAP_SYS_PTRACE, as in a container without
	# --cap-add=SYS_PTRACE.
	set +e
	setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace "$WORK/tool" -p "$TARGET_PID" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	set -e
	[ "$RC" -eq 4 ] || fail "run without CAP_SYS_PTRACE exited $RC: $(cat "$WORK/err")"
	grep -q "CAP_SYS_PTRACE is missing" "$WORK/err" || fail "no-capability message: $(cat "$WORK/err")"
	assert_running "$TARGET_PID" "$WORK/beat"
	pass "missing CAP_SYS_PTRACE exits 4 and says so"
else
	fail "the permission cases need root to switch users (run the suite as root)"
fi

# A target already traced by another tool.
strace -q -p "$TARGET_PID" -o /dev/null &
tracer=$!
PIDS="$PIDS $tracer"
i=0
until grep -q "TracerPid:[[:space:]]*$tracer" "/proc/$TARGET_PID/status"; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "strace did not attach"
	sleep 0.05
done
expect 4 "already traced by pid $tracer (strace)" -p "$TARGET_PID"
kill "$tracer"
wait "$tracer" 2>/dev/null || true
assert_running "$TARGET_PID" "$WORK/beat"
pass "already-traced target exits 4 naming the tracer"
