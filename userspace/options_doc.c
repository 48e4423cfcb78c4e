// SPDX-License-Identifier: GPL-2.0
/* The option table written out: --help, the man page (docs/podtrail.8) and README's table. */
#include <stdbool.h>
#include <string.h>
#include "option_table.h"
#include "options.h"
#include "version.h"

static const char man_head[] =
    ".TH PODTRAIL 8 \"2026\" \"podtrail " PODTRAIL_VERSION "\" \"System Administration\"\n"
    ".SH NAME\n"
    "podtrail \\- report why container processes exit, crash and get OOM\\-killed\n"
    ".SH SYNOPSIS\n"
    ".B podtrail\n"
    "[\\fIOPTION\\fR]...\n"
    ".SH DESCRIPTION\n"
    ".B podtrail\n"
    "is a Kubernetes node agent. Its eBPF programs see, in the kernel, every process\n"
    "exit, every fatal signal and every OOM kill; the daemon attributes each one to\n"
    "its pod and container from the cgroup the process lived in, and reports it as a\n"
    "Kubernetes Event that \\fBkubectl describe pod\\fR shows.\n"
    ".PP\n"
    "With \\fB\\-\\-kubeconfig\\fR, or inside a pod (when \\fBKUBERNETES_SERVICE_HOST\\fR is\n"
    "set), podtrail lists and watches the pods of its node and writes Events the way\n"
    "the kubelet's recorder does: identical events become one object whose count is\n"
    "patched, similar ones are combined, and a token bucket per object bounds the\n"
    "writes. Otherwise it runs standalone and prints one event per line on standard\n"
    "output, for any process on the host.\n"
    ".SH EVENTS\n"
    ".TP\n"
    ".B OOMKilled\n"
    "(Warning) the OOM killer killed a process confined by a memory cgroup limit.\n"
    ".TP\n"
    ".B SystemOOM\n"
    "(Warning, on the node) an OOM kill not confined to a memory cgroup.\n"
    ".TP\n"
    ".B ContainerExited\n"
    "(Warning; Normal for exit 0 or a stop the runtime asked for) a container's\n"
    "main process exited: code, signal, core dump, lifetime, who sent the signal.\n"
    ".TP\n"
    ".B ProcessCrashed\n"
    "(Warning) another process died of SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT or\n"
    "SIGSYS, or of SIGKILL or SIGTERM sent by someone else.\n"
    ".TP\n"
    ".B SandboxChanged\n"
    "(Warning, on the pod) the pod's sandbox (pause) process died.\n"
    ".SH OPTIONS\n"
    "Every option can also be set by the environment variable shown; options given\n"
    "on the command line win.\n";

static const char man_tail[] =
    ".SH SIGNALS\n"
    "On SIGINT or SIGTERM podtrail detaches its programs, reads what is left in the\n"
    "ring buffer, writes queued Events for up to \\fB\\-\\-shutdown\\-grace\\fR, and prints\n"
    "its totals on standard error.\n"
    ".SH EXIT STATUS\n"
    ".TP\n"
    ".B 0\n"
    "clean shutdown.\n"
    ".TP\n"
    ".B 1\n"
    "the BPF programs could not be loaded or attached (a one\\-line diagnosis names\n"
    "what is missing: BTF, a capability, tracefs), or the cluster configuration is\n"
    "unusable.\n"
    ".TP\n"
    ".B 2\n"
    "bad options or environment variables.\n"
    ".SH FILES\n"
    ".TP\n"
    ".I /sys/kernel/btf/vmlinux\n"
    "the kernel's BTF, required.\n"
    ".TP\n"
    ".I /sys/kernel/tracing\n"
    "tracefs, mounted by podtrail if nobody has.\n"
    ".TP\n"
    ".I /var/run/secrets/kubernetes.io/serviceaccount\n"
    "the in\\-cluster token, CA and namespace.\n"
    ".SH SEE ALSO\n"
    ".BR kubectl (1),\n"
    ".BR bpftool (8)\n";

/* "-o, --output FORMAT", "    --help[=FORMAT]": the flag as --help shows it. */
static void flag_text(const struct pt_option *d, char *buf, size_t len)
{
	char arg[40] = "";

	if (d->arg && d->bare)
		snprintf(arg, sizeof(arg), "[=%s]", d->arg);
	else if (d->arg)
		snprintf(arg, sizeof(arg), " %s", d->arg);
	if (d->short_name)
		snprintf(buf, len, "-%c, --%s%s", d->short_name, d->name, arg);
	else
		snprintf(buf, len, "    --%s%s", d->name, arg);
}

static void as_is(FILE *f, const char *s)
{
	fputs(s, f);
}

/* The help, then its default between @quote marks, each written through @escape. */
static void help_and_default(FILE *f, const struct pt_option *d,
			     void (*escape)(FILE *f, const char *s), const char *quote)
{
	escape(f, d->help);
	if (!d->def)
		return;
	fprintf(f, " (default: %s", quote);
	escape(f, d->def);
	fprintf(f, "%s)", quote);
}

static void usage_text(FILE *f)
{
	char left[80];

	fprintf(f, "Usage: podtrail [OPTION]...\n"
		   "Report why container processes exit, crash and get OOM-killed, as Kubernetes "
		   "Events\nor, without a cluster, as lines on stdout.\n\nOptions:\n");
	for (size_t i = 0; i < pt_option_count; i++) {
		const struct pt_option *d = &pt_option_table[i];

		flag_text(d, left, sizeof(left));
		fprintf(f, "  %-30s ", left);
		help_and_default(f, d, as_is, "");
		fputc('\n', f);
		if (d->env)
			fprintf(f, "  %-30s (environment: %s)\n", "", d->env);
	}
	fprintf(f, "\nExit status: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the BPF "
		   "programs cannot\nbe loaded or attached, 2 for bad flags.\n");
}

/* roff text: '-' is a hyphen unless escaped, '\' starts an escape. */
static void man_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
}

static void man_page(FILE *f)
{
	fputs(man_head, f);
	for (size_t i = 0; i < pt_option_count; i++) {
		const struct pt_option *d = &pt_option_table[i];

		fputs(".TP\n", f);
		if (d->short_name)
			fprintf(f, "\\fB\\-%c\\fR, ", d->short_name);
		fputs("\\fB\\-\\-", f);
		man_escape(f, d->name);
		fputs("\\fR", f);
		if (d->arg)
			fprintf(f, d->bare ? "[=\\fI%s\\fR]" : " \\fI%s\\fR", d->arg);
		fputc('\n', f);
		/* \& keeps a line that starts with a dot from being read as a request. */
		if (d->help[0] == '.' || d->help[0] == '\'')
			fputs("\\&", f);
		help_and_default(f, d, man_escape, "");
		fputs(".\n", f);
		if (d->env) {
			fputs("Environment: \\fB", f);
			man_escape(f, d->env);
			fputs("\\fR.\n", f);
		}
	}
	fputs(man_tail, f);
}

/* Markdown table cells: a '|' would end the cell. */
static void md_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void markdown_table(FILE *f)
{
	char flag[80];

	fputs("| flag | environment | meaning |\n|---|---|---|\n", f);
	for (size_t i = 0; i < pt_option_count; i++) {
		const struct pt_option *d = &pt_option_table[i];

		flag_text(d, flag, sizeof(flag));
		fprintf(f, "| `%s` | ", flag + strspn(flag, " "));
		if (d->env)
			fprintf(f, "`%s`", d->env);
		fputs(" | ", f);
		help_and_default(f, d, md_escape, "`");
		fputs(" |\n", f);
	}
}

void pt_options_usage(FILE *f, enum pt_help_format format)
{
	switch (format) {
	case PT_HELP_MAN:
		man_page(f);
		break;
	case PT_HELP_MARKDOWN:
		markdown_table(f);
		break;
	case PT_HELP_NONE:
	case PT_HELP_TEXT:
		usage_text(f);
		break;
	}
}
