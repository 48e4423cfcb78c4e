// SPDX-License-Identifier: GPL-2.0
/*
 * forkexit: a fork/exit load generator. Creates processes that end at once,
 * with an exit code or a signal, as fast as it can or at a set rate, so that
 * podtrail's exit path (sched_process_exit, signal_generate, the in-kernel
 * filter, the ring buffer) can be measured under load. Checks that every
 * process ended as asked.
 */

#include "loadgen_common.h"

static const char usage_text[] =
    "Usage: forkexit [OPTION]...\n"
    "Create processes that end at once, to load the process-exit path of podtrail.\n"
    "Prints one line: 'forkexit: N processes in T s: R processes/s'.\n"
    "\n"
    "How many, how fast:\n"
    "  -n, --count N         create N processes (default 10000)\n"
    "      --duration SECS   create processes for SECS seconds instead; with -n\n"
    "                        too, stop at whichever comes first\n"
    "  -r, --rate R          aim at R processes per second (default 0: as fast as\n"
    "                        possible)\n"
    "  -j, --jobs J          keep J children alive at once, one per thread\n"
    "                        (default 1)\n"
    "\n"
    "How each process ends:\n"
    "  -c, --exit-code CODE  exit with CODE, 0-255 (default 0)\n"
    "      --exec PROGRAM    exec PROGRAM (a path, no arguments) in each child,\n"
    "                        which must exit with the code asked: a process that\n"
    "                        exec'd, as most on a node are, rather than a copy\n"
    "                        of forkexit\n"
    "  -s, --signal SIG      die of signal SIG instead, by name (SEGV, SIGSEGV) or\n"
    "                        number: the child restores SIG's default action and\n"
    "                        sends it to itself; KILL is sent by forkexit, the\n"
    "                        parent\n"
    "      --fault           with -s SEGV, BUS, ILL or FPE: raise it by a real\n"
    "                        fault (a write to address 0x10, a read past the end\n"
    "                        of a file mapping, an undefined instruction, an\n"
    "                        integer division by zero)\n"
    "\n"
    "Where:\n"
    "      --cgroup DIR      join cgroup DIR first (write forkexit's pid to\n"
    "                        DIR/cgroup.procs; a v1 or v2 directory); repeat it to\n"
    "                        join one directory in each of several hierarchies\n"
    "      --pidns           make each child the init of a new pid namespace, like\n"
    "                        a container's main process. Such a process ignores\n"
    "                        signals it sends itself, so with -s only KILL and\n"
    "                        SEGV, BUS, ILL, FPE work, the last four raised by a\n"
    "                        real fault\n"
    "      --fork            give each child its own copy of the address space\n"
    "                        (fork) rather than share forkexit's until it exits\n"
    "                        (vfork); slower. Always so with -s KILL, whose\n"
    "                        children wait to be killed\n"
    "\n"
    "Output:\n"
    "      --json            print the result as one JSON object instead\n"
    "  -h, --help            show this help and exit\n"
    "\n"
    "Children that die of a signal whose default action dumps core do not dump it\n"
    "(forkexit sets RLIMIT_CORE to 0 and itself non-dumpable before the first one).\n"
    "SIGINT or SIGTERM stops the run early; the result is still printed.\n"
    "\n"
    "Exit status: 0 if every process ended as asked; 1 if some did not (each is\n"
    "counted, the first few shown) or an error stopped the run; 2 for a bad\n"
    "command line.\n"
    "\n"
    "Examples:\n"
    "  forkexit -n 20000 -j 4\n"
    "  forkexit --duration 10 --rate 1000 -c 1\n"
    "  forkexit -n 3000 -j 2 --exec /bin/true\n"
    "  forkexit --pidns -n 2000 -s KILL --cgroup /sys/fs/cgroup/unified/test\n";

enum {
	OPT_DURATION = 256,
	OPT_FAULT,
	OPT_CGROUP,
	OPT_PIDNS,
	OPT_FORK,
	OPT_EXEC,
	OPT_JSON,
};

static const struct option long_options[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "rate", required_argument, NULL, 'r' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "exit-code", required_argument, NULL, 'c' },
	{ "signal", required_argument, NULL, 's' },
	{ "fault", no_argument, NULL, OPT_FAULT },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "pidns", no_argument, NULL, OPT_PIDNS },
	{ "fork", no_argument, NULL, OPT_FORK },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	struct lg_spec spec;
	bool have_count;
	bool have_code;
	bool fault;
	bool json;
	const char *cgroups[LG_MAX_CGROUPS];
	int ncgroups;
};

static const char *const end_names[] = {
	[LG_END_EXIT] = "exit",
	[LG_END_SEND] = "self",
	[LG_END_FAULT] = "fault",
	[LG_END_KILLED] = "parent",
};

static void parse_signal_option(const char *arg, struct lg_spec *spec)
{
	char name[16];

	if (lg_parse_signal(arg, &spec->sig))
		lg_usage_error("invalid -s '%s': expected a signal name such as SEGV or a number "
			       "(1-31, %d-%d)",
			       arg, SIGRTMIN, SIGRTMAX);
	if (!lg_signal_terminates(spec->sig))
		lg_usage_error("-s %s: the default action of SIG%s is to ignore it or stop the "
			       "process, not to end it",
			       arg, lg_signal_name(spec->sig, name, sizeof(name)));
}

static void parse_args(int argc, char **argv, struct options *o)
{
	struct lg_spec *spec = &o->spec;
	unsigned long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:r:j:c:s:h", long_options, NULL)) != -1) {
		switch (c) {
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
		case 'c':
			if (lg_parse_ulong(optarg, 0, 255, &v))
				lg_usage_error(
				    "invalid -c '%s': expected an exit code from 0 to 255", optarg);
			spec->exit_code = (int)v;
			o->have_code = true;
			break;
		case 's':
			parse_signal_option(optarg, spec);
			break;
		case OPT_FAULT:
			o->fault = true;
			break;
		case OPT_CGROUP:
			lg_opt_cgroup(optarg, o->cgroups, &o->ncgroups);
			break;
		case OPT_PIDNS:
			spec->pidns = true;
			break;
		case OPT_FORK:
			spec->copy_vm = true;
			break;
		case OPT_EXEC:
			spec->exec_path = optarg;
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

/* Turn the options into one way to end, or exit 2 if they contradict each other. */
static void check_args(struct options *o)
{
	struct lg_spec *spec = &o->spec;
	const char *name;
	char buf[16];

	if (!o->have_count && spec->duration == 0)
		spec->count = 10000;
	if (o->have_code && spec->sig)
		lg_usage_error("-c and -s are exclusive: a process ends with a code or a signal");
	if (spec->exec_path && spec->sig)
		lg_usage_error(
		    "--exec and -s are exclusive: the program exec'd decides how it ends");
	if (spec->exec_path && access(spec->exec_path, X_OK))
		lg_usage_error("--exec %s: not an executable file: %s", spec->exec_path,
			       strerror(errno));
	if (!spec->sig) {
		if (o->fault)
			lg_usage_error("--fault needs -s SEGV, BUS, ILL or FPE");
		spec->end = LG_END_EXIT;
		return;
	}
	name = lg_signal_name(spec->sig, buf, sizeof(buf));
	if (spec->sig == SIGKILL) {
		if (o->fault)
			lg_usage_error(
			    "--fault: SIGKILL is sent by the parent, not raised by a fault");
		spec->end = LG_END_KILLED;
		spec->copy_vm = true;
		return;
	}
	if ((o->fault || spec->pidns) && !lg_signal_has_fault(spec->sig)) {
		if (o->fault)
			lg_usage_error("--fault: no fault raises SIG%s here; use SEGV, BUS, ILL or "
				       "FPE",
				       name);
		lg_usage_error("--pidns -s %s: a pid-namespace init ignores SIG%s when it sends "
			       "it itself (or the parent namespace does); use KILL, or SEGV, BUS, "
			       "ILL or FPE, which are then raised by a real fault",
			       name, name);
	}
	spec->end = o->fault || spec->pidns ? LG_END_FAULT : LG_END_SEND;
}

static void print_json(const struct options *o, const struct lg_result *res, double rate)
{
	const struct lg_spec *spec = &o->spec;
	char name[16];
	int i;

	printf("{\"processes\":%lu,\"seconds\":%.6f,\"rate\":%.1f,", res->processes, res->seconds,
	       rate);
	if (spec->sig)
		printf("\"exit_code\":null,\"signal\":%d,\"signal_name\":\"SIG%s\",", spec->sig,
		       lg_signal_name(spec->sig, name, sizeof(name)));
	else
		printf("\"exit_code\":%d,\"signal\":null,\"signal_name\":null,", spec->exit_code);
	printf("\"sent_by\":\"%s\",\"mismatches\":%lu,\"jobs\":%u,\"target_rate\":%g,"
	       "\"pidns\":%s,\"clone\":\"%s\",\"exec\":",
	       end_names[spec->end], res->mismatches, spec->jobs, spec->rate,
	       spec->pidns ? "true" : "false", spec->copy_vm ? "fork" : "vfork");
	if (spec->exec_path)
		lg_json_string(stdout, spec->exec_path);
	else
		fputs("null", stdout);
	fputs(",\"cgroups\":[", stdout);
	for (i = 0; i < o->ncgroups; i++) {
		if (i)
			putchar(',');
		lg_json_string(stdout, o->cgroups[i]);
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
	struct options o = { .spec = { .jobs = 1 } };
	struct lg_result res = { 0 };
	double rate;

	lg_prog = "forkexit";
	parse_args(argc, argv, &o);
	check_args(&o);
	if (lg_cgroup_join_all(o.cgroups, o.ncgroups))
		return 1;
	if (lg_run(&o.spec, &res))
		return 1;

	rate = res.seconds > 0 ? res.processes / res.seconds : 0;
	if (o.json)
		print_json(&o, &res, rate);
	else
		printf("forkexit: %lu processes in %.3f s: %.0f processes/s\n", res.processes,
		       res.seconds, rate);
	if (res.mismatches)
		lg_error(0, "%lu of %lu processes did not %s", res.mismatches, res.processes,
			 o.spec.sig ? "die of the signal asked" : "exit with the code asked");
	fflush(stdout);
	return res.mismatches || res.error ? 1 : 0;
}
