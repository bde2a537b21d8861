#!/usr/bin/env python3
"""make bench: pyheapinspect against what users run today, and the floor.

For each heap size (about 10^4, 10^5, 10^6 and 10^7 objects of a web
service's mix, bench/target.py) one CPython 3.10 target is started, and on
that same heap this measures:

  - pyheapinspect --json --expr __main__:APP (the full report): wall
    time, its own timings (layout, warm copy, pause, copy, decode,
    analysis), its peak RSS (its own figure and ru_maxrss from wait4),
    objects per second;
  - bench/rawcopy (cc -O2): a cold and a warm batched process_vm_readv of
    the mappings the tool copies, the floor of the pause;
  - inside the target, on request: the deep-size recipe from APP (its
    wall time is the time it held the GIL) and gc.get_objects() plus
    sys.getsizeof over every object.

Then the footprint scenarios (fixtures/footprint_heap.py and, when it
exists, fixtures/webapp_heap.py): heaps with 300 and 1,000 idle
threads, and a web application's heap, each measured for the bytes
copied and the tool's peak RSS against the target's RSS, and the pause.

Every figure is a median.  Prints a table per size with the ratios and
the issue's targets (PASS/MISS, which are not failures), and writes
bench/results.json.  Exits non-zero if the tool, a target or rawcopy
fails.  Targets are always killed.  Standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SIZES = [10**4, 10**5, 10**6, 10**7]
SCENARIOS = ["threads300", "threads1000", "webapp"]
MIB = 1024.0 * 1024.0

# The issues' targets, judged at 10^6 and 10^7 objects (shown at every
# size).
SPEEDUP_TARGET = 5.0      # full report >= 5x faster than the recipe
PAUSE_TARGET = 2.0        # pause <= 2x the raw (warm) copy
BYTES_PER_OBJ_TARGET = 100.0  # (peak_rss - target_rss) / objects
COPY_SLACK = 4 * MIB      # bytes copied <= target RSS + this
SCALE_TARGET = 1.3        # wall per object at 10^7 / at 10^6
PAUSE_1000_MS = 50.0      # pause with 1,000 idle threads
JUDGED_AT = (10**6, 10**7)


class BenchError(Exception):
    pass


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def on_term(signum, frame):
    # Turn SIGTERM/SIGHUP into an exception so that the finally blocks
    # kill the targets.
    raise SystemExit("bench: killed by signal %d" % signum)


# ---------------------------------------------------------------- machine

def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
                elif line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
    except OSError:
        pass
    osname = platform.system()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = None
    return {
        "nproc": os.cpu_count(),
        "loadavg_at_start": load,
        "nproc_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "mem_total": mem,
        "mem_available_at_start": avail,
        "kernel": platform.release(),
        "os": osname,
        "date": datetime.datetime.now(datetime.timezone.utc)
        .replace(microsecond=0).isoformat(),
    }


def find_python310():
    script = os.path.join(TOP, "tests", "find-python310.sh")
    r = subprocess.run(["sh", script], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if r.returncode != 0 or not r.stdout.strip():
        raise BenchError("no CPython 3.10: %s" % r.stderr.strip())
    return r.stdout.strip()


def build_rawcopy(build_dir, cc):
    os.makedirs(build_dir, exist_ok=True)
    out = os.path.join(build_dir, "rawcopy")
    src = os.path.join(HERE, "rawcopy.c")
    cmd = shlex.split(cc) + ["-O2", "-Wall", "-o", out, src]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if r.returncode != 0:
        raise BenchError("%s failed:\n%s" % (" ".join(cmd), r.stdout))
    return out


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "State"):
                out[k] = v.strip()
    return {"rss": int(out["VmRSS"].split()[0]) * 1024,
            "hwm": int(out["VmHWM"].split()[0]) * 1024,
            "state": out["State"].split()[0]}


# ----------------------------------------------------------------- target

class Target:
    """A bench/target.py process, driven through its standard input."""

    def __init__(self, python, n, work, walk):
        self.n = n
        self.ready_path = os.path.join(work, "ready-%d.json" % n)
        self.err_path = os.path.join(work, "target-%d.err" % n)
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, "target.py"), "--objects", str(n),
             "--ready", self.ready_path, "--walk", walk],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.pid = self.proc.pid

    def stderr_text(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()[-4000:]

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.ready_path):
            if self.proc.poll() is not None:
                raise BenchError("target (%d objects) exited with %s:\n%s" % (
                    self.n, self.proc.returncode, self.stderr_text()))
            if time.monotonic() > deadline:
                raise BenchError("target (%d objects) not ready within %d s"
                                 % (self.n, timeout))
            time.sleep(0.02)
        with open(self.ready_path) as f:
            self.ready = json.load(f)
        if self.ready["pid"] != self.pid:
            raise BenchError("target wrote pid %s, started %d" %
                             (self.ready["pid"], self.pid))
        return self.ready

    def command(self, cmd, timeout=600):
        if self.proc.poll() is not None:
            raise BenchError("target exited (%s) before %r:\n%s" % (
                self.proc.returncode, cmd, self.stderr_text()))
        self.proc.stdin.write((cmd + "\n").encode())
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            raise BenchError("target did not answer %r within %d s" %
                             (cmd, timeout))
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError("target exited during %r:\n%s" %
                             (cmd, self.stderr_text()))
        out = json.loads(line.decode())
        if "error" in out:
            raise BenchError("target: %r: %s" % (cmd, out["error"]))
        return out

    def assert_running(self):
        """Alive and not left stopped by the tool."""
        if self.proc.poll() is not None:
            raise BenchError("target exited (%s):\n%s" % (
                self.proc.returncode, self.stderr_text()))
        for _ in range(40):
            st = proc_status(self.pid)["state"]
            if st not in ("t", "T"):
                return
            time.sleep(0.05)
        raise BenchError("target %d left stopped (state %s)" % (self.pid, st))

    def close(self):
        """Quit politely, then kill; never leaves the target behind."""
        try:
            if self.proc.poll() is None:
                try:
                    self.proc.stdin.write(b"quit\n")
                    self.proc.stdin.flush()
                except OSError:
                    pass
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout, self.err):
                try:
                    f.close()
                except OSError:
                    pass


# ------------------------------------------------------------- measurements

def run_tool(tool, pid, expr, work, extra):
    """One full report; wall time and ru_maxrss measured from outside."""
    out_path = os.path.join(work, "tool.json")
    err_path = os.path.join(work, "tool.err")
    what = ["--expr", expr] if expr else ["--top", "20"]
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([tool, "-p", str(pid), "--json"] + what
                             + extra, stdout=out, stderr=err)
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            # Interrupted: SIGTERM lets the tool thaw the target first.
            p.terminate()
            p.wait()
            raise
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        with open(err_path) as f:
            msg = f.read()[-4000:]
        raise BenchError("pyheapinspect -p %d exited %d:\n%s" %
                         (pid, p.returncode, msg))
    with open(out_path) as f:
        doc = json.load(f)
    named = [n for n in doc.get("named", []) if n.get("expr") == expr]
    if expr and not named:
        raise BenchError("pyheapinspect: no 'named' entry for %s" % expr)
    named = named or [{}]
    for k in ("timings", "tool_memory", "objects"):
        if k not in doc:
            raise BenchError("pyheapinspect --json has no %r" % k)
    return {
        "wall_ms": wall * 1e3,
        "maxrss": ru.ru_maxrss * 1024,
        "user_ms": ru.ru_utime * 1e3,
        "sys_ms": ru.ru_stime * 1e3,
        "timings": doc["timings"],
        "tool_memory": doc["tool_memory"],
        "objects": doc["objects"],
        "edges": doc.get("edges"),
        "total_size": doc.get("total_size"),
        "bytes_copied": doc.get("bytes_copied"),
        "threads": doc.get("threads"),
        "frozen": doc.get("frozen"),
        "consistent": doc.get("consistent"),
        "bytes_skipped": doc.get("bytes_skipped"),
        "footprint": doc.get("footprint"),
        "complete": doc.get("complete"),
        "layout_source": doc.get("layout_source"),
        "python_version": doc.get("python_version"),
        "deep_size": named[0].get("deep_size"),
        "deep_objects": named[0].get("deep_objects"),
        "retained_size": named[0].get("retained_size"),
    }


def run_rawcopy(rawcopy, pid, warm):
    r = subprocess.run([rawcopy, str(pid), str(warm)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if r.returncode != 0:
        raise BenchError("rawcopy %d exited %d: %s" %
                         (pid, r.returncode, r.stderr.strip()))
    return json.loads(r.stdout)


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def measure(n, args, python, rawcopy, work):
    runs = args.runs if n < args.large else args.runs_large
    target = Target(python, n, work, args.walk)
    try:
        t0 = time.monotonic()
        ready = target.wait_ready(args.ready_timeout)
        log("%d objects: target %d ready in %.1f s (build %.1f s)" %
            (n, target.pid, time.monotonic() - t0, ready["build_s"]))
        before = proc_status(target.pid)
        tool_runs, raw_runs = [], []
        for i in range(runs):
            raw_runs.append(run_rawcopy(rawcopy, target.pid, args.warm_copies))
            tool_runs.append(run_tool(args.tool, target.pid, ready["main"],
                                      work, args.tool_args))
            target.assert_running()
            log("%d objects: tool run %d/%d %.0f ms, pause %.1f ms, raw warm "
                "copy %.1f ms" % (n, i + 1, runs, tool_runs[-1]["wall_ms"],
                                  tool_runs[-1]["timings"]["pause_ms"],
                                  raw_runs[-1]["warm_ms"]))
        # In-process measures last: they allocate (a set of ids, a list of
        # every object) and could grow the heap the tool copies.
        recipe_runs = [target.command("recipe") for _ in range(args.inproc)]
        getobj_runs = [target.command("getobjects")
                       for _ in range(args.inproc)]
        log("%d objects: recipe %.0f ms, gc.get_objects+getsizeof %.0f ms" %
            (n, med(r["ms"] for r in recipe_runs),
             med(r["ms"] for r in getobj_runs)))
        after = proc_status(target.pid)
    finally:
        target.close()
    return summarize(n, ready, before, after, tool_runs, raw_runs,
                     recipe_runs, getobj_runs)


def summarize(n, ready, before, after, tool_runs, raw_runs, recipe_runs,
              getobj_runs):
    tkeys = ("layout_ms", "layout_wait_ms", "warm_copy_ms", "pause_ms",
             "copy_ms", "decode_ms", "analysis_ms", "total_ms")
    mkeys = ("peak_rss", "image_bytes", "graph_bytes")
    tool = {
        "runs": len(tool_runs),
        "wall_ms": med(r["wall_ms"] for r in tool_runs),
        "user_ms": med(r["user_ms"] for r in tool_runs),
        "sys_ms": med(r["sys_ms"] for r in tool_runs),
        "maxrss_wait4": med(r["maxrss"] for r in tool_runs),
        "timings": {k: med(r["timings"].get(k) for r in tool_runs)
                    for k in tkeys},
        "tool_memory": {k: med(r["tool_memory"].get(k) for r in tool_runs)
                        for k in mkeys},
    }
    for k in ("objects", "edges", "total_size", "bytes_copied", "deep_size",
              "deep_objects", "retained_size"):
        tool[k] = med(r[k] for r in tool_runs)
    for k in ("threads", "layout_source", "python_version"):
        tool[k] = tool_runs[-1][k]
    # A copy finished after the --max-pause budget, or mappings skipped
    # for the memory limit, make the figures of that run incomparable.
    tool["inconsistent_runs"] = sum(1 for r in tool_runs
                                    if r["consistent"] is False)
    tool["bytes_skipped"] = max(r["bytes_skipped"] or 0 for r in tool_runs)
    t = tool["timings"]
    tool["output_and_exit_ms"] = tool["wall_ms"] - t["total_ms"]
    tool["objects_per_s"] = tool["objects"] / (tool["wall_ms"] / 1e3)
    raw = {
        "runs": len(raw_runs),
        "bytes": med(r["bytes"] for r in raw_runs),
        "mappings": med(r["mappings"] for r in raw_runs),
        "holes": max(r["holes"] for r in raw_runs),
        "cold_ms": med(r["cold_ms"] for r in raw_runs),
        "warm_ms": med(r["warm_ms"] for r in raw_runs),
        "fresh_ms": med(r.get("fresh_ms") for r in raw_runs),
        "prefault_ms": med(r["prefault_ms"] for r in raw_runs),
    }
    # What a first touch of a page costs here (a copy into memory not
    # faulted in, minus the same copy into faulted-in memory).
    raw["first_touch_us_per_page"] = (
        (raw["fresh_ms"] - raw["warm_ms"]) * 1e3 / (raw["bytes"] / 4096.0)
        if raw["fresh_ms"] is not None and raw["bytes"] else None)
    recipe = {
        "runs": len(recipe_runs),
        "gil_held_ms": med(r["ms"] for r in recipe_runs),
        "deep_size": recipe_runs[-1]["deep_size"],
        "deep_objects": recipe_runs[-1]["deep_objects"],
    }
    getobj = {
        "runs": len(getobj_runs),
        "ms": med(r["ms"] for r in getobj_runs),
        "get_objects_ms": med(r["get_objects_ms"] for r in getobj_runs),
        "getsizeof_ms": med(r["getsizeof_ms"] for r in getobj_runs),
        "objects": getobj_runs[-1]["objects"],
        "total_size": getobj_runs[-1]["total_size"],
    }
    peak = tool["tool_memory"]["peak_rss"]
    image = tool["tool_memory"]["image_bytes"]
    ratios = {
        "tool_wall_over_recipe": tool["wall_ms"] / recipe["gil_held_ms"],
        "recipe_over_tool_wall": recipe["gil_held_ms"] / tool["wall_ms"],
        "tool_wall_over_getobjects": tool["wall_ms"] / getobj["ms"],
        "recipe_gil_over_pause": recipe["gil_held_ms"] / t["pause_ms"],
        "pause_over_raw_warm": t["pause_ms"] / raw["warm_ms"],
        "pause_over_raw_cold": t["pause_ms"] / raw["cold_ms"],
        "copy_over_raw_warm": t["copy_ms"] / raw["warm_ms"],
        "tool_peak_rss_over_target_rss": peak / before["rss"],
        "bytes_beyond_image_per_object": (peak - image) / tool["objects"],
        "bytes_beyond_target_rss_per_object":
        (peak - before["rss"]) / tool["objects"],
        "copied_minus_target_rss": tool["bytes_copied"] - before["rss"],
        "wall_ns_per_object": tool["wall_ms"] * 1e6 / tool["objects"],
        "graph_bytes_per_object": tool["tool_memory"]["graph_bytes"] /
        tool["objects"],
        "decode_ns_per_object": t["decode_ms"] * 1e6 / tool["objects"],
        "analysis_ns_per_object": t["analysis_ms"] * 1e6 / tool["objects"],
        "recipe_ns_per_object": recipe["gil_held_ms"] * 1e6 /
        recipe["deep_objects"],
    }
    verdicts = {
        "speedup": ratios["recipe_over_tool_wall"] >= SPEEDUP_TARGET,
        "pause": ratios["pause_over_raw_warm"] <= PAUSE_TARGET,
        "memory": ratios["bytes_beyond_target_rss_per_object"] <=
        BYTES_PER_OBJ_TARGET,
        "copied": ratios["copied_minus_target_rss"] <= COPY_SLACK,
    }
    return {
        "requested_objects": n,
        "target": {
            "pid": ready["pid"],
            "build_s": ready["build_s"],
            "main": ready["main"],
            "main_objects": ready["main_objects"],
            "gc_objects": ready["gc_objects"],
            "reachable_objects": ready.get("reachable_objects"),
            "reachable_walk_s": ready.get("reachable_walk_s"),
            "rss_before": before["rss"],
            "rss_after": after["rss"],
            "hwm_after": after["hwm"],
        },
        "tool": tool,
        "tool_runs": tool_runs,
        "rawcopy": raw,
        "rawcopy_runs": raw_runs,
        "recipe": recipe,
        "recipe_runs": [r["ms"] for r in recipe_runs],
        "getobjects": getobj,
        "getobjects_runs": [r["ms"] for r in getobj_runs],
        "ratios": ratios,
        "targets_met": verdicts,
        "judged": n in JUDGED_AT,
    }


# --------------------------------------------------------------- scenarios

def scenario_cmd(name, python, work):
    """The target of a footprint scenario and its truth file, or None
    and why not."""
    fixtures = os.path.join(TOP, "fixtures")
    truth = os.path.join(work, "%s.json" % name)
    if name.startswith("threads"):
        return ([python, os.path.join(fixtures, "footprint_heap.py"),
                 "threads", name[len("threads"):], truth], None, truth), None
    if name == "webapp":
        fixture = os.path.join(fixtures, "webapp_heap.py")
        if not os.path.exists(fixture):
            return None, "fixtures/webapp_heap.py is not in this tree"
        r = subprocess.run(["sh", os.path.join(TOP, "tests",
                                               "webapp-path.sh"),
                            os.path.join(work, "webapp-path")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        if r.returncode != 0:
            return None, "tests/webapp-path.sh: %s" % r.stderr.strip()
        env = dict(os.environ, PYTHONPATH=r.stdout.strip())
        return ([python, fixture, truth], env, truth), None
    raise BenchError("unknown scenario %r" % name)


def measure_scenario(name, args, python, work):
    spec, why = scenario_cmd(name, python, work)
    if spec is None:
        log("%s: not measured: %s" % (name, why))
        return {"name": name, "missing": why}
    cmd, env, truth = spec
    err = open(os.path.join(work, "%s.err" % name), "w")
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                            stdout=err, stderr=err)
    try:
        deadline = time.monotonic() + args.ready_timeout
        while not (os.path.exists(truth) and os.path.getsize(truth)):
            if proc.poll() is not None:
                raise BenchError("%s: target exited %s" % (name,
                                                           proc.returncode))
            if time.monotonic() > deadline:
                raise BenchError("%s: target not ready" % name)
            time.sleep(0.05)
        before = proc_status(proc.pid)
        runs = []
        for i in range(args.runs):
            runs.append(run_tool(args.tool, proc.pid, None, work,
                                 args.tool_args))
            st = proc_status(proc.pid)["state"]
            if st in ("t", "T"):
                raise BenchError("%s: target left stopped" % name)
        log("%s: %d runs, pause %.1f ms, copied %.1f MiB" % (
            name, len(runs), med(r["timings"]["pause_ms"] for r in runs),
            med(r["bytes_copied"] for r in runs) / MIB))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        err.close()
    objects = med(r["objects"] for r in runs)
    res = {
        "name": name,
        "threads": runs[-1]["threads"],
        "target_rss": before["rss"],
        "objects": objects,
        "runs": len(runs),
        "bytes_copied": med(r["bytes_copied"] for r in runs),
        "mapped_bytes": med((r["footprint"] or {}).get("mapped_bytes")
                            for r in runs),
        "pause_ms": med(r["timings"]["pause_ms"] for r in runs),
        "copy_ms": med(r["timings"]["copy_ms"] for r in runs),
        "wall_ms": med(r["wall_ms"] for r in runs),
        "peak_rss": med(r["maxrss"] for r in runs),
        "complete": all(r["complete"] for r in runs),
        "pause_runs": [r["timings"]["pause_ms"] for r in runs],
    }
    res["copied_minus_target_rss"] = res["bytes_copied"] - res["target_rss"]
    res["peak_beyond_target_rss_per_object"] = (
        (res["peak_rss"] - res["target_rss"]) / objects)
    res["targets_met"] = {
        "copied": res["copied_minus_target_rss"] <= COPY_SLACK,
        "memory": res["peak_beyond_target_rss_per_object"] <=
        BYTES_PER_OBJ_TARGET,
    }
    if name == "threads1000":
        res["targets_met"]["pause"] = res["pause_ms"] < PAUSE_1000_MS
    return res


def print_scenarios(scen, out):
    w = out.write
    w("\nfootprint scenarios (median of the runs; targets: copied <= target "
      "RSS + 4 MiB, peak RSS <= target RSS + 100 B/object, pause with "
      "1,000 threads < 50 ms)\n")
    w("%-12s %7s %9s %10s %10s %10s %9s %9s %8s  %s\n" % (
        "scenario", "threads", "objects", "mapped", "target RSS", "copied",
        "peak RSS", "B/obj", "pause", "verdicts"))
    for s in scen:
        if "missing" in s:
            w("%-12s not measured: %s\n" % (s["name"], s["missing"]))
            continue
        w("%-12s %7d %9s %10s %10s %10s %9s %9.0f %8s  %s\n" % (
            s["name"], s["threads"], "{:,}".format(int(s["objects"])),
            mib(s["mapped_bytes"]) if s["mapped_bytes"] is not None
            else "?", mib(s["target_rss"]),
            mib(s["bytes_copied"]), mib(s["peak_rss"]),
            s["peak_beyond_target_rss_per_object"], ms(s["pause_ms"]),
            " ".join("%s %s" % (k, verdict(v))
                     for k, v in sorted(s["targets_met"].items()))))


# ------------------------------------------------------------------ report

def fmt_n(n):
    for e in range(9, 3, -1):
        if n == 10**e:
            return "10^%d" % e
        if n % 10**e == 0 and n // 10**e < 10:
            return "%d*10^%d" % (n // 10**e, e)
    return "{:,}".format(n)


def ms(v):
    return "%.0f ms" % v if v >= 100 else "%.1f ms" % v


def mib(v):
    return "%.1f MiB" % (v / MIB)


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_size(r, out):
    n = r["requested_objects"]
    tg, tool, raw = r["target"], r["tool"], r["rawcopy"]
    t, mem, rat = tool["timings"], tool["tool_memory"], r["ratios"]
    rec, go, ok = r["recipe"], r["getobjects"], r["targets_met"]
    w = out.write
    w("\n== %s objects: main structure %s objects, heap %s objects "
      "(%s edges), %s copied, target RSS %s ==\n" % (
          fmt_n(n), "{:,}".format(tg["main_objects"]),
          "{:,}".format(int(tool["objects"])),
          "{:,}".format(int(tool["edges"])), mib(tool["bytes_copied"]),
          mib(tg["rss_before"])))
    w("target: built in %.1f s; gc.get_objects() %s objects" % (
        tg["build_s"], "{:,}".format(tg["gc_objects"])))
    if tg.get("reachable_objects"):
        w("; reachable from sys.modules by gc.get_referents %s objects "
          "(%.1f s)" % ("{:,}".format(tg["reachable_objects"]),
                        tg["reachable_walk_s"]))
    w("\n")
    w("pyheapinspect --json --expr %s (median of %d)\n" %
      (tg["main"], tool["runs"]))
    w("  wall %-10s %.2f M objects/s   user %s  sys %s\n" % (
        ms(tool["wall_ms"]), tool["objects_per_s"] / 1e6,
        ms(tool["user_ms"]), ms(tool["sys_ms"])))
    w("  layout %s (beside the warm copy; waited %s) | warm copy %s | "
      "pause %s (copy %s) | decode %s | analysis %s | output+exit %s\n" % (
          ms(t["layout_ms"]), ms(t["layout_wait_ms"] or 0),
          ms(t["warm_copy_ms"]), ms(t["pause_ms"]),
          ms(t["copy_ms"]), ms(t["decode_ms"]), ms(t["analysis_ms"]),
          ms(tool["output_and_exit_ms"])))
    w("  peak RSS %s (wait4: %s) = image %s + graph %s + other %s\n" % (
        mib(mem["peak_rss"]), mib(tool["maxrss_wait4"]),
        mib(mem["image_bytes"]), mib(mem["graph_bytes"]),
        mib(mem["peak_rss"] - mem["image_bytes"] - mem["graph_bytes"])))
    if tool["inconsistent_runs"] or tool["bytes_skipped"]:
        w("  WARNING: %d run(s) not frozen for the whole copy (--max-pause "
          "budget), %s skipped (memory limit)\n" % (
              tool["inconsistent_runs"], mib(tool["bytes_skipped"])))
    w("  deep size of %s: %s objects, %s; retained %s\n" % (
        tg["main"], "{:,}".format(int(tool["deep_objects"])),
        mib(tool["deep_size"]), mib(tool["retained_size"])))
    w("in the target (median of %d)\n" % rec["runs"])
    w("  deep-size recipe from %-8s %-10s GIL held (%s objects, %s: "
      "instances are leaves to it)\n" % (
          tg["main"].split(":")[1], ms(rec["gil_held_ms"]),
          "{:,}".format(rec["deep_objects"]), mib(rec["deep_size"])))
    w("  gc.get_objects+getsizeof %-10s (get_objects %s; %s objects, "
      "only GC-tracked ones)\n" % (
          ms(go["ms"]), ms(go["get_objects_ms"]),
          "{:,}".format(go["objects"])))
    w("raw process_vm_readv of %s in %d mappings (median of %d)\n" % (
        mib(raw["bytes"]), raw["mappings"], raw["runs"]))
    w("  cold %s | warm %s | into unfaulted memory %s (%.1f us per "
      "first-touched page)\n" % (
          ms(raw["cold_ms"]), ms(raw["warm_ms"]), ms(raw["fresh_ms"]),
          raw["first_touch_us_per_page"]))
    judged = " (judged at 10^6 and 10^7)" if not r["judged"] else ""
    w("ratios%s\n" % judged)
    w("  tool wall / recipe               %7.2f  (%5.2fx faster) "
      "target <= %.2f (5x)  %s\n" % (
          rat["tool_wall_over_recipe"], rat["recipe_over_tool_wall"],
          1 / SPEEDUP_TARGET, verdict(ok["speedup"])))
    w("  tool wall / gc.get_objects+size  %7.2f\n" %
      rat["tool_wall_over_getobjects"])
    w("  recipe GIL hold / tool pause     %7.1f  (how much longer the "
      "recipe stops the target)\n" % rat["recipe_gil_over_pause"])
    w("  pause / raw warm copy            %7.2f                  "
      "target <= %.2f       %s\n" % (
          rat["pause_over_raw_warm"], PAUSE_TARGET, verdict(ok["pause"])))
    w("  pause / raw cold copy            %7.2f\n" %
      rat["pause_over_raw_cold"])
    w("  tool peak RSS / target RSS       %7.2f\n" %
      rat["tool_peak_rss_over_target_rss"])
    w("  bytes copied - target RSS        %7.1f MiB              "
      "target <= %.0f MiB      %s\n" % (
          rat["copied_minus_target_rss"] / MIB, COPY_SLACK / MIB,
          verdict(ok["copied"])))
    w("  peak RSS beyond target RSS / obj %5.0f B                  "
      "target <= %.0f B      %s\n" % (
          rat["bytes_beyond_target_rss_per_object"], BYTES_PER_OBJ_TARGET,
          verdict(ok["memory"])))
    w("  peak RSS beyond image / object   %5.0f B\n" %
      rat["bytes_beyond_image_per_object"])
    w("  per object: decode %.0f ns, analysis %.0f ns, recipe %.0f ns\n" % (
        rat["decode_ns_per_object"], rat["analysis_ns_per_object"],
        rat["recipe_ns_per_object"]))


def print_summary(results, out):
    w = out.write
    w("\n%-8s %9s %9s %9s %8s %8s %7s %9s %9s %7s %6s %7s\n" % (
        "objects", "heap", "tool", "recipe", "speedup", "pause", "raw",
        "pause/raw", "peakRSS", "B/obj", "RSSx", "Mobj/s"))
    for r in results:
        tool, rat = r["tool"], r["ratios"]
        w("%-8s %9s %9s %9s %7.2fx %8s %7s %9.2f %9s %7.0f %6.2f %7.2f\n" % (
            fmt_n(r["requested_objects"]),
            "{:,}".format(int(tool["objects"])),
            ms(tool["wall_ms"]), ms(r["recipe"]["gil_held_ms"]),
            rat["recipe_over_tool_wall"], ms(tool["timings"]["pause_ms"]),
            ms(r["rawcopy"]["warm_ms"]), rat["pause_over_raw_warm"],
            mib(tool["tool_memory"]["peak_rss"]),
            rat["bytes_beyond_image_per_object"],
            rat["tool_peak_rss_over_target_rss"],
            tool["objects_per_s"] / 1e6))
    w("\nwhere the tool's wall time goes (% of the median wall time; the "
      "layouts are resolved in a thread beside the warm copy, and only the "
      "wait for them counts)\n")
    w("%-8s %9s %7s %9s %7s %7s %9s %12s\n" % (
        "objects", "wall", "layout", "warm copy", "pause", "decode",
        "analysis", "output+exit"))
    for r in results:
        tool = r["tool"]
        t, wall = tool["timings"], tool["wall_ms"]
        w("%-8s %9s %6.1f%% %8.1f%% %6.1f%% %6.1f%% %8.1f%% %11.1f%%\n" % (
            fmt_n(r["requested_objects"]), ms(wall),
            100 * (t["layout_wait_ms"] or 0) / wall,
            100 * t["warm_copy_ms"] / wall,
            100 * t["pause_ms"] / wall, 100 * t["decode_ms"] / wall,
            100 * t["analysis_ms"] / wall,
            100 * tool["output_and_exit_ms"] / wall))
    for r in results:
        if r["judged"]:
            ok, rat = r["targets_met"], r["ratios"]
            w("\ntargets at %s objects: full report >= 5x faster than the "
              "recipe: %s (%.1fx); pause <= 2x raw copy: %s (%.2fx); "
              "copied <= target RSS + 4 MiB: %s (%+.1f MiB); peak RSS <= "
              "target RSS + 100 B/object: %s (%.0f B)\n" % (
                  fmt_n(r["requested_objects"]), verdict(ok["speedup"]),
                  rat["recipe_over_tool_wall"],
                  verdict(ok["pause"]), rat["pause_over_raw_warm"],
                  verdict(ok["copied"]), rat["copied_minus_target_rss"] / MIB,
                  verdict(ok["memory"]),
                  rat["bytes_beyond_target_rss_per_object"]))
    scale = scale_ratio(results)
    if scale is not None:
        w("time per object at 10^7 / at 10^6: %.2f (target <= %.1f): %s\n"
          % (scale, SCALE_TARGET, verdict(scale <= SCALE_TARGET)))


def scale_ratio(results):
    per = {r["requested_objects"]: r["ratios"]["wall_ns_per_object"]
           for r in results}
    if 10**6 in per and 10**7 in per:
        return per[10**7] / per[10**6]
    return None


def tool_memory_args(tool, max_memory):
    if max_memory == "none":
        return []
    if max_memory != "auto":
        return ["--max-memory", max_memory]
    r = subprocess.run([tool, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if "--max-memory" not in r.stdout:
        return []
    total = machine()["mem_total"]
    return ["--max-memory", "%dM" % (total * 3 // 4 >> 20)] if total else []


def tool_version(tool):
    r = subprocess.run([tool, "--version"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    return r.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tool", default=os.path.join(TOP, "src",
                                                   "pyheapinspect"))
    ap.add_argument("--python", help="CPython 3.10 for the targets "
                    "(default: tests/find-python310.sh)")
    ap.add_argument("--build-dir", default=os.path.join(HERE, "build"),
                    help="where rawcopy is compiled")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                    help="comma-separated object counts")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated footprint scenarios "
                    "(threadsN, webapp), or none")
    ap.add_argument("--runs", type=int, default=5,
                    help="tool and rawcopy runs per size")
    ap.add_argument("--runs-large", type=int, default=5,
                    help="tool and rawcopy runs from --large objects up")
    ap.add_argument("--large", type=int, default=10**7)
    ap.add_argument("--inproc", type=int, default=3,
                    help="runs of each in-process measure")
    ap.add_argument("--warm-copies", type=int, default=5,
                    help="warm copies per rawcopy run")
    ap.add_argument("--walk", choices=("auto", "yes", "no"), default="auto",
                    help="reachable-object walk in the target (auto: up "
                    "to 10^6 objects)")
    ap.add_argument("--ready-timeout", type=int, default=300)
    ap.add_argument("--max-memory", default="auto",
                    help="--max-memory for the tool: auto (three quarters "
                    "of MemTotal, so that the figures do not depend on "
                    "what else runs), none (the tool's default, from "
                    "MemAvailable), or a size")
    ap.add_argument("--tool-arg", action="append", default=[],
                    help="extra argument for the tool (repeatable)")
    args = ap.parse_args()

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_term)
    started = time.monotonic()
    if not (os.path.isfile(args.tool) and os.access(args.tool, os.X_OK)):
        raise BenchError("no tool at %s (run make first)" % args.tool)
    python = args.python or find_python310()
    rawcopy = build_rawcopy(args.build_dir, args.cc)
    args.tool_args = tool_memory_args(args.tool, args.max_memory) + \
        args.tool_arg
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    info = machine()
    log("%s, %s CPUs (%s), kernel %s; target %s; tool %s %s" % (
        info["date"], info["nproc"], info["cpu_model"], info["kernel"],
        python, args.tool, " ".join(args.tool_args)))
    work = tempfile.mkdtemp(prefix="phi-bench.")
    results, scen = [], []
    names = [s for s in args.scenarios.split(",") if s.strip() and
             s != "none"]
    try:
        for n in sizes:
            results.append(measure(n, args, python, rawcopy, work))
            print_size(results[-1], sys.stdout)
            sys.stdout.flush()
        for name in names:
            scen.append(measure_scenario(name, args, python, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    print_summary(results, sys.stdout)
    if scen:
        print_scenarios(scen, sys.stdout)
    doc = {
        "machine": info,
        "tool": args.tool,
        "tool_version": tool_version(args.tool),
        "python": python,
        "python_version": results[0]["tool"]["python_version"]
        if results else None,
        "layout_source": results[0]["tool"]["layout_source"]
        if results else None,
        "tool_args": args.tool_args,
        "config": {"runs": args.runs, "runs_large": args.runs_large,
                   "large": args.large, "inproc": args.inproc,
                   "warm_copies": args.warm_copies},
        "targets": {"speedup_at_1e6_and_1e7": SPEEDUP_TARGET,
                    "pause_over_raw_warm": PAUSE_TARGET,
                    "peak_beyond_target_rss_per_object":
                    BYTES_PER_OBJ_TARGET,
                    "copied_minus_target_rss": COPY_SLACK,
                    "wall_per_object_1e7_over_1e6": SCALE_TARGET,
                    "pause_1000_threads_ms": PAUSE_1000_MS},
        "elapsed_s": elapsed,
        "sizes": results,
        "scale_ratio_1e7_over_1e6": scale_ratio(results),
        "scenarios": scen,
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out)
    print("\nwrote %s (%.0f s)" % (args.out, elapsed))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        log("FAILED: %s" % e)
        sys.exit(1)
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
