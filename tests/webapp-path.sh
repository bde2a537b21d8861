#!/bin/sh
# Usage: sh tests/webapp-path.sh DIR
#
# Make Debian's pure-Python web packages (Django, Flask, Jinja2, Werkzeug,
# SQLAlchemy and what they import) importable by the pyenv CPython 3.10:
# DIR is filled with symlinks to their package directories in Debian's
# dist-packages for Python 3, and its path is printed, to be put in
# PYTHONPATH.  A symlink folder rather than dist-packages itself, because
# that folder also holds packages whose C extensions are built for the
# system's Python 3.11 only; the packages linked here fall back to pure
# Python when their *.cpython-311-*.so does not load (markupsafe's
# _speedups; SQLAlchemy's C extensions are in python3-sqlalchemy-ext,
# which is not needed).  greenlet (C only) and colorama (Windows only)
# are left out on purpose.
#
# Exits 1 naming the apt package to install when a directory is missing.
set -eu

# Where Debian puts pure-Python packages for every Python 3 version;
# overridable for a test of this script.
dist=${WEBAPP_DIST_PACKAGES:-/usr/lib/python3/dist-packages}

# "import-name apt-package" pairs: the fixture's own five, then their
# dependencies (Django: asgiref, pytz, sqlparse; Flask: click,
# itsdangerous; Jinja2: markupsafe).
PACKAGES="django python3-django
flask python3-flask
jinja2 python3-jinja2
werkzeug python3-werkzeug
sqlalchemy python3-sqlalchemy
asgiref python3-asgiref
pytz python3-tz
sqlparse python3-sqlparse
click python3-click
itsdangerous python3-itsdangerous
markupsafe python3-markupsafe"

die() {
	echo "webapp-path: $*" >&2
	exit 1
}

# The apt packages whose directory is missing, space separated.
missing_packages() {
	echo "$PACKAGES" | while read -r name pkg; do
		[ -f "$dist/$name/__init__.py" ] || printf ' %s' "$pkg"
	done
}

# Link each package directory, and its metadata directory when there is
# one (so that importlib.metadata finds the version too).
link_all() {
	echo "$PACKAGES" | while read -r name pkg; do
		ln -sfn "$dist/$name" "$1/$name"
		for meta in "$dist"/*.egg-info "$dist"/*.dist-info; do
			[ -e "$meta" ] || continue
			base=$(basename "$meta")
			# Metadata names use the distribution name, any case.
			lower=$(echo "$base" | tr 'A-Z' 'a-z')
			case $lower in
			"$name"-*) ln -sfn "$meta" "$1/$base" ;;
			esac
		done
	done
}

[ $# -eq 1 ] || die "usage: webapp-path.sh DIR"
missing=$(missing_packages)
if [ -n "$missing" ]; then
	die "missing in $dist:$missing (apt-get install$missing)"
fi
mkdir -p "$1" || die "cannot create $1"
link_all "$1"
(cd "$1" && pwd)
