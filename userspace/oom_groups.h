/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One OOM report per OOM kill and container. With memory.oom.group (the
 * kubelet sets it on every container on cgroup v2 since 1.28) one kill takes
 * every process of the container: the kernel marks each as a victim and
 * their exits arrive one by one. The victims of one kill are counted from
 * the mark_victim records (they share a kill id); their exits are gathered
 * by container, and the report is made once every marked victim's exit has
 * arrived and no news of the kill came for 250 ms (the kernel logs a line
 * per victim between marks, and a serial console takes ~15 ms a line), or
 * two seconds after the last news if some victim never exits. A victim
 * killed alone is reported as soon as its exit arrives.
 */
#ifndef PODTRAIL_OOM_GROUPS_H
#define PODTRAIL_OOM_GROUPS_H

#include "placement.h"
#include "event_loop.h"

/* Report @ev (the container's representative victim) with @where->oom filled. */
typedef void (*pt_oom_report_fn)(void *ctx, const struct pt_event *ev,
				 const struct pt_placement *where);

struct pt_oom_groups;

/* @done (may be NULL) follows the reports a timer released, e.g. to flush output. */
int pt_oom_groups_new(struct pt_loop *loop, pt_oom_report_fn report, void (*done)(void *ctx),
		      void *ctx, struct pt_oom_groups **out);
void pt_oom_groups_free(struct pt_oom_groups *g);

/* A mark_victim record: kill @mark->oom.kill_id has one more victim. */
void pt_oom_groups_mark(struct pt_oom_groups *g, const struct pt_event *mark);
/* The exit of an OOM victim (ev->oom.present), placed and identified. */
void pt_oom_groups_victim(struct pt_oom_groups *g, const struct pt_event *ev,
			  const struct pt_placement *where);
/* Report every kill gathered so far (at shutdown). */
void pt_oom_groups_flush(struct pt_oom_groups *g);
/* Fill @where->oom for a victim killed alone. */
void pt_oom_summary_alone(struct pt_placement *where, const struct pt_event *ev);
/* Kills waiting for their victims' exits. */
size_t pt_oom_groups_pending(const struct pt_oom_groups *g);

#endif
