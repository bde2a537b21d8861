"""Find, in a running CPython 3.10 whose interpreter object is stripped
(only .dynsym and the section headers left), every static the tool looks
up by name today, each in the ways a stripped build allows; with DEBUG,
compare each answer with the symbol's address in DEBUG's .symtab.  For
the findings of issue 11 (which way works), not a test.

Usage: python3 probe-statics.py PID [DEBUG]
(as root or with ptrace rights on PID; reads /proc/PID/mem)

Prints one line per (static, way): the address found, the reference, and
whether they agree.  The ways use only what a stripped build has:
.dynsym (exported functions and data), the section table (.bss, .data),
the target's memory, and the 3.10 layouts of docs/cpython-3.10-internals.md.
The code scans (rip_targets) decode only rip-relative mov/lea/cmp forms:
enough for the short functions named here, not a disassembler.
"""
import os
import struct
import sys

LIMIT = 1 << 20         # bound on every walk over remote data


class Elf:
    """The section table and a symbol table of an ELF64 file."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2:
            raise SystemExit("%s: not ELF64" % path)
        (self.e_type,) = struct.unpack_from("<H", d, 16)
        phoff, shoff = struct.unpack_from("<QQ", d, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(
            "<HHHHH", d, 54)
        self.phdrs = [struct.unpack_from("<IIQQQQQQ", d, phoff + i * phentsize)
                      for i in range(phnum)]
        raw = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
               for i in range(shnum)]
        stroff = raw[shstrndx][4]
        self.sections = {}
        self.by_index = []
        for s in raw:
            name = d[stroff + s[0]:d.index(b"\0", stroff + s[0])].decode()
            sec = {"name": name, "type": s[1], "addr": s[3], "offset": s[4],
                   "size": s[5], "link": s[6], "entsize": s[9]}
            self.sections.setdefault(name, sec)
            self.by_index.append(sec)

    def symbols(self, table):
        """name -> value of the defined symbols of .dynsym or .symtab."""
        sec = self.sections.get(table)
        out = {}
        if not sec or not sec["entsize"]:
            return out
        strs = self.by_index[sec["link"]]["offset"]
        for i in range(sec["size"] // sec["entsize"]):
            name_off, info, other, shndx, value, size = struct.unpack_from(
                "<IBBHQQ", self.data, sec["offset"] + i * sec["entsize"])
            if shndx == 0 or not name_off:
                continue
            e = self.data.index(b"\0", strs + name_off)
            out.setdefault(self.data[strs + name_off:e].decode(), value)
        return out


class Target:
    def __init__(self, pid):
        self.pid = pid
        self.fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)

    def read(self, addr, n):
        if not 0x1000 <= addr < 1 << 47 or not 0 <= n <= LIMIT:
            return None     # not a user-space address: untrusted data
        try:
            b = os.pread(self.fd, n, addr)
        except OSError:
            return None
        return b if len(b) == n else None

    def u64(self, addr):
        b = self.read(addr, 8)
        return struct.unpack("<Q", b)[0] if b else None

    def u32(self, addr):
        b = self.read(addr, 4)
        return struct.unpack("<I", b)[0] if b else None

    def cstr(self, addr, n=64):
        b = self.read(addr, n) if addr else None
        return b.split(b"\0")[0].decode("latin-1") if b else None

    def ascii(self, addr):
        """An exact compact ASCII str's text, or None."""
        if not addr:
            return None
        state = self.u32(addr + 32)
        length = self.u64(addr + 16)
        if state is None or not state & 0x40 or not state & 0x20 or length > 4096:
            return None
        b = self.read(addr + 48, length)
        return b.decode("ascii", "replace") if b is not None else None

    def dict_items(self, d):
        """(key, value) pairs of a dict, bounded."""
        keys, values = self.u64(d + 32), self.u64(d + 40)
        if not keys:
            return
        size, nent = self.u64(keys + 8), self.u64(keys + 32)
        if not size or size & (size - 1) or size > LIMIT or nent > size:
            return
        ix = 1 if size <= 0xff else 2 if size <= 0xffff else 4
        ent = keys + 40 + ix * size
        for i in range(nent):
            k = self.u64(ent + 24 * i + 8)
            v = self.u64(values + 8 * i) if values else self.u64(ent + 24 * i + 16)
            if k and v:
                yield k, v

    def lookup(self, d, name):
        for k, v in self.dict_items(d):
            if self.ascii(k) == name:
                return v
        return None


def rip_targets(code, base):
    """Targets of rip-relative operands in code at base: (offset in code,
    width of the access: 8, 4 or 0 for lea, target)."""
    out = []
    i = 0
    while i < len(code) - 7:
        j = i
        rex = 0
        if 0x40 <= code[j] <= 0x4f:
            rex = code[j]
            j += 1
        op, modrm = code[j], code[j + 1]
        if op in (0x8b, 0x89, 0x8d, 0x39, 0x3b, 0x83, 0x85) and modrm & 0xC7 == 0x05:
            disp = struct.unpack_from("<i", code, j + 2)[0]
            end = j + 6 + (1 if op == 0x83 else 0)
            width = 0 if op == 0x8d else 8 if rex & 8 else 4
            out.append((i, width, base + end + disp))
            i = end
            continue
        i += 1
    return out


def find_object(pid):
    """(path as in maps, path to open, load bias) of the ELF object that
    defines _PyRuntime: libpython first, else the executable."""
    maps = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            p = line.split()
            if len(p) >= 6 and p[5].startswith("/"):
                lo, hi = (int(x, 16) for x in p[0].split("-"))
                maps.append((lo, hi, int(p[2], 16), p[5]))
    order = sorted(maps, key=lambda m: "libpython" not in os.path.basename(m[3]))
    for lo, hi, off, path in order:
        if off != 0:
            continue
        opened = "/proc/%d/map_files/%x-%x" % (pid, lo, hi)
        try:
            elf = Elf(opened)
        except (OSError, SystemExit):
            continue
        if "_PyRuntime" in elf.symbols(".dynsym"):
            first = min(p for p in elf.phdrs if p[0] == 1)  # PT_LOAD
            bias = lo - (first[3] - first[2]) if elf.e_type == 3 else 0
            return path, opened, bias, elf
    raise SystemExit("no mapped object of %d defines _PyRuntime" % pid)


def main():
    pid = int(sys.argv[1])
    path, opened, bias, elf = find_object(pid)
    t = Target(pid)
    dyn = {k: v + bias for k, v in elf.symbols(".dynsym").items()}
    has_symtab = ".symtab" in elf.sections
    ref = {}
    if len(sys.argv) > 2:
        ref = {k: v + bias for k, v in Elf(sys.argv[2]).symbols(".symtab").items()}
    sec = {n: (s["addr"] + bias, s["addr"] + bias + s["size"])
           for n, s in elf.sections.items() if s["addr"]}
    print("object %s (opened as %s), bias %#x, .symtab %s, %d .dynsym symbols"
          % (path, opened, bias, "present" if has_symtab else "absent", len(dyn)))

    def report(static, way, got):
        want = ref.get(static)
        verdict = ("" if not ref else "ok" if got == want and got
                   else "WRONG (reference %s)" % (hex(want) if want else "absent"))
        print("%-22s %-58s %-16s %s" % (static, way, hex(got) if got else "-",
                                          verdict))

    def in_sec(a, name):
        lo, hi = sec.get(name, (0, 0))
        return lo <= a < hi

    runtime = dyn["_PyRuntime"]
    interp = t.u64(runtime + 32)             # interpreters.head
    modules, sysdict, importlib = (t.u64(interp + o) for o in (856, 872, 888))
    type_type, dict_type, str_type = (dyn["PyType_Type"], dyn["PyDict_Type"],
                                      dyn["PyUnicode_Type"])

    # version: the text only is needed.
    v = t.lookup(sysdict, "version")
    text = t.ascii(v) if v else None
    got = None
    if "version" in ref or "version.0" in ref:
        buf = t.read(ref.get("version.0") or ref["version"], 250)
        same = text is not None and buf.split(b"\0")[0].decode() == text
        print("%-22s %-58s %s" % ("version", "text of sys.version "
              "(interp->sysdict['version'])", "same text as the buffer" if same
              else "DIFFERS from the buffer: %r" % text))
    code = t.read(dyn["Py_GetVersion"], 64)
    for off, width, a in rip_targets(code, dyn["Py_GetVersion"]):
        if width == 0 and in_sec(a, ".bss"):
            got = a
            break
    if ref:
        ref.setdefault("version", ref.get("version.0"))
    report("version", "first lea into .bss in Py_GetVersion", got)

    # _PyExc_BaseException: PyExc_BaseException points to it.
    report("_PyExc_BaseException", "*PyExc_BaseException (.dynsym data)",
           t.u64(dyn["PyExc_BaseException"]))

    # deque_type, defdict_type: through sys.modules['_collections'], or the
    # static type of that tp_name in the object's .data.
    coll = t.lookup(modules, "_collections")
    md = t.u64(coll + 16) if coll else None
    by_name = {}
    lo, hi = sec[".data"]
    data = t.read(lo, hi - lo) or b""
    tt = struct.pack("<Q", type_type)
    at = data.find(tt)
    while at >= 0:
        if at % 8 == 0 and at >= 8:
            obj = lo + at - 8
            name = t.cstr(t.u64(obj + 24))
            if name in ("collections.deque", "collections.defaultdict"):
                by_name.setdefault(name, []).append(obj)
        at = data.find(tt, at + 1)
    for static, attr, name in (("deque_type", "deque", "collections.deque"),
                               ("defdict_type", "defaultdict",
                                "collections.defaultdict")):
        report(static, "sys.modules['_collections'].%s" % attr,
               t.lookup(md, attr) if md else None)
        found = by_name.get(name, [])
        report(static, "static type named %r in .data (%d found)"
               % (name, len(found)), found[0] if len(found) == 1 else None)

    # subtype_dealloc: the tp_dealloc of a class-statement type.
    spec = t.lookup(t.u64(importlib + 16), "ModuleSpec") if importlib else None
    report("subtype_dealloc", "tp_dealloc of interp->importlib.ModuleSpec",
           t.u64(spec + 48) if spec else None)
    votes = {}
    nheap = 0
    for _, mod in t.dict_items(modules):
        mdict = t.u64(mod + 16)
        if not mdict or t.u64(mdict + 8) != dict_type:
            continue
        for _, v in t.dict_items(mdict):
            if t.u64(v + 8) == type_type and (t.u64(v + 168) or 0) & (1 << 9):
                nheap += 1
                dealloc = t.u64(v + 48)
                votes[dealloc] = votes.get(dealloc, 0) + 1
    best = max(votes, key=votes.get) if votes else None
    report("subtype_dealloc", "commonest tp_dealloc of %d heap types (%d%%)"
           % (nheap, 100 * votes.get(best, 0) // max(nheap, 1)), best)

    # interned: a dict that maps interned strs to themselves.
    def interned_shape(d, sample=200):
        if not d or t.u64(d + 8) != dict_type or t.u64(d + 40):
            return False
        n = 0
        for k, v in t.dict_items(d):
            state = t.u32(k + 32)
            if k != v or t.u64(k + 8) != str_type or not state & 3:
                return False
            n += 1
            if n >= sample:
                break
        return n > 0

    code = t.read(dyn["PyUnicode_InternInPlace"], 200)
    got = None
    for off, width, a in rip_targets(code, dyn["PyUnicode_InternInPlace"]):
        if width == 8 and in_sec(a, ".bss") and interned_shape(t.u64(a)):
            got = a
            break
    report("interned", "8-byte load in PyUnicode_InternInPlace, shape checked",
           got)
    lo, hi = sec[".bss"]
    cands = []
    for a in range(lo, hi, 8):
        p = t.u64(a)
        if p and t.u64(p + 8) == dict_type and interned_shape(p, 50):
            cands.append(a)
    report("interned", "word of .bss pointing to that shape (%d of %d words)"
           % (len(cands), (hi - lo) // 8), cands[0] if len(cands) == 1 else None)

    # arenas, maxarenas (looked up by the tool, not used today).
    code = t.read(dyn["_Py_GetAllocatedBlocks"], 64)
    acc = [(w, a) for _, w, a in rip_targets(code, dyn["_Py_GetAllocatedBlocks"])
           if in_sec(a, ".bss")]
    four = [a for w, a in acc if w == 4]
    eight = [a for w, a in acc if w == 8]
    report("maxarenas", "first 4-byte load in _Py_GetAllocatedBlocks",
           four[0] if four else None)
    report("arenas", "second 8-byte load in _Py_GetAllocatedBlocks",
           eight[1] if len(eight) > 1 else None)


main()
