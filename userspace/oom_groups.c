// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "oom_groups.h"

/* After the last marked victim exited: more marks may come, a console line apart. */
#define SETTLE_NS (250ULL * 1000000ULL)
/* A victim that never exits (stuck in the kernel) does not hold the report longer. */
#define QUIET_NS  (2000ULL * 1000000ULL)
#define MAX_KILLS 256

/* One container's share of one kill. */
struct bucket {
	uint64_t cgroup_id;
	struct pt_event ev; /* the representative: the main process if it was killed */
	struct pt_placement where;
	struct bucket *next;
};

struct kill {
	uint64_t kill_id;
	uint32_t marked, exited;
	uint64_t last_ns; /* the last mark or exit */
	struct bucket *buckets;
	struct kill *next;
};

struct pt_oom_groups {
	struct pt_loop *loop;
	int timer_fd;
	pt_oom_report_fn report;
	void (*done)(void *ctx);
	void *ctx;
	struct kill *kills;
	size_t nr_kills;
};

static uint64_t deadline(const struct kill *k)
{
	return k->last_ns + (k->marked && k->exited >= k->marked ? SETTLE_NS : QUIET_NS);
}

static void arm(struct pt_oom_groups *g, uint64_t now)
{
	uint64_t next = 0;

	for (struct kill *k = g->kills; k; k = k->next)
		if (!next || deadline(k) < next)
			next = deadline(k);
	pt_timer_arm(g->timer_fd, !next ? 0 : next > now ? next - now : 1);
}

static void report_kill(struct pt_oom_groups *g, struct kill *k)
{
	struct bucket *b, *next;

	for (b = k->buckets; b; b = next) {
		next = b->next;
		g->report(g->ctx, &b->ev, &b->where);
		free(b);
	}
	free(k);
}

/* Report and forget kills whose time has come (all of them with @all). */
static void release(struct pt_oom_groups *g, bool all)
{
	uint64_t now = pt_now_ns();
	struct kill **pp = &g->kills;

	while (*pp) {
		struct kill *k = *pp;

		if (!all && deadline(k) > now) {
			pp = &k->next;
			continue;
		}
		*pp = k->next;
		g->nr_kills--;
		report_kill(g, k);
	}
	arm(g, now);
}

static struct kill *find_kill(struct pt_oom_groups *g, uint64_t kill_id)
{
	struct kill *k;

	for (k = g->kills; k; k = k->next)
		if (k->kill_id == kill_id)
			return k;
	if (g->nr_kills >= MAX_KILLS)
		release(g, true); /* an OOM storm: report what we have rather than grow */
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->kill_id = kill_id;
	k->next = g->kills;
	g->kills = k;
	g->nr_kills++;
	return k;
}

static void add_victim(struct pt_oom_summary *s, const struct pt_event *ev,
		       const struct pt_placement *where)
{
	struct pt_oom_victim *v;

	s->killed++;
	if (s->listed >= PT_OOM_LIST_MAX)
		return;
	v = &s->victims[s->listed++];
	v->pid = ev->pid;
	v->role = where->who.role;
	memcpy(v->comm, ev->comm, sizeof(v->comm));
	if (v->role == PT_ROLE_MAIN && v != s->victims) {
		/* The main process is named first. */
		struct pt_oom_victim main = *v;

		memmove(s->victims + 1, s->victims, (size_t)(v - s->victims) * sizeof(*v));
		s->victims[0] = main;
	}
}

void pt_oom_groups_mark(struct pt_oom_groups *g, const struct pt_event *mark)
{
	struct kill *k = find_kill(g, mark->oom.kill_id);

	if (!k)
		return;
	k->marked++;
	k->last_ns = pt_now_ns();
	arm(g, k->last_ns);
}

void pt_oom_summary_alone(struct pt_placement *where, const struct pt_event *ev)
{
	memset(&where->oom, 0, sizeof(where->oom));
	add_victim(&where->oom, ev, where);
}

/* A victim killed alone: its report needs no other exit. */
static void report_alone(struct pt_oom_groups *g, const struct pt_event *ev,
			 const struct pt_placement *where)
{
	struct pt_placement w = *where;

	pt_oom_summary_alone(&w, ev);
	g->report(g->ctx, ev, &w);
}

void pt_oom_groups_victim(struct pt_oom_groups *g, const struct pt_event *ev,
			  const struct pt_placement *where)
{
	struct kill *k = find_kill(g, ev->oom.kill_id);
	struct bucket *b;

	if (!k || !ev->oom.group_memcg_id) {
		report_alone(g, ev, where);
		if (k) {
			k->exited++;
			k->last_ns = pt_now_ns();
			arm(g, k->last_ns);
		}
		return;
	}
	k->exited++;
	k->last_ns = pt_now_ns();
	for (b = k->buckets; b && b->cgroup_id != ev->cgroup.id; b = b->next)
		;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b) {
			report_alone(g, ev, where);
			return;
		}
		b->cgroup_id = ev->cgroup.id;
		b->ev = *ev;
		b->where = *where;
		memset(&b->where.oom, 0, sizeof(b->where.oom));
		b->where.oom.group = true;
		b->next = k->buckets;
		k->buckets = b;
	} else if (where->who.role == PT_ROLE_MAIN) {
		/* The main process speaks for the container; the count stays. */
		struct pt_oom_summary s = b->where.oom;

		b->ev = *ev;
		b->where = *where;
		b->where.oom = s;
	}
	add_victim(&b->where.oom, ev, where);
	arm(g, k->last_ns);
}

void pt_oom_groups_flush(struct pt_oom_groups *g)
{
	if (g)
		release(g, true);
}

size_t pt_oom_groups_pending(const struct pt_oom_groups *g)
{
	return g ? g->nr_kills : 0;
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct pt_oom_groups *g = ctx;

	pt_timer_ack(fd);
	release(g, false);
	if (g->done)
		g->done(g->ctx);
}

int pt_oom_groups_new(struct pt_loop *loop, pt_oom_report_fn report, void (*done)(void *ctx),
		      void *ctx, struct pt_oom_groups **out)
{
	struct pt_oom_groups *g = calloc(1, sizeof(*g));
	int e;

	if (!g)
		return -ENOMEM;
	g->loop = loop;
	g->report = report;
	g->done = done;
	g->ctx = ctx;
	g->timer_fd = pt_loop_add_timer(loop, on_timer, g);
	if (g->timer_fd < 0) {
		e = g->timer_fd;
		free(g);
		return e;
	}
	*out = g;
	return 0;
}

void pt_oom_groups_free(struct pt_oom_groups *g)
{
	struct kill *k, *next;

	if (!g)
		return;
	for (k = g->kills; k; k = next) {
		next = k->next;
		for (struct bucket *b = k->buckets, *bn; b; b = bn) {
			bn = b->next;
			free(b);
		}
		free(k);
	}
	pt_loop_close(g->loop, g->timer_fd);
	free(g);
}
