// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cgroup_names.h"
#include "cgroup_path.h"
#include "decode.h"
#include "pipeline.h"

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void pt_pipeline_init(struct pt_pipeline *p, const char *node, struct pt_sink sink)
{
	memset(p, 0, sizeof(*p));
	p->node = node;
	p->sink = sink;
	p->realtime_offset_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

static void place(const struct pt_pipeline *p, const struct pt_event *ev,
		  struct pt_placement *where)
{
	struct pt_runtime_answer rt;

	memset(where, 0, sizeof(*where));
	/* A malformed kubepods path comes back as a host attribution: never a guessed pod. */
	pt_cgroup_parse(ev->cgroup.known ? ev->cgroup.path : "", &where->cgroup);
	pt_cgroup_parse(ev->killer.present ? ev->killer.cgroup_leaf : "", &where->killer_cgroup);
	/* An id the table missed: say less ("a cgroup not known"), never "the host". */
	if (ev->cgroup.id && !ev->cgroup.known)
		where->cgroup.scope = PT_SCOPE_UNKNOWN;
	if (ev->killer.present && ev->killer.cgroup_id && !ev->killer.cgroup_known)
		where->killer_cgroup.scope = PT_SCOPE_UNKNOWN;
	memset(&rt, 0, sizeof(rt));
	if (where->cgroup.scope == PT_SCOPE_CONTAINER)
		pt_runtime_state_ask(p->runtime, where->cgroup.container_id, where->cgroup.runtime,
				     ev->pid, ev->ktime_ns, &rt);
	pt_identify(ev, &where->cgroup, &rt, &where->who);
	where->component = pt_component_match(p->components, ev->comm, ev->ns_level,
					      ev->flags & PT_FLAG_NEVER_EXECD, &where->cgroup);
}

/*
 * A runtime shim died: the pod it served (from its first child, the
 * container whose main process that was) hears of it too. The report
 * regards the pod alone: its cgroup is not the shim's.
 */
static void tell_served_pod(struct pt_pipeline *p, const struct pt_event *ev,
			    const struct pt_placement *where)
{
	char id[PT_CONTAINER_ID_LEN + 1];
	struct pt_runtime_meta meta;
	struct pt_placement pod = *where;

	if (!where->component || where->component->kind != PT_COMPONENT_SHIM || !ev->served_pid ||
	    pt_runtime_state_container_of(p->runtime, ev->served_pid, id) ||
	    pt_runtime_state_meta(p->runtime, id, &meta, NULL, 0) || !meta.pod_uid[0])
		return;
	memset(&pod.cgroup, 0, sizeof(pod.cgroup));
	pod.cgroup.scope = PT_SCOPE_POD;
	pod.cgroup.runtime = meta.runtime;
	snprintf(pod.cgroup.pod_uid, sizeof(pod.cgroup.pod_uid), "%s", meta.pod_uid);
	pod.component = NULL;
	pod.monitor_lost = true;
	pt_pipeline_deliver(p, ev, &pod);
}

static void send(struct pt_pipeline *p, const struct pt_emitted *e)
{
	p->stats.by_reason[e->report->reason]++;
	if (p->sink.fn(p->sink.ctx, e) < 0)
		p->sink_errors++;
}

void pt_pipeline_emit(void *ctx, const struct pt_event *ev, const struct pt_placement *where,
		      const struct pt_pod_ref *pod)
{
	struct pt_pipeline *p = ctx;
	struct pt_placement named = *where;
	struct pt_report report;
	struct pt_emitted e = {
		.ev = ev,
		.where = &named,
		.report = &report,
		/* Unsigned: a forged record's time must not overflow. */
		.wall_ns = (int64_t)(ev->ktime_ns + (uint64_t)p->realtime_offset_ns),
		.node = p->node,
		.pod = pod,
	};

	if (pod && pod->container_name[0])
		named.container_name = pod->container_name;
	if (!pt_classify(ev, &named, &report)) {
		if (ev->kind == PT_RECORD_EXIT && !where->oom.killed && !where->monitor_lost)
			p->stats.ignored++;
		return;
	}
	if (report.reason == PT_REASON_SYSTEM_OOM && pod) {
		/* The node ran out of memory: the Node hears it, naming the pod; then the pod. */
		char name[sizeof(pod->namespace_) + sizeof(pod->name) + 1];
		struct pt_placement on_node = named;
		struct pt_report node_report;
		struct pt_emitted ne = e;

		snprintf(name, sizeof(name), "%s/%s", pod->namespace_, pod->name);
		on_node.pod_on_node = name;
		pt_classify(ev, &on_node, &node_report);
		ne.where = &on_node;
		ne.report = &node_report;
		ne.pod = NULL;
		send(p, &ne);
	}
	send(p, &e);
}

void pt_pipeline_flush(void *ctx)
{
	struct pt_pipeline *p = ctx;

	if (p->flush)
		p->flush(p->flush_ctx);
}

void pt_pipeline_deliver(void *ctx, const struct pt_event *ev, const struct pt_placement *where)
{
	struct pt_pipeline *p = ctx;

	if (p->attribute)
		p->attribute(p->attribute_ctx, ev, where);
	else
		pt_pipeline_emit(p, ev, where, NULL);
}

/*
 * A cgroup made, named by the kernel (one older than the agent) or removed:
 * the table learns or starts forgetting it.
 */
static void on_cgroup_record(struct pt_pipeline *p, const void *data, size_t size)
{
	struct pt_cgroup_change c;

	if (pt_decode_cgroup(data, size, &c) < 0) {
		p->stats.decode_errors++;
		return;
	}
	if (c.kind == PT_RECORD_CGROUP_NAMES)
		p->stats.cgroup_names_records++;
	else
		p->stats.cgroup_records++;
	if (!p->cgroup_ids)
		return;
	pt_cgroup_ids_expire(p->cgroup_ids, c.ktime_ns);
	if (c.kind == PT_RECORD_CGROUP_RMDIR)
		pt_cgroup_ids_remove(p->cgroup_ids, c.hierarchy_id, c.id, c.ktime_ns);
	else if (c.cut)
		p->stats.cgroup_paths_cut++; /* a cut path would name the wrong cgroup */
	else
		pt_cgroup_ids_add(p->cgroup_ids, c.hierarchy_id, c.id,
				  c.path); /* -ENOMEM: a miss later */
}

void pt_pipeline_on_record(void *ctx, const void *data, size_t size)
{
	struct pt_pipeline *p = ctx;
	struct pt_placement where;
	struct pt_event ev;
	int kind = pt_record_kind(data, size);

	p->stats.records++;
	if (kind == PT_RECORD_CGROUP_MKDIR || kind == PT_RECORD_CGROUP_RMDIR ||
	    kind == PT_RECORD_CGROUP_NAMES) {
		on_cgroup_record(p, data, size);
		return;
	}
	if (pt_decode(data, size, &ev) < 0) {
		p->stats.decode_errors++;
		return;
	}
	/* A repeat of an end already read: before any work is spent naming it. */
	if (ev.kind == PT_RECORD_EXIT &&
	    pt_recent_exits_seen(&p->recent_exits, ev.pid, ev.start_ns)) {
		p->stats.ignored++;
		return;
	}
	pt_cgroup_names_fill(p->cgroup_ids, &ev);
	if (ev.kind == PT_RECORD_OOM) {
		p->stats.oom_records++;
		if (p->oom_groups)
			pt_oom_groups_mark(p->oom_groups, &ev);
		return;
	}
	place(p, &ev, &where);
	p->stats.by_role[where.who.role]++;
	p->stats.component_exits += where.component != NULL;
	if (ev.oom.present) {
		/* The OOM report is made once per kill and container; the exit goes on for what else it was. */
		if (p->oom_groups) {
			pt_oom_groups_victim(p->oom_groups, &ev, &where);
		} else {
			struct pt_placement alone = where;

			pt_oom_summary_alone(&alone, &ev);
			pt_pipeline_deliver(p, &ev, &alone);
		}
	}
	pt_pipeline_deliver(p, &ev, &where);
	tell_served_pod(p, &ev, &where);
}
