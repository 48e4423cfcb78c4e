#!/usr/bin/python3
"""Writes docs/podtrail.8 from the option table in userspace/options.c, so the
man page and --help never disagree. Usage: gen-manpage.py options.c > podtrail.8"""
import re
import sys


def options(src):
    pat = re.compile(r'\{ \{ "([a-z0-9-]+)", (?:required|no)_argument, NULL, ([A-Z_]+|\'.\') \},'
                     r'\s*(NULL|"[A-Z0-9_]+"),\s*(NULL|"[A-Z]+"),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}')
    for name, opt_id, env, arg, help_ in pat.findall(src):
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', help_))
        short = opt_id[1] if opt_id.startswith("'") else None
        yield name, short, env.strip('"') if env != "NULL" else None, \
            arg.strip('"') if arg != "NULL" else None, text


def esc(s):
    return s.replace("\\", "\\e").replace("-", "\\-")


HEAD = r""".TH PODTRAIL 8 "2026" "podtrail 0.1.0" "System Administration"
.SH NAME
podtrail \- report why container processes exit, crash and get OOM\-killed
.SH SYNOPSIS
.B podtrail
[\fIOPTION\fR]...
.SH DESCRIPTION
.B podtrail
is a Kubernetes node agent. Its eBPF programs see, in the kernel, every process
exit, every fatal signal and every OOM kill; the daemon attributes each one to
its pod and container from the cgroup the process lived in, and reports it as a
Kubernetes Event that \fBkubectl describe pod\fR shows.
.PP
With \fB\-\-kubeconfig\fR, or inside a pod (when \fBKUBERNETES_SERVICE_HOST\fR is
set), podtrail lists and watches the pods of its node and writes Events the way
the kubelet's recorder does: identical events become one object whose count is
patched, similar ones are combined, and a token bucket per object bounds the
writes. Otherwise it runs standalone and prints one event per line on standard
output, for any process on the host.
.SH EVENTS
.TP
.B OOMKilled
(Warning) the OOM killer killed a process confined by a memory cgroup limit.
.TP
.B SystemOOM
(Warning, on the node) an OOM kill not confined to a memory cgroup.
.TP
.B ContainerExited
(Warning; Normal for exit 0 or a stop the runtime asked for) a container's
main process exited: code, signal, core dump, lifetime, who sent the signal.
.TP
.B ProcessCrashed
(Warning) another process died of SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT or
SIGSYS, or of SIGKILL or SIGTERM sent by someone else.
.TP
.B SandboxChanged
(Warning, on the pod) the pod's sandbox (pause) process died.
.SH OPTIONS
Every option can also be set by the environment variable shown; options given
on the command line win.
"""

TAIL = r""".SH SIGNALS
On SIGINT or SIGTERM podtrail detaches its programs, reads what is left in the
ring buffer, writes queued Events for up to \fB\-\-shutdown\-grace\fR, and prints
its totals on standard error.
.SH EXIT STATUS
.TP
.B 0
clean shutdown.
.TP
.B 1
the BPF programs could not be loaded or attached (a one\-line diagnosis names
what is missing: BTF, a capability, tracefs), or the cluster configuration is
unusable.
.TP
.B 2
bad options or environment variables.
.SH FILES
.TP
.I /sys/kernel/btf/vmlinux
the kernel's BTF, required.
.TP
.I /sys/kernel/tracing
tracefs, mounted by podtrail if nobody has.
.TP
.I /var/run/secrets/kubernetes.io/serviceaccount
the in\-cluster token, CA and namespace.
.SH SEE ALSO
.BR kubectl (1),
.BR bpftool (8)
"""


def main():
    src = open(sys.argv[1]).read()
    out = [HEAD]
    for name, short, env, arg, text in options(src):
        flag = (f"\\fB\\-{short}\\fR, " if short else "") + f"\\fB\\-\\-{esc(name)}\\fR"
        if arg:
            flag += f" \\fI{arg}\\fR"
        out.append(f".TP\n{flag}\n{esc(text)}.")
        if env:
            out.append(f"Environment: \\fB{esc(env)}\\fR.")
    out.append(TAIL)
    sys.stdout.write("\n".join(out))


main()
