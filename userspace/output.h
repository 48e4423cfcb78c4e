/* SPDX-License-Identifier: GPL-2.0 */
/* Standalone output: one event per line on stdout, as aligned text or JSON. */
#ifndef PODTRAIL_OUTPUT_H
#define PODTRAIL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "report.h"

enum pt_output_format {
	PT_OUTPUT_TEXT = 0,
	PT_OUTPUT_JSON,
};

void pt_output_header(FILE *f, enum pt_output_format fmt);
/* Copy @in with control bytes as '?': a process name may hold any byte, a line must stay one. */
void pt_printable(const char *in, char *out, size_t len);
/* Write one line (the caller flushes, once per batch); returns 0 or -errno. */
int pt_output_write(FILE *f, enum pt_output_format fmt, const struct pt_emitted *e);

#endif
