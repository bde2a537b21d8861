#!/bin/sh
# html_check.sh PAGE EXPECT.json [SCREENSHOT.png]
#
# Load a pyheapinspect HTML report from file:// in Debian's headless
# Chromium and assert on what the browser made of it: the DOM after the
# page's scripts ran (sections, figures, the planted container's path
# and retained size, see html_dom_check.py for EXPECT.json), no request
# leaving the page (Chromium's own net log), no CSP violation or script
# error (the console).  Keeps a full-page screenshot (default: PAGE with
# .png for .html) and prints its path.  Exits 0 when every check passes.
#
# Needs: chromium (apt-get install chromium), python3 or $PYTHON310.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# Debian's package: chromium on PATH, else where it installs it.
if [ -z "${CHROMIUM:-}" ]; then
	CHROMIUM=chromium
	command -v chromium >/dev/null 2>&1 || CHROMIUM=/usr/bin/chromium
fi
WIDTH=1280

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# python: the checker is stdlib only; the suite's CPython 3.10 if set.
python() {
	if [ -n "${PYTHON310:-}" ]; then
		"$PYTHON310" "$@"
	else
		python3 "$@"
	fi
}

# browser PROFILE ARGS...: headless Chromium as root (no sandbox) with a
# fresh profile.  Background networking, component updates, sync,
# extensions and the time service are off: on this machine's closed
# network they would fail (and fill the net log) at every start.  What
# still starts (update and sign-in pings) is told apart in the checker.
browser() {
	prof=$1
	shift
	rm -rf "$prof"
	mkdir -p "$prof"
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-extensions \
		--disable-default-apps --no-pings --disable-domain-reliability \
		--disable-client-side-phishing-detection \
		--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter \
		--hide-scrollbars --user-data-dir="$prof" "$@"
}

# height DOM: the page's height as the view wrote it, for a screenshot
# of the whole page (bounded: a broken page may say anything).
height() {
	h=$(sed -n 's/.*data-phi-height="\([0-9]*\)".*/\1/p' "$1" | head -n 1)
	case "$h" in
	'' | *[!0-9]*) h=2000 ;;
	esac
	[ "$h" -lt 600 ] && h=600
	[ "$h" -gt 16000 ] && h=16000
	echo "$h"
}

main() {
	[ $# -ge 2 ] || die "usage: html_check.sh PAGE EXPECT.json [SCREENSHOT.png]"
	page=$1
	expect=$2
	shot=${3:-${page%.html}.png}
	[ -f "$page" ] || die "no page $page"
	[ -f "$expect" ] || die "no expectations $expect"
	command -v "$CHROMIUM" >/dev/null 2>&1 ||
		die "no $CHROMIUM: apt-get install chromium"
	abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
	work=$(mktemp -d "${TMPDIR:-/tmp}/phi-html-check.XXXXXX")
	trap 'rm -rf "$work"' EXIT

	# One load for the DOM, the net log and the console.
	browser "$work/prof" --window-size="$WIDTH,900" \
		--log-net-log="$work/net.json" \
		--enable-logging=stderr --v=0 --dump-dom "file://$abs" \
		>"$work/dom.html" 2>"$work/console.log" ||
		die "chromium failed to load $page (see its log: $(tail -n 3 "$work/console.log"))"
	[ -s "$work/dom.html" ] || die "chromium dumped no DOM for $page"

	# A second one for the screenshot, as tall as the page (skipped
	# with PHI_SCREENSHOT=0, as the self-test does for its broken pages).
	if [ "${PHI_SCREENSHOT:-1}" != 0 ]; then
		h=$(height "$work/dom.html")
		browser "$work/prof2" --window-size="$WIDTH,$h" \
			--screenshot="$work/shot.png" "file://$abs" \
			>/dev/null 2>"$work/shot.log" ||
			echo "warning: no screenshot (chromium failed)" >&2
	fi
	if [ -s "$work/shot.png" ]; then
		mkdir -p "$(dirname "$shot")"
		cp "$work/shot.png" "$shot"
		echo "screenshot: $shot"
	fi
	if [ -n "${PHI_KEEP_DOM:-}" ]; then
		cp "$work/dom.html" "$PHI_KEEP_DOM"
	fi

	python "$HERE/html_dom_check.py" "$work/dom.html" "$work/net.json" \
		"$work/console.log" "$expect"
}

main "$@"
