/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event correlator: what client-go's tools/record EventCorrelator does to
 * every event before it reaches the API server, so that podtrail's events
 * look and behave like the kubelet's.
 *
 *   1. aggregate (EventAggregator): once aggregate_max_events events that differ
 *      only in their message are seen for one source + object + type + reason
 *      with no gap longer than aggregate_interval_s, they are replaced by one
 *      event whose message is "(combined from similar events): <message>";
 *   2. dedup (eventLogger): an event identical to one already written (same
 *      source, object incl. fieldPath, type, reason, message) becomes a PATCH
 *      of that object: same name and firstTimestamp, count + 1, new
 *      lastTimestamp and message;
 *   3. spam filter (EventSourceObjectSpamFilter): a token bucket per source +
 *      object + type (spam_burst tokens, refilled at spam_qps) drops what
 *      exceeds it. Steps 1 and 2 are recorded even for a dropped event, so a
 *      later PATCH carries the count of every occurrence, as in client-go.
 *
 * Time: the aggregation window, the aggregate event's name and timestamps and
 * the token buckets use the injected clock; a deduplicated event keeps its own
 * lastTimestamp (the caller's). Pure logic, no I/O, not thread-safe.
 */
#ifndef PODTRAIL_K8S_EVENT_CORRELATOR_H
#define PODTRAIL_K8S_EVENT_CORRELATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_EVENT_NAME_MAX	(253 + 32)
#define PT_EVENT_MESSAGE_MAX	1024
#define PT_EVENT_REASON_MAX	128
#define PT_AGGREGATE_MSG_PREFIX "(combined from similar events): "

/* One core/v1 Event as the agent wants to write it. Strings are NUL-terminated. */
struct pt_k8s_event {
	char namespace_[254];
	char name[PT_EVENT_NAME_MAX + 1];
	struct {
		char kind[64];
		char api_version[64];
		char namespace_[254];
		char name[254];
		char uid[64];
		char field_path[256];
	} involved;
	char source_component[128];
	char source_host[254];
	char reporting_controller[129]; /* part of client-go's aggregation key */
	char reporting_instance[129];
	char type[16]; /* Normal | Warning */
	char reason[PT_EVENT_REASON_MAX + 1];
	char message[PT_EVENT_MESSAGE_MAX + 1];
	int64_t first_ns, last_ns; /* wall clock, ns since the epoch */
	int32_t count;
};

/* Zero fields take client-go's defaults (defaults.h), as its populateDefaults does. */
struct pt_correlator_config {
	unsigned max_lru_entries;      /* 4096, per cache */
	unsigned aggregate_max_events; /* at most PT_AGGREGATE_MAX_EVENTS_LIMIT */
	unsigned aggregate_interval_s;
	double spam_qps; /* tokens a second */
	unsigned spam_burst;
	/*
	 * Also key the token bucket on the reason, as a custom client-go
	 * SpamKeyFunc can: then one noisy reason cannot silence another
	 * about the same object. Off by default, like client-go.
	 */
	bool spam_key_with_reason;
};

#define PT_AGGREGATE_MAX_EVENTS_LIMIT 1024

enum pt_correlate_action {
	PT_CORRELATE_CREATE, /* POST the event */
	PT_CORRELATE_PATCH,  /* PATCH event.name: count, lastTimestamp, message */
	PT_CORRELATE_SKIP,   /* spam-filtered: write nothing */
};

struct pt_correlate_result {
	enum pt_correlate_action action;
	/*
	 * The event to write. For PATCH, name, first_ns and count come from the
	 * object already written. For SKIP, the event that was dropped (for
	 * logging and metrics only).
	 */
	struct pt_k8s_event event;
};

struct pt_correlator;

/* Wall-clock time in ns since the epoch. */
typedef uint64_t (*pt_clock_fn)(void *ctx);

void pt_correlator_default_config(struct pt_correlator_config *cfg);

/* cfg may be NULL for the defaults. Returns 0 or -EINVAL, -ENOMEM. */
int pt_correlator_new(const struct pt_correlator_config *cfg, pt_clock_fn now_ns, void *clock_ctx,
		      struct pt_correlator **out);
void pt_correlator_free(struct pt_correlator *c);

/*
 * Correlate one event (client-go's EventCorrelate). Fields the caller leaves
 * empty are filled the way client-go's recorder (makeEvent) fills them:
 * first_ns = now, last_ns = first_ns, count = 1, namespace_ = the involved
 * object's or "default", name = <involved name>.<hex first_ns>.
 * Returns 0 or -EINVAL (NULL argument, type not Normal/Warning), -ENOMEM.
 */
int pt_correlator_correlate(struct pt_correlator *c, const struct pt_k8s_event *in,
			    struct pt_correlate_result *out);

/*
 * Record the object as the API server returned it after a successful CREATE
 * or PATCH (client-go's UpdateState), so that the next identical event
 * patches it. Returns 0 or -EINVAL, -ENOMEM.
 */
int pt_correlator_update_state(struct pt_correlator *c, const struct pt_k8s_event *written);

/*
 * The event name client-go gives an event (GenerateEventName):
 * "<ref_name>.<lowercase hex of unix_ns>", or a random UUID when that is not
 * a valid DNS subdomain (e.g. longer than 253 characters). Returns 0 or
 * -EINVAL, -ENOBUFS (size too small), or pt_random_bytes()'s error.
 */
int pt_k8s_event_name(char *buf, size_t size, const char *ref_name, int64_t unix_ns);

#endif /* PODTRAIL_K8S_EVENT_CORRELATOR_H */
