// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include "classify.h"
#include "identity.h"
#include "k8s/api_stats.h"
#include "metric_table.h"

#define COUNTER(n, h) .name = (n), .type = PT_METRIC_COUNTER, .help = (h)
#define GAUGE(n, h)   .name = (n), .type = PT_METRIC_GAUGE, .help = (h)
#define AT(field)     .offset = offsetof(struct pt_metrics_snapshot, field)
#define KERNEL(i)     AT(kernel[i])
#define K8S(field)    AT(cluster.field), .kubernetes = true

/* kernel_records_total reads them as one row: exit, oom, cgroup. */
_Static_assert(PT_CNT_OOM_SENT == PT_CNT_EXIT_SENT + 1 && PT_CNT_CGROUP_SENT == PT_CNT_OOM_SENT + 1,
	       "exit, OOM and cgroup records side by side");

static const char *record_kind(int i)
{
	static const char *const kinds[] = { "exit", "oom", "cgroup" };

	return kinds[i];
}

static const char *reason_name(int i)
{
	return pt_reason_name((enum pt_reason)i);
}

static const char *role_name(int i)
{
	return pt_role_name((enum pt_process_role)i);
}

static void api_requests(FILE *f, const struct pt_metrics_snapshot *s)
{
	const struct pt_api_stats *api = s->cluster.api;

	pt_metrics_header(f, "api_requests_total", PT_METRIC_COUNTER,
			  "API server requests by verb and HTTP status (code 0: transport error).");
	for (size_t i = 0; api && i < api->n_requests; i++)
		fprintf(f, "podtrail_api_requests_total{verb=\"%s\",code=\"%ld\"} %llu\n",
			api->requests[i].verb, api->requests[i].code,
			(unsigned long long)api->requests[i].count);
}

static void api_latency(FILE *f, const struct pt_metrics_snapshot *s)
{
	static const struct pt_api_stats none;
	const struct pt_api_stats *api = s->cluster.api ? s->cluster.api : &none;
	uint64_t cum = 0;

	pt_metrics_header(f, "api_request_duration_seconds", PT_METRIC_HISTOGRAM,
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

const struct pt_metric pt_metric_table[] = {
	/* The kernel side. */
	{ COUNTER("kernel_records_total", "Records the BPF programs sent to userspace, by kind."),
	  KERNEL(PT_CNT_EXIT_SENT), .label = "kind", .label_of = record_kind, .n = 3,
	  .total = "records_sent" },
	{ KERNEL(PT_CNT_OOM_SENT), .total = "oom_kills" }, /* kernel_records_total{kind="oom"} */
	/* kernel_records_total{kind="cgroup"}: no exit's, so apart from records_sent in the totals */
	{ KERNEL(PT_CNT_CGROUP_SENT), .total = "cgroup_records_sent" },
	{ COUNTER("exits_seen_total", "Process exits seen in the kernel (threads excluded)."),
	  KERNEL(PT_CNT_EXIT_SEEN), .total = "exits_seen" },
	{ COUNTER("exits_filtered_in_kernel_total",
		  "Boring exits counted in the kernel and never sent."),
	  KERNEL(PT_CNT_EXIT_BORING), .total = "filtered_in_kernel" },
	{ COUNTER("thread_exits_total", "Thread exits that did not end their process."),
	  KERNEL(PT_CNT_THREAD_EXIT), .total = "thread_exits" },
	{ COUNTER("fatal_signals_total", "Fatal signals whose sender was remembered."),
	  KERNEL(PT_CNT_SIGNAL_FATAL), .total = "fatal_signals" },
	{ COUNTER("ringbuf_lost_total", "Records lost: failed ring-buffer reservations."),
	  KERNEL(PT_CNT_RINGBUF_LOST), .total = "lost" },
	{ COUNTER("kernel_wakeups_total", "Ring-buffer submits that woke the reader."),
	  KERNEL(PT_CNT_WAKEUPS), .total = "wakeups" },
	/* The reader and the pipeline. */
	{ COUNTER("reader_wakeups_total", "Times the kernel woke the ring-buffer reader."),
	  AT(reader.wakeups) },
	{ COUNTER("reader_polls_total",
		  "Polls of the ring buffer after a wake-up, by whether they found records."),
	  AT(reader.polls), .labels = "found=\"any\"", .total = "polls" },
	{ .name = "reader_polls_total",
	  .type = PT_METRIC_COUNTER, /* HELP: the row above */
	  AT(reader.empty_polls),
	  .labels = "found=\"none\"",
	  .total = "empty_polls" },
	{ COUNTER("records_read_total", "Records read from the ring buffer."), AT(pipeline.records),
	  .total = "records_read" },
	{ COUNTER("decode_errors_total", "Records that failed to decode."),
	  AT(pipeline.decode_errors), .total = "decode_errors" },
	{ COUNTER("exits_ignored_total", "Records that made no event (e.g. a child's exit 1)."),
	  AT(pipeline.ignored), .total = "ignored" },
	{ COUNTER("oom_records_total", "OOM-kill marks read (one per victim)."),
	  AT(pipeline.oom_records) },
	{ COUNTER("sink_errors_total", "Reports the output or the Event queue refused."),
	  AT(sink_errors) },
	{ COUNTER("events_emitted_total", "Events reported, by reason."), AT(pipeline.by_reason),
	  .label = "reason", .label_of = reason_name, .n = PT_REASON__COUNT,
	  .total = "events_emitted" },
	{ COUNTER(
	      "exits_by_role_total",
	      "Exits read, by what the process was to its container (none: not a container's)."),
	  AT(pipeline.by_role), .label = "role", .label_of = role_name, .n = PT_ROLE_SANDBOX + 1 },
	{ COUNTER("component_exits_total", "Exits of the node's own components read."),
	  AT(pipeline.component_exits) },
	/* cgroup id -> path. */
	{ COUNTER("cgroup_records_total", "cgroup mkdir and rmdir records read."),
	  AT(pipeline.cgroup_records) },
	{ COUNTER("cgroups_named_by_kernel_total",
		  "cgroup names records read: cgroups older than the agent that its walk did not "
		  "see (in a pod's cgroup namespace), named by the kernel."),
	  AT(pipeline.cgroup_names_records) },
	{ COUNTER("cgroup_paths_cut_total",
		  "cgroups not learnt: the kernel cut their path (longer than 1023 bytes)."),
	  AT(pipeline.cgroup_paths_cut) },
	{ GAUGE("cgroups_known",
		"cgroups whose path is known, removed ones in their grace time too."),
	  AT(cgroup_ids.entries), .total = "cgroups" },
	{ GAUGE("cgroups_removed_held", "Removed cgroups kept for late records (60 s)."),
	  AT(cgroup_ids.removed) },
	{ COUNTER("cgroups_learnt_total",
		  "cgroups learnt, from the walk at start, mkdir and names records."),
	  AT(cgroup_ids.added) },
	{ COUNTER("cgroups_forgotten_total", "Removed cgroups forgotten after their grace time."),
	  AT(cgroup_ids.expired) },
	{ COUNTER("cgroup_id_misses_total",
		  "cgroup ids of records not known: their events name no cgroup; must stay 0."),
	  AT(cgroup_ids.misses), .total = "cgroup_misses" },
	/* The runtimes' records. */
	{ GAUGE("runtime_containers", "Containers whose runtime records are kept."),
	  AT(runtime.containers) },
	{ COUNTER("runtime_main_pids_total", "Main-process pids read from the runtimes' files."),
	  AT(runtime.main_pids) },
	{ COUNTER("runtime_execs_total", "Exec'd processes read from the runtimes' files."),
	  AT(runtime.execs) },
	{ COUNTER("runtime_read_errors_total",
		  "Runtime files that could not be read or made no sense."),
	  AT(runtime.read_errors) },
	{ COUNTER("runtime_watch_overflows_total",
		  "inotify queue overflows: the runtimes' directories were read again."),
	  AT(runtime.overflows) },
	{ COUNTER("runtime_table_full_total", "Containers not tracked because the table was full."),
	  AT(runtime.table_full) },
	/* The Kubernetes side: 0 when standalone. */
	{ COUNTER("events_spam_filtered_total", "Events dropped by the spam filter."),
	  K8S(sink.spam_filtered), .total = "spam_filtered" },
	{ COUNTER("events_aggregated_total", "Events combined into a similar-events Event."),
	  K8S(sink.aggregated), .total = "aggregated" },
	{ COUNTER("events_queue_overflow_total", "Events dropped because the queue was full."),
	  K8S(sink.queue_overflow), .total = "queue_overflow" },
	{ COUNTER("events_written_total", "Event writes the API server accepted, by verb."),
	  K8S(sink.created), .labels = "verb=\"POST\"", .total = "events_created" },
	{ .name = "events_written_total",
	  .type = PT_METRIC_COUNTER, /* HELP: the row above */
	  K8S(sink.patched),
	  .labels = "verb=\"PATCH\"",
	  .total = "events_patched" },
	{ COUNTER("event_write_retries_total", "Event writes tried again."), K8S(sink.retries),
	  .total = "retries" },
	{ COUNTER("event_write_failures_total", "Event writes given up on."), K8S(sink.failed),
	  .total = "write_failures" },
	{ GAUGE("events_queued", "Events waiting to be written."), K8S(queued),
	  .total = "pending" },
	{ COUNTER("watch_restarts_total", "Pod watches that ended and were started again."),
	  K8S(watcher.restarts) },
	{ COUNTER("pod_relists_total", "Pod re-lists after 410 Gone."), K8S(watcher.relists_gone),
	  .total = "relists_gone" },
	{ GAUGE("pods_cached", "Pods of this node in the cache."), K8S(pods_cached),
	  .total = "pods" },
	{ GAUGE("pods_tombstoned", "Deleted pods kept for their containers' late events."),
	  K8S(pods_tombstoned), .total = "tombstones" },
	{ COUNTER("pods_expired_total", "Deleted pods forgotten after the tombstone time."),
	  K8S(watcher.expired), .total = "expired" },
	{ COUNTER("pod_watch_events_total", "Pod watch events applied to the cache."),
	  K8S(watcher.watch_events) },
	{ COUNTER("pods_malformed_total", "Pods from the API server that did not parse (skipped)."),
	  K8S(watcher.bad_objects), .total = "bad_pods" },
	{ COUNTER("events_to_api_total", "Reports handed to the Event writer."),
	  K8S(sink.received) },
	{ COUNTER("events_attributed_by_api_total", "Events attributed from the pod cache."),
	  K8S(attributor.from_api), .total = "attributed_api" },
	{ COUNTER("events_held_total", "Events that waited for their pod to be known."),
	  K8S(attributor.held), .total = "held" },
	{ COUNTER("events_pod_only_total",
		  "Events attributed to their pod alone: the container stayed unknown."),
	  K8S(attributor.pod_only), .total = "pod_only" },
	{ COUNTER("node_events_total", "Events of host processes, reported on the Node."),
	  K8S(attributor.node), .total = "node_events" },
	{ COUNTER("pod_lists_total", "Pod lists started."), K8S(watcher.lists), .total = "lists" },
	{ COUNTER("pod_watches_total", "Pod watches started."), K8S(watcher.watches),
	  .total = "watches" },
	{ COUNTER("pod_watch_failures_total", "Pod lists and watches that failed."),
	  K8S(watcher.failures), .total = "api_failures" },
	{ COUNTER("events_merged_total", "Reports folded into a queued write of the same Event."),
	  K8S(sink.merged), .total = "merged" },
	{ COUNTER("events_hold_overflow_total",
		  "Held events released early because the hold was full."),
	  K8S(attributor.hold_overflow) },
	{ GAUGE("events_awaiting_attribution", "Events held until their pod is known."),
	  K8S(awaiting_attribution) },
	{ COUNTER("events_attributed_late_total", "Held events attributed once the pod appeared."),
	  K8S(attributor.late), .total = "late" },
	{ COUNTER("events_attributed_by_runtime_total",
		  "Events attributed from the container runtime's metadata."),
	  K8S(attributor.from_runtime), .total = "attributed_runtime" },
	{ COUNTER("events_unattributed_total", "Events dropped: no pod with their uid."),
	  K8S(attributor.unattributed), .total = "unattributed" },
	/* Families of their own shape: their HELP and TYPE are their renderers'. */
	{ .name = "api_requests_total", .type = PT_METRIC_COUNTER, .render = api_requests },
	{ .name = "api_request_duration_seconds",
	  .type = PT_METRIC_HISTOGRAM,
	  .render = api_latency },
};

const size_t pt_metric_count = sizeof(pt_metric_table) / sizeof(pt_metric_table[0]);
