/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PODTRAIL_SIGNALS_H
#define PODTRAIL_SIGNALS_H

#include <stdint.h>

/* "SIGSEGV", or "SIG<n>" written into @buf for a real-time or unknown signal. */
const char *pt_signal_name(int sig, char buf[16]);
/* Signals whose default action terminates the process (core or not), as a bit mask. */
uint64_t pt_fatal_signal_mask(void);
/* Signals that mean the program itself crashed. */
int pt_signal_is_crash(int sig);

#endif
