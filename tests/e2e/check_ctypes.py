"""Compare a pyheapinspect dump with the truth of fixtures/ctypes_heap.py.

Usage: python3 check_ctypes.py [--generic] [--report JSON] TRUTH DUMP

For every sample of a C type: the dump has it, with a size equal to
sys.getsizeof, decoded by the built-in decoder ("decoder": "builtin"),
and its referents equal gc.get_referents as sets (a non-GC object's
referents, which gc.get_referents does not report, are not compared);
for every module, gc.get_referents (its state's references and md_dict)
among the dump's references.

--generic: the dump was made with the built-in decoders left out
(PYHEAPINSPECT_TEST_CTYPES=dwarf): every sample is decoded from DWARF
(or scanned when DWARF names no struct), and then, per type, the
references it misses are counted and must be none but for the types
whose tp_traverse walks what is no member of their struct (an
Element's extra, a bounded lru_cache's links, a sqlite3 cache's nodes,
an element iterator's parent stack); no reference is a weak reference
(a weak list head taken for a reference); every size that differs from
sys.getsizeof is marked "size_exact": false.  The references claimed
beyond gc.get_referents (borrowed or cached pointers, which DWARF cannot
tell apart) are counted and printed.

--report JSON: the tool's --json report of the same capture: its
c_types section must count the objects per decoder as the dump does,
list every opaque (scanned) type with the dump's count and size, and
the conservative references the dump lists.

Exit status 1 when anything differs, 2 on bad input.
"""
import collections
import json
import sys

# tp_traverse follows what is not a member of the object's struct.
NOT_MEMBERS = {"xml.etree.ElementTree.Element",
               "functools._lru_cache_wrapper", "sqlite3.Cache",
               "_elementtree._element_iterator"}


def load(argv):
    generic, report, files = False, None, []
    i = 0
    while i < len(argv):
        if argv[i] == "--generic":
            generic = True
        elif argv[i] == "--report" and i + 1 < len(argv):
            report = argv[i + 1]
            i += 1
        else:
            files.append(argv[i])
        i += 1
    if len(files) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    with open(files[0], encoding="utf-8") as f:
        truth = json.load(f)
    dump = {}
    with open(files[1], encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            dump[o["address"]] = o
    rep = None
    if report:
        with open(report, encoding="utf-8") as f:
            rep = json.load(f)
    return generic, truth, dump, rep


def check_builtin(o, d, bad):
    ok = True
    if d.get("decoder") != "builtin":
        bad.append("%s %s: decoder %s" % (o["c_type"], o["address"],
                                          d.get("decoder")))
        ok = False
    if d["size"] != o["size"] or d.get("size_exact") is False:
        bad.append("%s %s: size %s (exact: %s), sys.getsizeof %d"
                   % (o["c_type"], o["address"], d["size"],
                      d.get("size_exact", True), o["size"]))
        ok = False
    have = set(d.get("refs", ()))
    if o["gc"] and have != set(o["refs"]):
        bad.append("%s %s: refs missing %s, extra %s"
                   % (o["c_type"], o["address"],
                      sorted(set(o["refs"]) - have),
                      sorted(have - set(o["refs"]))))
        ok = False
    if d.get("conservative_refs"):
        bad.append("%s %s: conservative refs" % (o["c_type"], o["address"]))
        ok = False
    return ok


def check_generic(o, d, dump, c, bad):
    ok = True
    have = set(d.get("refs", ())) | set(d.get("conservative_refs", ()))
    if d.get("decoder") not in ("dwarf", "scan"):
        bad.append("%s %s: decoder %s" % (o["c_type"], o["address"],
                                          d.get("decoder")))
        ok = False
    if o["gc"]:
        missing = set(o["refs"]) - have
        c["missing"] += len(missing)
        c["extra"] += len(have - set(o["refs"]))
        c["refs"] += len(set(o["refs"]))
        if missing and o["c_type"] not in NOT_MEMBERS:
            bad.append("%s %s: refs missing %s" % (o["c_type"], o["address"],
                                                   sorted(missing)))
            ok = False
    for r in have:
        if dump.get(r, {}).get("type") == "weakref":
            bad.append("%s %s: its weak reference %s taken for a reference"
                       % (o["c_type"], o["address"], r))
            ok = False
    if d["size"] != o["size"]:
        c["size_inexact"] += 1
        if d.get("size_exact") is not False:
            bad.append("%s %s: size %d, sys.getsizeof %d, not marked inexact"
                       % (o["c_type"], o["address"], d["size"], o["size"]))
            ok = False
    return ok


def check_report(rep, dump, bad):
    ct = rep.get("c_types")
    if ct is None:
        bad.append("report: no c_types")
        return
    per = collections.Counter()
    size = collections.Counter()
    cons = 0
    for d in dump.values():
        dec = d.get("decoder")
        if dec:
            per[dec] += 1
        if dec == "scan":
            size[d["type"]] += d["size"]
            per["type:" + d["type"]] += 1
        cons += len(d.get("conservative_refs", ()))
    want = {"builtin": ct["builtin_objects"], "dwarf": ct["dwarf"]["objects"],
            "scan": ct["opaque"]["objects"]}
    for k, v in want.items():
        if per[k] != v:
            bad.append("report: %s objects %d, the dump has %d" % (k, v,
                                                                  per[k]))
    # Types of one name may be several type objects: sums per name.
    listed = collections.defaultdict(collections.Counter)
    for t in ct["opaque"]["types"]:
        listed[t["type"]]["count"] += t["count"]
        listed[t["type"]]["size"] += t["size"]
    for t, n in per.items():
        if not t.startswith("type:"):
            continue
        name = t[5:]
        e = listed.get(name)
        if e is None or e["count"] != n or e["size"] != size[name]:
            bad.append("report: opaque type %s listed as %s, the dump has "
                       "%d objects of %d bytes" % (name, dict(e or {}), n,
                                                   size[name]))
    if set(listed) != {t[5:] for t in per if t.startswith("type:")}:
        bad.append("report: opaque types %s, the dump's %s"
                   % (sorted(listed), sorted(t[5:] for t in per
                                             if t.startswith("type:"))))
    if ct["opaque"]["conservative_refs"] < cons:
        bad.append("report: %d conservative references, the dump lists %d"
                   % (ct["opaque"]["conservative_refs"], cons))
    print("report: %d objects by built-in decoders, %d from DWARF, %d "
          "scanned in %d opaque types, %d conservative references"
          % (per["builtin"], per["dwarf"], per["scan"], len(listed),
             ct["opaque"]["conservative_refs"]))


def main():
    generic, truth, dump, rep = load(sys.argv[1:])
    per = collections.defaultdict(collections.Counter)
    bad = []
    for o in truth["objects"]:
        c = per[o["c_type"]]
        c["samples"] += 1
        d = dump.get(o["address"])
        if d is None:
            bad.append("%s %s: not in the dump" % (o["c_type"], o["address"]))
            continue
        if generic:
            c["ok"] += check_generic(o, d, dump, c, bad)
        else:
            c["ok"] += check_builtin(o, d, bad)
    mods = 0
    for m in truth["modules"]:
        d = dump.get(m["address"])
        have = set(d.get("refs", ())) if d else set()
        have |= set(d.get("conservative_refs", ())) if d and generic \
            else set()
        missing = set(m["refs"]) - have
        if d is None or missing:
            if not generic:
                bad.append("module %s: missing %d of %d references"
                           % (m["name"], len(missing), len(m["refs"])))
        else:
            mods += 1
    tot = collections.Counter()
    for name in sorted(per):
        c = per[name]
        tot.update(c)
        extra = (", refs missing %d of %d, claimed beyond them %d, sizes "
                 "inexact %d" % (c["missing"], c["refs"], c["extra"],
                                 c["size_inexact"])) if generic else ""
        print("%-42s %d/%d%s" % (name, c["ok"], c["samples"], extra))
    if rep is not None:
        check_report(rep, dump, bad)
    for b in bad[:60]:
        print("BAD " + b)
    print("ctypes%s: %d of %d samples of %d C types as they should be; %d "
          "of %d modules hold their state's references"
          % (" (generic)" if generic else "", tot["ok"], tot["samples"],
             len(per), mods, len(truth["modules"])))
    if generic:
        print("ctypes (generic): references missed %d of %d (all in %s), "
              "claimed beyond gc.get_referents %d; %d sizes marked inexact"
              % (tot["missing"], tot["refs"], ", ".join(sorted(NOT_MEMBERS)),
                 tot["extra"], tot["size_inexact"]))
    sys.exit(1 if bad else 0)


main()
