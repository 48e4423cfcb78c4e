/* SPDX-License-Identifier: GPL-2.0 */
/* One log line per reported event on stderr (-v 1), like the kubelet's StartLogging. */
#ifndef PODTRAIL_EVENT_LOG_H
#define PODTRAIL_EVENT_LOG_H

#include <stdio.h>
#include "report.h"

enum pt_log_format {
	PT_LOG_TEXT = 0,
	PT_LOG_JSON,
};

void pt_event_log(FILE *f, enum pt_log_format fmt, const struct pt_emitted *e);

#endif
