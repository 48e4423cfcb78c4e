/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writes reports to the API server as Events, the way the kubelet's recorder
 * does (correlate: aggregate, dedup into count PATCHes, spam-filter), with
 * what client-go lacks: a bounded queue whose overflow is counted, several
 * writes in flight so that one slow or failing write holds up no other, and
 * retries with jittered exponential back-off that honour Retry-After. The
 * ring-buffer reader only ever enqueues: it never waits for the network.
 */
#ifndef PODTRAIL_K8S_EVENT_SINK_H
#define PODTRAIL_K8S_EVENT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event_loop.h"
#include "k8s/api_stats.h"
#include "k8s/event_build.h"
#include "k8s/event_correlator.h"
#include "k8s/http_client.h"
#include "report.h"

struct pt_event_sink_config {
	enum pt_events_api api;
	size_t queue_max;	     /* events waiting or in flight (--queue-size) */
	unsigned max_tries;	     /* per event (--max-tries) */
	unsigned max_in_flight;	     /* concurrent writes; default 8 */
	uint64_t backoff_base_ns;    /* first retry after about this; default 500 ms */
	uint64_t backoff_max_ns;     /* default 15 s */
	uint64_t request_timeout_ns; /* one write; default 10 s */
	struct pt_correlator_config correlator;
	int verbose;
};

struct pt_event_sink_stats {
	uint64_t received;	 /* reports handed to the sink */
	uint64_t spam_filtered;	 /* dropped by the spam filter */
	uint64_t aggregated;	 /* turned into a "(combined from similar events)" event */
	uint64_t merged;	 /* folded into a queued write of the same event */
	uint64_t queue_overflow; /* dropped: the queue was full */
	uint64_t created;	 /* POSTs accepted */
	uint64_t patched;	 /* PATCHes accepted */
	uint64_t retries;
	uint64_t failed; /* given up on */
};

struct pt_event_sink;

void pt_event_sink_default_config(struct pt_event_sink_config *cfg);
/* @api (shared with the pod watcher) counts every request this sink makes. */
int pt_event_sink_new(struct pt_loop *loop, struct pt_http *http,
		      const struct pt_event_sink_config *cfg, struct pt_api_stats *api,
		      struct pt_event_sink **out);
/* A pt_sink_fn: correlate and enqueue, never blocks. */
int pt_event_sink_emit(void *ctx, const struct pt_emitted *e);
/* Events queued or in flight. */
size_t pt_event_sink_pending(const struct pt_event_sink *s);
const struct pt_event_sink_stats *pt_event_sink_stats(const struct pt_event_sink *s);
/* Send what is queued now, ignoring back-off (used when shutting down). */
void pt_event_sink_flush_now(struct pt_event_sink *s);
void pt_event_sink_free(struct pt_event_sink *s);

#endif
