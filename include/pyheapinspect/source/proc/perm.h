/* Why the kernel refused to let us trace or read a process, told so that
 * the user knows what to change. */
#ifndef PYHEAPINSPECT_PERM_H
#define PYHEAPINSPECT_PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pyheapinspect/base/error.h"

/* What decides a ptrace permission, gathered from /proc. */
struct phi_perm_facts {
	uid_t euid;          /* ours */
	long target_uid;     /* the target's real uid, -1 if unknown */
	bool cap_sys_ptrace; /* CAP_SYS_PTRACE in our effective set */
	int yama_scope;      /* kernel.yama.ptrace_scope, -1 when no Yama */
	long tracer_pid;     /* the target's TracerPid, 0 if none, -1 unknown */
	char tracer_name[64];
};

/* Read the facts for process pid from /proc. */
void phi_perm_gather(pid_t pid, struct phi_perm_facts *facts);

/* One sentence: the most likely cause and its fix. */
void phi_perm_explain(const struct phi_perm_facts *facts, char *buf,
		      size_t len);

/* gather + explain. */
void phi_perm_hint(pid_t pid, char *buf, size_t len);

/* Map an errno from a syscall on process pid (ptrace, process_vm_readv,
 * open of /proc/PID/...) to an error, with a hint for the user.  `what`
 * names the failed operation ("attach", "read memory").  Returns -code. */
int phi_proc_error(struct phi_error *err, int errnum, pid_t pid,
		   const char *what);

#endif
