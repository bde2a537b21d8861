"""The checks of tests/e2e/sites.sh: what pyheapinspect read of a target's
tracemalloc from outside, against what fixtures/tracemalloc_target.py
wrote about itself (tracemalloc's own answers inside, at the moment the
reader sees).

Usage: check_sites.py MODE TRUTH.json FILE [FILE2]

  json        FILE is --json with --expr __main__:NAME for every planted
              object: the tracemalloc figures (config, get_traced_memory()
              and its peak, traceback limit, number of traces), every row
              of allocation_sites equal to statistics("lineno") in order,
              each named object's traceback equal to
              get_object_traceback() (null included), and its retained set
              by site consistent with the figures the target gave
  tracebacks  FILE is --json --sites=traceback: allocation_tracebacks equal
              to statistics("traceback") (row count, digest of every row,
              and the rows of the planted lines in full)
  text        FILE is the text report of --sites --top 10: its ten rows
              equal str() of the first ten statistics("lineno") rows
  dump        FILE is --dump: each planted object's traceback_id names the
              traceback get_object_traceback() gives, every id is defined
              once, on or before its first use
  off         FILE is --json of a target that does not trace: the state
              and config the target read, no sites, no tracebacks
  same        FILE and FILE2 are --json of the live target and of its saved
              snapshot: the same tracemalloc figures and sites
Prints what it compared; exits 1 listing the differences.
"""
import hashlib
import json
import sys

MODE, TRUTH = sys.argv[1], sys.argv[2]
FILES = sys.argv[3:]
problems = []


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check(what, got, want):
    if got != want:
        problems.append("%s: got %.300r, want %.300r" % (what, got, want))


def finish(summary):
    for p in problems[:40]:
        print("DIFF " + p)
    if problems:
        print("%d differences" % len(problems))
        return 1
    print(summary)
    return 0


def frames(tb):
    return None if tb is None else [[f["filename"], f["lineno"]] for f in tb]


def planted(truth, name):
    return [truth["filename"], truth["planted_lines"][name]]


# Named objects whose retained set holds only blocks of their own line:
# the object and what it owns (a dict's keys table, a list's items).
ALONE = {"DICT": "dict", "LIST": "list", "BYTES_SMALL": "bytes_small",
         "BYTES_BIG": "bytes_big", "THREAD_LIST": "thread_list"}
# Fully traced ones: traced + untraced must be the retained size.
TRACED = ("CACHE", "CACHE_ENTRY", "RECORD", "RECORD_DICT") + tuple(ALONE)


def check_json(truth, doc):
    tm = doc.get("tracemalloc") or {}
    check("state", tm.get("state"), "tracing")
    check("config", [tm.get("initialized"), tm.get("tracing"),
                     tm.get("traceback_limit")], truth["config"])
    check("traceback_limit", tm.get("traceback_limit"),
          truth["traceback_limit"])
    check("traced memory and peak", [tm.get("traced_memory"),
                                     tm.get("peak_traced_memory")],
          truth["traced_memory"])
    check("traces", tm.get("traces"), truth["snapshot_traces"])
    check("torn", tm.get("torn"), False)
    rows = [[r["filename"], r["lineno"], r["size"], r["count"]]
            for r in doc.get("allocation_sites", [])]
    want = truth["statistics_lineno"]
    if rows != want:
        got_by = {(r[0], r[1]): r[2:] for r in rows}
        for r in want:
            if got_by.get((r[0], r[1])) != r[2:]:
                problems.append("line %s:%s: got %r, want %r" % (
                    r[0], r[1], got_by.get((r[0], r[1])), r[2:]))
        if len(rows) != len(want) or not problems:
            problems.append("allocation_sites: %d rows, statistics has %d"
                            " (or the order differs)" % (len(rows), len(want)))
    stats = {(r[0], r[1]): r[2] for r in want}
    named = {n["expr"].split(":", 1)[1]: n for n in doc.get("named", [])}
    check("named objects", sorted(named), sorted(truth["objects"]))
    for name, o in sorted(truth["objects"].items()):
        n = named.get(name)
        if n is None:
            continue
        check("%s address" % name, n["address"], o["id"])
        check("%s traceback" % name, frames(n.get("traceback", "absent")),
              o["traceback"])
        split = n.get("retained_by_site") or {}
        sites = split.get("sites", [])
        check("%s: sites add up to the traced size" % name,
              sum(s["size"] for s in sites) if split.get("lines") ==
              len(sites) else split.get("traced_size"),
              split.get("traced_size"))
        for s in sites:
            if s["size"] > stats.get((s["filename"], s["lineno"]), -1):
                problems.append("%s: %s:%s retains %d, more than the "
                                "line's statistics" % (name, s["filename"],
                                                       s["lineno"],
                                                       s["size"]))
        if name in TRACED:
            check("%s: traced + untraced = retained" % name,
                  split.get("traced_size", 0) + split.get("untraced_size", 0),
                  n["retained_size"])
        if name in ALONE:
            check("%s: retained by site" % name,
                  [[s["filename"], s["lineno"], s["size"]] for s in sites],
                  [planted(truth, ALONE[name]) + [o["size"]]])
    cache = named.get("CACHE", {}).get("retained_by_site", {}).get("sites")
    check("CACHE: its largest site", cache and [cache[0]["filename"],
                                                cache[0]["lineno"]],
          planted(truth, "cache_fill"))
    return finish("equal to the target's truth: config, traced memory %d "
                  "and peak %d, %d traces, %d statistics('lineno') rows, %d "
                  "object tracebacks (%d without a trace), retained sets by "
                  "site" % (truth["traced_memory"][0],
                            truth["traced_memory"][1],
                            truth["snapshot_traces"], len(rows), len(named),
                            sum(o["traceback"] is None
                                for o in truth["objects"].values())))


def check_tracebacks(truth, doc):
    rows = [[frames(r["traceback"]), r["size"], r["count"]]
            for r in doc.get("allocation_tracebacks", [])]
    check("statistics('traceback') rows", len(rows),
          truth["statistics_traceback_rows"])
    digest = hashlib.sha256(json.dumps(rows, separators=(",", ":"))
                            .encode()).hexdigest()
    check("statistics('traceback') digest", digest,
          truth["statistics_traceback_sha256"])
    lines = {tuple(planted(truth, k)) for k in truth["planted_lines"]}
    got = [{"traceback": r[0], "size": r[1], "count": r[2]} for r in rows
           if tuple(r[0][0]) in lines]
    check("statistics('traceback') of the planted lines", got,
          truth["statistics_traceback_planted"])
    return finish("equal to the target's truth: %d statistics('traceback') "
                  "rows (sha256 of all), %d of the planted lines"
                  % (len(rows), len(got)))


def check_text(truth, path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    head = [i for i, l in enumerate(lines)
            if l.startswith('allocation sites (statistics("lineno"))')]
    if len(head) != 1:
        problems.append("no single allocation sites section")
        return finish("")
    got = [l[2:] for l in lines[head[0] + 1:head[0] + 11]]
    check("--sites rows", got, truth["statistics_text_top10"])
    return finish("equal to str() of tracemalloc's first %d statistics rows"
                  % len(got))


def check_dump(truth, path):
    tbs, objs = {}, {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            o = json.loads(line)
            for k, v in o.get("tracebacks", {}).items():
                if int(k) in tbs:
                    problems.append("line %d defines traceback %s again"
                                    % (n, k))
                tbs[int(k)] = frames(v)
            used = [o.get("traceback_id")] + [b.get("traceback_id")
                                              for b in o.get("blocks", [])]
            for i in used:
                if i is not None and i not in tbs:
                    problems.append("line %d uses traceback %s before it is"
                                    " defined" % (n, i))
            objs[o["address"]] = o
    for name, o in sorted(truth["objects"].items()):
        line = objs.get(o["id"])
        if line is None:
            problems.append("%s (%s) is not in the dump" % (name, o["id"]))
            continue
        if "traceback_id" not in line:
            problems.append("%s: no traceback_id" % name)
            continue
        i = line["traceback_id"]
        check("%s traceback" % name, None if i is None else tbs.get(i),
              o["traceback"])
    return finish("dump: %d objects, %d tracebacks each defined once before "
                  "use; every planted object's traceback equal to the "
                  "target's" % (len(objs), len(tbs)))


def check_off(truth, doc):
    tm = doc.get("tracemalloc") or {}
    check("state", tm.get("state"), "off")
    check("config", [tm.get("initialized"), tm.get("tracing")],
          truth["config"][:2])
    check("note names the config", "initialized=%d tracing=%d" %
          tuple(truth["config"][:2]) in (tm.get("note") or ""), True)
    check("allocation_sites", "allocation_sites" in doc, False)
    for n in doc.get("named", []):
        check("%s traceback" % n["expr"], "traceback" in n, False)
    check("complete", doc.get("complete"), True)
    return finish("not tracing, as the target says: initialized=%d tracing=%d"
                  % tuple(truth["config"][:2]))


def check_same(a, b):
    ta, tb = dict(a["tracemalloc"]), dict(b["tracemalloc"])
    for t in (ta, tb):
        t.pop("read_ms", None)
        t.pop("tables_from", None)
    check("tracemalloc", tb, ta)
    for key in ("allocation_sites", "suspects_by_site"):
        check(key, b.get(key), a.get(key))
    check("named", [(n.get("traceback"), n.get("retained_by_site"))
                    for n in b.get("named", [])],
          [(n.get("traceback"), n.get("retained_by_site"))
           for n in a.get("named", [])])
    return finish("the snapshot gives the live target's figures: %d sites"
                  % len(a.get("allocation_sites", [])))


def main():
    truth = load(TRUTH)
    if MODE == "json":
        return check_json(truth, load(FILES[0]))
    if MODE == "tracebacks":
        return check_tracebacks(truth, load(FILES[0]))
    if MODE == "text":
        return check_text(truth, FILES[0])
    if MODE == "dump":
        return check_dump(truth, FILES[0])
    if MODE == "off":
        return check_off(truth, load(FILES[0]))
    if MODE == "same":
        return check_same(load(FILES[0]), load(FILES[1]))
    sys.exit("unknown mode %s" % MODE)


sys.exit(main())
