// SPDX-License-Identifier: GPL-2.0
/*
 * wakefloor: the least a reader like podtrail's pays per wake-up on this
 * machine. It sleeps in epoll_wait (an empty set, so only the timeout wakes
 * it), then writes one line to stdout, COUNT times, and reports the CPU time
 * this cost its thread. With the daemon's poll period, line size and
 * wake-ups, `make bench` prints it beside the daemon's CPU per crash: what no
 * work at all would cost, the rest being the daemon's own.
 */
#include <sys/epoll.h>
#include <sys/resource.h>

#include "loadgen_common.h"

#define WF_MAX_BYTES (1UL << 20)

static const char usage_text[] =
    "Usage: wakefloor [OPTION]...\n"
    "Sleep in epoll_wait with a timeout, then write one line to stdout, COUNT\n"
    "times; report the CPU time of the loop, per wake-up, on stderr. Point stdout\n"
    "at a pipe with a reader to include waking the reader, as podtrail's writes do.\n"
    "\n"
    "  -n, --count N         wake up N times (default 100)\n"
    "      --period-ms MS    sleep MS milliseconds before each wake-up (default 15)\n"
    "      --bytes B         write B bytes a wake-up, the last a newline; 0 writes\n"
    "                        nothing (default 512)\n"
    "      --json            report as one JSON object on stderr\n"
    "  -h, --help            show this help and exit\n";

struct options {
	unsigned long count;
	unsigned long period_ms;
	unsigned long bytes;
	bool json;
};

static void parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_PERIOD = 256, OPT_BYTES, OPT_JSON };
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "period-ms", required_argument, NULL, OPT_PERIOD },
		{ "bytes", required_argument, NULL, OPT_BYTES },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	/* Our messages, not getopt's: lg_getopt_error() reports what is wrong. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (lg_parse_ulong(optarg, 1, ULONG_MAX, &o->count))
				lg_usage_error(
				    "--count: '%s' is not a number of wake-ups, 1 or more", optarg);
			break;
		case OPT_PERIOD:
			if (lg_parse_ulong(optarg, 1, 60000, &o->period_ms))
				lg_usage_error("--period-ms: '%s' is not a number of milliseconds "
					       "from 1 to 60000",
					       optarg);
			break;
		case OPT_BYTES:
			if (lg_parse_ulong(optarg, 0, WF_MAX_BYTES, &o->bytes))
				lg_usage_error("--bytes: '%s' is not a size from 0 to %lu", optarg,
					       WF_MAX_BYTES);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
			lg_help(usage_text);
		default:
			lg_getopt_error(c, argv);
		}
	}
	lg_no_operands(argc, argv);
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* All of @len bytes, or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { .count = 100, .period_ms = 15, .bytes = 512 };
	struct rusage ru0, ru1;
	struct epoll_event ev;
	int64_t cpu0, cpu1;
	double t0, t1;
	char *line = NULL;
	unsigned long i;
	int epfd, e;

	lg_prog = "wakefloor";
	parse_args(argc, argv, &o);
	if (o.bytes) {
		line = malloc(o.bytes);
		if (!line) {
			lg_error(ENOMEM, "a line of %lu bytes", o.bytes);
			return 1;
		}
		memset(line, 'x', o.bytes - 1);
		line[o.bytes - 1] = '\n';
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		lg_error(errno, "epoll_create1");
		return 1;
	}

	t0 = lg_now();
	getrusage(RUSAGE_THREAD, &ru0);
	cpu0 = thread_cpu_ns();
	for (i = 0; i < o.count; i++) {
		if (epoll_wait(epfd, &ev, 1, (int)o.period_ms) < 0 && errno != EINTR) {
			lg_error(errno, "epoll_wait");
			return 1;
		}
		if (line) {
			e = write_all(STDOUT_FILENO, line, o.bytes);
			if (e) {
				lg_error(e, "write to stdout");
				return 1;
			}
		}
	}
	cpu1 = thread_cpu_ns();
	getrusage(RUSAGE_THREAD, &ru1);
	t1 = lg_now();

	if (o.json)
		fprintf(stderr,
			"{\"wakeups\":%lu,\"period_ms\":%lu,\"bytes\":%lu,\"seconds\":%.6f,"
			"\"cpu_ns\":%lld,\"cpu_ns_per_wakeup\":%.1f,\"voluntary_switches\":%ld,"
			"\"involuntary_switches\":%ld}\n",
			o.count, o.period_ms, o.bytes, t1 - t0, (long long)(cpu1 - cpu0),
			o.count ? (double)(cpu1 - cpu0) / (double)o.count : 0.0,
			ru1.ru_nvcsw - ru0.ru_nvcsw, ru1.ru_nivcsw - ru0.ru_nivcsw);
	else
		fprintf(stderr,
			"wakefloor: %lu wake-ups %lu ms apart, %lu bytes each: %.1f us of CPU a "
			"wake-up\n",
			o.count, o.period_ms, o.bytes,
			o.count ? (double)(cpu1 - cpu0) / (double)o.count / 1e3 : 0.0);
	free(line);
	close(epfd);
	return 0;
}
