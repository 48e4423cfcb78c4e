// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "http_server.h"
#include "options.h"

enum opt_id {
	OPT_OUTPUT = 'o',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_KUBECONFIG = 256,
	OPT_NODE_NAME,
	OPT_STANDALONE,
	OPT_SANDBOX_NAMES,
	OPT_NODE_COMPONENTS,
	OPT_RINGBUF_SIZE,
	OPT_WAKEUP_INTERVAL,
	OPT_ATTACH,
	OPT_VERSION,
	OPT_CONTEXT,
	OPT_EVENTS_API,
	OPT_HOLD_TIME,
	OPT_HOLD_MAX,
	OPT_POD_TOMBSTONE,
	OPT_QUEUE_SIZE,
	OPT_MAX_TRIES,
	OPT_SPAM_BURST,
	OPT_SPAM_REFILL,
	OPT_AGGREGATE_MAX,
	OPT_AGGREGATE_WINDOW,
	OPT_SHUTDOWN_GRACE,
	OPT_CONTAINERD_STATE,
	OPT_CRIO_STATE,
	OPT_CRIO_STORAGE,
	OPT_DOCKER_ROOT,
	OPT_NO_RUNTIME_METADATA,
	OPT_INSECURE,
	OPT_METRICS_ADDRESS,
	OPT_LOG_FORMAT,
};

struct opt_doc {
	struct option opt;
	const char *env; /* NULL: no environment variable */
	const char *arg;
	const char *help;
};

static const struct opt_doc docs[] = {
	{ { "output", required_argument, NULL, OPT_OUTPUT },
	  "PODTRAIL_OUTPUT",
	  "FORMAT",
	  "standalone output: text (aligned, like kubectl get events) or json (one object per "
	  "line); default text" },
	{ { "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	  "PODTRAIL_KUBECONFIG",
	  "FILE",
	  "report to the cluster of this kubeconfig (default: in-cluster config when "
	  "KUBERNETES_SERVICE_HOST is set, else standalone)" },
	{ { "context", required_argument, NULL, OPT_CONTEXT },
	  "PODTRAIL_CONTEXT",
	  "NAME",
	  "kubeconfig context to use (default: its current-context)" },
	{ { "node-name", required_argument, NULL, OPT_NODE_NAME },
	  "PODTRAIL_NODE_NAME",
	  "NAME",
	  "this node's name (default $NODE_NAME, then the host name)" },
	{ { "standalone", no_argument, NULL, OPT_STANDALONE },
	  "PODTRAIL_STANDALONE",
	  NULL,
	  "print events on stdout even when a cluster configuration is found" },
	{ { "events-api", required_argument, NULL, OPT_EVENTS_API },
	  "PODTRAIL_EVENTS_API",
	  "API",
	  "write Events as core/v1 (default, what kubectl describe reads) or events.k8s.io/v1" },
	{ { "hold-time", required_argument, NULL, OPT_HOLD_TIME },
	  "PODTRAIL_HOLD_TIME",
	  "MS",
	  "hold an event of a pod the API server does not know yet for up to MS ms (default "
	  "10000)" },
	{ { "hold-max", required_argument, NULL, OPT_HOLD_MAX },
	  "PODTRAIL_HOLD_MAX",
	  "N",
	  "hold at most N such events (default 1000)" },
	{ { "pod-tombstone", required_argument, NULL, OPT_POD_TOMBSTONE },
	  "PODTRAIL_POD_TOMBSTONE",
	  "S",
	  "remember a deleted pod for S seconds, for its containers' late events, then forget it "
	  "(default 120)" },
	{ { "queue-size", required_argument, NULL, OPT_QUEUE_SIZE },
	  "PODTRAIL_QUEUE_SIZE",
	  "N",
	  "Events waiting to be written, at most; overflow is counted and logged (default 1000)" },
	{ { "max-tries", required_argument, NULL, OPT_MAX_TRIES },
	  "PODTRAIL_MAX_TRIES",
	  "N",
	  "tries per Event write on transport errors, 5xx and 429 (default 12)" },
	{ { "spam-burst", required_argument, NULL, OPT_SPAM_BURST },
	  "PODTRAIL_SPAM_BURST",
	  "N",
	  "spam filter: Events per object and type in a burst (default 25, as client-go)" },
	{ { "spam-refill", required_argument, NULL, OPT_SPAM_REFILL },
	  "PODTRAIL_SPAM_REFILL",
	  "S",
	  "spam filter: one more Event allowed every S seconds (default 300, as client-go)" },
	{ { "aggregate-max", required_argument, NULL, OPT_AGGREGATE_MAX },
	  "PODTRAIL_AGGREGATE_MAX",
	  "N",
	  "combine similar Events after N of them (default 10, as client-go)" },
	{ { "aggregate-window", required_argument, NULL, OPT_AGGREGATE_WINDOW },
	  "PODTRAIL_AGGREGATE_WINDOW",
	  "S",
	  "... within S seconds (default 600, as client-go)" },
	{ { "shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE },
	  "PODTRAIL_SHUTDOWN_GRACE",
	  "MS",
	  "on SIGTERM, keep writing queued Events for up to MS ms (default 5000)" },
	{ { "containerd-state", required_argument, NULL, OPT_CONTAINERD_STATE },
	  "PODTRAIL_CONTAINERD_STATE",
	  "DIR",
	  "containerd's state directory, whose task bundles say which process is a container's "
	  "main one (default /run/containerd)" },
	{ { "crio-state", required_argument, NULL, OPT_CRIO_STATE },
	  "PODTRAIL_CRIO_STATE",
	  "DIR",
	  "CRI-O's containers/storage run root (default /run/containers/storage)" },
	{ { "crio-storage", required_argument, NULL, OPT_CRIO_STORAGE },
	  "PODTRAIL_CRIO_STORAGE",
	  "DIR",
	  "CRI-O's containers/storage root (default /var/lib/containers/storage)" },
	{ { "docker-root", required_argument, NULL, OPT_DOCKER_ROOT },
	  "PODTRAIL_DOCKER_ROOT",
	  "DIR",
	  "docker's data root (default /var/lib/docker)" },
	{ { "no-runtime-metadata", no_argument, NULL, OPT_NO_RUNTIME_METADATA },
	  "PODTRAIL_NO_RUNTIME_METADATA",
	  NULL,
	  "never read the container runtimes' files: names come from the API server alone, and a "
	  "container's main process is known only as the init of its own pid namespace" },
	{ { "insecure-skip-tls-verify-of-the-api-server", no_argument, NULL, OPT_INSECURE },
	  "PODTRAIL_INSECURE_SKIP_TLS_VERIFY_OF_THE_API_SERVER",
	  NULL,
	  "honour a kubeconfig's insecure-skip-tls-verify: anyone on the path can read the token "
	  "and forge the API server (refused without this flag)" },
	{ { "sandbox-names", required_argument, NULL, OPT_SANDBOX_NAMES },
	  "PODTRAIL_SANDBOX_NAMES",
	  "LIST",
	  "comma-separated process names of pod sandboxes (max 4; default pause)" },
	{ { "node-components", required_argument, NULL, OPT_NODE_COMPONENTS },
	  "PODTRAIL_NODE_COMPONENTS",
	  "LIST",
	  "comma-separated process names of more node daemons to report on the Node when they "
	  "end, besides the built-in ones (kubelet, containerd, crio, dockerd, ...)" },
	{ { "ringbuf-size", required_argument, NULL, OPT_RINGBUF_SIZE },
	  "PODTRAIL_RINGBUF_SIZE",
	  "BYTES",
	  "ring buffer size, a power of two, K/M suffix allowed (default 8M)" },
	{ { "wakeup-interval", required_argument, NULL, OPT_WAKEUP_INTERVAL },
	  "PODTRAIL_WAKEUP_INTERVAL",
	  "MS",
	  "wake the reader at most once per MS milliseconds per CPU (0-1000; default 5); OOM "
	  "kills and sandbox deaths always wake it at once" },
	{ { "attach", required_argument, NULL, OPT_ATTACH },
	  "PODTRAIL_ATTACH",
	  "MODE",
	  "auto (tp_btf where it loads, else tracepoint), tp_btf or tracepoint; default auto" },
	{ { "metrics-address", required_argument, NULL, OPT_METRICS_ADDRESS },
	  "PODTRAIL_METRICS_ADDRESS",
	  "ADDR",
	  "serve /metrics, /healthz and /readyz on HOST:PORT ([V6]:PORT, :PORT for all "
	  "interfaces, port 0 picks one), or 'off'; default 127.0.0.1:9090" },
	{ { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	  "PODTRAIL_LOG_FORMAT",
	  "FORMAT",
	  "stderr log lines as text (default) or json" },
	{ { "verbose", required_argument, NULL, OPT_VERBOSE },
	  "PODTRAIL_VERBOSE",
	  "LEVEL",
	  "log verbosity on stderr: 0 errors, 1 start-up and events, 2 libbpf debug; default 0" },
	{ { "version", no_argument, NULL, OPT_VERSION }, NULL, NULL, "print the version and exit" },
	{ { "help", no_argument, NULL, OPT_HELP }, NULL, NULL, "show this help and exit" },
};

#define NDOCS (sizeof(docs) / sizeof(docs[0]))

void pt_options_usage(FILE *f)
{
	fprintf(f, "Usage: podtrail [OPTION]...\n"
		   "Report why container processes exit, crash and get OOM-killed, as Kubernetes "
		   "Events\nor, without a cluster, as lines on stdout.\n\nOptions:\n");
	for (size_t i = 0; i < NDOCS; i++) {
		char left[64];
		const struct opt_doc *d = &docs[i];

		if (d->opt.val < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", d->opt.val, d->opt.name,
				 d->arg ? " " : "", d->arg ? d->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->opt.name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		fprintf(f, "  %-30s %s\n", left, d->help);
		if (d->env)
			fprintf(f, "  %-30s (environment: %s)\n", "", d->env);
	}
	fprintf(f, "\nExit status: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the BPF "
		   "programs cannot\nbe loaded or attached, 2 for bad flags.\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s[0] || s[0] == '-')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "8M", "65536", "512K": a power of two of at least 4 KiB and at most 1 GiB. */
static int parse_size(const char *s, uint32_t *out)
{
	char num[32];
	uint64_t v, mult = 1;
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	if (num[len - 1] == 'K' || num[len - 1] == 'k')
		mult = 1024;
	else if (num[len - 1] == 'M' || num[len - 1] == 'm')
		mult = 1024 * 1024;
	if (mult != 1)
		num[len - 1] = '\0';
	if (parse_u64(num, 1ULL << 30, &v))
		return -EINVAL;
	v *= mult;
	if (v < 4096 || v > (1ULL << 30) || (v & (v - 1)))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

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

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no") || !s[0]) {
		*out = false;
		return true;
	}
	return false;
}

/* Apply one option; @how names its source for the error message. */
static int apply(struct pt_options *o, int id, const char *arg, const char *how, FILE *err)
{
	uint64_t v;

	switch (id) {
	case OPT_OUTPUT:
		if (!strcmp(arg, "text"))
			o->output = PT_OUTPUT_TEXT;
		else if (!strcmp(arg, "json"))
			o->output = PT_OUTPUT_JSON;
		else
			goto bad;
		return 0;
	case OPT_KUBECONFIG:
		o->kubeconfig = arg[0] ? arg : NULL;
		return 0;
	case OPT_NODE_NAME:
		if (!arg[0])
			goto bad;
		o->node_name = arg;
		return 0;
	case OPT_STANDALONE:
		if (arg && !parse_bool(arg, &o->standalone))
			goto bad;
		if (!arg)
			o->standalone = true;
		return 0;
	case OPT_SANDBOX_NAMES:
		if (parse_sandbox_names(arg, o))
			goto bad;
		return 0;
	case OPT_NODE_COMPONENTS: {
		struct pt_components check;

		pt_components_default(&check);
		if (pt_components_add(&check, arg, NULL, 0))
			goto bad;
		o->node_components = arg;
		return 0;
	}
	case OPT_RINGBUF_SIZE:
		if (parse_size(arg, &o->ringbuf_bytes))
			goto bad;
		return 0;
	case OPT_WAKEUP_INTERVAL:
		if (parse_u64(arg, 1000, &v))
			goto bad;
		o->wakeup_interval_ns = v * 1000000ULL;
		return 0;
	case OPT_ATTACH:
		if (!strcmp(arg, "auto"))
			o->attach = PT_ATTACH_AUTO;
		else if (!strcmp(arg, "tp_btf"))
			o->attach = PT_ATTACH_BTF;
		else if (!strcmp(arg, "tracepoint"))
			o->attach = PT_ATTACH_TRACEPOINT;
		else
			goto bad;
		return 0;
	case OPT_VERBOSE:
		if (parse_u64(arg, 9, &v))
			goto bad;
		o->verbose = (int)v;
		return 0;
	case OPT_VERSION:
		o->version = true;
		return 0;
	case OPT_METRICS_ADDRESS:
		if (!strcmp(arg, "off") || !strcmp(arg, "none") || !arg[0]) {
			o->metrics_address = NULL;
			return 0;
		}
		if (pt_http_server_check_address(arg))
			goto bad;
		o->metrics_address = arg;
		return 0;
	case OPT_LOG_FORMAT:
		if (!strcmp(arg, "text"))
			o->log_json = 0;
		else if (!strcmp(arg, "json"))
			o->log_json = 1;
		else
			goto bad;
		return 0;
	case OPT_CONTEXT:
		o->context = arg[0] ? arg : NULL;
		return 0;
	case OPT_EVENTS_API:
		if (!strcmp(arg, "core/v1") || !strcmp(arg, "v1"))
			o->events_v1 = false;
		else if (!strcmp(arg, "events.k8s.io/v1"))
			o->events_v1 = true;
		else
			goto bad;
		return 0;
	case OPT_HOLD_TIME:
		if (parse_u64(arg, 3600000, &v))
			goto bad;
		o->hold_ns = v * 1000000ULL;
		return 0;
	case OPT_HOLD_MAX:
	case OPT_QUEUE_SIZE:
	case OPT_MAX_TRIES:
	case OPT_SPAM_BURST:
	case OPT_AGGREGATE_MAX:
		if (parse_u64(arg, 1000000, &v) || v == 0)
			goto bad;
		if (id == OPT_HOLD_MAX)
			o->hold_max = (uint32_t)v;
		else if (id == OPT_QUEUE_SIZE)
			o->queue_size = (uint32_t)v;
		else if (id == OPT_MAX_TRIES)
			o->max_tries = (uint32_t)v;
		else if (id == OPT_SPAM_BURST)
			o->spam_burst = (uint32_t)v;
		else
			o->aggregate_max = (uint32_t)v;
		return 0;
	case OPT_SPAM_REFILL:
	case OPT_AGGREGATE_WINDOW:
		if (parse_u64(arg, 86400 * 7, &v) || v == 0)
			goto bad;
		if (id == OPT_SPAM_REFILL)
			o->spam_refill_ns = v * 1000000000ULL;
		else
			o->aggregate_window_ns = v * 1000000000ULL;
		return 0;
	case OPT_POD_TOMBSTONE:
		if (parse_u64(arg, 86400, &v))
			goto bad;
		o->pod_tombstone_ns = v * 1000000000ULL;
		return 0;
	case OPT_SHUTDOWN_GRACE:
		if (parse_u64(arg, 600000, &v))
			goto bad;
		o->shutdown_grace_ns = v * 1000000ULL;
		return 0;
	case OPT_CONTAINERD_STATE:
		o->containerd_state = arg;
		return 0;
	case OPT_CRIO_STATE:
		o->crio_state = arg;
		return 0;
	case OPT_CRIO_STORAGE:
		o->crio_storage = arg;
		return 0;
	case OPT_DOCKER_ROOT:
		o->docker_root = arg;
		return 0;
	case OPT_NO_RUNTIME_METADATA:
		if (arg && !parse_bool(arg, &o->no_runtime_metadata))
			goto bad;
		if (!arg)
			o->no_runtime_metadata = true;
		return 0;
	case OPT_INSECURE:
		if (arg && !parse_bool(arg, &o->insecure_skip_tls_verify))
			goto bad;
		if (!arg)
			o->insecure_skip_tls_verify = true;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	}
bad:
	for (size_t i = 0; i < NDOCS; i++)
		if (docs[i].opt.val == id)
			fprintf(err, "podtrail: invalid value '%s' for %s%s: expected %s\n",
				arg ? arg : "", how, how[0] == '-' ? docs[i].opt.name : "",
				docs[i].arg ? docs[i].arg : "");
	return -EINVAL;
}

static void set_defaults(struct pt_options *o)
{
	memset(o, 0, sizeof(*o));
	o->output = PT_OUTPUT_TEXT;
	strcpy(o->sandbox_names_buf, "pause");
	o->sandbox_names[0] = o->sandbox_names_buf;
	o->nr_sandbox_names = 1;
	o->ringbuf_bytes = 8u << 20;
	o->wakeup_interval_ns = 5000000ULL;
	o->attach = PT_ATTACH_AUTO;
	o->hold_ns = 10000000000ULL;
	o->hold_max = 1000;
	o->pod_tombstone_ns = 120000000000ULL;
	o->queue_size = 1000;
	o->max_tries = 12;
	o->spam_burst = 25;
	o->spam_refill_ns = 300000000000ULL;
	o->aggregate_max = 10;
	o->aggregate_window_ns = 600000000000ULL;
	o->shutdown_grace_ns = 5000000000ULL;
	o->metrics_address = "127.0.0.1:9090";
}

static const char *env_lookup(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (char **e = envp; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

int pt_options_parse(int argc, char **argv, char **envp, struct pt_options *o, FILE *err)
{
	struct option longopts[NDOCS + 1];
	int c;

	set_defaults(o);
	for (size_t i = 0; i < NDOCS; i++) {
		const char *val = docs[i].env ? env_lookup(envp, docs[i].env) : NULL;

		longopts[i] = docs[i].opt;
		if (val && apply(o, docs[i].opt.val, val, docs[i].env, err))
			return -EINVAL;
	}
	memset(&longopts[NDOCS], 0, sizeof(longopts[NDOCS]));
	if (!o->node_name)
		o->node_name = env_lookup(envp, "NODE_NAME");

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:v:h", longopts, NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				fprintf(err, "podtrail: unknown option '-%c'\n", optopt);
			else
				fprintf(err, "podtrail: unknown option '%s'\n", argv[optind - 1]);
			return -EINVAL;
		}
		if (c == ':') {
			fprintf(err, "podtrail: option '%s' needs a value\n", argv[optind - 1]);
			return -EINVAL;
		}
		if (apply(o, c, optarg, "--", err))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(err, "podtrail: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

void pt_options_runtime_dirs(const struct pt_options *o, struct pt_runtime_dirs *dirs)
{
	pt_runtime_dirs_default(dirs);
	if (o->containerd_state)
		dirs->containerd_state = o->containerd_state;
	if (o->crio_state)
		dirs->crio_state = o->crio_state;
	if (o->crio_storage)
		dirs->crio_storage = o->crio_storage;
	if (o->docker_root)
		dirs->docker_root = o->docker_root;
}
