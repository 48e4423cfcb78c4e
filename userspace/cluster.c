// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cluster.h"
#include "event_log.h"
#include "k8s/attributor.h"
#include "k8s/event_sink.h"
#include "k8s/http_client.h"
#include "k8s/kubeconfig.h"
#include "k8s/pod_cache.h"
#include "k8s/pod_watcher.h"

struct pt_cluster {
	struct pt_kube_config kube;
	bool kube_loaded;
	struct pt_http *http;
	struct pt_pod_cache *cache;
	struct pt_pod_watcher *watcher;
	struct pt_attributor *attributor;
	struct pt_event_sink *sink;
	struct pt_api_stats api;
	int verbose;
	int log_json;
};

static const char *env(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (char **e = envp; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

bool pt_cluster_configured(const struct pt_options *o, char **envp)
{
	const char *host = env(envp, "KUBERNETES_SERVICE_HOST");

	if (o->standalone)
		return false;
	return o->kubeconfig || (host && host[0]);
}

/* Every report goes to the API server; at -v 1 also one line on stderr, like the kubelet's. */
static int sink_and_log(void *ctx, const struct pt_emitted *e)
{
	struct pt_cluster *c = ctx;

	if (c->verbose >= 1)
		pt_event_log(stderr, c->log_json ? PT_LOG_JSON : PT_LOG_TEXT, e);
	/* A host process that ended normally is nothing to tell the cluster about; a stopped component is. */
	if (!e->pod && !e->report->warning && e->report->reason != PT_REASON_NODE_COMPONENT_EXITED)
		return 0;
	return pt_event_sink_emit(c->sink, e);
}

static void sink_config(const struct pt_options *o, struct pt_event_sink_config *cfg)
{
	pt_event_sink_default_config(cfg);
	cfg->api = o->events_v1 ? PT_EVENTS_V1 : PT_EVENTS_CORE_V1;
	cfg->queue_max = o->queue_size;
	cfg->max_tries = o->max_tries;
	cfg->verbose = o->verbose;
	cfg->correlator.spam_burst = o->spam_burst;
	cfg->correlator.spam_qps = 1e9 / (double)o->spam_refill_ns;
	cfg->correlator.aggregate_max_events = o->aggregate_max;
	cfg->correlator.aggregate_interval_s = (unsigned)(o->aggregate_window_ns / 1000000000ULL);
}

static void attributor_config(const struct pt_options *o, struct pt_runtime_state *runtime,
			      struct pt_attributor_config *cfg)
{
	pt_attributor_default_config(cfg);
	cfg->hold_ns = o->hold_ns;
	cfg->hold_max = o->hold_max;
	cfg->runtime = runtime;
}

int pt_cluster_start(struct pt_loop *loop, const struct pt_options *o,
		     const struct pt_cluster_links *links, struct pt_cluster **out, char *err,
		     size_t errlen)
{
	struct pt_http_options hopts = { .allow_insecure = o->insecure_skip_tls_verify };
	struct pt_attributor_config acfg;
	struct pt_event_sink_config scfg;
	struct pt_cluster *c = calloc(1, sizeof(*c));
	int e;

	if (!c)
		return -ENOMEM;
	c->verbose = o->verbose;
	c->log_json = o->log_json;
	if (o->kubeconfig)
		e = pt_kubeconfig_load(o->kubeconfig, o->context, &c->kube, err, errlen);
	else
		e = pt_kubeconfig_in_cluster(NULL, &c->kube, err, errlen);
	if (e)
		goto fail;
	c->kube_loaded = true;
	e = pt_http_new(loop, &c->kube, &hopts, &c->http, err, errlen);
	if (e)
		goto fail;
	/* Deleted pods stay findable a while: their containers' exits trail the DELETED event. */
	e = pt_pod_cache_new(o->pod_tombstone_ns, &c->cache);
	if (e)
		goto fail_msg;
	sink_config(o, &scfg);
	e = pt_event_sink_new(loop, c->http, &scfg, &c->api, &c->sink);
	if (e)
		goto fail_msg;
	attributor_config(o, links->runtime, &acfg);
	e = pt_attributor_new(loop, c->cache, &acfg, links->emit, links->emit_ctx, &c->attributor);
	if (e)
		goto fail_msg;
	e = pt_pod_watcher_new(loop, c->http, c->cache, links->node, &c->api,
			       pt_attributor_pods_changed, c->attributor, &c->watcher);
	if (e)
		goto fail_msg;
	pt_pod_watcher_start(c->watcher);
	*out = c;
	return 0;
fail_msg:
	snprintf(err, errlen, "setting up the Kubernetes client: %s", strerror(-e));
fail:
	pt_cluster_free(c);
	return e;
}

void pt_cluster_attribute(void *ctx, const struct pt_event *ev, const struct pt_placement *where)
{
	struct pt_cluster *c = ctx;

	pt_attributor_submit(c->attributor, ev, where);
}

struct pt_sink pt_cluster_sink(struct pt_cluster *c)
{
	return (struct pt_sink){ sink_and_log, c };
}

void pt_cluster_shutdown(struct pt_cluster *c, struct pt_loop *loop, uint64_t grace_ns)
{
	uint64_t deadline = pt_now_ns() + grace_ns;

	pt_attributor_release_all(c->attributor);
	pt_event_sink_flush_now(c->sink);
	pt_loop_resume(loop);
	while (pt_event_sink_pending(c->sink) && pt_now_ns() < deadline) {
		int left_ms = (int)((deadline - pt_now_ns()) / 1000000ULL);

		if (pt_loop_run_once(loop, left_ms > 100 ? 100 : left_ms + 1) < 0)
			break;
		pt_event_sink_flush_now(c->sink);
	}
	if (pt_event_sink_pending(c->sink))
		fprintf(stderr, "podtrail: shutting down with %zu Events not written\n",
			pt_event_sink_pending(c->sink));
}

bool pt_cluster_ready(const struct pt_cluster *c)
{
	return pt_pod_watcher_ready(c->watcher);
}

void pt_cluster_metrics(const struct pt_cluster *c, struct pt_cluster_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->sink = *pt_event_sink_stats(c->sink);
	m->attributor = *pt_attributor_stats(c->attributor);
	m->watcher = *pt_pod_watcher_stats(c->watcher);
	m->pods_cached = pt_pod_cache_size(c->cache);
	m->pods_tombstoned = pt_pod_cache_tombstones(c->cache);
	m->awaiting_attribution = pt_attributor_waiting(c->attributor);
	m->queued = pt_event_sink_pending(c->sink);
	m->api = &c->api;
}

void pt_cluster_free(struct pt_cluster *c)
{
	if (!c)
		return;
	pt_pod_watcher_free(c->watcher);
	pt_attributor_free(c->attributor);
	pt_event_sink_free(c->sink);
	pt_pod_cache_free(c->cache);
	pt_http_free(c->http);
	if (c->kube_loaded)
		pt_kube_config_free(&c->kube);
	free(c);
}
