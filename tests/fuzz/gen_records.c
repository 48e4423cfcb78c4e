// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the decode target's seed corpus: raw ring-buffer records as the
 * BPF programs make them (struct pt_exit_record / pt_oom_record /
 * pt_cgroup_record from include/podtrail/record.h), one file each, into the
 * directory given. The cgroups they name by id are seed_cgroups.h's.
 *
 *   make fuzz-seeds   (rebuilds this and rewrites tests/fuzz/corpus/decode/rec-*)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "podtrail/record.h"
#include "seed_cgroups.h"

#define CID1 SEED_CID1

static const char *dir;

static void save(const char *name, const void *rec, size_t size)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/rec-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(rec, size, 1, f) != 1 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* The cgroup @id of seed_cgroups.h, at its level. */
static void set_cgroup(struct pt_cgroup *cg, unsigned long long id)
{
	for (size_t i = 0; i < sizeof(seed_cgroups) / sizeof(seed_cgroups[0]); i++) {
		const char *p = seed_cgroups[i].path;

		if (seed_cgroups[i].id != id)
			continue;
		cg->id = id;
		cg->hierarchy_id = seed_cgroups[i].hierarchy;
		cg->level = 0;
		for (; *p; p++)
			cg->level += *p == '/' && p[1];
		return;
	}
	fprintf(stderr, "gen_records: cgroup %llu is not in seed_cgroups.h\n", id);
	exit(1);
}

static void exit_header(struct pt_exit_record *r, __u32 flags)
{
	memset(r, 0, sizeof(*r));
	r->hdr.kind = PT_RECORD_EXIT;
	r->hdr.version = PT_RECORD_VERSION;
	r->hdr.size = sizeof(*r);
	r->hdr.ktime_ns = 7251000000000ULL;
	r->hdr.flags = flags;
}

/* @cgroup 0: the target itself (a fault, raise()), as the kernel leaves it. */
static void killer(struct pt_killer *k, __u32 tgid, int sig, int code, const char *comm,
		   unsigned long long cgroup)
{
	struct pt_cgroup cg = { 0 };

	k->ktime_ns = 7250990000000ULL;
	k->pid = tgid;
	k->tgid = tgid;
	k->sig = sig;
	k->code = code;
	if (cgroup)
		set_cgroup(&cg, cgroup);
	k->cgroup_id = cg.id;
	k->cgroup_hierarchy_id = cg.hierarchy_id;
	strncpy(k->comm, comm, PT_COMM_LEN - 1);
}

/* An exit record at the size its flags give it. */
static void save_exit(const char *name, struct pt_exit_record *r)
{
	r->hdr.size = pt_exit_record_size(r->hdr.flags);
	save(name, r, r->hdr.size);
}

static void oom_figures(struct pt_oom *o, unsigned long long limit, const char *memcg)
{
	o->total_vm_kb = 1061344;
	o->anon_rss_kb = 20070;
	o->file_rss_kb = 6348;
	o->shmem_rss_kb = 0;
	o->memcg_limit_bytes = limit;
	o->memcg_usage_bytes = limit;
	o->memcg_id = 9001;
	o->oom_score_adj = 984;
	strncpy(o->memcg_name, memcg, PT_CGROUP_NAME_LEN - 1);
}

int main(int argc, char **argv)
{
	struct pt_exit_record r;
	struct pt_exit_record_oom x; /* an OOM victim's exit: r, then the figures */
	struct pt_oom_record o;
	struct pt_cgroup_names_record n;
	struct pt_cgroup_record c;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	/* A container's main process exits with code 7 (cgroupfs, burstable). */
	exit_header(&r, PT_FLAG_PIDNS_INIT);
	r.pid = 5802;
	r.tid = 5802;
	r.ppid = 5780;
	r.ns_pid = 1;
	r.ns_level = 1;
	r.exit_code = 7 << 8;
	r.start_ns = r.hdr.ktime_ns - 6000000;
	strcpy(r.comm, "sh");
	strcpy(r.parent_comm, "containerd-shim");
	set_cgroup(&r.cgroup, SEED_CG_CGROUPFS);
	save_exit("exit-code", &r);

	/* A worker segfaults and dumps core (systemd driver, containerd). */
	exit_header(&r, PT_FLAG_HAS_KILLER);
	r.pid = 11600;
	r.tid = 11600;
	r.ppid = 11599;
	r.ns_pid = 12;
	r.ns_level = 1;
	r.exit_code = 0x80 | 11;
	r.start_ns = r.hdr.ktime_ns - 632000000;
	strcpy(r.comm, "python3");
	strcpy(r.parent_comm, "sh");
	killer(&r.killer, 11600, 11, 1, "python3", 0);
	set_cgroup(&r.cgroup, SEED_CG_SYSTEMD);
	save_exit("segv-core", &r);

	/* A crash in a pod: the kernel sent SIGSEGV for the process's own fault. */
	exit_header(&r, PT_FLAG_HAS_KILLER | PT_FLAG_KILLER_SELF);
	r.pid = 11700;
	r.tid = 11702;
	r.ppid = 11699;
	r.exit_code = 11;
	r.start_ns = r.hdr.ktime_ns - 4000000;
	strcpy(r.comm, "crashstorm");
	strcpy(r.parent_comm, "crashstorm");
	set_cgroup(&r.cgroup, SEED_CG_CGROUPFS);
	save_exit("segv-self", &r);

	/* The main process is OOM-killed in its memory cgroup. */
	exit_header(&r, PT_FLAG_PIDNS_INIT | PT_FLAG_HAS_KILLER | PT_FLAG_OOM_KILLED |
			    PT_FLAG_OOM_MEMCG | PT_FLAG_HAS_RSS);
	r.pid = 2665;
	r.tid = 2665;
	r.ppid = 2600;
	r.ns_pid = 1;
	r.ns_level = 1;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 2500000000ULL;
	strcpy(r.comm, "python3");
	strcpy(r.parent_comm, "containerd-shim");
	killer(&r.killer, 2665, 9, 0, "python3", SEED_CG_SYSTEMD);
	set_cgroup(&r.cgroup, SEED_CG_SYSTEMD);
	memset(&x, 0, sizeof(x));
	x.exit = r;
	x.exit.hdr.size = sizeof(x);
	oom_figures(&x.oom, 20 << 20, "cri-containerd-" CID1 ".scope");
	save("oom-killed-main", &x, sizeof(x));

	/* The pause process is killed by someone on the host. */
	exit_header(&r, PT_FLAG_PIDNS_INIT | PT_FLAG_SANDBOX | PT_FLAG_HAS_KILLER |
			    PT_FLAG_PARENT_OTHER_CGROUP);
	r.pid = 2665;
	r.tid = 2665;
	r.ppid = 2601;
	r.ns_pid = 1;
	r.ns_level = 1;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 125000000000ULL;
	strcpy(r.comm, "pause");
	strcpy(r.parent_comm, "containerd-shim");
	killer(&r.killer, 777, 9, 0, "kill", SEED_CG_SESSION);
	set_cgroup(&r.cgroup, SEED_CG_CGROUPFS_POD2);
	save_exit("sandbox-killed", &r);

	/* The runtime stops a container (CRI-O, SIGTERM from conmon): Normal. */
	exit_header(&r, PT_FLAG_PIDNS_INIT | PT_FLAG_HAS_KILLER);
	r.pid = 4310;
	r.tid = 4310;
	r.ppid = 4300;
	r.ns_pid = 1;
	r.ns_level = 1;
	r.exit_code = 15;
	r.start_ns = r.hdr.ktime_ns - 3700000000000ULL;
	strcpy(r.comm, "nginx");
	strcpy(r.parent_comm, "conmon");
	killer(&r.killer, 4300, 15, 0, "conmon", SEED_CG_CONMON);
	set_cgroup(&r.cgroup, SEED_CG_CRIO);
	save_exit("runtime-stop", &r);

	/* A graceful stop: SIGTERM ignored by a pid-1 sleep, SIGKILL from runc 2 s later. */
	exit_header(&r, PT_FLAG_PIDNS_INIT | PT_FLAG_HAS_KILLER | PT_FLAG_PARENT_OTHER_CGROUP);
	r.pid = 4410;
	r.tid = 4410;
	r.ppid = 4400;
	r.ns_pid = 1;
	r.ns_level = 1;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 9000000000ULL;
	strcpy(r.comm, "sleep");
	strcpy(r.parent_comm, "containerd-shim");
	killer(&r.killer, 4402, 9, 0, "runc", SEED_CG_HOST);
	r.killer.prev_sig = 15;
	r.killer.prev_tgid = 4401;
	r.killer.prev_ktime_ns = r.killer.ktime_ns - 2000000000ULL;
	strcpy(r.killer.prev_comm, "runc");
	set_cgroup(&r.cgroup, SEED_CG_CGROUPFS);
	save_exit("graceful-stop", &r);

	/* One victim of a group kill (memory.oom.group, cgroup v2). */
	exit_header(&r,
		    PT_FLAG_HAS_KILLER | PT_FLAG_OOM_KILLED | PT_FLAG_OOM_MEMCG | PT_FLAG_HAS_RSS);
	r.pid = 2666;
	r.tid = 2666;
	r.ppid = 2665;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 2400000000ULL;
	strcpy(r.comm, "worker");
	strcpy(r.parent_comm, "python3");
	killer(&r.killer, 2670, 9, 0x80, "python3", SEED_CG_SYSTEMD);
	set_cgroup(&r.cgroup, SEED_CG_SYSTEMD);
	memset(&x, 0, sizeof(x));
	x.exit = r;
	x.exit.hdr.size = sizeof(x);
	oom_figures(&x.oom, 20 << 20, "cri-containerd-" CID1 ".scope");
	x.oom.kill_id = r.hdr.ktime_ns - 1000000;
	x.oom.group_memcg_id = 9001;
	x.oom.trigger_pid = 2670;
	strcpy(x.oom.trigger_comm, "python3");
	save("oom-group-victim", &x, sizeof(x));

	/* Killed by a process in another container (shared pid namespace). */
	exit_header(&r, PT_FLAG_HAS_KILLER | PT_FLAG_PARENT_OTHER_CGROUP);
	r.pid = 4310;
	r.tid = 4311;
	r.ppid = 4309;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 1200000000ULL;
	strcpy(r.comm, "sleep");
	strcpy(r.parent_comm, "sh");
	killer(&r.killer, 4312, 9, 0, "kill", SEED_CG_OTHER_CONTAINER);
	set_cgroup(&r.cgroup, SEED_CG_SYSTEMD);
	save_exit("killed-by-other-container", &r);

	/* A host daemon aborts. */
	exit_header(&r, 0);
	r.pid = 912;
	r.tid = 915;
	r.ppid = 1;
	r.exit_code = 0x80 | 6;
	r.start_ns = 1000000000ULL;
	strcpy(r.comm, "containerd");
	strcpy(r.parent_comm, "systemd");
	set_cgroup(&r.cgroup, SEED_CG_HOST);
	save_exit("host-abort", &r);

	/* kind: the path is deeper than the event keeps; cut and marked. */
	exit_header(&r, PT_FLAG_PIDNS_INIT);
	r.pid = 30001;
	r.tid = 30001;
	r.ppid = 29990;
	r.ns_pid = 1;
	r.ns_level = 2;
	r.exit_code = 1 << 8;
	r.start_ns = r.hdr.ktime_ns - 90000000000ULL;
	strcpy(r.comm, "coredns");
	strcpy(r.parent_comm, "containerd-shim");
	set_cgroup(&r.cgroup, SEED_CG_KIND);
	save_exit("kind-truncated", &r);

	/* cgroup v1 memory hierarchy, and CRI-O's conmon as a helper. */
	exit_header(&r, PT_FLAG_CGROUP_V1 | PT_FLAG_PIDNS_INIT);
	r.pid = 6100;
	r.tid = 6100;
	r.ppid = 6090;
	r.ns_pid = 1;
	r.ns_level = 1;
	r.exit_code = 137 << 8;
	r.start_ns = r.hdr.ktime_ns - 86400000000000ULL * 3;
	strcpy(r.comm, "java");
	strcpy(r.parent_comm, "runc");
	set_cgroup(&r.cgroup, SEED_CG_V1);
	save_exit("cgroup-v1", &r);

	exit_header(&r, PT_FLAG_HAS_KILLER);
	r.pid = 6200;
	r.tid = 6200;
	r.ppid = 1;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 5000000000ULL;
	strcpy(r.comm, "conmon");
	strcpy(r.parent_comm, "systemd");
	killer(&r.killer, 1, 9, 0, "systemd", SEED_CG_INIT);
	set_cgroup(&r.cgroup, SEED_CG_CONMON);
	save_exit("conmon-helper", &r);

	/* oom/mark_victim records: confined to a memcg, and a system-wide OOM. */
	memset(&o, 0, sizeof(o));
	o.hdr.kind = PT_RECORD_OOM;
	o.hdr.version = PT_RECORD_VERSION;
	o.hdr.size = sizeof(o);
	o.hdr.ktime_ns = 7250999000000ULL;
	o.hdr.flags = PT_FLAG_OOM_MEMCG | PT_FLAG_HAS_RSS;
	o.pid = 2665;
	strcpy(o.comm, "python3");
	oom_figures(&o.oom, 20 << 20, "cri-containerd-" CID1 ".scope");
	o.oom.trigger_pid = 2670;
	o.oom.kill_id = o.hdr.ktime_ns;
	strcpy(o.oom.trigger_comm, "python3");
	save("oom-memcg", &o, sizeof(o));

	o.hdr.flags = PT_FLAG_HAS_RSS;
	o.pid = 4000;
	strcpy(o.comm, "stress-ng-vm");
	oom_figures(&o.oom, 0, "");
	o.oom.trigger_pid = 4100;
	o.oom.kill_id = o.hdr.ktime_ns;
	strcpy(o.oom.trigger_comm, "kswapd0");
	save("oom-system", &o, sizeof(o));

	/* A container's cgroup made, and removed. */
	memset(&c, 0, sizeof(c));
	c.hdr.kind = PT_RECORD_CGROUP_MKDIR;
	c.hdr.version = PT_RECORD_VERSION;
	c.hdr.size = sizeof(c);
	c.hdr.ktime_ns = 7250900000000ULL;
	set_cgroup(&c.cgroup, SEED_CG_SYSTEMD);
	strncpy(c.path, seed_cgroups[1].path, sizeof(c.path) - 1);
	save("cgroup-mkdir", &c, sizeof(c));
	c.hdr.kind = PT_RECORD_CGROUP_RMDIR;
	c.hdr.ktime_ns = 7252000000000ULL;
	save("cgroup-rmdir", &c, sizeof(c));

	/* A cgroup older than the agent, which the kernel names (leaf first). */
	memset(&n, 0, sizeof(n));
	n.hdr.kind = PT_RECORD_CGROUP_NAMES;
	n.hdr.version = PT_RECORD_VERSION;
	n.hdr.size = sizeof(n);
	n.hdr.ktime_ns = 7250950000000ULL;
	n.cgroup.id = 4242;
	n.cgroup.level = 4;
	strcpy(n.names[0], SEED_CID2);
	strcpy(n.names[1], "pod" SEED_UID1);
	strcpy(n.names[2], "burstable");
	strcpy(n.names[3], "kubepods");
	save("cgroup-names", &n, sizeof(n));
	return 0;
}
