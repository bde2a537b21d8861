"""Compare a pyheapinspect dump with the truth of fixtures/ctypes_heap.py.

Usage: python3 check_ctypes.py TRUTH DUMP

For every sample of a C type: the dump has it, with a size equal to
sys.getsizeof, decoded by the built-in decoder ("decoder": "builtin"),
and its referents equal gc.get_referents as sets (a non-GC object's
referents, which gc.get_referents does not report, are not compared; a
module's md_name, which module_traverse does not visit, may be there
too); for every module, gc.get_referents (its state's references and
md_dict) among the dump's.  Prints one line per C type and a summary;
exit status 1 when anything differs, 2 on bad input.
"""
import collections
import json
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        truth = json.load(f)
    dump = {}
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            dump[o["address"]] = o
    per = collections.defaultdict(collections.Counter)
    bad = []
    for o in truth["objects"]:
        c = per[o["c_type"]]
        c["samples"] += 1
        d = dump.get(o["address"])
        if d is None:
            bad.append("%s %s: not in the dump" % (o["c_type"], o["address"]))
            continue
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
        have = set(d.get("refs", ())) | set(d.get("weak_refs", ()))
        if o["gc"] and have != set(o["refs"]):
            bad.append("%s %s: refs missing %s, extra %s"
                       % (o["c_type"], o["address"],
                          sorted(set(o["refs"]) - have),
                          sorted(have - set(o["refs"]))))
            ok = False
        if d.get("conservative_refs"):
            bad.append("%s %s: conservative refs" % (o["c_type"],
                                                     o["address"]))
            ok = False
        c["ok"] += ok
    mods = 0
    for m in truth["modules"]:
        d = dump.get(m["address"])
        have = set(d.get("refs", ())) if d else set()
        missing = set(m["refs"]) - have
        if d is None or missing or d.get("conservative_refs"):
            bad.append("module %s: missing %d of %d references"
                       % (m["name"], len(missing), len(m["refs"])))
        else:
            mods += 1
    for name in sorted(per):
        c = per[name]
        print("%-42s %d/%d" % (name, c["ok"], c["samples"]))
    for b in bad[:60]:
        print("BAD " + b)
    total = sum(c["samples"] for c in per.values())
    good = sum(c["ok"] for c in per.values())
    print("ctypes: %d of %d samples of %d C types equal to the truth; %d "
          "of %d modules hold their state's references"
          % (good, total, len(per), mods, len(truth["modules"])))
    sys.exit(1 if bad else 0)


main()
