// SPDX-License-Identifier: GPL-2.0
/* The streaming JSON writer: exact bytes for numbers at their limits, keys and escapes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"

/* What the calls in @fill write, as one string (the caller frees it). */
static char *written(void (*fill)(struct pt_json *j))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct pt_json j;

	assert_non_null(f);
	pt_json_begin(&j, f);
	pt_json_object(&j, NULL);
	fill(&j);
	pt_json_end_object(&j);
	pt_json_flush(&j);
	fclose(f);
	return buf;
}

static void numbers(struct pt_json *j)
{
	pt_json_int(j, "zero", 0);
	pt_json_int(j, "minus_one", -1);
	pt_json_int(j, "min", INT64_MIN);
	pt_json_int(j, "max", INT64_MAX);
	pt_json_uint(j, "umax", UINT64_MAX);
	pt_json_uint(j, "ten", 10);
}

static void test_numbers_at_their_limits(void **state)
{
	char *s = written(numbers);

	assert_string_equal(s, "{\"zero\":0,\"minus_one\":-1,\"min\":-9223372036854775808,"
			       "\"max\":9223372036854775807,\"umax\":18446744073709551615,"
			       "\"ten\":10}");
	free(s);
}

static void nested(struct pt_json *j)
{
	pt_json_str(j, "comm", "a\"b\\c\n\x7f");
	pt_json_object(j, "inner");
	pt_json_bool(j, "yes", true);
	pt_json_null(j, "none");
	pt_json_str(j, "empty", "");
	pt_json_end_object(j);
	pt_json_str(j, "utf8", "caf\xc3\xa9 \xff");
}

static void test_keys_objects_and_escapes(void **state)
{
	char *s = written(nested);

	assert_string_equal(s, "{\"comm\":\"a\\\"b\\\\c\\u000a\\u007f\",\"inner\":{\"yes\":true,"
			       "\"none\":null,\"empty\":null},\"utf8\":\"caf\xc3\xa9 \\ufffd\"}");
	free(s);
}

/* A string longer than the writer's own buffer, escapes at its edges: nothing lost or doubled. */
static char long_value[5001];

static void long_string(struct pt_json *j)
{
	pt_json_str(j, "long", long_value);
}

static void test_values_longer_than_the_buffer(void **state)
{
	char *expected = malloc(sizeof(long_value) * 2 + 32), *s, *p;

	assert_non_null(expected);
	for (size_t i = 0; i + 1 < sizeof(long_value); i++)
		long_value[i] = i % 2047 == 0 ? '"' : (char)('a' + i % 26);
	p = expected + sprintf(expected, "{\"long\":\"");
	for (size_t i = 0; long_value[i]; i++) {
		if (long_value[i] == '"')
			*p++ = '\\';
		*p++ = long_value[i];
	}
	strcpy(p, "\"}");
	s = written(long_string);
	assert_string_equal(s, expected);
	free(s);
	free(expected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_at_their_limits),
		cmocka_unit_test(test_keys_objects_and_escapes),
		cmocka_unit_test(test_values_longer_than_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
