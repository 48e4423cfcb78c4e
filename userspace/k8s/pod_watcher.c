// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <json-c/json.h>
#include "k8s/pod_json.h"
#include "k8s/pod_watcher.h"
#include "k8s/watch_stream.h"

#define LIST_TIMEOUT_MS 60000
/* A list that sends nothing for this long is stalled: drop it and retry. */
#define LIST_STALL_S 15
/* Watches get bookmarks about every minute: silence for longer means a dead stream. */
#define WATCH_STALL_S  150
#define WATCH_SECONDS  300
#define BACKOFF_MIN_NS 500000000ULL
#define BACKOFF_MAX_NS 30000000000ULL

struct pt_pod_watcher {
	struct pt_loop *loop;
	struct pt_http *http;
	struct pt_pod_cache *cache;
	char node[254];
	char rv[PT_K8S_RV_MAX + 1];
	struct pt_http_call *call;
	struct pt_watch_stream *stream;
	int timer_fd;
	int expire_fd;		/* forgets deleted pods when their tombstone time is up */
	uint64_t expire_due_ns; /* 0: not armed */
	unsigned failures_in_row;
	bool synced;
	bool connected;
	bool gone; /* the watch said 410: list again */
	uint64_t rng;
	struct pt_api_stats *api;
	pt_pods_changed_fn changed;
	void *ctx;
	struct pt_pod_watcher_stats stats;
};

static void start_list(struct pt_pod_watcher *w);

/* Arm the expiry timer for the oldest tombstone, unless it is armed already. */
static void arm_expiry(struct pt_pod_watcher *w)
{
	uint64_t now = pt_now_ns(), due;

	if (w->expire_due_ns)
		return; /* newer tombstones are due later */
	due = pt_pod_cache_next_expiry(w->cache);
	if (!due)
		return;
	w->expire_due_ns = due;
	pt_timer_arm(w->expire_fd, due > now ? due - now : 1);
}

static void on_expire(void *ctx, int fd, uint32_t events)
{
	struct pt_pod_watcher *w = ctx;
	size_t n;

	pt_timer_ack(fd);
	w->expire_due_ns = 0;
	n = pt_pod_cache_expire(w->cache, pt_now_ns());
	w->stats.expired += n;
	/* A churned node frees many small blocks at once: give the memory back. */
	if (n)
		malloc_trim(0);
	arm_expiry(w);
}
static void start_watch(struct pt_pod_watcher *w);

static void log_http_error(struct pt_pod_watcher *w, const char *what,
			   const struct pt_http_response *r)
{
	struct pt_api_status st;

	if (r->transport_error) {
		fprintf(stderr, "podtrail: %s %s: %s\n", what, r->url,
			r->error ? r->error : "transport error");
		return;
	}
	if (pt_status_parse(r->body, r->body_len, &st) < 0 || !st.message[0])
		snprintf(st.message, sizeof(st.message), "(no Status message)");
	fprintf(stderr, "podtrail: %s %s: HTTP %ld: %s\n", what, r->url, r->status, st.message);
}

/* Next attempt after a failure: doubling from 0.5 s to 30 s, jittered by +-50%. */
static void retry_later(struct pt_pod_watcher *w)
{
	uint64_t d = BACKOFF_MIN_NS;

	for (unsigned i = 1; i < w->failures_in_row && d < BACKOFF_MAX_NS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_NS)
		d = BACKOFF_MAX_NS;
	w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	d = d / 2 + (w->rng >> 33) % d;
	pt_timer_arm(w->timer_fd, d);
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct pt_pod_watcher *w = ctx;

	pt_timer_ack(fd);
	if (w->call)
		return;
	if (w->rv[0] && !w->gone)
		start_watch(w);
	else
		start_list(w);
}

static int pods_path(const struct pt_pod_watcher *w, const char *extra, char *buf, size_t len)
{
	int n =
	    snprintf(buf, len, "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s%s", w->node, extra);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Cannot happen with a valid node name; if it does, say so and keep trying, never stop. */
static void path_too_long(struct pt_pod_watcher *w)
{
	fprintf(stderr, "podtrail: watching pods: the request path for node %.64s... is too long\n",
		w->node);
	w->stats.failures++;
	w->failures_in_row++;
	retry_later(w);
}

static void failed(struct pt_pod_watcher *w, const char *what, const struct pt_http_response *r)
{
	w->stats.failures++;
	w->failures_in_row++;
	if (r->transport_error)
		w->connected = false;
	log_http_error(w, what, r);
	retry_later(w);
}

static void on_list_done(void *ctx, const struct pt_http_response *r)
{
	struct pt_pod_watcher *w = ctx;
	struct pt_pod_list list;
	char err[256];

	w->call = NULL;
	pt_api_stats_record(w->api, "LIST", r->transport_error ? 0 : r->status, r->total_s);
	if (r->transport_error || r->status != 200) {
		failed(w, "listing pods:", r);
		return;
	}
	w->connected = true;
	err[0] = '\0';
	if (pt_pod_list_parse(r->body, r->body_len, &list, err, sizeof(err)) < 0) {
		fprintf(stderr, "podtrail: listing pods: %s: not a PodList: %s\n", r->url, err);
		w->stats.failures++;
		w->failures_in_row++;
		retry_later(w);
		return;
	}
	if (list.n_skipped)
		fprintf(stderr, "podtrail: listing pods: skipped %zu malformed pods: %s\n",
			list.n_skipped, err);
	w->stats.bad_objects += list.n_skipped;
	pt_pod_cache_replace(w->cache, &list, pt_now_ns());
	arm_expiry(w);
	snprintf(w->rv, sizeof(w->rv), "%s", list.resource_version);
	pt_pod_list_free(&list);
	/* A list parses into far more memory than the cache keeps: give it back. */
	malloc_trim(0);
	w->synced = true;
	w->gone = false;
	w->failures_in_row = 0;
	w->changed(w->ctx);
	start_watch(w);
}

static void start_list(struct pt_pod_watcher *w)
{
	char path[512];
	struct pt_http_request req = {
		.method = "GET",
		.path = path,
		.timeout_ms = LIST_TIMEOUT_MS,
		.low_speed_timeout_s = LIST_STALL_S,
		.on_done = on_list_done,
		.ctx = w,
	};

	if (pods_path(w, "", path, sizeof(path)) < 0) {
		path_too_long(w);
		return;
	}
	w->stats.lists++;
	if (pt_http_submit(w->http, &req, &w->call) < 0) {
		w->failures_in_row++;
		retry_later(w);
	}
}

static void set_rv(struct pt_pod_watcher *w, struct json_object *obj)
{
	struct json_object *md, *rv;

	if (json_object_object_get_ex(obj, "metadata", &md) &&
	    json_object_object_get_ex(md, "resourceVersion", &rv) &&
	    json_object_is_type(rv, json_type_string))
		snprintf(w->rv, sizeof(w->rv), "%s", json_object_get_string(rv));
}

static int on_watch_event(void *ctx, enum pt_watch_type type, struct json_object *obj)
{
	struct pt_pod_watcher *w = ctx;
	struct pt_api_status st;
	struct pt_pod pod;
	char err[256];

	switch (type) {
	case PT_WATCH_ADDED:
	case PT_WATCH_MODIFIED:
	case PT_WATCH_DELETED:
		if (pt_pod_from_json(obj, &pod, err, sizeof(err)) < 0) {
			w->stats.bad_objects++;
			fprintf(stderr, "podtrail: watching pods: skipped a malformed pod: %s\n",
				err);
			return 0;
		}
		set_rv(w, obj);
		w->stats.watch_events++;
		if (type == PT_WATCH_DELETED) {
			pt_pod_cache_delete(w->cache, pod.uid, pt_now_ns());
			pt_pod_free(&pod);
			arm_expiry(w);
		} else {
			pt_pod_cache_upsert(w->cache, &pod, pt_now_ns());
			pt_pod_free(&pod);
			w->changed(w->ctx);
		}
		return 0;
	case PT_WATCH_BOOKMARK:
		set_rv(w, obj);
		return 0;
	case PT_WATCH_ERROR:
		if (pt_status_from_json(obj, &st) == 0 &&
		    (st.code == 410 || !strcmp(st.reason, "Expired") ||
		     !strcmp(st.reason, "Gone"))) {
			w->gone = true;
			return -ESTALE;
		}
		fprintf(stderr, "podtrail: watching pods: the server sent an error: %d %s: %s\n",
			st.code, st.reason, st.message);
		return -EPROTO;
	}
	return 0;
}

static int on_watch_data(void *ctx, const char *buf, size_t len)
{
	struct pt_pod_watcher *w = ctx;
	int e = pt_watch_stream_feed(w->stream, buf, len);

	w->connected = true;
	if (e == -EBADMSG || e == -E2BIG)
		fprintf(stderr, "podtrail: watching pods: bad stream: %s\n",
			pt_watch_stream_error(w->stream));
	return e;
}

/* A watch that the server accepted proves it is reachable, even before any event. */
static void on_watch_response(void *ctx, long status)
{
	struct pt_pod_watcher *w = ctx;

	if (status == 200) {
		w->connected = true;
		/* A watch that works ends the run of failures: the next cut retries quickly. */
		w->failures_in_row = 0;
	}
}

static void on_watch_done(void *ctx, const struct pt_http_response *r)
{
	struct pt_pod_watcher *w = ctx;

	w->call = NULL;
	pt_api_stats_record(w->api, "WATCH", r->transport_error ? 0 : r->status, r->total_s);
	if (w->gone || r->status == 410) {
		/* Our resourceVersion was compacted away: start over from a list. */
		w->stats.relists_gone++;
		w->gone = true;
		start_list(w);
		return;
	}
	if (r->transport_error == 0 && r->status == 200 && pt_watch_stream_finish(w->stream) == 0) {
		/* The server ended the watch (timeoutSeconds): resume where it stopped. */
		w->failures_in_row = 0;
		w->stats.restarts++;
		start_watch(w);
		return;
	}
	w->stats.restarts++;
	failed(w, "watching pods:", r);
}

static void start_watch(struct pt_pod_watcher *w)
{
	char extra[160], path[640];
	struct pt_http_request req = {
		.method = "GET",
		.path = path,
		/* The server ends the watch after timeoutSeconds; this catches a stalled one. */
		.timeout_ms = (WATCH_SECONDS + 60) * 1000L,
		.low_speed_timeout_s = WATCH_STALL_S,
		.on_data = on_watch_data,
		.on_response = on_watch_response,
		.on_done = on_watch_done,
		.ctx = w,
	};

	snprintf(extra, sizeof(extra),
		 "&watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=%s",
		 WATCH_SECONDS, w->rv);
	if (pods_path(w, extra, path, sizeof(path)) < 0) {
		path_too_long(w);
		return;
	}
	pt_watch_stream_reset(w->stream);
	w->stats.watches++;
	if (pt_http_submit(w->http, &req, &w->call) < 0) {
		w->failures_in_row++;
		retry_later(w);
	}
}

int pt_pod_watcher_new(struct pt_loop *loop, struct pt_http *http, struct pt_pod_cache *cache,
		       const char *node, struct pt_api_stats *api, pt_pods_changed_fn changed,
		       void *ctx, struct pt_pod_watcher **out)
{
	struct pt_pod_watcher *w = calloc(1, sizeof(*w));
	int e;

	if (!w)
		return -ENOMEM;
	w->loop = loop;
	w->http = http;
	w->cache = cache;
	w->api = api;
	w->changed = changed;
	w->ctx = ctx;
	w->rng = pt_now_ns();
	snprintf(w->node, sizeof(w->node), "%s", node);
	w->stream = pt_watch_stream_new(0, on_watch_event, w);
	w->timer_fd = pt_loop_add_timer(loop, on_timer, w);
	w->expire_fd = pt_loop_add_timer(loop, on_expire, w);
	if (!w->stream || w->timer_fd < 0 || w->expire_fd < 0) {
		e = w->timer_fd < 0 ? w->timer_fd : w->expire_fd < 0 ? w->expire_fd : -ENOMEM;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	pt_pod_watcher_free(w);
	return e;
}

int pt_pod_watcher_start(struct pt_pod_watcher *w)
{
	start_list(w);
	return 0;
}

bool pt_pod_watcher_ready(const struct pt_pod_watcher *w)
{
	return w->synced && w->connected;
}

const struct pt_pod_watcher_stats *pt_pod_watcher_stats(const struct pt_pod_watcher *w)
{
	return &w->stats;
}

void pt_pod_watcher_free(struct pt_pod_watcher *w)
{
	if (!w)
		return;
	if (w->call)
		pt_http_cancel(w->call);
	pt_loop_close(w->loop, w->timer_fd);
	pt_loop_close(w->loop, w->expire_fd);
	pt_watch_stream_free(w->stream);
	free(w);
}
