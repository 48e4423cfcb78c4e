// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "defaults.h"
#include "k8s/attributor.h"

struct held {
	struct pt_event ev;
	struct pt_placement where;
	struct pt_pod_ref runtime; /* what the runtime said at arrival, if anything */
	bool have_runtime;
	uint64_t deadline_ns;
	struct held *next;
};

struct pt_attributor {
	struct pt_loop *loop;
	struct pt_pod_cache *cache;
	pt_emit_fn emit;
	void *emit_ctx;
	struct pt_attributor_config cfg;
	struct held *head, **tail; /* oldest first: deadlines are in order */
	size_t waiting;
	int timer_fd;
	struct pt_attributor_stats stats;
};

enum outcome {
	RESOLVED,
	WAIT,
};

void pt_attributor_default_config(struct pt_attributor_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hold_ns = PT_DEFAULT_HOLD_TIME_MS * PT_NSEC_PER_MSEC;
	cfg->hold_max = PT_DEFAULT_HOLD_MAX;
}

static void ref_from_pod(const struct pt_pod *pod, const struct pt_pod_container *c,
			 struct pt_pod_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	snprintf(ref->namespace_, sizeof(ref->namespace_), "%s", pod->namespace);
	snprintf(ref->name, sizeof(ref->name), "%s", pod->name);
	snprintf(ref->uid, sizeof(ref->uid), "%s", pod->uid);
	if (c) {
		snprintf(ref->container_name, sizeof(ref->container_name), "%s", c->name);
		pt_pod_container_field_path(c, ref->field_path, sizeof(ref->field_path));
	}
}

static bool is_sandbox_event(const struct pt_event *ev)
{
	return ev->flags & PT_FLAG_SANDBOX;
}

/* Ask the runtime; accept only an answer for the pod the cgroup names. */
static bool lookup_runtime(struct pt_attributor *a, const struct pt_cgroup_info *cg,
			   struct pt_pod_ref *ref)
{
	struct pt_runtime_meta meta;
	char err[256];

	if (!a->cfg.runtime || cg->scope != PT_SCOPE_CONTAINER)
		return false;
	if (pt_runtime_state_meta(a->cfg.runtime, cg->container_id, &meta, err, sizeof(err)) < 0)
		return false;
	if (strcmp(meta.pod_uid, cg->pod_uid) != 0 || !meta.pod_name[0] || !meta.pod_namespace[0])
		return false;
	memset(ref, 0, sizeof(*ref));
	snprintf(ref->namespace_, sizeof(ref->namespace_), "%s", meta.pod_namespace);
	snprintf(ref->name, sizeof(ref->name), "%s", meta.pod_name);
	snprintf(ref->uid, sizeof(ref->uid), "%s", meta.pod_uid);
	if (!meta.sandbox && meta.container_name[0]) {
		snprintf(ref->container_name, sizeof(ref->container_name), "%s",
			 meta.container_name);
		snprintf(ref->field_path, sizeof(ref->field_path), "spec.containers{%s}",
			 meta.container_name);
	}
	ref->from_runtime = true;
	return true;
}

/* Try the pod cache: RESOLVED fills @ref, WAIT means the cache does not know enough yet. */
static enum outcome from_cache(struct pt_attributor *a, const struct pt_event *ev,
			       const struct pt_cgroup_info *cg, struct pt_pod_ref *ref)
{
	const struct pt_pod_container *c = NULL;
	const struct pt_pod *pod;

	if (cg->scope == PT_SCOPE_CONTAINER) {
		pod = pt_pod_cache_by_container(a->cache, cg->container_id, &c);
		/* The id must belong to the pod the cgroup names (a static pod: its hash). */
		if (pod && (strcmp(pod->uid, cg->pod_uid) == 0 ||
			    strcmp(pod->mirror_uid, cg->pod_uid) == 0)) {
			ref_from_pod(pod, c, ref);
			return RESOLVED;
		}
	}
	pod = pt_pod_cache_by_uid(a->cache, cg->pod_uid);
	if (!pod)
		return WAIT;
	if (cg->scope == PT_SCOPE_POD || is_sandbox_event(ev)) {
		ref_from_pod(pod, NULL, ref);
		return RESOLVED;
	}
	/*
	 * The pod is known but not this container id: its status may not have
	 * caught up yet, or the cgroup is the sandbox's. Wait rather than guess.
	 */
	return WAIT;
}

static void emit(struct pt_attributor *a, const struct pt_event *ev,
		 const struct pt_placement *where, const struct pt_pod_ref *ref)
{
	a->emit(a->emit_ctx, ev, where, ref);
}

static void arm(struct pt_attributor *a)
{
	uint64_t now = pt_now_ns();

	if (!a->head)
		pt_timer_arm(a->timer_fd, 0);
	else
		pt_timer_arm(a->timer_fd,
			     a->head->deadline_ns > now ? a->head->deadline_ns - now : 1);
}

static void hold(struct pt_attributor *a, const struct pt_event *ev,
		 const struct pt_placement *where, const struct pt_pod_ref *runtime)
{
	struct held *h = calloc(1, sizeof(*h));

	if (!h) {
		a->stats.unattributed++;
		return;
	}
	h->ev = *ev;
	h->where = *where;
	h->where.container_name = NULL;
	if (runtime) {
		h->runtime = *runtime;
		h->have_runtime = true;
	}
	h->deadline_ns = pt_now_ns() + a->cfg.hold_ns;
	*a->tail = h;
	a->tail = &h->next;
	a->waiting++;
	a->stats.held++;
}

/* The hold ran out: the pod if it is known, the runtime's word, or nothing. */
static void give_up(struct pt_attributor *a, struct held *h)
{
	const struct pt_pod *pod = pt_pod_cache_by_uid(a->cache, h->where.cgroup.pod_uid);
	struct pt_pod_ref ref;

	if (from_cache(a, &h->ev, &h->where.cgroup, &ref) == RESOLVED) {
		a->stats.late++;
		a->stats.from_api++;
		emit(a, &h->ev, &h->where, &ref);
	} else if (h->have_runtime) {
		a->stats.from_runtime++;
		emit(a, &h->ev, &h->where, &h->runtime);
	} else if (pod) {
		a->stats.pod_only++;
		ref_from_pod(pod, NULL, &ref);
		emit(a, &h->ev, &h->where, &ref);
	} else {
		a->stats.unattributed++;
		fprintf(stderr,
			"podtrail: no pod with uid %s on this node: dropped an event of "
			"process %u (%s)\n",
			h->where.cgroup.pod_uid, h->ev.pid, h->ev.comm);
	}
}

static void release_expired(struct pt_attributor *a, bool all)
{
	uint64_t now = pt_now_ns();

	while (a->head && (all || a->head->deadline_ns <= now)) {
		struct held *h = a->head;

		a->head = h->next;
		if (!a->head)
			a->tail = &a->head;
		a->waiting--;
		give_up(a, h);
		free(h);
	}
	arm(a);
}

void pt_attributor_submit(void *ctx, const struct pt_event *ev, const struct pt_placement *where)
{
	struct pt_attributor *a = ctx;
	const struct pt_cgroup_info *cg = &where->cgroup;
	struct pt_pod_ref ref, runtime;
	bool have_runtime;

	if (cg->scope != PT_SCOPE_CONTAINER && cg->scope != PT_SCOPE_POD) {
		a->stats.node++;
		emit(a, ev, where, NULL);
		return;
	}
	if (from_cache(a, ev, cg, &ref) == RESOLVED) {
		a->stats.from_api++;
		emit(a, ev, where, &ref);
		return;
	}
	/* The runtime's state may be gone soon after the exit: read it now. */
	have_runtime = lookup_runtime(a, cg, &runtime);
	if (have_runtime && pt_pod_cache_by_uid(a->cache, cg->pod_uid) == NULL &&
	    runtime.container_name[0]) {
		/* The API server does not know the pod yet; the runtime does, for this pod uid. */
		a->stats.from_runtime++;
		emit(a, ev, where, &runtime);
		return;
	}
	if (a->waiting >= a->cfg.hold_max) {
		/* Those due go first; only one given up before its time is an overflow. */
		release_expired(a, false);
		if (a->waiting >= a->cfg.hold_max && a->head) {
			struct held *oldest = a->head;

			a->stats.hold_overflow++;
			a->head = oldest->next;
			if (!a->head)
				a->tail = &a->head;
			a->waiting--;
			give_up(a, oldest);
			free(oldest);
		}
	}
	hold(a, ev, where, have_runtime ? &runtime : NULL);
	arm(a);
}

void pt_attributor_pods_changed(void *ctx)
{
	struct pt_attributor *a = ctx;
	struct held **pp = &a->head;

	while (*pp) {
		struct held *h = *pp;
		struct pt_pod_ref ref;

		if (from_cache(a, &h->ev, &h->where.cgroup, &ref) != RESOLVED) {
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		a->waiting--;
		a->stats.late++;
		a->stats.from_api++;
		emit(a, &h->ev, &h->where, &ref);
		free(h);
	}
	/* Rebuild the tail pointer after removals. */
	a->tail = &a->head;
	while (*a->tail)
		a->tail = &(*a->tail)->next;
	arm(a);
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	pt_timer_ack(fd);
	release_expired(ctx, false);
}

int pt_attributor_new(struct pt_loop *loop, struct pt_pod_cache *cache,
		      const struct pt_attributor_config *cfg, pt_emit_fn emit, void *emit_ctx,
		      struct pt_attributor **out)
{
	struct pt_attributor *a = calloc(1, sizeof(*a));
	int e;

	if (!a)
		return -ENOMEM;
	a->loop = loop;
	a->cache = cache;
	a->emit = emit;
	a->emit_ctx = emit_ctx;
	a->cfg = *cfg;
	a->tail = &a->head;
	a->timer_fd = pt_loop_add_timer(loop, on_timer, a);
	if (a->timer_fd < 0) {
		e = a->timer_fd;
		free(a);
		return e;
	}
	*out = a;
	return 0;
}

void pt_attributor_release_all(struct pt_attributor *a)
{
	release_expired(a, true);
}

size_t pt_attributor_waiting(const struct pt_attributor *a)
{
	return a->waiting;
}

const struct pt_attributor_stats *pt_attributor_stats(const struct pt_attributor *a)
{
	return &a->stats;
}

void pt_attributor_free(struct pt_attributor *a)
{
	struct held *h, *next;

	if (!a)
		return;
	for (h = a->head; h; h = next) {
		next = h->next;
		free(h);
	}
	pt_loop_close(a->loop, a->timer_fd);
	free(a);
}
