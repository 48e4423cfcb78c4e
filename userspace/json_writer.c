// SPDX-License-Identifier: GPL-2.0
#include "json_writer.h"

void pt_json_begin(struct pt_json *j, FILE *f)
{
	j->f = f;
	j->first = true;
}

static void key(struct pt_json *j, const char *k)
{
	if (!j->first)
		putc(',', j->f);
	j->first = false;
	if (k) {
		/* Keys are our own literals: no escaping, and no printf on the hot path. */
		putc('"', j->f);
		fputs(k, j->f);
		fputs("\":", j->f);
	}
}

/* Decimal digits of @v, written without printf. */
static void digits(FILE *f, uint64_t v, bool negative)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		buf[--i] = '-';
	fwrite(buf + i, 1, sizeof(buf) - i, f);
}

/* Length of the valid UTF-8 sequence at @s, or 0. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf5 ? 0 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void string(FILE *f, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;

	putc('"', f);
	while (*s) {
		size_t plain = 0;
		int n;

		/* Runs of characters that need no escaping go out in one call. */
		while (s[plain] >= 0x20 && s[plain] < 0x7f && s[plain] != '"' && s[plain] != '\\')
			plain++;
		if (plain) {
			fwrite(s, 1, plain, f);
			s += plain;
			continue;
		}
		if (*s == '"' || *s == '\\') {
			putc('\\', f);
			putc(*s++, f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			putc(*s++, f);
		} else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		} else {
			fputs("\\ufffd", f);
			s++;
		}
	}
	putc('"', f);
}

void pt_json_object(struct pt_json *j, const char *k)
{
	key(j, k);
	putc('{', j->f);
	j->first = true;
}

void pt_json_end_object(struct pt_json *j)
{
	putc('}', j->f);
	j->first = false;
}

void pt_json_str(struct pt_json *j, const char *k, const char *val)
{
	key(j, k);
	if (val && val[0])
		string(j->f, val);
	else
		fputs("null", j->f);
}

void pt_json_int(struct pt_json *j, const char *k, int64_t val)
{
	key(j, k);
	/* The magnitude as unsigned: INT64_MIN has no positive twin. */
	digits(j->f, val < 0 ? 0 - (uint64_t)val : (uint64_t)val, val < 0);
}

void pt_json_uint(struct pt_json *j, const char *k, uint64_t val)
{
	key(j, k);
	digits(j->f, val, false);
}

void pt_json_bool(struct pt_json *j, const char *k, bool val)
{
	key(j, k);
	fputs(val ? "true" : "false", j->f);
}

void pt_json_null(struct pt_json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}
