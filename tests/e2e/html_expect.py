"""html_expect.py REPORT EXPECT [TEXT...]

From a --json REPORT, the expectations html_check.sh asks of the same
run's HTML page (html_dom_check.py reads them): every section; the
heap's totals; each of the report's largest retainers in the retainers
table and, when it retains at least the dominator tree's threshold
(a thousandth of the reachable size), in the tree; and each TEXT in the
retainers table.  Prints how many rows it asks for.
"""
import json
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        r = json.load(f)
    ret = r["retained"]
    floor = -(-ret["reachable_size"] // 1000)
    rows = []
    for x in ret["top"]:
        rows.append({"section": "retainers", "path": x["path"],
                     "col": "retained", "value": x["retained_size"]})
        if x["retained_size"] >= floor and len(x["path"]) < 100:
            rows.append({"section": "dominators", "path": x["path"],
                         "col": "retained", "value": x["retained_size"]})
    expect = {
        "sections": ["memory", "dominators", "types", "retainers",
                     "suspects", "duplicates", "garbage", "growth"],
        "figures": {"objects": r["objects"], "total_size": r["total_size"],
                    "reachable_size": ret["reachable_size"],
                    "duplicates_wasted": r["duplicates"]["wasted"]},
        "rows": rows,
        "texts": [{"section": "retainers", "contains": t}
                  for t in sys.argv[3:]]}
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(expect, f, indent=1)
    print("%d retainers, %d of them in the tree"
          % (len(ret["top"]),
             sum(1 for x in rows if x["section"] == "dominators")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
