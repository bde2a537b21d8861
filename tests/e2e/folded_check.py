"""Check a folded-stacks file of retained size (`--folded`), as
flamegraph.pl, inferno and speedscope read it.

Usage: folded_check.py FOLDED EXPECTED_TOTAL [PATH RETAINED]...

Asserts:
- every line is `frame;frame;...;frame BYTES`: at least one frame, no
  empty frame, BYTES a non-negative decimal integer after one space, and
  no control character anywhere (a newline or CR from the target would
  have split a line; ESC and friends would reach a terminal);
- the lines add up to EXPECTED_TOTAL (the reachable heap);
- for each PATH RETAINED pair: some stack prefix spells PATH, and the
  lines under that prefix add up to RETAINED (the planted container's
  stack carries its retained size).

Every stack may start with the frame `root` (the dominator tree's
virtual root, whose own line holds what the pruned roots retain).
Frames are written `LABEL TYPE` or `LABEL` (LABEL: the path steps from
the dominator, as in the HTML report's tree), escaped so that no `;` or
line break from the target survives: `\\` as `\\\\`, `;` as `\\x3b`,
control characters as `\\xNN`.  A prefix spells PATH when its labels,
unescaped and joined, equal PATH (the trailing ` TYPE` of each frame is
tried with and without).

Exits 1 when a check fails.  Stdlib only.
"""
import re
import sys

LINE = re.compile(r"^(?P<stack>.+) (?P<bytes>0|[1-9][0-9]*)$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FAILED = []


def check(ok, what):
    what = CONTROL.sub(lambda m: "\\x%02x" % ord(m.group()), what)
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        FAILED.append(what)


def unescape(frame):
    return re.sub(r"\\(\\|x([0-9a-fA-F]{2}))",
                  lambda m: "\\" if m.group(1) == "\\" else
                  chr(int(m.group(2), 16)), frame)


def label_forms(frame):
    """The frame's label with its type and without it (a label may hold
    spaces; the type is the last word)."""
    forms = [unescape(frame)]
    if " " in frame:
        forms.append(unescape(frame.rsplit(" ", 1)[0]))
    return forms


def parse(path):
    stacks, bad = [], []
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "the file is UTF-8 (%s)" % e)
        return stacks
    if text and not text.endswith("\n"):
        bad.append("the last line has no newline")
    for no, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        m = LINE.match(line)
        if not m:
            bad.append("line %d is not 'frames BYTES': %r" % (no, line[:80]))
            continue
        if CONTROL.search(line):
            bad.append("line %d holds a control character" % no)
            continue
        frames = m.group("stack").split(";")
        if any(fr == "" for fr in frames):
            bad.append("line %d has an empty frame: %r" % (no, line[:80]))
            continue
        stacks.append((frames, int(m.group("bytes"))))
    check(not bad, "every line is 'frame;...;frame BYTES' (%d lines)%s" % (
        len(stacks) + len(bad), ": " + "; ".join(bad[:3]) if bad else ""))
    return stacks


def prefix_sum(stacks, want_path):
    """Sum of the lines under every stack prefix that spells want_path
    (several prefixes may: report them all)."""
    sums = {}
    for frames, n in stacks:
        # Walk the prefixes, keeping every way of reading each frame.
        partial = {""}
        for k, fr in enumerate(frames):
            if k == 0 and fr == "root":
                continue        # the virtual root is no path step
            nxt = set()
            for p in partial:
                for form in label_forms(fr):
                    q = p + form
                    if want_path.startswith(q):
                        nxt.add(q)
            partial = nxt
            if not partial:
                break
            if want_path in partial:
                key = tuple(frames[:k + 1])
                sums[key] = sums.get(key, 0) + n
    return sums


def main():
    if len(sys.argv) < 3 or len(sys.argv) % 2 == 0:
        sys.exit("usage: folded_check.py FOLDED EXPECTED_TOTAL "
                 "[PATH RETAINED]...")
    stacks = parse(sys.argv[1])
    total = sum(n for _, n in stacks)
    want = int(sys.argv[2])
    check(total == want, "the lines add up to %d (file: %d)" % (want, total))
    seen = {}
    for frames, _ in stacks:
        k = tuple(frames)
        seen[k] = seen.get(k, 0) + 1
    dups = sum(1 for v in seen.values() if v > 1)
    print("info: %d distinct stacks, %d written more than once" %
          (len(seen), dups))
    args = sys.argv[3:]
    for i in range(0, len(args), 2):
        path, retained = args[i], int(args[i + 1])
        sums = prefix_sum(stacks, path)
        got = sorted(set(sums.values()))
        check(retained in got,
              "the stack of %s carries %d (file: %s)" % (
                  path[:90], retained, got[:4] if got else "no such stack"))
    if FAILED:
        print("%d check(s) failed" % len(FAILED))
        sys.exit(1)


if __name__ == "__main__":
    main()
