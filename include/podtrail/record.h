/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record layout shared by the BPF programs (bpf/) and the daemon
 * (userspace/). Every field has an explicit size so that both sides agree
 * whatever the compiler; every record starts with the same header so the
 * decoder can check kind, version and size before it trusts anything else.
 */
#ifndef PODTRAIL_RECORD_H
#define PODTRAIL_RECORD_H

#ifdef __BPF__
/* vmlinux.h provides the __u8 .. __u64 types. */
#else
#include <linux/types.h>
#endif

#define PT_RECORD_VERSION 4

#define PT_COMM_LEN 16
/* Longest kubelet-made name is "cri-containerd-<64 hex>.scope" (85 bytes). */
#define PT_CGROUP_NAME_LEN 128
/* Names the kernel sends for a cgroup userspace cannot know: the leaf and its ancestors. */
#define PT_CGROUP_LEVELS 6
/* The kernel's own bound on a cgroup tracepoint's path (TRACE_CGROUP_PATH_LEN). */
#define PT_CGROUP_RECORD_PATH_LEN 1024
/* Process names that identify a pod sandbox (e.g. "pause"); set as rodata. */
#define PT_MAX_SANDBOX_NAMES 4
/* Node daemons whose clean exits are sent too, and runtime shims; rodata. */
#define PT_MAX_DAEMON_NAMES 16
#define PT_MAX_SHIM_NAMES   4

/*
 * A filter over the process names the exit program looks for: bit
 * pt_name_slot(first 8 bytes, zero-padded) of PT_NAME_FILTER_WORDS words is
 * set for each. Most exits miss it and skip the name lists; 256 bits keep
 * the names that hit it by chance (and take the slower path) to a few in a
 * hundred with the default 11 or so names.
 */
#define PT_NAME_FILTER_WORDS 4

static inline unsigned int pt_name_slot(__u64 first8)
{
	return (unsigned int)((first8 * 0x9E3779B97F4A7C15ULL) >> 56);
}

enum pt_record_kind {
	PT_RECORD_EXIT = 1,	    /* a process (its last thread) exited */
	PT_RECORD_OOM = 2,	    /* the OOM killer chose a victim */
	PT_RECORD_CGROUP_MKDIR = 3, /* a cgroup was created */
	PT_RECORD_CGROUP_RMDIR = 4, /* a cgroup was removed */
	PT_RECORD_CGROUP_NAMES = 5, /* the names of a cgroup userspace cannot know */
};

/* pt_record_header.flags */
enum pt_record_flags {
	PT_FLAG_PIDNS_INIT = 1u << 0, /* pid 1 of a non-root pid namespace */
	PT_FLAG_SANDBOX = 1u << 1,    /* comm matches a sandbox process name */
	PT_FLAG_HAS_KILLER = 1u << 2, /* killer holds who sent the fatal signal */
	PT_FLAG_OOM_KILLED = 1u << 3, /* the OOM killer marked this process */
	PT_FLAG_CGROUP_V1 = 1u << 4,  /* names come from the v1 memory hierarchy */
	/* 1u << 5 is free: it said "cgroup names truncated" up to version 2. */
	PT_FLAG_PARENT_OTHER_CGROUP = 1u << 6, /* parent lives in another cgroup */
	PT_FLAG_OOM_MEMCG = 1u << 7,	       /* OOM confined to a memory cgroup */
	PT_FLAG_HAS_RSS = 1u << 8,	       /* the kernel's tracepoint carried rss figures */
	/*
	 * With PT_FLAG_HAS_KILLER: the kernel sent the signal for the process's
	 * own fault, at its exit, and the record stops before the killer.
	 */
	PT_FLAG_KILLER_SELF = 1u << 9,
	/*
	 * The process had not exec'd since it was forked (PF_FORKNOEXEC on its
	 * thread group leader): its name is its parent's, as in a daemon's
	 * forked child.
	 */
	PT_FLAG_NEVER_EXECD = 1u << 10,
};

struct pt_record_header {
	__u16 kind;	/* enum pt_record_kind */
	__u16 version;	/* PT_RECORD_VERSION */
	__u32 size;	/* sizeof the whole record */
	__u64 ktime_ns; /* bpf_ktime_get_ns() when the record was made */
	__u32 flags;	/* enum pt_record_flags */
	__u32 _pad;
};

/*
 * The cgroup the process belonged to, captured in the kernel because the
 * process is gone by the time userspace reads the record: its id and
 * hierarchy. Userspace knows the path of every cgroup made since the
 * programs were attached from the mkdir records (struct pt_cgroup_record),
 * which come through the same ring before any exit in the cgroup they name;
 * and, when its walk at start saw the whole hierarchy, of every older one.
 * For any other cgroup a record names it first (struct
 * pt_cgroup_names_record), sent just before the record that needs it.
 */
struct pt_cgroup {
	__u64 id;	    /* kernfs node id: the directory's inode number */
	__u32 hierarchy_id; /* 0 for cgroup v2; /proc/cgroups' column for v1 */
	__u32 level;	    /* the root is level 0 */
};

/* si_code of a signal the kernel sent (SI_KERNEL). */
#define PT_SI_KERNEL 0x80

/*
 * Who sent the last fatal signal to a process (from the kill family of
 * system calls, or signal_generate). The sender's cgroup is an id, named by
 * a pt_cgroup_names_record sent with the signal when userspace cannot know it.
 */
struct pt_killer {
	__u64 ktime_ns;
	__u32 pid;  /* sender thread */
	__u32 tgid; /* sender process */
	__s32 sig;
	__s32 code; /* si_code: > 0 from the kernel, <= 0 from a process */
	__u64 cgroup_id;
	__u32 cgroup_hierarchy_id; /* with cgroup_id: where the sender ran */
	__u32 _pad;
	char comm[PT_COMM_LEN];
	/*
	 * The stop signal sent before this one, when it differs (the SIGTERM
	 * of a graceful stop before its SIGKILL); prev_sig 0 when none.
	 */
	__u64 prev_ktime_ns;
	__u32 prev_tgid;
	__s32 prev_sig;
	char prev_comm[PT_COMM_LEN];
};

/* Figures from oom/mark_victim and the memory cgroup that hit its limit. */
struct pt_oom {
	__u64 total_vm_kb;
	__u64 anon_rss_kb;
	__u64 file_rss_kb;
	__u64 shmem_rss_kb;
	__u64 memcg_limit_bytes; /* 0 when the kill was not confined to a memcg */
	__u64 memcg_usage_bytes;
	__u64 memcg_id; /* cgroup id of the memcg that hit its limit */
	/* Victims of one OOM kill share it: the time of its first mark_victim. */
	__u64 kill_id;
	/* The memory cgroup whose memory.oom.group killed the victim with its group; 0: none. */
	__u64 group_memcg_id;
	__u32 trigger_pid; /* the process whose allocation invoked the OOM killer */
	__s16 oom_score_adj;
	__u16 _pad;
	char trigger_comm[PT_COMM_LEN];
	char memcg_name[PT_CGROUP_NAME_LEN];
};

struct pt_exit_record {
	struct pt_record_header hdr;
	__u32 pid; /* thread group id: the process */
	__u32 tid; /* the last thread to exit */
	__u32 ppid;
	__u32 ns_pid;	 /* pid inside the process's own pid namespace */
	__u32 ns_level;	 /* 0 on the host */
	__u32 exit_code; /* raw wait status: (code << 8) | core (0x80) | signal */
	/* A runtime shim's first child (pause or a container's main process): the pod it served. */
	__u32 served_pid;
	__u32 _pad2;
	__u64 start_ns; /* process start, CLOCK_MONOTONIC like ktime_ns */
	char comm[PT_COMM_LEN];
	char parent_comm[PT_COMM_LEN];
	struct pt_cgroup cgroup;
	__u64 _pad3; /* zero; reserved */
	/*
	 * Valid when PT_FLAG_HAS_KILLER without PT_FLAG_KILLER_SELF. A record
	 * with neither the killer nor the OOM figures stops before it
	 * (PT_EXIT_RECORD_SHORT bytes): the ring's cache lines are most of
	 * what a crash costs the kernel.
	 */
	struct pt_killer killer;
};

#define PT_EXIT_RECORD_SHORT ((__u32) __builtin_offsetof(struct pt_exit_record, killer))

/*
 * The exit of a process the OOM killer marked (PT_FLAG_OOM_KILLED): with the
 * kill's figures, and the killer's bytes (zero without PT_FLAG_HAS_KILLER).
 */
struct pt_exit_record_oom {
	struct pt_exit_record exit;
	struct pt_oom oom;
};

/* An exit record's size, which its flags decide; 0 for flags no record has. */
static inline __u32 pt_exit_record_size(__u32 flags)
{
	if (flags & PT_FLAG_KILLER_SELF)
		return (flags & (PT_FLAG_HAS_KILLER | PT_FLAG_OOM_KILLED)) == PT_FLAG_HAS_KILLER
			   ? PT_EXIT_RECORD_SHORT
			   : 0;
	if (flags & PT_FLAG_OOM_KILLED)
		return sizeof(struct pt_exit_record_oom);
	return flags & PT_FLAG_HAS_KILLER ? sizeof(struct pt_exit_record) : PT_EXIT_RECORD_SHORT;
}

/*
 * One victim marked by the OOM killer, sent at once: userspace learns how
 * many processes one kill took before their exits arrive.
 */
struct pt_oom_record {
	struct pt_record_header hdr;
	__u32 pid; /* the victim (the thread the tracepoint names) */
	__u32 _pad;
	char comm[PT_COMM_LEN];
	struct pt_oom oom; /* kill_id, trigger and memcg figures; no group_memcg_id yet */
};

/*
 * A cgroup created or removed, in the v2 hierarchy or the v1 memory one
 * (those exit records name). The path is the kernel's, from the hierarchy's
 * root ("/kubepods/burstable/pod<uid>/<id>"), cut by it at
 * PT_CGROUP_RECORD_PATH_LEN - 1 bytes.
 */
struct pt_cgroup_record {
	struct pt_record_header hdr;
	struct pt_cgroup cgroup;
	char path[PT_CGROUP_RECORD_PATH_LEN];
};

/*
 * The names of a cgroup userspace cannot name from its id (one older than
 * the agent that its walk could not see), sent before the exit or signal
 * record that names its id: names[0] is the leaf, names[1] its parent, and
 * so on, up to PT_CGROUP_LEVELS of them (cgroup.level says how many there
 * are in all).
 */
struct pt_cgroup_names_record {
	struct pt_record_header hdr;
	struct pt_cgroup cgroup;
	char names[PT_CGROUP_LEVELS][PT_CGROUP_NAME_LEN];
};

/* Indexes of the per-CPU counters in the "counters" map. */
enum pt_counter {
	PT_CNT_EXIT_SEEN = 0, /* process exits past the boring filter (threads excluded) */
	PT_CNT_EXIT_BORING,   /* exits counted but not sent */
	PT_CNT_THREAD_EXIT,   /* thread exits that did not end the process */
	PT_CNT_EXIT_SENT,     /* exit records submitted */
	PT_CNT_OOM_SENT,      /* OOM records submitted */
	PT_CNT_CGROUP_SENT,   /* cgroup mkdir/rmdir/names records submitted */
	PT_CNT_SIGNAL_FATAL,  /* fatal signals remembered */
	PT_CNT_RINGBUF_LOST,  /* failed ring-buffer reservations */
	PT_CNT_WAKEUPS,	      /* submits that woke the reader */
	PT_CNT__MAX,
};

#endif /* PODTRAIL_RECORD_H */
