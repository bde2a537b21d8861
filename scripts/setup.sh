#!/bin/sh
# Install what building pyheapinspect needs on Debian 12 (run as root);
# with --test, also what only the test suite needs (the fuzzing
# toolchain, a browser and graphviz for the pictures).  CPython 3.10 itself is not a Debian 12 package: the tests
# find it through $PYTHON310, python3.10 on PATH, or pyenv.
#
#   sh scripts/setup.sh          # build: compiler, autotools, libraries
#   sh scripts/setup.sh --test   # and the test suite's tools
set -eu
pkgs="build-essential autoconf automake pkg-config libelf-dev libdwarf-dev
libyajl-dev zlib1g-dev binutils"
# cmocka: unit tests; strace, util-linux (script: a terminal for the
# progress test): end-to-end tests; clang and its runtime: the fuzzer
# (libFuzzer) and ThreadSanitizer builds; chromium (headless, for the
# HTML report), graphviz (dot, for --dot) and the font both draw with;
# libc6-dbg: glibc's malloc state read with its debug info
# (tests/e2e/memory.sh); Django, Flask, Jinja2, Werkzeug and SQLAlchemy,
# pure Python that the 3.10 imports through tests/webapp-path.sh: the
# web-app heap (tests/e2e/webapp.sh).
test_pkgs="libcmocka-dev strace util-linux clang libclang-rt-14-dev
chromium graphviz fonts-dejavu-core libc6-dbg python3-django python3-flask
python3-jinja2 python3-werkzeug python3-sqlalchemy"
if [ "${1:-}" = --test ]; then
	pkgs="$pkgs $test_pkgs"
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$missing; run as root (or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
