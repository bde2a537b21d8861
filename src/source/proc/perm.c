/* Diagnosis of ptrace/process_vm_readv permission failures.  The kernel
 * only says EPERM; the user needs to know which of root, CAP_SYS_PTRACE,
 * Yama, an existing tracer or an LSM said no. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyheapinspect/source/proc/perm.h"

#define CAP_SYS_PTRACE_BIT 19

/* Value after "key:" in a /proc status file, as a string. */
static bool status_field(const char *path, const char *key, char *out,
			 size_t len)
{
	char line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			const char *v = line + klen + 1;

			v += strspn(v, " \t");
			snprintf(out, len, "%s", v);
			out[strcspn(out, "\n")] = '\0';
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static int read_yama_scope(void)
{
	int scope = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

	if (!f)
		return -1;
	if (fscanf(f, "%d", &scope) != 1)
		scope = -1;
	fclose(f);
	return scope;
}

void phi_perm_gather(pid_t pid, struct phi_perm_facts *facts)
{
	char path[64], val[128];

	memset(facts, 0, sizeof(*facts));
	facts->euid = geteuid();
	facts->target_uid = -1;
	facts->tracer_pid = -1;
	facts->yama_scope = read_yama_scope();
	if (status_field("/proc/self/status", "CapEff", val, sizeof(val))) {
		unsigned long long caps = strtoull(val, NULL, 16);

		facts->cap_sys_ptrace = (caps >> CAP_SYS_PTRACE_BIT) & 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (status_field(path, "Uid", val, sizeof(val)))
		facts->target_uid = strtol(val, NULL, 10);
	if (status_field(path, "TracerPid", val, sizeof(val)))
		facts->tracer_pid = strtol(val, NULL, 10);
	if (facts->tracer_pid > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/comm",
			 facts->tracer_pid);
		FILE *f = fopen(path, "re");

		if (f) {
			if (fgets(facts->tracer_name,
				  sizeof(facts->tracer_name), f))
				facts->tracer_name[strcspn(facts->tracer_name,
							   "\n")] = '\0';
			fclose(f);
		}
	}
}

static void explain_non_root(const struct phi_perm_facts *f, char *buf,
			     size_t len)
{
	bool same_user = f->target_uid >= 0 &&
			 (uid_t)f->target_uid == f->euid;

	if (!same_user && f->target_uid >= 0)
		snprintf(buf, len, "not root and the process belongs to uid "
			 "%ld: run as root (sudo) or as that user",
			 f->target_uid);
	else if (!same_user)
		snprintf(buf, len, "not root and the process belongs to "
			 "another user: run as root (sudo)");
	else if (f->yama_scope == 2)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 2 (admin "
			 "only): run as root with CAP_SYS_PTRACE");
	else if (f->yama_scope == 1)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 1 (only "
			 "parents may trace): run as root, or set "
			 "'sysctl kernel.yama.ptrace_scope=0'");
	else
		snprintf(buf, len, "not root, and the process is not "
			 "traceable by its owner (setuid, or made "
			 "non-dumpable): run as root (sudo)");
}

void phi_perm_explain(const struct phi_perm_facts *f, char *buf, size_t len)
{
	if (f->tracer_pid > 0)
		snprintf(buf, len, "it is already traced by pid %ld (%s): "
			 "detach that debugger or tracer first",
			 f->tracer_pid,
			 f->tracer_name[0] ? f->tracer_name : "?");
	else if (f->yama_scope == 3)
		snprintf(buf, len, "kernel.yama.ptrace_scope is 3, which "
			 "forbids ptrace until reboot");
	else if (f->euid != 0 && !f->cap_sys_ptrace)
		explain_non_root(f, buf, len);
	else if (!f->cap_sys_ptrace)
		snprintf(buf, len, "CAP_SYS_PTRACE is missing: in a container, "
			 "start it with --cap-add=SYS_PTRACE");
	else
		snprintf(buf, len, "refused by the kernel although "
			 "CAP_SYS_PTRACE allows it: check seccomp and LSM "
			 "(AppArmor, SELinux) policy");
}

void phi_perm_hint(pid_t pid, char *buf, size_t len)
{
	struct phi_perm_facts facts;

	phi_perm_gather(pid, &facts);
	phi_perm_explain(&facts, buf, len);
}

/* The one place where an errno from the target's side becomes advice
 * for the user. */
int phi_proc_error(struct phi_error *err, int errnum, pid_t pid,
		   const char *what)
{
	char hint[256];

	switch (errnum) {
	case ESRCH:
		return phi_error_set(err, PHI_E_NO_PROCESS,
				     "cannot %s process %d: it does not exist "
				     "(or exited): check the pid", what,
				     (int)pid);
	case EPERM:
	case EACCES:
		phi_perm_hint(pid, hint, sizeof(hint));
		return phi_error_set(err, PHI_E_PERMISSION,
				     "cannot %s process %d: %s", what,
				     (int)pid, hint);
	case ENOMEM:
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "cannot %s process %d: out of memory",
				     what, (int)pid);
	case EFAULT:
	case EIO:
		return phi_error_set(err, PHI_E_READ,
				     "cannot %s process %d: address not "
				     "mapped in the target", what, (int)pid);
	default:
		return phi_error_set(err, PHI_E_IO, "cannot %s process %d: %s",
				     what, (int)pid, strerror(errnum));
	}
}
