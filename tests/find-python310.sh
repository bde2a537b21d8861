#!/bin/sh
# Print the path of a CPython 3.10 interpreter: $PYTHON310, then python3.10
# on PATH, then pyenv.  With --lib, print the ELF object holding the
# interpreter (libpython3.10.so for a shared build, else the executable).
# Exits 1 with a message when there is none.
set -u

is_310() {
	"$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' \
		>/dev/null 2>&1
}

candidates() {
	[ -n "${PYTHON310:-}" ] && echo "$PYTHON310"
	command -v python3.10 2>/dev/null
	if command -v pyenv >/dev/null 2>&1; then
		p=$(pyenv prefix 3.10.13 2>/dev/null) && echo "$p/bin/python3.10"
		for v in $(pyenv versions --bare 2>/dev/null | grep '^3\.10\.'); do
			p=$(pyenv prefix "$v" 2>/dev/null) &&
				echo "$p/bin/python3.10"
		done
	fi
	for d in "$HOME/.pyenv/versions"/3.10.*; do
		[ -x "$d/bin/python3.10" ] && echo "$d/bin/python3.10"
	done
	return 0
}

found=
for c in $(candidates); do
	if [ -x "$c" ] && is_310 "$c"; then
		# A pyenv shim execs the real binary; report the real one.
		found=$("$c" -c 'import sys; print(sys.executable)')
		break
	fi
done
if [ -z "$found" ]; then
	echo "no CPython 3.10 found: set PYTHON310, put python3.10 on PATH, or install it with pyenv" >&2
	exit 1
fi
if [ "${1:-}" = --lib ]; then
	"$found" - <<'PY'
import os, sys, sysconfig
lib = sysconfig.get_config_var("INSTSONAME") or ""
path = os.path.join(sysconfig.get_config_var("LIBDIR") or "", lib)
shared = sysconfig.get_config_var("Py_ENABLE_SHARED")
print(path if shared and os.path.exists(path) else os.path.realpath(sys.executable))
PY
else
	echo "$found"
fi
