"""Compare a pyheapinspect dump with the truth of fixtures/webapp_heap.py.

Usage: python3 check_webapp.py [--top N] [--json OUT] [--strict] TRUTH DUMP

TRUTH is what webapp_heap.py measured about itself (every object, its
sys.getsizeof, gc.get_referents plus dict keys, and which __sizeof__
applies); DUMP is `pyheapinspect -p PID --dump DUMP` of the same process.
The report says, per type and overall:
  - objects: found in the dump, missing from it, found with another type
    name, and marked opaque;
  - sizes: found objects whose dump size differs from sys.getsizeof
    (split by sizeof_owner: "object" means the default formula
    tp_basicsize + ob_size * tp_itemsize, anything else a __sizeof__ of
    the type's own), and those the dump marks "size_exact": false;
  - references: truth referents missing from the dump's refs (weak_refs
    and conservative_refs, when the dump has them, count as found, the
    conservative ones also counted apart), for the objects found, and
    also counting every referent of the objects not found; the extra
    references of non-GC objects (code objects, static types, ranges)
    are counted apart, as gc.get_referents does not report them;
  - the missing objects by the types of the objects that hold them in the
    truth (what the tool must decode to find them);
  - the summary objects of the fixture (the 10 MB Future result, the
    lru_cache dict, the array, the BytesIO): found, sized, held by their
    owner.
Exit status: 0 when the report was made (whatever it says), 1 with
--strict when anything differs, 2 on bad input.
"""
import collections
import json
import sys


def usage():
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    top, out, strict, files = 15, None, False, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--top" and i + 1 < len(argv):
            top = int(argv[i + 1])
            i += 1
        elif a == "--json" and i + 1 < len(argv):
            out = argv[i + 1]
            i += 1
        elif a == "--strict":
            strict = True
        elif a.startswith("-"):
            usage()
        else:
            files.append(a)
        i += 1
    if len(files) != 2:
        usage()
    return top, out, strict, files[0], files[1]


def load_dump(path):
    dump = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                o = json.loads(line)
            except ValueError as e:
                print("check_webapp: %s:%d: not JSON: %s" % (path, n, e),
                      file=sys.stderr)
                sys.exit(2)
            dump[o["address"]] = o
    return dump


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


class Tally:
    """Per-type counters."""
    FIELDS = ("objects", "found", "missing", "type_mismatch", "opaque",
              "size_checked", "size_mismatch", "size_not_exact", "refs",
              "refs_missing", "refs_conservative", "refs_of_missing",
              "extra_refs", "extra_refs_missing")

    def __init__(self):
        self.by_type = collections.defaultdict(collections.Counter)
        self.owner = {}
        self.examples = collections.defaultdict(list)

    def add(self, typ, field, n=1):
        self.by_type[typ][field] += n

    def example(self, key, text, limit=3):
        ex = self.examples[key]
        if len(ex) < limit:
            ex.append(text)

    def total(self, field):
        return sum(c[field] for c in self.by_type.values())


def compare(truth, dump):
    t = Tally()
    lost_to = collections.Counter()     # referent type -> refs missing
    held_by = collections.Counter()     # holder type -> missing objects
    held_by_size = collections.Counter()
    by_addr = {o["address"]: o for o in truth["objects"]}
    referrers = collections.defaultdict(list)
    for o in truth["objects"]:
        for r in o["refs"]:
            referrers[r].append(o["address"])
        for r in o.get("extra_refs", ()):
            referrers[r].append(o["address"])
    for o in truth["objects"]:
        typ = o["type"]
        t.owner[typ] = o["sizeof_owner"]
        t.add(typ, "objects")
        d = dump.get(o["address"])
        if d is None:
            t.add(typ, "missing")
            t.add(typ, "refs_of_missing", len(o["refs"]))
            t.example(("missing", typ), o["address"])
            holders = {by_addr[a]["type"] for a in referrers[o["address"]]
                       if a in dump}
            for h in holders or {"(no holder in the dump)"}:
                held_by[h] += 1
                held_by_size[h] += o["size"] or 0
            continue
        t.add(typ, "found")
        if d.get("type") != typ:
            t.add(typ, "type_mismatch")
            t.example(("type", typ), "%s dump says %s"
                      % (o["address"], d.get("type")))
        if d.get("opaque"):
            t.add(typ, "opaque")
        if o["size"] is not None:
            t.add(typ, "size_checked")
            if d.get("size") != o["size"]:
                t.add(typ, "size_mismatch")
                t.example(("size", typ), "%s truth %d dump %s"
                          % (o["address"], o["size"], d.get("size")))
        if d.get("size_exact") is False:
            t.add(typ, "size_not_exact")
        have = set(d.get("refs", ()))
        have.update(d.get("weak_refs", ()))
        cons = set(d.get("conservative_refs", ()))
        t.add(typ, "refs", len(o["refs"]))
        for r in o["refs"]:
            if r in have:
                continue
            if r in cons:
                t.add(typ, "refs_conservative")
                continue
            t.add(typ, "refs_missing")
            rt = by_addr[r]["type"] if r in by_addr else "?"
            lost_to[rt] += 1
            t.example(("ref", typ), "%s -> %s (%s)" % (o["address"], r, rt))
        extra = o.get("extra_refs", ())
        t.add(typ, "extra_refs", len(extra))
        for r in extra:
            if r not in have and r not in cons:
                t.add(typ, "extra_refs_missing")
                t.example(("extra", typ), "%s -> %s" % (o["address"], r))
    return t, lost_to, held_by, held_by_size


def check_summary(truth, dump):
    """Lines about the summary objects, and whether all is well."""
    lines = []
    ok = True
    s = truth.get("summary", {})
    for name in sorted(s):
        e = s[name]
        if e is None:
            lines.append("  %-16s not measured by the fixture" % name)
            continue
        d = dump.get(e["address"])
        if d is None:
            lines.append("  %-16s %s %s size %d: NOT IN THE DUMP"
                         % (name, e.get("type", ""), e["address"], e["size"]))
            ok = False
            continue
        msg = "  %-16s %s %s size truth %d dump %s" % (
            name, d.get("type"), e["address"], e["size"], d.get("size"))
        if d.get("size") != e["size"]:
            msg += " MISMATCH"
            ok = False
        owner = e.get("owner")
        if owner:
            od = dump.get(owner)
            held = od is not None and e["address"] in od.get("refs", ())
            msg += "; held by its owner %s: %s" % (owner,
                                                  "yes" if held else "NO")
            ok = ok and held
        lines.append(msg)
    return lines, ok


def table(t, field, top, key_fields, title, lines):
    rows = sorted(t.by_type.items(), key=lambda kv: -kv[1][field])
    rows = [(k, c) for k, c in rows if c[field]][:top]
    if not rows:
        return
    lines.append(title)
    for k, c in rows:
        parts = ["%s %d" % (f, c[f]) for f in key_fields]
        lines.append("  %8d  %-48s %s  [__sizeof__: %s]"
                     % (c[field], k, ", ".join(parts), t.owner.get(k, "?")))


def report(truth, dump, top):
    t, lost_to, held_by, held_by_size = compare(truth, dump)
    tot = {f: t.total(f) for f in Tally.FIELDS}
    all_refs = tot["refs"] + tot["refs_of_missing"]
    lines = []
    lines.append("truth: %d objects, %d references (gc.get_referents + dict "
                 "keys), %d extra references of non-GC objects; stable: %s"
                 % (tot["objects"], all_refs, tot["extra_refs"],
                    truth.get("stable")))
    in_truth = {o["address"] for o in truth["objects"]}
    lines.append("dump: %d objects (%d not in the truth: the truth cannot "
                 "see what only C state holds)"
                 % (len(dump), sum(1 for a in dump if a not in in_truth)))
    lines.append("objects: %d found (%.2f%%), %d missing (%.2f%%), %d with "
                 "another type name, %d opaque"
                 % (tot["found"], pct(tot["found"], tot["objects"]),
                    tot["missing"], pct(tot["missing"], tot["objects"]),
                    tot["type_mismatch"], tot["opaque"]))
    lines.append("sizes: %d of %d found objects differ from sys.getsizeof "
                 "(%.2f%%); %d marked size_exact false"
                 % (tot["size_mismatch"], tot["size_checked"],
                    pct(tot["size_mismatch"], tot["size_checked"]),
                    tot["size_not_exact"]))
    lines.append("references of found objects: %d of %d missing (%.2f%%), "
                 "%d found only as conservative"
                 % (tot["refs_missing"], tot["refs"],
                    pct(tot["refs_missing"], tot["refs"]),
                    tot["refs_conservative"]))
    lines.append("references overall (counting those of missing objects as "
                 "missing): %d of %d missing (%.2f%%)"
                 % (tot["refs_missing"] + tot["refs_of_missing"], all_refs,
                    pct(tot["refs_missing"] + tot["refs_of_missing"],
                        all_refs)))
    lines.append("extra references of non-GC objects: %d of %d missing "
                 "(%.2f%%)" % (tot["extra_refs_missing"], tot["extra_refs"],
                               pct(tot["extra_refs_missing"],
                                   tot["extra_refs"])))
    lines.append("")
    table(t, "refs_missing", top, ("found", "refs"),
          "missing references, by the type of the referrer:", lines)
    if lost_to:
        lines.append("missing references, by the type of the referent:")
        for k, n in lost_to.most_common(top):
            lines.append("  %8d  %s" % (n, k))
    table(t, "missing", top, ("objects", "refs_of_missing"),
          "missing objects, by type:", lines)
    if held_by:
        lines.append("missing objects, by the type of their holders in the "
                     "dump (an object held by several types counts for each):")
        for k, n in held_by.most_common(top):
            lines.append("  %8d  %-48s %d bytes" % (n, k, held_by_size[k]))
    table(t, "size_mismatch", top, ("size_checked",),
          "size mismatches, by type:", lines)
    by_owner = collections.Counter()
    for k, c in t.by_type.items():
        if c["size_mismatch"]:
            by_owner["default formula" if t.owner.get(k) == "object"
                     else "own __sizeof__"] += c["size_mismatch"]
    if by_owner:
        lines.append("size mismatches, by formula: " + ", ".join(
            "%s %d" % kv for kv in sorted(by_owner.items())))
    table(t, "type_mismatch", top, ("found",), "type name mismatches:", lines)
    table(t, "extra_refs_missing", top, ("extra_refs",),
          "missing extra references (non-GC objects), by type:", lines)
    lines.append("")
    lines.append("examples:")
    for (kind, typ), ex in sorted(t.examples.items()):
        if t.by_type[typ][{"missing": "missing", "type": "type_mismatch",
                           "size": "size_mismatch", "ref": "refs_missing",
                           "extra": "extra_refs_missing"}[kind]] == 0:
            continue
        lines.append("  %-6s %-40s %s" % (kind, typ, "; ".join(ex)))
    lines.append("")
    lines.append("summary objects:")
    slines, sok = check_summary(truth, dump)
    lines.extend(slines)
    clean = (sok and tot["missing"] == 0 and tot["size_mismatch"] == 0
             and tot["refs_missing"] == 0 and tot["type_mismatch"] == 0)
    doc = {"totals": tot, "summary_ok": sok, "clean": clean,
           "by_type": {k: dict(c) for k, c in sorted(t.by_type.items())},
           "sizeof_owner": t.owner,
           "refs_missing_by_referent_type": dict(lost_to),
           "missing_by_holder_type": dict(held_by)}
    return lines, doc, clean


def main():
    top, out, strict, truth_path, dump_path = parse_args(sys.argv[1:])
    with open(truth_path, encoding="utf-8") as f:
        truth = json.load(f)
    dump = load_dump(dump_path)
    lines, doc, clean = report(truth, dump, top)
    print("\n".join(lines))
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
    sys.exit(1 if strict and not clean else 0)


main()
