// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "classify.h"
#include "signals.h"

static const char *const reason_names[PT_REASON__COUNT] = {
	[PT_REASON_OOM_KILLED] = "OOMKilled",
	[PT_REASON_SYSTEM_OOM] = "SystemOOM",
	[PT_REASON_CONTAINER_EXITED] = "ContainerExited",
	[PT_REASON_PROCESS_CRASHED] = "ProcessCrashed",
	[PT_REASON_SANDBOX_CHANGED] = "SandboxChanged",
};

const char *pt_reason_name(enum pt_reason reason)
{
	return reason < PT_REASON__COUNT ? reason_names[reason] : "Unknown";
}

int pt_reason_from_name(const char *name)
{
	for (int r = 0; r < PT_REASON__COUNT; r++)
		if (strcmp(name, reason_names[r]) == 0)
			return r;
	return -1;
}

/* A bounded string builder: appends never overflow, the result is always terminated. */
struct msg {
	char *buf;
	size_t len;
	size_t cap;
};

__attribute__((format(printf, 2, 3))) static void msg_add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len + 1 >= m->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len = m->len + (size_t)n < m->cap ? m->len + (size_t)n : m->cap - 1;
}

static void msg_duration(struct msg *m, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns < 1000000000ULL)
		msg_add(m, "%llums", (unsigned long long)(ns / 1000000ULL));
	else if (s < 60)
		msg_add(m, "%.1fs", (double)ns / 1e9);
	else if (s < 3600)
		msg_add(m, "%llum%llus", (unsigned long long)(s / 60),
			(unsigned long long)(s % 60));
	else if (s < 86400)
		msg_add(m, "%lluh%llum", (unsigned long long)(s / 3600),
			(unsigned long long)(s % 3600 / 60));
	else
		msg_add(m, "%llud%lluh", (unsigned long long)(s / 86400),
			(unsigned long long)(s % 86400 / 3600));
}

/* Whole MiB print as "20 MiB", the rest with one decimal: "19.6 MiB". */
static void msg_mib(struct msg *m, uint64_t bytes)
{
	if (bytes % (1024 * 1024) == 0)
		msg_add(m, "%llu MiB", (unsigned long long)(bytes >> 20));
	else
		msg_add(m, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

/* " in container app", " in pod <uid>", " in foo.service", " on the host" */
static void msg_where(struct msg *m, const struct pt_placement *where)
{
	const struct pt_cgroup_info *cg = &where->cgroup;

	if (where->container_name && where->container_name[0])
		msg_add(m, " in container %s", where->container_name);
	else if (cg->scope == PT_SCOPE_CONTAINER)
		msg_add(m, " in container %.12s", cg->container_id);
	else if (cg->scope == PT_SCOPE_POD)
		msg_add(m, " in pod %s", cg->pod_uid);
	else if (cg->unit[0])
		msg_add(m, " in %s", cg->unit);
	else
		msg_add(m, " on the host");
}

/* " sent by process 456 (kill) in container 3f2a..." */
static void msg_sender(struct msg *m, const struct pt_event *ev, const struct pt_placement *where)
{
	const struct pt_event_killer *k = &ev->killer;
	const struct pt_cgroup_info *kc = &where->killer_cgroup;

	if (!k->present || k->sig != ev->signal)
		return;
	if (k->tgid == ev->pid) {
		if (!k->from_kernel)
			msg_add(m, " sent by itself");
		return;
	}
	msg_add(m, " sent by process %u (%s)", k->tgid, k->comm);
	if (kc->scope == PT_SCOPE_CONTAINER)
		msg_add(m, " in container %.12s", kc->container_id);
	else if (kc->scope == PT_SCOPE_POD)
		msg_add(m, " in pod %s", kc->pod_uid);
	else if (kc->unit[0])
		msg_add(m, " in %s", kc->unit);
	else
		msg_add(m, " on the host");
}

/* "exited with code 3" / "died of SIGSEGV (signal 11), core dumped" / "was killed by SIGKILL ..." */
static void msg_outcome(struct msg *m, const struct pt_event *ev, const struct pt_placement *where)
{
	char name[16];

	if (ev->oom.present && ev->signal == SIGKILL) {
		msg_add(m, "was OOM-killed");
		if (ev->oom.confined) {
			msg_add(m, " (memory limit ");
			msg_mib(m, ev->oom.memcg_limit_bytes);
			msg_add(m, ")");
		}
		return;
	}
	if (!ev->signal) {
		msg_add(m, "exited with code %d", ev->exit_code);
		return;
	}
	pt_signal_name(ev->signal, name);
	if (pt_signal_is_crash(ev->signal) &&
	    (!ev->killer.present || ev->killer.tgid == ev->pid || ev->killer.from_kernel))
		msg_add(m, "died of %s (signal %d)", name, ev->signal);
	else
		msg_add(m, "was killed by %s (signal %d)", name, ev->signal);
	msg_sender(m, ev, where);
}

/* " after 2.5s, core dumped" */
static void msg_lifetime(struct msg *m, const struct pt_event *ev)
{
	if (ev->lifetime_ns) {
		msg_add(m, " after ");
		msg_duration(m, ev->lifetime_ns);
	}
	if (ev->core_dumped)
		msg_add(m, ", core dumped");
}

static void msg_oom_figures(struct msg *m, const struct pt_event_oom *oom)
{
	const char *sep = ": ";

	if (oom->confined) {
		msg_add(m, "%smemory limit ", sep);
		msg_mib(m, oom->memcg_limit_bytes);
		msg_add(m, ", usage ");
		msg_mib(m, oom->memcg_usage_bytes);
		sep = ", ";
	}
	if (oom->has_rss) {
		msg_add(m, "%sanon-rss ", sep);
		msg_mib(m, oom->anon_rss_kb * 1024);
		msg_add(m, ", file-rss ");
		msg_mib(m, oom->file_rss_kb * 1024);
		msg_add(m, ", shmem-rss ");
		msg_mib(m, oom->shmem_rss_kb * 1024);
		sep = ", ";
	}
	if (oom->oom_score_adj)
		msg_add(m, "%soom_score_adj %d", sep, oom->oom_score_adj);
}

bool pt_event_is_main_process(const struct pt_event *ev, const struct pt_cgroup_info *cg)
{
	if (ev->flags & PT_FLAG_PIDNS_INIT)
		return true;
	return cg->scope == PT_SCOPE_CONTAINER && (ev->flags & PT_FLAG_PARENT_OTHER_CGROUP);
}

static bool is_sandbox(const struct pt_event *ev, const struct pt_cgroup_info *cg)
{
	if (!(ev->flags & PT_FLAG_SANDBOX))
		return false;
	return (ev->flags & PT_FLAG_PIDNS_INIT) || cg->scope == PT_SCOPE_CONTAINER ||
	       cg->scope == PT_SCOPE_POD;
}

/* Stops that a runtime or the kubelet asked for are Normal, not failures. */
static bool stop_requested_by_runtime(const struct pt_event *ev)
{
	static const char *const stoppers[] = { "containerd", "runc",	 "crun",   "conmon",
						"crio",	      "kubelet", "dockerd" };
	const struct pt_event_killer *k = &ev->killer;

	if (ev->signal != SIGTERM && ev->signal != SIGKILL && ev->signal != SIGINT)
		return false;
	if (!k->present || k->from_kernel || ev->oom.present)
		return false;
	for (size_t i = 0; i < sizeof(stoppers) / sizeof(stoppers[0]); i++)
		if (strncmp(k->comm, stoppers[i], strlen(stoppers[i])) == 0)
			return true;
	return false;
}

static bool crashed(const struct pt_event *ev)
{
	const struct pt_event_killer *k = &ev->killer;

	if (!ev->signal || ev->oom.present)
		return false;
	if (pt_signal_is_crash(ev->signal))
		return true;
	/* KILL/TERM count when someone else sent them. */
	return (ev->signal == SIGKILL || ev->signal == SIGTERM) && k->present &&
	       k->tgid != ev->pid && !k->from_kernel;
}

static void report_oom(const struct pt_event *ev, const struct pt_placement *where,
		       struct pt_report *r)
{
	struct msg m = { r->message, 0, sizeof(r->message) };

	r->reason = ev->oom.confined ? PT_REASON_OOM_KILLED : PT_REASON_SYSTEM_OOM;
	r->warning = true;
	msg_add(&m, "process %u (%s)", ev->pid, ev->comm);
	msg_where(&m, where);
	if (ev->oom.confined)
		msg_add(&m, " was OOM-killed");
	else
		msg_add(&m, " was killed by the system OOM killer: the node ran out of memory");
	msg_oom_figures(&m, &ev->oom);
}

static void report_sandbox(const struct pt_event *ev, const struct pt_placement *where,
			   struct pt_report *r)
{
	struct msg m = { r->message, 0, sizeof(r->message) };

	r->reason = PT_REASON_SANDBOX_CHANGED;
	r->warning = true;
	msg_add(&m, "pod sandbox process %u (%s)", ev->pid, ev->comm);
	msg_where(&m, where);
	msg_add(&m, " ");
	msg_outcome(&m, ev, where);
	msg_lifetime(&m, ev);
	msg_add(&m, "; the pod's network namespace is gone and the kubelet will re-create the "
		    "sandbox");
}

static void report_main_exit(const struct pt_event *ev, const struct pt_placement *where,
			     struct pt_report *r)
{
	struct msg m = { r->message, 0, sizeof(r->message) };

	r->reason = PT_REASON_CONTAINER_EXITED;
	r->warning = !((!ev->signal && ev->exit_code == 0) || stop_requested_by_runtime(ev));
	msg_add(&m, "main process %u (%s)", ev->pid, ev->comm);
	msg_where(&m, where);
	msg_add(&m, " ");
	msg_outcome(&m, ev, where);
	msg_lifetime(&m, ev);
}

static void report_crash(const struct pt_event *ev, const struct pt_placement *where,
			 struct pt_report *r)
{
	struct msg m = { r->message, 0, sizeof(r->message) };

	r->reason = PT_REASON_PROCESS_CRASHED;
	r->warning = true;
	msg_add(&m, "process %u (%s)", ev->pid, ev->comm);
	msg_where(&m, where);
	msg_add(&m, " ");
	msg_outcome(&m, ev, where);
	msg_lifetime(&m, ev);
	if (ev->ppid)
		msg_add(&m, "; parent %u (%s)", ev->ppid, ev->parent_comm);
}

size_t pt_classify(const struct pt_event *ev, const struct pt_placement *where,
		   struct pt_report out[PT_MAX_REPORTS])
{
	const struct pt_cgroup_info *cg = &where->cgroup;
	size_t n = 0;

	/* The victim's exit carries the OOM figures; the mark_victim record alone says nothing more. */
	if (ev->kind != PT_RECORD_EXIT)
		return 0;
	memset(out, 0, sizeof(*out) * PT_MAX_REPORTS);
	if (ev->oom.present)
		report_oom(ev, where, &out[n++]);
	if (is_sandbox(ev, cg))
		report_sandbox(ev, where, &out[n++]);
	else if (pt_event_is_main_process(ev, cg))
		report_main_exit(ev, where, &out[n++]);
	else if (crashed(ev))
		report_crash(ev, where, &out[n++]);
	return n;
}
