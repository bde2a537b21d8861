/* The HTML report's fixed text: the template of src/report/html/
 * (page.html with view.css and view.js inlined, and the CSP hashes of
 * both) before and after its one placeholder, generated at build time
 * by `src/report/html/mkpage.sh -c` into src/report/html_page.c. */
#ifndef PYHEAPINSPECT_HTML_PAGE_H
#define PYHEAPINSPECT_HTML_PAGE_H

extern const char phi_html_head[];
extern const char phi_html_tail[];

#endif
