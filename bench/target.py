"""Benchmark target: a CPython 3.10 process holding a web service's heap.

Usage: python3.10 target.py --objects N --ready FILE [--walk auto|yes|no]

Builds a main structure of about N objects in the global APP (dicts of
records, lists, unique and shared strings, ints, floats, instances with a
__dict__ and with __slots__, distinct-but-equal strings), writes FILE
(atomically) with its pid, the main structure's name and object counts,
then serves commands, one per line on standard input, each answered by
one JSON line on standard output:

  recipe      the deep-size recipe users run today, from APP, timed with
              time.perf_counter in the main thread (the only thread: it
              holds the GIL from start to end, so the wall time is the
              time the GIL was held)
  getobjects  gc.get_objects() plus sys.getsizeof over every object
  rss         VmRSS and VmHWM of this process
  quit        exit

Only the standard library; no thread is started, so nothing takes the GIL
away from a measurement.
"""
import argparse
import collections.abc as abc
import gc
import json
import os
import sys
import time

MAIN = "APP"
# Objects that one unit below creates (a user, its session, one order).
PER_UNIT = 17
APP = None


def recipe(root):
    """The deep-size recipe users run: each id once, Mapping keys and
    values, Container elements, str and bytes as leaves (the same code as
    fixtures/analysis_target.py)."""
    seen = set()
    stack = [root]
    total = 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, (str, bytes, bytearray)):
            continue
        if isinstance(o, abc.Mapping):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, abc.Container) and isinstance(o, abc.Iterable):
            stack.extend(o)
    return total, len(seen)


class User:
    """A record with an instance __dict__ (split keys)."""

    def __init__(self, uid, name, email, score, tags, session):
        self.uid = uid
        self.name = name
        self.email = email
        self.score = score
        self.tags = tags
        self.session = session


class Session:
    """A record with __slots__ (no __dict__)."""

    __slots__ = ("token", "expires", "user_id")


def build(n):
    """About n objects in one structure.  Per unit (17 objects): a User
    and its __dict__, unique uid (int), name, email (str), score (float),
    a tags list of shared strings, a Session (slots) with a unique token
    and a float; an order dict with unique id (int), amount (float), a
    currency string equal to every other one but a distinct object, an
    items list of two (shared sku, small int) tuples.  Keys are interned;
    statuses, tags and skus are shared from small pools; orders are
    referenced twice (from the list and from by_status)."""
    units = max(1, n // PER_UNIT)
    tags = [sys.intern("tag-%d" % i) for i in range(64)]
    statuses = [sys.intern(s) for s in
                ("new", "paid", "shipped", "delivered", "refunded")]
    skus = ["SKU-%05d" % i for i in range(1000)]
    cur = ("E", "UR")
    join = "".join
    users = {}
    orders = []
    by_status = {s: [] for s in statuses}
    lists = [by_status[s] for s in statuses]
    append = orders.append
    for i in range(units):
        uid = 100000 + i
        s = Session()
        s.token = "%016x" % ((i * 2654435761) & 0xFFFFFFFFFFFFFFFF)
        s.expires = 1.7e9 + i
        s.user_id = uid
        users[uid] = User(uid, "user-%07d" % i, "u%d@example.com" % i,
                          i * 0.37, [tags[i & 63], tags[(i * 7) & 63]], s)
        o = {"id": 100000000 + i, "user_id": uid, "amount": i * 1.25,
             "status": statuses[i % 5], "currency": join(cur),
             "items": [(skus[i % 1000], 1 + i % 3),
                       (skus[(i * 31) % 1000], 2)]}
        append(o)
        lists[i % 5].append(o)
    return {"users": users, "orders": orders, "by_status": by_status,
            "config": {"name": "bench-service", "workers": 4,
                       "tags": tags, "skus": skus}}


def reachable_walk():
    """Objects reachable from sys.modules and APP through gc.get_referents
    (what the tool's graph approximates), or None."""
    seen = set()
    stack = [sys.modules, sys.modules["__main__"].__dict__]
    referents = gc.get_referents
    add = seen.add
    while stack:
        o = stack.pop()
        i = id(o)
        if i in seen:
            continue
        add(i)
        stack.extend(referents(o))
    return len(seen)


def rss():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
    return out


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve():
    clock = time.perf_counter
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "recipe":
            t0 = clock()
            size, count = recipe(APP)
            t1 = clock()
            reply({"cmd": cmd, "ms": (t1 - t0) * 1e3, "deep_size": size,
                   "deep_objects": count})
        elif cmd == "getobjects":
            t0 = clock()
            objs = gc.get_objects()
            t1 = clock()
            total = sum(map(sys.getsizeof, objs))
            t2 = clock()
            count = len(objs)
            del objs
            reply({"cmd": cmd, "ms": (t2 - t0) * 1e3,
                   "get_objects_ms": (t1 - t0) * 1e3,
                   "getsizeof_ms": (t2 - t1) * 1e3,
                   "objects": count, "total_size": total})
        elif cmd == "rss":
            reply(dict(rss(), cmd=cmd))
        elif cmd == "quit":
            reply({"cmd": cmd})
            return
        else:
            reply({"cmd": cmd, "error": "unknown command"})


def main():
    global APP
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--walk", choices=("auto", "yes", "no"), default="auto")
    a = ap.parse_args()
    if sys.version_info[:2] != (3, 10):
        sys.exit("target.py needs CPython 3.10, not %s" % sys.version)
    gc.disable()
    t0 = time.perf_counter()
    APP = build(a.objects)
    build_s = time.perf_counter() - t0
    gc.enable()
    ready = {"pid": os.getpid(), "main": "__main__:" + MAIN,
             "requested": a.objects,
             "units": max(1, a.objects // PER_UNIT),
             "main_objects": max(1, a.objects // PER_UNIT) * PER_UNIT,
             "build_s": build_s,
             "gc_objects": len(gc.get_objects()),
             "python": sys.version.split()[0]}
    if a.walk == "yes" or (a.walk == "auto" and a.objects <= 1000000):
        t0 = time.perf_counter()
        ready["reachable_objects"] = reachable_walk()
        ready["reachable_walk_s"] = time.perf_counter() - t0
    ready.update(rss())
    with open(a.ready + ".tmp", "w") as f:
        json.dump(ready, f)
    os.replace(a.ready + ".tmp", a.ready)
    serve()


if __name__ == "__main__":
    main()
