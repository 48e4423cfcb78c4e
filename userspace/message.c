// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
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
 * 200 crashes/s, the messages much of it); and a reader woken for a few
 * records fetches printf's pages of code cold each time.
 */
static bool fast_format(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p; p = strchr(p, '%')) {
		p++;
		if (*p == 's' || *p == 'd' || *p == 'u') {
			p++;
		} else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'u') {
			p += 3;
		} else if (p[0] == '.' && is_digit(p[1]) && p[2] == 'f') {
			p += 3; /* one digit of precision: append_fixed() takes up to 9 */
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

/* printf's own "%.*f" (precision up to 9): at most 309 digits, a point and 9. */
static void append_fixed_by_printf(struct pt_msg *m, double v, int precision)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%.*f", precision, v);

	if (n > 0)
		pt_msg_append(m, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/*
 * printf's "%.*f" for @precision 0 to 9, byte for byte: the double is
 * exactly M * 2^e, so M * 10^precision (under 2^83) shifted by e, rounded
 * half to even on the exact remainder as glibc rounds, is the scaled value
 * printf prints. Magnitudes from 2^63 up, infinities and NaNs go to printf.
 */
static void append_fixed(struct pt_msg *m, double v, size_t precision)
{
	static const uint32_t powers_of_ten[] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000
	};
	unsigned __int128 x, q;
	uint64_t bits, mantissa, whole, frac;
	char digits[9];
	int biased, exp2;

	if (!isfinite(v) || fabs(v) >= 0x1p63) {
		append_fixed_by_printf(m, v, (int)precision);
		return;
	}
	memcpy(&bits, &v, sizeof(bits));
	biased = (int)(bits >> 52 & 0x7ff);
	mantissa = bits & ((1ULL << 52) - 1);
	if (biased) {
		mantissa |= 1ULL << 52;
		exp2 = biased - 1075;
	} else {
		exp2 = -1074; /* zero or subnormal */
	}
	if (bits >> 63)
		pt_msg_append(m, "-", 1); /* printf writes "-0.0" too */
	x = (unsigned __int128)mantissa * powers_of_ten[precision];
	if (exp2 >= 0) {
		q = x << exp2; /* |v| < 2^63: exp2 <= 10, no overflow */
	} else if (exp2 <= -127) {
		q = 0; /* x < 2^83 is under half of 2^-exp2 */
	} else {
		unsigned __int128 rem = x & (((unsigned __int128)1 << -exp2) - 1);
		unsigned __int128 half = (unsigned __int128)1 << (-exp2 - 1);

		q = x >> -exp2;
		if (rem > half || (rem == half && (q & 1)))
			q++;
	}
	whole = (uint64_t)(q / powers_of_ten[precision]);
	frac = (uint64_t)(q % powers_of_ten[precision]);
	append_unsigned(m, whole, false);
	if (!precision)
		return;
	for (size_t i = precision; i-- > 0; frac /= 10)
		digits[i] = (char)('0' + frac % 10);
	pt_msg_append(m, ".", 1);
	pt_msg_append(m, digits, precision);
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
		case 'f': /* "%.Nf", N one digit: fast_format() let no other through */
			append_fixed(m, va_arg(ap, double), precision);
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
