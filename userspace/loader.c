// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "defaults.h"
#include "loader.h"
#include "signals.h"
#include "podtrail.skel.h"

/* Mirror of bpf/maps.h's per-CPU state: one element per possible CPU. */
struct percpu_state {
	uint64_t names_filter[PT_NAME_FILTER_WORDS];
	uint64_t counters[PT_CNT__MAX];
	uint64_t last_wakeup_ns;
	uint64_t init_nsproxy;
} __attribute__((aligned(64)));

struct pt_loader {
	struct podtrail_bpf *skel;
	bool btf;
	bool syscalls; /* senders from the kill family, not from signal_generate */
};

/* The kill family: where a process sends a signal on purpose. */
static const char *const kill_syscalls[] = {
	"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal",
};

static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Classic tracepoints are found through tracefs: mount it if nobody has. */
static int ensure_tracefs(char *err, size_t errlen)
{
	if (path_exists("/sys/kernel/tracing/events/sched") ||
	    path_exists("/sys/kernel/debug/tracing/events/sched"))
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		return 0;
	snprintf(err, errlen,
		 "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: %s "
		 "(mount it first, or mount the host's /sys/kernel/tracing into the container)",
		 strerror(errno));
	return -errno;
}

/*
 * Are the kill family's syscall tracepoints there (CONFIG_FTRACE_SYSCALLS)?
 * All of them or none is used: one missing would hide a sender.
 */
static bool kill_syscalls_traceable(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events/syscalls",
					     "/sys/kernel/debug/tracing/events/syscalls" };
	char path[128];

	for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++) {
		size_t found = 0;

		for (size_t i = 0; i < sizeof(kill_syscalls) / sizeof(kill_syscalls[0]); i++) {
			snprintf(path, sizeof(path), "%s/sys_enter_%s", roots[r], kill_syscalls[i]);
			found += path_exists(path);
			snprintf(path, sizeof(path), "%s/sys_exit_%s", roots[r], kill_syscalls[i]);
			found += path_exists(path);
		}
		if (found == 2 * sizeof(kill_syscalls) / sizeof(kill_syscalls[0]))
			return true;
	}
	return false;
}

/* Load either the kill-family programs or the signal_generate ones. */
static void choose_sender_programs(struct podtrail_bpf *skel, bool btf, bool syscalls)
{
	struct bpf_program *kill_family[] = {
		skel->progs.kill_enter,	      skel->progs.kill_exit,
		skel->progs.tkill_enter,      skel->progs.tkill_exit,
		skel->progs.tgkill_enter,     skel->progs.tgkill_exit,
		skel->progs.sigqueue_enter,   skel->progs.sigqueue_exit,
		skel->progs.tgsigqueue_enter, skel->progs.tgsigqueue_exit,
		skel->progs.pidfd_enter,      skel->progs.pidfd_exit,
	};

	for (size_t i = 0; i < sizeof(kill_family) / sizeof(kill_family[0]); i++)
		bpf_program__set_autoload(kill_family[i], syscalls);
	bpf_program__set_autoload(skel->progs.signal_btf, !syscalls && btf);
	bpf_program__set_autoload(skel->progs.signal_tp, !syscalls && !btf);
	skel->rodata->senders_from_syscalls = syscalls;
}

static void filter_add(uint64_t filter[PT_NAME_FILTER_WORDS], const char *name)
{
	char padded[PT_COMM_LEN] = { 0 };
	unsigned int slot;
	uint64_t first8;

	strncpy(padded, name, PT_COMM_LEN - 1);
	memcpy(&first8, padded, sizeof(first8));
	slot = pt_name_slot(first8);
	filter[slot / 64] |= 1ULL << (slot % 64);
}

/* The exit program's filter over every name it looks for. */
static void names_filter(const struct pt_loader_config *cfg, uint64_t filter[PT_NAME_FILTER_WORDS])
{
	memset(filter, 0, sizeof(uint64_t) * PT_NAME_FILTER_WORDS);
	for (size_t i = 0; i < cfg->nr_sandbox_names && i < PT_MAX_SANDBOX_NAMES; i++)
		filter_add(filter, cfg->sandbox_names[i]);
	for (size_t i = 0; i < cfg->nr_daemon_names && i < PT_MAX_DAEMON_NAMES; i++)
		filter_add(filter, cfg->daemon_names[i]);
	for (size_t i = 0; i < cfg->nr_shim_names && i < PT_MAX_SHIM_NAMES; i++)
		filter_add(filter, cfg->shim_names[i]);
}

/* Every CPU's state: the names filter, counters at 0. Before the programs attach. */
static int seed_percpu_state(struct podtrail_bpf *skel, const struct pt_loader_config *cfg,
			     uint32_t ncpu)
{
	struct percpu_state v;

	memset(&v, 0, sizeof(v));
	names_filter(cfg, v.names_filter);
	for (uint32_t cpu = 0; cpu < ncpu; cpu++)
		if (bpf_map__update_elem(skel->maps.percpu_state, &cpu, sizeof(cpu), &v, sizeof(v),
					 BPF_ANY))
			return -errno;
	return 0;
}

static void set_rodata(struct podtrail_bpf *skel, const struct pt_loader_config *cfg)
{
	struct podtrail_bpf__rodata *ro = skel->rodata;
	size_t n = cfg->nr_sandbox_names < PT_MAX_SANDBOX_NAMES ? cfg->nr_sandbox_names
								: PT_MAX_SANDBOX_NAMES;

	memset((void *)ro->sandbox_names, 0, sizeof(ro->sandbox_names));
	for (size_t i = 0; i < n; i++)
		strncpy((char *)ro->sandbox_names[i], cfg->sandbox_names[i], PT_COMM_LEN - 1);
	ro->nr_sandbox_names = (uint32_t)n;
	memcpy((void *)ro->daemon_names, cfg->daemon_names, sizeof(ro->daemon_names));
	ro->nr_daemon_names = (uint32_t)cfg->nr_daemon_names;
	memcpy((void *)ro->shim_names, cfg->shim_names, sizeof(ro->shim_names));
	ro->nr_shim_names = (uint32_t)cfg->nr_shim_names;
	ro->fatal_signal_mask = pt_fatal_signal_mask();
	ro->wakeup_interval_ns = cfg->wakeup_interval_ns;
	ro->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	ro->memory_hierarchy_id = cfg->memory_hierarchy_id;
}

/* The "auto" ring: PT_RINGBUF_PER_CPU for each CPU, a power of two within the bounds. */
static uint32_t auto_ringbuf_bytes(int ncpu)
{
	uint64_t want = (uint64_t)ncpu * PT_RINGBUF_PER_CPU;
	uint32_t size = PT_RINGBUF_AUTO_MIN;

	while (size < want && size < PT_RINGBUF_AUTO_MAX)
		size *= 2;
	return size;
}

static int open_flavour(const struct pt_loader_config *cfg, bool btf, bool syscalls,
			struct podtrail_bpf **out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct podtrail_bpf *skel;
	int err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	skel = podtrail_bpf__open();
	if (!skel)
		return -errno;
	set_rodata(skel, cfg);
	bpf_map__set_max_entries(skel->maps.events, cfg->ringbuf_bytes ? cfg->ringbuf_bytes
								       : auto_ringbuf_bytes(ncpu));
	bpf_map__set_max_entries(skel->maps.percpu_state, (uint32_t)ncpu);
	bpf_program__set_autoload(skel->progs.exit_btf, btf);
	bpf_program__set_autoload(skel->progs.exit_tp, !btf);
	choose_sender_programs(skel, btf, syscalls);
	bpf_program__set_autoload(skel->progs.cgroup_mkdir_btf, btf);
	bpf_program__set_autoload(skel->progs.cgroup_rmdir_btf, btf);
	bpf_program__set_autoload(skel->progs.cgroup_mkdir_tp, !btf);
	bpf_program__set_autoload(skel->progs.cgroup_rmdir_tp, !btf);
	bpf_program__set_autoload(skel->progs.cgroup_rename_btf, btf);
	bpf_program__set_autoload(skel->progs.cgroup_rename_tp, !btf);
	err = podtrail_bpf__load(skel);
	if (!err)
		err = seed_percpu_state(skel, cfg, (uint32_t)ncpu);
	if (err) {
		podtrail_bpf__destroy(skel);
		return err < 0 ? err : -err;
	}
	*out = skel;
	return 0;
}

static void diagnose_load(int e, char *err, size_t errlen)
{
	if (e == -EPERM)
		snprintf(err, errlen,
			 "not allowed to load BPF programs (%s): run as root, or grant CAP_BPF, "
			 "CAP_PERFMON and CAP_SYS_RESOURCE",
			 strerror(-e));
	else if (e == -EACCES)
		snprintf(err, errlen,
			 "the kernel's verifier rejected a BPF program (%s): run with "
			 "-v 2 for its log",
			 strerror(-e));
	else
		snprintf(err, errlen,
			 "loading the BPF programs failed: %s (run with -v 2 for the "
			 "verifier log)",
			 strerror(-e));
}

int pt_loader_open(const struct pt_loader_config *cfg, struct pt_loader **out, char *err,
		   size_t errlen)
{
	struct pt_loader *l;
	int e = -ENOENT;

	if (!path_exists("/sys/kernel/btf/vmlinux")) {
		snprintf(err, errlen,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
			 "podtrail needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	e = ensure_tracefs(err, errlen);
	if (e)
		return e;
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->syscalls = cfg->senders != PT_SENDERS_SIGNAL_GENERATE && kill_syscalls_traceable();
	if (cfg->senders == PT_SENDERS_SYSCALLS && !l->syscalls) {
		snprintf(err, errlen,
			 "--senders syscalls: the kill family's tracepoints (events/syscalls/"
			 "sys_enter_kill, ...) are missing: this kernel lacks "
			 "CONFIG_FTRACE_SYSCALLS; use --senders auto");
		free(l);
		return -ENOENT;
	}
	if (cfg->mode != PT_ATTACH_TRACEPOINT) {
		e = open_flavour(cfg, true, l->syscalls, &l->skel);
		l->btf = e == 0;
	}
	if (!l->skel && cfg->mode != PT_ATTACH_BTF && e != -EPERM)
		e = open_flavour(cfg, false, l->syscalls, &l->skel);
	if (!l->skel) {
		diagnose_load(e, err, errlen);
		free(l);
		return e;
	}
	e = podtrail_bpf__attach(l->skel);
	if (e) {
		e = e < 0 ? e : -e;
		snprintf(err, errlen, "attaching the BPF programs failed: %s", strerror(-e));
		pt_loader_close(l);
		return e;
	}
	*out = l;
	return 0;
}

int pt_loader_ringbuf_fd(const struct pt_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

uint32_t pt_loader_ringbuf_bytes(const struct pt_loader *l)
{
	return bpf_map__max_entries(l->skel->maps.events);
}

void pt_loader_cgroups_walked(struct pt_loader *l, size_t slot)
{
	volatile uint32_t *walked = l->skel->bss->cgroup_walked;

	if (slot < 2)
		walked[slot] = 1;
}

volatile uint64_t *pt_loader_polling_until(const struct pt_loader *l)
{
	return (volatile uint64_t *)&l->skel->bss->reader_polling_until_ns;
}

const char *pt_loader_flavour(const struct pt_loader *l)
{
	return l->btf ? "tp_btf" : "tracepoint";
}

const char *pt_loader_senders(const struct pt_loader *l)
{
	return l->syscalls ? "kill-family system calls" : "signal_generate";
}

int pt_loader_read_counters(const struct pt_loader *l, uint64_t out[PT_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct percpu_state v;

	memset(out, 0, sizeof(uint64_t) * PT_CNT__MAX);
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	for (uint32_t cpu = 0; cpu < (uint32_t)ncpu; cpu++) {
		if (bpf_map__lookup_elem(l->skel->maps.percpu_state, &cpu, sizeof(cpu), &v,
					 sizeof(v), 0))
			return -errno;
		for (int c = 0; c < PT_CNT__MAX; c++)
			out[c] += v.counters[c];
	}
	/* The boring path counts only itself, to stay short: every process exit was seen. */
	out[PT_CNT_EXIT_SEEN] += out[PT_CNT_EXIT_BORING];
	return 0;
}

void pt_loader_detach(struct pt_loader *l)
{
	if (l && l->skel)
		podtrail_bpf__detach(l->skel);
}

void pt_loader_close(struct pt_loader *l)
{
	if (!l)
		return;
	podtrail_bpf__destroy(l->skel);
	free(l);
}
