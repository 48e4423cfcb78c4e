/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verifier-facing helpers that read a task: its cgroup (v2, or the v1
 * memory hierarchy when the task sits at the v2 root) as an id and a
 * hierarchy, its pid namespace, and its memory cgroup limit.
 * Everything goes through CO-RE so one object loads on 5.8 .. 6.18.
 */
#ifndef PODTRAIL_BPF_TASK_H
#define PODTRAIL_BPF_TASK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "podtrail/record.h"

/* kernfs_node.parent became __parent in 6.15 (RCU-protected). */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___pre615, parent))
		return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
	return BPF_CORE_READ(kn, __parent);
}

/* The task's memory-controller css, or NULL without CONFIG_MEMCG. */
static __always_inline struct cgroup_subsys_state *task_memory_css(struct task_struct *task)
{
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return NULL;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= 16)
		return NULL;
	return BPF_CORE_READ(task, cgroups, subsys[id]);
}

/*
 * The cgroup that says where a task belongs: its v2 cgroup; on a hybrid or
 * v1 node the v2 cgroup of a container is often the root, and then the v1
 * memory hierarchy (which kubelet always populates) carries the names.
 */
static __always_inline struct cgroup *task_attribution_cgroup(struct task_struct *task, bool *v1)
{
	struct cgroup *cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	struct cgroup_subsys_state *css;

	*v1 = false;
	if (cgrp && BPF_CORE_READ(cgrp, level) > 0)
		return cgrp;
	css = task_memory_css(task);
	if (!css)
		return cgrp;
	*v1 = true;
	return BPF_CORE_READ(css, cgroup);
}

/*
 * The same where the task pointer is trusted (tp_btf): plain loads, which
 * the verifier turns into faulting loads, instead of a helper call each.
 */
static __always_inline struct cgroup *task_attribution_cgroup_btf(struct task_struct *task,
								  bool *v1)
{
	struct css_set *cset = task->cgroups;
	struct cgroup *cgrp = cset->dfl_cgrp;
	struct cgroup_subsys_state *css;
	int id;

	*v1 = false;
	if (cgrp && cgrp->level > 0)
		return cgrp;
	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return cgrp;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= 16)
		return cgrp;
	css = cset->subsys[id];
	if (!css)
		return cgrp;
	*v1 = true;
	return css->cgroup;
}

/* Where a task's cgroup, its id, hierarchy and level are read from, by hook flavour. */
static __always_inline struct cgroup *task_cgroup(struct task_struct *task, bool btf, bool *v1)
{
	return btf ? task_attribution_cgroup_btf(task, v1) : task_attribution_cgroup(task, v1);
}

static __always_inline __u64 cgroup_id_of(struct cgroup *cgrp)
{
	return cgrp ? BPF_CORE_READ(cgrp, kn, id) : 0;
}

static __always_inline __u32 cgroup_hierarchy_of(struct cgroup *cgrp)
{
	return cgrp ? BPF_CORE_READ(cgrp, root, hierarchy_id) : 0;
}

/* @cgrp from task_cgroup(): with @btf, a pointer the verifier lets plain loads follow. */
static __always_inline void cgroup_fields(struct cgroup *cgrp, bool btf, struct pt_cgroup *out)
{
	if (!cgrp) {
		out->id = 0;
		out->hierarchy_id = 0;
		out->level = 0;
	} else if (btf) {
		out->id = cgrp->kn->id;
		out->hierarchy_id = cgrp->root->hierarchy_id;
		out->level = cgrp->level;
	} else {
		out->id = BPF_CORE_READ(cgrp, kn, id);
		out->hierarchy_id = BPF_CORE_READ(cgrp, root, hierarchy_id);
		out->level = BPF_CORE_READ(cgrp, level);
	}
}

/* The leaf name alone: a signal sender's (when userspace cannot name it), an OOM's memcg. */
static __always_inline void read_cgroup_leaf(struct cgroup *cgrp, char *buf)
{
	const char *name;

	buf[0] = '\0';
	if (!cgrp || BPF_CORE_READ(cgrp, level) == 0)
		return;
	name = BPF_CORE_READ(cgrp, kn, name);
	bpf_probe_read_kernel_str(buf, PT_CGROUP_NAME_LEN, name);
}

/* pid of @task's thread group as seen in its own pid namespace, and that namespace's level. */
static __always_inline __u32 task_ns_tgid(struct task_struct *task, __u32 *level_out)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level;
	__u32 nr = 0;
	__u64 off;

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
	*level_out = level;
	if (level > 32)
		return 0;
	off = bpf_core_field_offset(struct pid, numbers) + level * bpf_core_type_size(struct upid) +
	      bpf_core_field_offset(struct upid, nr);
	bpf_probe_read_kernel(&nr, sizeof(nr), (void *)pid + off);
	return nr;
}

/* page_counter.max is "unlimited" at or above PAGE_COUNTER_MAX (LONG_MAX / PAGE_SIZE). */
static __always_inline bool counter_limited(unsigned long max, __u64 page_size)
{
	return max < (0x7fffffffffffffffULL / page_size);
}

/*
 * The memory cgroup whose limit an OOM kill enforced: walking up from @task
 * (the allocator, inside the OOMing memcg's subtree), the first cgroup that is
 * limited and whose usage is within one charge (THP plus a batch) of its
 * limit. None found means the kill was not confined to a memcg.
 */
static __always_inline bool find_oom_memcg(struct task_struct *task, __u64 page_size,
					   struct pt_oom *oom)
{
	struct cgroup_subsys_state *css = task_memory_css(task);
	const __u64 slack_pages = 512 + 64;
	struct mem_cgroup *memcg;
	unsigned long max, usage;

	for (int i = 0; i < 8; i++) {
		if (!css)
			break;
		memcg = (struct mem_cgroup *)css; /* css is the first member */
		max = BPF_CORE_READ(memcg, memory.max);
		usage = BPF_CORE_READ(memcg, memory.usage.counter);
		if (counter_limited(max, page_size) && usage + slack_pages >= max) {
			struct cgroup *cgrp = BPF_CORE_READ(css, cgroup);

			oom->memcg_limit_bytes = (__u64)max * page_size;
			oom->memcg_usage_bytes = (__u64)usage * page_size;
			oom->memcg_id = cgroup_id_of(cgrp);
			read_cgroup_leaf(cgrp, oom->memcg_name);
			return true;
		}
		css = BPF_CORE_READ(css, parent);
	}
	return false;
}

/* @css's cgroup id when its memory.oom.group is set, else 0. */
static __always_inline __u64 oom_group_of(struct cgroup_subsys_state *css)
{
	if (!css || !BPF_CORE_READ((struct mem_cgroup *)css, oom_group))
		return 0;
	return cgroup_id_of(BPF_CORE_READ(css, cgroup));
}

/*
 * The memory cgroup whose memory.oom.group made the OOM killer take @task
 * with the rest of its group: as the kernel's mem_cgroup_get_oom_group(), the
 * higher one with oom.group set of @task's memcg and its parent (the
 * container's and the pod's, where a kubelet sets it), not above the memcg
 * that ran out (@oom_memcg_id). 0 when none (always on cgroup v1, which has
 * no oom.group). Two levels, unrolled: a loop here costs old verifiers dear.
 */
static __always_inline __u64 find_oom_group(struct task_struct *task, __u64 oom_memcg_id)
{
	struct cgroup_subsys_state *css = task_memory_css(task);
	__u64 leaf, parent;

	if (!bpf_core_field_exists(struct mem_cgroup, oom_group) || !css)
		return 0;
	leaf = oom_group_of(css);
	if (cgroup_id_of(BPF_CORE_READ(css, cgroup)) == oom_memcg_id)
		return leaf;
	parent = oom_group_of(BPF_CORE_READ(css, parent));
	return parent ? parent : leaf;
}

#endif
