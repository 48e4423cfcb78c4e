/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which cgroups userspace can name from their id alone, and so which
 * records must carry names instead.
 *
 * Userspace learns a cgroup's path from the mkdir record the programs below
 * send, and, for the cgroups that existed before, from a walk of the
 * hierarchy at start, which sees them all only when the agent sits in the
 * initial cgroup namespace with the hierarchy's root mounted (not in a
 * pod). The kernel tells the two apart by id: a cgroup's id is its kernfs
 * node's, which each hierarchy (kernfs root) hands out in increasing order
 * (fs/kernfs/dir.c: cyclic low 32 bits, the high 32 bits counting the
 * wraps), and cgroup_mkdir() allocates it and fires its tracepoint under
 * one hold of cgroup_mutex. So once a mkdir record has been sent for id F,
 * the tracepoint has fired, with the program attached, for every cgroup of
 * that hierarchy with an id above F: userspace has its record (or a lost
 * reservation, which the program remembers). Below F, or before any
 * mkdir, only a whole walk tells userspace the path.
 *
 * Each of these is an array of two slots: [0] the v2 hierarchy, [1] the v1
 * memory hierarchy (the one exit records name on a v1 or hybrid node).
 * mkdir programs run one at a time (cgroup_mutex), so plain stores do.
 */
#ifndef PODTRAIL_BPF_CGROUPS_H
#define PODTRAIL_BPF_CGROUPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "podtrail/record.h"
#include "task.h"

/* The v1 hierarchy of the memory controller (/proc/cgroups); ~0: not known. */
const volatile __u32 memory_hierarchy_id = ~0U;

/* Id of the first cgroup whose mkdir record was sent; 0: none yet. */
__u64 cgroup_first_sent[2] = {};
/* Highest id whose mkdir record was lost (no room, or a path the kernel cut). */
__u64 cgroup_lost_max[2] = {};
/* A cgroup was renamed (v1 allows it): paths userspace holds may be stale. */
__u32 cgroup_renamed[2] = {};
/* Written by userspace: its walk at start saw the whole hierarchy. */
volatile __u32 cgroup_walked[2] = {};

/* The slot of a hierarchy, or -1 for one no exit record names. */
static __always_inline int cgroup_slot(__u32 hierarchy_id)
{
	if (hierarchy_id == 0)
		return 0;
	if (memory_hierarchy_id != ~0U && hierarchy_id == memory_hierarchy_id)
		return 1;
	return -1;
}

/*
 * Can userspace name cgroup @id, of v2 or (@v1) of the memory hierarchy,
 * from its id? When not, the record carries names.
 */
static __always_inline bool cgroup_known_by_id(bool v1, __u64 id)
{
	int s = v1 ? 1 : 0;
	__u64 first;

	if (!id)
		return true; /* no cgroup: nothing to name */
	if (v1 && memory_hierarchy_id == ~0U)
		return false;
	if (cgroup_renamed[s] || id <= cgroup_lost_max[s])
		return false;
	first = cgroup_first_sent[s];
	if (first && id >= first)
		return true;
	return cgroup_walked[s] != 0;
}

/* A mkdir record for @id was sent (@sent) or lost. */
static __always_inline void cgroup_mkdir_seen(int slot, __u64 id, bool sent)
{
	if (slot < 0 || slot > 1)
		return;
	if (!sent) {
		if (id > cgroup_lost_max[slot])
			cgroup_lost_max[slot] = id;
	} else if (!cgroup_first_sent[slot]) {
		cgroup_first_sent[slot] = id;
	}
}

/* names[0] the leaf, names[1] its parent, ...: up to PT_CGROUP_LEVELS of them. */
static __always_inline void read_cgroup_names(struct cgroup *cgrp,
					      char (*names)[PT_CGROUP_NAME_LEN])
{
	struct kernfs_node *kn;
	const char *name;
	int level;

	if (!cgrp)
		return;
	kn = BPF_CORE_READ(cgrp, kn);
	level = BPF_CORE_READ(cgrp, level);
	for (int i = 0; i < PT_CGROUP_LEVELS; i++) {
		if (i >= level || !kn)
			break;
		name = BPF_CORE_READ(kn, name);
		bpf_probe_read_kernel_str(names[i], PT_CGROUP_NAME_LEN, name);
		kn = kn_parent(kn);
	}
}

#endif
