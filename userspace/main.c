// SPDX-License-Identifier: GPL-2.0
/*
 * podtrail: parse flags, load and attach the BPF programs, wire the stages
 * of the data flow, run the event loop, shut down cleanly.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cluster.h"
#include "event_loop.h"
#include "loader.h"
#include "options.h"
#include "pipeline.h"
#include "ring_reader.h"

#define PODTRAIL_VERSION "0.1.0"

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

struct stdout_sink {
	enum pt_output_format format;
	int verbose;
};

static int write_stdout(void *ctx, const struct pt_emitted *e)
{
	struct stdout_sink *s = ctx;

	return pt_output_write(stdout, s->format, e);
}

struct shutdown_ctx {
	struct pt_loop *loop;
	int signo;
};

static void on_signal(void *ctx, int fd, uint32_t events)
{
	struct shutdown_ctx *s = ctx;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si))
		s->signo = (int)si.ssi_signo;
	pt_loop_stop(s->loop);
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

static void print_totals(const struct pt_loader *l, const struct pt_pipeline *p)
{
	uint64_t c[PT_CNT__MAX];

	if (pt_loader_read_counters(l, c) < 0)
		memset(c, 0, sizeof(c));
	fprintf(stderr,
		"podtrail: totals: exits_seen=%llu filtered_in_kernel=%llu thread_exits=%llu "
		"records_sent=%llu records_read=%llu events_emitted=%llu ignored=%llu "
		"fatal_signals=%llu oom_kills=%llu lost=%llu decode_errors=%llu wakeups=%llu\n",
		(unsigned long long)c[PT_CNT_EXIT_SEEN], (unsigned long long)c[PT_CNT_EXIT_BORING],
		(unsigned long long)c[PT_CNT_THREAD_EXIT],
		(unsigned long long)(c[PT_CNT_EXIT_SENT] + c[PT_CNT_OOM_SENT]),
		(unsigned long long)p->stats.records, (unsigned long long)p->stats.emitted,
		(unsigned long long)p->stats.ignored, (unsigned long long)c[PT_CNT_SIGNAL_FATAL],
		(unsigned long long)c[PT_CNT_OOM_SENT], (unsigned long long)c[PT_CNT_RINGBUF_LOST],
		(unsigned long long)p->stats.decode_errors, (unsigned long long)c[PT_CNT_WAKEUPS]);
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

static int run(const struct pt_options *o, char **envp)
{
	struct pt_loader_config lc = {
		.nr_sandbox_names = o->nr_sandbox_names,
		.wakeup_interval_ns = o->wakeup_interval_ns,
		.ringbuf_bytes = o->ringbuf_bytes,
		.mode = o->attach,
	};
	struct stdout_sink sink = { .format = o->output, .verbose = o->verbose };
	struct pt_ring_reader *reader = NULL;
	struct shutdown_ctx shutdown = { 0 };
	struct pt_loader *loader = NULL;
	struct pt_cluster *cluster = NULL;
	struct pt_loop *loop = NULL;
	struct pt_pipeline pipeline;
	char err[512], host[256];
	int sigfd, e;

	memcpy(lc.sandbox_names, o->sandbox_names, sizeof(lc.sandbox_names));
	sigfd = block_signals();
	if (sigfd < 0) {
		fprintf(stderr, "podtrail: cannot set up signal handling: %s\n", strerror(-sigfd));
		return 1;
	}
	e = pt_loader_open(&lc, &loader, err, sizeof(err));
	if (e) {
		fprintf(stderr, "podtrail: %s\n", err);
		close(sigfd);
		return 1;
	}
	pt_pipeline_init(&pipeline, node_name(o, host, sizeof(host)), write_stdout, &sink);
	e = pt_loop_new(&loop);
	if (!e) {
		shutdown.loop = loop;
		e = pt_loop_add(loop, sigfd, EPOLLIN, on_signal, &shutdown);
	}
	if (!e)
		e = pt_ring_reader_new(loop, pt_loader_ringbuf_fd(loader), o->wakeup_interval_ns,
				       pt_pipeline_on_record, &pipeline, &reader);
	if (e) {
		fprintf(stderr, "podtrail: cannot start the event loop: %s\n", strerror(-e));
		goto out;
	}
	if (pt_cluster_configured(o, envp)) {
		e = pt_cluster_start(loop, o, &pipeline, &cluster, err, sizeof(err));
		if (e) {
			fprintf(stderr, "podtrail: %s\n", err);
			goto out;
		}
	}
	if (o->verbose >= 1)
		fprintf(stderr, "podtrail: attached (%s), %s, node %s\n", pt_loader_flavour(loader),
			cluster ? "reporting to the API server" : "standalone", pipeline.node);
	if (!cluster)
		pt_output_header(stdout, o->output);

	e = pt_loop_run(loop);
	if (e)
		fprintf(stderr, "podtrail: event loop failed: %s\n", strerror(-e));
	/* Stop producing, then read what the kernel already wrote. */
	pt_loader_detach(loader);
	pt_ring_reader_drain(reader);
	if (cluster)
		pt_cluster_shutdown(cluster, loop, o->shutdown_grace_ns);
	print_totals(loader, &pipeline);
	if (cluster)
		pt_cluster_print_totals(cluster, stderr);
out:
	pt_cluster_free(cluster);
	pt_ring_reader_free(reader);
	pt_loop_free(loop);
	pt_loader_close(loader);
	close(sigfd);
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
		pt_options_usage(stdout);
		return 0;
	}
	if (opts.version) {
		printf("podtrail %s\n", PODTRAIL_VERSION);
		return 0;
	}
	libbpf_verbosity = opts.verbose;
	libbpf_set_print(print_libbpf);
	return run(&opts, envp);
}
