"""The checks of the object-graph tests: a --dump (and --json document) of
the tool against the truth that fixtures/rich_heap.py measured inside the
target.  Shared by tests/e2e/graph.sh and tests/e2e/builds.sh.

Usage: check_graph.py MODE TRUTH.json DUMP.jsonl DOC.json

MODE is one group of checks, or "all" for the four in turn:
  dump       valid UTF-8 JSON lines, unique addresses, closed under refs;
  truth      every truth object (and every unreachable one) with the same
             type, size and tracking, and every truth referent among its
             refs or weak_refs;
  histogram  the --json figures equal the dump, and the fixture's own
             classes equal the truth's totals;
  values     the planted str, int, float and bytes values.
Prints what it measured and up to 30 mismatches; exits 1 on any mismatch.
The truth's "opaque_types" (rich_heap.py --varied) add to OPAQUE_OK.
"""
import json, re, sys

mode, truth_path, dump_path, doc_path = sys.argv[1:5]
truth = json.load(open(truth_path, encoding="utf-8"))
LIMIT = 30
bad = []


def mismatch(text):
    bad.append(text)
    if len(bad) <= LIMIT:
        print("mismatch:", text)


def finish(summary):
    """The group's summary; its status (1 on any mismatch)."""
    print(summary)
    if len(bad) > LIMIT:
        print("... and %d more mismatches" % (len(bad) - LIMIT))
    return 1 if bad else 0


ADDR = re.compile(r"0x[0-9a-f]+\Z")
# C types private to a module, outside the kinds the tool decodes: the
# dump may call their objects opaque and give no referents.  An opaque
# object of any other type must still show every referent of the truth.
OPAQUE_OK = {"_abc._abc_data"}
OPAQUE_OK.update(truth.get("opaque_types") or ())


invalid = [0]


def load_dump(strict):
    """Lines of the dump by address.  With strict, every line is checked:
    valid UTF-8, a JSON object with the fields of the schema."""
    lines = {}
    with open(dump_path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not strict:
                o = json.loads(raw.decode("utf-8"))
                lines[o["address"]] = o
                continue
            try:
                text = raw.decode("utf-8", errors="strict")
            except UnicodeDecodeError as e:
                mismatch("line %d: not valid UTF-8: %s" % (n, e))
                invalid[0] += 1
                continue
            try:
                o = json.loads(text)
            except ValueError as e:
                mismatch("line %d: not JSON: %s: %.200r" % (n, e, text))
                invalid[0] += 1
                continue
            if not isinstance(o, dict):
                mismatch("line %d: not a JSON object" % n)
                invalid[0] += 1
                continue
            a = o.get("address")
            if not isinstance(a, str) or not ADDR.match(a) or hex(int(a, 16)) != a:
                mismatch("line %d: bad address %r" % (n, a))
                invalid[0] += 1
                continue
            if not isinstance(o.get("type"), str) or not o["type"]:
                mismatch("line %d (%s): bad type %r" % (n, a, o.get("type")))
            s = o.get("size")
            if type(s) is not int or s < 0:
                mismatch("line %d (%s): bad size %r" % (n, a, s))
            if type(o.get("gc_tracked")) is not bool:
                mismatch("line %d (%s): bad gc_tracked %r" % (n, a, o.get("gc_tracked")))
            for key, need in (("refs", True), ("weak_refs", False)):
                r = o.get(key)
                if r is None and not need:
                    continue
                if not isinstance(r, list) or not all(isinstance(x, str) for x in r):
                    mismatch("line %d (%s): bad %s %.200r" % (n, a, key, r))
                    o[key] = []
            if "opaque" in o and type(o["opaque"]) is not bool:
                mismatch("line %d (%s): bad opaque %r" % (n, a, o["opaque"]))
            if "value" in o and not isinstance(o["value"], str):
                mismatch("line %d (%s): bad value %r" % (n, a, o["value"]))
            if a in lines:
                mismatch("line %d: address %s repeated" % (n, a))
            lines[a] = o
    return lines


def pct(n, d):
    return "%.2f%% (%d/%d)" % (100.0 * n / d if d else 100.0, n, d)


def check_dump(lines):
    nrefs = dangling = 0
    for a, o in lines.items():
        for key in ("refs", "weak_refs"):
            for r in o.get(key) or ():
                nrefs += 1
                if r not in lines:
                    dangling += 1
                    mismatch("%s (%s): %s %s is not an object of the dump"
                             % (a, o.get("type"), key, r))
    return finish("%d objects, %d lines not valid UTF-8 JSON objects, %d mismatches "
           "in all; %d refs, %d not in the dump"
           % (len(lines), invalid[0], len(bad), nrefs, dangling))

def check_truth(lines):
    objs = truth["objects"]
    found = same_type = same_size = same_tracked = 0
    nrefs = refs_found = 0
    exempt = exempt_refs = 0
    for t in objs:
        a = t["address"]
        d = lines.get(a)
        if d is None:
            nrefs += len(t["refs"])
            mismatch("%s: missing from the dump; truth: %s size %d refs %d"
                     % (a, t["type"], t["size"], len(t["refs"])))
            continue
        found += 1
        if d["type"] == t["type"]:
            same_type += 1
        else:
            mismatch("%s: type %r, truth %r" % (a, d["type"], t["type"]))
        if d["size"] == t["size"]:
            same_size += 1
        else:
            mismatch("%s (%s): size %d, truth %d"
                     % (a, t["type"], d["size"], t["size"]))
        if d.get("gc_tracked") == t["gc_tracked"]:
            same_tracked += 1
        else:
            mismatch("%s (%s): gc_tracked %r, truth %r"
                     % (a, t["type"], d.get("gc_tracked"), t["gc_tracked"]))
        if d.get("opaque") and d["type"] in OPAQUE_OK:
            exempt += 1
            exempt_refs += len(t["refs"])
            continue
        nrefs += len(t["refs"])
        have = set(d.get("refs") or ()) | set(d.get("weak_refs") or ())
        missing = []
        for r in t["refs"]:
            if r in have:
                refs_found += 1
            else:
                missing.append(r)
        if missing:
            mismatch("%s (%s%s): %d of %d refs missing: %.200s; dump refs "
                     "%.200s weak_refs %.100s"
                     % (a, t["type"], ", opaque" if d.get("opaque") else "",
                        len(missing), len(t["refs"]),
                        " ".join(missing), " ".join(d.get("refs") or ()),
                        " ".join(d.get("weak_refs") or ())))
    # Unreachable cycles, found only through the GC lists.
    gfound = 0
    for t in truth["garbage"]:
        d = lines.get(t["address"])
        if d is None:
            mismatch("%s (%s): unreachable object missing from the dump"
                     % (t["address"], t["type"]))
        elif (d["type"], d["size"]) != (t["type"], t["size"]):
            mismatch("%s: unreachable object %r size %d, truth %r size %d"
                     % (t["address"], d["type"], d["size"], t["type"],
                        t["size"]))
        else:
            gfound += 1
    if not truth["garbage"]:
        mismatch("the truth lists no unreachable objects")
    print("unreachable     %s" % pct(gfound, len(truth["garbage"])))
    n = len(objs)
    print("objects found   %s" % pct(found, n))
    print("type equal      %s" % pct(same_type, n))
    print("size equal      %s" % pct(same_size, n))
    print("tracked equal   %s" % pct(same_tracked, n))
    print("refs found      %s" % pct(refs_found, nrefs))
    return finish("%d truth objects, dump of %d objects; %d refs of %d opaque "
           "objects of %s not checked" % (n, len(lines), exempt_refs, exempt,
                                          " ".join(sorted(OPAQUE_OK))))

def check_histogram(lines):
    doc = json.load(open(doc_path, encoding="utf-8"))
    agg = {}
    total = tracked = 0
    opaque = [0, 0]
    for o in lines.values():
        c = agg.setdefault(o["type"], [0, 0])
        c[0] += 1
        c[1] += o["size"]
        total += o["size"]
        tracked += o.get("gc_tracked") is True
        if o.get("opaque"):
            opaque[0] += 1
            opaque[1] += o["size"]
    if doc.get("objects") != len(lines):
        mismatch("objects %r, dump has %d lines" % (doc.get("objects"), len(lines)))
    if doc.get("total_size") != total:
        mismatch("total_size %r, dump sizes sum to %d" % (doc.get("total_size"), total))
    if doc.get("gc_tracked") != tracked:
        mismatch("gc_tracked %r, dump has %d tracked" % (doc.get("gc_tracked"), tracked))
    op = doc.get("opaque") or {}
    if [op.get("count"), op.get("size")] != opaque:
        mismatch("opaque %r, dump has %d opaque lines of %d bytes"
                 % (op, opaque[0], opaque[1]))
    types = {}
    sizes = []
    for e in doc.get("types") or ():
        # One entry per type object: distinct types may share a name
        # (ctypes makes a CFunctionType class per prototype).
        c, z = types.get(e["type"], (0, 0))
        types[e["type"]] = (c + e["count"], z + e["size"])
        sizes.append(e["size"])
    if sizes != sorted(sizes, reverse=True):
        mismatch("types are not sorted by size, descending")
    for name in sorted(set(types) | set(agg)):
        want = tuple(agg.get(name, (0, 0)))
        if types.get(name) != want:
            mismatch("types %r: %r, the dump gives (count, size) %r"
                     % (name, types.get(name), want))
    own = truth["type_totals"]
    for name, want in sorted(own.items()):
        got = types.get(name)
        if got != (want["count"], want["size"]):
            mismatch("types %r: (count, size) %r, truth (%d, %d)"
                     % (name, got, want["count"], want["size"]))
    return finish("%d objects, %d bytes, %d types; %d classes of the fixture "
           "compared" % (len(lines), total, len(types), len(own)))

def check_values(lines):
    vals = truth["values"]
    for a, want in sorted(vals.items()):
        d = lines.get(a)
        if d is None:
            mismatch("%s: missing from the dump; value %r" % (a, want))
        elif d.get("value") != want:
            mismatch("%s (%s): value %r, expected %r"
                     % (a, d["type"], d.get("value"), want))
    return finish("%d planted values checked" % len(vals))


# mode: (group, whether the dump is loaded with every line checked)
GROUPS = {"dump": (check_dump, True), "truth": (check_truth, False),
          "histogram": (check_histogram, False),
          "values": (check_values, False)}
if mode == "all":
    # Every group on one load of the files, each under a header line.
    loaded = load_dump(True)
    status = 0
    for name in ("dump", "truth", "histogram", "values"):
        print("== %s" % name)
        del bad[:]
        status |= GROUPS[name][0](loaded)
    sys.exit(status)
if mode not in GROUPS:
    sys.exit("unknown mode %r" % mode)
sys.exit(GROUPS[mode][0](load_dump(GROUPS[mode][1])))
