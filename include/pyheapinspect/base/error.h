/* Error codes, their exit statuses and the one error record the library
 * fills in.  Library functions return 0 or a negative phi_errcode and put
 * the detail in a struct phi_error; only main.c prints. */
#ifndef PYHEAPINSPECT_ERROR_H
#define PYHEAPINSPECT_ERROR_H

#include <stdarg.h>
#include <sys/types.h>

/* X(name, exit status, short description).  The exit statuses are the
 * documented interface (man page, docs/schema.md): never renumber. */
#define PHI_ERRORS(X)                                                       \
	X(OK, 0, "success")                                                 \
	X(INTERNAL, 1, "internal error")                                    \
	X(USAGE, 2, "bad command line")                                     \
	X(NO_PROCESS, 3, "no such process")                                 \
	X(PERMISSION, 4, "permission denied")                               \
	X(NOT_PYTHON, 5, "not a Python process")                            \
	X(VERSION, 6, "unsupported Python version")                         \
	X(NO_SYMBOLS, 7, "needed symbols missing")                          \
	X(TARGET_EXITED, 8, "target exited")                                \
	X(READ, 9, "cannot read target memory")                             \
	X(CORRUPT, 10, "inconsistent target memory")                        \
	X(NO_MEMORY, 11, "out of memory")                                   \
	X(IO, 12, "input/output error")                                     \
	X(NO_DEBUGINFO, 13, "no debug information")                         \
	X(TIMEOUT, 14, "timed out")                                         \
	X(NOT_FOUND, 15, "object not found")                               \
	X(INCOMPLETE, 16, "report incomplete")

enum phi_errcode {
#define PHI_ERR_ENUM(name, status, text) PHI_E_##name,
	PHI_ERRORS(PHI_ERR_ENUM)
#undef PHI_ERR_ENUM
	PHI_E__COUNT
};

struct phi_error {
	enum phi_errcode code;
	char msg[512];
};

/* Record an error and return -code, so callers write
 * `return phi_error_set(err, PHI_E_READ, "...", ...);`.  err may be NULL. */
int phi_error_set(struct phi_error *err, enum phi_errcode code,
		  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void phi_error_clear(struct phi_error *err);

/* Exit status and short name of a code. */
int phi_error_exit_status(enum phi_errcode code);
const char *phi_error_text(enum phi_errcode code);

#endif
