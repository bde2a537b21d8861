#!/bin/sh
# Configure and build in the source tree (autoreconf on a git checkout).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
	autoreconf -fi
[ -f Makefile ] && [ Makefile -nt configure ] || ./configure --enable-werror
make -j"$(nproc)"
