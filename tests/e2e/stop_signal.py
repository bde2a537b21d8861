"""Ctrl-Z during the freeze: stop_signal.py TOOL PID SIG

Starts TOOL -p PID held frozen on the target by the test hook (1.5 s),
in a process group of its own whose parent (this script) is in another
group of the same session, so that the kernel delivers job-control
stops to it (it discards them for an orphaned group).  Once the target
is frozen, sends SIG (TSTP, TTIN or TTOU) to the tool, then checks:
while the target is frozen the tool does not stop; once the tool has
stopped, the target runs and nothing traces it; continued, the tool
finishes with status 0.
"""
import os
import signal
import subprocess
import sys
import time


def state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def tracer(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return -1


def wait_for(cond, what, seconds=20):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            sys.exit("FAIL: %s" % what)
        time.sleep(0.002)


def main():
    tool, pid, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sig = getattr(signal, "SIG" + name)
    env = dict(os.environ, PYHEAPINSPECT_TEST_HOLD_MS="1500")
    p = subprocess.Popen([tool, "-p", str(pid), "--top", "1"], env=env,
                         stdout=subprocess.DEVNULL, preexec_fn=os.setpgrp)
    wait_for(lambda: state(pid) == "t", "the target was never frozen")
    os.kill(p.pid, sig)
    # Frozen: the tool holds the stop until the thaw.
    while state(pid) == "t":
        if state(p.pid) == "T":
            sys.exit("FAIL: SIG%s stopped the tool while the target was "
                     "frozen" % name)
        time.sleep(0.002)
    wait_for(lambda: state(p.pid) == "T",
             "SIG%s never stopped the tool (it was lost)" % name)
    st = state(pid)
    if st in ("t", "T") or tracer(pid) != 0:
        sys.exit("FAIL: the tool stopped with the target %s (state %s, "
                 "tracer %d)" % ("stopped" if st in "tT" else "traced",
                                 st, tracer(pid)))
    os.kill(p.pid, signal.SIGCONT)
    rc = p.wait(timeout=60)
    if rc != 0:
        sys.exit("FAIL: continued after SIG%s, the tool exited %d" % (name,
                                                                      rc))
    print("SIG%s: the target was thawed before the tool stopped" % name)


main()
