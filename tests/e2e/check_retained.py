"""The retained sizes of named owners against the target's own figures.

Usage: python3 check_retained.py TRUTH REPORT NAME...

TRUTH is fixtures/webapp_heap.py's truth, REPORT the tool's --json report
of the same process made with --object ADDRESS for each owner; each NAME
is an entry of the truth's summary (future, lru_cache, array...).  For
each, the objects it retains are worked out from the truth alone: those
reachable from it (gc.get_referents, dict keys, the extra references of
non-GC objects) whose every referrer in the heap is itself retained, to
a fixed point; their sys.getsizeof sum must be the report's
retained_size of that address.  Exit status 1 when one differs, 2 on bad
input.
"""
import collections
import json
import sys


def retained(objs, refs_of, referrers, root):
    reach = {root}
    stack = [root]
    while stack:
        a = stack.pop()
        for r in refs_of.get(a, ()):
            if r not in reach and r in objs:
                reach.add(r)
                stack.append(r)
    # An object leaves the set when a referrer is outside it; then its
    # referents may have to leave too.
    todo = collections.deque(reach - {root})
    while todo:
        a = todo.popleft()
        if a != root and a in reach and \
                any(p not in reach for p in referrers[a]):
            reach.discard(a)
            todo.extend(r for r in refs_of.get(a, ()) if r in reach)
    return reach


def main():
    if len(sys.argv) < 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        truth = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        report = json.load(f)
    objs = {o["address"]: o for o in truth["objects"]}
    refs_of = {}
    referrers = collections.defaultdict(set)
    for o in truth["objects"]:
        rs = list(o["refs"]) + list(o.get("extra_refs", ()))
        refs_of[o["address"]] = rs
        for r in rs:
            if r != o["address"]:
                referrers[r].add(o["address"])
    named = {n["address"]: n for n in report.get("named", ())}
    bad = 0
    for name in sys.argv[3:]:
        e = truth["summary"].get(name)
        if not e:
            print("check_retained: no %s in the truth's summary" % name)
            sys.exit(2)
        addr = e["address"]
        s = retained(objs, refs_of, referrers, addr)
        want = sum(objs[a]["size"] or 0 for a in s)
        n = named.get(addr)
        got = n.get("retained_size") if n else None
        ok = got == want
        bad += not ok
        print("%-14s %s %s retains %d objects, %d bytes by sys.getsizeof; "
              "the report says %s%s" % (name, e.get("type", ""), addr,
                                        len(s), want, got,
                                        "" if ok else "  MISMATCH"))
    sys.exit(1 if bad else 0)


main()
