/* SPDX-License-Identifier: GPL-2.0 */
/* Every map the programs share, in one place. */
#ifndef PODTRAIL_BPF_MAPS_H
#define PODTRAIL_BPF_MAPS_H

#include "podtrail/record.h"

/*
 * Per-CPU state: the names filter, counters userspace sums, the wake-up
 * rate limiter and the address of init_nsproxy (the host's namespaces).
 * The filter is a copy per CPU, written by userspace before the programs
 * attach, so that a boring exit finds it beside the counter it writes (the
 * same line or the next). A plain array indexed by CPU, not a per-CPU map:
 * both the read-only map the filter was in and the per-CPU map's memory
 * are vmalloc'd pages, which an exit after an exec'd process finds cold
 * (each cost it hundreds of ns, measured); a small array is kmalloc'd, in
 * the kernel's direct map.
 * Padded to 128 bytes. Where lines fall in an element depends on the
 * kernel's array header: 56 bytes in on 6.18, where no line holds two
 * CPUs' counters.
 */
struct pt_percpu_state {
	__u64 names_filter[PT_NAME_FILTER_WORDS];
	__u64 counters[PT_CNT__MAX];
	__u64 last_wakeup_ns;
	__u64 init_nsproxy; /* learnt at this CPU's first exit; 1: not found */
} __attribute__((aligned(64)));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the possible CPUs: userspace sets it before load */
	__type(key, __u32);
	__type(value, struct pt_percpu_state);
} percpu_state SEC(".maps");

/* Size is set by userspace before load (--ringbuf-size, by default by the CPUs). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

/*
 * A signal's target as its sender named it: nr > 0 a process (or thread),
 * nr < 0 a process group, PT_SENDER_ALL every process, in the pid namespace
 * whose inode number is ns_inum.
 */
struct pt_sender_key {
	__u32 ns_inum;
	__s32 nr;
};

#define PT_SENDER_ALL 0

/* Last fatal or stop signal sent to a target. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pt_sender_key);
	__type(value, struct pt_killer);
} killers SEC(".maps");

/* A kill-family call in flight, by sender thread: its entry goes if the call fails. */
struct pt_sender_call {
	struct pt_sender_key key;
	__u64 ktime_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pt_sender_call);
} sender_calls SEC(".maps");

/* OOM victims waiting for their exit, keyed by tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pt_oom);
} oom_victims SEC(".maps");

/*
 * Processes already reported. Threads exiting together can each read the
 * thread count as 0 at the tracepoint; the first one to insert its process's
 * key reports it. Keyed by tgid and start time, so a reused pid is new.
 */
struct pt_exit_key {
	__u32 tgid;
	__u32 _pad;
	__u64 start_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pt_exit_key);
	__type(value, __u8);
} exited_groups SEC(".maps");

/*
 * A killed runtime shim's first child, kept at the exit of each of its
 * threads: by the time the thread that reports the process exits, the
 * children may have left for the reaper above. Keyed like exited_groups.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, struct pt_exit_key);
	__type(value, __u32);
} shim_children SEC(".maps");

#endif
