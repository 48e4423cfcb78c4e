/* SPDX-License-Identifier: GPL-2.0 */
/* Writing a one-line error message into a caller's buffer (which may be NULL). */
#ifndef PODTRAIL_ERRMSG_H
#define PODTRAIL_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) static inline void pt_seterr(char *err, size_t errlen,
								   const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
