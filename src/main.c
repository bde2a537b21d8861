/* pyheapinspect: options, wiring, and the only place that prints errors
 * and chooses exit codes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "pyheapinspect/analysis.h"
#include "pyheapinspect/capture.h"
#include "pyheapinspect/dump.h"
#include "pyheapinspect/freeze.h"
#include "pyheapinspect/heap.h"
#include "pyheapinspect/report.h"
#include "pyheapinspect/runtime.h"
#include "pyheapinspect/smallints.h"
#include "pyheapinspect/snapshot.h"
#include "pyheapinspect/target.h"

/* A GC collection in progress rewires the GC lists: wait for its end. */
#define GC_RETRIES 100
#define GC_RETRY_MS 50
/* The tool's own memory per object of the target, graph and analyses
 * (docs/architecture.md), for --max-memory. */
#define BYTES_PER_OBJECT 150

struct options {
	pid_t pid;
	bool json;
	bool verbose;
	bool small_ints;
	size_t top;
	const char *dump;
	const char **objects, **exprs;
	uint64_t max_memory;
	const char *snapshot;      /* analyse a saved snapshot, not a pid */
	const char *save_snapshot; /* and/or save the capture */
	struct phi_analysis_opts analysis;
	struct phi_capture_opts capture;
};

enum {
	OPT_JSON = 256, OPT_SMALL_INTS, OPT_TOP, OPT_DUMP, OPT_OBJECT,
	OPT_EXPR, OPT_SUSPECT, OPT_MAX_PAUSE, OPT_NO_FREEZE, OPT_MAX_MEMORY,
	OPT_SNAPSHOT, OPT_SAVE_SNAPSHOT,
};

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "small-ints", no_argument, NULL, OPT_SMALL_INTS },
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
		"      --object ADDR name an object by address (repeatable)\n"
		"      --expr EXPR   name an object as MODULE:NAME[.ATTR|[KEY]]..."
		"\n                    (repeatable): deep and retained size, "
		"path to a root\n"
		"      --suspect-share PCT\n"
		"                    leak suspects retain more than PCT%% of "
		"the heap (10)\n"
		"      --max-pause MS\n"
		"                    thaw the target after MS milliseconds and "
		"finish\n"
		"                    reading while it runs (1000)\n"
		"      --no-freeze   never stop the target (torn reads are "
		"counted)\n"
		"      --max-memory SIZE\n"
		"                    refuse cleanly to use more (e.g. 512M, "
		"4G)\n"
		"      --save-snapshot FILE\n"
		"                    also save what was copied, to analyse "
		"later\n"
		"      --snapshot FILE\n"
		"                    analyse a saved snapshot instead of a "
		"process\n"
		"      --small-ints  list the small-int cache (-5..256)\n"
		"  -v, --verbose     say where symbols and layouts came from\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n\n"
		"Exit status: 0 success, 2 usage, 3 no such process, "
		"4 permission denied,\n5 not Python, 6 not CPython 3.10, "
		"7 symbols missing, 8 target exited,\n9-15 other errors "
		"(see pyheapinspect(1)).\n");
}

static int fail(const struct phi_error *err)
{
	fprintf(stderr, "pyheapinspect: %s\n", err->msg);
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
	if (!o->objects || !o->exprs) {
		fprintf(stderr, "pyheapinspect: out of memory\n");
		return phi_error_exit_status(PHI_E_NO_MEMORY);
	}
	o->analysis.objects = o->objects;
	o->analysis.exprs = o->exprs;
	o->capture.attach_timeout_ms = 2000;
	o->capture.max_pause_ms = 1000;
	o->capture.test_hold_ms = hold ? atoi(hold) : 0;
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
			o->capture.max_bytes = o->max_memory;
			break;
		case OPT_SNAPSHOT:
			o->snapshot = optarg;
			break;
		case OPT_SAVE_SNAPSHOT:
			o->save_snapshot = optarg;
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
	if (!o->max_memory) {
		o->max_memory = phi_default_memory_limit();
		o->capture.max_bytes = o->max_memory;
	}
	if (o->dump && strcmp(o->dump, "-") == 0 && o->json)
		return usage_error("--dump - and --json both want stdout",
				   NULL);
	return -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double progress_t0;
static bool progress_shown;

/* On a terminal only, and only for work that takes over a second. */
static void progress(uint64_t done, uint64_t seen)
{
	if (now_ms() - progress_t0 < 1000)
		return;
	fprintf(stderr, "\rpyheapinspect: %" PRIu64 " objects decoded, %"
		PRIu64 " found...", done, seen);
	progress_shown = true;
}

static void progress_end(void)
{
	if (progress_shown)
		fprintf(stderr, "\r\033[K");
	progress_shown = false;
}

static void verbose_target(const struct phi_target *t, double layout_ms)
{
	fprintf(stderr, "pyheapinspect: interpreter in '%s' (opened as '%s'), "
		"load bias 0x%" PRIx64 "\n", t->object_path, t->open_path,
		t->bias);
	fprintf(stderr, "pyheapinspect: _PyRuntime at 0x%" PRIx64
		", version '%s'\n", t->sym[PHI_S_RUNTIME], t->version.text);
	if (t->layout.source == PHI_LAYOUT_DWARF)
		fprintf(stderr, "pyheapinspect: layouts from DWARF in '%s' "
			"(%u fields from the built-in table), %.1f ms\n",
			t->layout.dwarf_path, t->layout.missing, layout_ms);
	else
		fprintf(stderr, "pyheapinspect: no DWARF found: layouts from "
			"the built-in CPython 3.10 table\n");
}

static bool collecting(const struct phi_runtime *rt)
{
	for (size_t i = 0; i < rt->ninterps; i++)
		if (rt->interps[i].gc_collecting)
			return true;
	return false;
}

/* The layout thread must end before the freeze (see capture.h). */
struct layout_wait {
	struct phi_layout_job *job;
	struct phi_report *rep;
};

static void wait_layout_thread(void *ctx)
{
	struct layout_wait *w = ctx;
	double t0 = now_ms();

	phi_target_layout_wait(w->job);
	w->rep->layout_wait_ms += now_ms() - t0;
}

/* The layouts, resolved in their thread while the first capture ran.
 * Nothing before phi_runtime_read reads them: the warm copy, the freeze,
 * the maps and the frozen copy work on addresses and lengths of
 * mappings only.  A layout error is the one reported, as when the layouts
 * were resolved before the capture. */
static int await_layout(struct phi_target *t, const struct options *o,
			struct phi_layout_job *job, struct phi_report *rep,
			int capture_rc, struct phi_error *err)
{
	double t0 = now_ms();
	int rc = phi_target_layout_join(t, job, err);

	rep->layout_wait_ms += now_ms() - t0;
	rep->layout_ms = job->ms;
	if (rc < 0)
		return rc;
	if (o->verbose)
		verbose_target(t, rep->layout_ms);
	return capture_rc;
}

/* Capture, and capture again while the target is inside a GC
 * collection (its lists are rewired then).  The layout job is joined
 * after the first capture, whether it succeeded or not. */
static int capture_settled(struct phi_target *t, const struct options *o,
			   struct phi_layout_job *job, struct phi_capture *cap,
			   struct phi_runtime *rt, struct phi_report *rep,
			   struct phi_error *err)
{
	struct layout_wait lw = { job, rep };
	struct phi_capture_opts co = o->capture;

	co.before_freeze = wait_layout_thread;
	co.before_freeze_ctx = &lw;
	for (int attempt = 0;; attempt++) {
		struct timespec wait = { 0, GC_RETRY_MS * 1000000L };
		int rc = phi_capture_run(t, &co, cap, err);

		if (attempt == 0)
			rc = await_layout(t, o, job, rep, rc, err);
		if (rc == 0)
			rc = phi_runtime_read(rt, &cap->img, t, err);
		if (rc < 0 || !collecting(rt))
			return rc;
		if (o->verbose)
			fprintf(stderr, "pyheapinspect: process %d is inside a "
				"GC collection, retrying\n", (int)t->pid);
		phi_capture_release(cap);
		if (attempt == GC_RETRIES)
			return phi_error_set(err, PHI_E_TIMEOUT,
					     "process %d stayed inside a GC "
					     "collection for %d ms: try again",
					     (int)t->pid,
					     GC_RETRIES * GC_RETRY_MS);
		nanosleep(&wait, NULL);
	}
}

static int write_dump(const struct options *o, const struct phi_heap *h,
		      const struct phi_capture *cap,
		      const struct phi_target *t, struct phi_error *err)
{
	FILE *f = strcmp(o->dump, "-") == 0 ? stdout : fopen(o->dump, "we");
	int rc;

	if (!f)
		return phi_error_set(err, PHI_E_IO, "cannot create '%s': %s",
				     o->dump, strerror(errno));
	rc = phi_dump_jsonl(f, h, &cap->img, &t->layout, err);
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = phi_error_set(err, PHI_E_IO, "cannot write '%s': %s",
				   o->dump, strerror(errno));
	return rc;
}

static int analyse_and_report(const struct options *o,
			      struct phi_target *t, struct phi_capture *cap,
			      const struct phi_runtime *rt,
			      struct phi_report *rep, struct phi_error *err)
{
	struct phi_small_ints si;
	struct phi_heap heap;
	struct phi_analysis an;
	struct phi_analysis_opts opts = o->analysis;
	struct phi_heap_opts hopts = { 0 };
	int rc;

	memset(&an, 0, sizeof(an));
	opts.top = o->top;
	hopts.progress = isatty(STDERR_FILENO) ? progress : NULL;
	/* What is left after the image, at the documented ~150 bytes per
	 * object for the graph and the analyses (--max-memory, or the
	 * default share of the host's available memory). */
	if (o->max_memory)
		hopts.max_objects = o->max_memory > cap->img.bytes ?
			(o->max_memory - cap->img.bytes) / BYTES_PER_OBJECT : 1;
	rc = phi_small_ints_read(&si, &cap->img, &t->layout, rt->interp_main,
				 t->sym[PHI_S_LONG_TYPE], err);
	if (rc < 0)
		return rc;
	progress_t0 = now_ms();
	rc = phi_heap_build(&heap, &cap->img, t, rt, &hopts, err);
	progress_end();
	if (rc == 0 && o->verbose)
		fprintf(stderr, "pyheapinspect: %" PRIu64 " objects, %" PRIu64
			" edges decoded in %.1f ms; graph uses %.1f MiB\n",
			heap.stats.objects, heap.g.nedges, heap.build_ms,
			(double)phi_graph_memory(&heap.g) / (1 << 20));
	if (rc == 0)
		rc = phi_analysis_run(&an, &heap, &cap->img, t, rt, &opts, err);
	if (rc == 0 && o->verbose)
		fprintf(stderr, "pyheapinspect: analyses took %.1f ms\n",
			an.ms);
	if (rc == 0 && o->dump)
		rc = write_dump(o, &heap, cap, t, err);
	if (rc == 0) {
		rep->small_ints = &si;
		rep->heap = &heap;
		rep->analysis = &an;
		rep->total_ms = now_ms() - rep->t0;
		rc = o->json ? phi_report_json(stdout, rep, err) :
			       phi_report_text(stdout, rep, err);
	}
	phi_analysis_release(&an);
	phi_heap_release(&heap);
	return rc;
}

/* From the live process: locate, then resolve the layouts in a thread
 * while the target's memory is copied. */
static int acquire_live(const struct options *o, struct phi_target *t,
			struct phi_capture *cap, struct phi_runtime *rt,
			struct phi_report *rep, struct phi_error *err)
{
	struct phi_layout_job job;
	int rc = phi_target_open(t, o->pid, err);

	if (rc < 0)
		return rc;
	phi_target_layout_start(t, &job);
	rc = capture_settled(t, o, &job, cap, rt, rep, err);
	if (rc < 0)
		return rc;
	if (o->verbose)
		fprintf(stderr, "pyheapinspect: paused %.2f ms (copy %.2f ms), "
			"copied %" PRIu64 " bytes in %" PRIu64 " syscalls\n",
			cap->pause_ms, cap->copy_ms, cap->img.bytes,
			cap->img.syscalls);
	if (o->save_snapshot)
		rc = phi_snapshot_save(o->save_snapshot, t, cap, err);
	return rc;
}

static int acquire(const struct options *o, struct phi_target *t,
		   struct phi_capture *cap, struct phi_runtime *rt,
		   struct phi_report *rep, struct phi_error *err)
{
	int rc;

	if (!o->snapshot)
		return acquire_live(o, t, cap, rt, rep, err);
	rc = phi_snapshot_load(o->snapshot, o->max_memory, t, cap, err);
	if (rc == 0)
		rc = phi_runtime_read(rt, &cap->img, t, err);
	if (rc == 0 && o->save_snapshot)
		rc = phi_snapshot_save(o->save_snapshot, t, cap, err);
	return rc;
}

static int run(const struct options *o, struct phi_error *err)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_runtime rt;
	struct phi_report rep = { 0 };
	int rc;

	memset(&cap, 0, sizeof(cap));
	memset(&t, 0, sizeof(t));
	phi_reader_init(&t.reader, 0); /* so that closing it is harmless */
	rep.t0 = now_ms();
	rc = acquire(o, &t, &cap, &rt, &rep, err);
	if (rc < 0)
		goto out;
	rep.target = &t;
	rep.capture = &cap;
	rep.runtime = &rt;
	rep.list_small_ints = o->small_ints;
	rep.top = o->top;
	rc = analyse_and_report(o, &t, &cap, &rt, &rep, err);
out:
	phi_capture_release(&cap);
	phi_target_close(&t);
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
		return rc;
	}
	phi_freeze_install_signal_handlers();
	rc = run(&o, &err) < 0 ? fail(&err) : 0;
	free(o.objects);
	free(o.exprs);
	return rc;
}
