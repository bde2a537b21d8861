"""Verify, inside a live CPython 3.10, the layouts, traversals and size
formulas of the C types that issue 13's decoders need.

Usage: python3.10 tests/ctypes_survey.py [--json OUT]

For every C type of the survey (issue 13's
point 2), this script
  1. makes instances of it (and of a Python subclass where that matters);
  2. reads the type object with ctypes (tp_name, tp_flags: static or heap,
     GC; tp_basicsize, tp_itemsize, tp_traverse, tp_dealloc, the C
     function behind __sizeof__) and names those functions by the symbol
     tables of the ELF file mapped there (libpython3.10.so or the
     extension module in lib-dynload);
  3. takes the object struct from DWARF: the type of tp_traverse's first
     parameter (`gdb -batch -ex 'ptype FN'`), then `ptype /o STRUCT`;
  4. computes, from the raw memory of each instance and those DWARF
     offsets only, the referents that tp_traverse visits, in the order the
     C source visits them (the SPECS table below, written from the 3.10
     sources), and the sys.getsizeof figure from the type's __sizeof__
     formula, and checks both against gc.get_referents(o) and
     sys.getsizeof(o) exactly;
  5. does the same for the per-module state of every C module loaded
     (PyModuleDef.m_size and m_traverse, md_state), comparing the state
     struct's members with what gc.get_referents(module) reports before
     md_dict.
Modules that are not in STATE_STRUCTS are checked as a set: their state
struct is the first local pointer of m_traverse.  It prints one line per
type and per module and a summary line
"survey: N passed, N failed"; it exits 1 on any mismatch.

Needs gdb and nm (binutils) and a CPython 3.10 built with debug info
(the pyenv build of this machine).  Reading id() addresses with ctypes is
safe here: every object read is alive and held by the script.
"""
import array
import asyncio
import collections
import contextvars
import csv
import ctypes
import decimal
import functools
import gc
import io
import itertools
import json
import operator
import os
import queue
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import types
import weakref
import xml.etree.ElementTree as ET
import _thread
# Imported only so that their C modules, and so their module states, are
# loaded and surveyed.
import binascii  # noqa: F401
import bz2  # noqa: F401
import hashlib  # noqa: F401
import locale  # noqa: F401
import lzma  # noqa: F401
import pyexpat  # noqa: F401
import random  # noqa: F401
import select  # noqa: F401
import ssl  # noqa: F401
import zlib  # noqa: F401

PTR = 8
HEAPTYPE = 1 << 9
HAVE_GC = 1 << 14
TP = {"basicsize": 32, "itemsize": 40, "dealloc": 48, "flags": 168,
      "traverse": 184, "base": 256, "dictoffset": 288, "is_gc": 328}
# PyModuleObject and PyModuleDef, checked against DWARF in check_module_
# structs().
MOD = {"md_dict": 16, "md_def": 24, "md_state": 32}
MODDEF = {"m_name": 40, "m_size": 56, "m_traverse": 80}


def u64(a):
    return ctypes.c_uint64.from_address(a).value


def i64(a):
    return ctypes.c_int64.from_address(a).value


def i32(a):
    return ctypes.c_int32.from_address(a).value


def u8(a):
    return ctypes.c_uint8.from_address(a).value


def cstr(a):
    return ctypes.string_at(a).decode("utf-8", "replace")


# ------------------------------------------------------------ ELF symbols

class Maps:
    """The ELF files mapped into this process, with their load bias and
    their symbols (nm), to name a function pointer."""

    def __init__(self):
        self.ranges = []        # (start, end, path)
        self.base = {}          # path -> address of file offset 0
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6 or not parts[5].startswith("/"):
                    continue
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                off = int(parts[2], 16)
                path = parts[5]
                self.ranges.append((lo, hi, path))
                if off == 0 and path not in self.base:
                    self.base[path] = lo
        self.syms = {}

    def path_of(self, addr):
        for lo, hi, path in self.ranges:
            if lo <= addr < hi:
                return path
        return None

    def _load(self, path):
        if path in self.syms:
            return self.syms[path]
        table = {}
        out = subprocess.run(["nm", "--defined-only", path],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3:
                table.setdefault(int(p[0], 16), p[2])
        dyn = set()
        out = subprocess.run(["nm", "-D", "--defined-only", path],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3:
                dyn.add(p[2])
        self.syms[path] = (table, dyn)
        return self.syms[path]

    def name(self, addr):
        """(symbol, path, exported) of a function or data address."""
        path = self.path_of(addr)
        if path is None:
            return None, None, False
        table, dyn = self._load(path)
        s = table.get(addr - self.base[path])
        return s, path, s in dyn


# --------------------------------------------------------------- DWARF

_gdb_cache = {}


def gdb(path, commands):
    """Run gdb on an ELF file; one output string per command."""
    key = (path, tuple(commands))
    if key in _gdb_cache:
        return _gdb_cache[key]
    args = ["gdb", "-batch", "-nx"]
    for c in commands:
        args += ["-ex", c, "-ex", "echo @@@END@@@\\n"]
    out = subprocess.run(args + [path], capture_output=True,
                         text=True).stdout
    res = out.split("@@@END@@@\n")[:len(commands)]
    _gdb_cache[key] = res
    return res


MEMBER_RE = re.compile(r"/\*\s+(\d+)(?::\s*\d+)?\s+\|\s+(\d+)\s+\*/\s+(.*);")


def parse_ptype(text):
    """Top-level members of `ptype /o` output: name -> (offset, size,
    declaration); nested structs are kept as one member (their inner
    lines are skipped)."""
    members = {}
    order = []
    depth = 0
    total = None
    for line in text.splitlines():
        if line.startswith("type = "):
            depth = 1
            continue
        m = MEMBER_RE.match(line.strip()) if depth == 1 else None
        if m:
            off, size, decl = int(m.group(1)), int(m.group(2)), m.group(3)
            name = re.findall(r"[A-Za-z_]\w*", decl.split("[")[0].split(")")[0])[-1] \
                if "(*" in decl else re.findall(r"[A-Za-z_]\w*",
                                                decl.split("[")[0])[-1]
            members[name] = (off, size, decl)
            order.append(name)
        if line.rstrip().endswith("{"):
            # an inner struct or union opens (its header line carries
            # the offset of the member that it is)
            hm = re.match(r"\s*/\*\s+(\d+)\s+\|\s+(\d+)\s+\*/\s+(.*)\{",
                          line)
            if depth == 1 and hm:
                pending = (int(hm.group(1)), int(hm.group(2)),
                           hm.group(3).strip())
            else:
                pending = None
            depth += 1
            inner_pending = pending
            continue
        if re.match(r"\s*(/\*.*\*/)?\s*\}\s*(\w*)\s*;", line) and depth > 1:
            depth -= 1
            nm = re.match(r".*\}\s*(\w+)\s*;", line)
            if depth == 1 and nm and inner_pending:
                members[nm.group(1)] = (inner_pending[0], inner_pending[1],
                                        inner_pending[2] + " {...}")
                order.append(nm.group(1))
            continue
        t = re.search(r"total size \(bytes\):\s+(\d+)", line)
        if t and depth <= 1:
            total = int(t.group(1))
    return members, order, total


class Struct:
    def __init__(self, path, name):
        self.path = path
        self.name = name
        cmd = "ptype /o " + (name if name.startswith("struct ")
                             or " " in name else name)
        self.text = gdb(path, [cmd])[0]
        self.members, self.order, self.size = parse_ptype(self.text)
        if not self.members:
            raise KeyError("no DWARF for %s in %s" % (name, path))

    def off(self, dotted, sub=None):
        """Offset of a member; "a.b" goes into an embedded struct."""
        parts = dotted.split(".")
        off = self.members[parts[0]][0]
        if len(parts) > 1:
            inner = sub[parts[0]]
            off += inner.off(".".join(parts[1:]))
        return off

    def layout_lines(self):
        out = []
        for n in self.order:
            off, size, decl = self.members[n]
            out.append("%5d %4d  %s" % (off, size, decl))
        out.append("size %s" % self.size)
        return out


FN_TYPES = """
import gdb
def show(name):
    try:
        sym = gdb.lookup_static_symbol(name) or gdb.lookup_global_symbol(name)
    except gdb.error:
        sym = None
    if sym is None or not sym.is_function:
        print("FN|%s|-|-|-" % name)
        return
    b = gdb.block_for_pc(int(sym.value().address))
    args, local = [], "-"
    for s in b:
        if s.is_argument:
            args.append(str(s.type))
        elif s.is_variable and local == "-" and str(s.type).endswith("*"):
            local = str(s.type)
    print("FN|%s|%s|%s|%s" % (name, args[0] if args else "-", local,
                              sym.symtab.filename))
for n in NAMES:
    show(n)
"""


def fn_struct(path, name):
    """The struct a C function's first parameter points to; when that is
    a plain PyObject *, the first local pointer (the cast the function
    starts with, e.g. `_tuplegetterobject *tuplegetter = ...`).  None
    when DWARF has no subprogram for it."""
    script = FN_TYPES.replace("NAMES", repr([name]))
    key = ("py", path, name)
    if key not in _gdb_cache:
        with tempfile.NamedTemporaryFile("w", suffix=".py",
                                         delete=False) as f:
            f.write(script)
        out = subprocess.run(["gdb", "-batch", "-nx", "-x", f.name, path],
                             capture_output=True, text=True).stdout
        os.unlink(f.name)
        _gdb_cache[key] = out
    for line in _gdb_cache[key].splitlines():
        if line.startswith("FN|"):
            _, _, arg, local, src = line.split("|")
            # DWARF names some files by the build tree's absolute path
            SOURCE[name] = re.sub(r"^.*?/Python-3\.10\.\d+/", "",
                                  src).lstrip("./")
            for cand in (arg, local):
                c = cand.rstrip("*").strip()
                if cand.endswith("*") and c not in ("PyObject", "-"):
                    return c, "parameter" if cand is arg else "local"
    return None, None


SOURCE = {}     # C function -> its source file, from DWARF


def traverse_struct(maps, t):
    """(traverse symbol, ELF path, struct, how the struct was found):
    from tp_traverse, else from tp_dealloc."""
    for slot in ("traverse", "dealloc"):
        fn = u64(id(t) + TP[slot])
        if not fn:
            continue
        name, path, _ = maps.name(fn)
        if not name:
            continue
        st, how = fn_struct(path, name)
        if st:
            return (maps.name(u64(id(t) + TP["traverse"]))[0], path, st,
                    "%s of %s" % ("first parameter" if how == "parameter"
                                  else "first local pointer", name))
    fn = u64(id(t) + TP["traverse"]) or u64(id(t) + TP["dealloc"])
    return maps.name(u64(id(t) + TP["traverse"]))[0], maps.name(fn)[1], \
        None, None


# -------------------------------------------------------------- samples

class Target:
    def method(self):
        return self


class CallableTarget:
    def __call__(self):
        return 1


class Sub(Target):
    pass


async def _awaits(fut):
    local = ["awaiting"]
    return await fut, local


def asyncio_samples():
    loop = asyncio.new_event_loop()
    pending = loop.create_future()
    done = loop.create_future()
    done.set_result(b"R" * 1000)
    failed = loop.create_future()
    try:
        raise ValueError("x")
    except ValueError as e:
        failed.set_exception(e)
    failed.exception()
    cancelled = loop.create_future()
    cancelled.cancel("why")
    task = loop.create_task(_awaits(pending), name="t")
    loop.run_until_complete(asyncio.sleep(0))       # task now waits
    it = pending.__await__()                        # a FutureIter
    sub = FutureSub(loop=loop)
    sub.attr = "subclass dict"
    return loop, {"_asyncio.Future": [pending, done, failed, cancelled, sub],
                  "_asyncio.Task": [task],
                  "_asyncio.FutureIter": [it],
                  }


def contextvars_samples():
    var = contextvars.ContextVar("v")
    dvar = contextvars.ContextVar("d", default=[1])
    token = var.set("x")
    ctx = contextvars.copy_context()
    big = contextvars.Context()
    vs = [contextvars.ContextVar("c%d" % i) for i in range(40)]
    for i, v in enumerate(vs):
        big.run(v.set, i)
    return [var, dvar, vs], {"_contextvars.Context": [ctx, big,
                                                       contextvars.Context()],
                             "_contextvars.ContextVar": [var, dvar],
                             "_contextvars.Token": [token]}


def hamt_samples(keep):
    """The HAMT objects behind Contexts (not reachable as attributes)."""
    out = collections.defaultdict(list)
    seen = set()
    stack = [c for c in keep if type(c) is contextvars.Context]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        n = type(o).__name__
        if n.startswith("hamt"):
            out[n].append(o)
        for r in gc.get_referents(o):
            if type(r).__name__.startswith("hamt") or \
                    type(r) is contextvars.Context:
                stack.append(r)
    return out


def lru_samples():
    @functools.lru_cache(maxsize=None)
    def unbounded(n):
        return [n]

    @functools.lru_cache(maxsize=4)
    def bounded(n, k=0):
        return {"n": n}

    @functools.lru_cache(maxsize=0)
    def uncached(n):
        return n
    for i in range(10):
        unbounded(i)
        bounded(i, k=i)
        uncached(i)
    wrapped = functools.lru_cache(maxsize=8)(Target.method)
    wrapped.attr = "in the wrapper's dict"
    elems = [r for r in gc.get_referents(bounded)
             if type(r).__name__ == "_lru_list_elem"]
    return [unbounded, bounded, uncached, wrapped], elems


def target(a, b, *, c=None):
    return a, b, c


class PartialSub(functools.partial):
    __slots__ = ("extra",)


class FutureSub(asyncio.Future):
    """A Python subclass of a static C type, with a __dict__ of its own
    (as asyncio.tasks._GatheringFuture)."""


class LocalSub(threading.local):
    pass


class ElementSub(ET.Element):
    pass


def make_samples():
    keep = []
    S = collections.defaultdict(list)
    loop, a = asyncio_samples()
    keep.append(loop)
    for k, v in a.items():
        S[k] += v
    kk, c = contextvars_samples()
    keep.append(kk)
    for k, v in c.items():
        S[k] += v
    ctxs = S["_contextvars.Context"]
    # No hamt_collision_node sample: a Context's keys are ContextVars,
    # whose hashes are address-based; collisions cannot be arranged.
    for k, v in hamt_samples(ctxs).items():
        S[k] += v
    wrappers, elems = lru_samples()
    S["functools._lru_cache_wrapper"] += wrappers
    S["functools._lru_list_elem"] += elems
    # The links are the values of the bounded cache's dict (the wrapper's
    # traverse visits their key and result, not the links).
    for r in gc.get_referents(wrappers[1]):
        if type(r) is dict and r and all(
                type(v).__name__ == "_lru_list_elem" for v in r.values()):
            S["functools._lru_list_elem"] += list(r.values())
    p = functools.partial(target, 1, c=2)
    p.attr = "dict"
    ps = PartialSub(target, 3)
    ps.extra = "slot"
    S["functools.partial"] += [p, functools.partial(target), ps]
    S["functools.KeyWrapper"] += [functools.cmp_to_key(lambda x, y: 0)(5)]

    root = ET.Element("root", {"a": "1"})
    root.text = "text"
    root.tail = "tail"
    for i in range(3):
        ET.SubElement(root, "c%d" % i).text = str(i)
    big = ET.Element("big")
    for i in range(40):
        ET.SubElement(big, "x")
    bare = ET.Element("bare")
    attr_only = ET.Element("a", {"k": "v"})
    parsed = ET.fromstring("<a x='1'>t<b>u</b>v<c/>w</a>")
    # Text delivered in several chunks (an entity splits it) is kept as a
    # list, with the low bit of the pointer set (JOIN_SET), until .text
    # is read: never read it here.
    joined = ET.fromstring("<j>x &amp; y<k/>tail &lt; z</j>")
    keep += [parsed, joined]
    S["xml.etree.ElementTree.Element"] += [root, big, bare, attr_only,
                                           root[0], parsed, parsed[0],
                                           parsed[1], ElementSub("sub"),
                                           joined, joined[0]]
    parser = ET.XMLParser(target=ET.TreeBuilder())
    parser.feed("<a><b>text")
    S["xml.etree.ElementTree.XMLParser"] += [parser, ET.XMLParser()]
    tb = ET.TreeBuilder()
    tb.start("x", {})
    tb.data("d")
    S["xml.etree.ElementTree.TreeBuilder"] += [tb]
    it = root.iter()
    next(it)
    S["_elementtree._element_iterator"] += [it]

    pat = re.compile(r"(?P<y>\d{4})-(\d\d)")
    bpat = re.compile(rb"ab+", re.I)
    m = pat.search("x 2024-05 y")
    S["re.Pattern"] += [pat, bpat]
    S["re.Match"] += [m, bpat.match(b"ABBB")]
    sc = pat.scanner("2024-05 2025-06")
    sc.search()
    S["_sre.SRE_Scanner"] += [sc]

    arr = array.array("q", range(1000))
    S["array.array"] += [arr, array.array("u", "abc"), array.array("b")]
    S["array.arrayiterator"] += [iter(arr)]

    tmpdir = tempfile.mkdtemp(prefix="ctypes-survey-")
    path = os.path.join(tmpdir, "f.bin")
    with open(path, "wb") as f:
        f.write(b"x" * 10000)
    bio = io.BytesIO()
    bio.write(b"B" * 5000)
    shared_init = b"shared" * 10
    shared = io.BytesIO(shared_init)
    exported = io.BytesIO(b"exported")
    view = exported.getbuffer()
    keep += [shared_init, view, tmpdir]
    bio.attr = 1
    S["_io.BytesIO"] += [bio, shared, exported, io.BytesIO()]
    bufobj = [r for r in gc.get_referents(view) if True]
    keep.append(bufobj)
    sio = io.StringIO()
    sio.write("é" * 100)
    sio2 = io.StringIO("accumulating")
    sio2.write("x")
    S["_io.StringIO"] += [sio, sio2]
    rb = open(path, "rb")
    rb.read(3)
    wb = open(os.path.join(tmpdir, "w.bin"), "wb")
    wb.write(b"pending")
    rnd = open(path, "r+b")
    raw = open(path, "rb", buffering=0)
    txt = open(os.path.join(tmpdir, "t.txt"), "w+", encoding="utf-8")
    txt.write("ü\n" * 5)
    txt.seek(0)
    txt.readline()
    utf16 = io.TextIOWrapper(io.BytesIO("ü€\n".encode("utf-16")),
                             encoding="utf-16")
    utf16.read(1)
    keep += [rb, wb, rnd, raw, txt, utf16]
    S["_io.BufferedReader"] += [rb]
    S["_io.BufferedWriter"] += [wb]
    S["_io.BufferedRandom"] += [rnd]
    S["_io.FileIO"] += [raw, rb.raw]
    S["_io.TextIOWrapper"] += [txt, utf16]
    S["_io.BufferedRWPair"] += [io.BufferedRWPair(io.BytesIO(), io.BytesIO())]
    S["_io.IncrementalNewlineDecoder"] += [
        r for r in gc.get_referents(utf16)
        if type(r).__name__ == "IncrementalNewlineDecoder"]
    S["_io._BytesIOBuffer"] += [r for r in gc.get_referents(
        [r for r in gc.get_referents(view)][0])]

    conn = sqlite3.connect(":memory:", cached_statements=4)
    conn.row_factory = sqlite3.Row
    conn.execute("create table t (a, b)")
    conn.executemany("insert into t values (?, ?)", [(i, str(i)) for i in range(20)])
    for i in range(6):
        conn.execute("select a from t where a = %d" % i).fetchall()
    cur = conn.cursor()
    cur.execute("select * from t")
    row = cur.fetchone()
    keep.append(conn)
    cache = [r for r in gc.get_referents(conn)
             if type(r).__name__ == "Cache"]
    nodes = []
    for c_ in cache:
        nodes += [r for r in gc.get_referents(c_) if type(r).__name__ == "Node"]
    stmts = []
    for n in nodes:
        stmts += [r for r in gc.get_referents(n)
                  if type(r).__name__ == "Statement"]
    S["sqlite3.Connection"] += [conn, sqlite3.connect(":memory:")]
    S["sqlite3.Cursor"] += [cur, conn.cursor()]
    S["sqlite3.Cache"] += cache
    S["sqlite3.Node"] += nodes
    S["sqlite3.Statement"] += stmts
    S["sqlite3.Row"] += [row]

    S["_abc._abc_data"] += [collections.abc.Mapping._abc_impl,
                            io.IOBase._abc_impl]
    S["operator.attrgetter"] += [operator.attrgetter("a"),
                                 operator.attrgetter("a.b", "c")]
    S["operator.itemgetter"] += [operator.itemgetter(1),
                                 operator.itemgetter(1, "k")]
    S["operator.methodcaller"] += [operator.methodcaller("f"),
                                   operator.methodcaller("f", 1, k=2)]
    cyc = itertools.cycle("abc")
    next(cyc)
    t1, t2 = itertools.tee(range(10))
    next(t1)
    gb = itertools.groupby("aab")
    _, grp = next(gb)
    S["itertools.cycle"] += [cyc]
    S["itertools.count"] += [itertools.count(), itertools.count(2 ** 70, 1.5)]
    S["itertools._tee"] += [t1, t2]
    S["itertools._tee_dataobject"] += [r for r in gc.get_referents(t1)
                                       if type(r).__name__ == "_tee_dataobject"]
    S["itertools.groupby"] += [gb]
    S["itertools._grouper"] += [grp]
    S["itertools.chain"] += [itertools.chain([1], [2])]
    S["itertools.islice"] += [itertools.islice(range(9), 1, 5)]
    S["itertools.product"] += [itertools.product("ab", range(3))]
    S["itertools.permutations"] += [itertools.permutations(range(4), 2)]
    S["itertools.combinations"] += [itertools.combinations("abcd", 2)]
    S["itertools.combinations_with_replacement"] += [
        itertools.combinations_with_replacement("ab", 3)]
    acc = itertools.accumulate([1, 2, 3], operator.add, initial=10)
    next(acc)
    S["itertools.accumulate"] += [acc]
    S["itertools.zip_longest"] += [itertools.zip_longest("a", "bc",
                                                         fillvalue=0)]
    S["itertools.starmap"] += [itertools.starmap(pow, [(1, 2)])]
    S["itertools.takewhile"] += [itertools.takewhile(bool, [1])]
    S["itertools.dropwhile"] += [itertools.dropwhile(bool, [1])]
    S["itertools.compress"] += [itertools.compress("ab", [1, 0])]
    S["itertools.filterfalse"] += [itertools.filterfalse(None, [0])]
    S["itertools.repeat"] += [itertools.repeat("r", 3), itertools.repeat(1)]
    pw = itertools.pairwise("abc")
    next(pw)
    S["itertools.pairwise"] += [pw]
    for k in list(S):
        if k.startswith("itertools.") and k not in ("itertools._tee_dataobject",):
            for o in S[k]:
                if k in ("itertools.product", "itertools.permutations",
                         "itertools.combinations",
                         "itertools.combinations_with_replacement"):
                    next(o)
    Pt = collections.namedtuple("Pt", "x y")
    S["_collections._tuplegetter"] += [vars(Pt)["x"]]
    keep.append(Pt)
    dq = collections.deque(range(5))
    S["_collections._deque_iterator"] += [iter(dq)]
    keep.append(dq)

    st = struct.Struct("<iqd16s")
    S["_struct.Struct"] += [st, struct.Struct("!HH"), struct.Struct("")]
    ui = struct.Struct("!H").iter_unpack(bytearray(8))
    next(ui)
    S["_struct.unpack_iterator"] += [ui]

    rec = Target()
    S["method-wrapper"] += [rec.__str__, (1).__add__]
    loc = threading.local()
    loc.x = 1
    raw_local = _thread._local()
    raw_local.y = 2
    ls = LocalSub()
    ls.z = 3
    S["_thread._local"] += [raw_local, ls]
    S["_thread.lock"] += [_thread.allocate_lock()]
    S["_thread.RLock"] += [threading.RLock()]
    keep.append(loc)
    S["types.GenericAlias"] += [list[int], dict[str, list[int]]]
    tgt = Target()
    ct = CallableTarget()
    keep += [tgt, ct]
    S["weakref.ProxyType"] += [weakref.proxy(tgt),
                               weakref.proxy(tgt, lambda r: None)]
    S["weakref.CallableProxyType"] += [weakref.proxy(ct)]
    S["list_iterator"] += [iter([1, 2])]
    S["tuple_iterator"] += [iter((1, 2))]
    S["str_iterator"] += [iter("ab")]
    S["memoryview"] += [memoryview(b"abc")]
    mv = memoryview(b"xy")
    keep.append(mv)
    S["managedbuffer"] += [r for r in gc.get_referents(mv)]
    d = decimal.Decimal("3.14159")
    # Exact construction keeps every digit: 500 digits need more than the
    # 4 inline words, so the data is allocated (MPD_DATAFLAGS clear).
    S["decimal.Decimal"] += [d, decimal.Decimal(10) ** 100,
                             decimal.Decimal("7" * 500)]
    S["_csv.Dialect"] += [csv.get_dialect("excel")]
    sq = queue.SimpleQueue()
    sq.put("item")
    S["_queue.SimpleQueue"] += [sq]
    S["_json.Scanner"] += [json.decoder.JSONDecoder().scan_once]
    return S, keep


# ------------------------------------------------------------------ specs
#
# What each tp_traverse visits, in order, from the CPython 3.10 sources.
# An entry is a member name of the struct (dotted for a member of an
# embedded struct, whose own struct name is in "sub"), "TYPE" for
# Py_VISIT(Py_TYPE(self)), or a function (addr, ctx) -> [addresses].

def visit_lru(addr, c):
    """lru_cache_tp_traverse: the bounded cache's circular list, from
    root.next to &root: key, result, Py_TYPE(link) per link."""
    out = []
    root = addr + c.off("root")
    elem = c.sub["root"]
    nxt = elem.off("next")
    link = u64(root + nxt)
    n = 0
    while link != root and n < 1 << 20:
        out += [u64(link + elem.off("key")), u64(link + elem.off("result")),
                u64(link + 8)]
        link = u64(link + nxt)
        n += 1
    return out


def visit_element_text(member):
    def f(addr, c):
        return [u64(addr + c.off(member)) & ~1]     # JOIN_OBJ
    return f


def visit_element_extra(addr, c):
    extra = u64(addr + c.off("extra"))
    if not extra:
        return []
    x = c.sub["extra"]
    out = [u64(extra + x.off("attrib"))]
    n = i64(extra + x.off("length"))
    children = u64(extra + x.off("children"))
    for i in range(n):
        out.append(u64(children + 8 * i))
    return out


def visit_hamt_array(field, count, reverse):
    def f(addr, c):
        base = addr + c.off(field)
        n = i64(addr + 16) if count is None else count
        idx = range(n - 1, -1, -1) if reverse else range(n)
        return [u64(base + 8 * i) for i in idx]
    return f


def visit_teedata(addr, c):
    out = [u64(addr + c.off("it"))]
    n = i32(addr + c.off("numread"))
    for i in range(n):
        out.append(u64(addr + c.off("values") + 8 * i))
    out.append(u64(addr + c.off("nextlink")))
    return out


def visit_sqlite_cache(addr, c):
    out = []
    if i32(addr + c.off("decref_factory")):
        out.append(u64(addr + c.off("factory")))
    node = u64(addr + c.off("first"))
    nxt = c.sub["first"].off("next")
    n = 0
    while node and n < 1 << 20:
        out.append(node)
        node = u64(node + nxt)
        n += 1
    return out


def visit_elementiter(addr, c):
    out = []
    used = i64(addr + c.off("parent_stack_used"))
    stack = u64(addr + c.off("parent_stack"))
    ps = c.sub["parent_stack"]
    for i in range(used - 1, -1, -1):
        out.append(u64(stack + ps.size * i + ps.off("parent")))
    return out


def visit_deque_iter(addr, c):
    return [u64(addr + c.off("deque"))]


def visit_buf_obj(addr, c):
    return [u64(addr + c.off("buf") + c.sub["buf"].off("obj"))]


def visit_mbuf(addr, c):
    return [u64(addr + c.off("master") + c.sub["master"].off("obj"))]


EXC = ["exc_type", "exc_value", "exc_traceback"]

SPECS = {
    "_asyncio.Future": dict(
        traverse=["fut_loop", "fut_callback0", "fut_context0",
                  "fut_callbacks", "fut_result", "fut_exception",
                  "fut_exception_tb", "fut_source_tb", "fut_cancel_msg",
                  "dict"] + ["fut_cancelled_exc_state." + e for e in EXC],
        sub={"fut_cancelled_exc_state": "_PyErr_StackItem@libpython"}),
    "_asyncio.Task": dict(
        traverse=["task_context", "task_coro", "task_name",
                  "task_fut_waiter", "task_loop", "task_callback0",
                  "task_context0", "task_callbacks", "task_result",
                  "task_exception", "task_exception_tb", "task_source_tb",
                  "task_cancel_msg", "dict"]
        + ["task_cancelled_exc_state." + e for e in EXC],
        sub={"task_cancelled_exc_state": "_PyErr_StackItem@libpython"}),
    "_asyncio.FutureIter": dict(traverse=["future"]),
    "_asyncio.TaskStepMethWrapper": dict(traverse=["sw_task", "sw_arg"]),
    "functools._lru_cache_wrapper": dict(
        traverse=["TYPE", visit_lru, "cache", "func", "kwd_mark",
                  "lru_list_elem_type", "cache_info_type", "dict"],
        sub={"root": "lru_list_elem"}),
    "functools._lru_list_elem": dict(traverse=None),     # not GC
    "functools.partial": dict(traverse=["TYPE", "fn", "args", "kw",
                                        "dict"]),
    "functools.KeyWrapper": dict(traverse=["TYPE", "cmp", "object"]),
    "_contextvars.Context": dict(traverse=["ctx_prev", "ctx_vars"]),
    "_contextvars.ContextVar": dict(traverse=["var_name", "var_default"]),
    "_contextvars.Token": dict(traverse=["tok_ctx", "tok_var",
                                         "tok_oldval"]),
    "hamt": dict(traverse=["h_root"]),
    "hamt_bitmap_node": dict(traverse=[visit_hamt_array("b_array", None,
                                                        True)]),
    "hamt_array_node": dict(traverse=[visit_hamt_array("a_array", 32,
                                                       False)]),
    "hamt_collision_node": dict(traverse=[visit_hamt_array("c_array", None,
                                                           True)]),
    "xml.etree.ElementTree.Element": dict(
        traverse=["tag", visit_element_text("text"),
                  visit_element_text("tail"), visit_element_extra],
        sub={"extra": "ElementObjectExtra"}),
    "xml.etree.ElementTree.TreeBuilder": dict(
        traverse=["pi_event_obj", "comment_event_obj", "end_ns_event_obj",
                  "start_ns_event_obj", "end_event_obj", "start_event_obj",
                  "events_append", "root", "this", "last", "last_for_tail",
                  "data", "stack", "pi_factory", "comment_factory",
                  "element_factory"]),
    "xml.etree.ElementTree.XMLParser": dict(
        traverse=["handle_close", "handle_pi", "handle_comment",
                  "handle_end", "handle_data", "handle_start",
                  "handle_start_ns", "handle_end_ns", "handle_doctype",
                  "target", "entity", "names"]),
    "_elementtree._element_iterator": dict(
        traverse=[visit_elementiter, "root_element", "sought_tag"],
        sub={"parent_stack": "ParentLocator"}),
    "re.Pattern": dict(traverse=["TYPE", "groupindex", "indexgroup",
                                 "pattern"]),
    "re.Match": dict(traverse=["TYPE", "string", "regs", "pattern"]),
    "_sre.SRE_Scanner": dict(traverse=["TYPE", "pattern"]),
    "array.array": dict(traverse=["TYPE"]),
    "array.arrayiterator": dict(traverse=["TYPE", "ao"]),
    "_io.BytesIO": dict(traverse=["dict"]),
    "_io.StringIO": dict(traverse=["dict"]),
    "_io.BufferedReader": dict(traverse=["raw", "dict"]),
    "_io.BufferedWriter": dict(traverse=["raw", "dict"]),
    "_io.BufferedRandom": dict(traverse=["raw", "dict"]),
    "_io.BufferedRWPair": dict(traverse=["dict"]),
    "_io.FileIO": dict(traverse=["dict"]),
    "_io.TextIOWrapper": dict(
        traverse=["buffer", "encoding", "encoder", "decoder", "readnl",
                  "decoded_chars", "pending_bytes", "snapshot", "errors",
                  "raw", "dict"]),
    "_io.IncrementalNewlineDecoder": dict(traverse=None),    # not GC
    "_io._BytesIOBuffer": dict(traverse=["source"]),
    "sqlite3.Connection": dict(
        traverse=["TYPE", "isolation_level", "statement_cache",
                  "statements", "cursors", "row_factory", "text_factory",
                  "function_pinboard_trace_callback",
                  "function_pinboard_progress_handler",
                  "function_pinboard_authorizer_cb", "collations"]),
    "sqlite3.Cursor": dict(traverse=["TYPE", "connection", "description",
                                     "row_cast_map", "lastrowid",
                                     "row_factory", "statement",
                                     "next_row"]),
    "sqlite3.Cache": dict(traverse=["TYPE", "mapping", visit_sqlite_cache],
                          sub={"first": "pysqlite_Node"}),
    "sqlite3.Node": dict(traverse=["TYPE", "key", "data"]),
    "sqlite3.Statement": dict(traverse=["TYPE", "sql"]),
    "sqlite3.Row": dict(traverse=["TYPE", "data", "description"]),
    "_abc._abc_data": dict(traverse=["TYPE", "_abc_registry", "_abc_cache",
                                     "_abc_negative_cache"]),
    "operator.attrgetter": dict(traverse=["attr", "TYPE"]),
    "operator.itemgetter": dict(traverse=["TYPE", "item"]),
    "operator.methodcaller": dict(traverse=["name", "args", "kwds",
                                            "TYPE"]),
    "itertools.cycle": dict(traverse=["it", "saved"]),
    "itertools.count": dict(traverse=["long_cnt", "long_step"]),
    "itertools._tee": dict(traverse=["dataobj"]),
    "itertools._tee_dataobject": dict(traverse=[visit_teedata]),
    "itertools.groupby": dict(traverse=["it", "keyfunc", "tgtkey",
                                        "currkey", "currvalue"]),
    "itertools._grouper": dict(traverse=["parent", "tgtkey"]),
    "itertools.chain": dict(traverse=["source", "active"]),
    "itertools.islice": dict(traverse=["it"]),
    "itertools.product": dict(traverse=["pools", "result"]),
    "itertools.permutations": dict(traverse=["pool", "result"]),
    "itertools.combinations": dict(traverse=["pool", "result"]),
    "itertools.combinations_with_replacement": dict(traverse=["pool",
                                                              "result"]),
    "itertools.accumulate": dict(traverse=["binop", "it", "total",
                                           "initial"]),
    "itertools.zip_longest": dict(traverse=["ittuple", "result",
                                            "fillvalue"]),
    "itertools.starmap": dict(traverse=["it", "func"]),
    "itertools.takewhile": dict(traverse=["it", "func"]),
    "itertools.dropwhile": dict(traverse=["it", "func"]),
    "itertools.compress": dict(traverse=["data", "selectors"]),
    "itertools.filterfalse": dict(traverse=["it", "func"]),
    "itertools.repeat": dict(traverse=["element"]),
    "itertools.pairwise": dict(traverse=["it", "old"]),
    "_collections._tuplegetter": dict(traverse=["doc"]),
    "_collections._deque_iterator": dict(traverse=[visit_deque_iter]),
    "_struct.Struct": dict(traverse=["TYPE", "s_format"]),
    "_struct.unpack_iterator": dict(traverse=["TYPE", "so", visit_buf_obj],
                                    sub={"buf": "Py_buffer@libpython"}),
    "method-wrapper": dict(traverse=["descr", "self"]),
    "_thread._local": dict(traverse=["TYPE", "args", "kw", "dummies"]),
    "_thread.lock": dict(traverse=["TYPE"]),
    "_thread.RLock": dict(traverse=["TYPE"], struct="rlockobject"),
    "types.GenericAlias": dict(traverse=["origin", "args", "parameters"]),
    "weakref.ProxyType": dict(traverse=["wr_callback"]),
    "weakref.CallableProxyType": dict(traverse=["wr_callback"]),
    "list_iterator": dict(traverse=["it_seq"]),
    "tuple_iterator": dict(traverse=["it_seq"]),
    "str_iterator": dict(traverse=["it_seq"]),
    "memoryview": dict(traverse=["mbuf"]),
    "managedbuffer": dict(traverse=[visit_mbuf],
                          sub={"master": "Py_buffer@libpython"}),
    "decimal.Decimal": dict(traverse=None, struct="PyDecObject"),  # not GC
    "_csv.Dialect": dict(traverse=["lineterminator", "TYPE"]),
    "_queue.SimpleQueue": dict(traverse=["lst", "TYPE"]),
    "_json.Scanner": dict(traverse=["TYPE", "object_hook",
                                    "object_pairs_hook", "parse_float",
                                    "parse_int", "parse_constant", "memo"]),
}


# ------------------------------------------------------------ sizes
#
# sys.getsizeof = type(o).__sizeof__(o) + 16 when the object has a GC
# head.  Each function returns the __sizeof__ part from raw memory.

def size_default(addr, t, c):
    basic = i64(id(t) + TP["basicsize"])
    item = i64(id(t) + TP["itemsize"])
    return basic + (i64(addr + 16) * item if item else 0)


def size_element(addr, t, c):
    res = i64(id(t) + TP["basicsize"])
    extra = u64(addr + c.off("extra"))
    if extra:
        x = c.sub["extra"]
        res += x.size
        if u64(extra + x.off("children")) != extra + x.off("_children"):
            res += 8 * i64(extra + x.off("allocated"))
    return res


def size_struct(addr, t, c):
    fc = c.sub["s_codes"]
    n = 1
    code = u64(addr + c.off("s_codes"))
    while u64(code + fc.off("fmtdef")) and n < 1 << 20:
        n += 1
        code += fc.size
    return i64(id(t) + TP["basicsize"]) + fc.size * n


def size_buffered(addr, t, c):
    res = i64(id(t) + TP["basicsize"])
    if u64(addr + c.off("buffer")):
        res += i64(addr + c.off("buffer_size"))
    return res


def size_bytesio(addr, t, c):
    res = i64(id(t) + TP["basicsize"])
    buf = u64(addr + c.off("buf"))
    if buf and i64(buf) == 1:           # not SHARED_BUF: refcnt 1
        res += 33 + i64(buf + 16)       # bytes.__sizeof__, not GC
    return res


def size_array(addr, t, c):
    descr = u64(addr + c.off("ob_descr"))
    d = c.sub["ob_descr"]
    return (i64(id(t) + TP["basicsize"])
            + i64(addr + c.off("allocated")) * i32(descr + d.off("itemsize")))


def size_tuple_len(field):
    def f(addr, t, c):
        return i64(id(t) + TP["basicsize"]) + 8 * i64(u64(addr + c.off(field)) + 16)
    return f


def size_r(addr, t, c):
    return i64(id(t) + TP["basicsize"]) + 8 * i64(addr + c.off("r"))


def size_permutations(addr, t, c):
    return (i64(id(t) + TP["basicsize"])
            + 8 * i64(u64(addr + c.off("pool")) + 16)
            + 8 * i64(addr + c.off("r")))


def size_decimal(addr, t, c):
    res = i64(id(t) + TP["basicsize"])
    mpd = addr + c.off("dec")
    m = c.sub["dec"]
    flags = u8(mpd + m.off("flags"))
    if not flags & (32 | 64 | 128):     # MPD_DATAFLAGS: static, shared, const
        res += 8 * i64(mpd + m.off("alloc"))
    return res


SIZES = {
    "xml.etree.ElementTree.Element": (size_element,
                                      {"extra": "ElementObjectExtra"}),
    "_struct.Struct": (size_struct, {"s_codes": "formatcode"}),
    "_io.BufferedReader": (size_buffered, {}),
    "_io.BufferedWriter": (size_buffered, {}),
    "_io.BufferedRandom": (size_buffered, {}),
    "_io.BytesIO": (size_bytesio, {}),
    "array.array": (size_array, {"ob_descr": "struct arraydescr"}),
    "itertools.product": (size_tuple_len("pools"), {}),
    "itertools.combinations": (size_r, {}),
    "itertools.combinations_with_replacement": (size_r, {}),
    "itertools.permutations": (size_permutations, {}),
    "decimal.Decimal": (size_decimal, {"dec": "mpd_t"}),
}


# ------------------------------------------------------------- checking

class Ctx:
    """A struct with the structs of its embedded or pointed-to members."""

    def __init__(self, struct, sub):
        self.s = struct
        self.sub = sub

    def off(self, dotted):
        return self.s.off(dotted, self.sub)


LIBPYTHON = None


def struct_for(path, name):
    if name.endswith("@libpython"):
        return Struct(LIBPYTHON, name[:-len("@libpython")])
    return Struct(path, name)


def type_name(t):
    m = t.__module__
    return t.__qualname__ if m == "builtins" else m + "." + t.__qualname__


def sizeof_owner(t):
    for k in t.__mro__:
        if "__sizeof__" in vars(k):
            return k
    return object


def sizeof_fn(maps, t):
    k = sizeof_owner(t)
    d = vars(k)["__sizeof__"]
    # PyMethodDescrObject: d_method at 40 -> PyMethodDef.ml_meth at 8
    if type(d).__name__ != "method_descriptor":
        return "(%s)" % type(d).__name__
    return maps.name(u64(u64(id(d) + 40) + 8))[0]


def found_in(t):
    """Where the type object is reachable by name: module attributes."""
    out = []
    for name, m in sorted(sys.modules.items()):
        d = getattr(m, "__dict__", None)
        if type(d) is not dict or name == "__main__":
            continue
        for k, v in d.items():
            if v is t:
                out.append("%s.%s" % (name, k))
    return out[:4]


def ht_module(t):
    """PyHeapTypeObject.ht_module (+880): the module of a type made by
    PyType_FromModuleAndSpec, or None."""
    if not t.__flags__ & HEAPTYPE:
        return None
    m = u64(id(t) + 880)
    for name, mod in sys.modules.items():
        if id(mod) == m:
            return name
    return hex(m) if m else None


def expected_refs(o, t, c, spec):
    addr = id(o)
    out = []
    for step in spec:
        if step == "TYPE":
            out.append(id(t))
        elif callable(step):
            out += step(addr, c)
        else:
            out.append(u64(addr + c.off(step)))
    return [a for a in out if a]


def subtype_prefix(o, t):
    """What subtype_traverse visits before the C type's own traverse, for
    an instance of a Python subclass: __slots__ (T_OBJECT_EX members of
    each heap class), the __dict__ if the subclass added it, then the
    type (if the C base is static)."""
    out = []
    base = t
    while base.__flags__ & HEAPTYPE and u64(id(base) + TP["traverse"]) == \
            u64(id(Sub) + TP["traverse"]):
        n = i64(id(base) + 16)
        members = id(base) + i64(id(type(base)) + TP["basicsize"])
        for i in range(n):
            mp = members + 40 * i
            if i32(mp + 8) == 16:       # T_OBJECT_EX
                v = u64(id(o) + i64(mp + 16))
                if v:
                    out.append(v)
        base = base.__base__
    if i64(id(t) + TP["dictoffset"]) != i64(id(base) + TP["dictoffset"]):
        dp = i64(id(t) + TP["dictoffset"])
        if dp > 0 and u64(id(o) + dp):
            out.append(u64(id(o) + dp))
    if not base.__flags__ & HEAPTYPE:
        out.append(id(t))
    return out, base


def check_type(maps, name, objs, report):
    t = type(objs[0])
    base = t
    # Past the classes made by class statements (subtype_dealloc) to the
    # C type.
    subtype_dealloc = u64(id(Sub) + TP["dealloc"])
    while base.__flags__ & HEAPTYPE and \
            u64(id(base) + TP["dealloc"]) == subtype_dealloc:
        base = base.__base__
    tname = type_name(base)
    spec = SPECS.get(tname)
    flags = base.__flags__
    fn, path, sname, how = traverse_struct(maps, base)
    if sname is None and SPECS.get(tname, {}).get("struct"):
        sname, how = SPECS[tname]["struct"], "table (tp_traverse and tp_dealloc do not name it)"
    if path is None:
        path = maps.name(u64(id(base) + TP["dealloc"]))[1]
    tp_path = maps.path_of(id(base))
    tsym, _, texp = maps.name(id(base))
    dealloc = maps.name(u64(id(base) + TP["dealloc"]))[0]
    rec = {"type": tname, "tp_name": cstr(u64(id(base) + 24)),
           "source": SOURCE.get(fn) or SOURCE.get(dealloc),
           "found_in": found_in(base), "ht_module": ht_module(base),
           "module_file": os.path.basename(path or "?"),
           "heap": bool(flags & HEAPTYPE), "gc": bool(flags & HAVE_GC),
           "basicsize": base.__basicsize__, "itemsize": base.__itemsize__,
           "traverse": fn, "dealloc": dealloc, "struct": sname,
           "struct_from": how,
           "type_symbol": tsym, "type_symbol_exported": texp,
           "type_object_in": os.path.basename(tp_path) if tp_path else "heap",
           "sizeof": sizeof_fn(maps, base),
           "sizeof_owner": type_name(sizeof_owner(base)),
           "samples": len(objs), "refs_ok": 0, "refs_bad": [],
           "size_ok": 0, "size_bad": []}
    report.append(rec)
    if sname is None and spec and spec.get("traverse") is not None:
        rec["refs_bad"].append("no struct found")
        return rec
    st = struct_for(path, sname) if sname else None
    subs = {}
    for k, v in list((spec or {}).get("sub", {}).items()) + \
            list(SIZES.get(tname, (None, {}))[1].items()):
        subs[k] = struct_for(path, v)
    c = Ctx(st, subs) if st else None
    if st:
        rec["layout"] = st.layout_lines()
        rec["struct_size"] = st.size
        rec["sub_layouts"] = {k: v.layout_lines() for k, v in subs.items()}
    for o in objs:
        t = type(o)
        if spec is None or spec.get("traverse") is None:
            want = []
        else:
            pre, _ = subtype_prefix(o, t) if t is not base else ([], base)
            want = pre + expected_refs(o, t, c, spec["traverse"])
        got = [id(r) for r in gc.get_referents(o)]
        if spec is None:
            rec["refs_bad"].append("no spec")
        elif want == got:
            rec["refs_ok"] += 1
        else:
            rec["refs_bad"].append({"want": [hex(a) for a in want],
                                    "got": [hex(a) for a in got],
                                    "got_types": [type(r).__name__ for r in
                                                  gc.get_referents(o)]})
        if tname == "xml.etree.ElementTree.Element":
            rec.setdefault("join_flag_set", 0)
            for f in ("text", "tail"):
                rec["join_flag_set"] += u64(id(o) + c.off(f)) & 1
        fnsize = SIZES.get(tname, (size_default, {}))[0]
        want_size = fnsize(id(o), t, c)
        is_gc = bool(t.__flags__ & HAVE_GC)
        if is_gc and t.__flags__ & (1 << 31):
            is_gc = bool(o.__flags__ & HEAPTYPE)
        want_size += 16 if is_gc else 0
        if want_size == sys.getsizeof(o):
            rec["size_ok"] += 1
        else:
            rec["size_bad"].append({"want": want_size,
                                    "got": sys.getsizeof(o)})
    return rec


# ---------------------------------------------------------- module state

STATE_STRUCTS = {
    # module name -> (state struct, m_traverse visit order from source)
    "_io": ("_PyIO_State", ["locale_module", "unsupported_operation"],
            "initialized"),
    "_functools": ("_functools_state", ["kwd_mark", "partial_type",
                                        "keyobject_type",
                                        "lru_list_elem_type"], None),
    "_elementtree": ("elementtreestate", ["parseerror_obj", "deepcopy_obj",
                                          "elementpath_obj",
                                          "comment_factory", "pi_factory"],
                     None),
    "_sre": ("_sremodulestate", ["Pattern_Type", "Match_Type",
                                 "Scanner_Type"], None),
    "array": ("array_state", ["ArrayType", "ArrayIterType"], None),
    "_abc": ("_abcmodule_state", ["_abc_data_type"], None),
    "_operator": ("_operator_state", ["attrgetter_type", "itemgetter_type",
                                      "methodcaller_type"], None),
    "_struct": ("_structmodulestate", ["cache", "PyStructType",
                                       "unpackiter_type", "StructError"],
                None),
    "_thread": ("thread_module_state", ["lock_type", "local_type",
                                        "local_dummy_type"], None),
    "_csv": ("_csvstate", ["error_obj", "dialects", "dialect_type",
                           "reader_type", "writer_type"], None),
    "_queue": ("simplequeue_state", ["SimpleQueueType", "EmptyError"], None),
    "_json": ("_jsonmodulestate", ["PyScannerType", "PyEncoderType"], None),
    "_bz2": ("_bz2_state", ["bz2_compressor_type", "bz2_decompressor_type"],
             None),
    "_locale": ("_locale_state", ["Error"], None),
    "_lzma": ("_lzma_state", ["lzma_compressor_type",
                              "lzma_decompressor_type", "error",
                              "empty_tuple"], None),
    "_random": ("_randomstate", ["Random_Type"], None),
    "_sha512": ("SHA512State", ["sha384_type", "sha512_type"], None),
    "_signal": ("_signal_module_state", ["itimer_error"], None),
    "_ssl": ("_sslmodulestate", [
        "PySSLContext_Type", "PySSLSocket_Type", "PySSLMemoryBIO_Type",
        "PySSLSession_Type", "PySSLCertificate_Type", "PySSLErrorObject",
        "PySSLCertVerificationErrorObject", "PySSLZeroReturnErrorObject",
        "PySSLWantReadErrorObject", "PySSLWantWriteErrorObject",
        "PySSLSyscallErrorObject", "PySSLEOFErrorObject",
        "err_codes_to_names", "err_names_to_codes", "lib_codes_to_names",
        "Sock_Type"], None),
    "binascii": ("binascii_state", ["Error", "Incomplete"], None),
    # Linux has every conditional member (sched, waitid, wait3/4).
    "posix": ("_posixstate", [
        "billion", "DirEntryType", "ScandirIteratorType", "SchedParamType",
        "StatResultType", "StatVFSResultType", "TerminalSizeType",
        "TimesResultType", "UnameResultType", "WaitidResultType",
        "struct_rusage", "st_mode"], None),
    "pyexpat": ("pyexpat_state", ["xml_parse_type", "error"], None),
    "select": ("_selectstate", ["close", "poll_Type", "devpoll_Type",
                                "pyEpoll_Type", "kqueue_event_Type",
                                "kqueue_queue_Type"], None),
    "zlib": ("zlibstate", ["Comptype", "Decomptype", "ZlibError"], None),
    "_blake2": ("Blake2State", ["blake2b_type", "blake2s_type"], None),
    # These four reach their state through a macro, no local pointer.
    "grp": ("grpmodulestate", ["StructGrpType"], None),
    "pwd": ("pwdmodulestate", ["StructPwdType"], None),
    "resource": ("resourcemodulestate", ["StructRUsageType"], None),
    "termios": ("termiosmodulestate", ["TermiosError"], None),
    # OpenSSL 3 has SHAKE: EVPXOFtype is there.
    "_hashlib": ("_hashlibstate", ["EVPtype", "HMACtype", "EVPXOFtype",
                                   "constructs",
                                   "unsupported_digestmod_error"], None),
}


def module_states(maps, out):
    rows = []
    for name, m in sorted(sys.modules.items()):
        if type(m) is not types.ModuleType:
            continue
        a = id(m)
        d = u64(a + MOD["md_def"])
        if not d:
            continue
        size = i64(d + MODDEF["m_size"])
        trav = u64(d + MODDEF["m_traverse"])
        state = u64(a + MOD["md_state"])
        defsym, defpath, defexp = maps.name(d)
        tsym = maps.name(trav)[0] if trav else None
        refs = gc.get_referents(m)
        before = [id(r) for r in refs[:-1]] if refs and \
            id(refs[-1]) == u64(a + MOD["md_dict"]) else None
        row = {"module": name, "def": defsym,
               "def_exported": defexp,
               "file": os.path.basename(defpath or "?"), "m_size": size,
               "m_traverse": tsym, "md_state": hex(state) if state else None,
               "state_refs": len(before) if before is not None else None}
        spec = STATE_STRUCTS.get(name)
        if spec and size > 0:
            st = Struct(defpath, spec[0])
            row["state_struct"] = spec[0]
            row["state_size"] = st.size
            row["layout"] = st.layout_lines()
            if spec[2] and not i32(state + st.off(spec[2])):
                want = []
            else:
                want = [u64(state + st.off(f)) for f in spec[1]]
            want = [x for x in want if x]
            row["ok"] = want == before and st.size == size
            if not row["ok"]:
                row["want"] = [hex(x) for x in want]
                row["got"] = [hex(x) for x in before or []]
        elif size > 0 and trav:
            # Not in the table: the state struct is the type of the first
            # local pointer of m_traverse (`X_state *state = ...`); its
            # object pointers must be what m_traverse visits, as a set
            # (the order is not known without reading the source).
            tpath = maps.name(trav)[1]
            sname, _ = fn_struct(tpath, tsym)
            row["ok"] = None
            if sname:
                st = Struct(tpath, sname)
                row["state_struct"] = sname
                row["state_size"] = st.size
                row["layout"] = st.layout_lines()
                ptrs = [st.members[n][0] for n in st.order
                        if "*" in st.members[n][2]
                        and "(*" not in st.members[n][2]
                        and "char" not in st.members[n][2]]
                want = {u64(state + o) for o in ptrs} - {0}
                row["ok"] = (want == set(before or ()) and st.size == size)
                row["order_checked"] = False
        elif size > 0 or trav:
            row["ok"] = None        # not surveyed
        rows.append(row)
    out["modules"] = rows
    return rows


def check_module_structs():
    """The PyModuleObject and PyModuleDef offsets used above, from DWARF."""
    mo = Struct(LIBPYTHON, "PyModuleObject")
    md = Struct(LIBPYTHON, "struct PyModuleDef")
    ok = all(mo.off(k) == v for k, v in MOD.items()) and \
        all(md.off(k) == v for k, v in MODDEF.items())
    return ok, mo.layout_lines(), md.layout_lines()


SKIP_MODULES = ("_test", "xx", "_xx", "_ctypes_test", "_tkinter",
                "_curses", "readline", "ossaudiodev", "nis", "spwd", "crypt")


def import_c_modules():
    """Import every C module of the build (builtin and lib-dynload), so
    that the survey of module states is complete."""
    import importlib
    import sysconfig
    names = set(sys.builtin_module_names)
    dyn = os.path.join(sysconfig.get_paths()["platstdlib"], "lib-dynload")
    for f in os.listdir(dyn):
        if f.endswith(".so"):
            names.add(f.split(".")[0])
    for n in sorted(names):
        if n.startswith(SKIP_MODULES) or n in SKIP_MODULES:
            continue
        try:
            importlib.import_module(n)
        except Exception:
            pass


def main():
    global LIBPYTHON
    out_json = None
    if sys.argv[1:2] == ["--json"]:
        out_json = sys.argv[2]
    import_c_modules()
    maps = Maps()           # after every import: their ELF files mapped
    LIBPYTHON = maps.name(id(type))[1]
    samples, keep = make_samples()
    report = []
    passed = failed = 0
    ok, mo, md = check_module_structs()
    print("PyModuleObject/PyModuleDef offsets match DWARF: %s" % ok)
    passed += ok
    failed += not ok
    for name in sorted(samples):
        objs = samples[name]
        if not objs:
            print("%s: NO SAMPLE" % name)
            failed += 1
            continue
        try:
            rec = check_type(maps, name, objs, report)
        except Exception as e:       # a survey bug, reported as a failure
            print("%s: ERROR %r" % (name, e))
            failed += 1
            continue
        good = not rec["refs_bad"] and not rec["size_bad"]
        passed += good
        failed += not good
        print("%-42s %s refs %d/%d size %d/%d  struct %s (%s B) traverse %s"
              " sizeof %s heap=%s gc=%s type@%s%s" % (
                  rec["type"], "ok " if good else "BAD", rec["refs_ok"],
                  rec["samples"], rec["size_ok"], rec["samples"],
                  rec["struct"], rec.get("struct_size"), rec["traverse"],
                  rec["sizeof"], rec["heap"], rec["gc"],
                  rec["type_object_in"],
                  " (%s%s)" % (rec["type_symbol"],
                               ", exported" if rec["type_symbol_exported"]
                               else "") if rec["type_symbol"] else ""))
        for b in rec["refs_bad"][:2]:
            print("    refs: %s" % (b,))
        for b in rec["size_bad"][:2]:
            print("    size: %s" % (b,))
    doc = {"types": report, "module_object": mo, "module_def": md}
    for row in module_states(maps, doc):
        if row.get("ok") is None and row["m_size"] <= 0 and \
                not row["m_traverse"]:
            continue
        status = {True: "ok ", False: "BAD", None: "n/a"}[row.get("ok")]
        if row.get("ok") is True:
            passed += 1
        elif row.get("ok") is False:
            failed += 1
        print("module %-22s %s m_size %4d m_traverse %-28s state %s refs %s%s"
              % (row["module"], status, row["m_size"], row["m_traverse"],
                 row.get("state_struct", "-"), row["state_refs"],
                 " (as a set)" if row.get("order_checked") is False
                 else ""))
        if row.get("ok") is False:
            print("    want %s got %s" % (row.get("want"), row.get("got")))
    if out_json:
        with open(out_json, "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
    print("survey: %d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    # Not sys.exit: the pending task of the samples would be reported as
    # destroyed at shutdown.
    os._exit(1 if failed else 0)


if __name__ == "__main__":
    main()
