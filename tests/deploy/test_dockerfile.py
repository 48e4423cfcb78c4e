"""deploy/Dockerfile, checked without a Docker engine (there is none here, and
the image is never built by the tests): its instructions parse, the stages
and references are sound, base images are pinned to a release, the build
stage installs what the Makefile builds with, the runtime package list covers
what the binary links against, every RUN is valid shell (shellcheck), and the
build context that Dockerfile.dockerignore lets through is enough to build."""

import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

import deploy_helpers as h

DOCKERFILE = os.path.join(h.DEPLOY, "Dockerfile")
DOCKERIGNORE = os.path.join(h.DEPLOY, "Dockerfile.dockerignore")
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
                "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
# Makefile DEB_PACKAGES that only the tests and benchmarks use.
TEST_ONLY = {"libcmocka-dev", "runc", "busybox-static", "python3", "python3-pytest", "valgrind", "bpftrace",
             "openssl", "procps", "util-linux", "libcap2-bin"}


def parse(text):
    """Dockerfile -> [(instruction, arguments, comments just above it)],
    continuation lines joined, comments and parser directives set aside."""
    out, comments, buf = [], [], None
    for line in text.splitlines():
        s = line.strip()
        if buf is None and (not s or s.startswith("#")):
            comments.append(s)
            continue
        if buf is not None and s.startswith("#"):
            continue  # comment inside a continued instruction
        buf = s if buf is None else buf + " " + s
        if buf.endswith("\\"):
            buf = buf[:-1].rstrip()
            continue
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip(), comments))
        comments, buf = [], None
    assert buf is None, "the Dockerfile ends inside a continued line"
    return out


@pytest.fixture(scope="module")
def instructions():
    with open(DOCKERFILE) as f:
        return parse(f.read())


def stages(instructions):
    """[(from arguments, [instructions of that stage])]."""
    result = []
    for ins in instructions:
        if ins[0] == "FROM":
            result.append((ins[1], []))
        elif result:
            result[-1][1].append(ins)
    return result


def global_args(instructions):
    args = {}
    for word, rest, _ in instructions:
        if word == "FROM":
            break
        name, _, value = rest.partition("=")
        args[name] = shlex.split(value)[0] if value else ""
    return args


def substitute(s, args):
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args[m.group(1)], s)


def makefile_packages():
    with open(os.path.join(h.REPO, "Makefile")) as f:
        text = f.read().replace("\\\n", " ")
    return set(re.search(r"^DEB_PACKAGES\s*:?=(.*)$", text, re.M).group(1).split())


def apt_installs(run):
    """Packages of every `apt-get install` in a RUN command."""
    found = []
    for m in re.finditer(r"apt-get install ([^&|;]*)", run):
        found.append([w for w in m.group(1).split() if not w.startswith("-")])
    return found


def test_only_known_instructions_and_a_syntax_directive(instructions):
    with open(DOCKERFILE) as f:
        first = f.readline().strip()
    assert first == "# syntax=docker/dockerfile:1"
    for word, rest, _ in instructions:
        assert word in INSTRUCTIONS, f"unknown instruction {word}"
        assert rest, f"{word} without arguments"
    assert instructions[0][0] in ("ARG", "FROM")


def test_two_stages_pinned_to_a_debian_release(instructions):
    args = global_args(instructions)
    st = stages(instructions)
    assert [s[0] for s in st] == ["debian:${DEBIAN_RELEASE} AS build", "debian:${DEBIAN_RELEASE}-slim"]
    assert args["DEBIAN_RELEASE"] == "bookworm", "the Makefile's packages are Debian 12's"
    for from_args, _ in st:
        image = substitute(from_args.split()[0], args)
        name, _, tag = image.partition(":")
        assert tag and tag != "latest" and "latest" not in tag, image


def test_copy_from_refers_to_an_earlier_stage(instructions):
    names = []
    for from_args, body in stages(instructions):
        for word, rest, _ in body:
            for m in re.finditer(r"--from=(\S+)", rest):
                assert m.group(1) in names, f"COPY --from={m.group(1)}: no such earlier stage"
        parts = from_args.split()
        if len(parts) == 3 and parts[1].upper() == "AS":
            assert parts[2] not in names
            names.append(parts[2])
    assert not any(w == "ADD" for w, _, _ in instructions), "ADD: use COPY"


def test_final_stage_runs_podtrail_as_an_explicit_user(instructions):
    _, final = stages(instructions)[-1]
    users = [rest for w, rest, _ in final if w == "USER"]
    assert users == ["0:0"], "USER is set in the final stage, to root on purpose (deploy/README.md)"
    [entry] = [rest for w, rest, _ in final if w == "ENTRYPOINT"]
    assert json.loads(entry) == ["/usr/sbin/podtrail"], "exec form, so podtrail is PID 1 and gets SIGTERM"
    copies = [rest for w, rest, _ in final if w == "COPY"]
    assert copies == ["--from=build /out/ /"]
    build = stages(instructions)[0][1]
    assert any("/out/usr/sbin/podtrail" in rest for w, rest, _ in build if w == "RUN")


def test_apt_is_used_the_slim_way(instructions):
    for word, rest, _ in instructions:
        if word != "RUN" or "apt-get install" not in rest:
            continue
        assert rest.startswith("apt-get update &&"), rest
        assert "-y" in rest.split() and "--no-install-recommends" in rest.split(), rest
        assert rest.rstrip().endswith("rm -rf /var/lib/apt/lists/*"), rest


def test_build_stage_installs_what_the_makefile_builds_with(instructions):
    args = global_args(instructions)
    _, build = stages(instructions)[0]
    installed = {p for w, rest, _ in build if w == "RUN" for pkgs in apt_installs(rest) for p in pkgs}
    needed = {p for p in makefile_packages() - TEST_ONLY
              if p.endswith("-dev") and not p.startswith("libclang-rt-")} | {"clang", "llvm", "bpftool", "pkg-config"}
    assert needed <= installed, f"the build stage lacks {sorted(needed - installed)}"
    assert "make" in installed
    _, final = stages(instructions)[-1]
    runtime = [pkgs for w, rest, _ in final if w == "RUN" for pkgs in apt_installs(rest)]
    assert runtime == [["$RUNTIME_PACKAGES"]]
    assert not [p for p in args["RUNTIME_PACKAGES"].split() if p.endswith("-dev")], "no -dev package at run time"


def library_check(instructions):
    """The build stage's RUN that checks RUNTIME_PACKAGES against the binary."""
    _, build = stages(instructions)[0]
    [script] = [rest for w, rest, _ in build if w == "RUN" and "RUNTIME_PACKAGES lacks" in rest]
    return script


def test_runtime_packages_cover_the_binarys_libraries(instructions, tmp_path):
    """Run the Dockerfile's own check on the podtrail built here (Debian 12,
    as in the build stage): it passes with RUNTIME_PACKAGES, and fails once
    a package is taken out."""
    binary = h.podtrail_binary()
    script = library_check(instructions).replace("/build/podtrail", shlex.quote(binary))
    packages = global_args(instructions)["RUNTIME_PACKAGES"]
    ok = subprocess.run(["sh", "-c", script], env=dict(os.environ, RUNTIME_PACKAGES=packages),
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    needed = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    assert "libbpf.so" in needed
    without = " ".join(p for p in packages.split() if p != "libbpf1")
    bad = subprocess.run(["sh", "-c", script], env=dict(os.environ, RUNTIME_PACKAGES=without),
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "libbpf.so.1(libbpf1)" in bad.stderr, bad.stderr


def test_every_run_passes_shellcheck(instructions):
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed (Debian package shellcheck)"
    for word, rest, comments in instructions:
        if word != "RUN" or rest.startswith("["):
            continue
        directives = [c.lstrip("# ") for c in comments if c.lstrip("# ").startswith("shellcheck ")]
        script = "".join(f"# {d}\n" for d in directives) + rest + "\n"
        p = subprocess.run([shellcheck, "-s", "sh", "-"], input=script, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"RUN {rest}\n{p.stdout}"


def dockerignore_patterns():
    with open(DOCKERIGNORE) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def context_files(patterns):
    """Files of the repository a build context with these patterns contains
    (the subset of .dockerignore syntax the file uses: '*', '!path', '!dir/')."""
    assert patterns[0] == "*", "the context is an allow-list"
    keep = []
    for p in patterns[1:]:
        assert p.startswith("!") and "*" not in p, f"unexpected pattern {p}"
        keep.append(p[1:].rstrip("/"))
    files = []
    for root, dirs, names in os.walk(h.REPO):
        dirs[:] = [d for d in dirs if d != ".git"]
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), h.REPO)
            if any(rel == k or rel.startswith(k + "/") for k in keep):
                files.append(rel)
    return keep, files


def test_build_context_is_enough_to_build(instructions, tmp_path):
    """Copy just what Dockerfile.dockerignore lets through and build podtrail
    there the way the build stage does (`make BUILD=/build /build/podtrail`,
    a build/vmlinux.h of the context used as it is)."""
    keep, files = context_files(dockerignore_patterns())
    for k in keep:
        if k != "build/vmlinux.h":
            assert os.path.exists(os.path.join(h.REPO, k)), f"Dockerfile.dockerignore lets through {k}, which is gone"
    assert not [f for f in files if f.startswith("build/") and f != "build/vmlinux.h"]
    ctx = tmp_path / "context"
    for f in files:
        (ctx / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(h.REPO, f), ctx / f)
    out = tmp_path / "out"
    out.mkdir()
    if (ctx / "build" / "vmlinux.h").exists():
        shutil.copy2(ctx / "build" / "vmlinux.h", out / "vmlinux.h")
    jobs = str(max(1, os.cpu_count() or 1))
    p = subprocess.run(["make", "-j", jobs, f"BUILD={out}", f"{out}/podtrail"], cwd=ctx,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-4000:]
    assert subprocess.run([str(out / "podtrail"), "--version"], capture_output=True, timeout=30).returncode == 0
