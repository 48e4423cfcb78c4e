/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The processes whose end was read last, to read each end once. Two threads
 * of one process can both see it end in the kernel: the count of live
 * threads reaches 0 before both reach the exit tracepoint, and by the time
 * the last one does, the other may be released, so that the process looks
 * single-threaded and the kernel's own de-duplication is skipped. Both
 * records name the same process (pid and start time) within moments.
 */
#ifndef PODTRAIL_RECENT_EXITS_H
#define PODTRAIL_RECENT_EXITS_H

#include <stdbool.h>
#include <stdint.h>

/* Far more than the records that can come between two threads' ends of one process. */
#define PT_RECENT_EXITS 64

struct pt_recent_exits {
	struct {
		uint32_t pid;
		uint64_t start_ns;
	} slot[PT_RECENT_EXITS];
	unsigned int next;
};

/* Whether the end of process @pid started at @start_ns was read already; remembers it if not. */
bool pt_recent_exits_seen(struct pt_recent_exits *r, uint32_t pid, uint64_t start_ns);

#endif
