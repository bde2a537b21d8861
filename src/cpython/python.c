/* Locating the interpreter inside the target (which mapped ELF object
 * holds it, where it is loaded, its version), choosing the version's
 * table, and passing every call on to it. */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "pyheapinspect/cpython/memory.h"
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/debuginfo/elfsym.h"

/* Every version the tool decodes: adding one is a folder and a line. */
static const struct phi_cpython_ops *const versions[] = {
	&phi_cpython310_ops,
};
#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

/* Py_GetVersion's buffer is 250 bytes in every 3.x. */
#define VERSION_BUF_MAX 250
/* The fallback scan looks at the object's data at most this far. */
#define VERSION_SCAN_MAX (16u << 20)

/* What every CPython 3 exports, whatever its version. */
enum { Q_RUNTIME, Q_GETVERSION, Q_VERSION_BUF, Q__COUNT };

static const char *const generic_symbols[Q__COUNT] = {
	[Q_RUNTIME] = "_PyRuntime",
	[Q_GETVERSION] = "Py_GetVersion",
	[Q_VERSION_BUF] = "version",
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The first mapping of each distinct file; libpython first. */
static bool is_first_of_file(const struct phi_maps *maps, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (maps->v[j].inode == maps->v[i].inode &&
		    strcmp(maps->v[j].path, maps->v[i].path) == 0)
			return false;
	return true;
}

static const struct phi_cpython_ops *find_version(int major, int minor)
{
	for (size_t i = 0; i < NVERSIONS; i++)
		if (versions[i]->major == major && versions[i]->minor == minor)
			return versions[i];
	return NULL;
}

static int unsupported(const struct phi_version *v, struct phi_error *err)
{
	char names[64] = "";

	for (size_t i = 0; i < NVERSIONS; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", i ? ", " : "", versions[i]->name);
	return phi_error_set(err, PHI_E_VERSION, "target runs CPython "
			     "%d.%d.%d; pyheapinspect supports %s", v->major,
			     v->minor, v->micro, names);
}

int phi_version_parse(const char *text, size_t len, struct phi_version *v)
{
	char buf[sizeof(v->text)];
	size_t n = 0;

	while (n < len && n < sizeof(buf) - 1 && text[n] &&
	       isprint((unsigned char)text[n]))
		n++;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (sscanf(buf, "%d.%d.%d", &v->major, &v->minor, &v->micro) != 3 ||
	    v->major < 2 || v->major > 9 || v->minor < 0 || v->minor > 99 ||
	    v->micro < 0 || v->micro > 99)
		return -1;
	memcpy(v->text, buf, n + 1);
	return 0;
}

/* Without the static buffer's symbol (a stripped binary), look for the
 * text Py_GetVersion wrote, "3.N.M (", in the object's writable data. */
static int scan_version(struct phi_python *py, struct phi_source *src)
{
	const struct phi_maps *maps = &src->maps;

	for (size_t i = 0; i < maps->n; i++) {
		const struct phi_map *m = &maps->v[i];
		size_t len = (size_t)(m->end - m->start);
		char *buf;

		if (!(m->perms & PHI_MAP_W) || len > VERSION_SCAN_MAX ||
		    (strcmp(m->path, py->object_path) != 0 &&
		     !(m->path[0] == '\0' && i > 0 &&
		       strcmp(maps->v[i - 1].path, py->object_path) == 0)))
			continue;
		buf = malloc(len);
		if (!buf)
			return -1;
		if (phi_source_read(src, m->start, buf, len, NULL) == 0) {
			for (size_t k = 0; k + 8 < len; k++) {
				if (buf[k] == '3' && buf[k + 1] == '.' &&
				    (k == 0 || buf[k - 1] == '\0') &&
				    memchr(buf + k, '(', len - k < 16 ?
					   len - k : 16) &&
				    phi_version_parse(buf + k, len - k,
						      &py->version) == 0) {
					free(buf);
					return 0;
				}
			}
		}
		free(buf);
	}
	return -1;
}

static int read_version(struct phi_python *py, struct phi_source *src,
			uint64_t version_buf, struct phi_error *err)
{
	char buf[VERSION_BUF_MAX];
	int rc;

	if (version_buf) {
		rc = phi_source_read(src, version_buf, buf, sizeof(buf), err);
		if (rc < 0)
			return rc;
		if (phi_version_parse(buf, sizeof(buf), &py->version) == 0)
			return 0;
	}
	if (scan_version(py, src) == 0)
		return 0;
	return phi_error_set(err, PHI_E_NOT_PYTHON,
			     "cannot find the Python version in the memory of "
			     "process %d ('%s'): is the interpreter "
			     "initialised?", (int)src->pid, py->object_path);
}

/* The version, then the version's own symbols, from the object mapped
 * by m whose generic symbols are q. */
static int open_object(struct phi_python *py, struct phi_source *src,
		       struct phi_elf *e, const struct phi_map *m,
		       const struct phi_sym_query *q, struct phi_error *err)
{
	uint64_t vbuf;
	int rc = phi_elf_load_bias(e, m->start, m->offset, &py->bias, err);

	if (rc < 0)
		return rc;
	snprintf(py->object_path, sizeof(py->object_path), "%s", m->path);
	py->runtime = q[Q_RUNTIME].found ? q[Q_RUNTIME].value + py->bias : 0;
	vbuf = q[Q_VERSION_BUF].found ? q[Q_VERSION_BUF].value + py->bias : 0;
	rc = read_version(py, src, vbuf, err);
	if (rc < 0)
		return rc;
	py->ops = find_version(py->version.major, py->version.minor);
	if (!py->ops)
		return unsupported(&py->version, err);
	if (!py->runtime)
		return phi_error_set(err, PHI_E_NO_SYMBOLS,
				     "'%s' does not export _PyRuntime: "
				     "pyheapinspect needs it to find the "
				     "interpreter", py->object_path);
	return py->ops->open(py, e, err);
}

/* Program headers read from the target's memory, at most. */
#define MAX_PHDRS 64
/* A PT_NOTE segment read from the target's memory, at most. */
#define MAX_NOTES 4096

/* The build-id of the object mapped by m (its mapping of file offset 0),
 * from the target's memory: the ELF header, the program headers and the
 * PT_NOTE segments as the loader mapped them, each bounded by the
 * mapping.  False when any of it is missing or malformed. */
static bool mapped_build_id(struct phi_source *src, const struct phi_map *m,
			    char *hex, size_t cap)
{
	Elf64_Phdr ph[MAX_PHDRS];
	unsigned char notes[MAX_NOTES];
	uint64_t len = m->end - m->start, base = 0;
	Elf64_Ehdr eh;
	bool have_base = false;

	if (m->offset != 0 || len < sizeof(eh) ||
	    phi_source_read(src, m->start, &eh, sizeof(eh), NULL) < 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > MAX_PHDRS || eh.e_phoff > len ||
	    eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff ||
	    phi_source_read(src, m->start + eh.e_phoff, ph,
			    eh.e_phnum * sizeof(Elf64_Phdr), NULL) < 0)
		return false;
	/* The segment of file offset 0 is the one mapped at m->start. */
	for (size_t i = 0; i < eh.e_phnum && !have_base; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			base = m->start - (ph[i].p_vaddr & ~(uint64_t)0xfff);
			have_base = true;
		}
	for (size_t i = 0; i < eh.e_phnum && have_base; i++) {
		size_t n = ph[i].p_filesz;

		if (ph[i].p_type != PT_NOTE || n == 0 || n > sizeof(notes))
			continue;
		if (phi_source_read(src, base + ph[i].p_vaddr, notes, n,
				    NULL) == 0 &&
		    phi_notes_build_id(notes, n, hex, cap))
			return true;
	}
	return false;
}

static void file_id(const char *path, char *buf, size_t cap)
{
	struct stat st;

	if (stat(path, &st) == 0)
		snprintf(buf, cap, "%02x:%02x %llu", major(st.st_dev),
			 minor(st.st_dev), (unsigned long long)st.st_ino);
	else
		snprintf(buf, cap, "?");
}

/* Is the file opened (py->open_path) the one the target mapped?  file_rc
 * is phi_source_file's: 0 when it is (map_files, or the same device and
 * inode), 1 when only its contents can tell.  The build-id of the file
 * and of the mapped memory must then be equal. */
static int verify_object(struct phi_python *py, struct phi_source *src,
			 const struct phi_map *m, struct phi_elf *e,
			 int file_rc, struct phi_error *err)
{
	char fid[PHI_BUILD_ID_HEX] = "", mid[PHI_BUILD_ID_HEX] = "";
	char disk[64];
	bool has_f = phi_elf_build_id(e, fid, sizeof(fid));
	bool has_m = mapped_build_id(src, m, mid, sizeof(mid));
	bool same_id = has_f && has_m && strcmp(fid, mid) == 0;

	if (file_rc == 0 && (!has_f || !has_m || same_id)) {
		snprintf(py->object_note, sizeof(py->object_note),
			 "%s%s%s", strncmp(py->open_path, "/proc/", 6) == 0 &&
			 strstr(py->open_path, "/map_files/") ?
			 "the mapped file itself (map_files)" :
			 "device and inode match the mapping",
			 same_id ? ", build-id matches the mapped memory: " :
			 "", same_id ? fid : "");
		return 0;
	}
	if (file_rc == 1 && same_id) {
		snprintf(py->object_note, sizeof(py->object_note),
			 "device or inode differ from the mapping (an overlay "
			 "filesystem?), but the build-id %s is the mapped "
			 "memory's", fid);
		return 0;
	}
	file_id(py->open_path, disk, sizeof(disk));
	return phi_error_set(err, file_rc == 1 ? PHI_E_PERMISSION :
			     PHI_E_CORRUPT, "'%s' mapped by process %d was %s "
			     "since it was mapped (maps: %02x:%02x %llu, "
			     "build-id %s; on disk: %s, build-id %s): its "
			     "symbols would be another build's.  Only /proc/%d/"
			     "map_files can read the mapped file, with root or "
			     "CAP_CHECKPOINT_RESTORE: run pyheapinspect as "
			     "root (or with that capability), or restart the "
			     "process", m->path, (int)src->pid,
			     file_rc == 1 ? "replaced on disk" :
					    "modified in place",
			     m->dev_major, m->dev_minor,
			     (unsigned long long)m->inode,
			     has_m ? mid : "unreadable", disk,
			     has_f ? fid : "none", (int)src->pid);
}

/* 1 when m's object holds the interpreter (py filled), 0 when it does
 * not, or -code.  A file that cannot be opened is not the interpreter,
 * but when it is named like one (python*, libpython*) why is kept in
 * *why (the first such error) for the message when no object is. */
static int try_object(struct phi_python *py, struct phi_source *src,
		      const struct phi_map *m, struct phi_error *why,
		      struct phi_error *err)
{
	struct phi_sym_query q[Q__COUNT];
	struct phi_error ferr = { 0 };
	struct phi_elf e;
	uint64_t sect;
	int frc = phi_source_file(src, m, py->open_path,
				  sizeof(py->open_path), &ferr);
	int rc;

	if (frc < 0) {
		if (why->code == PHI_E_OK &&
		    (strncmp(base_name(m->path), "python", 6) == 0 ||
		     strncmp(base_name(m->path), "libpython", 9) == 0))
			*why = ferr;
		return 0;
	}
	if (phi_elf_open(&e, py->open_path, NULL) < 0)
		return 0; /* unreadable: not the interpreter we can use */
	for (int i = 0; i < Q__COUNT; i++)
		q[i] = (struct phi_sym_query){ .name = generic_symbols[i] };
	phi_elf_lookup(&e, q, Q__COUNT);
	/* An executable linked without -export-dynamic: the runtime's own
	 * section still says where it is. */
	if (!q[Q_RUNTIME].found &&
	    phi_elf_section(&e, ".PyRuntime", &sect, NULL) && sect) {
		q[Q_RUNTIME].found = true;
		q[Q_RUNTIME].value = sect;
	}
	if (!q[Q_RUNTIME].found && !q[Q_GETVERSION].found) {
		phi_elf_close(&e);
		return 0;
	}
	rc = verify_object(py, src, m, &e, frc, err);
	if (rc == 0)
		rc = open_object(py, src, &e, m, q, err);
	phi_elf_close(&e);
	return rc < 0 ? rc : 1;
}

int phi_python_locate(struct phi_python *py, struct phi_source *src,
		      struct phi_error *err)
{
	struct phi_error why = { 0 };

	memset(py, 0, sizeof(*py));
	snprintf(py->root, sizeof(py->root), "%s", src->root);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < src->maps.n; i++) {
			const struct phi_map *m = &src->maps.v[i];
			bool libpy = strncmp(base_name(m->path), "libpython",
					     9) == 0;
			int rc;

			if (!phi_map_is_file(m) || (pass == 0) != libpy ||
			    !is_first_of_file(&src->maps, i))
				continue;
			rc = try_object(py, src, m, &why, err);
			if (rc != 0)
				return rc < 0 ? rc : 0;
		}
	}
	/* A mapped file that could not be read may be the interpreter. */
	if (why.code != PHI_E_OK) {
		if (err)
			*err = why;
		return -(int)why.code;
	}
	return phi_error_set(err, PHI_E_NOT_PYTHON,
			     "process %d is not a Python process: no mapped "
			     "object defines _PyRuntime or Py_GetVersion",
			     (int)src->pid);
}

/* ---- snapshots -------------------------------------------------------- */

static int set_nums(struct phi_record *rec, const struct phi_python *py,
		    struct phi_error *err)
{
	const struct { const char *name; int64_t v; } nums[] = {
		{ "python.major", py->version.major },
		{ "python.minor", py->version.minor },
		{ "python.micro", py->version.micro },
		{ "python.bias", (int64_t)py->bias },
		{ "python.runtime", (int64_t)py->runtime },
		{ "layout.source", py->layout_source },
		{ "layout.missing", py->layout_missing },
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]) && !rc; i++)
		rc = phi_record_set_num(rec, nums[i].name, nums[i].v, err);
	return rc;
}

int phi_python_export(const struct phi_python *py, struct phi_record *rec,
		      struct phi_error *err)
{
	int rc = set_nums(rec, py, err);

	if (rc == 0)
		rc = phi_record_set_text(rec, "python.version",
					 py->version.text, err);
	if (rc == 0)
		rc = phi_record_set_text(rec, "python.object", py->object_path,
					 err);
	if (rc == 0)
		rc = phi_record_set_text(rec, "layout.path", py->layout_path,
					 err);
	return rc == 0 ? py->ops->export(py, rec, err) : rc;
}

static int corrupt(const char *what, struct phi_error *err)
{
	return phi_error_set(err, PHI_E_CORRUPT, "the saved description of "
			     "the interpreter is corrupt: %s", what);
}

/* A bounded number from the record, or -PHI_E_CORRUPT. */
static int get_num(const struct phi_record *rec, const char *name,
		   int64_t min, int64_t max, int64_t *out,
		   struct phi_error *err)
{
	char what[96];

	if (phi_record_num(rec, name, out) && *out >= min && *out <= max)
		return 0;
	snprintf(what, sizeof(what), "%s is missing or out of range", name);
	return corrupt(what, err);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

int phi_python_import(struct phi_python *py, const struct phi_record *rec,
		      struct phi_error *err)
{
	int64_t major, minor, micro, bias, runtime, source, missing;
	int rc;

	memset(py, 0, sizeof(*py));
	rc = get_num(rec, "python.major", 2, 9, &major, err);
	if (rc == 0)
		rc = get_num(rec, "python.minor", 0, 99, &minor, err);
	if (rc == 0)
		rc = get_num(rec, "python.micro", 0, 999, &micro, err);
	/* Formats 1 and 2 kept neither: the version finds _PyRuntime
	 * among its symbols. */
	if (!phi_record_num(rec, "python.bias", &bias))
		bias = 0;
	if (!phi_record_num(rec, "python.runtime", &runtime))
		runtime = 0;
	if (rc == 0)
		rc = get_num(rec, "layout.source", PHI_LAYOUT_BUILTIN,
			     PHI_LAYOUT_DWARF, &source, err);
	if (rc == 0)
		rc = get_num(rec, "layout.missing", 0, 1 << 16, &missing,
			     err);
	if (rc < 0)
		return rc;
	py->version.major = (int)major;
	py->version.minor = (int)minor;
	py->version.micro = (int)micro;
	py->bias = (uint64_t)bias;
	py->runtime = (uint64_t)runtime;
	py->layout_source = (enum phi_layout_source)source;
	py->layout_missing = (unsigned)missing;
	copy_text(py->version.text, sizeof(py->version.text),
		  phi_record_text(rec, "python.version"));
	copy_text(py->object_path, sizeof(py->object_path),
		  phi_record_text(rec, "python.object"));
	copy_text(py->layout_path, sizeof(py->layout_path),
		  phi_record_text(rec, "layout.path"));
	py->ops = find_version(py->version.major, py->version.minor);
	if (!py->ops)
		return unsupported(&py->version, err);
	return py->ops->import(py, rec, err);
}

/* ---- the rest goes to the version ------------------------------------- */

void phi_python_layout_start(struct phi_python *py)
{
	py->ops->layout_start(py);
}

void phi_python_layout_wait(struct phi_python *py)
{
	py->ops->layout_wait(py);
}

int phi_python_layout_join(struct phi_python *py, struct phi_error *err)
{
	return py->ops->layout_join(py, err);
}

int phi_python_runtime(const struct phi_python *py,
		       const struct phi_image *img, struct phi_runtime *rt,
		       struct phi_error *err)
{
	return py->ops->runtime(py, img, rt, err);
}

int phi_python_statics(struct phi_python *py, const struct phi_image *img,
		       const struct phi_runtime *rt, struct phi_error *err)
{
	return py->ops->statics ? py->ops->statics(py, img, rt, err) : 0;
}

int phi_python_small_ints(const struct phi_python *py,
			  const struct phi_image *img,
			  const struct phi_runtime *rt,
			  struct phi_small_ints *out, struct phi_error *err)
{
	return py->ops->small_ints(py, img, rt, out, err);
}

int phi_python_memory(const struct phi_python *py,
		      const struct phi_image *img,
		      const struct phi_runtime *rt, struct phi_pymemory *out,
		      struct phi_error *err)
{
	return py->ops->memory(py, img, rt, out, err);
}

void phi_pymemory_release(struct phi_pymemory *m)
{
	free(m->pymalloc.arenas);
	m->pymalloc.arenas = NULL;
}

const char *phi_python_version_name(const struct phi_python *py)
{
	return py->ops ? py->ops->name : "?";
}

void phi_python_close(struct phi_python *py)
{
	if (py->ops && py->ops->close)
		py->ops->close(py);
	py->impl = NULL;
}
