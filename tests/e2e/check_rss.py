"""check_rss.py REPORT VMRSS NAME [--exact]

The memory section of a --json REPORT against the target's own VmRSS
read from /proc right after the run (VMRSS, bytes): memory.rss.vm_rss
equals it (within 1%, or exactly with --exact: a target that is idle
once its truth is written), and the resident sizes of memory.classes
add up to it within 1%.  Prints one line; exit 1 when a figure is off.
"""
import json
import sys


def main():
    args = [a for a in sys.argv[1:] if a != "--exact"]
    exact = "--exact" in sys.argv[1:]
    if len(args) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    report, after, name = args[0], int(args[1]), args[2]
    with open(report, encoding="utf-8") as f:
        m = json.load(f)["memory"]
    rss = m["rss"]["vm_rss"]
    total = sum(c["resident"] for c in m["classes"])
    ok_rss = rss == after if exact else abs(rss - after) <= after / 100
    ok_classes = abs(total - rss) <= rss / 100
    print("%s: memory.rss %d, VmRSS after %d, classes add up to %d (%+.3f%%)"
          % (name, rss, after, total, 100.0 * (total - rss) / max(rss, 1)))
    return 0 if ok_rss and ok_classes else 1


if __name__ == "__main__":
    sys.exit(main())
