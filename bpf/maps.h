/* SPDX-License-Identifier: GPL-2.0 */
/* Every map the programs share, in one place. */
#ifndef PODTRAIL_BPF_MAPS_H
#define PODTRAIL_BPF_MAPS_H

#include "podtrail/record.h"

/* Per-CPU state: counters userspace sums, and the wake-up rate limiter. */
struct pt_percpu_state {
	__u64 counters[PT_CNT__MAX];
	__u64 last_wakeup_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_percpu_state);
} percpu_state SEC(".maps");

/* Size is set by userspace before load (--ringbuf-size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/* Last fatal signal sent to a process, keyed by target tgid (or pid). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pt_killer);
} killers SEC(".maps");

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

#endif
