// SPDX-License-Identifier: GPL-2.0
/*
 * podtrail: parse flags, check privileges, load and attach the BPF programs,
 * wire the stages of the data flow, drop privileges, run the event loop,
 * shut down cleanly.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "caps.h"
#include "cgroup_walk.h"
#include "cluster.h"
#include "event_log.h"
#include "event_loop.h"
#include "http_server.h"
#include "loader.h"
#include "metrics.h"
#include "options.h"
#include "pipeline.h"
#include "ring_reader.h"
#include "version.h"

/* libbpf's print callback has no context argument: its verbosity lives here. */
static int libbpf_verbosity;

__attribute__((format(printf, 2, 0))) static int print_libbpf(enum libbpf_print_level level,
							      const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && libbpf_verbosity < 2)
		return 0;
	if (level == LIBBPF_INFO && libbpf_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct daemon {
	const struct pt_options *opts;
	struct pt_loop *loop;
	struct pt_loader *loader;
	struct pt_ring_reader *reader;
	struct pt_cluster *cluster;
	struct pt_http_server *http;
	struct pt_runtime_state *runtime;
	struct pt_oom_groups *oom_groups;
	struct pt_cgroup_mounts cgroup_mounts;
	struct pt_cgroup_ids *cgroup_ids; /* the path of each cgroup id records carry */
	struct pt_components components;  /* the node's own processes */
	struct pt_pipeline pipeline;
	struct pt_metrics_sources metrics;
	int sigfd;
	int signo;
};

/* Standalone sink: the line on stdout, and at -v 1 the log line on stderr. */
static int write_stdout(void *ctx, const struct pt_emitted *e)
{
	struct daemon *d = ctx;

	if (d->opts->verbose >= 1)
		pt_event_log(stderr, d->opts->log_json ? PT_LOG_JSON : PT_LOG_TEXT, e);
	return pt_output_write(stdout, d->opts->output, e);
}

/*
 * Lines are written per event and flushed once per batch of records: one
 * write(2), not many. The buffer holds a batch of dozens of lines; stdio's
 * own (a page for a pipe, about three JSON lines) wrote again mid-batch.
 */
static char stdout_buf[64 * 1024];

static void flush_stdout(void *ctx)
{
	fflush(stdout);
}

static void on_signal(void *ctx, int fd, uint32_t events)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si))
		d->signo = (int)si.ssi_signo;
	pt_loop_stop(d->loop);
}

static int block_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static const char *node_name(const struct pt_options *o, char *buf, size_t len)
{
	if (o->node_name)
		return o->node_name;
	if (gethostname(buf, len) < 0)
		snprintf(buf, len, "unknown");
	buf[len - 1] = '\0';
	return buf;
}

static int write_metrics(void *ctx, FILE *f)
{
	struct daemon *d = ctx;

	return pt_metrics_write(&d->metrics, f);
}

/* Programs are attached once we run; in a cluster, the pod list must have synced too. */
static bool is_ready(void *ctx, char *why, size_t len)
{
	struct daemon *d = ctx;

	if (d->cluster && !pt_cluster_ready(d->cluster)) {
		snprintf(why, len, "the pod list is not synced with the API server");
		return false;
	}
	return true;
}

static int start_metrics(struct daemon *d, char *err, size_t errlen)
{
	struct pt_http_server_handlers h = { write_metrics, is_ready, d };
	int e;

	d->metrics.loader = d->loader;
	d->metrics.pipeline = &d->pipeline;
	d->metrics.reader = d->reader;
	d->metrics.cluster = d->cluster;
	if (!d->opts->metrics_address)
		return 0;
	e = pt_http_server_new(d->loop, d->opts->metrics_address, &h, &d->http, err, errlen);
	if (e == 0 && d->opts->verbose >= 1)
		fprintf(stderr, "podtrail: serving /metrics, /healthz and /readyz on port %u\n",
			pt_http_server_port(d->http));
	return e;
}

static int load(struct daemon *d, char *err, size_t errlen)
{
	const struct pt_options *o = d->opts;
	struct pt_loader_config lc = {
		.nr_sandbox_names = o->nr_sandbox_names,
		.wakeup_interval_ns = o->wakeup_interval_ns,
		.ringbuf_bytes = o->ringbuf_bytes,
		.mode = o->attach,
		.senders = o->senders,
	};
	int e = pt_caps_check(err, errlen);

	if (e)
		return e;
	/* Which v1 hierarchy's cgroups the kernel sends: memory's, the one exits name. */
	if (pt_cgroup_mounts_find("/proc/self/mountinfo", "/proc/cgroups", &d->cgroup_mounts, err,
				  errlen))
		fprintf(stderr, "podtrail: warning: %s\n", err);
	lc.memory_hierarchy_id = d->cgroup_mounts.memory_hierarchy_id;
	memcpy(lc.sandbox_names, o->sandbox_names, sizeof(lc.sandbox_names));
	pt_components_default(&d->components);
	if (o->node_components)
		pt_components_add(&d->components, o->node_components, NULL,
				  0); /* checked by options */
	lc.nr_daemon_names = pt_components_daemon_comms(&d->components, lc.daemon_names);
	lc.nr_shim_names = pt_components_shim_comms(&d->components, lc.shim_names);
	return pt_loader_open(&lc, &d->loader, err, errlen);
}

/*
 * The path of every cgroup that exists now; the mkdir records, attached
 * already, tell the rest. A hierarchy walked whole is one whose older
 * cgroups the kernel need not name in records: it is told so. Otherwise (in
 * a pod's cgroup namespace, which sees a subtree only, or when a directory
 * could not be read) the kernel sends the names of every cgroup older than
 * the agent with each record, so nothing is lost but a few bytes.
 */
static int learn_cgroups(struct daemon *d)
{
	const struct pt_cgroup_mount *hier[] = { &d->cgroup_mounts.v2, &d->cgroup_mounts.memory };
	bool initial = pt_cgroup_ns_is_initial("/proc/self/ns/cgroup"), whole;
	char err[512];
	int e = pt_cgroup_ids_new(PT_CGROUP_IDS_GRACE_NS, &d->cgroup_ids);

	if (e)
		return e;
	d->pipeline.cgroup_ids = d->cgroup_ids;
	if (!initial && d->opts->verbose >= 1)
		fprintf(stderr,
			"podtrail: not in the initial cgroup namespace: the kernel names the "
			"cgroups made before the start\n");
	for (size_t i = 0; initial && i < sizeof(hier) / sizeof(hier[0]); i++) {
		if (!hier[i]->found)
			continue;
		e = pt_cgroup_walk(d->cgroup_ids, hier[i], &whole, err, sizeof(err));
		if (e == -ENOMEM)
			return e;
		if (e < 0)
			fprintf(stderr,
				"podtrail: warning: %s: the kernel names its older cgroups\n", err);
		if (whole)
			pt_loader_cgroups_walked(d->loader, i);
		if (e >= 0 && d->opts->verbose >= 1)
			fprintf(stderr, "podtrail: %d cgroups under %s%s\n", e, hier[i]->dir,
				whole ? "" : " (not all: the kernel names the others)");
	}
	return 0;
}

/*
 * The runtimes' records of each container's main and exec'd processes. Not
 * fatal when they cannot be watched: main processes are then known only as
 * pid-namespace inits, and the events say less.
 */
static void watch_runtimes(struct daemon *d)
{
	struct pt_runtime_dirs dirs;
	char err[256];

	if (d->opts->no_runtime_metadata)
		return;
	pt_options_runtime_dirs(d->opts, &dirs);
	if (pt_runtime_state_new(d->loop, &dirs, &d->runtime, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"podtrail: warning: %s; a container's main process is known only as the "
			"init of its own pid namespace\n",
			err);
		d->runtime = NULL;
	}
	d->pipeline.runtime = d->runtime;
}

/*
 * Where reports go. Standalone: a line on stdout for any process. In a
 * cluster: the attributor names each event's pod first, and the Event goes
 * to the API server.
 */
static int wire_sink(struct daemon *d, char **envp, char *err, size_t errlen)
{
	struct pt_cluster_links links = {
		.node = d->pipeline.node,
		.runtime = d->runtime,
		.emit = pt_pipeline_emit,
		.emit_ctx = &d->pipeline,
	};
	int e;

	if (!pt_cluster_configured(d->opts, envp)) {
		d->pipeline.sink = (struct pt_sink){ write_stdout, d };
		d->pipeline.flush = flush_stdout;
		/* Before the first output; a failure keeps stdio's buffer. */
		setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
		return 0;
	}
	e = pt_cluster_start(d->loop, d->opts, &links, &d->cluster, err, errlen);
	if (e)
		return e;
	d->pipeline.attribute = pt_cluster_attribute;
	d->pipeline.attribute_ctx = d->cluster;
	d->pipeline.sink = pt_cluster_sink(d->cluster);
	return 0;
}

/* Everything but the BPF programs: the loop, the reader, the cluster, the endpoint. */
static int wire(struct daemon *d, char **envp, char *host, size_t hostlen, char *err, size_t errlen)
{
	int e = pt_loop_new(&d->loop);

	/* wire_sink() chooses the sink below; nothing emits before the loop runs. */
	pt_pipeline_init(&d->pipeline, node_name(d->opts, host, hostlen), (struct pt_sink){ 0 });
	d->pipeline.components = &d->components;
	if (!e)
		e = learn_cgroups(d);
	if (!e)
		e = pt_loop_add(d->loop, d->sigfd, EPOLLIN, on_signal, d);
	if (!e)
		e = pt_oom_groups_new(d->loop, pt_pipeline_deliver, pt_pipeline_flush, &d->pipeline,
				      &d->oom_groups);
	if (!e)
		e = pt_ring_reader_new(d->loop, pt_loader_ringbuf_fd(d->loader),
				       d->opts->wakeup_interval_ns,
				       pt_loader_polling_until(d->loader), pt_pipeline_on_record,
				       pt_pipeline_flush, &d->pipeline, &d->reader);
	if (e) {
		snprintf(err, errlen, "cannot start the event loop: %s", strerror(-e));
		return e;
	}
	d->pipeline.oom_groups = d->oom_groups;
	watch_runtimes(d);
	e = wire_sink(d, envp, err, errlen);
	if (e)
		return e;
	e = start_metrics(d, err, errlen);
	if (e) {
		/* The events matter more than their metrics: say so loudly and go on. */
		fprintf(stderr, "podtrail: warning: %s; running without metrics\n", err);
		d->http = NULL;
	}
	return 0;
}

static void shutdown_daemon(struct daemon *d)
{
	/* Stop producing, then read what the kernel already wrote, then flush. */
	pt_loader_detach(d->loader);
	pt_ring_reader_drain(d->reader);
	pt_oom_groups_flush(d->oom_groups);
	pt_pipeline_flush(&d->pipeline);
	if (d->cluster)
		pt_cluster_shutdown(d->cluster, d->loop, d->opts->shutdown_grace_ns);
	pt_metrics_print_totals(&d->metrics, stderr);
}

static int run(const struct pt_options *o, char **envp)
{
	struct daemon d = { .opts = o };
	char err[512], host[256];
	int e;

	d.sigfd = block_signals();
	if (d.sigfd < 0) {
		fprintf(stderr, "podtrail: cannot set up signal handling: %s\n",
			strerror(-d.sigfd));
		return 1;
	}
	e = load(&d, err, sizeof(err));
	if (!e)
		e = wire(&d, envp, host, sizeof(host), err, sizeof(err));
	if (e) {
		fprintf(stderr, "podtrail: %s\n", err);
		goto out;
	}
	/*
	 * Loading parsed the kernel's BTF (tens of MiB at the peak) and the walk
	 * named every cgroup: what they freed in the heap's middle stays
	 * resident until it is handed back.
	 */
	malloc_trim(0);
	e = pt_caps_drop();
	if (e)
		fprintf(stderr, "podtrail: warning: could not drop capabilities: %s\n",
			strerror(-e));
	if (o->verbose >= 1)
		fprintf(stderr,
			"podtrail: attached (%s; senders from %s; ring buffer %u KiB), %s, "
			"node %s\n",
			pt_loader_flavour(d.loader), pt_loader_senders(d.loader),
			pt_loader_ringbuf_bytes(d.loader) / 1024,
			d.cluster ? "reporting to the API server" : "standalone", d.pipeline.node);
	if (!d.cluster)
		pt_output_header(stdout, o->output);
	e = pt_loop_run(d.loop);
	if (e)
		fprintf(stderr, "podtrail: event loop failed: %s\n", strerror(-e));
	shutdown_daemon(&d);
out:
	pt_http_server_free(d.http);
	pt_cluster_free(d.cluster);
	pt_ring_reader_free(d.reader);
	pt_oom_groups_free(d.oom_groups);
	pt_runtime_state_free(d.runtime);
	pt_cgroup_ids_free(d.cgroup_ids);
	pt_loop_free(d.loop);
	pt_loader_close(d.loader);
	close(d.sigfd);
	return e ? 1 : 0;
}

int main(int argc, char **argv, char **envp)
{
	struct pt_options opts;

	if (pt_options_parse(argc, argv, envp, &opts, stderr)) {
		fprintf(stderr, "Try 'podtrail --help' for more information.\n");
		return 2;
	}
	if (opts.help) {
		pt_options_usage(stdout, opts.help);
		return 0;
	}
	if (opts.version) {
		printf("podtrail %s\n", PODTRAIL_VERSION);
		return 0;
	}
	/*
	 * A fixed threshold: blocks of 128 KiB and more (the kernel's BTF while
	 * loading, a pod list's body) get mappings of their own, unmapped when
	 * freed. glibc's default raises the threshold after the first such free,
	 * and the heap then grows around them and keeps their pages.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	libbpf_verbosity = opts.verbose;
	libbpf_set_print(print_libbpf);
	return run(&opts, envp);
}
