/* The error record and the exit statuses. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/base/error.h"

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
