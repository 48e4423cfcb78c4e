// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the decode target's seed corpus: raw ring-buffer records as the
 * BPF programs make them (struct pt_exit_record / pt_oom_record from
 * include/podtrail/record.h), one file each, into the directory given.
 *
 *   make fuzz-seeds   (rebuilds this and rewrites tests/fuzz/corpus/decode/rec-*)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "podtrail/record.h"

#define CID1  "8b0bf8b0926b6e7e4c1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
#define CID2  "3f2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"
#define UID1  "1b4c3a2e-5f6d-4e7c-8b9a-0c1d2e3f4a5b"
#define UID1_ "1b4c3a2e_5f6d_4e7c_8b9a_0c1d2e3f4a5b"

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

/* names[] leaf first; @path given root first, like a cgroup path. */
static void set_cgroup(struct pt_cgroup *cg, unsigned long long id, unsigned depth,
		       const char *const *root_first, unsigned n)
{
	cg->id = id;
	cg->depth = depth;
	for (unsigned i = 0; i < n; i++)
		strncpy(cg->names[n - 1 - i], root_first[i], PT_CGROUP_NAME_LEN - 1);
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

static void killer(struct pt_killer *k, __u32 tgid, int sig, int code, const char *comm,
		   const char *leaf)
{
	k->ktime_ns = 7250990000000ULL;
	k->pid = tgid;
	k->tgid = tgid;
	k->sig = sig;
	k->code = code;
	k->cgroup_id = 4242;
	strncpy(k->comm, comm, PT_COMM_LEN - 1);
	strncpy(k->cgroup_leaf, leaf, PT_CGROUP_NAME_LEN - 1);
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
	static const char *const cgroupfs[] = { "kubepods", "burstable", ("pod" UID1), CID1 };
	static const char *const systemd[] = { "kubepods.slice", "kubepods-besteffort.slice",
					       "kubepods-besteffort-pod" UID1_ ".slice",
					       "cri-containerd-" CID1 ".scope" };
	static const char *const crio[] = { "kubepods.slice", "kubepods-pod" UID1_ ".slice",
					    "crio-" CID2 ".scope" };
	static const char *const conmon[] = { "kubepods.slice", "kubepods-pod" UID1_ ".slice",
					      "crio-conmon-" CID2 ".scope" };
	static const char *const host[] = { "system.slice", "containerd.service" };
	/* A kind node: kubelet's tree inside the node container's own. */
	static const char *const kind[] = { "system.slice",
					    "docker-" CID2 ".scope",
					    "kubelet.slice",
					    "kubelet-kubepods.slice",
					    "kubelet-kubepods-besteffort.slice",
					    "kubelet-kubepods-besteffort-pod" UID1_ ".slice" };
	static const char *const v1[] = { "kubepods", ("pod" UID1), CID2 };
	struct pt_exit_record r;
	struct pt_oom_record o;

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
	set_cgroup(&r.cgroup, 8812, 4, cgroupfs, 4);
	save("exit-code", &r, sizeof(r));

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
	killer(&r.killer, 11600, 11, 1, "python3", "cri-containerd-" CID1 ".scope");
	set_cgroup(&r.cgroup, 8813, 4, systemd, 4);
	save("segv-core", &r, sizeof(r));

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
	killer(&r.killer, 2665, 9, 0, "python3", "cri-containerd-" CID1 ".scope");
	oom_figures(&r.oom, 20 << 20, "cri-containerd-" CID1 ".scope");
	set_cgroup(&r.cgroup, 8813, 4, systemd, 4);
	save("oom-killed-main", &r, sizeof(r));

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
	killer(&r.killer, 777, 9, 0, "kill", "session-3.scope");
	set_cgroup(&r.cgroup, 8814, 4, cgroupfs, 4);
	save("sandbox-killed", &r, sizeof(r));

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
	killer(&r.killer, 4300, 15, 0, "conmon", "crio-conmon-" CID2 ".scope");
	set_cgroup(&r.cgroup, 8815, 3, crio, 3);
	save("runtime-stop", &r, sizeof(r));

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
	killer(&r.killer, 4402, 9, 0, "runc", "containerd.service");
	r.killer.prev_sig = 15;
	r.killer.prev_tgid = 4401;
	r.killer.prev_ktime_ns = r.killer.ktime_ns - 2000000000ULL;
	strcpy(r.killer.prev_comm, "runc");
	set_cgroup(&r.cgroup, 8812, 4, cgroupfs, 4);
	save("graceful-stop", &r, sizeof(r));

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
	killer(&r.killer, 2670, 9, 0x80, "python3", "cri-containerd-" CID1 ".scope");
	oom_figures(&r.oom, 20 << 20, "cri-containerd-" CID1 ".scope");
	r.oom.kill_id = r.hdr.ktime_ns - 1000000;
	r.oom.group_memcg_id = 9001;
	r.oom.trigger_pid = 2670;
	strcpy(r.oom.trigger_comm, "python3");
	set_cgroup(&r.cgroup, 8813, 4, systemd, 4);
	save("oom-group-victim", &r, sizeof(r));

	/* Killed by a process in another container (shared pid namespace). */
	exit_header(&r, PT_FLAG_HAS_KILLER | PT_FLAG_PARENT_OTHER_CGROUP);
	r.pid = 4310;
	r.tid = 4311;
	r.ppid = 4309;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 1200000000ULL;
	strcpy(r.comm, "sleep");
	strcpy(r.parent_comm, "sh");
	killer(&r.killer, 4312, 9, 0, "kill", "cri-containerd-" CID2 ".scope");
	set_cgroup(&r.cgroup, 8813, 4, systemd, 4);
	save("killed-by-other-container", &r, sizeof(r));

	/* A host daemon aborts. */
	exit_header(&r, 0);
	r.pid = 912;
	r.tid = 915;
	r.ppid = 1;
	r.exit_code = 0x80 | 6;
	r.start_ns = 1000000000ULL;
	strcpy(r.comm, "containerd");
	strcpy(r.parent_comm, "systemd");
	set_cgroup(&r.cgroup, 77, 2, host, 2);
	save("host-abort", &r, sizeof(r));

	/* kind: the path is deeper than the record keeps; cut and marked. */
	exit_header(&r, PT_FLAG_PIDNS_INIT | PT_FLAG_CGROUP_TRUNCATED);
	r.pid = 30001;
	r.tid = 30001;
	r.ppid = 29990;
	r.ns_pid = 1;
	r.ns_level = 2;
	r.exit_code = 1 << 8;
	r.start_ns = r.hdr.ktime_ns - 90000000000ULL;
	strcpy(r.comm, "coredns");
	strcpy(r.parent_comm, "containerd-shim");
	set_cgroup(&r.cgroup, 99102, 7, kind, 6);
	save("kind-truncated", &r, sizeof(r));

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
	set_cgroup(&r.cgroup, 501, 3, v1, 3);
	save("cgroup-v1", &r, sizeof(r));

	exit_header(&r, PT_FLAG_HAS_KILLER);
	r.pid = 6200;
	r.tid = 6200;
	r.ppid = 1;
	r.exit_code = 9;
	r.start_ns = r.hdr.ktime_ns - 5000000000ULL;
	strcpy(r.comm, "conmon");
	strcpy(r.parent_comm, "systemd");
	killer(&r.killer, 1, 9, 0, "systemd", "init.scope");
	set_cgroup(&r.cgroup, 8816, 3, conmon, 3);
	save("conmon-helper", &r, sizeof(r));

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
	return 0;
}
