"""Assertions of html_check.sh on what Chromium gave: the DOM after the
page's scripts ran (--dump-dom), the network log (--log-net-log) and the
browser's console (--enable-logging=stderr).

Usage: html_dom_check.py DOM NETLOG CONSOLE EXPECT.json

EXPECT.json (every key optional):
  "sections": ["memory", ...]      ids of <section> elements that must
                                   exist, each with an <h2>
  "figures": {"objects": 123}      <data data-figure=NAME value=VALUE>
                                   must exist with exactly that value
  "rows": [{"section": "retainers", "path": "...", "col": "retained",
            "value": 123}]         in that section, an element whose
                                   data-path is PATH holding, in its
                                   data-col=COL cell, <data value=VALUE>;
                                   in the dominator tree ("col":
                                   "retained"), a box with that data-path
                                   and data-retained
  "texts": [{"section": "s", "contains": "..."}]
                                   the section's text contains it
Prints one line per check; exits 1 when any fails.

Stdlib only (runs under the pyenv CPython 3.10 or Debian's python3).
"""
import html.parser
import json
import re
import sys

# Hosts Chromium itself talks to (updates, sign-in, time) even with its
# background networking off; a request to them is the browser's, never
# the page's, and is told apart by having no page origin as well.
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com",
                 "googleusercontent.com", "chromium.org")
FAILED = []


def check(ok, what):
    # One line per check, whatever the target's text holds.
    what = re.sub(r"[\x00-\x1f\x7f]", lambda m: "\\x%02x" % ord(m.group()),
                  what)
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        FAILED.append(what)


class Node:
    __slots__ = ("tag", "attrs", "children", "parent", "text")

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], []

    def walk(self):
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    def all_text(self):
        return "".join(t for n in self.walk() for t in n.text)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Tree(html.parser.HTMLParser):
    """A plain tree of the serialized DOM (Chromium's serialization is
    well formed: every non-void element is closed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", (), None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text.append(data)


def find_id(root, ident):
    for n in root.walk():
        if n.attrs.get("id") == ident:
            return n
    return None


def check_csp(root):
    metas = [n for n in root.walk() if n.tag == "meta" and
             (n.attrs.get("http-equiv") or "").lower() ==
             "content-security-policy"]
    check(len(metas) == 1, "one Content-Security-Policy meta")
    if not metas:
        return
    policy = {}
    for part in (metas[0].attrs.get("content") or "").split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    check(policy.get("default-src") == ["'none'"],
          "CSP default-src 'none' (no fetch of any kind)")
    for d in ("script-src", "style-src"):
        srcs = policy.get(d, [])
        check(bool(srcs) and all(re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", s)
                                 for s in srcs),
              "CSP %s allows only hashed inline text: %s" % (d, srcs))
    head = [n for n in root.walk() if n.tag == "head"]
    first = None
    for n in head[0].walk() if head else ():
        if n.tag in ("script", "style", "link") or n is metas[0]:
            first = n
            break
    check(first is metas[0], "the CSP meta comes before any script or style")


def check_no_loaders(root):
    """No element that would load something: what the view draws never
    has one, so one in the DOM is markup that got in from the data."""
    bad = []
    for n in root.walk():
        for a in ("src", "href", "srcset", "data", "action", "poster"):
            v = n.attrs.get(a)
            if v is None:
                continue
            if n.tag == "a" and a == "href" and v.startswith("#"):
                continue
            if n.tag == "data" and a == "data":
                continue
            bad.append("<%s %s=%r>" % (n.tag, a, v))
        if n.tag in ("img", "iframe", "object", "embed", "video", "audio",
                     "link", "base", "form", "frame"):
            bad.append("<%s>" % n.tag)
    check(not bad, "no element that loads anything%s" %
          (": " + ", ".join(sorted(set(bad))[:5]) if bad else ""))
    scripts = [n for n in root.walk() if n.tag == "script"]
    kinds = sorted((n.attrs.get("type") or "js") for n in scripts)
    check(kinds == ["application/json", "js"],
          "exactly the page's two scripts (data, view): %s" % kinds)


def check_sections(root, expect):
    for ident in expect.get("sections", []):
        n = find_id(root, ident)
        ok = n is not None and n.tag == "section" and any(
            c.tag == "h2" for c in n.walk())
        check(ok, "section #%s with a heading" % ident)


def check_figures(root, expect):
    figs = {}
    for n in root.walk():
        if n.tag == "data" and "data-figure" in n.attrs:
            figs.setdefault(n.attrs["data-figure"], []).append(
                n.attrs.get("value"))
    for name, value in expect.get("figures", {}).items():
        got = figs.get(name)
        check(got is not None and str(value) in got,
              "figure %s = %s (page: %s)" % (name, value, got))


def check_rows(root, expect):
    for r in expect.get("rows", []):
        sec = find_id(root, r["section"])
        want = str(r["value"])
        found = []
        for n in sec.walk() if sec else ():
            if n.attrs.get("data-path") != r["path"]:
                continue
            if "data-retained" in n.attrs and r["col"] == "retained":
                found.append(n.attrs["data-retained"])
                continue
            for c in n.walk():
                if c.attrs.get("data-col") == r["col"]:
                    found.extend(d.attrs.get("value") for d in c.walk()
                                 if d.tag == "data")
        check(want in found, "#%s: %s %s = %s (page: %s)" % (
            r["section"], r["path"][:90], r["col"], want, found[:4]))


def check_texts(root, expect):
    for t in expect.get("texts", []):
        sec = find_id(root, t["section"])
        check(sec is not None and t["contains"] in sec.all_text(),
              "#%s says %r" % (t["section"], t["contains"]))


def page_requests(netlog_path):
    """Network activity of the page in Chromium's net log: requests whose
    initiator is a document (the file page's origin is 'null' or
    'file://'), anything isolated under file://, and any request or host
    lookup not to the browser's own service hosts."""
    with open(netlog_path, encoding="utf-8") as f:
        text = f.read()
    try:
        log = json.loads(text)
    except ValueError:
        # Chromium ends the file on exit; a missing tail means it was
        # killed: parse what is there.
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    bad = set()
    for e in log.get("events", []):
        t = types.get(e.get("type"), "")
        p = e.get("params") or {}
        if t == "URL_REQUEST_START_JOB" and "url" in p:
            url = p["url"]
            host = re.sub(r"^[a-z]+://([^/:]*).*$", r"\1", url)
            page = p.get("initiator") not in (None, "not an origin") or \
                "file://" in p.get("network_isolation_key", "")
            if page or not host.endswith(BROWSER_HOSTS):
                bad.add(url)
        elif t == "HOST_RESOLVER_MANAGER_REQUEST" and "host" in p:
            host = re.sub(r"^[a-z]+://", "", p["host"]).split(":")[0]
            if "file://" in p.get("network_anonymization_key", "") or \
                    not host.endswith(BROWSER_HOSTS):
                bad.add("lookup of " + p["host"])
    return sorted(bad)


def console_problems(console_path):
    bad = []
    with open(console_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if ":CONSOLE" not in line:
                continue
            if "Content Security Policy" in line or "Uncaught" in line or \
                    "Refused to" in line:
                bad.append(line.strip()[:200])
    return bad


def main():
    dom_path, netlog, console, expect_path = sys.argv[1:5]
    with open(expect_path, encoding="utf-8") as f:
        expect = json.load(f)
    tree = Tree()
    with open(dom_path, encoding="utf-8") as f:
        tree.feed(f.read())
    root = tree.root
    html_el = next((n for n in root.walk() if n.tag == "html"), None)
    check(html_el is not None and
          html_el.attrs.get("data-phi-ready") == "true",
          "the view ran to its end (html[data-phi-ready])")
    check_csp(root)
    check_no_loaders(root)
    check_sections(root, expect)
    check_figures(root, expect)
    check_rows(root, expect)
    check_texts(root, expect)
    reqs = page_requests(netlog)
    check(not reqs, "no request left the page%s" %
          (": " + ", ".join(reqs[:5]) if reqs else ""))
    probs = console_problems(console)
    check(not probs, "no CSP violation or script error in the console%s" %
          (": " + probs[0] if probs else ""))
    if FAILED:
        print("%d check(s) failed" % len(FAILED))
        sys.exit(1)


if __name__ == "__main__":
    main()
