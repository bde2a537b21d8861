#!/bin/sh
# Run a command as a container runs it: in its own mount and pid
# namespaces (unshare from util-linux, as root), with the directory SRC
# mounted over DST inside the namespace only.  On the host, DST keeps what
# it holds there (tests put a decoy in it), so a file under DST exists in
# two versions: the container's, reached from the host only through
# /proc/HOSTPID/root/DST/..., and the host's at DST/....
#
# Usage: in-container.sh [-p PIDFILE] SRC DST COMMAND [ARG...]
#
# Prints the command's HOST pid on stdout (and writes it, atomically, to
# PIDFILE) once the mount is in place; inside, the command is pid 1 of its
# namespace, with its own /proc.  Then waits for the command and exits
# with its status.  Killing the host pid ends the namespace; killing this
# script with INT, TERM or HUP kills the command (--kill-child also does
# when unshare itself dies).
set -eu

die() {
	echo "in-container.sh: $*" >&2
	exit 2
}

pidfile=
if [ "${1:-}" = -p ]; then
	[ $# -ge 2 ] || die "-p needs a file"
	pidfile=$2
	shift 2
fi
[ $# -ge 3 ] || die "usage: in-container.sh [-p PIDFILE] SRC DST COMMAND [ARG...]"
src=$(cd "$1" && pwd -P) || die "no directory $1"
dst=$(cd "$2" && pwd -P) || die "no directory $2 (the mount point must exist on the host)"
shift 2
command -v unshare >/dev/null 2>&1 || die "unshare (util-linux) is needed"

# --propagation private (unshare's default with --mount, spelled out):
# the bind mount never reaches the host.  --mount-proc gives the namespace
# its own /proc, so the command sees its own pids there.
# shellcheck disable=SC2016 # expanded by the inner sh
unshare --mount --pid --fork --kill-child --mount-proc \
	--propagation private \
	sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
	in-container "$src" "$dst" "$@" &
ushare=$!

# child_of PID: the one child of PID (unshare forks once), or nothing.
child_of() {
	tr -d ' ' 2>/dev/null <"/proc/$1/task/$1/children"
}

# The host pid is unshare's child: the namespace's pid 1 is the host's
# process of that number, before and after it execs the command.
hostpid=
i=0
while :; do
	hostpid=$(child_of "$ushare")
	# the mount is in place when the child's mount table shows it
	if [ -n "$hostpid" ] &&
		cut -d' ' -f5 "/proc/$hostpid/mountinfo" 2>/dev/null |
		grep -qxF "$dst"; then
		break
	fi
	kill -0 "$ushare" 2>/dev/null || {
		wait "$ushare" || true
		die "unshare failed (it needs root, or user namespaces)"
	}
	i=$((i + 1))
	[ $i -le 200 ] || {
		kill -9 "$ushare" 2>/dev/null || true
		die "the namespace was not ready within 10 s"
	}
	sleep 0.05
done

trap 'kill -9 "$hostpid" 2>/dev/null || true; exit 143' INT TERM HUP
if [ -n "$pidfile" ]; then
	echo "$hostpid" >"$pidfile.tmp"
	mv "$pidfile.tmp" "$pidfile"
fi
echo "$hostpid"
set +e
wait "$ushare"
