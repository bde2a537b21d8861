# Shared by the end-to-end tests: finding CPython 3.10, starting fixture
# targets, and always killing them at the end.
set -u

: "${PHI_TOOL:?run through make check (PHI_TOOL is not set)}"
: "${PHI_SRCDIR:?run through make check (PHI_SRCDIR is not set)}"
FIXTURES="$PHI_SRCDIR/fixtures"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/phi-e2e.XXXXXX")
PIDS=""

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass() {
	echo "ok: $*"
}

need_python310() {
	[ -n "${PYTHON310:-}" ] && [ -x "$PYTHON310" ] ||
		fail "no CPython 3.10 found: set PYTHON310, put python3.10 on PATH, or install it with pyenv"
}

# wait_file FILE: wait up to 20 s for a fixture to write FILE.
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -gt 400 ] && fail "target did not write $1 within 20 s"
		sleep 0.05
	done
}

# start_target PYTHON SCRIPT ARGS...: start a fixture in the background;
# sets TARGET_PID.
start_target() {
	"$@" </dev/null >"$WORK/target.out" 2>&1 &
	TARGET_PID=$!
	PIDS="$PIDS $TARGET_PID"
}

# proc_state PID: the one-letter state from /proc/PID/stat.
proc_state() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1
}

# assert_running PID HEARTBEAT: the target is alive, not stopped, and its
# heartbeat counter moves.
assert_running() {
	kill -0 "$1" 2>/dev/null || fail "target $1 is gone"
	i=0
	while :; do
		st=$(proc_state "$1")
		case "$st" in t | T) ;; *) break ;; esac
		i=$((i + 1))
		[ $i -gt 40 ] && fail "target $1 is left stopped (state $st)"
		sleep 0.05
	done
	if [ -n "${2:-}" ]; then
		b1=$(cat "$2")
		sleep 0.3
		b2=$(cat "$2")
		[ "$b2" -gt "$b1" ] || fail "target $1 does not run (heartbeat $b1 -> $b2)"
	fi
}

# mount_of TYPE [OPTION]: the mount point of a file system of that type
# (and super option), from mountinfo (the fields after " - ").
mount_of() {
	awk -v t="$1" -v o="${2:-}" '{
		for (i = 7; i <= NF && $i != "-"; i++) ;
		if ($(i + 1) == t && (o == "" || $(i + 3) ~ ("(^|,)" o "(,|$)"))) {
			print $5; exit
		}
	}' /proc/self/mountinfo
}

# run_tool OUT ERR ARGS...: run the tool, set RC.
run_tool() {
	out=$1 err=$2
	shift 2
	set +e
	"$PHI_TOOL" "$@" >"$out" 2>"$err"
	RC=$?
	set -e
}

# stripped_prefix DIR: a copy of the 3.10's prefix in DIR whose libpython
# and extension modules are `strip --strip-all` copies
# (tests/builds/stripped-prefix.sh), made from the builds that
# tests/builds/make-builds.sh caches in $PHI_BUILDS_DIR.
stripped_prefix() {
	BUILDS=${PHI_BUILDS_DIR:-$(dirname "$(dirname "$PHI_TOOL")")/tests/builds/out}
	sh "$PHI_SRCDIR/tests/builds/make-builds.sh" "$BUILDS" \
		>"$WORK/builds.out" 2>&1 ||
		fail "make-builds.sh: $(cat "$WORK/builds.out")"
	sh "$PHI_SRCDIR/tests/builds/stripped-prefix.sh" "$BUILDS" "$1" \
		>"$WORK/prefix.out" 2>&1 ||
		fail "stripped-prefix.sh: $(cat "$WORK/prefix.out")"
}
