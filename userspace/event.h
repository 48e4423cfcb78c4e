/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A kernel record decoded into plain C types: bounded, NUL-terminated
 * strings, the wait status split into code and signal, the cgroup's path
 * (and the sender's leaf) looked up from their ids (cgroup_names.h).
 * Everything after decode works on this, never on raw ring-buffer bytes.
 */
#ifndef PODTRAIL_EVENT_H
#define PODTRAIL_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include "podtrail/record.h"

/* A path keeps its last PT_CGROUP_LEVELS names (record.h), each cut at PT_CGROUP_NAME_LEN bytes. */
/* "/" + PT_CGROUP_LEVELS names and separators, plus a "/..." truncation mark. */
#define PT_CGROUP_PATH_MAX (PT_CGROUP_LEVELS * PT_CGROUP_NAME_LEN + 8)

struct pt_event_killer {
	bool present;
	uint32_t pid;
	uint32_t tgid;
	int sig;
	int code;
	bool from_kernel; /* si_code > 0: a fault, the OOM killer, ... */
	uint64_t ktime_ns;
	uint64_t cgroup_id;
	uint32_t cgroup_hierarchy_id;
	bool cgroup_known; /* cgroup_id found: cgroup_leaf names it */
	char comm[PT_COMM_LEN + 1];
	char cgroup_leaf[PT_CGROUP_NAME_LEN + 1]; /* "": unknown, or the root */
	/* The different stop signal sent before (SIGTERM before SIGKILL); prev_sig 0 if none. */
	int prev_sig;
	uint32_t prev_tgid;
	uint64_t prev_ktime_ns;
	char prev_comm[PT_COMM_LEN + 1];
};

struct pt_event_oom {
	bool present;
	bool confined; /* to a memory cgroup (OOMKilled) or not (SystemOOM) */
	bool has_rss;
	uint64_t total_vm_kb;
	uint64_t anon_rss_kb;
	uint64_t file_rss_kb;
	uint64_t shmem_rss_kb;
	uint64_t memcg_limit_bytes;
	uint64_t memcg_usage_bytes;
	uint64_t memcg_id;
	int oom_score_adj;
	char memcg_name[PT_CGROUP_NAME_LEN + 1];
	uint64_t kill_id;	 /* shared by the victims of one OOM kill */
	uint64_t group_memcg_id; /* memory.oom.group that took the victim's group, 0: none */
	uint32_t trigger_pid;	 /* whose allocation invoked the OOM killer */
	char trigger_comm[PT_COMM_LEN + 1];
};

struct pt_event_cgroup {
	uint64_t id;
	uint32_t hierarchy_id;
	uint32_t depth;
	bool known; /* false: no cgroup in the record, or its id is not known */
	bool v1;
	bool truncated;
	char path[PT_CGROUP_PATH_MAX];
};

struct pt_event {
	enum pt_record_kind kind;
	uint32_t flags;	   /* enum pt_record_flags */
	uint64_t ktime_ns; /* CLOCK_MONOTONIC */
	uint32_t pid;	   /* process (tgid); the victim for an OOM record */
	uint32_t tid;
	uint32_t ppid;
	uint32_t ns_pid;
	uint32_t ns_level;
	bool exited; /* exited normally: exit_code is valid */
	int exit_code;
	int signal; /* terminating signal, 0 if none */
	bool core_dumped;
	uint32_t served_pid; /* a runtime shim's first child, 0 otherwise */
	uint64_t start_ns;
	uint64_t lifetime_ns;
	char comm[PT_COMM_LEN + 1];
	char parent_comm[PT_COMM_LEN + 1];
	struct pt_event_killer killer;
	struct pt_event_oom oom;
	struct pt_event_cgroup cgroup;
};

/* A cgroup made or removed (PT_RECORD_CGROUP_MKDIR / _RMDIR). */
struct pt_cgroup_change {
	enum pt_record_kind kind;
	uint64_t ktime_ns;
	uint32_t hierarchy_id;
	uint64_t id;
	uint32_t level;
	bool cut; /* the kernel cut the path: not to be trusted as a name */
	char path[PT_CGROUP_RECORD_PATH_LEN];
};

#endif
