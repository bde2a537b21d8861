/* C modules' state (ctypes.h): module_traverse calls the module's
 * m_traverse before it visits md_dict, and m_traverse visits the objects
 * its state (md_state, m_size bytes) holds: the module's types and
 * exceptions, caches (the _struct cache, _functools' kwd_mark, _io's
 * UnsupportedOperation).  Objects held only there are found through
 * it.  A module is known by its PyModuleDef's m_name and m_size; the
 * standard library's states are listed here in the order m_traverse
 * visits them (tests/ctypes_survey.py checked each against
 * gc.get_referents of the module); another module's state struct comes
 * from the DWARF of its m_traverse, else its m_size bytes are scanned
 * (references marked conservative). */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/cpython/310/cstate.h"
#include "pyheapinspect/cpython/310/ctypes.h"
#include "pyheapinspect/cpython/310/py310.h"

#define END -1
#define MAX_STATE_FIELDS 17
/* A state larger than this is no module's we could scan usefully. */
#define MAX_SCAN_STATE (64 << 10)

struct mstate {
	const char *name;   /* m_name (_io's is "io") */
	int64_t size;       /* m_size */
	bool io;            /* _io: nothing while `initialized` is 0 */
	int16_t f[MAX_STATE_FIELDS]; /* END-terminated */
};

static const struct mstate mstates[] = {
	{ "_abc", PHI_CT_MS_ABC_SIZE, false,
	  { PHI_CT_MS_ABC__ABC_DATA_TYPE, END } },
	{ "_blake2", PHI_CT_MS_BLAKE2_SIZE, false,
	  { PHI_CT_MS_BLAKE2_BLAKE2B_TYPE, PHI_CT_MS_BLAKE2_BLAKE2S_TYPE,
	    END } },
	{ "_bz2", PHI_CT_MS_BZ2_SIZE, false,
	  { PHI_CT_MS_BZ2_BZ2_COMPRESSOR_TYPE,
	    PHI_CT_MS_BZ2_BZ2_DECOMPRESSOR_TYPE, END } },
	{ "_csv", PHI_CT_MS_CSV_SIZE, false,
	  { PHI_CT_MS_CSV_ERROR_OBJ, PHI_CT_MS_CSV_DIALECTS,
	    PHI_CT_MS_CSV_DIALECT_TYPE, PHI_CT_MS_CSV_READER_TYPE,
	    PHI_CT_MS_CSV_WRITER_TYPE, END } },
	{ "_elementtree", PHI_CT_MS_ELEMENTTREE_SIZE, false,
	  { PHI_CT_MS_ELEMENTTREE_PARSEERROR_OBJ,
	    PHI_CT_MS_ELEMENTTREE_DEEPCOPY_OBJ,
	    PHI_CT_MS_ELEMENTTREE_ELEMENTPATH_OBJ,
	    PHI_CT_MS_ELEMENTTREE_COMMENT_FACTORY,
	    PHI_CT_MS_ELEMENTTREE_PI_FACTORY, END } },
	{ "_functools", PHI_CT_MS_FUNCTOOLS_SIZE, false,
	  { PHI_CT_MS_FUNCTOOLS_KWD_MARK, PHI_CT_MS_FUNCTOOLS_PARTIAL_TYPE,
	    PHI_CT_MS_FUNCTOOLS_KEYOBJECT_TYPE,
	    PHI_CT_MS_FUNCTOOLS_LRU_LIST_ELEM_TYPE, END } },
	{ "_hashlib", PHI_CT_MS_HASHLIB_SIZE, false,
	  { PHI_CT_MS_HASHLIB_EVPTYPE, PHI_CT_MS_HASHLIB_HMACTYPE,
	    PHI_CT_MS_HASHLIB_EVPXOFTYPE, PHI_CT_MS_HASHLIB_CONSTRUCTS,
	    PHI_CT_MS_HASHLIB_UNSUPPORTED_DIGESTMOD_ERROR, END } },
	{ "io", PHI_CT_MS_IO_SIZE, true, /* _io */
	  { PHI_CT_MS_IO_LOCALE_MODULE, PHI_CT_MS_IO_UNSUPPORTED_OPERATION,
	    END } },
	{ "_json", PHI_CT_MS_JSON_SIZE, false,
	  { PHI_CT_MS_JSON_PYSCANNERTYPE, PHI_CT_MS_JSON_PYENCODERTYPE, END } },
	{ "_locale", PHI_CT_MS_LOCALE_SIZE, false,
	  { PHI_CT_MS_LOCALE_ERROR, END } },
	{ "_lsprof", PHI_CT_MS_LSPROF_SIZE, false,
	  { PHI_CT_MS_LSPROF_PROFILER_TYPE, PHI_CT_MS_LSPROF_STATS_ENTRY_TYPE,
	    PHI_CT_MS_LSPROF_STATS_SUBENTRY_TYPE, END } },
	{ "_lzma", PHI_CT_MS_LZMA_SIZE, false,
	  { PHI_CT_MS_LZMA_LZMA_COMPRESSOR_TYPE,
	    PHI_CT_MS_LZMA_LZMA_DECOMPRESSOR_TYPE, PHI_CT_MS_LZMA_ERROR,
	    PHI_CT_MS_LZMA_EMPTY_TUPLE, END } },
	{ "_md5", PHI_CT_MS_MD5_SIZE, false,
	  { PHI_CT_MS_MD5_MD5_TYPE, END } },
	{ "_multibytecodec", PHI_CT_MS_MULTIBYTECODEC_SIZE, false,
	  { PHI_CT_MS_MULTIBYTECODEC_ENCODER_TYPE,
	    PHI_CT_MS_MULTIBYTECODEC_DECODER_TYPE,
	    PHI_CT_MS_MULTIBYTECODEC_READER_TYPE,
	    PHI_CT_MS_MULTIBYTECODEC_WRITER_TYPE,
	    PHI_CT_MS_MULTIBYTECODEC_MULTIBYTECODEC_TYPE, END } },
	{ "_operator", PHI_CT_MS_OPERATOR_SIZE, false,
	  { PHI_CT_MS_OPERATOR_ATTRGETTER_TYPE,
	    PHI_CT_MS_OPERATOR_ITEMGETTER_TYPE,
	    PHI_CT_MS_OPERATOR_METHODCALLER_TYPE, END } },
	{ "_pickle", PHI_CT_MS_PICKLE_SIZE, false,
	  { PHI_CT_MS_PICKLE_PICKLEERROR, PHI_CT_MS_PICKLE_PICKLINGERROR,
	    PHI_CT_MS_PICKLE_UNPICKLINGERROR, PHI_CT_MS_PICKLE_DISPATCH_TABLE,
	    PHI_CT_MS_PICKLE_EXTENSION_REGISTRY,
	    PHI_CT_MS_PICKLE_EXTENSION_CACHE,
	    PHI_CT_MS_PICKLE_INVERTED_REGISTRY,
	    PHI_CT_MS_PICKLE_NAME_MAPPING_2TO3,
	    PHI_CT_MS_PICKLE_IMPORT_MAPPING_2TO3,
	    PHI_CT_MS_PICKLE_NAME_MAPPING_3TO2,
	    PHI_CT_MS_PICKLE_IMPORT_MAPPING_3TO2,
	    PHI_CT_MS_PICKLE_CODECS_ENCODE, PHI_CT_MS_PICKLE_GETATTR,
	    PHI_CT_MS_PICKLE_PARTIAL, END } },
	{ "_queue", PHI_CT_MS_QUEUE_SIZE, false,
	  { PHI_CT_MS_QUEUE_SIMPLEQUEUETYPE, PHI_CT_MS_QUEUE_EMPTYERROR,
	    END } },
	{ "_random", PHI_CT_MS_RANDOM_SIZE, false,
	  { PHI_CT_MS_RANDOM_RANDOM_TYPE, END } },
	{ "_sha1", PHI_CT_MS_SHA1_SIZE, false,
	  { PHI_CT_MS_SHA1_SHA1_TYPE, END } },
	{ "_sha256", PHI_CT_MS_SHA256_SIZE, false,
	  { PHI_CT_MS_SHA256_SHA224_TYPE, PHI_CT_MS_SHA256_SHA256_TYPE, END } },
	{ "_sha3", PHI_CT_MS_SHA3_SIZE, false,
	  { PHI_CT_MS_SHA3_SHA3_224_TYPE, PHI_CT_MS_SHA3_SHA3_256_TYPE,
	    PHI_CT_MS_SHA3_SHA3_384_TYPE, PHI_CT_MS_SHA3_SHA3_512_TYPE,
	    PHI_CT_MS_SHA3_SHAKE_128_TYPE, PHI_CT_MS_SHA3_SHAKE_256_TYPE,
	    END } },
	{ "_sha512", PHI_CT_MS_SHA512_SIZE, false,
	  { PHI_CT_MS_SHA512_SHA384_TYPE, PHI_CT_MS_SHA512_SHA512_TYPE, END } },
	{ "_signal", PHI_CT_MS_SIGNAL_SIZE, false,
	  { PHI_CT_MS_SIGNAL_ITIMER_ERROR, END } },
	{ "_sre", PHI_CT_MS_SRE_SIZE, false,
	  { PHI_CT_MS_SRE_PATTERN_TYPE, PHI_CT_MS_SRE_MATCH_TYPE,
	    PHI_CT_MS_SRE_SCANNER_TYPE, END } },
	{ "_ssl", PHI_CT_MS_SSL_SIZE, false,
	  { PHI_CT_MS_SSL_PYSSLCONTEXT_TYPE, PHI_CT_MS_SSL_PYSSLSOCKET_TYPE,
	    PHI_CT_MS_SSL_PYSSLMEMORYBIO_TYPE, PHI_CT_MS_SSL_PYSSLSESSION_TYPE,
	    PHI_CT_MS_SSL_PYSSLCERTIFICATE_TYPE,
	    PHI_CT_MS_SSL_PYSSLERROROBJECT,
	    PHI_CT_MS_SSL_PYSSLCERTVERIFICATIONERROROBJECT,
	    PHI_CT_MS_SSL_PYSSLZERORETURNERROROBJECT,
	    PHI_CT_MS_SSL_PYSSLWANTREADERROROBJECT,
	    PHI_CT_MS_SSL_PYSSLWANTWRITEERROROBJECT,
	    PHI_CT_MS_SSL_PYSSLSYSCALLERROROBJECT,
	    PHI_CT_MS_SSL_PYSSLEOFERROROBJECT,
	    PHI_CT_MS_SSL_ERR_CODES_TO_NAMES, PHI_CT_MS_SSL_ERR_NAMES_TO_CODES,
	    PHI_CT_MS_SSL_LIB_CODES_TO_NAMES, PHI_CT_MS_SSL_SOCK_TYPE, END } },
	{ "_struct", PHI_CT_MS_STRUCT_SIZE, false,
	  { PHI_CT_MS_STRUCT_CACHE, PHI_CT_MS_STRUCT_PYSTRUCTTYPE,
	    PHI_CT_MS_STRUCT_UNPACKITER_TYPE, PHI_CT_MS_STRUCT_STRUCTERROR,
	    END } },
	{ "_thread", PHI_CT_MS_THREAD_SIZE, false,
	  { PHI_CT_MS_THREAD_LOCK_TYPE, PHI_CT_MS_THREAD_LOCAL_TYPE,
	    PHI_CT_MS_THREAD_LOCAL_DUMMY_TYPE, END } },
	{ "array", PHI_CT_MS_ARRAY_SIZE, false,
	  { PHI_CT_MS_ARRAY_ARRAYTYPE, PHI_CT_MS_ARRAY_ARRAYITERTYPE, END } },
	{ "audioop", PHI_CT_MS_AUDIOOP_SIZE, false,
	  { PHI_CT_MS_AUDIOOP_AUDIOOPERROR, END } },
	{ "binascii", PHI_CT_MS_BINASCII_SIZE, false,
	  { PHI_CT_MS_BINASCII_ERROR, PHI_CT_MS_BINASCII_INCOMPLETE, END } },
	{ "grp", PHI_CT_MS_GRP_SIZE, false,
	  { PHI_CT_MS_GRP_STRUCTGRPTYPE, END } },
	{ "mmap", PHI_CT_MS_MMAP_SIZE, false,
	  { PHI_CT_MS_MMAP_MMAP_OBJECT_TYPE, END } },
	{ "posix", PHI_CT_MS_POSIX_SIZE, false,
	  { PHI_CT_MS_POSIX_BILLION, PHI_CT_MS_POSIX_DIRENTRYTYPE,
	    PHI_CT_MS_POSIX_SCANDIRITERATORTYPE,
	    PHI_CT_MS_POSIX_SCHEDPARAMTYPE, PHI_CT_MS_POSIX_STATRESULTTYPE,
	    PHI_CT_MS_POSIX_STATVFSRESULTTYPE,
	    PHI_CT_MS_POSIX_TERMINALSIZETYPE, PHI_CT_MS_POSIX_TIMESRESULTTYPE,
	    PHI_CT_MS_POSIX_UNAMERESULTTYPE, PHI_CT_MS_POSIX_WAITIDRESULTTYPE,
	    PHI_CT_MS_POSIX_STRUCT_RUSAGE, PHI_CT_MS_POSIX_ST_MODE, END } },
	{ "pwd", PHI_CT_MS_PWD_SIZE, false,
	  { PHI_CT_MS_PWD_STRUCTPWDTYPE, END } },
	{ "pyexpat", PHI_CT_MS_PYEXPAT_SIZE, false,
	  { PHI_CT_MS_PYEXPAT_XML_PARSE_TYPE, PHI_CT_MS_PYEXPAT_ERROR, END } },
	{ "resource", PHI_CT_MS_RESOURCE_SIZE, false,
	  { PHI_CT_MS_RESOURCE_STRUCTRUSAGETYPE, END } },
	{ "select", PHI_CT_MS_SELECT_SIZE, false,
	  { PHI_CT_MS_SELECT_CLOSE, PHI_CT_MS_SELECT_POLL_TYPE,
	    PHI_CT_MS_SELECT_DEVPOLL_TYPE, PHI_CT_MS_SELECT_PYEPOLL_TYPE,
	    PHI_CT_MS_SELECT_KQUEUE_EVENT_TYPE,
	    PHI_CT_MS_SELECT_KQUEUE_QUEUE_TYPE, END } },
	{ "termios", PHI_CT_MS_TERMIOS_SIZE, false,
	  { PHI_CT_MS_TERMIOS_TERMIOSERROR, END } },
	{ "zlib", PHI_CT_MS_ZLIB_SIZE, false,
	  { PHI_CT_MS_ZLIB_COMPTYPE, PHI_CT_MS_ZLIB_DECOMPTYPE,
	    PHI_CT_MS_ZLIB_ZLIBERROR, END } },
};

#define NMSTATES (sizeof(mstates) / sizeof(mstates[0]))

#define ML(id) ((uint64_t)PHI_L(o->d->lay, id))

static uint64_t word(const struct phi_cobj *o, uint64_t addr)
{
	return phi_image_word(o->d->img, addr);
}

/* The module's m_name is name (a C string in the module's data). */
static bool name_is(const struct phi_cobj *o, uint64_t p, const char *name)
{
	size_t len = strlen(name);
	const char *s = phi_image_ptr(o->d->img, p, len + 1);

	return s && memcmp(s, name, len + 1) == 0;
}

static struct phi_cmod *cached(struct phi_cstate *cs, uint64_t def)
{
	for (size_t i = 0; i < cs->nmods; i++)
		if (cs->mods[i].def == def)
			return &cs->mods[i];
	return NULL;
}

static struct phi_cmod *classify(const struct phi_cobj *o,
				 struct phi_cstate *cs, uint64_t def)
{
	struct phi_cmod m = { .def = def };
	uint64_t name = word(o, def + ML(MODDEF_NAME));
	uint64_t trav = word(o, def + ML(MODDEF_TRAVERSE));
	int64_t g;

	m.size = (int64_t)word(o, def + ML(MODDEF_M_SIZE));
	if (cs->nmods == cs->mods_cap) {
		size_t ncap = cs->mods_cap ? 2 * cs->mods_cap : 64;
		struct phi_cmod *p = realloc(cs->mods, ncap * sizeof(*p));

		if (!p)
			return NULL;
		cs->mods = p;
		cs->mods_cap = ncap;
	}
	/* m_size 0 or -1 (faulthandler, single-phase modules): their
	 * m_traverse, if any, visits C statics, not a state. */
	if (!trav || m.size <= 0 || m.size > MAX_SCAN_STATE) {
		m.how = PHI_MSTATE_NONE;
	} else {
		m.how = PHI_MSTATE_SCAN;
		for (size_t i = 0; cs->mode == PHI_CMODE_ALL && i < NMSTATES;
		     i++)
			if (mstates[i].size == m.size &&
			    name_is(o, name, mstates[i].name)) {
				m.how = PHI_MSTATE_BUILTIN;
				m.index = (uint32_t)i;
				break;
			}
		if (m.how == PHI_MSTATE_SCAN && cs->mode != PHI_CMODE_SCAN) {
			g = phi_cdwarf_state(o->d->types, trav, m.size);
			if (g >= 0) {
				m.how = PHI_MSTATE_DWARF;
				m.index = (uint32_t)g;
			}
		}
	}
	cs->mods[cs->nmods] = m;
	return &cs->mods[cs->nmods++];
}

static uint32_t visit_builtin(const struct phi_cobj *o,
			      const struct mstate *s, uint64_t state)
{
	uint32_t n = 0, initialized = 0;

	if (!phi_image_ptr(o->d->img, state, (size_t)s->size)) {
		o->d->bad_fields++;
		return 0;
	}
	if (s->io && (!phi_image_u32(o->d->img, state, &initialized) ||
		      !initialized))
		return 0;
	for (int i = 0; i < MAX_STATE_FIELDS && s->f[i] != END; i++) {
		uint64_t p = word(o, state + (uint64_t)s->f[i]);

		if (p) {
			o->visit(o->vctx, p, 0);
			n++;
		}
	}
	return n;
}

uint32_t phi_modstate_visit(const struct phi_cobj *o, bool scan)
{
	struct phi_cstate *cs = phi_cstate(o->d->types);
	uint64_t def = word(o, o->addr + ML(MODULE_DEF));
	uint64_t state = word(o, o->addr + ML(MODULE_STATE));
	struct phi_cmod *m;

	if (!cs || !def || !state)
		return 0;
	m = cached(cs, def);
	if (!m)
		m = classify(o, cs, def);
	if (!m || (m->how == PHI_MSTATE_SCAN) != scan)
		return 0;
	switch (m->how) {
	case PHI_MSTATE_BUILTIN:
		return visit_builtin(o, &mstates[m->index], state);
	case PHI_MSTATE_DWARF:
		return phi_cdwarf_visit(o, &cs->gen[m->index], state, NULL, 0);
	case PHI_MSTATE_SCAN:
		return phi_cscan(o, state, 0, (uint64_t)m->size, NULL, 0);
	default:
		return 0;
	}
}
