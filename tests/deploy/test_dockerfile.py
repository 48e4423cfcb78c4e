"""deploy/Dockerfile, checked without building it (`make image` builds it with
buildah, tests/image runs the result): its instructions parse, the stages and
references are sound, the build base is pinned to a release and the final stage
is FROM scratch, the build stage installs what the Makefile builds with, the
script that assembles the final file system (tools/image/mkrootfs.sh) makes one
in which the podtrail built here runs, every RUN is valid shell (shellcheck),
and the build context that Dockerfile.dockerignore lets through is enough to
build."""

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


def test_two_stages_build_pinned_to_a_debian_release_final_from_scratch(instructions):
    args = global_args(instructions)
    st = stages(instructions)
    assert [s[0] for s in st] == ["debian:${DEBIAN_RELEASE} AS build", "scratch"]
    assert args["DEBIAN_RELEASE"] == "bookworm", "the Makefile's packages are Debian 12's"
    image = substitute(st[0][0].split()[0], args)
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
    _, build = stages(instructions)[0]
    installed = {p for w, rest, _ in build if w == "RUN" for pkgs in apt_installs(rest) for p in pkgs}
    needed = {p for p in makefile_packages() - TEST_ONLY
              if p.endswith("-dev") and not p.startswith("libclang-rt-")} | {"clang", "llvm", "bpftool", "pkg-config"}
    assert needed <= installed, f"the build stage lacks {sorted(needed - installed)}"
    assert "make" in installed
    _, final = stages(instructions)[-1]
    assert not [w for w, _, _ in final if w == "RUN"], "the final stage is FROM scratch: nothing to run there"


def plain_podtrail():
    """build/podtrail, what the image holds: never the sanitized test build
    (PODTRAIL_BUILD), whose runtime wants /proc, which a bare chroot lacks."""
    path = os.path.join(h.REPO, "build", "podtrail")
    assert os.access(path, os.X_OK), f"{path} is missing: build podtrail first (make)"
    return path


def test_mkrootfs_makes_a_root_in_which_podtrail_runs(instructions, tmp_path):
    """The build stage's last RUN, on the podtrail built here (Debian 12, as in
    the build stage): the root file system it makes runs podtrail --version in a
    chroot, holds nothing but podtrail, its loader and libraries, their
    packages' dpkg status and copyright, and a few /etc files -- no shell."""
    _, build = stages(instructions)[0]
    [script] = [rest for w, rest, _ in build if w == "RUN" and "mkrootfs.sh" in rest]
    assert "tools/image/mkrootfs.sh /out" in script and "llvm-strip" in script, script
    root = tmp_path / "out"
    (root / "usr" / "sbin").mkdir(parents=True)
    shutil.copy2(plain_podtrail(), root / "usr" / "sbin" / "podtrail")
    p = subprocess.run([os.path.join(h.REPO, "tools", "image", "mkrootfs.sh"), str(root)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    run = subprocess.run(["chroot", str(root), "/usr/sbin/podtrail", "--version"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith("podtrail "), run
    status = sorted(os.listdir(root / "var" / "lib" / "dpkg" / "status.d"))
    assert {"libc6", "libbpf1", "libcurl4", "base-files"} <= set(status), status
    for f in root.rglob("*"):
        rel = "/" + str(f.relative_to(root))
        if f.is_dir() or f.is_symlink():
            continue
        ok = (rel == "/usr/sbin/podtrail" or rel.startswith("/usr/lib/x86_64-linux-gnu/") or
              rel.startswith("/usr/lib/aarch64-linux-gnu/") or rel.startswith("/var/lib/dpkg/status.d/") or
              re.fullmatch(r"/usr/share/doc/[^/]+/copyright", rel) is not None or
              rel in ("/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/debian_version",
                      "/usr/lib/os-release"))
        assert ok, f"unexpected file in the image: {rel}"
    for sh in ("bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/dpkg", "usr/bin/apt-get"):
        assert not (root / sh).exists(), sh


def test_mkrootfs_fails_on_a_library_from_no_debian_package(tmp_path):
    """Every file of the image must come from a Debian package (whose status and
    copyright go with it): a program linked against a library built here fails."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "foo.c").write_text("int foo(void) { return 0; }\n")
    (tmp_path / "main.c").write_text("int foo(void);\nint main(void) { return foo(); }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib / "libfoo.so"), str(tmp_path / "foo.c")], check=True)
    root = tmp_path / "root"
    (root / "usr" / "sbin").mkdir(parents=True)
    subprocess.run(["gcc", "-o", str(root / "usr" / "sbin" / "prog"), str(tmp_path / "main.c"), f"-L{lib}",
                    "-lfoo", f"-Wl,-rpath,{lib}"], check=True)
    p = subprocess.run([os.path.join(h.REPO, "tools", "image", "mkrootfs.sh"), str(root)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0 and "libfoo.so belongs to no Debian package" in p.stderr, p.stderr


def test_image_scripts_pass_shellcheck():
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed (Debian package shellcheck)"
    scripts = [os.path.join(h.REPO, "tools", "image", f) for f in ("build-image.sh", "mkrootfs.sh")]
    p = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout


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
