// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "decimal.h"
#include "json_writer.h"

void pt_json_begin(struct pt_json *j, FILE *f)
{
	j->f = f;
	j->first = true;
	j->len = 0;
}

void pt_json_flush(struct pt_json *j)
{
	if (j->len)
		fwrite(j->buf, 1, j->len, j->f);
	j->len = 0;
}

static void put(struct pt_json *j, const void *s, size_t n)
{
	if (n > sizeof(j->buf) - j->len) {
		pt_json_flush(j);
		if (n > sizeof(j->buf)) {
			fwrite(s, 1, n, j->f);
			return;
		}
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void put_char(struct pt_json *j, char c)
{
	if (j->len == sizeof(j->buf))
		pt_json_flush(j);
	j->buf[j->len++] = c;
}

static void put_str(struct pt_json *j, const char *s)
{
	put(j, s, strlen(s));
}

void pt_json_raw_char(struct pt_json *j, char c)
{
	put_char(j, c);
}

static void key(struct pt_json *j, const char *k)
{
	if (!j->first)
		put_char(j, ',');
	j->first = false;
	if (k) {
		/* Keys are our own literals: no escaping. */
		put_char(j, '"');
		put_str(j, k);
		put(j, "\":", 2);
	}
}

static void digits(struct pt_json *j, uint64_t v, bool negative)
{
	char buf[PT_DECIMAL_MAX];
	const char *s = pt_decimal(buf, v, negative);

	put(j, s, (size_t)(buf + PT_DECIMAL_MAX - s));
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

static void string(struct pt_json *j, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)v;

	put_char(j, '"');
	while (*s) {
		size_t plain = 0;
		int n;

		/* Runs of characters that need no escaping are copied in one go. */
		while (s[plain] >= 0x20 && s[plain] < 0x7f && s[plain] != '"' && s[plain] != '\\')
			plain++;
		if (plain) {
			put(j, s, plain);
			s += plain;
			continue;
		}
		if (*s == '"' || *s == '\\') {
			put_char(j, '\\');
			put_char(j, (char)*s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			char u[6] = { '\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15] };

			put(j, u, sizeof(u));
			s++;
		} else if ((n = utf8_len(s)) > 0) {
			put(j, s, (size_t)n);
			s += n;
		} else {
			put_str(j, "\\ufffd");
			s++;
		}
	}
	put_char(j, '"');
}

void pt_json_object(struct pt_json *j, const char *k)
{
	key(j, k);
	put_char(j, '{');
	j->first = true;
}

void pt_json_end_object(struct pt_json *j)
{
	put_char(j, '}');
	j->first = false;
}

void pt_json_str(struct pt_json *j, const char *k, const char *val)
{
	key(j, k);
	if (val && val[0])
		string(j, val);
	else
		put_str(j, "null");
}

void pt_json_int(struct pt_json *j, const char *k, int64_t val)
{
	key(j, k);
	/* The magnitude as unsigned: INT64_MIN has no positive twin. */
	digits(j, val < 0 ? 0 - (uint64_t)val : (uint64_t)val, val < 0);
}

void pt_json_uint(struct pt_json *j, const char *k, uint64_t val)
{
	key(j, k);
	digits(j, val, false);
}

void pt_json_bool(struct pt_json *j, const char *k, bool val)
{
	key(j, k);
	put_str(j, val ? "true" : "false");
}

void pt_json_null(struct pt_json *j, const char *k)
{
	key(j, k);
	put_str(j, "null");
}
