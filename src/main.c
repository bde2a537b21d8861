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

#include "config.h"
#include "pyheapinspect/capture.h"
#include "pyheapinspect/freeze.h"
#include "pyheapinspect/report.h"
#include "pyheapinspect/runtime.h"
#include "pyheapinspect/smallints.h"
#include "pyheapinspect/target.h"

struct options {
	pid_t pid;
	bool json;
	bool verbose;
	bool small_ints;
	struct phi_capture_opts capture;
};

enum { OPT_JSON = 256, OPT_SMALL_INTS };

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "small-ints", no_argument, NULL, OPT_SMALL_INTS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: pyheapinspect -p PID [options]\n"
		"Inspect the heap of a running CPython 3.10 process from "
		"outside.\n\n"
		"  -p, --pid PID     the process to inspect\n"
		"      --json        print one JSON document (docs/schema.md)\n"
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

/* Returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	const char *hold = getenv("PYHEAPINSPECT_TEST_HOLD_MS");
	int c;

	memset(o, 0, sizeof(*o));
	o->capture.attach_timeout_ms = 2000;
	o->capture.test_hold_ms = hold ? atoi(hold) : 0;
	while ((c = getopt_long(argc, argv, "p:vhV", long_options, NULL)) !=
	       -1) {
		char *end;
		long v;

		switch (c) {
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > INT32_MAX)
				return usage_error("invalid pid", optarg);
			o->pid = (pid_t)v;
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
	if (!o->pid)
		return usage_error("a target is needed: -p PID", NULL);
	return -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

static int run(const struct options *o, struct phi_error *err)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_runtime rt;
	struct phi_small_ints si;
	struct phi_report rep = { 0 };
	double t0;
	int rc;

	memset(&cap, 0, sizeof(cap));
	rc = phi_target_open(&t, o->pid, err);
	if (rc < 0)
		goto out;
	t0 = now_ms();
	rc = phi_target_load_layout(&t, err);
	if (rc < 0)
		goto out;
	rep.layout_ms = now_ms() - t0;
	if (o->verbose)
		verbose_target(&t, rep.layout_ms);
	rc = phi_capture_run(&t, &o->capture, &cap, err);
	if (rc < 0)
		goto out;
	if (o->verbose)
		fprintf(stderr, "pyheapinspect: paused %.2f ms, copied %" PRIu64
			" bytes in %" PRIu64 " syscalls\n", cap.pause_ms,
			cap.img.bytes, cap.img.syscalls);
	rc = phi_runtime_read(&rt, &cap.img, &t, err);
	if (rc < 0)
		goto out;
	rc = phi_small_ints_read(&si, &cap.img, &t.layout, rt.interp_main,
				 t.sym[PHI_S_LONG_TYPE], err);
	if (rc < 0)
		goto out;
	rep.target = &t;
	rep.capture = &cap;
	rep.runtime = &rt;
	rep.small_ints = &si;
	rep.list_small_ints = o->small_ints;
	rc = o->json ? phi_report_json(stdout, &rep, err) :
		       phi_report_text(stdout, &rep, err);
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

	if (rc >= 0)
		return rc;
	phi_freeze_install_signal_handlers();
	if (run(&o, &err) < 0)
		return fail(&err);
	return 0;
}
