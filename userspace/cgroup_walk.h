/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup hierarchies exit records name (v2, and v1's memory one) and a
 * walk of each, filling the id -> path table with the cgroups that existed
 * before the kernel's mkdir records began.
 */
#ifndef PODTRAIL_CGROUP_WALK_H
#define PODTRAIL_CGROUP_WALK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup_ids.h"

struct pt_cgroup_mount {
	bool found;
	uint32_t hierarchy_id; /* 0 for v2 */
	char dir[PATH_MAX];    /* where it is mounted */
	char root[PATH_MAX];   /* the directory of the hierarchy mounted there, "/" mostly */
};

struct pt_cgroup_mounts {
	struct pt_cgroup_mount v2;
	struct pt_cgroup_mount memory; /* v1; not found on a pure v2 host */
	/* The memory controller's hierarchy, UINT32_MAX when /proc/cgroups does not say. */
	uint32_t memory_hierarchy_id;
};

/*
 * Read @mountinfo (/proc/self/mountinfo) and @proc_cgroups (/proc/cgroups).
 * Finding no hierarchy is not an error: @out says what was found. -errno
 * with a message naming the file when @mountinfo cannot be read.
 */
int pt_cgroup_mounts_find(const char *mountinfo, const char *proc_cgroups,
			  struct pt_cgroup_mounts *out, char *err, size_t errlen);

/*
 * Add every directory under @m (itself included) to @t: its inode number is
 * the cgroup id on 64-bit kernels, its path the mount's root joined with
 * the directory's. Directories that vanish during the walk are skipped.
 * *@whole says whether it saw the whole hierarchy: mounted from its root,
 * and every directory opened (or gone). Returns the number added, or
 * -errno with a message naming the directory.
 *
 * Only for a process in the initial cgroup namespace: in another, the
 * mount's root is the namespace's and the paths would not be the host's.
 */
int pt_cgroup_walk(struct pt_cgroup_ids *t, const struct pt_cgroup_mount *m, bool *whole, char *err,
		   size_t errlen);

/* The initial cgroup namespace's inode number (PROC_CGROUP_INIT_INO), the same on every kernel. */
#define PT_CGROUP_NS_INIT_INO 0xEFFFFFFBU

/* Whether @ns_file (/proc/self/ns/cgroup) is the initial cgroup namespace; false if unreadable. */
bool pt_cgroup_ns_is_initial(const char *ns_file);

#endif
