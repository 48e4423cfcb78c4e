// SPDX-License-Identifier: GPL-2.0
/*
 * The message builder writes what snprintf writes, for the conversions it
 * formats itself and for those it hands to vsnprintf, whole and cut short
 * by every buffer size, appended after earlier text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "message.h"

#define PREFIX "process 4242"

/* Every buffer size from 1 to 96: the same bytes as snprintf of PREFIX then the fragment. */
#define EXPECT_SAME(fmt, ...)                                                                      \
	do {                                                                                       \
		for (size_t cap = 1; cap <= 96; cap++) {                                           \
			char got[96], want[96];                                                    \
			struct pt_msg m = { got, 0, cap };                                         \
                                                                                                   \
			memset(got, 'X', sizeof(got));                                             \
			got[0] = '\0';                                                             \
			pt_msg_add(&m, "%s", PREFIX);                                              \
			pt_msg_add(&m, fmt, __VA_ARGS__);                                          \
			snprintf(want, cap, PREFIX fmt, __VA_ARGS__);                              \
			assert_string_equal(got, want);                                            \
			assert_int_equal(m.len, strlen(want));                                     \
		}                                                                                  \
	} while (0)

static void test_direct_conversions_match_snprintf(void **state)
{
	const char *id = "0123456789abcdef0123456789abcdef";

	EXPECT_SAME(" in container %.12s of pod %s", id, "default/web-0");
	EXPECT_SAME(" (signal %d) sent by process %u (%s)", 9, 4294967295U, "kill");
	EXPECT_SAME(": exited with code %d", -1);
	EXPECT_SAME(": %d and %d", INT_MIN, INT_MAX);
	EXPECT_SAME(", usage %llu MiB", 18446744073709551615ULL);
	EXPECT_SAME("%s", "");
	EXPECT_SAME(" %.0s|%.3s|%.40s", "abc", "ab", id);
	EXPECT_SAME(" 100%s done", "");
}

static void test_other_conversions_go_through_vsnprintf(void **state)
{
	EXPECT_SAME(" ran for %.1fs", 12.34);
	EXPECT_SAME(" limit %x, %5d, %-3u|", 255U, 42, 7U);
	EXPECT_SAME(" %c%%", 'z');
}

static void test_a_full_buffer_takes_nothing_more(void **state)
{
	char buf[8];
	struct pt_msg m = { buf, 0, sizeof(buf) };

	pt_msg_add(&m, "%s", "0123456789");
	assert_string_equal(buf, "0123456");
	pt_msg_add(&m, "%u", 7U);
	pt_msg_add(&m, "%.1f", 1.0);
	assert_string_equal(buf, "0123456");
	assert_int_equal(m.len, 7);
}

static void test_append_cuts_and_keeps_the_terminator(void **state)
{
	char buf[6] = "";
	struct pt_msg m = { buf, 0, sizeof(buf) };
	struct pt_msg none = { buf, 0, 0 };

	pt_msg_append(&m, "/...", 4);
	assert_string_equal(buf, "/...");
	pt_msg_append(&m, "/abc", 4);
	assert_string_equal(buf, "/.../");
	assert_int_equal(m.len, 5);
	pt_msg_append(&m, "x", 1);
	assert_string_equal(buf, "/.../");
	pt_msg_append(&none, "x", 1); /* no room at all: nothing written */
	assert_string_equal(buf, "/.../");
	assert_int_equal(none.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_conversions_match_snprintf),
		cmocka_unit_test(test_other_conversions_go_through_vsnprintf),
		cmocka_unit_test(test_a_full_buffer_takes_nothing_more),
		cmocka_unit_test(test_append_cuts_and_keeps_the_terminator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
