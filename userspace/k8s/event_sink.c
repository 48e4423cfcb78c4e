// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include "defaults.h"
#include "k8s/event_sink.h"
#include "k8s/pod_json.h"

struct job {
	struct pt_k8s_event ev;
	bool patch; /* PATCH the existing object, or POST a new one */
	unsigned tries;
	uint64_t not_before_ns;
	struct pt_http_call *call; /* non-NULL while in flight */
	struct pt_event_sink *sink;
	struct job *prev, *next;
};

struct pt_event_sink {
	struct pt_loop *loop;
	struct pt_http *http;
	struct pt_event_sink_config cfg;
	struct pt_correlator *correlator;
	struct job *head, *tail; /* FIFO */
	size_t queued;
	size_t in_flight;
	int timer_fd;
	uint64_t rng;
	uint64_t last_name_ns; /* names must differ even for reports of one kernel event */
	struct pt_api_stats *api;
	struct pt_event_sink_stats stats;
};

static uint64_t wall_now_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void pt_event_sink_default_config(struct pt_event_sink_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->api = PT_EVENTS_CORE_V1;
	cfg->queue_max = PT_DEFAULT_QUEUE_SIZE;
	cfg->max_tries = PT_DEFAULT_MAX_TRIES;
	cfg->max_in_flight = 8;
	cfg->backoff_base_ns = 500000000ULL;
	cfg->backoff_max_ns = 15000000000ULL;
	cfg->request_timeout_ns = 10000000000ULL;
	pt_correlator_default_config(&cfg->correlator);
}

static void unlink_job(struct pt_event_sink *s, struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		s->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		s->tail = j->prev;
	s->queued--;
	free(j);
}

static void append_job(struct pt_event_sink *s, struct job *j)
{
	j->prev = s->tail;
	j->next = NULL;
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	s->queued++;
}

static struct job *find_by_name(struct pt_event_sink *s, const char *ns, const char *name,
				bool in_flight)
{
	for (struct job *j = s->head; j; j = j->next)
		if ((j->call != NULL) == in_flight && strcmp(j->ev.name, name) == 0 &&
		    strcmp(j->ev.namespace_, ns) == 0)
			return j;
	return NULL;
}

/* xorshift: jitter needs no more. */
static double jitter(struct pt_event_sink *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return 0.5 + (double)(s->rng % 1000) / 1000.0; /* 0.5 .. 1.5 */
}

static uint64_t backoff_ns(struct pt_event_sink *s, unsigned tries, long retry_after_s)
{
	uint64_t d = s->cfg.backoff_base_ns;

	for (unsigned i = 1; i < tries && d < s->cfg.backoff_max_ns; i++)
		d *= 2;
	if (d > s->cfg.backoff_max_ns)
		d = s->cfg.backoff_max_ns;
	d = (uint64_t)((double)d * jitter(s));
	if (retry_after_s > 0 && (uint64_t)retry_after_s * 1000000000ULL > d)
		d = (uint64_t)retry_after_s * 1000000000ULL;
	return d;
}

static void dispatch(struct pt_event_sink *s);

static void log_failure(struct pt_event_sink *s, struct job *j, const struct pt_http_response *r,
			const char *what)
{
	struct pt_api_status st;

	if (r->transport_error) {
		fprintf(stderr, "podtrail: event %s/%s (%s): %s %s: %s; %s\n", j->ev.namespace_,
			j->ev.name, j->ev.reason, j->patch ? "PATCH" : "POST", r->url,
			r->error ? r->error : "transport error", what);
		return;
	}
	if (pt_status_parse(r->body, r->body_len, &st) < 0 || !st.message[0])
		snprintf(st.message, sizeof(st.message), "(no Status message)");
	fprintf(stderr, "podtrail: event %s/%s (%s): %s %s: HTTP %ld: %s; %s\n", j->ev.namespace_,
		j->ev.name, j->ev.reason, j->patch ? "PATCH" : "POST", r->url, r->status,
		st.message, what);
}

static void on_write_done(void *ctx, const struct pt_http_response *r)
{
	struct job *j = ctx;
	struct pt_event_sink *s = j->sink;
	bool retriable;

	j->call = NULL;
	s->in_flight--;
	pt_api_stats_record(s->api, j->patch ? "PATCH" : "POST", r->transport_error ? 0 : r->status,
			    r->total_s);
	if (!r->transport_error && r->status >= 200 && r->status < 300) {
		if (j->patch)
			s->stats.patched++;
		else
			s->stats.created++;
		pt_correlator_update_state(s->correlator, &j->ev);
		if (s->cfg.verbose >= 2)
			fprintf(stderr, "podtrail: event %s/%s (%s) %s, count %d\n",
				j->ev.namespace_, j->ev.name, j->ev.reason,
				j->patch ? "patched" : "created", j->ev.count);
		unlink_job(s, j);
		goto next;
	}
	/*
	 * AlreadyExists after a try whose answer was lost: the server made it.
	 * (client-go, too, takes AlreadyExists on create as the end of the job.)
	 */
	if (!r->transport_error && r->status == 409 && !j->patch && j->tries > 0) {
		s->stats.created++;
		pt_correlator_update_state(s->correlator, &j->ev);
		unlink_job(s, j);
		goto next;
	}
	/* The object is gone (expired, deleted): create it again, as client-go does. */
	if (!r->transport_error && r->status == 404 && j->patch) {
		j->patch = false;
		j->not_before_ns = 0;
		goto next;
	}
	/* 401: the token expired; the client re-reads the rotated token on the next try. */
	retriable = r->transport_error || r->status >= 500 || r->status == 429 || r->status == 401;
	j->tries++;
	if (!retriable || j->tries >= s->cfg.max_tries) {
		s->stats.failed++;
		log_failure(s, j, r, retriable ? "giving up after the last try" : "not retried");
		unlink_job(s, j);
		goto next;
	}
	s->stats.retries++;
	j->not_before_ns = pt_now_ns() + backoff_ns(s, j->tries, r->retry_after_s);
	if (s->cfg.verbose >= 1)
		log_failure(s, j, r, "will retry");
next:
	dispatch(s);
}

static int submit(struct pt_event_sink *s, struct job *j)
{
	char path[640], *body;
	struct pt_http_request req = {
		.method = j->patch ? "PATCH" : "POST",
		.path = path,
		.content_type =
		    j->patch ? "application/strategic-merge-patch+json" : "application/json",
		.timeout_ms = (long)(s->cfg.request_timeout_ns / 1000000ULL),
		.on_done = on_write_done,
		.ctx = j,
	};
	int e;

	/* events.k8s.io/v1 has no strategic-merge schema for series: use a merge patch. */
	if (j->patch && s->cfg.api == PT_EVENTS_V1)
		req.content_type = "application/merge-patch+json";
	e = pt_k8s_event_path(s->cfg.api, j->ev.namespace_, j->patch ? j->ev.name : NULL, path,
			      sizeof(path));
	if (e)
		return e;
	body = j->patch ? pt_k8s_event_patch_body(&j->ev, s->cfg.api)
			: pt_k8s_event_create_body(&j->ev, s->cfg.api);
	if (!body)
		return -ENOMEM;
	req.body = body;
	req.body_len = strlen(body);
	e = pt_http_submit(s->http, &req, &j->call);
	free(body);
	if (e)
		return e;
	s->in_flight++;
	return 0;
}

/* Start every write that may start now; arm the timer for the next one that waits. */
static void dispatch(struct pt_event_sink *s)
{
	uint64_t now = pt_now_ns(), next = 0;
	struct job *j, *nj;

	for (j = s->head; j; j = nj) {
		nj = j->next;
		if (j->call)
			continue;
		if (j->not_before_ns > now) {
			if (!next || j->not_before_ns < next)
				next = j->not_before_ns;
			continue;
		}
		if (s->in_flight >= s->cfg.max_in_flight)
			continue;
		/* One write per Event object at a time, so a PATCH never overtakes its POST. */
		if (find_by_name(s, j->ev.namespace_, j->ev.name, true))
			continue;
		if (submit(s, j) < 0) {
			j->tries++;
			j->not_before_ns = now + backoff_ns(s, j->tries, -1);
			if (!next || j->not_before_ns < next)
				next = j->not_before_ns;
		}
	}
	pt_timer_arm(s->timer_fd, next ? (next > now ? next - now : 1) : 0);
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	pt_timer_ack(fd);
	dispatch(ctx);
}

int pt_event_sink_new(struct pt_loop *loop, struct pt_http *http,
		      const struct pt_event_sink_config *cfg, struct pt_api_stats *api,
		      struct pt_event_sink **out)
{
	struct pt_event_sink *s = calloc(1, sizeof(*s));
	int e;

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->http = http;
	s->cfg = *cfg;
	s->api = api;
	s->rng = pt_now_ns() | 1;
	s->timer_fd = pt_loop_add_timer(loop, on_timer, s);
	if (s->timer_fd < 0) {
		e = s->timer_fd;
		free(s);
		return e;
	}
	e = pt_correlator_new(&s->cfg.correlator, wall_now_ns, NULL, &s->correlator);
	if (e) {
		pt_event_sink_free(s);
		return e;
	}
	*out = s;
	return 0;
}

int pt_event_sink_emit(void *ctx, const struct pt_emitted *e)
{
	struct pt_event_sink *s = ctx;
	struct pt_correlate_result res;
	struct pt_k8s_event ev;
	struct job *j;
	uint64_t now;
	int err;

	s->stats.received++;
	pt_k8s_event_build(e, &ev);
	/* Like client-go, name it after the time it is recorded, strictly increasing. */
	now = wall_now_ns(NULL);
	s->last_name_ns = now > s->last_name_ns ? now : s->last_name_ns + 1;
	pt_k8s_event_name(ev.name, sizeof(ev.name), ev.involved.name, (int64_t)s->last_name_ns);
	err = pt_correlator_correlate(s->correlator, &ev, &res);
	if (err)
		return err;
	if (res.action == PT_CORRELATE_SKIP) {
		s->stats.spam_filtered++;
		return 0;
	}
	if (strncmp(res.event.message, PT_AGGREGATE_MSG_PREFIX, strlen(PT_AGGREGATE_MSG_PREFIX)) ==
	    0)
		s->stats.aggregated++;
	/* A write of the same object still waiting: send the newest state instead. */
	j = find_by_name(s, res.event.namespace_, res.event.name, false);
	if (j) {
		j->ev = res.event;
		s->stats.merged++;
		dispatch(s);
		return 0;
	}
	if (s->queued >= s->cfg.queue_max) {
		if (s->stats.queue_overflow++ % 100 == 0)
			fprintf(stderr,
				"podtrail: event queue full (%zu): dropped %s for %s/%s "
				"(%llu dropped so far)\n",
				s->cfg.queue_max, res.event.reason, res.event.involved.namespace_,
				res.event.involved.name,
				(unsigned long long)s->stats.queue_overflow);
		return -ENOSPC;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->ev = res.event;
	j->patch = res.action == PT_CORRELATE_PATCH;
	j->sink = s;
	append_job(s, j);
	dispatch(s);
	return 0;
}

size_t pt_event_sink_pending(const struct pt_event_sink *s)
{
	return s->queued;
}

const struct pt_event_sink_stats *pt_event_sink_stats(const struct pt_event_sink *s)
{
	return &s->stats;
}

void pt_event_sink_flush_now(struct pt_event_sink *s)
{
	for (struct job *j = s->head; j; j = j->next)
		j->not_before_ns = 0;
	dispatch(s);
}

void pt_event_sink_free(struct pt_event_sink *s)
{
	struct job *j, *next;

	if (!s)
		return;
	for (j = s->head; j; j = next) {
		next = j->next;
		if (j->call)
			pt_http_cancel(j->call);
		free(j);
	}
	pt_loop_close(s->loop, s->timer_fd);
	pt_correlator_free(s->correlator);
	free(s);
}
