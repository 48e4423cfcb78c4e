// SPDX-License-Identifier: GPL-2.0
#include "recent_exits.h"

bool pt_recent_exits_seen(struct pt_recent_exits *r, uint32_t pid, uint64_t start_ns)
{
	for (unsigned int i = 0; i < PT_RECENT_EXITS; i++) {
		if (r->slot[i].pid == pid && r->slot[i].start_ns == start_ns)
			return true;
	}
	r->slot[r->next].pid = pid;
	r->slot[r->next].start_ns = start_ns;
	r->next = (r->next + 1) % PT_RECENT_EXITS;
	return false;
}
