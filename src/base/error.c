/* The error record, exit statuses, and the one place where an errno from
 * the target's side becomes advice for the user. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/source/proc/perm.h"

static const int exit_status[] = {
#define PHI_ERR_STATUS(name, status, text) status,
	PHI_ERRORS(PHI_ERR_STATUS)
#undef PHI_ERR_STATUS
};

static const char *const error_text[] = {
#define PHI_ERR_TEXT(name, status, text) text,
	PHI_ERRORS(PHI_ERR_TEXT)
#undef PHI_ERR_TEXT
};

int phi_error_set(struct phi_error *err, enum phi_errcode code,
		  const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -(int)code;
}

void phi_error_clear(struct phi_error *err)
{
	if (!err)
		return;
	err->code = PHI_E_OK;
	err->msg[0] = '\0';
}

int phi_error_exit_status(enum phi_errcode code)
{
	if ((unsigned)code >= PHI_E__COUNT)
		return 1;
	return exit_status[code];
}

const char *phi_error_text(enum phi_errcode code)
{
	if ((unsigned)code >= PHI_E__COUNT)
		return "unknown error";
	return error_text[code];
}

int phi_error_errno(struct phi_error *err, int errnum, pid_t pid,
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
