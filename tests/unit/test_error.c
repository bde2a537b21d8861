/* Unit tests for the error record (error.h) and the ptrace permission
 * diagnosis (perm.h): phi_error_set's return value and message, the
 * documented exit statuses, errno -> code mapping in phi_proc_error,
 * and every branch of phi_perm_explain on hand-built facts. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/source/proc/perm.h"

/* A pid no process can have: above the largest pid_max (2^22). */
#define NO_PID 0x7ffffff0

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s, part);
}

/* ---- error.h */

static void test_error_set(void **state)
{
	struct phi_error err = { 0 };

	(void)state;
	assert_int_equal(phi_error_set(&err, PHI_E_READ, "at 0x%x: %s", 0x10,
				       "nothing"), -PHI_E_READ);
	assert_int_equal(err.code, PHI_E_READ);
	assert_string_equal(err.msg, "at 0x10: nothing");
	assert_int_equal(phi_error_set(&err, PHI_E_CORRUPT, "%d", 7), -10);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	assert_string_equal(err.msg, "7");
	/* NULL is allowed: only the return value. */
	assert_int_equal(phi_error_set(NULL, PHI_E_TIMEOUT, "x"), -14);
	phi_error_clear(&err);
	assert_int_equal(err.code, PHI_E_OK);
	assert_string_equal(err.msg, "");
}

static void test_error_set_truncates(void **state)
{
	struct phi_error err = { 0 };
	char big[1024];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(phi_error_set(&err, PHI_E_IO, "%s", big), -PHI_E_IO);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_int_equal(err.msg[0], 'x');
}

static void test_exit_statuses(void **state)
{
	(void)state;
	/* The documented interface: never renumbered. */
	assert_int_equal(phi_error_exit_status(PHI_E_OK), 0);
	assert_int_equal(phi_error_exit_status(PHI_E_INTERNAL), 1);
	assert_int_equal(phi_error_exit_status(PHI_E_USAGE), 2);
	assert_int_equal(phi_error_exit_status(PHI_E_NO_PROCESS), 3);
	assert_int_equal(phi_error_exit_status(PHI_E_PERMISSION), 4);
	assert_int_equal(phi_error_exit_status(PHI_E_NOT_PYTHON), 5);
	assert_int_equal(phi_error_exit_status(PHI_E_VERSION), 6);
	assert_int_equal(phi_error_exit_status(PHI_E_NO_SYMBOLS), 7);
	assert_int_equal(phi_error_exit_status(PHI_E_TARGET_EXITED), 8);
	assert_int_equal(phi_error_exit_status(PHI_E_READ), 9);
	assert_int_equal(phi_error_exit_status(PHI_E_CORRUPT), 10);
	assert_int_equal(phi_error_exit_status(PHI_E_NO_MEMORY), 11);
	assert_int_equal(phi_error_exit_status(PHI_E_IO), 12);
	assert_int_equal(phi_error_exit_status(PHI_E_NO_DEBUGINFO), 13);
	assert_int_equal(phi_error_exit_status(PHI_E_TIMEOUT), 14);
	assert_int_equal(phi_error_exit_status(PHI_E_NOT_FOUND), 15);
	assert_int_equal(phi_error_exit_status(PHI_E_INCOMPLETE), 16);
	assert_int_equal(PHI_E__COUNT, 17);
	/* Out of range: an internal error. */
	assert_int_equal(phi_error_exit_status(PHI_E__COUNT), 1);
	assert_int_equal(phi_error_exit_status((enum phi_errcode)-1), 1);
}

/* Gaps: kept with their cost and reason, counted past the bound, never
 * allocating. */
static void test_gaps(void **state)
{
	static struct phi_gaps g;
	char why[400];

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(phi_gaps_count(&g), 0);
	phi_gap_add(&g, "deque_type", 9443, 41808, "not in %s", ".dynsym");
	assert_int_equal(phi_gaps_count(&g), 1);
	assert_string_equal(g.v[0].what, "deque_type");
	assert_string_equal(g.v[0].why, "not in .dynsym");
	assert_int_equal(g.v[0].objects, 9443);
	assert_int_equal(g.v[0].bytes, 41808);
	/* A long reason is cut, still terminated. */
	memset(why, 'y', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	phi_gap_add(&g, "long", -1, -1, "%s", why);
	assert_int_equal(strlen(g.v[1].why), sizeof(g.v[1].why) - 1);
	assert_int_equal(g.v[1].objects, -1);
	for (int i = 2; i < PHI_MAX_GAPS + 5; i++)
		phi_gap_add(&g, "more", -1, -1, "gap %d", i);
	assert_int_equal(g.n, PHI_MAX_GAPS);
	assert_int_equal(g.dropped, 5);
	assert_int_equal(phi_gaps_count(&g), PHI_MAX_GAPS + 5);
	assert_string_equal(g.v[PHI_MAX_GAPS - 1].why, "gap 31");
}

static void test_error_text(void **state)
{
	(void)state;
	assert_string_equal(phi_error_text(PHI_E_OK), "success");
	assert_string_equal(phi_error_text(PHI_E_USAGE), "bad command line");
	assert_string_equal(phi_error_text(PHI_E_NO_PROCESS),
			    "no such process");
	assert_string_equal(phi_error_text(PHI_E_READ),
			    "cannot read target memory");
	assert_string_equal(phi_error_text(PHI_E_NOT_FOUND),
			    "object not found");
	assert_string_equal(phi_error_text(PHI_E__COUNT), "unknown error");
	assert_string_equal(phi_error_text((enum phi_errcode)-5),
			    "unknown error");
}

static void test_errno_mapping(void **state)
{
	struct phi_error err = { 0 };
	char want[512];

	(void)state;
	assert_int_equal(phi_proc_error(&err, ESRCH, 4321, "attach"),
			 -PHI_E_NO_PROCESS);
	assert_int_equal(err.code, PHI_E_NO_PROCESS);
	assert_string_equal(err.msg, "cannot attach process 4321: it does not "
			    "exist (or exited): check the pid");

	assert_int_equal(phi_proc_error(&err, ENOMEM, 4321, "read memory"),
			 -PHI_E_NO_MEMORY);
	assert_int_equal(err.code, PHI_E_NO_MEMORY);
	assert_string_equal(err.msg,
			    "cannot read memory process 4321: out of memory");

	assert_int_equal(phi_proc_error(&err, EFAULT, 55, "read"),
			 -PHI_E_READ);
	assert_int_equal(err.code, PHI_E_READ);
	assert_string_equal(err.msg, "cannot read process 55: address not "
			    "mapped in the target");
	assert_int_equal(phi_proc_error(&err, EIO, 56, "peek"), -PHI_E_READ);
	assert_int_equal(err.code, PHI_E_READ);
	assert_contains(err.msg, "cannot peek process 56: ");

	/* Anything else is an I/O error naming the errno. */
	assert_int_equal(phi_proc_error(&err, ENOENT, 57, "open"),
			 -PHI_E_IO);
	assert_int_equal(err.code, PHI_E_IO);
	snprintf(want, sizeof(want), "cannot open process 57: %s",
		 strerror(ENOENT));
	assert_string_equal(err.msg, want);
}

static void test_errno_permission(void **state)
{
	struct phi_error err = { 0 };
	const char *prefix = "cannot attach process 2147483632: ";
	char hint[256];

	(void)state;
	assert_int_equal(phi_proc_error(&err, EPERM, NO_PID, "attach"),
			 -PHI_E_PERMISSION);
	assert_int_equal(err.code, PHI_E_PERMISSION);
	assert_int_equal(strncmp(err.msg, prefix, strlen(prefix)), 0);
	/* The rest is the diagnosis perm.c gives for that pid. */
	phi_perm_hint(NO_PID, hint, sizeof(hint));
	assert_true(strlen(hint) > 0);
	assert_string_equal(err.msg + strlen(prefix), hint);

	assert_int_equal(phi_proc_error(&err, EACCES, NO_PID, "attach"),
			 -PHI_E_PERMISSION);
	assert_int_equal(err.code, PHI_E_PERMISSION);
	assert_string_equal(err.msg + strlen(prefix), hint);
}

/* ---- perm.h */

static struct phi_perm_facts facts(uid_t euid, long target_uid, bool cap,
				   int yama)
{
	struct phi_perm_facts f;

	memset(&f, 0, sizeof(f));
	f.euid = euid;
	f.target_uid = target_uid;
	f.cap_sys_ptrace = cap;
	f.yama_scope = yama;
	f.tracer_pid = 0;
	return f;
}

static const char *explain(const struct phi_perm_facts *f)
{
	static char buf[256];

	memset(buf, 'Z', sizeof(buf));
	phi_perm_explain(f, buf, sizeof(buf));
	return buf;
}

static const char msg_traced[] =
	"it is already traced by pid 1234 (gdb): detach that debugger or "
	"tracer first";
static const char msg_yama3[] =
	"kernel.yama.ptrace_scope is 3, which forbids ptrace until reboot";
static const char msg_not_root[] =
	"not root and the process belongs to uid 1001: run as root (sudo) "
	"or as that user";
static const char msg_no_cap[] =
	"CAP_SYS_PTRACE is missing: in a container, start it with "
	"--cap-add=SYS_PTRACE";
static const char msg_yama2[] =
	"kernel.yama.ptrace_scope is 2 (admin only): run as root with "
	"CAP_SYS_PTRACE";
static const char msg_yama1[] =
	"kernel.yama.ptrace_scope is 1 (only parents may trace): run as "
	"root, or set 'sysctl kernel.yama.ptrace_scope=0'";
static const char msg_lsm[] =
	"refused by the kernel although CAP_SYS_PTRACE allows it: "
	"check seccomp and LSM (AppArmor, SELinux) policy";

static void test_perm_traced(void **state)
{
	struct phi_perm_facts f = facts(1000, 1000, false, 1);

	(void)state;
	f.tracer_pid = 1234;
	strcpy(f.tracer_name, "gdb");
	assert_string_equal(explain(&f), msg_traced);
	/* A tracer beats every other reason, even Yama 3. */
	f = facts(0, 0, true, 3);
	f.tracer_pid = 1234;
	strcpy(f.tracer_name, "gdb");
	assert_string_equal(explain(&f), msg_traced);
	/* Tracer name unknown. */
	f.tracer_name[0] = '\0';
	assert_string_equal(explain(&f),
			    "it is already traced by pid 1234 (?): detach "
			    "that debugger or tracer first");
	/* An unknown TracerPid (-1) is not a tracer. */
	f.tracer_pid = -1;
	assert_string_equal(explain(&f), msg_yama3);
}

static void test_perm_yama3(void **state)
{
	struct phi_perm_facts f = facts(0, 1001, true, 3);

	(void)state;
	/* Even root with CAP_SYS_PTRACE. */
	assert_string_equal(explain(&f), msg_yama3);
	f = facts(1000, 1000, false, 3);
	assert_string_equal(explain(&f), msg_yama3);
}

static void test_perm_not_root(void **state)
{
	struct phi_perm_facts f = facts(1000, 1001, false, 0);

	(void)state;
	assert_string_equal(explain(&f), msg_not_root);
	/* Other uid takes precedence over Yama 1 and 2. */
	f.yama_scope = 1;
	assert_string_equal(explain(&f), msg_not_root);
	f.yama_scope = 2;
	assert_string_equal(explain(&f), msg_not_root);
	/* A non-root user with CAP_SYS_PTRACE may trace other users. */
	f = facts(1000, 1001, true, 0);
	assert_string_equal(explain(&f), msg_lsm);
	/* The owner without Yama: only a non-dumpable target is left. */
	f = facts(1000, 1000, false, 0);
	assert_string_equal(explain(&f),
			    "not root, and the process is not traceable by "
			    "its owner (setuid, or made non-dumpable): run as "
			    "root (sudo)");
	/* An unknown owner is not printed as uid -1. */
	f = facts(1000, -1, false, 0);
	assert_string_equal(explain(&f),
			    "not root and the process belongs to another "
			    "user: run as root (sudo)");
}

static void test_perm_root_without_cap(void **state)
{
	struct phi_perm_facts f = facts(0, 1001, false, 0);

	(void)state;
	assert_string_equal(explain(&f), msg_no_cap);
	assert_non_null(strstr(explain(&f), "CAP_SYS_PTRACE"));
	assert_non_null(strstr(explain(&f), "--cap-add=SYS_PTRACE"));
	/* Root's own process, or with Yama 1 or 2: still the capability. */
	f = facts(0, 0, false, 1);
	assert_string_equal(explain(&f), msg_no_cap);
	f = facts(0, 0, false, 2);
	assert_string_equal(explain(&f), msg_no_cap);
}

static void test_perm_same_user_yama(void **state)
{
	struct phi_perm_facts f = facts(1000, 1000, false, 2);

	(void)state;
	assert_string_equal(explain(&f), msg_yama2);
	f.yama_scope = 1;
	assert_string_equal(explain(&f), msg_yama1);
}

static void test_perm_fall_through(void **state)
{
	struct phi_perm_facts f = facts(0, 1001, true, 2);

	(void)state;
	/* Root with the capability passes Yama 2: something else said no. */
	assert_string_equal(explain(&f), msg_lsm);
	f = facts(0, 0, true, -1);
	assert_string_equal(explain(&f), msg_lsm);
	/* Same user, the capability, Yama 1. */
	f = facts(1000, 1000, true, 1);
	assert_string_equal(explain(&f), msg_lsm);
}

static void test_perm_truncates(void **state)
{
	struct phi_perm_facts f = facts(0, 1001, true, 3);
	char buf[11];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	phi_perm_explain(&f, buf, sizeof(buf));
	assert_string_equal(buf, "kernel.yam");
}

static void test_perm_gather_self(void **state)
{
	struct phi_perm_facts f;

	(void)state;
	phi_perm_gather(getpid(), &f);
	assert_int_equal(f.euid, geteuid());
	/* "Uid:" starts with the real uid. */
	assert_int_equal(f.target_uid, (long)getuid());
	assert_true(f.tracer_pid >= 0);
	assert_true(f.yama_scope >= -1 && f.yama_scope <= 3);
	if (access("/proc/sys/kernel/yama/ptrace_scope", R_OK) != 0)
		assert_int_equal(f.yama_scope, -1);
	else
		assert_true(f.yama_scope >= 0);
}

static void test_perm_gather_no_process(void **state)
{
	struct phi_perm_facts f;

	(void)state;
	memset(&f, 0x55, sizeof(f));
	phi_perm_gather(NO_PID, &f);
	assert_int_equal(f.euid, geteuid());
	assert_int_equal(f.target_uid, -1);
	assert_int_equal(f.tracer_pid, -1);
	assert_string_equal(f.tracer_name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set),
		cmocka_unit_test(test_error_set_truncates),
		cmocka_unit_test(test_exit_statuses),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_errno_mapping),
		cmocka_unit_test(test_errno_permission),
		cmocka_unit_test(test_perm_traced),
		cmocka_unit_test(test_perm_yama3),
		cmocka_unit_test(test_perm_not_root),
		cmocka_unit_test(test_perm_root_without_cap),
		cmocka_unit_test(test_perm_same_user_yama),
		cmocka_unit_test(test_perm_fall_through),
		cmocka_unit_test(test_perm_truncates),
		cmocka_unit_test(test_perm_gather_self),
		cmocka_unit_test(test_perm_gather_no_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
