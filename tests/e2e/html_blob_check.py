"""Check the page `pyheapinspect --html` wrote against the data contract
(docs/html-data.md) and against the `--json` report of the same run.

Usage: html_blob_check.py PAGE REPORT.json TEMPLATE [MAX_BYTES]

TEMPLATE is the template `src/report/html/mkpage.sh` prints; the page
must be exactly its text before the placeholder, the blob, and its text
after (the C arrays are the template, byte for byte).  Then:
- escaping: no raw < > & U+2028 U+2029 in the blob; the blob is compact
  JSON of schema version 1;
- bounds: the page under MAX_BYTES (2,000,000), every list within its
  cap, every string from the target within its cap in escaped bytes,
  and a cut string ending in an ellipsis;
- the tree: ids and parents in order, retained = size + the children's
  retained for every node and objects likewise, node 0 = the reachable
  heap, at most 1,200 object nodes each retaining at least the
  threshold, one "other" node per parent at most;
- the figures: heap totals, types (their allocated bytes too),
  retainers, suspects and duplicates equal the JSON report's (cut to the
  caps); the tree's path of every retainer it holds, joined from the
  labels as the page joins them, equals the retainer's path;
- memory, garbage and growth: the JSON report's memory section, its
  memory.garbage and its growth (null without --baseline), field for
  field in the contract's names, each list and string within its cap.
Prints one line per check; exits 1 when one fails.  Stdlib only.
"""
import importlib.util
import json
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "html_sample", os.path.join(HERE, "html_sample.py"))
S = importlib.util.module_from_spec(spec)
spec.loader.exec_module(S)

FAILED = []


def check(ok, what):
    what = "".join("\\x%02x" % ord(c) if ord(c) < 0x20 or ord(c) == 0x7f
                   else c for c in what)
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        FAILED.append(what)


def escaped_len(s):
    """Bytes of s as the C side writes it in the blob: yajl's escapes
    (two bytes for \\b \\f \\n \\r \\t \\" \\\\, six for other control
    characters) and the page's (six for < > & U+2028 U+2029)."""
    n = 0
    for ch in s:
        if ch in '"\\\b\f\n\r\t':
            n += 2
        elif ord(ch) < 0x20 or ch in "<>&\u2028\u2029":
            n += 6
        else:
            n += len(ch.encode("utf-8"))
    return n


def fitted(s, limit):
    """s cut as the C side cuts it (textfit.c): on a character boundary,
    its escaped form within limit bytes, the ellipsis counted."""
    if s is None or escaped_len(s) <= limit:
        return s
    out, used = [], 3
    for ch in s:
        w = escaped_len(ch)
        if used + w > limit:
            break
        out.append(ch)
        used += w
    return "".join(out) + "\u2026"


def check_string(where, s, limit, bad):
    if s is None:
        return
    if not isinstance(s, str):
        bad.append("%s is not a string" % where)
    elif escaped_len(s) > limit:
        bad.append("%s: %d escaped bytes > %d" % (where, escaped_len(s),
                                                   limit))


def split_page(page, template):
    head, tail = template.split(S.PLACEHOLDER)
    ok = page.startswith(head) and page.endswith(tail) and \
        len(page) >= len(head) + len(tail)
    check(ok, "the page is the template around one blob (%d + %d bytes)" %
          (len(head), len(tail)))
    if not ok:
        sys.exit(1)
    return page[len(head):len(page) - len(tail)]


def check_escaping(raw):
    bad = [c for c in "<>&\u2028\u2029" if c in raw]
    check(not bad, "no raw %s in the blob" % (bad or "< > & U+2028 U+2029"))
    try:
        data = json.loads(raw)
    except ValueError as e:
        check(False, "the blob is JSON (%s)" % e)
        sys.exit(1)
    check("\n" not in raw and not raw.startswith(("{ ", "{\n")),
          "the blob is compact JSON")
    check(data.get("schema_version") == 1, "schema_version 1")
    return data


def check_tree(data, rep):
    t = data.get("tree")
    check(isinstance(t, dict) and isinstance(t.get("nodes"), list),
          "the blob has a tree")
    nodes = t["nodes"]
    reach = rep["retained"]["reachable_size"]
    check(nodes[0]["retained"] == reach == t["total"],
          "node 0 retains the reachable heap (%d)" % reach)
    check(nodes[0]["objects"] == rep["retained"]["reachable_objects"],
          "node 0 holds the reachable objects (%d)" %
          rep["retained"]["reachable_objects"])
    threshold = -(-reach // 1000)
    check(t["threshold"] == threshold and t["max_nodes"] == 1200,
          "threshold ceil(total / 1000) = %d, max_nodes 1200" % threshold)
    order = all(n["id"] == i for i, n in enumerate(nodes)) and \
        nodes[0]["parent"] is None and \
        all(0 <= n["parent"] < n["id"] for n in nodes[1:])
    check(order, "ids are indices, parents come first")
    if not order:
        return
    kids_ret = [0] * len(nodes)
    kids_obj = [0] * len(nodes)
    others = {}
    for n in nodes[1:]:
        kids_ret[n["parent"]] += n["retained"]
        kids_obj[n["parent"]] += n["objects"]
        if n.get("kind") == "other":
            others[n["parent"]] = others.get(n["parent"], 0) + 1
    bad = [n["id"] for n in nodes if n.get("kind") != "other" and
           n["retained"] != n["size"] + kids_ret[n["id"]]]
    check(not bad, "retained = size + children's retained, every node%s" %
          (": not %s" % bad[:5] if bad else ""))
    bad = [n["id"] for n in nodes[1:] if n.get("kind") != "other" and
           n["objects"] != 1 + kids_obj[n["id"]]]
    bad += [0] if nodes[0]["objects"] != kids_obj[0] else []
    check(not bad, "objects = 1 + children's objects, every node%s" %
          (": not %s" % bad[:5] if bad else ""))
    objs = [n for n in nodes[1:] if n.get("kind") != "other"]
    check(len(objs) <= 1200 and all(n["retained"] >= threshold
                                    for n in objs),
          "%d object nodes (at most 1200), each retaining at least %d" %
          (len(objs), threshold))
    check(all(v == 1 for v in others.values()) and
          all(n["count"] >= 1 for n in nodes if n.get("kind") == "other"),
          "%d 'other' nodes, one per parent at most" % len(others))
    return nodes


def page_paths(nodes):
    """Each node's path as the view joins it (view.js, buildTree)."""
    paths = [""]
    for n in nodes[1:]:
        p = paths[n["parent"]]
        if isinstance(n.get("path"), str):
            p = n["path"]
        elif n.get("kind") == "other":
            p = p + " \u2026"
        else:
            p = p + n.get("label", "")
        paths.append(p)
    return paths


def check_caps(data):
    bad = []
    for n in data["tree"]["nodes"]:
        check_string("tree label %d" % n["id"], n.get("label"), 160, bad)
        check_string("tree type %d" % n["id"], n.get("type"), 120, bad)
        check_string("tree path %d" % n["id"], n.get("path"), 400, bad)
    for key in ("types", "retainers", "suspects", "duplicates"):
        for i, r in enumerate(data.get(key) or []):
            check_string("%s[%d].type" % (key, i), r.get("type"), 120, bad)
            check_string("%s[%d].path" % (key, i), r.get("path"), 400, bad)
            check_string("%s[%d].preview" % (key, i), r.get("preview"),
                         120, bad)
    for k in ("python_build", "interpreter_object"):
        check_string("target." + k, data["target"].get(k), 400, bad)
    g = data.get("garbage") or {}
    for i, r in enumerate(g.get("types") or []):
        check_string("garbage.types[%d].type" % i, r.get("type"), 120, bad)
    for i, r in enumerate(g.get("cycles") or []):
        check_string("garbage.cycles[%d].type" % i, r.get("type"), 120, bad)
        check_string("garbage.cycles[%d].path" % i, r.get("path"), 400, bad)
    gr = data.get("growth") or {}
    for key in ("types", "paths", "suspects"):
        for i, r in enumerate(gr.get(key) or []):
            check_string("growth.%s[%d].type" % (key, i), r.get("type"), 120,
                         bad)
            check_string("growth.%s[%d].path" % (key, i), r.get("path"), 400,
                         bad)
    for i, r in enumerate(gr.get("sites") or []):
        check_string("growth.sites[%d].filename" % i, r.get("filename"), 400,
                     bad)
    for i, r in enumerate((data.get("memory") or {}).get("classes") or []):
        check_string("memory.classes[%d].hint" % i, r.get("hint"), 400, bad)
    for i, s in enumerate(data.get("notes") or []):
        check_string("notes[%d]" % i, s, 400, bad)
    check(not bad, "every string within its cap%s" %
          (": " + "; ".join(bad[:3]) if bad else ""))
    lens = {"types": 400, "retainers": 50, "suspects": 20, "duplicates": 50,
            "notes": 8}
    over = [k for k, n in lens.items() if len(data.get(k) or []) > n]
    nested = {("garbage", "types"): 50, ("garbage", "cycles"): 10,
              ("growth", "types"): 100, ("growth", "paths"): 100,
              ("growth", "suspects"): 20, ("growth", "sites"): 100,
              ("memory", "free_lists"): 40}
    over += ["%s.%s" % k for k, n in nested.items()
             if len((data.get(k[0]) or {}).get(k[1]) or []) > n]
    pm = (data.get("memory") or {}).get("pymalloc") or {}
    if len(pm.get("classes") or []) > 64:
        over.append("memory.pymalloc.classes")
    check(not over, "every list within its cap%s" %
          (": " + ", ".join(over) if over else ""))


def check_figures(data, rep):
    h, ret, dups = data["heap"], rep["retained"], rep["duplicates"]
    want = {"objects": rep["objects"], "total_size": rep["total_size"],
            "gc_tracked": rep["gc_tracked"], "edges": rep["edges"],
            "roots": ret["roots"], "reachable_objects":
            ret["reachable_objects"], "reachable_size": ret["reachable_size"],
            "opaque": rep["opaque"], "types": len(rep["types"]),
            "duplicate_groups": dups["groups_total"],
            "duplicates_wasted": dups["wasted"]}
    diff = {k: (h.get(k), v) for k, v in want.items() if h.get(k) != v}
    check(not diff, "heap figures equal the JSON report's%s" %
          (": %s" % diff if diff else ""))
    t = data["target"]
    check(t["pid"] == rep["pid"] and
          t["python_version"] == rep["python_version"] and
          t["python_build"] == fitted(rep["python_build"], 400) and
          t["layout_source"] == rep["layout_source"] and
          t["frozen"] == rep["frozen"] and
          t["consistent"] == rep["consistent"],
          "target equals the JSON report's")

    def rows(key, mine, theirs, fields):
        n = min(len(mine), len(theirs))
        bad = [i for i in range(n) if any(
            mine[i].get(a) != (fitted(theirs[i].get(b), c) if c else
                               theirs[i].get(b)) for a, b, c in fields)]
        check(not bad and n > 0, "%s: the first %d rows equal the JSON "
              "report's%s" % (key, n, ": not %s" % bad[:5] if bad else ""))

    rows("types", data["types"], rep["types"],
         [("type", "type", 120), ("count", "count", 0), ("size", "size", 0),
          ("allocated", "allocated", 0)])
    obj = [("address", "address", 0), ("type", "type", 120),
           ("size", "size", 0), ("retained", "retained_size", 0),
           ("path", "path", 400)]
    rows("retainers", data["retainers"], ret["top"], obj)
    check(len(data["suspects"]) == min(20, len(ret["suspects"])),
          "%d suspects, as in the JSON report" % len(data["suspects"]))
    if ret["suspects"]:
        rows("suspects", data["suspects"], ret["suspects"], obj)
    rows("duplicates", data["duplicates"], dups["groups"],
         [("type", "type", 120), ("count", "count", 0), ("size", "size", 0),
          ("wasted", "wasted", 0), ("preview", "preview", 120)])


def same(where, mine, theirs):
    """mine == theirs; a list of the differing keys otherwise."""
    bad = [k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)]
    check(not bad, "%s equal the JSON report's%s" %
          (where, ": %s" % sorted(bad)[:6] if bad else ""))


def check_memory(data, rep):
    m, r = data.get("memory"), rep.get("memory")
    check(isinstance(m, dict) and isinstance(r, dict),
          "the blob and the report have a memory section")
    if not isinstance(m, dict) or not isinstance(r, dict):
        return
    rss = r["rss"]
    want = None if rss is None else {
        "total": rss["vm_rss"], "anonymous": rss["anon"],
        "file": rss["file"], "shmem": rss["shmem"], "swap": rss["swap"]}
    check(m.get("rss") == want, "memory.rss is the report's (%s)" %
          (want and want["total"]))
    keys = ("class", "resident", "swap", "mappings", "objects_allocated")
    theirs = r["classes"] or []
    cls = [{k: c[k] for k in keys} for c in theirs]
    mine = [{k: c.get(k) for k in keys} for c in m["classes"]]
    check(mine == cls and all(c.get("hint") == fitted(x["hint"], 400)
                              for c, x in zip(m["classes"], theirs)),
          "memory.classes: %d, the report's" % len(cls))
    same("memory.objects", m["objects"], r["objects"])
    notes = [fitted(r["note"], 400)] if r.get("note") else []
    check(m.get("unexplained") == r.get("unexplained") and
          m.get("free_lists_bytes") == r.get("free_lists_bytes") and
          m.get("notes") == notes,
          "memory.unexplained, free_lists_bytes and notes are the report's")
    pm, rp = m.get("pymalloc"), r.get("pymalloc")
    if rp is None:
        check(pm is None, "memory.pymalloc null, as in the report")
    else:
        keys = [k for k in rp if k not in ("cpython_prints_it", "tracemalloc",
                                           "arena_map_mid_nodes",
                                           "arena_map_bot_nodes")]
        same("memory.pymalloc", pm, {k: rp[k] for k in keys})
    fl = r.get("free_lists")
    want = None if fl is None else [
        dict({"name": f["list"], "count": f["count"], "bytes": f["bytes"]},
             **({"length": f["length"]} if "length" in f else {}))
        for f in fl]
    check(m.get("free_lists") == want, "memory.free_lists are the report's")
    check(m.get("gc") == r.get("gc"), "memory.gc is the report's")
    ml, rm = m.get("malloc"), r.get("malloc")
    want = None if rm is None else {
        "method": rm["method"], "system": rm["mallinfo2"]["arena"],
        "in_use": rm["mallinfo2"]["uordblks"],
        "free": rm["mallinfo2"]["fordblks"],
        "mmapped": rm["mallinfo2"]["hblkhd"],
        "mmapped_chunks": rm["mallinfo2"]["hblks"],
        "arenas": len(rm["arenas"]), "tcache_bytes": rm["tcache_bytes"]}
    check(ml == want, "memory.malloc is the report's mallinfo2")


def check_garbage(data, rep):
    g = data.get("garbage")
    r = (rep.get("memory") or {}).get("garbage")
    check(isinstance(g, dict) and isinstance(r, dict),
          "the blob and the report have the garbage")
    if not isinstance(g, dict) or not isinstance(r, dict):
        return
    check(g["objects"] == r["objects"] and g["size"] == r["size"] and
          g.get("allocated") == r.get("allocated") and
          g["cycle_count"] == r["cycles_total"] and
          g["shapes"] == r["shapes"],
          "garbage: %d objects, %d bytes, %d cycles, the report's" %
          (r["objects"], r["size"], r["cycles_total"]))
    want = [{"type": fitted(t["type"], 120), "count": t["count"],
             "size": t["size"]} for t in r["types"][:50]]
    check(g["types"] == want, "garbage.types: %d, the report's" % len(want))
    want = [{"type": fitted(c["type"], 120), "count": c["count"],
             "length": c["length"], "path": fitted(c["path"], 400),
             "objects": c["objects"], "size": c["size"]}
            for c in r["cycles"][:10]]
    check(g["cycles"] == want, "garbage.cycles: %d, the report's" %
          len(want))


def growth_rows(rows, n, text_keys):
    return [{k: fitted(v, text_keys[k]) if k in text_keys else v
             for k, v in x.items()} for x in rows[:n]]


def check_growth(data, rep):
    g, r = data.get("growth"), rep.get("growth")
    if r is None:
        check(g is None, "growth null: no baseline")
        return
    check(isinstance(g, dict), "the blob has the growth")
    if not isinstance(g, dict):
        return
    b = dict(r["baseline"])
    b["captured_at"] = fitted(b["captured_at"], 120)
    b["source"] = fitted(b["source"], 120)
    same("growth.baseline", g["baseline"], b)
    for k in ("captured_at", "objects_delta", "total_size_delta",
              "reachable_size_delta", "rss_delta", "floor", "types_changed",
              "paths_changed", "sites_changed"):
        check(g.get(k) == r.get(k), "growth.%s = %r, the report's" %
              (k, r.get(k)))
    check(g["types"] == growth_rows(r["types"], 100, {"type": 120}),
          "growth.types: %d, the report's" % min(100, len(r["types"])))
    for k, n in (("paths", 100), ("suspects", 20)):
        check(g[k] == growth_rows(r[k], n, {"path": 400, "type": 120}),
              "growth.%s: %d, the report's" % (k, min(n, len(r[k]))))
    rm = r["memory"]
    want = None if rm is None else {
        "rss_before": rm["rss"] and rm["rss"]["before"],
        "rss_after": rm["rss"] and rm["rss"]["after"],
        "rss_delta": rm["rss"] and rm["rss"]["delta"],
        "classes": growth_rows(rm["classes"], 32, {"class": 120}),
        "objects_delta": rm["objects_delta"],
        "getsizeof_delta": rm["getsizeof_delta"],
        "allocated_delta": rm["allocated_delta"],
        "garbage_objects_delta": rm["garbage_objects_delta"],
        "garbage_size_delta": rm["garbage_size_delta"]}
    check(g.get("memory") == want, "growth.memory is the report's")
    rs = r["sites"]
    want = None if rs is None else growth_rows(rs, 100, {"filename": 400})
    check(g.get("sites") == want, "growth.sites: %s rows, the report's" %
          (None if rs is None else len(want)))


def check_tree_paths(nodes, data):
    paths = page_paths(nodes)
    by_addr = {n.get("address"): i for i, n in enumerate(nodes)
               if n.get("address")}
    met, bad = 0, []
    for r in data["retainers"]:
        i = by_addr.get(r["address"])
        if i is None:
            continue
        met += 1
        if paths[i] != r["path"]:
            bad.append("%s: tree %r, report %r" % (r["address"], paths[i][:60],
                                                   r["path"][:60]))
    check(met > 0 and not bad, "the tree's paths of the %d retainers it "
          "holds equal theirs%s" % (met, ": " + bad[0] if bad else ""))


def main():
    page_path, report_path, template_path = sys.argv[1:4]
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 2000000
    with open(page_path, "rb") as f:
        page_bytes = f.read()
    check(len(page_bytes) < limit, "the page is %d bytes (limit %d)" %
          (len(page_bytes), limit))
    page = page_bytes.decode("utf-8")
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    with open(report_path, encoding="utf-8") as f:
        rep = json.load(f)
    data = check_escaping(split_page(page, template))
    nodes = check_tree(data, rep)
    check_caps(data)
    check_figures(data, rep)
    if nodes:
        check_tree_paths(nodes, data)
    check_memory(data, rep)
    check_garbage(data, rep)
    check_growth(data, rep)
    if FAILED:
        print("%d check(s) failed" % len(FAILED))
        sys.exit(1)


if __name__ == "__main__":
    main()
