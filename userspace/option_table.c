// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "components.h"
#include "defaults.h"
#include "http_server.h"
#include "k8s/runtime_meta.h"
#include "option_table.h"

#define FIELD(f)                                                                                   \
	.offset = offsetof(struct pt_options, f), .size = sizeof(((struct pt_options *)0)->f)
#define SWITCH(f) .kind = PT_OPT_CHOICE, FIELD(f), .choices = yes_no, .bare = "yes"
#define NUMBER(f, lo, hi, unit)                                                                    \
	.kind = PT_OPT_NUMBER, FIELD(f), .min = (lo), .max = (hi), .scale = (unit)
#define CHOICE(f, list) .kind = PT_OPT_CHOICE, FIELD(f), .choices = (list)
#define TEXT(f)		.kind = PT_OPT_TEXT, FIELD(f)
#define CUSTOM(fn)	.kind = PT_OPT_CUSTOM, .parse = (fn)

static const struct pt_opt_choice yes_no[] = {
	{ "1", 1 },	{ "true", 1 }, { "yes", 1 }, { "0", 0 },
	{ "false", 0 }, { "no", 0 },   { "", 0 },    { NULL, 0 },
};

static const struct pt_opt_choice outputs[] = {
	{ "text", PT_OUTPUT_TEXT },
	{ "json", PT_OUTPUT_JSON },
	{ NULL, 0 },
};

static const struct pt_opt_choice log_formats[] = { { "text", 0 }, { "json", 1 }, { NULL, 0 } };

static const struct pt_opt_choice attach_modes[] = {
	{ "auto", PT_ATTACH_AUTO },
	{ "tp_btf", PT_ATTACH_BTF },
	{ "tracepoint", PT_ATTACH_TRACEPOINT },
	{ NULL, 0 },
};

static const struct pt_opt_choice senders_modes[] = {
	{ "auto", PT_SENDERS_AUTO },
	{ "syscalls", PT_SENDERS_SYSCALLS },
	{ "signal_generate", PT_SENDERS_SIGNAL_GENERATE },
	{ NULL, 0 },
};

static const struct pt_opt_choice events_apis[] = {
	{ "core/v1", 0 },
	{ "v1", 0 },
	{ "events.k8s.io/v1", 1 },
	{ NULL, 0 },
};

static const struct pt_opt_choice help_formats[] = {
	{ "text", PT_HELP_TEXT },
	{ "man", PT_HELP_MAN },
	{ "markdown", PT_HELP_MARKDOWN },
	{ NULL, 0 },
};

static int parse_sandbox_names(const char *s, struct pt_options *o)
{
	char *save = NULL, *tok;

	if (strlen(s) >= sizeof(o->sandbox_names_buf))
		return -EINVAL;
	strcpy(o->sandbox_names_buf, s);
	o->nr_sandbox_names = 0;
	for (tok = strtok_r(o->sandbox_names_buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nr_sandbox_names == PT_MAX_SANDBOX_NAMES || strlen(tok) >= PT_COMM_LEN)
			return -EINVAL;
		o->sandbox_names[o->nr_sandbox_names++] = tok;
	}
	return o->nr_sandbox_names ? 0 : -EINVAL;
}

/* Checked against the built-in table now, so that a bad list fails at start-up. */
static int parse_node_components(const char *s, struct pt_options *o)
{
	struct pt_components check;

	pt_components_default(&check);
	if (pt_components_add(&check, s, NULL, 0))
		return -EINVAL;
	o->node_components = s;
	return 0;
}

/*
 * "8M", "65536", "512K": a power of two of at least 4 KiB and at most 1 GiB;
 * "auto" (0): the loader sizes it by the number of CPUs.
 */
static int parse_ringbuf_size(const char *s, struct pt_options *o)
{
	uint64_t v, mult = 1;
	char *end;

	if (!strcmp(s, "auto")) {
		o->ringbuf_bytes = 0;
		return 0;
	}
	if (!s[0] || s[0] == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = 1024;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024;
	if (mult != 1)
		end++;
	if (errno || end == s || *end || v > (1ULL << 30))
		return -EINVAL;
	v *= mult;
	if (v < 4096 || v > (1ULL << 30) || (v & (v - 1)))
		return -EINVAL;
	o->ringbuf_bytes = (uint32_t)v;
	return 0;
}

static int parse_metrics_address(const char *s, struct pt_options *o)
{
	if (!strcmp(s, "off") || !strcmp(s, "none") || !s[0]) {
		o->metrics_address = NULL;
		return 0;
	}
	if (pt_http_server_check_address(s))
		return -EINVAL;
	o->metrics_address = s;
	return 0;
}

const struct pt_option pt_option_table[] = {
	{ .name = "output",
	  .short_name = 'o',
	  .env = "PODTRAIL_OUTPUT",
	  .arg = "FORMAT",
	  .def = "text",
	  CHOICE(output, outputs),
	  .help = "standalone output: text (aligned, like kubectl get events) or json (one object "
		  "per line)" },
	{ .name = "kubeconfig",
	  .env = "PODTRAIL_KUBECONFIG",
	  .arg = "FILE",
	  TEXT(kubeconfig),
	  .help = "report to the cluster of this kubeconfig; without one, to the in-cluster "
		  "config when KUBERNETES_SERVICE_HOST is set, else run standalone" },
	{ .name = "context",
	  .env = "PODTRAIL_CONTEXT",
	  .arg = "NAME",
	  TEXT(context),
	  .help = "kubeconfig context to use instead of its current-context" },
	{ .name = "node-name",
	  .env = "PODTRAIL_NODE_NAME",
	  .arg = "NAME",
	  TEXT(node_name),
	  .help = "this node's name; without it $NODE_NAME, then the host name" },
	{ .name = "standalone",
	  .env = "PODTRAIL_STANDALONE",
	  SWITCH(standalone),
	  .help = "print events on stdout even when a cluster configuration is found" },
	{ .name = "events-api",
	  .env = "PODTRAIL_EVENTS_API",
	  .arg = "API",
	  .def = "core/v1",
	  CHOICE(events_v1, events_apis),
	  .help = "write Events as core/v1 (what kubectl describe reads) or events.k8s.io/v1" },
	{ .name = "hold-time",
	  .env = "PODTRAIL_HOLD_TIME",
	  .arg = "MS",
	  .def = PT_STR(PT_DEFAULT_HOLD_TIME_MS),
	  NUMBER(hold_ns, 0, 3600000, PT_NSEC_PER_MSEC),
	  .help = "hold an event of a pod the API server does not know yet for up to MS ms" },
	{ .name = "hold-max",
	  .env = "PODTRAIL_HOLD_MAX",
	  .arg = "N",
	  .def = PT_STR(PT_DEFAULT_HOLD_MAX),
	  NUMBER(hold_max, 1, 1000000, 1),
	  .help = "hold at most N such events" },
	{ .name = "pod-tombstone",
	  .env = "PODTRAIL_POD_TOMBSTONE",
	  .arg = "S",
	  .def = PT_STR(PT_DEFAULT_POD_TOMBSTONE_S),
	  NUMBER(pod_tombstone_ns, 0, 86400, PT_NSEC_PER_SEC),
	  .help = "remember a deleted pod for S seconds, for its containers' late events, then "
		  "forget it (expiries are batched: up to S/8, at most 1 s, later)" },
	{ .name = "queue-size",
	  .env = "PODTRAIL_QUEUE_SIZE",
	  .arg = "N",
	  .def = PT_STR(PT_DEFAULT_QUEUE_SIZE),
	  NUMBER(queue_size, 1, 1000000, 1),
	  .help = "Events waiting to be written, at most; overflow is counted and logged" },
	{ .name = "max-tries",
	  .env = "PODTRAIL_MAX_TRIES",
	  .arg = "N",
	  .def = PT_STR(PT_DEFAULT_MAX_TRIES),
	  NUMBER(max_tries, 1, 1000000, 1),
	  .help = "tries per Event write on transport errors, 5xx and 429" },
	{ .name = "spam-burst",
	  .env = "PODTRAIL_SPAM_BURST",
	  .arg = "N",
	  .def = PT_STR(PT_DEFAULT_SPAM_BURST),
	  NUMBER(spam_burst, 1, 1000000, 1),
	  .help = "spam filter: Events per object and type in a burst, as client-go" },
	{ .name = "spam-refill",
	  .env = "PODTRAIL_SPAM_REFILL",
	  .arg = "S",
	  .def = PT_STR(PT_DEFAULT_SPAM_REFILL_S),
	  NUMBER(spam_refill_ns, 1, 86400 * 7, PT_NSEC_PER_SEC),
	  .help = "spam filter: one more Event allowed every S seconds, as client-go" },
	{ .name = "aggregate-max",
	  .env = "PODTRAIL_AGGREGATE_MAX",
	  .arg = "N",
	  .def = PT_STR(PT_DEFAULT_AGGREGATE_MAX),
	  NUMBER(aggregate_max, 1, 1000000, 1),
	  .help = "combine similar Events after N of them within --aggregate-window, as "
		  "client-go" },
	{ .name = "aggregate-window",
	  .env = "PODTRAIL_AGGREGATE_WINDOW",
	  .arg = "S",
	  .def = PT_STR(PT_DEFAULT_AGGREGATE_WINDOW_S),
	  NUMBER(aggregate_window_ns, 1, 86400 * 7, PT_NSEC_PER_SEC),
	  .help = "the window of --aggregate-max, in seconds, as client-go" },
	{ .name = "shutdown-grace",
	  .env = "PODTRAIL_SHUTDOWN_GRACE",
	  .arg = "MS",
	  .def = PT_STR(PT_DEFAULT_SHUTDOWN_GRACE_MS),
	  NUMBER(shutdown_grace_ns, 0, 600000, PT_NSEC_PER_MSEC),
	  .help = "on SIGTERM, keep writing queued Events for up to MS ms" },
	{ .name = "containerd-state",
	  .env = "PODTRAIL_CONTAINERD_STATE",
	  .arg = "DIR",
	  .def = PT_RUNTIME_CONTAINERD_STATE,
	  TEXT(containerd_state),
	  .help = "containerd's state directory, whose task bundles say which process is a "
		  "container's main one" },
	{ .name = "crio-state",
	  .env = "PODTRAIL_CRIO_STATE",
	  .arg = "DIR",
	  .def = PT_RUNTIME_CRIO_STATE,
	  TEXT(crio_state),
	  .help = "CRI-O's containers/storage run root" },
	{ .name = "crio-storage",
	  .env = "PODTRAIL_CRIO_STORAGE",
	  .arg = "DIR",
	  .def = PT_RUNTIME_CRIO_STORAGE,
	  TEXT(crio_storage),
	  .help = "CRI-O's containers/storage root" },
	{ .name = "docker-root",
	  .env = "PODTRAIL_DOCKER_ROOT",
	  .arg = "DIR",
	  .def = PT_RUNTIME_DOCKER_ROOT,
	  TEXT(docker_root),
	  .help = "docker's data root" },
	{ .name = "no-runtime-metadata",
	  .env = "PODTRAIL_NO_RUNTIME_METADATA",
	  SWITCH(no_runtime_metadata),
	  .help = "never read the container runtimes' files: names come from the API server "
		  "alone, and a container's main process is known only as the init of its own "
		  "pid namespace" },
	{ .name = "insecure-skip-tls-verify-of-the-api-server",
	  .env = "PODTRAIL_INSECURE_SKIP_TLS_VERIFY_OF_THE_API_SERVER",
	  SWITCH(insecure_skip_tls_verify),
	  .help = "honour a kubeconfig's insecure-skip-tls-verify: anyone on the path can read "
		  "the token and forge the API server (refused without this flag)" },
	{ .name = "sandbox-names",
	  .env = "PODTRAIL_SANDBOX_NAMES",
	  .arg = "LIST",
	  .def = PT_DEFAULT_SANDBOX_NAMES,
	  CUSTOM(parse_sandbox_names),
	  .help = "comma-separated process names of pod sandboxes (max 4)" },
	{ .name = "node-components",
	  .env = "PODTRAIL_NODE_COMPONENTS",
	  .arg = "LIST",
	  CUSTOM(parse_node_components),
	  .help = "comma-separated process names of more node daemons to report on the Node "
		  "when they end, besides the built-in ones (kubelet, containerd, crio, dockerd, "
		  "...)" },
	{ .name = "ringbuf-size",
	  .env = "PODTRAIL_RINGBUF_SIZE",
	  .arg = "BYTES",
	  .def = PT_DEFAULT_RINGBUF_SIZE,
	  CUSTOM(parse_ringbuf_size),
	  .help = "ring buffer size, a power of two, K/M suffix allowed; auto is 64K for each "
		  "possible CPU, at least 256K and at most 16M" },
	{ .name = "wakeup-interval",
	  .env = "PODTRAIL_WAKEUP_INTERVAL",
	  .arg = "MS",
	  .def = PT_STR(PT_DEFAULT_WAKEUP_INTERVAL_MS),
	  NUMBER(wakeup_interval_ns, 0, 1000, PT_NSEC_PER_MSEC),
	  .help = "wake the reader at most once per MS milliseconds per CPU (0-1000); OOM kills "
		  "and sandbox deaths always wake it at once" },
	{ .name = "attach",
	  .env = "PODTRAIL_ATTACH",
	  .arg = "MODE",
	  .def = "auto",
	  CHOICE(attach, attach_modes),
	  .help = "auto (tp_btf where it loads, else tracepoint), tp_btf or tracepoint" },
	{ .name = "senders",
	  .env = "PODTRAIL_SENDERS",
	  .arg = "MODE",
	  .def = "auto",
	  CHOICE(senders, senders_modes),
	  .help = "where the sender of a fatal signal is learnt: syscalls (the kill family of "
		  "system calls; nothing runs for the SIGCHLD of every exit), signal_generate "
		  "(every signal, SIGCHLD included), or auto (syscalls where the kernel has "
		  "their tracepoints)" },
	{ .name = "metrics-address",
	  .env = "PODTRAIL_METRICS_ADDRESS",
	  .arg = "ADDR",
	  .def = PT_DEFAULT_METRICS_ADDRESS,
	  CUSTOM(parse_metrics_address),
	  .help = "serve /metrics, /healthz and /readyz on HOST:PORT ([V6]:PORT, :PORT for all "
		  "interfaces, port 0 picks one), or 'off'" },
	{ .name = "log-format",
	  .env = "PODTRAIL_LOG_FORMAT",
	  .arg = "FORMAT",
	  .def = "text",
	  CHOICE(log_json, log_formats),
	  .help = "stderr log lines as text or json" },
	{ .name = "verbose",
	  .short_name = 'v',
	  .env = "PODTRAIL_VERBOSE",
	  .arg = "LEVEL",
	  .def = "0",
	  NUMBER(verbose, 0, 9, 1),
	  .help = "log verbosity on stderr: 0 errors, 1 start-up and events, 2 libbpf debug" },
	{ .name = "version", SWITCH(version), .help = "print the version and exit" },
	{ .name = "help",
	  .short_name = 'h',
	  .arg = "FORMAT",
	  .bare = "text",
	  CHOICE(help, help_formats),
	  .help = "show this help and exit; as a man page with =man, as README's table with "
		  "=markdown" },
};

const size_t pt_option_count = sizeof(pt_option_table) / sizeof(pt_option_table[0]);
