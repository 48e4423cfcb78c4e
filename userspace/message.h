/* SPDX-License-Identifier: GPL-2.0 */
/* A bounded string builder for event messages. */
#ifndef PODTRAIL_MESSAGE_H
#define PODTRAIL_MESSAGE_H

#include <stddef.h>

struct pt_msg {
	char *buf;
	size_t len;
	size_t cap;
};

/*
 * Appends like snprintf at buf + len: never past cap, always terminated,
 * a fragment that does not fit is cut. %s, %.Ns, %.Nf (N one digit), %d,
 * %u and %llu are written directly; any other conversion goes through
 * vsnprintf.
 */
__attribute__((format(printf, 2, 3))) void pt_msg_add(struct pt_msg *m, const char *fmt, ...);
/* Appends what fits of @s[0..n), keeping the buffer terminated. */
void pt_msg_append(struct pt_msg *m, const char *s, size_t n);

#endif
