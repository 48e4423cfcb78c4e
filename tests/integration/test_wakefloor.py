"""tools/wakefloor, the bench's measure of what a wake-up costs with no work: it must sleep,
write and count what it is asked to, or the bench's floor row would be wrong."""
import json
import os
import subprocess

from conftest import PODTRAIL

WAKEFLOOR = os.path.join(os.path.dirname(PODTRAIL), "tools", "wakefloor")


def run(*args):
    assert os.path.exists(WAKEFLOOR), f"{WAKEFLOOR} is missing: run make first"
    return subprocess.run([WAKEFLOOR, *args], capture_output=True, timeout=30)


def test_writes_one_line_a_wakeup_and_reports_its_cpu():
    r = run("-n", "20", "--period-ms", "2", "--bytes", "100", "--json")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split(b"\n")
    assert lines.pop() == b""
    assert len(lines) == 20 and all(l == b"x" * 99 for l in lines)
    rep = json.loads(r.stderr)
    assert rep["wakeups"] == 20 and rep["period_ms"] == 2 and rep["bytes"] == 100
    # 20 sleeps of 2 ms each: no less than 40 ms, whatever the machine.
    assert rep["seconds"] >= 0.040
    # Each wait sleeps: as many voluntary switches as wake-ups (more only if a write blocked).
    assert rep["voluntary_switches"] >= 20
    assert rep["cpu_ns"] > 0 and abs(rep["cpu_ns_per_wakeup"] - rep["cpu_ns"] / 20) <= 0.05


def test_zero_bytes_writes_nothing():
    r = run("-n", "3", "--period-ms", "1", "--bytes", "0")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b""
    assert b"3 wake-ups 1 ms apart" in r.stderr


def test_bad_arguments_are_refused():
    for args in (["--period-ms", "0"], ["-n", "0"], ["--bytes", "2000000"], ["extra"]):
        r = run(*args)
        assert r.returncode == 2, args
        assert b"Try 'wakefloor --help'" in r.stderr, args


def test_option_errors_are_reported_once_and_truly():
    """One message, ours, naming what is wrong (getopt's own would come first)."""
    for args, says in ((["--count"], b"option --count needs an argument"),
                       (["-n"], b"option -n needs an argument"),
                       (["-x"], b"unknown option -x"),
                       (["--json=1"], b"option --json takes no argument")):
        r = run(*args)
        assert r.returncode == 2, args
        lines = r.stderr.splitlines()
        assert lines == [b"wakefloor: " + says, b"Try 'wakefloor --help' for more information."], \
            (args, r.stderr)
