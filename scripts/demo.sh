#!/bin/sh
# The newcomer's path: install the dependencies, build, start a demo
# CPython 3.10 service from fixtures/ and inspect it from outside.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
sh scripts/build.sh
py=$(sh tests/find-python310.sh)
ready=$(mktemp)
rm -f "$ready"
"$py" fixtures/demo_service.py "$ready" &
target=$!
trap 'kill $target 2>/dev/null; rm -f "$ready"' EXIT
while [ ! -s "$ready" ]; do
	kill -0 "$target" 2>/dev/null || { echo "demo: the demo target died" >&2; exit 1; }
	sleep 0.1
done
echo "demo: inspecting CPython 3.10 process $target ($py fixtures/demo_service.py)"
echo
./src/pyheapinspect --pid "$target" "$@"
