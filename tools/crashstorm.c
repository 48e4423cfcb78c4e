// SPDX-License-Identifier: GPL-2.0
/*
 * crashstorm: processes dying of SIGSEGV, by a real invalid memory access,
 * in a pod-like cgroup, to load podtrail's crash path (ProcessCrashed events,
 * or ContainerExited with --pidns). Checks that every process died of SIGSEGV.
 *
 * With --cgroup, the crashing processes are made by a worker process that
 * joins the cgroup(s), so that crashstorm itself stays where it is and can
 * remove the directories it created once the worker is gone.
 */
#include <sys/stat.h>

#include "loadgen_common.h"

static const char usage_text[] =
    "Usage: crashstorm [OPTION]...\n"
    "Make processes die of SIGSEGV by a real invalid memory access (a write to\n"
    "address 0x10, like a member of a NULL struct pointer), in a pod-like cgroup,\n"
    "to load the crash path of podtrail.\n"
    "Prints one line: 'crashstorm: N crashes in T s: R crashes/s'.\n"
    "\n"
    "      --cgroup DIR      crash in cgroup DIR, a v1 or v2 directory such as\n"
    "                        /sys/fs/cgroup/unified/kubepods/burstable/pod<uid>/<id>\n"
    "                        (id: 64 hex digits). DIR and missing parents are\n"
    "                        created; at the end, those crashstorm created are\n"
    "                        removed if empty. Repeat it for one directory in each\n"
    "                        of several hierarchies. Without it, the processes\n"
    "                        crash in crashstorm's own cgroups\n"
    "  -n, --count N         make N processes crash (default 10000)\n"
    "      --duration SECS   make processes crash for SECS seconds instead; with\n"
    "                        -n too, stop at whichever comes first\n"
    "  -r, --rate R          aim at R crashes per second (default 0: as fast as\n"
    "                        possible)\n"
    "  -j, --jobs J          keep J crashing processes alive at once, one per\n"
    "                        thread (default 1)\n"
    "      --pidns           make each one the init of a new pid namespace, like a\n"
    "                        container's main process\n"
    "      --fork            give each one its own copy of the address space\n"
    "                        (fork) rather than share the worker's until it dies\n"
    "                        (vfork); slower\n"
    "      --json            print the result as one JSON object instead\n"
    "  -h, --help            show this help and exit\n"
    "\n"
    "The crashing processes dump no core (RLIMIT_CORE 0 and not dumpable, set once\n"
    "in the process that creates them and inherited). The kernel logs a rate-limited\n"
    "'segfault at 10' line per crash while sysctl debug.exception-trace is 1.\n"
    "SIGINT or SIGTERM stops the run early; the result is still printed and the\n"
    "cgroups still removed.\n"
    "\n"
    "Exit status: 0 if every process died of SIGSEGV; 1 if some did not (each is\n"
    "counted, the first few shown) or an error stopped the run; 2 for a bad\n"
    "command line.\n"
    "\n"
    "Example:\n"
    "  crashstorm -n 20000 -j 4 --cgroup /sys/fs/cgroup/unified/kubepods/burstable/\\\n"
    "pod0f0e4a8c-7a6e-4c1e-9d7e-2b1f6c3d4e5f/\\\n"
    "3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c\n";

enum {
	OPT_DURATION = 256,
	OPT_CGROUP,
	OPT_PIDNS,
	OPT_FORK,
	OPT_JSON,
};

static const struct option long_options[] = {
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "count", required_argument, NULL, 'n' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "rate", required_argument, NULL, 'r' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "pidns", no_argument, NULL, OPT_PIDNS },
	{ "fork", no_argument, NULL, OPT_FORK },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One --cgroup directory and what crashstorm did to it. */
struct cgroup_dir {
	char path[PATH_MAX]; /* without trailing slashes */
	size_t created_from; /* length of the shallowest prefix crashstorm created; 0 = none */
	size_t created_to;   /* and of the deepest (short of the whole path if mkdir failed) */
	bool removed;
};

struct options {
	struct lg_spec spec;
	bool have_count;
	bool json;
	const char *cgroups[LG_MAX_CGROUPS];
	int ncgroups;
};

static volatile pid_t worker_pid;

/*
 * In crashstorm itself: pass SIGINT/SIGTERM on to the worker, which stops and
 * reports. The worker inherits this handler until the engine installs its own;
 * both set lg_interrupted, so an early signal is not lost.
 */
static void forward_signal(int sig)
{
	atomic_store(&lg_interrupted, true);
	if (worker_pid > 0)
		kill(worker_pid, sig);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	struct lg_spec *spec = &o->spec;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:r:j:h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_CGROUP:
			lg_opt_cgroup(optarg, o->cgroups, &o->ncgroups);
			break;
		case 'n':
			spec->count = lg_opt_count(optarg, "-n");
			o->have_count = true;
			break;
		case OPT_DURATION:
			spec->duration = lg_opt_duration(optarg);
			break;
		case 'r':
			spec->rate = lg_opt_rate(optarg);
			break;
		case 'j':
			spec->jobs = lg_opt_jobs(optarg);
			break;
		case OPT_PIDNS:
			spec->pidns = true;
			break;
		case OPT_FORK:
			spec->copy_vm = true;
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
	if (!o->have_count && spec->duration == 0)
		spec->count = 10000;
}

/* Refuse to create path unless its parent, path[0..parent), is in a cgroup file system. */
static int check_parent_is_cgroup(const char *path, size_t parent)
{
	char dir[PATH_MAX] = ".";
	int err;

	if (parent) {
		memcpy(dir, path, parent);
		dir[parent] = '\0';
	} else if (path[0] == '/') {
		strcpy(dir, "/");
	}
	err = lg_on_cgroupfs(dir);
	if (err < 0) {
		lg_error(err, "cannot create cgroup %s: %s", path, dir);
		return err;
	}
	if (!err) {
		lg_error(0,
			 "cannot create cgroup %s: %s is not a cgroup directory (not on a cgroup "
			 "or cgroup2 file system)",
			 path, dir);
		return -EINVAL;
	}
	return 0;
}

/* Make sure path exists; its parent is path[0..parent). 1 if this call made it, or -errno. */
static int make_one(const char *path, size_t parent, bool first)
{
	struct stat st;
	int err;

	if (stat(path, &st) == 0) {
		err = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	} else if (errno != ENOENT) {
		err = -errno;
	} else {
		/* Only the first new directory needs the check: the rest are inside it. */
		if (first && (err = check_parent_is_cgroup(path, parent)))
			return err;
		err = mkdir(path, 0755) ? -errno : 1;
	}
	if (err < 0)
		lg_error(err, "cannot create cgroup %s", path);
	return err;
}

/* mkdir -p cg->path, remembering where crashstorm started creating. */
static int cgroup_create(struct cgroup_dir *cg)
{
	char *path = cg->path;
	size_t len = strlen(path), i, parent = 0;
	char save;
	int ret;

	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		save = path[i];
		path[i] = '\0';
		ret = make_one(path, parent, !cg->created_from);
		path[i] = save;
		if (ret < 0)
			return ret;
		if (ret && !cg->created_from)
			cg->created_from = i;
		if (ret)
			cg->created_to = i;
		if (save == '/')
			parent = i;
	}
	return 0;
}

/* rmdir, giving the kernel a moment to let go of processes just reaped. */
static int rmdir_retry(const char *path)
{
	int tries;

	for (tries = 0; rmdir(path); tries++) {
		if (errno != EBUSY || tries >= 100)
			return -errno;
		usleep(10000);
	}
	return 0;
}

/* Remove what cgroup_create() made, deepest first; stop at the first that is not empty. */
static void cgroup_remove(struct cgroup_dir *cg)
{
	size_t len = cg->created_to;
	char save;
	int err;

	while (cg->created_from && len >= cg->created_from) {
		save = cg->path[len];
		cg->path[len] = '\0';
		err = rmdir_retry(cg->path);
		if (err == -ENOENT) /* someone else removed it */
			err = 0;
		if (err)
			lg_error(err, "left cgroup %s in place: rmdir%s", cg->path,
				 err == -EBUSY ? " (it holds processes or child cgroups)" : "");
		cg->path[len] = save;
		if (err)
			return;
		while (len > 0 && cg->path[len - 1] != '/')
			len--;
		while (len > 1 && cg->path[len - 1] == '/')
			len--;
		if (len == 1)
			break;
	}
	cg->removed = cg->created_from != 0;
}

static int cgroups_init(const struct options *o, struct cgroup_dir *cgs)
{
	size_t len;
	int i, err;

	for (i = 0; i < o->ncgroups; i++) {
		len = strlen(o->cgroups[i]);
		while (len > 1 && o->cgroups[i][len - 1] == '/')
			len--;
		if (len >= sizeof(cgs[i].path)) {
			lg_error(ENAMETOOLONG, "--cgroup %s", o->cgroups[i]);
			return -ENAMETOOLONG;
		}
		memcpy(cgs[i].path, o->cgroups[i], len);
		cgs[i].path[len] = '\0';
		err = cgroup_create(&cgs[i]);
		if (err)
			return err;
	}
	return 0;
}

/* The worker: join the cgroups, run the storm, leave the result in shared memory. */
static void __attribute__((noreturn))
run_worker(const struct options *o, const struct cgroup_dir *cgs, struct lg_result *res)
{
	const char *dirs[LG_MAX_CGROUPS];
	int i, err;

	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	for (i = 0; i < o->ncgroups; i++)
		dirs[i] = cgs[i].path;
	err = lg_cgroup_join_all(dirs, o->ncgroups);
	if (!err)
		err = lg_run(&o->spec, res);
	fflush(NULL);
	_exit(err ? 1 : 0);
}

/* Run the storm in a worker process inside the cgroups; 0 if it ran. */
static int run_in_cgroups(const struct options *o, const struct cgroup_dir *cgs,
			  struct lg_result *out)
{
	struct lg_result *res;
	int status, err = 0;
	pid_t pid;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		err = -errno;
		lg_error(err, "mmap");
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		lg_error(err, "fork");
		goto out;
	}
	if (pid == 0)
		run_worker(o, cgs, res);
	worker_pid = pid;
	if (atomic_load(&lg_interrupted))
		kill(pid, SIGTERM);
	err = lg_reap(pid, &status);
	worker_pid = 0;
	if (err) {
		lg_error(err, "waitpid for worker %d", (int)pid);
	} else if (!WIFEXITED(status)) {
		lg_error(0, "worker process %d was killed by signal %d", (int)pid,
			 WTERMSIG(status));
		err = -EINTR;
	} else if (WEXITSTATUS(status)) {
		err = -EIO; /* the worker said why */
	}
	*out = *res;
out:
	munmap(res, sizeof(*res));
	return err;
}

static void print_json(const struct options *o, const struct cgroup_dir *cgs,
		       const struct lg_result *res, unsigned long crashes, double rate)
{
	const struct lg_spec *spec = &o->spec;
	int i;

	printf("{\"crashes\":%lu,\"processes\":%lu,\"seconds\":%.6f,\"rate\":%.1f,"
	       "\"mismatches\":%lu,\"jobs\":%u,\"target_rate\":%g,\"pidns\":%s,\"clone\":\"%s\","
	       "\"cgroups\":[",
	       crashes, res->processes, res->seconds, rate, res->mismatches, spec->jobs, spec->rate,
	       spec->pidns ? "true" : "false", spec->copy_vm ? "fork" : "vfork");
	for (i = 0; i < o->ncgroups; i++) {
		printf("%s{\"path\":", i ? "," : "");
		lg_json_string(stdout, cgs[i].path);
		printf(",\"created\":%s,\"removed\":%s}", cgs[i].created_from ? "true" : "false",
		       cgs[i].removed ? "true" : "false");
	}
	printf("],\"interrupted\":%s,\"error\":", res->interrupted ? "true" : "false");
	if (res->error)
		lg_json_string(stdout, strerror(-res->error));
	else
		fputs("null", stdout);
	puts("}");
}

int main(int argc, char **argv)
{
	struct options o = { .spec = { .end = LG_END_FAULT, .sig = SIGSEGV, .jobs = 1 } };
	struct cgroup_dir cgs[LG_MAX_CGROUPS] = { 0 };
	struct sigaction sa = { .sa_handler = forward_signal };
	struct lg_result res = { 0 };
	unsigned long crashes;
	double rate;
	int i, err;

	lg_prog = "crashstorm";
	parse_args(argc, argv, &o);
	if (!o.ncgroups) {
		err = lg_run(&o.spec, &res);
	} else {
		/* Installed before the worker exists, so that it inherits it too. */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		err = cgroups_init(&o, cgs);
		if (!err)
			err = run_in_cgroups(&o, cgs, &res);
		for (i = 0; i < o.ncgroups; i++)
			cgroup_remove(&cgs[i]);
	}
	if (err)
		return 1;

	crashes = res.processes - res.mismatches;
	rate = res.seconds > 0 ? crashes / res.seconds : 0;
	if (o.json)
		print_json(&o, cgs, &res, crashes, rate);
	else
		printf("crashstorm: %lu crashes in %.3f s: %.0f crashes/s\n", crashes, res.seconds,
		       rate);
	if (res.mismatches)
		lg_error(0, "%lu of %lu processes did not die of SIGSEGV", res.mismatches,
			 res.processes);
	fflush(stdout);
	return res.mismatches || res.error ? 1 : 0;
}
