// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "cluster.h"
#include "k8s/api_stats.h"
#include "loader.h"
#include "metrics.h"
#include "pipeline.h"

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP podtrail_%s %s\n# TYPE podtrail_%s %s\n", name, help, name, type);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	header(f, name, strstr(name, "_total") ? "counter" : "gauge", help);
	fprintf(f, "podtrail_%s %llu\n", name, (unsigned long long)v);
}

static const char *reason_name(int i)
{
	return pt_reason_name((enum pt_reason)i);
}

static const char *role_name(int i)
{
	return pt_role_name((enum pt_process_role)i);
}

/* One counter with a label: value i is labelled name_of(i). */
static void labelled(FILE *f, const char *name, const char *help, const char *label,
		     const char *(*name_of)(int), const uint64_t *values, int n)
{
	header(f, name, "counter", help);
	for (int i = 0; i < n; i++)
		fprintf(f, "podtrail_%s{%s=\"%s\"} %llu\n", name, label, name_of(i),
			(unsigned long long)values[i]);
}

static void kernel_metrics(FILE *f, const uint64_t c[PT_CNT__MAX])
{
	header(f, "kernel_records_total", "counter",
	       "Records the BPF programs sent to userspace, by kind.");
	fprintf(f, "podtrail_kernel_records_total{kind=\"exit\"} %llu\n",
		(unsigned long long)c[PT_CNT_EXIT_SENT]);
	fprintf(f, "podtrail_kernel_records_total{kind=\"oom\"} %llu\n",
		(unsigned long long)c[PT_CNT_OOM_SENT]);
	counter(f, "exits_seen_total", "Process exits seen in the kernel (threads excluded).",
		c[PT_CNT_EXIT_SEEN]);
	counter(f, "exits_filtered_in_kernel_total",
		"Boring exits counted in the kernel and never sent.", c[PT_CNT_EXIT_BORING]);
	counter(f, "thread_exits_total", "Thread exits that did not end their process.",
		c[PT_CNT_THREAD_EXIT]);
	counter(f, "fatal_signals_total", "Fatal signals whose sender was remembered.",
		c[PT_CNT_SIGNAL_FATAL]);
	counter(f, "ringbuf_lost_total", "Records lost: failed ring-buffer reservations.",
		c[PT_CNT_RINGBUF_LOST]);
	counter(f, "kernel_wakeups_total", "Ring-buffer submits that woke the reader.",
		c[PT_CNT_WAKEUPS]);
}

static void pipeline_metrics(FILE *f, const struct pt_pipeline *p)
{
	counter(f, "records_read_total", "Records read from the ring buffer.", p->stats.records);
	counter(f, "decode_errors_total", "Records that failed to decode.", p->stats.decode_errors);
	counter(f, "exits_ignored_total", "Records that made no event (e.g. a child's exit 1).",
		p->stats.ignored);
	counter(f, "oom_records_total", "OOM-kill marks read (one per victim).",
		p->stats.oom_records);
	counter(f, "sink_errors_total", "Reports the output or the Event queue refused.",
		p->sink_errors);
	labelled(f, "events_emitted_total", "Events reported, by reason.", "reason", reason_name,
		 p->stats.by_reason, PT_REASON__COUNT);
	labelled(f, "exits_by_role_total",
		 "Exits read, by what the process was to its container (none: not a container's).",
		 "role", role_name, p->stats.by_role, PT_ROLE_SANDBOX + 1);
	counter(f, "component_exits_total", "Exits of the node's own components read.",
		p->stats.component_exits);
}

static void runtime_metrics(FILE *f, const struct pt_runtime_state *rs)
{
	static const struct pt_runtime_state_stats none;
	const struct pt_runtime_state_stats *s = rs ? pt_runtime_state_stats(rs) : &none;

	counter(f, "runtime_containers", "Containers whose runtime records are kept.",
		s->containers);
	counter(f, "runtime_main_pids_total", "Main-process pids read from the runtimes' files.",
		s->main_pids);
	counter(f, "runtime_execs_total", "Exec'd processes read from the runtimes' files.",
		s->execs);
	counter(f, "runtime_read_errors_total",
		"Runtime files that could not be read or made no sense.", s->read_errors);
	counter(f, "runtime_watch_overflows_total",
		"inotify queue overflows: the runtimes' directories were read again.",
		s->overflows);
	counter(f, "runtime_table_full_total", "Containers not tracked because the table was full.",
		s->table_full);
}

static void api_metrics(FILE *f, const struct pt_api_stats *api)
{
	static const struct pt_api_stats none;
	uint64_t cum = 0;

	if (!api)
		api = &none;
	header(f, "api_requests_total", "counter",
	       "API server requests by verb and HTTP status (code 0: transport error).");
	for (size_t i = 0; i < api->n_requests; i++)
		fprintf(f, "podtrail_api_requests_total{verb=\"%s\",code=\"%ld\"} %llu\n",
			api->requests[i].verb, api->requests[i].code,
			(unsigned long long)api->requests[i].count);
	header(f, "api_request_duration_seconds", "histogram",
	       "API server request latency (watches: their whole life).");
	for (int b = 0; b < PT_API_LATENCY_BUCKETS; b++) {
		cum += api->latency_buckets[b];
		fprintf(f, "podtrail_api_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			pt_api_latency_bounds[b], (unsigned long long)cum);
	}
	cum += api->latency_buckets[PT_API_LATENCY_BUCKETS];
	fprintf(f, "podtrail_api_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)cum);
	fprintf(f, "podtrail_api_request_duration_seconds_sum %g\n", api->latency_sum_s);
	fprintf(f, "podtrail_api_request_duration_seconds_count %llu\n",
		(unsigned long long)api->latency_count);
}

static void cluster_metrics(FILE *f, const struct pt_cluster *c)
{
	struct pt_cluster_metrics m;

	memset(&m, 0, sizeof(m));
	if (c)
		pt_cluster_metrics(c, &m);
	counter(f, "events_spam_filtered_total", "Events dropped by the spam filter.",
		m.spam_filtered);
	counter(f, "events_aggregated_total", "Events combined into a similar-events Event.",
		m.aggregated);
	counter(f, "events_queue_overflow_total", "Events dropped because the queue was full.",
		m.queue_overflow);
	header(f, "events_written_total", "counter",
	       "Event writes the API server accepted, by verb.");
	fprintf(f, "podtrail_events_written_total{verb=\"POST\"} %llu\n",
		(unsigned long long)m.created);
	fprintf(f, "podtrail_events_written_total{verb=\"PATCH\"} %llu\n",
		(unsigned long long)m.patched);
	counter(f, "event_write_retries_total", "Event writes tried again.", m.write_retries);
	counter(f, "event_write_failures_total", "Event writes given up on.", m.write_failures);
	counter(f, "events_queued", "Events waiting to be written.", m.queued);
	counter(f, "watch_restarts_total", "Pod watches that ended and were started again.",
		m.watch_restarts);
	counter(f, "pod_relists_total", "Pod re-lists after 410 Gone.", m.relists_gone);
	counter(f, "pods_cached", "Pods of this node in the cache.", m.pods_cached);
	counter(f, "pods_tombstoned", "Deleted pods kept for their containers' late events.",
		m.pods_tombstoned);
	counter(f, "pods_expired_total", "Deleted pods forgotten after the tombstone time.",
		m.pods_expired);
	counter(f, "pod_watch_events_total", "Pod watch events applied to the cache.",
		m.watch_events);
	counter(f, "pods_malformed_total", "Pods from the API server that did not parse (skipped).",
		m.bad_objects);
	counter(f, "events_to_api_total", "Reports handed to the Event writer.", m.sink_received);
	counter(f, "events_attributed_by_api_total", "Events attributed from the pod cache.",
		m.attributed_api);
	counter(f, "events_held_total", "Events that waited for their pod to be known.", m.held);
	counter(f, "events_pod_only_total",
		"Events attributed to their pod alone: the container stayed unknown.", m.pod_only);
	counter(f, "node_events_total", "Events of host processes, reported on the Node.",
		m.node_events);
	counter(f, "pod_lists_total", "Pod lists started.", m.lists);
	counter(f, "pod_watches_total", "Pod watches started.", m.watches);
	counter(f, "pod_watch_failures_total", "Pod lists and watches that failed.",
		m.watch_failures);
	counter(f, "events_merged_total", "Reports folded into a queued write of the same Event.",
		m.merged);
	counter(f, "events_hold_overflow_total",
		"Held events released early because the hold was full.", m.hold_overflow);
	counter(f, "events_awaiting_attribution", "Events held until their pod is known.",
		m.awaiting_attribution);
	counter(f, "events_attributed_late_total", "Held events attributed once the pod appeared.",
		m.attributed_late);
	counter(f, "events_attributed_by_runtime_total",
		"Events attributed from the container runtime's metadata.", m.attributed_runtime);
	counter(f, "events_unattributed_total", "Events dropped: no pod with their uid.",
		m.unattributed);
	api_metrics(f, m.api);
}

int pt_metrics_write(const struct pt_metrics_sources *src, FILE *f)
{
	uint64_t c[PT_CNT__MAX];
	int e = pt_loader_read_counters(src->loader, c);

	if (e)
		return e;
	kernel_metrics(f, c);
	pipeline_metrics(f, src->pipeline);
	runtime_metrics(f, src->pipeline->runtime);
	cluster_metrics(f, src->cluster);
	return ferror(f) ? -EIO : 0;
}
