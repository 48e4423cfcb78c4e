"""Flags and environment variables: every flag documented, bad values get a
clear error and exit 2, the capability check names what is missing, every
metric is in README's table, and make install puts the binary and the man
page where they belong."""
import os
import re
import shutil
import subprocess

import pytest

import urllib.request

from conftest import PODTRAIL, ROOT, Daemon, require_root


def run(args, env=None, **kw):
    e = {"PATH": os.environ["PATH"]}
    e.update(env or {})
    return subprocess.run([PODTRAIL, *args], capture_output=True, text=True, env=e, timeout=30,
                          **kw)


def long_flags():
    return re.findall(r"--([a-z0-9-]+)", run(["--help"]).stdout)


def option_table():
    """The binary's own option table, from --help=markdown: [(long name, env var, default)]."""
    r = run(["--help=markdown"])
    assert r.returncode == 0 and r.stderr == "", r
    rows = [line for line in r.stdout.splitlines() if line.startswith("| `")]
    out = []
    for row in rows:
        flag, env, meaning = [c.strip() for c in row.strip("|").split(" | ")]
        name = re.search(r"--([a-z0-9-]+)", flag).group(1)
        default = re.search(r"\(default: `([^`]*)`\)$", meaning)
        takes_value = " " in flag.split("--")[1].rstrip("`")
        out.append((name, env.strip("`") or None, default and default.group(1), takes_value))
    assert len(out) >= 30, r.stdout
    return out


def test_help_documents_every_flag_and_its_environment_variable():
    r = run(["--help"])
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("Usage: podtrail")
    table = option_table()
    assert {name for name, *_ in table} == set(long_flags())
    for name, env, default, _ in table:
        if name in ("help", "version"):
            continue
        assert env, f"--{name} has no environment variable"
        assert f"(environment: {env})" in r.stdout, f"{env} missing from --help"
        if default is not None:
            assert f"(default: {default})" in r.stdout


def test_readme_has_the_binary_table_of_flags():
    """README's table is --help=markdown verbatim (make readme-flags writes it)."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert run(["--help=markdown"]).stdout in readme, "README.md's flags are stale: make readme-flags"


def test_man_page_is_what_the_binary_writes():
    r = run(["--help=man"])
    assert r.returncode == 0 and r.stdout.startswith(".TH PODTRAIL 8")
    with open(os.path.join(ROOT, "docs", "podtrail.8")) as f:
        assert f.read() == r.stdout, "docs/podtrail.8 is stale: make docs/podtrail.8"


def test_every_option_works_as_a_flag_and_as_its_environment_variable():
    """Each value reaches the same parser both ways: a good one passes, a bad one is named."""
    for name, env, default, takes_value in option_table():
        if env is None:
            continue
        good = default if default is not None else ("x" if takes_value else "yes")
        flag = [f"--{name}", good] if takes_value else [f"--{name}"]
        r = run([*flag, "--help"])
        assert r.returncode == 0, (name, r.stderr)
        r = run(["--help"], env={env: good})
        assert r.returncode == 0, (env, r.stderr)
        # --help last: parsing comes first, and nothing starts when it passes.
        bad_env = run(["--help"], env={env: "no-such-value"})
        if not takes_value:
            assert bad_env.returncode == 2 and f"for {env}: expected yes or no" in bad_env.stderr
            continue
        bad_flag = run([f"--{name}", "no-such-value", "--help"])
        assert bad_flag.returncode == bad_env.returncode, (name, bad_flag.stderr, bad_env.stderr)
        if bad_flag.returncode == 2:
            assert f"invalid value 'no-such-value' for --{name}" in bad_flag.stderr
            assert f"invalid value 'no-such-value' for {env}" in bad_env.stderr


def readme_metrics():
    """README's metrics table: {metric name: the types its row names}."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    table = readme[readme.index("| metric | type | meaning |"):].split("\n\n")[0]
    out = {}
    for row in table.splitlines()[2:]:
        names, types = row.strip("|").split(" | ")[:2]
        for name in re.findall(r"`(podtrail_[a-z_]+)", names):
            out[name] = set(types.strip().split("/"))
    return out


def test_readme_lists_every_metric_the_page_has():
    """The page is rendered from the metric table; README must list each family with its type."""
    d = Daemon([])
    try:
        with urllib.request.urlopen(d.metrics_url(), timeout=5) as r:
            page = r.read().decode()
    finally:
        assert d.stop() == 0, d.stderr()
    families = dict(re.findall(r"^# TYPE (podtrail_[a-z_]+) ([a-z]+)$", page, re.M))
    assert len(families) >= 50, page
    documented = readme_metrics()
    for name, kind in families.items():
        assert name in documented, f"{name} is exported but not in README's metrics table"
        assert kind in documented[name], f"{name} is a {kind}, README says {documented[name]}"
    assert set(documented) <= set(families), f"README lists {set(documented) - set(families)}"
    # The totals line is from the same table: its counters match the names it has always had.
    assert {"exits_seen", "records_sent", "oom_kills", "lost"} <= set(d.totals)


@pytest.mark.parametrize("args,needle", [
    (["--output", "yaml"], "invalid value 'yaml' for --output"),
    (["--ringbuf-size", "3000"], "invalid value '3000' for --ringbuf-size"),
    (["--ringbuf-size", "2G"], "invalid value '2G' for --ringbuf-size"),
    (["--wakeup-interval", "-1"], "invalid value '-1' for --wakeup-interval"),
    (["--attach", "kprobe"], "invalid value 'kprobe' for --attach"),
    (["--sandbox-names", "a,b,c,d,e"], "invalid value 'a,b,c,d,e' for --sandbox-names"),
    (["--sandbox-names", "a-name-longer-than-15"], "for --sandbox-names"),
    (["--events-api", "v2"], "invalid value 'v2' for --events-api"),
    (["--hold-max", "0"], "invalid value '0' for --hold-max"),
    (["--metrics-address", "localhost"], "invalid value 'localhost' for --metrics-address"),
    (["--log-format", "xml"], "invalid value 'xml' for --log-format"),
    (["--verbose", "x"], "invalid value 'x' for --verbose"),
    (["--no-such-flag"], "unknown option '--no-such-flag'"),
    (["-x"], "unknown option '-x'"),
    (["--output"], "option '--output' needs a value"),
    (["stray"], "unexpected argument 'stray'"),
])
def test_bad_flags_exit_2_with_a_clear_message(args, needle):
    r = run(args)
    assert r.returncode == 2, r
    assert needle in r.stderr, r.stderr
    assert "Try 'podtrail --help'" in r.stderr
    assert r.stdout == ""


def test_bad_environment_variable_names_the_variable():
    r = run([], env={"PODTRAIL_OUTPUT": "yaml"})
    assert r.returncode == 2
    assert "invalid value 'yaml' for PODTRAIL_OUTPUT" in r.stderr


def test_flag_overrides_environment():
    require_root()
    env = {"PATH": os.environ["PATH"], "PODTRAIL_OUTPUT": "json",
           "PODTRAIL_METRICS_ADDRESS": "off"}
    p = subprocess.Popen([PODTRAIL, "--output", "text", "-v", "1"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()  # the text table's header, not JSON
    p.send_signal(subprocess.signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert first.split() == ["TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "serving /metrics" not in err  # PODTRAIL_METRICS_ADDRESS=off was honoured


def test_version():
    r = run(["--version"])
    assert r.returncode == 0 and re.fullmatch(r"podtrail \d+\.\d+\.\d+\n", r.stdout)


def test_missing_capabilities_are_named_with_the_manifest_line():
    require_root()
    capsh = shutil.which("capsh")
    assert capsh, "capsh (libcap2-bin) is missing: run make deps"
    r = subprocess.run([capsh, "--drop=cap_bpf,cap_perfmon,cap_sys_admin", "--",
                        "-c", f"exec {PODTRAIL} --metrics-address off"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r
    assert "missing capabilities: CAP_BPF CAP_PERFMON" in r.stderr, r.stderr
    assert 'add "BPF" "PERFMON" to the container\'s securityContext.capabilities.add' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_make_install_honours_prefix_and_destdir(tmp_path):
    dest = tmp_path / "root"
    r = subprocess.run(["make", "-C", ROOT, "install", f"DESTDIR={dest}", "PREFIX=/usr",
                        f"BUILD={os.path.relpath(os.path.dirname(PODTRAIL), ROOT)}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    binary = dest / "usr/sbin/podtrail"
    page = dest / "usr/share/man/man8/podtrail.8"
    assert binary.exists() and os.access(binary, os.X_OK)
    assert page.exists()
    text = page.read_text()
    assert text.startswith(".TH PODTRAIL 8")
    # Every flag of --help is in the man page.
    for flag in set(long_flags()):
        escaped = "\\-\\-" + flag.replace("-", "\\-")
        assert escaped in text, f"--{flag} missing from podtrail.8"
    if shutil.which("man"):
        out = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
                             env={"MANPAGER": "cat", "PATH": os.environ["PATH"]})
        assert out.returncode == 0 and "podtrail" in out.stdout
