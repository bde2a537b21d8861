"""The page-size bound of the HTML report's data contract
(html-data.md), checked on the worst blob its caps allow: every list at
its cap, every string at its cap in escaped bytes (made of characters
the page's escaping widens most), every number at 19 digits, and the tree
a chain of the most nodes kept, each with a pruned remainder.

Usage: html_bound.py TEMPLATE OUT.html [LIMIT]
Writes the page, prints its size, exits 1 if it is LIMIT bytes
(2,000,000 by default) or more.
"""
import importlib.util
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "html_sample", os.path.join(HERE, "html_sample.py"))
S = importlib.util.module_from_spec(spec)
spec.loader.exec_module(S)

BIG = 2 ** 62 + 12345
# '<' and U+2028 take 6 bytes each once escaped; the cap counts those.
WIDE = "<\u2028\U0001f600" * 400


def s(limit):
    return S.cap(WIDE, limit)


def worst():
    nodes = [{"id": 0, "parent": None, "label": "all roots", "type": None,
              "size": 0, "retained": BIG, "objects": BIG}]
    for i in range(1, S.MAX_NODES + 1):
        nodes.append({"id": i, "parent": i - 1, "label": s(S.CAP_LABEL),
                      "type": s(S.CAP_TYPE), "size": BIG,
                      "retained": BIG - i, "objects": BIG,
                      "address": "0x7fffffffffff", "path": s(S.CAP_PATH)})
    for i in range(1, S.MAX_NODES + 1):
        nodes.append({"id": len(nodes), "parent": i, "kind": "other",
                      "count": BIG, "retained": BIG, "objects": BIG,
                      "type": s(S.CAP_TYPE)})
    row = {"type": s(S.CAP_TYPE), "count": BIG, "size": BIG}
    ret = {"address": "0x7fffffffffff", "type": s(S.CAP_TYPE), "size": BIG,
           "retained": BIG, "path": s(S.CAP_PATH)}
    growth_row = {"path": s(S.CAP_PATH), "type": s(S.CAP_TYPE),
                  "before": BIG, "after": BIG, "delta": -BIG}
    return {
        "schema_version": 1, "generator": s(S.CAP_PATH),
        "target": {"pid": 2 ** 22, "python_version": "3.10.13",
                   "python_build": s(S.CAP_PATH),
                   "interpreter_object": s(S.CAP_PATH),
                   "layout_source": "builtin",
                   "captured_at": "2026-12-01T08:00:00Z", "source": "live",
                   "pause_ms": 123456.789, "threads": 4096, "frozen": True,
                   "consistent": False, "tool_version": "0.1.0"},
        "heap": {"objects": BIG, "total_size": BIG, "gc_tracked": BIG,
                 "edges": BIG, "roots": BIG, "reachable_objects": BIG,
                 "reachable_size": BIG,
                 "opaque": {"count": BIG, "size": BIG}, "types": BIG,
                 "duplicate_groups": BIG, "duplicates_wasted": BIG},
        "memory": {
            "rss": {"total": BIG, "anonymous": BIG, "file": BIG,
                    "shmem": BIG, "swap": BIG},
            "classes": [{"class": s(S.CAP_TYPE), "resident": BIG,
                         "swap": BIG, "mappings": BIG,
                         "objects_allocated": BIG, "hint": s(S.CAP_PATH)}
                        for _ in range(12)],
            "objects": {"count": BIG, "getsizeof": BIG, "allocated": BIG},
            "pymalloc": dict({k: BIG for k in (
                "arenas_allocated_total", "arenas_reclaimed",
                "arenas_highwater", "arenas_current",
                "bytes_in_allocated_blocks", "bytes_in_available_blocks",
                "unused_pools", "bytes_lost_to_pool_headers",
                "bytes_lost_to_quantization",
                "bytes_lost_to_arena_alignment")}, method="symbols",
                classes=[{"size": 16 * (i + 1), "pools": BIG,
                          "blocks_in_use": BIG, "avail_blocks": BIG}
                         for i in range(S.MAX_PYMALLOC_CLASSES)]),
            "free_lists": [{"name": s(S.CAP_TYPE), "length": 19,
                            "count": BIG, "bytes": BIG}
                           for _ in range(S.MAX_FREE_LISTS)],
            "free_lists_bytes": BIG,
            "gc": {"enabled": False, "thresholds": [BIG] * 3,
                   "counts": [BIG] * 3, "generations": [BIG] * 3,
                   "permanent": BIG, "collecting": False},
            "malloc": {"method": "builtin-2.36", "system": BIG,
                       "in_use": BIG, "free": BIG, "mmapped": BIG,
                       "mmapped_chunks": BIG, "arenas": BIG,
                       "tcache_bytes": BIG},
            "unexplained": BIG,
            "notes": [s(S.CAP_PATH)],
        },
        "tree": {"total": BIG, "objects": BIG, "min_share": S.MIN_SHARE,
                 "max_nodes": S.MAX_NODES, "threshold": BIG,
                 "nodes": nodes},
        "types": [dict(row, allocated=BIG) for _ in range(S.MAX_TYPES)],
        "types_omitted": {"types": BIG, "count": BIG, "size": BIG},
        "retainers": [ret] * S.MAX_RETAINERS,
        "suspects": [dict(ret, share=0.123456, reason=s(S.CAP_PATH),
                          items={"count": BIG, "type": s(S.CAP_TYPE),
                                 "mean": BIG})] * S.MAX_SUSPECTS,
        "duplicates": [{"type": s(S.CAP_TYPE), "count": BIG, "size": BIG,
                        "wasted": BIG, "preview": s(S.CAP_PREVIEW)}
                       ] * S.MAX_DUPLICATES,
        "garbage": {"objects": BIG, "size": BIG, "allocated": BIG,
                    "cycle_count": BIG, "shapes": BIG,
                    "types": [row] * S.MAX_GARBAGE_TYPES,
                    "cycles": [{"type": s(S.CAP_TYPE), "count": BIG,
                                "length": BIG, "path": s(S.CAP_PATH),
                                "objects": BIG, "size": BIG}
                               ] * S.MAX_CYCLES},
        "growth": {"baseline": {"captured_at": s(S.CAP_TYPE),
                                "source": s(S.CAP_TYPE), "pid": BIG,
                                "objects": BIG, "total_size": BIG,
                                "reachable_size": BIG, "rss": BIG},
                   "captured_at": s(S.CAP_TYPE), "objects_delta": -BIG,
                   "total_size_delta": -BIG, "reachable_size_delta": -BIG,
                   "rss_delta": -BIG, "floor": BIG, "types_changed": BIG,
                   "paths_changed": BIG, "sites_changed": BIG,
                   "types": [{"type": s(S.CAP_TYPE), "count": BIG,
                              "count_delta": -BIG, "size": BIG,
                              "size_delta": -BIG}] * S.MAX_GROWTH,
                   "paths": [growth_row] * S.MAX_GROWTH,
                   "suspects": [growth_row] * S.MAX_GROWTH_SUSPECTS,
                   "memory": {"rss_before": BIG, "rss_after": BIG,
                              "rss_delta": -BIG,
                              "classes": [{"class": s(S.CAP_TYPE),
                                           "before": BIG, "after": BIG,
                                           "delta": -BIG}
                                          ] * S.MAX_GROWTH_CLASSES,
                              "objects_delta": -BIG,
                              "getsizeof_delta": -BIG,
                              "allocated_delta": -BIG,
                              "garbage_objects_delta": -BIG,
                              "garbage_size_delta": -BIG},
                   "sites": [{"filename": s(S.CAP_PATH), "lineno": 2 ** 32,
                              "size": BIG, "size_delta": -BIG,
                              "count": BIG, "count_delta": -BIG}
                             ] * S.MAX_GROWTH},
        "notes": [s(S.CAP_PATH)] * 8,
    }


def main():
    template, out = sys.argv[1:3]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 2000000
    with open(template, encoding="utf-8") as f:
        page = S.assemble(f.read(), worst())
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)
    size = len(page.encode("utf-8"))
    print("worst-case page: %d bytes (limit %d)" % (size, limit))
    sys.exit(0 if size < limit else 1)


if __name__ == "__main__":
    main()
