// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "decimal.h"
#include "message.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Whether every conversion in @fmt is one append_fast() writes. A message
 * is a dozen short fragments, and vsnprintf's setup for each costs more
 * than the copying (printf's machinery was a tenth of the daemon's CPU at
 * 200 crashes/s, the messages much of it).
 */
static bool fast_format(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p; p = strchr(p, '%')) {
		p++;
		if (*p == 's' || *p == 'd' || *p == 'u') {
			p++;
		} else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'u') {
			p += 3;
		} else if (p[0] == '.' && is_digit(p[1])) {
			for (p++; is_digit(*p); p++)
				;
			if (*p++ != 's')
				return false;
		} else {
			return false;
		}
	}
	return true;
}

void pt_msg_append(struct pt_msg *m, const char *s, size_t n)
{
	size_t room;

	if (m->len + 1 >= m->cap)
		return; /* full (and terminated), or no room even for the terminator */
	room = m->cap - 1 - m->len;

	if (n > room)
		n = room;
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void append_unsigned(struct pt_msg *m, unsigned long long v, bool negative)
{
	char buf[PT_DECIMAL_MAX];
	const char *s = pt_decimal(buf, v, negative);

	pt_msg_append(m, s, (size_t)(buf + PT_DECIMAL_MAX - s));
}

static void append_string(struct pt_msg *m, const char *s, size_t max)
{
	if (!s)
		s = "(null)"; /* what glibc's printf writes */
	pt_msg_append(m, s, strnlen(s, max));
}

static void append_fast(struct pt_msg *m, const char *fmt, va_list ap)
{
	const char *p = fmt, *pct;

	while ((pct = strchr(p, '%'))) {
		size_t precision = (size_t)-1;
		int d;

		pt_msg_append(m, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '.') {
			precision = 0;
			for (p++; is_digit(*p); p++)
				precision = precision * 10 + (size_t)(*p - '0');
		}
		switch (*p) {
		case 's':
			append_string(m, va_arg(ap, const char *), precision);
			p++;
			break;
		case 'd':
			d = va_arg(ap, int);
			append_unsigned(m, d < 0 ? -(unsigned long long)d : (unsigned long long)d,
					d < 0);
			p++;
			break;
		case 'u':
			append_unsigned(m, va_arg(ap, unsigned), false);
			p++;
			break;
		default: /* llu: fast_format() let nothing else through */
			append_unsigned(m, va_arg(ap, unsigned long long), false);
			p += 3;
			break;
		}
	}
	pt_msg_append(m, p, strlen(p));
}

void pt_msg_add(struct pt_msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len + 1 >= m->cap)
		return;
	va_start(ap, fmt);
	if (fast_format(fmt)) {
		append_fast(m, fmt, ap);
	} else {
		n = vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
		if (n > 0)
			m->len = m->len + (size_t)n < m->cap ? m->len + (size_t)n : m->cap - 1;
	}
	va_end(ap);
}
