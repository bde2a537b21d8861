"""Stand-in for `pyheapinspect --html` until the C reporter exists: turn
a `--json` report and a `--dump` of the same capture into the HTML
report's data blob (docs: html-data.md, schema version 1) and assemble
the page exactly as the C side will (template + escaped blob).

Usage:
  html_sample.py --report R.json --dump D.jsonl --template T.html
                 --out PAGE.html [--data-out BLOB.json]
                 [--baseline-report R0.json --baseline-dump D0.jsonl]
                 [--status STATUS --smaps SMAPS]

The dump has no root list, so this script approximates it: a root is an
object whose refcount exceeds the references the dump shows to it (held
from outside the heap: sys.modules, the interned dict, running frames,
static types, ...).  Immediate dominators are computed from there
(Cooper, Harvey and Kennedy's iterative algorithm), then retained sizes,
paths (breadth-first, sys.modules first), garbage (objects no root
reaches) and its cycles.  The blob says so in its notes.  It exists to
exercise the page and the browser test; the C side computes the same
from its own graph.

Stdlib only; runs under the pyenv CPython 3.10 or Debian's python3.
"""
import argparse
import datetime
import heapq
import json
import os
import re
import sys

SCHEMA_VERSION = 1
# The pruning rule and the caps of the contract (html-data.md).
MIN_SHARE = 0.001
MAX_NODES = 1200
CAP_LABEL = 160
CAP_TYPE = 120
CAP_PATH = 400
CAP_PREVIEW = 120
MAX_TYPES = 400
MAX_RETAINERS = 50
MAX_SUSPECTS = 20
MAX_DUPLICATES = 50
MAX_GARBAGE_TYPES = 50
MAX_CYCLES = 10
MAX_GROWTH = 100            # growth types, paths and sites
MAX_GROWTH_SUSPECTS = 20
MAX_GROWTH_CLASSES = 32
MAX_PYMALLOC_CLASSES = 64
MAX_FREE_LISTS = 40
PLACEHOLDER = "@PHI_DATA@"


# ---------------------------------------------------------------- strings

def escaped_len(s):
    """Bytes of s once written as a JSON string body by the C side:
    UTF-8, with the escapes of json and of the page (html-data.md)."""
    n = 0
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            n += 2
        elif o < 0x20 or ch in "<>&\u2028\u2029":
            n += 6
        else:
            n += len(ch.encode("utf-8"))
    return n


def cap(s, limit):
    """Cut s so that its escaped form fits in limit bytes, ending in an
    ellipsis when cut (the rule the C side applies)."""
    if s is None or escaped_len(s) <= limit:
        return s
    out = []
    used = 3  # the ellipsis, 3 bytes of UTF-8
    for ch in s:
        w = escaped_len(ch)
        if used + w > limit:
            break
        out.append(ch)
        used += w
    return "".join(out) + "\u2026"


def escape_for_script(text):
    """The page's rule for the JSON inside <script type=application/json>:
    no '<' (so no '</script' and no '<!--'), no '>' or '&', and no
    U+2028/U+2029.  Each becomes a JSON \\u escape: the JSON means the
    same, and these characters only occur inside JSON strings."""
    return (text.replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"))


# ------------------------------------------------------------------ graph

class Heap:
    """The dump as arrays indexed by node number; the virtual root is
    node n (one past the last object)."""

    def __init__(self, path):
        self.addr, self.type, self.size, self.refcount = [], [], [], []
        self.value, refs_by_addr = [], []
        with open(path, encoding="utf-8") as f:
            for line in f:
                o = json.loads(line)
                self.addr.append(o["address"])
                self.type.append(o["type"])
                self.size.append(o["size"])
                self.refcount.append(o["refcount"])
                self.value.append(o.get("value"))
                refs_by_addr.append(o.get("refs", ()))
        self.n = len(self.addr)
        self.index = {a: i for i, a in enumerate(self.addr)}
        self.refs = [[self.index[r] for r in rs if r in self.index]
                     for rs in refs_by_addr]
        self.root = self.n
        self._find_roots()
        self._dominators()
        self._retained()
        self._paths()

    def _find_roots(self):
        indeg = [0] * self.n
        for rs in self.refs:
            for r in rs:
                indeg[r] += 1
        roots = [i for i in range(self.n) if self.refcount[i] > indeg[i]]
        self.sys_modules = self._find_sys_modules()
        self.interned = self._find_interned()
        first = [r for r in (self.sys_modules, self.interned)
                 if r is not None]
        rest = [r for r in roots if r not in first]
        self.roots = first + rest

    def _find_sys_modules(self):
        best, best_n = None, 0
        for i in range(self.n):
            if self.type[i] != "dict":
                continue
            rs = self.refs[i]
            mods = sum(1 for r in rs[1::2] if self.type[r] == "module")
            if mods > best_n:
                best, best_n = i, mods
        return best

    def _find_interned(self):
        best, best_n = None, 0
        for i in range(self.n):
            rs = self.refs[i]
            if self.type[i] != "dict" or len(rs) < 100 or len(rs) % 2:
                continue
            if all(rs[k] == rs[k + 1] for k in range(0, len(rs), 2)):
                if len(rs) > best_n:
                    best, best_n = i, len(rs)
        return best

    def succ(self, v):
        return self.roots if v == self.root else self.refs[v]

    def _dominators(self):
        """Iterative dominators over the graph from the virtual root;
        no recursion (a long chain in the heap must not overflow)."""
        n1 = self.n + 1
        seen = bytearray(n1)
        post = []
        stack = [(self.root, 0)]
        seen[self.root] = 1
        while stack:
            v, k = stack.pop()
            s = self.succ(v)
            if k < len(s):
                stack.append((v, k + 1))
                w = s[k]
                if not seen[w]:
                    seen[w] = 1
                    stack.append((w, 0))
            else:
                post.append(v)
        order = post[::-1]
        po = [-1] * n1
        for i, v in enumerate(post):
            po[v] = i
        preds = [[] for _ in range(n1)]
        for v in order:
            for w in self.succ(v):
                preds[w].append(v)
        idom = [-1] * n1
        idom[self.root] = self.root

        def intersect(a, b):
            while a != b:
                while po[a] < po[b]:
                    a = idom[a]
                while po[b] < po[a]:
                    b = idom[b]
            return a

        changed = True
        while changed:
            changed = False
            for v in order[1:]:
                new = -1
                for p in preds[v]:
                    if idom[p] == -1:
                        continue
                    new = p if new == -1 else intersect(p, new)
                if new != idom[v]:
                    idom[v] = new
                    changed = True
        self.order = order          # reachable nodes, parents first
        self.reachable = seen
        self.idom = idom

    def _retained(self):
        n1 = self.n + 1
        self.ret = self.size + [0]
        self.cnt = [1] * self.n + [0]
        self.children = [[] for _ in range(n1)]
        for v in reversed(self.order[1:]):
            d = self.idom[v]
            self.ret[d] += self.ret[v]
            self.cnt[d] += self.cnt[v]
            self.children[d].append(v)

    def _paths(self):
        """Shortest paths, breadth-first from sys.modules to exhaustion,
        then from the other roots, as the tool ranks its roots (a module
        global reads better than the frame running the module)."""
        parent = [-1] * (self.n + 1)
        parent[self.root] = self.root
        queue = [self.root]
        head = 1
        for tier in (self.roots[:1], self.roots[1:]):
            for r in tier:
                if parent[r] == -1:
                    parent[r] = self.root
                    queue.append(r)
            while head < len(queue):
                u = queue[head]
                head += 1
                for w in self.refs[u]:
                    if parent[w] == -1:
                        parent[w] = u
                        queue.append(w)
        self.bfs_parent = parent
        self.bfs_order = queue

    # -------------------------------------------------------- path labels

    def key_text(self, k):
        v, t = self.value[k], self.type[k]
        if t == "str" and v is not None:
            return '"%s"' % v if "'" in v else "'%s'" % v
        if t == "int" and v is not None:
            return v
        return "<%s at %s>" % (t, self.addr[k])

    def root_label(self, r):
        if r == self.sys_modules:
            return "sys.modules"
        if r == self.interned:
            return "interned strings"
        return "<%s at %s held outside the heap>" % (self.type[r],
                                                     self.addr[r])

    def step(self, p, c):
        """How p holds c, written as the text report writes path steps."""
        if p == self.root:
            return self.root_label(c)
        rs, t = self.refs[p], self.type[p]
        try:
            i = rs.index(c)
        except ValueError:
            return "->(%s)" % self.type[c]
        if t in ("dict", "collections.OrderedDict",
                 "collections.defaultdict") and len(rs) % 2 == 0:
            key = self.key_text(rs[i - 1] if i % 2 else c)
            return "[%s]" % key if i % 2 else " key %s" % key
        if t in ("list", "tuple"):
            return "[%d]" % i
        if t in ("set", "frozenset"):
            return " item"
        if self.type[c] == "dict" and i == 0:
            return ".__dict__"
        if self.type[c] == "type" or self.type[c].endswith("Meta"):
            return ".__class__"
        return "->(%s)" % self.type[c]

    def rel_label(self, v):
        """The steps from v's immediate dominator to v along v's shortest
        path (the dominator is on every path, so on this one too)."""
        d = self.idom[v]
        steps = []
        u = v
        for _ in range(10000):
            p = self.bfs_parent[u]
            steps.append(self.step(p, u))
            u = p
            if u == d or u == self.root:
                break
        return "".join(reversed(steps))

    def full_paths(self):
        """Every reachable node's path: its dominator's path plus its own
        steps (breadth-first order puts the dominator first)."""
        path = {self.root: ""}
        for v in self.bfs_order[1:]:
            path[v] = path.get(self.idom[v], "") + self.rel_label(v)
        return path


# ------------------------------------------------------------ blob parts

def tree_nodes(h):
    """The pruning rule of the contract: best-first from the virtual
    root, keeping a node while its retained size is at least MIN_SHARE of
    the total and fewer than MAX_NODES objects are kept; each kept
    node's pruned children summed into one 'other' node."""
    total = h.ret[h.root]
    threshold = max(1, -(-total // 1000))   # ceil(total * MIN_SHARE)
    nodes = [{"id": 0, "parent": None, "label": "all roots", "type": None,
              "size": 0, "retained": total, "objects": h.cnt[h.root]}]
    ids = {h.root: 0}
    other = {}   # kept node id -> [count, retained, objects, {type: n}]
    heap = []

    def prune(parent_id, v):
        acc = other.setdefault(parent_id, [0, 0, 0, {}])
        acc[0] += 1
        acc[1] += h.ret[v]
        acc[2] += h.cnt[v]
        acc[3][h.type[v]] = acc[3].get(h.type[v], 0) + 1

    def offer(parent_id, v):
        if h.ret[v] >= threshold:
            heapq.heappush(heap, (-h.ret[v], h.addr[v], v, parent_id))
        else:
            prune(parent_id, v)

    for c in h.children[h.root]:
        offer(0, c)
    kept = 0
    while heap:
        _, _, v, pid = heapq.heappop(heap)
        if kept >= MAX_NODES:
            prune(pid, v)
            continue
        kept += 1
        nid = len(nodes)
        ids[v] = nid
        nodes.append({"id": nid, "parent": pid,
                      "label": cap(h.rel_label(v), CAP_LABEL),
                      "type": cap(h.type[v], CAP_TYPE),
                      "size": h.size[v], "retained": h.ret[v],
                      "objects": h.cnt[v], "address": h.addr[v]})
        for c in h.children[v]:
            offer(nid, c)
    for pid in sorted(other):
        count, ret, objs, types = other[pid]
        node = {"id": len(nodes), "parent": pid, "kind": "other",
                "count": count, "retained": ret, "objects": objs}
        # The type most of them have, when most have one.
        common = max(types, key=lambda t: (types[t], t))
        if 2 * types[common] > count:
            node["type"] = cap(common, CAP_TYPE)
        nodes.append(node)
    return {"total": total, "objects": h.cnt[h.root],
            "min_share": MIN_SHARE, "max_nodes": MAX_NODES,
            "threshold": threshold, "nodes": nodes}


def garbage(h):
    """Objects no root reaches, and the cycles among them (strongly
    connected components, found without recursion)."""
    gar = [i for i in range(h.n) if not h.reachable[i]]
    if not gar:
        return {"objects": 0, "size": 0, "cycle_count": 0, "shapes": 0,
                "types": [], "cycles": []}
    ing = set(gar)
    by_type = {}
    for i in gar:
        t = by_type.setdefault(h.type[i], [0, 0])
        t[0] += 1
        t[1] += h.size[i]
    # Tarjan's SCC, iterative.
    index, low, on, st, comps = {}, {}, set(), [], []
    counter = 0
    for s in gar:
        if s in index:
            continue
        work = [(s, 0)]
        index[s] = low[s] = counter
        counter += 1
        st.append(s)
        on.add(s)
        while work:
            v, k = work.pop()
            rs = [w for w in h.refs[v] if w in ing]
            if k < len(rs):
                work.append((v, k + 1))
                w = rs[k]
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    st.append(w)
                    on.add(w)
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
            else:
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = st.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1 or v in h.refs[v]:
                        comps.append(comp)
    cycles = []
    for comp in comps:
        cycles.append((sum(h.size[i] for i in comp), comp))
    cycles.sort(key=lambda c: (-c[0], h.addr[min(c[1])]))
    out = []
    # Each component is its own shape here (the tool groups cycles of
    # one shape: the same first type and path around).
    for size, comp in cycles[:MAX_CYCLES]:
        first = min(comp, key=lambda i: (h.type[i] in ("dict", "str"),
                                         h.addr[i]))
        out.append({"type": cap(h.type[first], CAP_TYPE), "count": 1,
                    "length": len(comp),
                    "path": cap(cycle_path(h, comp), CAP_PATH),
                    "objects": len(comp), "size": size})
    types = sorted(({"type": cap(t, CAP_TYPE), "count": c, "size": s}
                    for t, (c, s) in by_type.items()),
                   key=lambda r: (-r["size"], r["type"]))
    return {"objects": len(gar), "size": sum(h.size[i] for i in gar),
            "cycle_count": len(comps), "shapes": len(comps),
            "types": types[:MAX_GARBAGE_TYPES], "cycles": out}


def cycle_path(h, comp):
    """The shortest way around the cycle from its first instance (or
    member), written like a path: Pair.__dict__['other']..."""
    members = set(comp)
    start = min(comp, key=lambda i: (h.type[i] in ("dict", "str"),
                                     h.addr[i]))
    parent = {start: None}
    queue = [start]
    end = None
    head = 0
    while head < len(queue) and end is None:
        u = queue[head]
        head += 1
        for w in h.refs[u]:
            if w == start:
                end = u
                break
            if w in members and w not in parent:
                parent[w] = u
                queue.append(w)
    if end is None:
        return h.type[start].rsplit(".", 1)[-1]
    chain = [end]
    while parent[chain[-1]] is not None:
        chain.append(parent[chain[-1]])
    chain.reverse()
    steps = [h.step(chain[i], chain[i + 1]) for i in range(len(chain) - 1)]
    steps.append(h.step(end, start))
    return h.type[start].rsplit(".", 1)[-1] + "".join(steps)


def mask(path):
    """Stable labels across captures, after MAT: list indices and
    addresses masked."""
    path = re.sub(r"\[\d+\]", "[*]", path)
    return re.sub(r"0x[0-9a-f]+", "0x*", path)


def growth(h0, r0, h, r):
    before = {t["type"]: t for t in r0["types"]}
    after = {t["type"]: t for t in r["types"]}
    types = []
    for name in set(before) | set(after):
        b = before.get(name, {"count": 0, "size": 0})
        a = after.get(name, {"count": 0, "size": 0})
        if a["count"] != b["count"] or a["size"] != b["size"]:
            types.append({"type": cap(name, CAP_TYPE),
                          "count": a["count"],
                          "count_delta": a["count"] - b["count"],
                          "size": a["size"],
                          "size_delta": a["size"] - b["size"]})
    types.sort(key=lambda t: (-abs(t["size_delta"]), t["type"]))

    def by_path(hh):
        out = {}
        for v, p in hh.full_paths().items():
            if v != hh.root:
                k = mask(p)
                out[k] = out.get(k, 0) + hh.ret[v]
        return out
    p0, p1 = by_path(h0), by_path(h)
    floor = MIN_SHARE * h.ret[h.root]
    paths = []
    for k in set(p0) | set(p1):
        b, a = p0.get(k, 0), p1.get(k, 0)
        if a != b and max(a, b) >= floor:
            paths.append({"path": cap(k, CAP_PATH), "before": b,
                          "after": a, "delta": a - b})
    paths.sort(key=lambda p: (-abs(p["delta"]), p["path"]))
    return {"baseline": {"captured_at": r0.get("_captured_at"),
                         "objects": r0["objects"],
                         "total_size": r0["total_size"]},
            "types": types[:MAX_GROWTH], "paths": paths[:MAX_GROWTH]}


HINTS = {
    "malloc heap": "glibc's brk heap: malloc'd buffers, pymalloc's "
                   "blocks above 512 B. Freed chunks stay unless at the top.",
    "anonymous": "pymalloc arenas (1 MiB each), large blocks, thread "
                 "stacks and native buffers; the kernel merges them.",
    "main thread stack": "the main thread's stack.",
    "interpreter": "code and data of the interpreter (libpython or the "
                   "executable): shared between processes when clean.",
    "libraries": "code and data of extension modules and C libraries.",
    "other files": "other file mappings (data files, locale, caches).",
}


def memory(status_file, smaps_file, report, interp):
    if not status_file or not smaps_file:
        return None
    st = {}
    with open(status_file) as f:
        for line in f:
            k, _, v = line.partition(":")
            v = v.split()
            if v and v[-1] == "kB":
                st[k] = int(v[0]) * 1024
    classes = {}
    cur = None
    with open(smaps_file) as f:
        for line in f:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = parts[5] if len(parts) > 5 else ""
                if name == "[heap]":
                    cur = "malloc heap"
                elif name == "[stack]":
                    cur = "main thread stack"
                elif name == "" or name.startswith("["):
                    cur = "anonymous"
                elif interp and os.path.basename(name) == \
                        os.path.basename(interp):
                    cur = "interpreter"
                elif ".so" in name:
                    cur = "libraries"
                else:
                    cur = "other files"
                c = classes.setdefault(cur, {"class": cur, "resident": 0,
                                             "mappings": 0,
                                             "hint": HINTS[cur]})
                c["mappings"] += 1
            elif parts and parts[0] == "Rss:" and cur:
                classes[cur]["resident"] += int(parts[1]) * 1024
    rows = sorted(classes.values(), key=lambda c: -c["resident"])
    return {
        "rss": {"total": st.get("VmRSS", 0),
                "anonymous": st.get("RssAnon", 0),
                "file": st.get("RssFile", 0) + st.get("RssShmem", 0),
                "swap": st.get("VmSwap", 0)},
        "classes": rows,
        "objects": {"count": report["objects"],
                    "getsizeof": report["total_size"]},
        "notes": ["Sample data: the classes come from /proc/PID/smaps read "
                  "by tests/e2e/html_sample.py just after the capture; "
                  "anonymous mappings are not split into pymalloc "
                  "arenas, stacks and large blocks."],
    }


def suspects(h, report, reachable):
    out = []
    for s in report["retained"].get("suspects", [])[:MAX_SUSPECTS]:
        row = {"address": s["address"], "type": cap(s["type"], CAP_TYPE),
               "size": s["size"], "retained": s["retained_size"],
               "share": round(s["retained_size"] / reachable, 6)
               if reachable else 0,
               "path": cap(s["path"], CAP_PATH),
               "reason": "retains more than %g%% of the reachable heap" %
               (100 * report["retained"]["suspect_threshold"])}
        v = h.index.get(s["address"])
        if v is not None and h.children[v]:
            kids = h.children[v]
            counts = {}
            for c in kids:
                counts[h.type[c]] = counts.get(h.type[c], 0) + 1
            common = max(counts, key=lambda t: (counts[t], t))
            row["items"] = {"count": len(kids), "type": common,
                            "mean": sum(h.ret[c] for c in kids) // len(kids)}
        out.append(row)
    return out


def build(args):
    with open(args.report, encoding="utf-8") as f:
        report = json.load(f)
    report["_captured_at"] = datetime.datetime.fromtimestamp(
        os.path.getmtime(args.report), datetime.timezone.utc
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    h = Heap(args.dump)
    ret = report["retained"]
    data = {
        "schema_version": SCHEMA_VERSION,
        "generator": "tests/e2e/html_sample.py (sample data; pyheapinspect "
                     "%s report and dump)" % report.get("tool_version"),
        "target": {
            "pid": report["pid"],
            "python_version": report["python_version"],
            "python_build": cap(report["python_build"], CAP_PATH),
            "interpreter_object": cap(report["interpreter_object"],
                                      CAP_PATH),
            "layout_source": report["layout_source"],
            "captured_at": report["_captured_at"],
            "source": "live",
            "pause_ms": report["pause_ms"],
            "threads": report["threads"],
            "frozen": report["frozen"],
            "consistent": report["consistent"],
            "tool_version": report.get("tool_version"),
        },
        "heap": {
            "objects": report["objects"],
            "total_size": report["total_size"],
            "gc_tracked": report["gc_tracked"],
            "edges": report["edges"],
            "roots": ret["roots"],
            "reachable_objects": ret["reachable_objects"],
            "reachable_size": ret["reachable_size"],
            "opaque": report["opaque"],
            "types": len(report["types"]),
            "duplicate_groups": report["duplicates"]["groups_total"],
            "duplicates_wasted": report["duplicates"]["wasted"],
        },
        "memory": memory(args.status, args.smaps, report,
                         report.get("interpreter_object")),
        "tree": tree_nodes(h),
        "types": [{"type": cap(t["type"], CAP_TYPE), "count": t["count"],
                   "size": t["size"]} for t in report["types"][:MAX_TYPES]],
        "retainers": [{"address": t["address"],
                       "type": cap(t["type"], CAP_TYPE), "size": t["size"],
                       "retained": t["retained_size"],
                       "path": cap(t["path"], CAP_PATH)}
                      for t in ret["top"][:MAX_RETAINERS]],
        "suspects": suspects(h, report, ret["reachable_size"]),
        "duplicates": [{"type": cap(g["type"], CAP_TYPE), "count": g["count"],
                        "size": g["size"], "wasted": g["wasted"],
                        "preview": cap(g.get("preview"), CAP_PREVIEW)}
                       for g in report["duplicates"]["groups"]
                       [:MAX_DUPLICATES]],
        "garbage": garbage(h),
        "growth": None,
        "notes": ["Sample data: the dominator tree, the garbage and the "
                  "growth were computed by tests/e2e/html_sample.py from "
                  "the dump, with roots approximated (objects whose "
                  "refcount exceeds the references found to them)."],
    }
    if len(report["types"]) > MAX_TYPES:
        rest = report["types"][MAX_TYPES:]
        data["types_omitted"] = {"types": len(rest),
                                 "count": sum(t["count"] for t in rest),
                                 "size": sum(t["size"] for t in rest)}
    if args.baseline_report:
        with open(args.baseline_report, encoding="utf-8") as f:
            r0 = json.load(f)
        r0["_captured_at"] = datetime.datetime.fromtimestamp(
            os.path.getmtime(args.baseline_report), datetime.timezone.utc
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
        data["growth"] = growth(Heap(args.baseline_dump), r0, h, report)
    return data, h


# ------------------------------------------- --folded and --dot samples

def esc_frame(text, space=False):
    r"""A folded frame's text: no ';' and no line break can survive
    (backslash as \\, ';' as \x3b, control characters as \xNN); in a
    type name no space either (the type is the frame's last word)."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == ";" or o < 0x20 or o == 0x7f or (space and ch == " "):
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def folded(h, out_path, share=100000):
    """Folded stacks of retained size along the dominator tree: one line
    per node retaining at least 1/share of the total, its value its own
    size plus what its pruned children retain, so that the lines under a
    prefix add up to that node's retained size and all lines to the
    total."""
    total = h.ret[h.root]
    threshold = max(1, -(-total // share))
    lines = 0
    with open(out_path, "w", encoding="utf-8") as f:
        stack = [(h.root, "root")]
        while stack:
            v, prefix = stack.pop()
            own = h.size[v] if v != h.root else 0
            for c in h.children[v]:
                if h.ret[c] >= threshold:
                    frame = esc_frame(h.rel_label(c)) + " " + \
                        esc_frame(h.type[c], space=True)
                    stack.append((c, prefix + ";" + frame))
                else:
                    own += h.ret[c]
            if own or v == h.root:
                f.write("%s %d\n" % (prefix, own))
                lines += 1
    return lines


def esc_dot(text):
    r"""Text inside a DOT quoted string, shown as it is: graphviz would
    read backslash escapes (\N is the node's name, \n a line break) and
    HTML entities (&amp;), so backslash, quote and ampersand are escaped
    and control characters shown as the text \xNN."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "&":
            out.append("&amp;")
        elif o < 0x20 or o == 0x7f:
            out.append("\\\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else \
                "%.1f %s" % (n, unit)
        n /= 1024.0


def dot(h, out_path, address, kids=8):
    """The object's shortest path from a root (solid edges, labelled
    with their steps) and its dominator neighbourhood: its dominators up
    to the roots and the largest objects it dominates (dashed)."""
    v = h.index[address]
    paths = h.full_paths()
    chain, u = [], v
    while u != h.root:
        chain.append(u)
        u = h.bfs_parent[u]
    chain.reverse()
    doms, u = [], h.idom[v]
    while u != h.root:
        doms.append(u)
        u = h.idom[u]
    small = sorted(h.children[v], key=lambda c: -h.ret[c])
    shown, rest = small[:kids], small[kids:]
    names = {}

    def node(u, first):
        if u in names:
            return ""
        names[u] = "n%d" % len(names)
        return '  %s [label="%s\\n%s \u00b7 retains %s"];\n' % (
            names[u], esc_dot(first), esc_dot(h.type[u]),
            fmt_bytes(h.ret[u]))

    out = ["digraph retained {\n", "  rankdir=LR;\n",
           '  node [shape=box, style="rounded,filled", fillcolor="#eef3f8",'
           ' fontname="DejaVu Sans", fontsize=10];\n',
           '  edge [fontname="DejaVu Sans Mono", fontsize=9];\n',
           '  root [label="roots", shape=ellipse];\n']
    out.append(node(v, paths[v]))
    for u in chain[:-1]:
        out.append(node(u, h.rel_label(u) if h.idom[u] == h.root
                        else paths[u]))
    for u in doms:
        out.append(node(u, paths[u]))
    for c in shown:
        out.append(node(c, h.rel_label(c)))
    prev = "root"
    for u in chain:
        step = h.step(h.bfs_parent[u], u) if prev != "root" else "root"
        out.append('  %s -> %s [label="%s"];\n' % (prev, names[u],
                                                    esc_dot(step)))
        prev = names[u]
    up = "root"
    for u in reversed(doms):
        out.append('  %s -> %s [style=dashed, color="#7a8794"];\n' % (
            up, names[u]))
        up = names[u]
    out.append('  %s -> %s [style=dashed, color="#7a8794"];\n' % (
        up, names[v]))
    for c in shown:
        out.append('  %s -> %s [style=dashed, color="#7a8794"];\n' % (
            names[v], names[c]))
    if rest:
        out.append('  rest [label="%d smaller objects\\nretain %s", '
                   'fillcolor="#f3f4f6"];\n' % (
                       len(rest), fmt_bytes(sum(h.ret[c] for c in rest))))
        out.append('  %s -> rest [style=dashed, color="#7a8794"];\n' %
                   names[v])
    out.append("}\n")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("".join(out))


def assemble(template, data):
    """The page as the C side writes it: the template up to the
    placeholder, the escaped blob, the rest."""
    if template.count(PLACEHOLDER) != 1:
        sys.exit("html_sample.py: the template must hold %s exactly once"
                 % PLACEHOLDER)
    blob = escape_for_script(json.dumps(data, ensure_ascii=False,
                                        separators=(",", ":")))
    head, tail = template.split(PLACEHOLDER)
    return head + blob + tail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data-out")
    ap.add_argument("--baseline-report")
    ap.add_argument("--baseline-dump")
    ap.add_argument("--status")
    ap.add_argument("--smaps")
    ap.add_argument("--folded-out", help="also write folded stacks")
    ap.add_argument("--dot-out", help="also write a DOT graph of "
                    "--dot-object")
    ap.add_argument("--dot-object", help="address of the object to draw")
    args = ap.parse_args()
    if bool(args.baseline_report) != bool(args.baseline_dump):
        ap.error("--baseline-report and --baseline-dump go together")
    data, h = build(args)
    if args.folded_out:
        n = folded(h, args.folded_out)
        print("%s: %d lines" % (args.folded_out, n))
    if args.dot_out:
        if args.dot_object not in h.index:
            ap.error("--dot-object: no object at %s" % args.dot_object)
        dot(h, args.dot_out, args.dot_object)
    with open(args.template, encoding="utf-8") as f:
        page = assemble(f.read(), data)
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(args.out + ".tmp", args.out)
    if args.data_out:
        with open(args.data_out, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
    print("%s: %d bytes, %d tree nodes" % (args.out, len(page.encode()),
                                           len(data["tree"]["nodes"])))


if __name__ == "__main__":
    main()
