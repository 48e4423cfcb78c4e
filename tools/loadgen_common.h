/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the load generators in tools/ (forkexit, crashstorm): an engine
 * that creates processes which end in a chosen way (an exit code, a signal
 * they send themselves, a real fault, SIGKILL from the parent), at a chosen
 * rate and concurrency, reaps them and checks every wait status; plus option
 * parsing, cgroup and JSON helpers. Header-only (static inline), as the
 * Makefile builds each tools/<name>.c on its own.
 *
 * How children are made: clone() with CLONE_VM | CLONE_VFORK by default (like
 * vfork: no copy of the address space, the calling thread sleeps until the
 * child has exited), on a small stack of the worker's own; on this kind of VM
 * that is 10-15 times faster than fork(). A child that must stay alive until
 * the parent kills it (SIGKILL), or any child with --fork, gets its own copy
 * of the address space instead. Concurrency (-j J) is J worker threads, each
 * with one child at a time. Valgrind runs CLONE_VM | CLONE_VFORK as a fork.
 */
#ifndef PODTRAIL_LOADGEN_COMMON_H
#define PODTRAIL_LOADGEN_COMMON_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#define LG_MAX_JOBS	     1024
#define LG_MAX_CGROUPS	     8
#define LG_STACK_SIZE	     (64 * 1024)
#define LG_MAX_REPORTS	     5	 /* mismatches printed one by one, then only counted */
#define LG_EAGAIN_TRIES	     100 /* clone() retries, 10 ms apart, when out of pids */
#define LG_CHILD_SURVIVED    127 /* exit code of a child the signal did not kill */
#define LG_CHILD_EXEC_FAILED 127 /* exit code of a child whose --exec failed */

/* Name used in messages, set by each tool's main(). */
static const char *lg_prog = "loadgen";

static inline void lg_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void lg_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* "prog: <message>: <strerror(err)>" on stderr; err is a positive or negative errno, 0 for none. */
static inline void lg_error(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lg_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(abs(err)));
	fputc('\n', stderr);
}

/* A bad command line: say why and exit 2. */
static inline void lg_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lg_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", lg_prog);
	exit(2);
}

static inline double lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- option values ---------------------------------------------------------------------------- */

/* A decimal integer in [min, max], digits only (no sign, no spaces). */
static inline int lg_parse_ulong(const char *s, unsigned long min, unsigned long max,
				 unsigned long *out)
{
	unsigned long v;
	const char *p;
	char *end;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A finite, non-negative decimal number such as 2.5. */
static inline int lg_parse_number(const char *s, double *out)
{
	char *end;
	double v;

	if (!*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v) || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* glibc keeps 32 and 33 for itself; 1-31 and SIGRTMIN..SIGRTMAX are usable. */
static inline bool lg_signal_valid(int sig)
{
	return (sig >= 1 && sig < 32) || (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

/* "SEGV", "sigsegv", "11": a signal by name (with or without SIG) or number. */
static inline int lg_parse_signal(const char *s, int *sig)
{
	unsigned long n;
	int i;

	if (isdigit((unsigned char)*s)) {
		if (lg_parse_ulong(s, 1, SIGRTMAX, &n) || !lg_signal_valid((int)n))
			return -EINVAL;
		*sig = (int)n;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 1; i < 32; i++) {
		const char *name = sigabbrev_np(i);

		if (name && !strcasecmp(s, name)) {
			*sig = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* "SEGV", or "RTMIN+2" for a real-time signal. */
static inline const char *lg_signal_name(int sig, char *buf, size_t len)
{
	const char *name = sig < 32 ? sigabbrev_np(sig) : NULL;

	if (name)
		return name;
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "RTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "%d", sig);
	return buf;
}

/* Does the default action of sig end the process (rather than ignore or stop it)? */
static inline bool lg_signal_terminates(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return false;
	default:
		return true;
	}
}

/* Does the default action of sig dump core? */
static inline bool lg_signal_dumps_core(int sig)
{
	switch (sig) {
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return true;
	default:
		return false;
	}
}

/* Signals the engine can raise by a real fault on this architecture. */
static inline bool lg_signal_has_fault(int sig)
{
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
		return true;
#if defined(__x86_64__) || defined(__i386__)
	case SIGILL:
	case SIGFPE:
		return true;
#elif defined(__aarch64__)
	case SIGILL:
		return true;
#endif
	default:
		return false;
	}
}

/* --- JSON output ------------------------------------------------------------------------------ */

static inline void lg_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* --- cgroups ---------------------------------------------------------------------------------- */

/* 1 if path is on a cgroup (v1) or cgroup2 file system, 0 if not, -errno if it cannot be read. */
static inline int lg_on_cgroupfs(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs))
		return -errno;
	return sfs.f_type == CGROUP_SUPER_MAGIC || sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Move the calling process into cgroup dir (v1 or v2) by writing its pid to dir/cgroup.procs. */
static inline int lg_cgroup_join(const char *dir)
{
	char path[PATH_MAX], pid[24];
	int fd, len, err = 0;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	n = write(fd, pid, len);
	if (n < 0)
		err = -errno;
	else if (n != len)
		err = -EIO;
	close(fd);
	return err;
}

/* Join every cgroup in dirs[]; on failure say which and why. */
static inline int lg_cgroup_join_all(const char *const *dirs, int n)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = lg_on_cgroupfs(dirs[i]);
		if (err < 0) {
			lg_error(err, "cannot join cgroup %s", dirs[i]);
			return err;
		}
		if (!err) {
			lg_error(
			    0,
			    "%s is not a cgroup directory (not on a cgroup or cgroup2 file system)",
			    dirs[i]);
			return -EINVAL;
		}
		err = lg_cgroup_join(dirs[i]);
		if (err) {
			lg_error(err, "cannot join cgroup %s (writing pid %d to %s/cgroup.procs)%s",
				 dirs[i], (int)getpid(), dirs[i],
				 err == -EBUSY ? " [a v2 cgroup with controllers enabled in its "
						 "cgroup.subtree_control cannot hold processes]"
					       : "");
			return err;
		}
	}
	return 0;
}

/* --- the engine ------------------------------------------------------------------------------- */

enum lg_end {
	LG_END_EXIT,   /* _exit(exit_code) */
	LG_END_SEND,   /* reset sig to its default action and send it to itself */
	LG_END_FAULT,  /* die of sig by a real fault (SEGV, BUS, ILL, FPE) */
	LG_END_KILLED, /* wait until the parent sends SIGKILL */
};

/* What to run: how each child ends, how many, how fast. */
struct lg_spec {
	enum lg_end end;
	int exit_code;	       /* LG_END_EXIT */
	const char *exec_path; /* LG_END_EXIT: exec this, which exits with exit_code */
	int sig;	       /* the other ends */
	bool pidns;	       /* each child is the init of a new pid namespace */
	bool copy_vm;	       /* children get their own address space (fork) */
	unsigned long count;   /* processes; 0 = no limit */
	double duration;       /* seconds; 0 = no limit */
	double rate;	       /* processes/s; 0 = as fast as possible */
	unsigned int jobs;     /* children alive at once (worker threads) */
};

/* What happened. */
struct lg_result {
	unsigned long processes;  /* created and reaped */
	unsigned long mismatches; /* of those, ended otherwise than asked */
	double seconds;		  /* from the first clone() to the last reap */
	bool interrupted;	  /* SIGINT or SIGTERM ended the run early */
	int error;		  /* 0, or the -errno that ended the run early */
};

/* One run, shared by the worker threads (and read by CLONE_VM children). */
struct lg_run {
	const struct lg_spec *spec;
	double start;
	double deadline; /* 0 = none */
	const volatile char *bus_page;
	atomic_ulong next; /* next process slot to claim */
	atomic_ulong processes;
	atomic_ulong mismatches;
	atomic_int error;
	atomic_bool stop;
};

struct lg_worker {
	struct lg_run *run;
	pthread_t thread;
	char *stack; /* LG_STACK_SIZE bytes for the child */
};

static atomic_bool lg_interrupted;

/*
 * For the functions the child runs: with CLONE_VM it runs on a stack of our
 * own in the parent's memory, which AddressSanitizer (SANITIZE=1) does not
 * know and warns about; the child needs no checking anyway.
 */
#define LG_CHILD_CODE __attribute__((no_sanitize("address")))

/* A NULL-pointer dereference of a struct member, which the compiler cannot see coming. */
static volatile uintptr_t lg_bad_address = 0x10;

static inline void lg_on_signal(int sig)
{
	atomic_store(&lg_interrupted, true);
}

static inline bool lg_should_stop(struct lg_run *run)
{
	return atomic_load(&lg_interrupted) || atomic_load(&run->stop);
}

/* In the child: make sig fatal again, whatever the parent's handler or mask. */
static inline LG_CHILD_CODE void lg_child_default_action(int sig)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;

	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* In the child: fault the way a buggy program does. */
static inline LG_CHILD_CODE void lg_child_fault(const struct lg_run *run, int sig)
{
	switch (sig) {
	case SIGSEGV:
		*(volatile int *)lg_bad_address = 1;
		break;
	case SIGBUS:
		(void)*run->bus_page; /* a page past the end of an empty file */
		break;
#if defined(__x86_64__) || defined(__i386__)
	case SIGILL:
		__asm__ volatile("ud2");
		break;
	case SIGFPE:
		/* 1 / 0 in C is undefined behaviour (and UBSan stops it): divide in assembly. */
		__asm__ volatile("xorl %%ecx, %%ecx\n\t"
				 "movl $1, %%eax\n\t"
				 "cltd\n\t"
				 "idivl %%ecx" ::
				     : "eax", "ecx", "edx", "cc");
		break;
#elif defined(__aarch64__)
	case SIGILL:
		__asm__ volatile("udf #0");
		break;
#endif
	default:
		break;
	}
}

/*
 * The child. With CLONE_VM it runs in the parent's memory while the parent
 * thread sleeps, so it only makes system calls and exits.
 */
static inline LG_CHILD_CODE int lg_child(void *arg)
{
	const struct lg_run *run = arg;
	const struct lg_spec *spec = run->spec;

	switch (spec->end) {
	case LG_END_EXIT:
		if (spec->exec_path) {
			char *const argv[] = { (char *)spec->exec_path, NULL };

			execv(spec->exec_path, argv);
			_exit(LG_CHILD_EXEC_FAILED);
		}
		_exit(spec->exit_code);
	case LG_END_SEND:
		lg_child_default_action(spec->sig);
		kill(getpid(), spec->sig);
		break;
	case LG_END_FAULT:
		lg_child_default_action(spec->sig);
		lg_child_fault(run, spec->sig);
		break;
	case LG_END_KILLED:
		for (;;)
			pause();
	}
	_exit(LG_CHILD_SURVIVED);
}

static inline void lg_sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Wait for the start time of slot k; false if the run ends first. */
static inline bool lg_wait_turn(struct lg_run *run, unsigned long k)
{
	double now = lg_now(), t;

	if (run->spec->rate > 0) {
		t = run->start + (double)k / run->spec->rate;
		if (run->deadline > 0 && t >= run->deadline)
			return false;
		while (now < t) {
			if (lg_should_stop(run))
				return false;
			/* Short naps, so that an interrupt is noticed at any rate. */
			lg_sleep_until(t < now + 0.1 ? t : now + 0.1);
			now = lg_now();
		}
	}
	return !(run->deadline > 0 && now >= run->deadline);
}

static inline int lg_spawn(struct lg_run *run, char *stack, pid_t *pid)
{
	int flags = SIGCHLD, tries, err;
	pid_t p;

	if (!run->spec->copy_vm)
		flags |= CLONE_VM | CLONE_VFORK;
	if (run->spec->pidns)
		flags |= CLONE_NEWPID;
	for (tries = 0;; tries++) {
		p = clone(lg_child, stack + LG_STACK_SIZE, flags, run);
		if (p > 0) {
			*pid = p;
			return 0;
		}
		err = -errno;
		/* Out of pids (or, with --pidns, of namespaces still being freed): retry a little. */
		if ((err != -EAGAIN && err != -ENOSPC) || tries >= LG_EAGAIN_TRIES ||
		    lg_should_stop(run))
			return err;
		lg_sleep_until(lg_now() + 0.01);
	}
}

static inline int lg_reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static inline bool lg_status_ok(const struct lg_spec *spec, int status)
{
	if (spec->end == LG_END_EXIT)
		return WIFEXITED(status) && WEXITSTATUS(status) == spec->exit_code;
	return WIFSIGNALED(status) && WTERMSIG(status) == spec->sig;
}

static inline void lg_describe_status(int status, char *buf, size_t len)
{
	char name[16];

	if (WIFEXITED(status))
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (SIG%s)%s", WTERMSIG(status),
			 lg_signal_name(WTERMSIG(status), name, sizeof(name)),
			 WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "has wait status %#x", status);
}

static inline void lg_describe_spec(const struct lg_spec *spec, char *buf, size_t len)
{
	char name[16];

	if (spec->end == LG_END_EXIT)
		snprintf(buf, len, "exit with code %d", spec->exit_code);
	else
		snprintf(buf, len, "die of signal %d (SIG%s)", spec->sig,
			 lg_signal_name(spec->sig, name, sizeof(name)));
}

static inline void lg_check(struct lg_run *run, pid_t pid, int status)
{
	char got[64], want[64];
	unsigned long n;

	atomic_fetch_add(&run->processes, 1);
	if (lg_status_ok(run->spec, status))
		return;
	n = atomic_fetch_add(&run->mismatches, 1) + 1;
	if (n > LG_MAX_REPORTS)
		return;
	lg_describe_status(status, got, sizeof(got));
	lg_describe_spec(run->spec, want, sizeof(want));
	lg_error(0, "process %d %s, but should %s%s", (int)pid, got, want,
		 n == LG_MAX_REPORTS ? " (further mismatches only counted)" : "");
}

/* Record the first error that ends the run, tell the user, stop the other workers. */
static inline void lg_fail(struct lg_run *run, int err, const char *what, pid_t pid)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&run->error, &none, err)) {
		if (pid > 0)
			lg_error(err, "%s %d", what, (int)pid);
		else
			lg_error(err, "%s", what);
	}
	atomic_store(&run->stop, true);
}

static inline void *lg_worker_main(void *arg)
{
	struct lg_worker *w = arg;
	struct lg_run *run = w->run;
	const struct lg_spec *spec = run->spec;
	unsigned long k;
	int err, status;
	pid_t pid;

	while (!lg_should_stop(run)) {
		k = atomic_fetch_add(&run->next, 1);
		if (spec->count && k >= spec->count)
			break;
		if (!lg_wait_turn(run, k))
			break;
		err = lg_spawn(run, w->stack, &pid);
		if (err) {
			lg_fail(run, err, "clone", 0);
			break;
		}
		if (spec->end == LG_END_KILLED && kill(pid, SIGKILL))
			lg_fail(run, -errno, "kill(SIGKILL) of process", pid);
		err = lg_reap(pid, &status);
		if (err) {
			lg_fail(run, err, "waitpid for process", pid);
			break;
		}
		lg_check(run, pid, status);
	}
	return NULL;
}

/*
 * Once, in the parent, before any child: children that die of a signal that
 * dumps core must not dump it. RLIMIT_CORE 0 stops a core file; not being
 * dumpable also stops a core_pattern pipe helper, which ignores RLIMIT_CORE.
 * Both are inherited by a forked child and shared with a CLONE_VM one.
 */
static inline int lg_disable_core_dumps(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_CORE, &rl))
		return -errno;
	rl.rlim_cur = 0;
	if (setrlimit(RLIMIT_CORE, &rl))
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	return 0;
}

/* An empty file mapped one page long: reading it raises SIGBUS. */
static inline int lg_map_bus_page(const volatile char **page)
{
	void *p;
	int fd;

	fd = memfd_create("loadgen-sigbus", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	*page = p;
	return 0;
}

static inline int lg_prepare(struct lg_run *run)
{
	const struct lg_spec *spec = run->spec;
	struct sigaction sa = { .sa_handler = lg_on_signal };
	int err;

	/* No SA_RESTART: an interrupted sleep or wait returns, and the loop looks at the flag. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		err = -errno;
		lg_error(err, "sigaction");
		return err;
	}
	if (spec->end != LG_END_EXIT && lg_signal_dumps_core(spec->sig)) {
		err = lg_disable_core_dumps();
		if (err) {
			lg_error(err, "cannot disable core dumps (RLIMIT_CORE, PR_SET_DUMPABLE)");
			return err;
		}
	}
	if (spec->end == LG_END_FAULT && spec->sig == SIGBUS) {
		err = lg_map_bus_page(&run->bus_page);
		if (err) {
			lg_error(err, "cannot map an empty memfd for SIGBUS");
			return err;
		}
	}
	return 0;
}

static inline void lg_free_workers(struct lg_worker *workers, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (workers[i].stack)
			munmap(workers[i].stack, LG_STACK_SIZE);
	}
	free(workers);
}

static inline int lg_alloc_workers(struct lg_run *run, struct lg_worker **out)
{
	unsigned int i, n = run->spec->jobs;
	struct lg_worker *workers;
	void *stack;

	workers = calloc(n, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		stack = mmap(NULL, LG_STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED) {
			lg_free_workers(workers, n);
			return -ENOMEM;
		}
		workers[i].run = run;
		workers[i].stack = stack;
	}
	*out = workers;
	return 0;
}

/*
 * Run spec in the calling process: worker 0 is the calling thread, workers
 * 1..jobs-1 are threads. Returns 0 when the run happened (res says how it
 * went, including mismatches and errors that cut it short), -errno when it
 * could not start; both are reported on stderr.
 */
static inline int lg_run(const struct lg_spec *spec, struct lg_result *res)
{
	struct lg_run run = { .spec = spec };
	struct lg_worker *workers;
	unsigned int i, started;
	int err;

	err = lg_prepare(&run);
	if (err)
		return err;
	err = lg_alloc_workers(&run, &workers);
	if (err) {
		lg_error(err, "cannot allocate %u child stacks", spec->jobs);
		goto out;
	}
	run.start = lg_now();
	run.deadline = spec->duration > 0 ? run.start + spec->duration : 0;
	for (started = 1; started < spec->jobs; started++) {
		err = pthread_create(&workers[started].thread, NULL, lg_worker_main,
				     &workers[started]);
		if (err) {
			lg_fail(&run, -err, "pthread_create", 0);
			break;
		}
	}
	lg_worker_main(&workers[0]);
	for (i = 1; i < started; i++)
		pthread_join(workers[i].thread, NULL);

	res->seconds = lg_now() - run.start;
	res->processes = atomic_load(&run.processes);
	res->mismatches = atomic_load(&run.mismatches);
	res->interrupted = atomic_load(&lg_interrupted);
	res->error = atomic_load(&run.error);
	lg_free_workers(workers, spec->jobs);
	err = 0;
out:
	if (run.bus_page)
		munmap((void *)run.bus_page, (size_t)sysconf(_SC_PAGESIZE));
	return err;
}

/*
 * getopt_long() returned ':' (missing argument) or '?' (unknown option); the
 * option string starts with ':' and opterr is 0, so the message is ours.
 */
static inline void lg_getopt_error(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	bool is_long = arg[0] == '-' && arg[1] == '-';

	if (c == ':' && is_long)
		lg_usage_error("option %s needs an argument", arg);
	if (c == ':')
		lg_usage_error("option -%c needs an argument", optopt);
	if (is_long && optopt)
		lg_usage_error("option %.*s takes no argument", (int)strcspn(arg, "="), arg);
	if (is_long)
		lg_usage_error("unknown option %s", arg);
	lg_usage_error("unknown option -%c", optopt);
}

/* --- shared by the tools' option parsing ------------------------------------------------------ */

/* -h, --help: the usage on stdout, and exit 0. */
static inline __attribute__((noreturn)) void lg_help(const char *usage)
{
	fputs(usage, stdout);
	exit(0);
}

/* The tools take options only: anything left after them is refused. */
static inline void lg_no_operands(int argc, char **argv)
{
	if (optind < argc)
		lg_usage_error("unexpected argument '%s'", argv[optind]);
}

static inline unsigned long lg_opt_count(const char *arg, const char *opt)
{
	unsigned long v;

	if (lg_parse_ulong(arg, 1, ULONG_MAX, &v))
		lg_usage_error("invalid %s '%s': expected a whole number of processes, 1 or more",
			       opt, arg);
	return v;
}

static inline unsigned int lg_opt_jobs(const char *arg)
{
	unsigned long v;

	if (lg_parse_ulong(arg, 1, LG_MAX_JOBS, &v))
		lg_usage_error("invalid -j '%s': expected a number of children from 1 to %d", arg,
			       LG_MAX_JOBS);
	return (unsigned int)v;
}

static inline double lg_opt_duration(const char *arg)
{
	double v;

	if (lg_parse_number(arg, &v) || v <= 0)
		lg_usage_error("invalid --duration '%s': expected a number of seconds above 0",
			       arg);
	return v;
}

static inline double lg_opt_rate(const char *arg)
{
	double v;

	if (lg_parse_number(arg, &v))
		lg_usage_error("invalid --rate '%s': expected processes per second, 0 or more",
			       arg);
	return v;
}

static inline void lg_opt_cgroup(const char *arg, const char **dirs, int *n)
{
	if (!*arg)
		lg_usage_error("invalid --cgroup '': expected a directory");
	if (*n >= LG_MAX_CGROUPS)
		lg_usage_error("too many --cgroup options (at most %d, one per hierarchy)",
			       LG_MAX_CGROUPS);
	dirs[(*n)++] = arg;
}

#endif /* PODTRAIL_LOADGEN_COMMON_H */
