/* The C types' section of the reports: how the objects of C types were
 * decoded (built-in decoders, DWARF, the conservative scan), the opaque
 * types with their counts and sizes, the conservative references, the
 * sizes that are not sys.getsizeof's, the module states read. */
#ifndef PYHEAPINSPECT_REPORT_OPAQUE_H
#define PYHEAPINSPECT_REPORT_OPAQUE_H

#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/report/report.h"

/* The document's "c_types". */
void phi_opaque_json(yajl_gen g, const struct phi_report *r);
void phi_opaque_text(FILE *out, const struct phi_report *r);

#endif
