#!/bin/sh
# Killing the tool while the target is frozen never leaves the target
# stopped: SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT and the fatal
# signals (SIGSEGV, SIGBUS, SIGABRT, SIGFPE) are caught, thaw it and then
# kill the tool as they would have; SIGKILL cannot be caught, and
# PTRACE_SEIZE makes the kernel resume the target.  Stopping the tool
# (SIGTSTP, SIGTTIN, SIGTTOU: Ctrl-Z, a background read or write) takes
# effect only once the target is thawed.
. "$PHI_SRCDIR/tests/e2e/lib.sh"
set -e
need_python310

start_target "$PYTHON310" "$FIXTURES/small_ints.py" "$WORK/truth.json" "$WORK/beat"
wait_file "$WORK/beat"

# No core files from the fatal signals.
ulimit -c 0
for pair in KILL:9 TERM:15 INT:2 HUP:1 PIPE:13 QUIT:3 SEGV:11 BUS:7 ABRT:6 FPE:8; do
	sig=${pair%:*} sig_no=${pair#*:}
	# Tests only: the tool stays frozen for 20 s unless killed.
	PYHEAPINSPECT_TEST_HOLD_MS=20000 "$PHI_TOOL" -p "$TARGET_PID" >"$WORK/out" 2>&1 &
	tool=$!
	i=0
	until [ "$(proc_state "$TARGET_PID")" = t ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "the target was never frozen (state $(proc_state "$TARGET_PID"))"
		sleep 0.05
	done
	kill -s "$sig" "$tool"
	set +e
	wait "$tool"
	rc=$?
	set -e
	[ "$rc" -eq $((128 + sig_no)) ] || fail "tool exited $rc after SIG$sig, expected death by the signal"
	assert_running "$TARGET_PID" "$WORK/beat"
	grep -q "TracerPid:[[:space:]]*0" "/proc/$TARGET_PID/status" || fail "target still traced after SIG$sig"
	pass "SIG$sig of the frozen tool leaves the target running"
done

for sig in TSTP TTIN TTOU; do
	"$PYTHON310" "$PHI_SRCDIR/tests/e2e/stop_signal.py" "$PHI_TOOL" "$TARGET_PID" "$sig" ||
		fail "SIG$sig during the freeze"
	assert_running "$TARGET_PID" "$WORK/beat"
	pass "SIG$sig of the frozen tool stops it only after the thaw"
done
