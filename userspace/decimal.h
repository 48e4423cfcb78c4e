/* SPDX-License-Identifier: GPL-2.0 */
/* Decimal digits without printf, for the paths that run on every event. */
#ifndef PODTRAIL_DECIMAL_H
#define PODTRAIL_DECIMAL_H

#include <stdbool.h>
#include <stdint.h>

#define PT_DECIMAL_MAX 21 /* a '-' and 20 digits */

/* Writes @v (after a '-' when @negative) at the end of @buf; returns where it starts. */
static inline char *pt_decimal(char buf[PT_DECIMAL_MAX], uint64_t v, bool negative)
{
	char *p = buf + PT_DECIMAL_MAX;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		*--p = '-';
	return p;
}

#endif
