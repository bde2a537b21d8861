#!/bin/sh
# Fuzzing the decoders: build tests/fuzz/fuzz_heap.c with libFuzzer,
# ASan and UBSan, replay the regression inputs, then fuzz.
#
#   sh tests/fuzz/run.sh            (or `make fuzz`)
#
# The fuzz target loads a base snapshot (a real CPython 3.10 heap saved
# with `pyheapinspect --save-snapshot`) once, and each input patches a few
# bytes of its image, numbers of its description (layouts, symbols, the
# version: imported again, as --snapshot does) or the layout table after
# the import (re-validated, or not: the decoders must stay safe anyway);
# the whole pipeline of the tool (runtime, small ints, heap, analyses with
# --expr, JSONL dump, reports) then runs over it.  See the comment at the
# top of fuzz_heap.c for the input format.  Any error
# the library returns is fine; a crash, a sanitizer report, a leak or a
# timeout is a bug.
#
# Steps:
#   1. build BUILDDIR/tests/fuzz/fuzz_heap with clang (every .c under
#      src/ but main.c, and fuzz_heap.c; config.h comes from BUILDDIR);
#   2. when tests/fuzz/base.snap.gz is missing, make it: start
#      tests/fuzz/base_target.py (python3.10 -S -s, an empty environment,
#      PYTHONHASHSEED=0, no ASLR: a small heap with one object of each
#      kind in ROOTS) and save it with BUILDDIR/src/pyheapinspect
#      --save-snapshot.  The regression inputs patch *this* image: keep
#      the file with them (a new base makes them hit other bytes);
#   3. replay every file of tests/fuzz/regressions/ once (each must pass);
#   4. fuzz for FUZZ_SECONDS, starting from seeds written by the target
#      itself into the corpus (patches of object headers, type objects,
#      the runtime and interpreter state, objects claiming another type,
#      layout values and record numbers at hostile values)
#      and from the corpus of earlier runs, with a dictionary of the type
#      and object addresses of the base image.  A crash, leak or timeout is saved as
#      tests/fuzz/regressions/{crash,leak,timeout,oom}-SHA1: rename it to
#      say what it triggers, and keep it.
#
# Exits non-zero when a regression input fails or fuzzing finds a bug.
#
# Environment:
#   FUZZ_SECONDS   fuzzing time (default 120; 0 = replay regressions only)
#   FUZZ_FORK      run N fuzzing processes in parallel (libFuzzer -fork=N)
#   FUZZ_CFLAGS    extra compiler flags (e.g. -fno-sanitize-coverage=trace-cmp
#                  runs about a third faster, with weaker guidance)
#   FUZZ_ARGS      extra libFuzzer options
#   FUZZ_CORPUS    corpus directory (default BUILDDIR/tests/fuzz/corpus)
#   PHI_SRCDIR, PHI_BUILDDIR  source and build trees (default: the tree
#                  holding this script, and the current directory when it
#                  has config.h, else the source tree)
#   PHI_FUZZ_SNAPSHOT  base snapshot (default SRCDIR/tests/fuzz/base.snap.gz)
#   CC             the compiler (default clang)
#
# Needs clang with its libFuzzer runtime (Debian 12: apt-get install clang
# libclang-rt-14-dev), libelf-dev, libdwarf-dev, libyajl-dev, zlib1g-dev;
# a CPython 3.10 (tests/find-python310.sh) only to make the base snapshot.
set -eu

srcdir=${PHI_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -n "${PHI_BUILDDIR:-}" ]; then
	builddir=$PHI_BUILDDIR
elif [ -f config.h ]; then
	builddir=$(pwd)
else
	builddir=$srcdir
fi
CC=${CC:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-120}
outdir=$builddir/tests/fuzz
bin=$outdir/fuzz_heap
corpus=${FUZZ_CORPUS:-$outdir/corpus}
regressions=$srcdir/tests/fuzz/regressions
snapshot=${PHI_FUZZ_SNAPSHOT:-$srcdir/tests/fuzz/base.snap.gz}

say() { echo "fuzz: $*" >&2; }
die() { say "$*"; exit 2; }

[ -f "$builddir/config.h" ] ||
	die "no config.h in '$builddir': run ./configure first (or set PHI_BUILDDIR)"
command -v "$CC" >/dev/null 2>&1 ||
	die "$CC not found: apt-get install clang libclang-rt-14-dev"
mkdir -p "$outdir" "$corpus" "$regressions"

# ---- 1. build -------------------------------------------------------------
probe=$outdir/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" \
	>"$probe.log" 2>&1; then
	cat "$probe.log" >&2
	die "$CC cannot link libFuzzer programs: apt-get install libclang-rt-14-dev (the runtime of clang 14)"
fi
rm -f "$probe" "$probe.c" "$probe.log"

# Every source of the library: all of src/ but main.c.
sources=$(find "$srcdir/src" -name '*.c' ! -path "$srcdir/src/main.c" |
	LC_ALL=C sort | tr '\n' ' ')
# Rebuild when a source, a header or config.h is newer than the binary.
stale=yes
if [ -x "$bin" ] && [ -z "$(find "$srcdir/src" "$srcdir/include" \
	"$srcdir/tests/fuzz/fuzz_heap.c" "$builddir/config.h" \
	-newer "$bin" -name '*.[ch]' 2>/dev/null | head -n 1)" ]; then
	stale=
fi
if [ -n "$stale" ]; then
	say "building $bin"
	# shellcheck disable=SC2046,SC2086 # word splitting is wanted
	"$CC" -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE \
		-I"$srcdir/include" -I"$builddir" \
		$(pkg-config --cflags libelf yajl 2>/dev/null || true) \
		${FUZZ_CFLAGS:-} $sources "$srcdir/tests/fuzz/fuzz_heap.c" \
		-ldwarf -lelf -lyajl -lz -o "$bin"
fi

# ---- 2. the base snapshot -------------------------------------------------
if [ ! -f "$snapshot" ]; then
	tool=$builddir/src/pyheapinspect
	[ -x "$tool" ] || die "no $tool: build the tool first (make)"
	"$tool" --help 2>&1 | grep -q -- --save-snapshot ||
		die "$tool has no --save-snapshot option: cannot make $snapshot"
	py=$(sh "$srcdir/tests/find-python310.sh") ||
		die "a CPython 3.10 is needed to make $snapshot"
	say "making $snapshot from a CPython 3.10 target ($py)"
	ready=$outdir/target.ready
	rm -f "$ready"
	norandom=
	setarch "$(uname -m)" -R true 2>/dev/null &&
		norandom="setarch $(uname -m) -R"
	# shellcheck disable=SC2086
	env -i PATH=/usr/bin:/bin LC_ALL=C PYTHONHASHSEED=0 $norandom \
		"$py" -S -s "$srcdir/tests/fuzz/base_target.py" "$ready" &
	target=$!
	i=0
	while [ ! -e "$ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rc=0
	if [ -e "$ready" ]; then
		"$tool" -p "$target" --save-snapshot "$snapshot.tmp" \
			>/dev/null || rc=$?
	else
		rc=1
		say "the target did not start"
	fi
	kill "$target" 2>/dev/null || true
	wait "$target" 2>/dev/null || true
	rm -f "$ready"
	if [ $rc -ne 0 ] || [ ! -s "$snapshot.tmp" ]; then
		rm -f "$snapshot.tmp"
		die "could not save the base snapshot"
	fi
	mv "$snapshot.tmp" "$snapshot"
	say "saved $snapshot ($(wc -c <"$snapshot") bytes)"
fi
PHI_FUZZ_SNAPSHOT=$snapshot
export PHI_FUZZ_SNAPSHOT

# Every sanitizer report is fatal and leaves a stack trace.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
common="-rss_limit_mb=4096 -timeout=10"

# ---- 3. regressions -------------------------------------------------------
failed=0
n=0
for f in "$regressions"/*; do
	[ -f "$f" ] || continue
	case $f in *.md | *.txt) continue ;; esac
	n=$((n + 1))
	# shellcheck disable=SC2086
	if ! "$bin" $common "$f" >"$outdir/regression.log" 2>&1; then
		say "FAIL: regression input $f"
		grep -E '^(SUMMARY|==[0-9]+==ERROR|.*runtime error)|^    #[0-9]+ ' \
			"$outdir/regression.log" | head -n 12 >&2 || true
		failed=$((failed + 1))
	fi
done
say "$n regression inputs replayed, $failed failed"

# ---- 4. fuzz --------------------------------------------------------------
status=0
if [ "$FUZZ_SECONDS" -gt 0 ]; then
	dict=$outdir/heap.dict
	if [ -z "$(ls -A "$corpus")" ] || [ ! -s "$dict" ]; then
		# The target writes its seeds and dictionary at start-up,
		# then runs nothing.
		PHI_FUZZ_SEEDS=$corpus PHI_FUZZ_DICT=$dict "$bin" -runs=0 \
			>"$outdir/seeds.log" 2>&1 || true
		grep 'fuzz_heap: wrote' "$outdir/seeds.log" >&2 || true
	fi
	fork=
	[ -n "${FUZZ_FORK:-}" ] && fork="-fork=$FUZZ_FORK"
	[ -s "$dict" ] && fork="$fork -dict=$dict"
	say "fuzzing for $FUZZ_SECONDS s (log: $outdir/fuzz.log)"
	# shellcheck disable=SC2086
	"$bin" $common $fork -max_total_time="$FUZZ_SECONDS" -max_len=1024 \
		-print_final_stats=1 -artifact_prefix="$regressions/" \
		${FUZZ_ARGS:-} "$corpus" >"$outdir/fuzz.log" 2>&1 || status=$?
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
		"$outdir/fuzz.log" >&2 || true
	tail -n 3 "$outdir/fuzz.log" | grep -E '^#[0-9]+' >&2 || true
	if [ $status -ne 0 ]; then
		say "fuzzing found a bug (exit $status): see $outdir/fuzz.log;"
		grep -E '^(SUMMARY|==[0-9]+==ERROR|.*runtime error|artifact_prefix|Test unit written)' \
			"$outdir/fuzz.log" | head -n 12 >&2 || true
		say "the input is in $regressions/: rename it after what it triggers"
	fi
fi
[ $failed -eq 0 ] && [ $status -eq 0 ]
