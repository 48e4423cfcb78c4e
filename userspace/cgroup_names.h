/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names a decoded event's cgroups from their ids: the process's path and
 * the signal sender's leaf, in the shape they had when the kernel copied
 * the names (the last PT_CGROUP_LEVELS names, "/..." before them when there
 * were more, each cut at PT_CGROUP_NAME_LEN - 1 bytes), so that attribution
 * and messages do not change.
 *
 * An id the table does not know leaves the cgroup unknown (cgroup.known
 * false, killer.cgroup_known false): the event then says less, never a
 * guess.
 */
#ifndef PODTRAIL_CGROUP_NAMES_H
#define PODTRAIL_CGROUP_NAMES_H

#include "cgroup_ids.h"
#include "event.h"

/* @t may be NULL: nothing is known. */
void pt_cgroup_names_fill(struct pt_cgroup_ids *t, struct pt_event *ev);

/* @path shaped as described above into @out; returns whether names were dropped. */
bool pt_cgroup_names_shape(const char *path, char *out, size_t outlen);

#endif
