"""What a dump gets wrong against the truth, grouped by type: for the
findings of issue 11 (how far each build is from the target's truth), not
a test (tests/e2e/builds.sh and check_graph.py are the tests).

Usage: summarize.py TRUTH.json DUMP.jsonl [DOC.json]

TRUTH is what fixtures/rich_heap.py wrote, DUMP the tool's --dump, DOC its
--json document.  Prints the totals (objects and references found, in
counts and %), then, per truth type, the objects missing, with another
type, another size, or references missing, and whether the dump called
them opaque; with DOC, the whole-heap figures of the document.
"""
import collections
import json
import sys


def load_dump(path):
    lines = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            o = json.loads(raw)
            lines[o["address"]] = o
    return lines


def pct(n, d):
    return "%d/%d (%.2f%%)" % (n, d, 100.0 * n / d if d else 100.0)


def main():
    truth = json.load(open(sys.argv[1], encoding="utf-8"))
    dump = load_dump(sys.argv[2])
    objs = truth["objects"]
    by = collections.defaultdict(collections.Counter)
    examples = {}
    found = refs = refs_found = 0
    for t in objs:
        d = dump.get(t["address"])
        name = t["type"]
        c = by[name]
        c["truth"] += 1
        refs += len(t["refs"])
        if d is None:
            c["missing"] += 1
            c["missing refs"] += len(t["refs"])
            continue
        found += 1
        if d["type"] != name:
            c["type " + d["type"]] += 1
        if d["size"] != t["size"]:
            c["size"] += 1
            examples.setdefault((name, "size"), "%s: %d, truth %d" % (
                t["address"], d["size"], t["size"]))
        if d.get("opaque"):
            c["opaque"] += 1
        have = set(d.get("refs") or ()) | set(d.get("weak_refs") or ())
        miss = sum(1 for r in t["refs"] if r not in have)
        refs_found += len(t["refs"]) - miss
        if miss:
            c["objects with refs missing"] += 1
            c["missing refs"] += miss
            examples.setdefault((name, "refs"), "%s: %d of %d refs missing"
                                % (t["address"], miss, len(t["refs"])))
    gar = truth.get("garbage") or []
    gfound = sum(1 for g in gar if g["address"] in dump)
    print("truth objects found  %s" % pct(found, len(objs)))
    print("truth refs found     %s" % pct(refs_found, refs))
    print("unreachable found    %s" % pct(gfound, len(gar)))
    print("dump objects         %d" % len(dump))
    if len(sys.argv) > 3:
        doc = json.load(open(sys.argv[3], encoding="utf-8"))
        print("document: objects %s, total_size %s, edges %s, opaque %s, "
              "layout_source %s" % (doc.get("objects"), doc.get("total_size"),
                                    doc.get("edges"), doc.get("opaque"),
                                    doc.get("layout_source")))
    for name in sorted(by, key=lambda n: -sum(v for k, v in by[n].items()
                                                if k not in ("truth", "opaque"))):
        c = by[name]
        bad = {k: v for k, v in c.items() if k not in ("truth", "opaque")}
        if not bad:
            continue
        print("  %-40s %5d in truth: %s%s" % (
            name, c["truth"],
            ", ".join("%s %d" % kv for kv in sorted(bad.items())),
            ", opaque %d" % c["opaque"] if c["opaque"] else ""))
        for kind in ("size", "refs"):
            if (name, kind) in examples:
                print("      e.g. " + examples[name, kind])


main()
