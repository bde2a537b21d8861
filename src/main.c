/* pyheapinspect: options, wiring, and the only place that prints errors
 * and chooses exit codes. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "pyheapinspect/analysis/analysis.h"
#include "pyheapinspect/base/budget.h"
#include "pyheapinspect/analysis/domtree.h"
#include "pyheapinspect/analysis/memory.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/analysis/growth.h"
#include "pyheapinspect/analysis/summary.h"
#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/memory.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/native/native.h"
#include "pyheapinspect/cpython/traces.h"
#include "pyheapinspect/report/dot.h"
#include "pyheapinspect/report/dump.h"
#include "pyheapinspect/report/folded.h"
#include "pyheapinspect/report/growth.h"
#include "pyheapinspect/report/html.h"
#include "pyheapinspect/report/json.h"
#include "pyheapinspect/report/memory.h"
#include "pyheapinspect/report/summary.h"
#include "pyheapinspect/report/text.h"
#include "pyheapinspect/source/proc/freeze.h"
#include "pyheapinspect/source/proc/process.h"
#include "pyheapinspect/source/snapshot/snapshot.h"
#include "pyheapinspect/source/source.h"

/* A GC collection in progress rewires the GC lists: its end is waited
 * for by reading its flag from the live process (every GC_POLL_MS, for
 * GC_WAIT_MS in all), and the target is frozen at most MAX_FREEZES
 * times in a run. */
#define GC_WAIT_MS 5000
#define GC_POLL_MS 2
#define MAX_FREEZES 3

struct options {
	pid_t pid;
	bool json;
	bool verbose;
	bool small_ints;
	bool mallocstats;          /* print _debugmallocstats' text only */
	bool allocated_retained;   /* retained sizes in allocated bytes */
	int sites;                 /* --sites: 1 by line, 2 by traceback */
	size_t top;
	const char *dump;
	const char *html, *folded, *dot; /* the pictures */
	const char **objects, **exprs;
	const char **debug_dirs;   /* --debug-dir, in order */
	size_t ndebug_dirs;
	uint64_t max_memory;       /* the memory budget (0: none) */
	char memory_from[320];     /* where it came from, for messages */
	int test_hold_after_ms;    /* tests only: sleep after the capture */
	const char *snapshot;      /* analyse a saved snapshot, not a pid */
	const char *save_snapshot; /* and/or save the capture */
	const char *save_summary;  /* --save-summary */
	const char *baseline;      /* --baseline: a summary or a snapshot */
	struct phi_summary *base;  /* ... loaded before the run */
	double watch_s;            /* --watch: seconds between captures */
	long count;                /* --count: captures (0: until SIGINT) */
	struct phi_analysis_opts analysis;
	struct phi_capture_opts capture;
};

enum {
	OPT_JSON = 256, OPT_SMALL_INTS, OPT_TOP, OPT_DUMP, OPT_OBJECT,
	OPT_EXPR, OPT_SUSPECT, OPT_MAX_PAUSE, OPT_NO_FREEZE, OPT_MAX_MEMORY,
	OPT_SNAPSHOT, OPT_SAVE_SNAPSHOT, OPT_DEBUG_DIR, OPT_HTML, OPT_FOLDED,
	OPT_DOT, OPT_MALLOCSTATS, OPT_RETAINED_ALLOCATED, OPT_SAVE_SUMMARY,
	OPT_BASELINE, OPT_WATCH, OPT_COUNT, OPT_SITES,
};

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "small-ints", no_argument, NULL, OPT_SMALL_INTS },
	{ "mallocstats", no_argument, NULL, OPT_MALLOCSTATS },
	{ "retained-allocated", no_argument, NULL, OPT_RETAINED_ALLOCATED },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "dump", required_argument, NULL, OPT_DUMP },
	{ "object", required_argument, NULL, OPT_OBJECT },
	{ "expr", required_argument, NULL, OPT_EXPR },
	{ "suspect-share", required_argument, NULL, OPT_SUSPECT },
	{ "max-pause", required_argument, NULL, OPT_MAX_PAUSE },
	{ "no-freeze", no_argument, NULL, OPT_NO_FREEZE },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
	{ "save-snapshot", required_argument, NULL, OPT_SAVE_SNAPSHOT },
	{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "dot", required_argument, NULL, OPT_DOT },
	{ "save-summary", required_argument, NULL, OPT_SAVE_SUMMARY },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "watch", required_argument, NULL, OPT_WATCH },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "sites", optional_argument, NULL, OPT_SITES },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: pyheapinspect -p PID [options]\n"
		"       pyheapinspect --snapshot FILE [options]\n"
		"Inspect the heap of a running CPython 3.10 process from "
		"outside.\n\n"
		"  -p, --pid PID     the process to inspect\n"
		"      --json        print one JSON document (docs/schema.md)\n"
		"      --top N       types listed in the text report "
		"(default 20)\n"
		"      --dump FILE   write every object as JSON Lines "
		"(- for stdout)\n"
		"      --html FILE   write the report as one self-contained "
		"web page\n"
		"      --folded FILE write folded stacks of retained size "
		"(flame graphs)\n"
		"      --dot FILE    write the paths and dominators of the "
		"--expr/--object\n"
		"                    objects as a Graphviz graph\n"
		"      --object ADDR name an object by address (repeatable)\n"
		"      --expr EXPR   name an object as MODULE:NAME[.ATTR|[KEY]]..."
		"\n                    (repeatable): deep and retained size, "
		"path to a root;\n"
		"                    interp#N/MODULE:NAME... in subinterpreter "
		"N\n"
		"      --suspect-share PCT\n"
		"                    leak suspects are sought from objects "
		"retaining more\n"
		"                    than PCT%% of the heap (10)\n"
		"      --max-pause MS\n"
		"                    thaw the target after MS milliseconds "
		"(attaching\n"
		"                    included) and finish reading while it "
		"runs (1000)\n"
		"      --no-freeze   never stop the target (torn reads are "
		"counted)\n"
		"      --max-memory SIZE\n"
		"                    the tool's memory budget (e.g. 512M, 4G; "
		"by default\n"
		"                    3/4 of MemAvailable or of the cgroup's "
		"headroom)\n"
		"      --save-snapshot FILE\n"
		"                    also save what was copied, to analyse "
		"later\n"
		"      --snapshot FILE\n"
		"                    analyse a saved snapshot instead of a "
		"process\n"
		"      --debug-dir DIR\n"
		"                    also look for separate debug files in DIR "
		"(repeatable):\n"
		"                    DIR/.build-id/xx/rest.debug, or by "
		"debuglink name\n"
		"      --save-summary FILE\n"
		"                    also save a compact summary of the "
		"capture (JSON)\n"
		"      --baseline FILE\n"
		"                    compare with a summary or snapshot: what "
		"grew\n"
		"      --watch SECONDS [--count N]\n"
		"                    capture again every SECONDS, one growth "
		"line each,\n"
		"                    the full comparison after N captures or "
		"on Ctrl-C\n"
		"      --small-ints  list the small-int cache (-5..256)\n"
		"      --mallocstats print what sys._debugmallocstats() would "
		"print inside\n"
		"                    the target (pymalloc even under "
		"tracemalloc), only that\n"
		"      --retained-allocated\n"
		"                    retained sizes in allocated bytes "
		"(size classes, malloc\n"
		"                    chunks, GC headers), not "
		"sys.getsizeof\n"
		"      --sites[=lineno|traceback]\n"
		"                    allocation sites from the target's "
		"tracemalloc, by line\n"
		"                    (the default) or by traceback\n"
		"  -v, --verbose     say where symbols and layouts came from\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n\n"
		"Exit status: 0 success, 2 usage, 3 no such process, "
		"4 permission denied,\n5 not Python, 6 not CPython 3.10, "
		"7 symbols missing, 8 target exited,\n11 memory budget, "
		"16 report incomplete, 9-15 other errors\n"
		"(see pyheapinspect(1)).\n");
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1 << 20);
}

/* One line on stderr: a message may quote the target's text (a module
 * or attribute name, a path), so it is escaped as the text report is. */
static int fail(const struct phi_error *err, const struct options *o)
{
	char line[sizeof(err->msg) * PHI_ESCAPE_MAX + 1];

	phi_progress_end();
	phi_escape_text(line, sizeof(line), err->msg, strlen(err->msg),
			sizeof(err->msg), NULL);
	fprintf(stderr, "pyheapinspect: %s\n", line);
	/* Out of memory because the budget said no: say which budget. */
	if (err->code == PHI_E_NO_MEMORY && phi_budget_refusals())
		fprintf(stderr, "pyheapinspect: the memory budget of %.0f MiB "
			"(%s) was reached: %.1f MiB in use by the tool's "
			"arrays, %.1f MiB more asked for, %.1f MiB fixed; "
			"raise --max-memory\n", mib(o->max_memory),
			o->memory_from, mib(phi_budget_refused_used()),
			mib(phi_budget_refused_bytes()),
			mib(phi_budget_fixed()));
	return phi_error_exit_status(err->code);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "pyheapinspect: %s%s%s%s\n", msg, arg ? " '" : "",
		arg ? arg : "", arg ? "'" : "");
	fprintf(stderr, "Try 'pyheapinspect --help'.\n");
	return phi_error_exit_status(PHI_E_USAGE);
}

/* "512M", "4G", "1000000": bytes. */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return !errno && *s && !*end && *out >= min && *out <= max;
}

/* The memory budget (base/budget.h): --max-memory, else three quarters
 * of the smaller of MemAvailable and the headroom of the tool's cgroup.
 * Returns -1 to go on, or an exit status. */
static int set_budget(struct options *o)
{
	struct phi_budget_default d;

	if (o->max_memory) {
		snprintf(o->memory_from, sizeof(o->memory_from),
			 "--max-memory");
	} else {
		phi_budget_default(&d, "");
		o->max_memory = d.limit;
		if (d.cgroup[0])
			snprintf(o->memory_from, sizeof(o->memory_from),
				 "3/4 of the %.0f MiB left to the tool's "
				 "cgroup %s (%s)", mib(d.cgroup_headroom),
				 d.cgroup, d.source);
		else
			snprintf(o->memory_from, sizeof(o->memory_from),
				 "3/4 of MemAvailable, %.0f MiB",
				 mib(d.mem_available));
	}
	if (!phi_budget_init(o->max_memory ? o->max_memory :
					     PHI_BUDGET_NONE)) {
		fprintf(stderr, "pyheapinspect: the memory budget of %.1f MiB "
			"(%s) is below the %.1f MiB the tool needs before it "
			"copies anything\n", mib(o->max_memory),
			o->memory_from, mib(phi_budget_fixed()));
		return phi_error_exit_status(PHI_E_NO_MEMORY);
	}
	return -1;
}

/* --save-summary, --baseline, --watch, --count. */
static bool growth_option(struct options *o, int c, const char *arg)
{
	char *end;
	long v;

	switch (c) {
	case OPT_SAVE_SUMMARY:
		o->save_summary = arg;
		return true;
	case OPT_BASELINE:
		o->baseline = arg;
		return true;
	case OPT_WATCH:
		errno = 0;
		o->watch_s = strtod(arg, &end);
		return !errno && end != arg && !*end && o->watch_s >= 0.1 &&
		       o->watch_s <= 86400;
	default:
		if (!parse_long(arg, 1, 1000000, &v))
			return false;
		o->count = v;
		return true;
	}
}

/* Returns -1 to go on, or an exit status. */
static int check_growth_options(const struct options *o)
{
	if (o->count && !o->watch_s)
		return usage_error("--count goes with --watch", NULL);
	if (o->watch_s && o->snapshot)
		return usage_error("--watch needs a live process (-p PID), "
				   "not --snapshot", NULL);
	if (o->watch_s && (o->dump || o->save_snapshot))
		return usage_error("--watch does not take --dump or "
				   "--save-snapshot", NULL);
	return -1;
}

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	const char *hold = getenv("PYHEAPINSPECT_TEST_HOLD_MS");
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->top = 20;
	o->analysis.suspect_share = 0.10;
	/* At most one --object or --expr per argument. */
	o->objects = calloc((size_t)argc, sizeof(char *));
	o->exprs = calloc((size_t)argc, sizeof(char *));
	o->debug_dirs = calloc((size_t)argc, sizeof(char *));
	if (!o->objects || !o->exprs || !o->debug_dirs) {
		fprintf(stderr, "pyheapinspect: out of memory\n");
		return phi_error_exit_status(PHI_E_NO_MEMORY);
	}
	o->analysis.objects = o->objects;
	o->analysis.exprs = o->exprs;
	o->capture.max_pause_ms = 1000;
	o->capture.test_hold_ms = hold ? atoi(hold) : 0;
	hold = getenv("PYHEAPINSPECT_TEST_HOLD_AFTER_MS");
	o->test_hold_after_ms = hold ? atoi(hold) : 0;
	while ((c = getopt_long(argc, argv, "p:vhV", long_options, NULL)) !=
	       -1) {
		switch (c) {
		case 'p':
			if (!parse_long(optarg, 1, INT32_MAX, &v))
				return usage_error("invalid pid", optarg);
			o->pid = (pid_t)v;
			break;
		case OPT_TOP:
			if (!parse_long(optarg, 0, 1000000, &v))
				return usage_error("invalid --top", optarg);
			o->top = (size_t)v;
			break;
		case OPT_DUMP:
			o->dump = optarg;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_FOLDED:
			o->folded = optarg;
			break;
		case OPT_DOT:
			o->dot = optarg;
			break;
		case OPT_OBJECT:
			o->objects[o->analysis.nobjects++] = optarg;
			break;
		case OPT_EXPR:
			o->exprs[o->analysis.nexprs++] = optarg;
			break;
		case OPT_MAX_PAUSE:
			if (!parse_long(optarg, 1, 3600000, &v))
				return usage_error("invalid --max-pause "
						   "(milliseconds)", optarg);
			o->capture.max_pause_ms = (double)v;
			break;
		case OPT_NO_FREEZE:
			o->capture.no_freeze = true;
			break;
		case OPT_MAX_MEMORY:
			if (!parse_size(optarg, &o->max_memory))
				return usage_error("invalid --max-memory (a "
						   "size such as 512M or 4G)",
						   optarg);
			break;
		case OPT_SNAPSHOT:
			o->snapshot = optarg;
			break;
		case OPT_SAVE_SNAPSHOT:
			o->save_snapshot = optarg;
			break;
		case OPT_DEBUG_DIR:
			o->debug_dirs[o->ndebug_dirs++] = optarg;
			break;
		case OPT_SAVE_SUMMARY:
		case OPT_BASELINE:
		case OPT_WATCH:
		case OPT_COUNT:
			if (!growth_option(o, c, optarg))
				return usage_error("invalid value", optarg);
			break;
		case OPT_SUSPECT:
			if (!parse_long(optarg, 0, 100, &v))
				return usage_error("invalid --suspect-share "
						   "(a percentage)", optarg);
			o->analysis.suspect_share = (double)v / 100.0;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_SMALL_INTS:
			o->small_ints = true;
			break;
		case OPT_MALLOCSTATS:
			o->mallocstats = true;
			break;
		case OPT_RETAINED_ALLOCATED:
			o->allocated_retained = true;
			break;
		case OPT_SITES:
			if (!optarg || strcmp(optarg, "lineno") == 0)
				o->sites = 1;
			else if (strcmp(optarg, "traceback") == 0)
				o->sites = 2;
			else
				return usage_error("invalid --sites (lineno "
						   "or traceback)", optarg);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pyheapinspect %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return usage_error("invalid option", NULL);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!o->pid == !o->snapshot)
		return usage_error("one target is needed: -p PID or "
				   "--snapshot FILE", NULL);
	if (o->dump && strcmp(o->dump, "-") == 0 && o->json)
		return usage_error("--dump - and --json both want stdout",
				   NULL);
	if (o->dot && !o->analysis.nobjects && !o->analysis.nexprs)
		return usage_error("--dot draws the objects named with --expr "
				   "or --object: name one", NULL);
	c = check_growth_options(o);
	if (c >= 0)
		return c;
	return set_budget(o);
}

/* The decoder's progress: objects decoded of those found so far. */
static void decode_progress(uint64_t done, uint64_t seen)
{
	phi_progress_update(done, seen);
}

/* One line on stderr, escaped: paths and names come from the target. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char raw[1024], line[sizeof(raw) * PHI_ESCAPE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	phi_escape_text(line, sizeof(line), raw, strlen(raw), sizeof(raw),
			NULL);
	fprintf(stderr, "pyheapinspect: %s\n", line);
}

/* The debug files refused: a warning each when none was used (each is a
 * note of the report too), a -v line when another one was. */
static void report_debug_files(const struct phi_python *py, bool verbose)
{
	bool used = py->debug_path[0] != '\0';

	if (py->ndebug_refused)
		phi_progress_end();
	for (size_t i = 0; i < py->ndebug_refused; i++)
		if (!used || verbose)
			say("%s%s", used ? "" : "warning: ",
			    py->debug_refused[i]);
	if (verbose && used)
		say("debug file '%s' %s", py->debug_path, py->debug_note);
}

static void verbose_target(const struct phi_python *py)
{
	phi_progress_end();
	say("interpreter in '%s' (opened as '%s': %s), load bias 0x%" PRIx64,
	    py->object_path, py->open_path, py->object_note, py->bias);
	say("_PyRuntime at 0x%" PRIx64 ", version '%s'", py->runtime,
	    py->version.text);
	if (py->layout_source == PHI_LAYOUT_DWARF)
		say("layouts from DWARF in '%s' (%u fields from the built-in "
		    "table), %.1f ms", py->layout_path, py->layout_missing,
		    py->layout_ms);
	else
		say("no DWARF found: layouts from the built-in CPython %s "
		    "table", phi_python_version_name(py));
}

static void verbose_capture(const struct phi_capture *cap)
{
	fprintf(stderr, "pyheapinspect: paused %.2f ms (copy %.2f ms), "
		"copied %" PRIu64 " bytes in %" PRIu64 " syscalls\n",
		cap->pause_ms, cap->copy_ms, phi_image_copied(&cap->img),
		cap->img.syscalls);
	if (cap->pages)
		fprintf(stderr, "pyheapinspect: pages copied: %s%s%s; %.1f MiB "
			"of %.1f MiB mapped (%.1f MiB swapped out)\n",
			cap->pages, cap->pages_why[0] ? ": " : "",
			cap->pages_why, mib(cap->resident), mib(cap->mapped),
			mib(cap->swapped));
	if (cap->freeze_note[0])
		fprintf(stderr, "pyheapinspect: not frozen: %s\n",
			cap->freeze_note);
	if (cap->stragglers)
		fprintf(stderr, "pyheapinspect: %zu threads never stopped; "
			"detached when the freezing thread ended\n",
			cap->stragglers);
}

static bool collecting(const struct phi_runtime *rt)
{
	for (size_t i = 0; i < rt->ninterps; i++)
		if (rt->interps[i].gc_collecting)
			return true;
	return false;
}

/* What one run works on, from the source to the report. */
struct side_job;

struct run {
	struct phi_source src;
	struct phi_python py;
	struct phi_capture cap;
	struct phi_runtime rt;
	struct phi_report rep;
	struct phi_native_libc libc; /* libc's files, read before the copy */
	struct side_job *libc_job;   /* or beside it (libc_join) */
	const struct options *o;
	bool layout_joined;
	double gc_wait_ms;   /* waited for GC collections so far */
	/* The capture's summary and its growth against --baseline. */
	bool summary_only;         /* no report: the summary is the result */
	int64_t rss;               /* the target's VmRSS after the capture */
	struct phi_summary summary;
	bool have_summary;
	struct phi_growth growth;
	bool have_growth;
};

/* The layouts, resolved in their thread while the warm copy ran, taken
 * just before the freeze (see source.h): the thread never competes with
 * the frozen copy, and the look at the GC below needs them.  Nothing
 * before reads them: the warm copy works on addresses and lengths of
 * mappings only.  A layout error is the one reported, as when the
 * layouts were resolved before the capture. */
static int join_layout(struct run *r, struct phi_error *err)
{
	double t0 = phi_now_ms();
	int rc;

	if (r->layout_joined)
		return 0;
	r->layout_joined = true;
	phi_python_layout_wait(&r->py);
	rc = phi_python_layout_join(&r->py, err);
	r->rep.layout_wait_ms += phi_now_ms() - t0;
	r->rep.layout_ms = r->py.layout_ms;
	if (rc == 0 && r->o->verbose)
		verbose_target(&r->py);
	if (rc == 0)
		report_debug_files(&r->py, r->o->verbose);
	return rc;
}

/* A GC collection runs in the target: wait for its end, reading its
 * flag from the live process while it runs, GC_WAIT_MS in all for the
 * run. */
static int wait_gc(struct run *r, const struct phi_runtime *rt,
		   struct phi_error *err)
{
	struct timespec pause = { 0, GC_POLL_MS * 1000000L };
	double t0 = phi_now_ms();

	if (r->o->verbose) {
		phi_progress_end();
		fprintf(stderr, "pyheapinspect: process %d is inside a GC "
			"collection: waiting for its end\n", (int)r->src.pid);
	}
	for (;;) {
		bool busy = false;

		for (size_t i = 0; i < rt->ninterps; i++) {
			uint32_t flag = 0;
			int rc;

			if (!rt->interps[i].gc_collecting_addr)
				continue;
			rc = phi_source_read(&r->src,
					     rt->interps[i].gc_collecting_addr,
					     &flag, sizeof(flag), err);
			if (rc < 0)
				return rc;
			busy |= flag != 0;
		}
		if (!busy)
			break;
		if (r->gc_wait_ms + phi_now_ms() - t0 > GC_WAIT_MS)
			return phi_error_set(err, PHI_E_TIMEOUT,
					     "process %d stayed inside a GC "
					     "collection for %d ms: try again",
					     (int)r->src.pid, GC_WAIT_MS);
		nanosleep(&pause, NULL);
	}
	r->gc_wait_ms += phi_now_ms() - t0;
	return 0;
}

/* Just before a freeze: the layouts, then a look at the warm copy (torn,
 * but it says whether a collection runs); during one, wait for its end
 * and have the warm copy taken again. */
static void libc_join(struct run *r);

static int before_freeze(void *ctx, const struct phi_image *warm,
			 struct phi_error *err)
{
	struct run *r = ctx;
	struct phi_runtime rt;
	struct phi_error ignored;
	int rc = join_layout(r, err);

	/* libc's debug file, when it was read beside the warm copy, is
	 * done before the freeze: its thread would take a CPU from the
	 * frozen copy's two. */
	libc_join(r);

	if (rc < 0)
		return rc;
	if (phi_python_runtime(&r->py, warm, &rt, &ignored) < 0 ||
	    !collecting(&rt))
		return 0;
	rc = wait_gc(r, &rt, err);
	return rc < 0 ? rc : 1;
}

/* Capture; a collection that began between the look before the freeze
 * and the freeze is waited for too, and the target frozen again, at
 * most MAX_FREEZES times in all. */
static int capture_settled(struct run *r, const struct options *o,
			   struct phi_error *err)
{
	struct phi_capture_opts co = o->capture;

	co.before_freeze = before_freeze;
	co.before_freeze_ctx = r;
	for (int n = 1;; n++) {
		struct phi_error lerr;
		int rc = phi_source_capture(&r->src, &co, &r->cap, err);
		int lrc = join_layout(r, &lerr);

		r->cap.freezes = r->cap.frozen ? n : n - 1;
		if (lrc < 0) {
			*err = lerr;
			rc = lrc;
		}
		if (rc == 0)
			rc = phi_python_runtime(&r->py, &r->cap.img, &r->rt,
						err);
		if (rc < 0 || !collecting(&r->rt))
			return rc;
		if (n == MAX_FREEZES)
			return phi_error_set(err, PHI_E_TIMEOUT,
					     "process %d was inside a GC "
					     "collection at each of %d "
					     "freezes: try again",
					     (int)r->src.pid,
					     MAX_FREEZES);
		rc = wait_gc(r, &r->rt, err);
		phi_capture_release(&r->cap);
		if (rc < 0)
			return rc;
	}
}

static int write_dump(const struct options *o, const struct phi_heap *h,
		      const struct phi_node_sizes *allocated,
		      const struct phi_traces *t,
		      const struct phi_paths *p, struct phi_error *err)
{
	FILE *f = strcmp(o->dump, "-") == 0 ? stdout : fopen(o->dump, "we");
	int rc;

	if (!f)
		return phi_error_set(err, PHI_E_IO, "cannot create '%s': %s",
				     o->dump, strerror(errno));
	phi_progress_begin("writing the dump", PHI_PROGRESS_COUNT,
			   "objects");
	rc = phi_dump_jsonl_full(f, h, allocated, t, p, err);
	phi_progress_end();
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = phi_error_set(err, PHI_E_IO, "cannot write '%s': %s",
				   o->dump, strerror(errno));
	return rc;
}

typedef int (*picture_fn)(FILE *out, const struct phi_report *r,
			  const struct phi_domtree *t, struct phi_error *err);

/* One of the pictures into path, created anew. */
static int write_picture(const char *path, const char *what, picture_fn fn,
			 const struct phi_report *rep,
			 const struct phi_domtree *t, struct phi_error *err)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (!f)
		return phi_error_set(err, PHI_E_IO, "cannot create '%s': %s",
				     path, strerror(errno));
	phi_progress_begin(what, PHI_PROGRESS_COUNT, "lines");
	rc = fn(f, rep, t, err);
	phi_progress_end();
	if (fclose(f) != 0 && rc == 0)
		rc = phi_error_set(err, PHI_E_IO, "cannot write '%s': %s",
				   path, strerror(errno));
	return rc;
}

/* --html, --folded, --dot: the dominator tree's child lists, built once
 * for all three. */
static int write_pictures(const struct options *o, const struct phi_report *rep,
			  struct phi_error *err)
{
	struct phi_domtree t;
	int rc;

	if (!o->html && !o->folded && !o->dot)
		return 0;
	phi_progress_begin("building the dominator tree", PHI_PROGRESS_COUNT,
			   NULL);
	rc = phi_domtree_build(&t, &rep->analysis->retained.dom,
			       rep->heap->g.n, err);
	phi_progress_end();
	if (rc < 0)
		return rc;
	if (o->html)
		rc = write_picture(o->html, "writing the HTML report",
				   phi_report_html, rep, &t, err);
	if (rc == 0 && o->folded)
		rc = write_picture(o->folded, "writing the folded stacks",
				   phi_report_folded, rep, &t, err);
	if (rc == 0 && o->dot)
		rc = write_picture(o->dot, "writing the DOT graph",
				   phi_report_dot, rep, &t, err);
	phi_domtree_release(&t);
	return rc;
}

/* A key for the duplicates' hash that the target cannot guess. */
static uint64_t random_key(void)
{
	uint64_t k = 0;
	FILE *f = fopen("/dev/urandom", "re");

	if (!f || fread(&k, sizeof(k), 1, f) != 1)
		k = (uint64_t)phi_now_ms() * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)getpid();
	if (f)
		fclose(f);
	return k;
}

/* tracemalloc's traces.  Not tracing is no gap: the report says so in
 * one line.  Tracing but unreadable (or torn) is a gap when --sites asked
 * for them, a note otherwise. */
static int read_traces(const struct options *o, struct phi_python *py,
		       struct phi_heap *h, struct phi_traces *t,
		       struct phi_error *err)
{
	/* Only the one line when nothing asks for the traces themselves
	 * (a capture summary keeps the lines: --save-summary, --baseline,
	 * --watch and a baseline's own capture). */
	bool summary = !o->json && !o->sites && !o->dump &&
		       !o->save_summary && !o->baseline && !o->watch_s &&
		       !o->analysis.nobjects && !o->analysis.nexprs;
	int rc = phi_heap_traces(h, summary, t, err);

	if (rc < 0)
		return rc;
	if (o->verbose && t->state == PHI_TRACES_READ && t->summary)
		fprintf(stderr, "pyheapinspect: tracemalloc: %" PRIu64
			" traces counted, none read (nothing asks for them; "
			"tables found in %s)\n", t->ntraces, t->symbols);
	else if (o->verbose && t->state == PHI_TRACES_READ)
		fprintf(stderr, "pyheapinspect: tracemalloc: %" PRIu64
			" traces, %zu tracebacks read in %.1f ms (tables "
			"found in %s)\n", t->ntraces, t->ntb, t->ms,
			t->symbols);
	else if (o->verbose)
		fprintf(stderr, "pyheapinspect: tracemalloc: %s\n", t->note);
	if (t->state == PHI_TRACES_UNAVAILABLE ||
	    t->state == PHI_TRACES_BROKEN || t->torn)
		phi_gap_add(o->sites ? &h->gaps : &py->notes,
			    "allocation sites", -1, -1, "%s%s", t->torn ?
			    "approximate: " : "unavailable: ", t->note);
	return 0;
}

/* What the memory section is made of, beside the heap. */
struct mem_parts {
	struct phi_pymemory py;
	struct phi_malloc mal;
	struct phi_memory mem;
	struct phi_node_sizes alloc;
	const struct phi_node_sizes *allocated; /* &alloc once computed */
	bool have_py, have_mem;
};

static void copy_gaps(struct phi_gaps *to, const struct phi_gaps *from)
{
	for (size_t i = 0; i < from->n; i++)
		phi_gap_add(to, from->v[i].what, from->v[i].objects,
			    from->v[i].bytes, "%s", from->v[i].why);
	to->dropped += from->dropped;
}

/* pymalloc, free lists, GC state and the C library's memory, from the
 * image (before the heap: none of it needs the graph). */
static int memory_before(struct run *r, struct mem_parts *mp,
			 struct phi_error *err)
{
	const struct phi_pymalloc *pm = &mp->py.pymalloc;
	struct phi_native_range *ex;
	int rc = phi_python_memory(&r->py, &r->cap.img, &r->rt, &mp->py, err);

	if (rc < 0)
		return rc;
	mp->have_py = true;
	ex = calloc(pm->narenas ? pm->narenas : 1, sizeof(*ex));
	if (!ex)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; pm->arenas && i < pm->narenas; i++)
		ex[i] = (struct phi_native_range){ pm->arenas[i].start,
						   pm->arenas[i].end };
	rc = phi_native_read(&mp->mal, &r->src, &r->cap.img, &r->libc, ex,
			     pm->arenas ? pm->narenas : 0, err);
	free(ex);
	return rc;
}

/* Allocated sizes once the heap is built. */
static int memory_allocated(struct run *r, const struct phi_heap *h,
			    struct mem_parts *mp, struct phi_error *err)
{
	struct phi_block_sizer sizer = { phi_native_block_size, &r->cap.img };
	int rc = phi_heap_allocated(h, &mp->py, &sizer, &mp->alloc, err);

	if (rc == 0)
		mp->allocated = &mp->alloc;
	return rc;
}

/* A part of the memory section run on the second CPU beside work that
 * uses one: memory_before beside the heap's build, the allocated sizes
 * beside the analyses (whose duplicates finder shares that CPU).  Each
 * only reads the image, the interpreter's description, the mappings and
 * the graph, which nothing writes meanwhile, and fills its own part of
 * mem_parts. */
struct side_job {
	int (*fn)(struct side_job *j);
	struct run *r;
	struct mem_parts *mp;
	const struct phi_heap *h;
	struct phi_error err;
	int rc;
	pthread_t th;
	bool threaded;
};

static int job_memory_before(struct side_job *j)
{
	return memory_before(j->r, j->mp, &j->err);
}

static int job_libc(struct side_job *j)
{
	phi_native_prepare_finish(&j->r->libc, &j->r->src);
	return 0;
}

static int job_allocated(struct side_job *j)
{
	return memory_allocated(j->r, j->h, j->mp, &j->err);
}

static void *side_job_run(void *arg)
{
	struct side_job *j = arg;

	j->rc = j->fn(j);
	return NULL;
}

/* With every signal blocked, so that they reach the main thread, where
 * the handlers expect to run; inline when no thread can be had. */
static void side_job_start(struct side_job *j, int (*fn)(struct side_job *),
			   struct run *r, struct mem_parts *mp,
			   const struct phi_heap *h)
{
	sigset_t all, old;

	memset(j, 0, sizeof(*j));
	j->fn = fn;
	j->r = r;
	j->mp = mp;
	j->h = h;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	j->threaded = pthread_create(&j->th, NULL, side_job_run, j) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!j->threaded)
		side_job_run(j);
}

/* Its result comes first: it ran first when it was not in a thread,
 * and its error was the one reported. */
static int side_job_join(struct side_job *j, int rc, struct phi_error *err)
{
	if (j->threaded)
		pthread_join(j->th, NULL);
	if (j->rc < 0) {
		*err = j->err;
		return j->rc;
	}
	return rc;
}

/* libc's debug file takes about 12 MiB while it is read (bigger than
 * the graph of a small heap), so it is read before the copy; beside the
 * copy only when the target is large enough that the image, graph and
 * analyses that follow weigh far more: from this RSS. */
#define LIBC_BESIDE_COPY ((int64_t)64 << 20)

static int64_t target_rss(const struct options *o, const struct run *r);

static void libc_start(const struct options *o, struct run *r)
{
	phi_native_prepare_begin(&r->libc, &r->src);
	if (target_rss(o, r) >= LIBC_BESIDE_COPY &&
	    (r->libc_job = malloc(sizeof(*r->libc_job))) != NULL) {
		side_job_start(r->libc_job, job_libc, r, NULL, NULL);
		return;
	}
	phi_native_prepare_finish(&r->libc, &r->src);
}

/* Before anything reads r->libc, and before the source is closed. */
static void libc_join(struct run *r)
{
	struct phi_error unused = { 0 };

	if (!r->libc_job)
		return;
	side_job_join(r->libc_job, 0, &unused);
	free(r->libc_job);
	r->libc_job = NULL;
}

/* The breakdown, once the analyses ran; its gaps join the report's. */
static int memory_after(struct run *r, struct phi_heap *h,
			const struct phi_analysis *an, struct mem_parts *mp,
			size_t top, struct phi_error *err)
{
	int rc = phi_memory_run(&mp->mem, h, an, r->cap.rss, &mp->py,
				&mp->mal, mp->allocated, top, err);

	if (rc < 0)
		return rc;
	mp->have_mem = true;
	/* What pymalloc's figures lack (three counters a stripped build
	 * hides) is shown as unknown in the memory section: a note here,
	 * a gap of --mallocstats, which promises the exact text. */
	copy_gaps(&r->py.notes, &mp->py.gaps);
	copy_gaps(&h->gaps, &mp->mal.gaps);
	copy_gaps(&h->gaps, &mp->mem.gaps);
	r->rep.memory = &mp->mem;
	return 0;
}

static void memory_release(struct mem_parts *mp)
{
	if (mp->have_mem)
		phi_memory_release(&mp->mem);
	phi_native_release(&mp->mal);
	if (mp->have_py)
		phi_pymemory_release(&mp->py);
	if (mp->allocated)
		phi_node_sizes_release(&mp->alloc);
}

/* ---- Summaries and growth (--save-summary, --baseline, --watch) */

/* VmRSS of the target in bytes, -1 for a snapshot or when unknown. */
static int64_t target_rss(const struct options *o, const struct run *r)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	if (o->snapshot)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)r->src.pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : (int64_t)kb * 1024;
}

/* When the capture was taken: now, or a snapshot file's time. */
static int64_t captured_at(const struct options *o)
{
	struct stat st;

	if (o->snapshot && stat(o->snapshot, &st) == 0)
		return (int64_t)st.st_mtime;
	return (int64_t)time(NULL);
}

/* The summary of the capture just analysed, when anything needs it, and
 * its growth against the baseline. */
static int summarise(const struct options *o, struct run *r,
		     const struct phi_heap *heap,
		     const struct phi_analysis *an, struct phi_error *err)
{
	struct phi_summary_info info = { 0 };
	char host[256] = "", ver[32];
	int rc;

	if (!o->save_summary && !o->base && !r->summary_only)
		return 0;
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	snprintf(ver, sizeof(ver), "%d.%d.%d", r->py.version.major,
		 r->py.version.minor, r->py.version.micro);
	info.pid = r->src.pid;
	info.python_version = ver;
	info.host = host;
	info.source = o->snapshot ? "snapshot" : "process";
	info.captured_at = captured_at(o);
	info.rss = r->rss;
	info.complete = phi_report_gaps(&r->rep) == 0;
	info.memory = r->rep.memory;
	rc = phi_summary_build(&r->summary, heap, an, &info, err);
	if (rc < 0)
		return rc;
	r->have_summary = true;
	if (!o->base || r->summary_only)
		return 0;
	rc = phi_growth_compare(&r->growth, o->base, &r->summary,
				o->analysis.suspect_share, o->top, err);
	if (rc < 0)
		return rc;
	r->have_growth = true;
	r->rep.growth = &r->growth;
	return 0;
}

static void release_summary(struct run *r)
{
	if (r->have_growth)
		phi_growth_release(&r->growth);
	if (r->have_summary)
		phi_summary_release(&r->summary);
	r->have_growth = r->have_summary = false;
	r->rep.growth = NULL;
}

static int analyse_and_report(const struct options *o, struct run *r,
			      struct phi_error *err)
{
	struct mem_parts *mem = calloc(1, sizeof(*mem));
	struct phi_small_ints si;
	struct phi_heap heap;
	struct phi_traces traces = { 0 };
	struct phi_analysis an;
	struct phi_analysis_opts opts = o->analysis;
	struct phi_heap_opts hopts = { 0 };
	const struct phi_image *img = &r->cap.img;
	struct side_job job;
	int rc;

	memset(&an, 0, sizeof(an));
	memset(&heap, 0, sizeof(heap));
	if (!mem)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	r->rss = target_rss(o, r);
	opts.top = o->top;
	opts.dups_key = random_key();
	hopts.progress = phi_progress_enabled() ? decode_progress : NULL;
	/* The live process's files: its extension modules' DWARF. */
	hopts.src = r->rep.from_snapshot ? NULL : &r->src;
	/* The graph and the analyses are bounded by the memory budget
	 * (base/budget.h): an allocation past it fails.  What the DWARF
	 * readers freed goes back first (bigmem.h). */
	libc_join(r);
	phi_big_malloc_trim();
	rc = phi_python_small_ints(&r->py, img, &r->rt, &si, err);
	if (rc < 0) {
		memory_release(mem);
		free(mem);
		return rc;
	}
	side_job_start(&job, job_memory_before, r, mem, NULL);
	phi_progress_begin("decoding objects", PHI_PROGRESS_COUNT, "found");
	rc = phi_heap_build(&heap, &r->py, img, &r->rt, &hopts, err);
	phi_progress_end();
	rc = side_job_join(&job, rc, err);
	if (rc == 0 && o->verbose)
		fprintf(stderr, "pyheapinspect: %" PRIu64 " objects, %" PRIu64
			" edges decoded in %.1f ms; graph uses %.1f MiB\n",
			heap.stats.objects, heap.g.nedges, heap.build_ms,
			(double)phi_graph_memory(&heap.g) / (1 << 20));
	/* The build's grown and freed arrays, before the analyses' peak. */
	phi_big_malloc_trim();
	/* The allocated sizes beside the analyses, unless the retained
	 * sizes are counted in them. */
	if (rc == 0 && o->allocated_retained) {
		rc = memory_allocated(r, &heap, mem, err);
		opts.retained_sizes = mem->allocated;
	}
	job.threaded = false;
	job.rc = 0;
	if (rc == 0 && !o->allocated_retained)
		side_job_start(&job, job_allocated, r, mem, &heap);
	if (rc == 0)
		rc = read_traces(o, &r->py, &heap, &traces, err);
	opts.traces = &traces;
	opts.sites_by_traceback = o->sites == 2;
	if (rc == 0)
		rc = phi_analysis_run(&an, &heap, &opts, err);
	phi_progress_end();
	rc = side_job_join(&job, rc, err);
	if (rc == 0)
		rc = memory_after(r, &heap, &an, mem, o->top, err);
	if (rc == 0 && o->verbose)
		fprintf(stderr, "pyheapinspect: analyses took %.1f ms\n",
			an.ms);
	if (rc == 0)
		rc = summarise(o, r, &heap, &an, err);
	if (rc == 0 && o->dump)
		rc = write_dump(o, &heap, mem->allocated, &traces, &an.paths,
				err);
	r->rep.small_ints = &si;
	r->rep.heap = &heap;
	r->rep.analysis = &an;
	r->rep.traces = &traces;
	r->rep.sites = o->sites;
	/* --watch's later captures only feed the growth lines. */
	if (rc == 0 && !r->summary_only)
		rc = write_pictures(o, &r->rep, err);
	if (rc == 0 && !r->summary_only) {
		r->rep.total_ms = phi_now_ms() - r->rep.t0;
		rc = o->json ? phi_report_json(stdout, &r->rep, err) :
			       phi_report_text(stdout, &r->rep, err);
	}
	if (rc == 0 && o->save_summary && !r->summary_only)
		rc = phi_summary_save(o->save_summary, &r->summary, err);
	/* The report is out, but it must not pass for a whole one. */
	if (rc == 0 && !r->summary_only && phi_report_gaps(&r->rep))
		rc = phi_error_set(err, PHI_E_INCOMPLETE, "the report is "
				   "incomplete: %zu parts are missing (listed "
				   "under INCOMPLETE, or 'incomplete' in the "
				   "JSON)", phi_report_gaps(&r->rep));
	r->rep.memory = NULL;
	phi_analysis_release(&an);
	phi_traces_release(&traces);
	phi_heap_release(&heap);
	if (o->verbose)
		fprintf(stderr, "pyheapinspect: memory: peak %.1f MiB "
			"resident, %.1f MiB of it counted by the budget "
			"(peak)\n",
			mib(phi_budget_peak_rss()), mib(phi_budget_peak()));
	memory_release(mem);
	free(mem);
	return rc;
}

static void gaps_to_stderr(const struct phi_gaps *g, size_t *n)
{
	for (size_t i = 0; i < g->n; i++)
		fprintf(stderr, "pyheapinspect: INCOMPLETE: %s: %s\n",
			g->v[i].what, g->v[i].why);
	*n += phi_gaps_count(g);
}

/* --mallocstats: the text alone on stdout, what it lacks on stderr. */
static int mallocstats(struct run *r, struct phi_error *err)
{
	struct phi_pymemory m;
	size_t ngaps = 0;
	int rc = phi_python_memory(&r->py, &r->cap.img, &r->rt, &m, err);

	if (rc == 0)
		rc = phi_report_mallocstats(stdout, &m, err);
	if (rc == 0) {
		gaps_to_stderr(&r->cap.gaps, &ngaps);
		gaps_to_stderr(&r->py.gaps, &ngaps);
		gaps_to_stderr(&m.gaps, &ngaps);
		if (ngaps)
			rc = phi_error_set(err, PHI_E_INCOMPLETE, "the "
					   "statistics are incomplete: %zu "
					   "parts are missing", ngaps);
	}
	phi_pymemory_release(&m);
	return rc;
}

static int save_snapshot(const struct options *o, struct run *r,
			 struct phi_error *err)
{
	struct phi_record rec;
	int rc;

	phi_record_init(&rec);
	rc = phi_python_export(&r->py, &rec, err);
	phi_progress_begin("saving the snapshot", PHI_PROGRESS_BYTES, NULL);
	if (rc == 0)
		rc = phi_snapshot_save(o->save_snapshot, r->src.pid, &rec,
				       &r->cap, err);
	phi_progress_end();
	phi_record_release(&rec);
	return rc;
}

/* From the live process: locate, then resolve the layouts in a thread
 * while the target's memory is copied. */
static int acquire_live(const struct options *o, struct run *r,
			struct phi_error *err)
{
	int rc = phi_process_open(&r->src, o->pid, err);

	if (rc == 0)
		rc = phi_python_locate(&r->py, &r->src, err);
	if (rc < 0)
		return rc;
	r->py.debug_dirs = o->debug_dirs;
	r->py.ndebug_dirs = o->ndebug_dirs;
	phi_python_layout_start(&r->py);
	/* libc's debug file while the layouts resolve in their thread,
	 * before the copy or beside it (libc_start; the memory section
	 * needs it, --mallocstats does not). */
	if (!o->mallocstats)
		libc_start(o, r);
	rc = capture_settled(r, o, err);
	phi_progress_end();
	if (rc == 0)
		rc = phi_python_statics(&r->py, &r->cap.img, &r->rt, err);
	if (rc < 0)
		return rc;
	r->rep.captured_at = time(NULL);
	if (o->verbose)
		fprintf(stderr, "pyheapinspect: symbols from %s\n",
			r->py.symbols_note);
	if (o->verbose)
		verbose_capture(&r->cap);
	return 0;
}

/* From a saved snapshot: its description, then its image. */
static int acquire_saved(const struct options *o, struct run *r,
			 struct phi_error *err)
{
	int rc;

	phi_progress_begin("reading the snapshot", PHI_PROGRESS_BYTES, NULL);
	rc = phi_snapshot_open(&r->src, o->snapshot, o->max_memory, err);
	phi_progress_end();
	r->rep.from_snapshot = true;

	if (rc == 0) {
		rc = phi_python_import(&r->py, &r->src.record, err);
		/* Its message is about the description: say whose. */
		if (rc < 0) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			phi_error_set(err, err->code, "snapshot '%.200s': %.300s",
				      o->snapshot, msg);
		}
	}
	if (rc == 0)
		rc = phi_source_capture(&r->src, &o->capture, &r->cap, err);
	if (rc == 0)
		rc = phi_python_runtime(&r->py, &r->cap.img, &r->rt, err);
	if (rc == 0)
		rc = phi_python_statics(&r->py, &r->cap.img, &r->rt, err);
	return rc;
}

static int budget_failure(const struct run *r, struct phi_error *err)
{
	char was[sizeof(err->msg)];

	snprintf(was, sizeof(was), "%s", err->msg);
	return phi_error_set(err, PHI_E_NO_MEMORY, "%.300s, after %.1f MiB "
			     "of the target's memory were left out of the "
			     "copy for lack of memory budget (%.0f MiB, %s): "
			     "raise --max-memory", was,
			     mib(r->cap.img.skipped), mib(r->o->max_memory),
			     r->o->memory_from);
}

/* What the report shows of a run, once it is acquired. */
static void link_report(struct run *r)
{
	r->rep.pid = r->src.pid;
	r->rep.python = &r->py;
	r->rep.capture = &r->cap;
	r->rep.runtime = &r->rt;
}

/* Everything a run holds, in the order its parts depend on each other
 * (libc's reader uses the source). */
static void run_free(struct run *r)
{
	release_summary(r);
	libc_join(r);
	phi_capture_release(&r->cap);
	phi_python_close(&r->py);
	phi_source_close(&r->src);
	free(r);
}

static int run(const struct options *o, struct phi_error *err)
{
	struct run *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	r->rep.t0 = phi_now_ms();
	r->o = o;
	rc = o->snapshot ? acquire_saved(o, r, err) : acquire_live(o, r, err);
	if (rc == 0 && o->test_hold_after_ms > 0) {
		struct timespec hold = { o->test_hold_after_ms / 1000,
					 (o->test_hold_after_ms % 1000) *
						 1000000L };

		nanosleep(&hold, NULL);
	}
	if (rc == 0 && o->save_snapshot)
		rc = save_snapshot(o, r, err);
	if (rc == 0) {
		link_report(r);
		r->rep.list_small_ints = o->small_ints;
		r->rep.memory_from = o->max_memory ? o->memory_from : NULL;
		r->rep.top = o->top;
		rc = o->mallocstats ? mallocstats(r, err) :
				      analyse_and_report(o, r, err);
	}
	/* A failure after a copy cut short by the budget is most likely
	 * its consequence (a structure in memory not copied). */
	if (rc < 0 && rc != -PHI_E_NO_MEMORY && rc != -PHI_E_INCOMPLETE &&
	    r->cap.img.nskipped)
		rc = budget_failure(r, err);
	run_free(r);
	return rc;
}

/* One capture analysed into a summary only, with no report: a baseline
 * snapshot, or a capture of --watch.  *pause_ms: how long the target
 * was stopped. */
static int capture_summary(const struct options *o, struct phi_summary *out,
			   double *pause_ms, struct phi_error *err)
{
	struct run *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	r->summary_only = true;
	r->rep.t0 = phi_now_ms();
	r->o = o;
	rc = o->snapshot ? acquire_saved(o, r, err) : acquire_live(o, r, err);
	if (rc == 0) {
		link_report(r);
		rc = analyse_and_report(o, r, err);
	}
	if (rc == 0) {
		*out = r->summary;
		r->have_summary = false;
		*pause_ms = r->cap.pause_ms;
	}
	run_free(r);
	return rc;
}

/* --baseline: a summary file, or a snapshot analysed here. */
static int load_baseline(const struct options *o, struct phi_summary *base,
			 struct phi_error *err)
{
	struct options bo = *o;
	bool is_summary = false;
	double pause = 0;
	int rc = phi_summary_sniff(o->baseline, &is_summary, err);

	if (rc < 0)
		return rc;
	if (is_summary)
		return phi_summary_load(o->baseline, base, err);
	bo.pid = 0;
	bo.snapshot = o->baseline;
	bo.save_snapshot = bo.save_summary = bo.dump = NULL;
	bo.analysis.nobjects = bo.analysis.nexprs = 0;
	bo.base = NULL;
	return capture_summary(&bo, base, &pause, err);
}

static volatile sig_atomic_t watch_stop;

static void on_watch_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* Sleep s seconds unless SIGINT comes first. */
static void watch_sleep(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) *
						1e9) };

	while (!watch_stop && nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

struct watch {
	const struct options *o;
	struct phi_summary first, prev;
	const struct phi_summary *firstp; /* first, or the baseline */
	bool have_first, have_prev;
	unsigned captures;
	bool incomplete;
};

/* One capture, its line, and the summaries kept for the next.  SIGINT
 * is held while the target may be frozen: the capture ends (and thaws
 * the target) within its usual bound, then the loop ends. */
static int watch_step(struct watch *w, struct phi_error *err)
{
	const struct options *o = w->o;
	struct phi_summary now;
	struct phi_growth gf, gp;
	struct phi_watch_step step = { 0 };
	bool have_gf = false, have_gp = false;
	sigset_t set, old;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	rc = capture_summary(o, &now, &step.pause_ms, err);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		return rc;
	w->captures++;
	w->incomplete |= !now.complete;
	if (w->firstp)
		rc = phi_growth_compare(&gf, w->firstp, &now,
					o->analysis.suspect_share, o->top,
					err);
	have_gf = w->firstp && rc == 0;
	if (rc == 0 && w->have_prev)
		rc = phi_growth_compare(&gp, &w->prev, &now,
					o->analysis.suspect_share, o->top,
					err);
	have_gp = w->have_prev && rc == 0;
	step.capture = w->captures;
	step.now = &now;
	step.since_first = have_gf ? &gf : NULL;
	step.since_previous = have_gp ? &gp : NULL;
	if (rc == 0 && o->json)
		rc = phi_watch_json(stdout, &step, err);
	else if (rc == 0)
		phi_watch_text(stdout, &step);
	if (have_gf)
		phi_growth_release(&gf);
	if (have_gp)
		phi_growth_release(&gp);
	if (!w->firstp) {
		w->first = now;
		w->have_first = true;
		w->firstp = &w->first;
		return rc;
	}
	if (w->have_prev)
		phi_summary_release(&w->prev);
	w->prev = now;
	w->have_prev = true;
	return rc;
}

/* The full comparison of the last capture with the first. */
static int watch_end(struct watch *w, const char *reason,
		     struct phi_error *err)
{
	const struct options *o = w->o;
	struct phi_growth g;
	bool have = false;
	int rc = 0;

	if (w->have_prev || (w->have_first && o->base)) {
		const struct phi_summary *last = w->have_prev ? &w->prev :
							       &w->first;

		rc = phi_growth_compare(&g, o->base ? o->base : &w->first,
					last, o->analysis.suspect_share,
					o->top, err);
		have = rc == 0;
	}
	if (rc == 0 && o->json)
		rc = phi_watch_end_json(stdout, have ? &g : NULL, w->captures,
					reason, err);
	else if (rc == 0)
		phi_watch_end_text(stdout, have ? &g : NULL, w->captures,
				   reason, o->top);
	if (have)
		phi_growth_release(&g);
	if (rc == 0 && o->save_summary && (w->have_prev || w->have_first))
		rc = phi_summary_save(o->save_summary,
				      w->have_prev ? &w->prev : &w->first,
				      err);
	return rc;
}

static int watch(const struct options *o, struct phi_error *err)
{
	struct watch w = { .o = o, .firstp = o->base };
	struct sigaction sa, old;
	const char *reason = "count";
	struct phi_error step_err = { 0 };
	int rc = 0, step_rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_watch_signal;
	sigemptyset(&sa.sa_mask);
	/* A second Ctrl-C (outside a capture) ends the tool outright. */
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, &old);
	for (;;) {
		step_rc = watch_step(&w, &step_err);
		if (step_rc < 0) {
			reason = "error";
			break;
		}
		if (o->count && w.captures >= (unsigned long)o->count)
			break;
		if (!watch_stop)
			watch_sleep(o->watch_s);
		if (watch_stop) {
			reason = "interrupted";
			break;
		}
	}
	if (w.captures)
		rc = watch_end(&w, reason, err);
	if (w.have_first)
		phi_summary_release(&w.first);
	if (w.have_prev)
		phi_summary_release(&w.prev);
	sigaction(SIGINT, &old, NULL);
	if (step_rc < 0) {
		*err = step_err;
		return step_rc;
	}
	if (rc == 0 && w.incomplete)
		rc = phi_error_set(err, PHI_E_INCOMPLETE, "some captures were "
				   "incomplete ('complete' is false in their "
				   "lines): run once without --watch to see "
				   "what is missing");
	return rc;
}

/* The run, with its baseline loaded first when there is one, or the
 * watch loop. */
static int run_or_watch(struct options *o, struct phi_error *err)
{
	struct phi_summary base;
	int rc;

	if (o->baseline) {
		rc = load_baseline(o, &base, err);
		if (rc < 0)
			return rc;
		o->base = &base;
	}
	rc = o->watch_s ? watch(o, err) : run(o, err);
	if (o->base)
		phi_summary_release(&base);
	o->base = NULL;
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct phi_error err = { 0 };
	int rc = parse_options(argc, argv, &o);

	if (rc >= 0) {
		free(o.objects);
		free(o.exprs);
		free(o.debug_dirs);
		return rc;
	}
	phi_freeze_install_signal_handlers();
	phi_big_malloc_policy();
	phi_progress_start(isatty(STDERR_FILENO));
	if (o.verbose)
		fprintf(stderr, "pyheapinspect: memory budget %.0f MiB (%s), "
			"of which %.1f MiB fixed\n", mib(o.max_memory),
			o.max_memory ? o.memory_from : "none",
			mib(phi_budget_fixed()));
	rc = run_or_watch(&o, &err) < 0 ? fail(&err, &o) : 0;
	free(o.objects);
	free(o.exprs);
	free(o.debug_dirs);
	return rc;
}
