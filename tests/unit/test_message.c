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
#include <math.h>
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
	EXPECT_SAME(" ran for %.12fs", 12.34);
	EXPECT_SAME(" limit %x, %5d, %-3u|", 255U, 42, 7U);
	EXPECT_SAME(" %c%%", 'z');
}

/* "%.Nf" of @v as snprintf writes it. */
#define EXPECT_FIXED(fmt, v)                                                                       \
	do {                                                                                       \
		char got[400], want[400];                                                          \
		struct pt_msg m = { got, 0, sizeof(got) };                                         \
                                                                                                   \
		pt_msg_add(&m, fmt, v);                                                            \
		snprintf(want, sizeof(want), fmt, v);                                              \
		if (strcmp(got, want))                                                             \
			fail_msg("%s of %a: got %s, snprintf %s", fmt, v, got, want);              \
	} while (0)

/* Every precision the builder writes itself, 0 to 9. */
static void expect_fixed_like_printf(double v)
{
	EXPECT_FIXED("%.0f", v);
	EXPECT_FIXED("%.1f", v);
	EXPECT_FIXED("%.2f", v);
	EXPECT_FIXED("%.3f", v);
	EXPECT_FIXED("%.4f", v);
	EXPECT_FIXED("%.5f", v);
	EXPECT_FIXED("%.6f", v);
	EXPECT_FIXED("%.7f", v);
	EXPECT_FIXED("%.8f", v);
	EXPECT_FIXED("%.9f", v);
}

static void test_fixed_point_matches_snprintf(void **state)
{
	/* Ties in binary (0.25, 2.5) round to even; decimal "ties" (0.15) are not ties. */
	static const double values[] = {
		0.0,	  -0.0,	     0.05,    0.15,	   0.25,	 0.35,
		2.5,	  3.5,	     -2.5,    1.05,	   59.95,	 59.99,
		0.5,	  1.5,	     0.045,   123.456,	   1e-300,	 4.9e-324,
		0x1p62,	  0x1p63,    -0x1p63, 1e20,	   1e300,	 1.7976931348623157e308,
		INFINITY, -INFINITY, NAN,     9.999999999, 0.0000000005, 0.0000000015
	};
	uint64_t seed = 42;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		expect_fixed_like_printf(values[i]);
	/* What messages print: a lifetime in seconds, a size in MiB. */
	for (int i = 0; i < 20000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		expect_fixed_like_printf((double)(seed >> 28) / 1e9);
		expect_fixed_like_printf((double)(seed >> 20) / (1024.0 * 1024.0));
		expect_fixed_like_printf((double)(seed % 100000) / 1000.0);
	}
	EXPECT_SAME(" after %.1fs", 2.45);
	EXPECT_SAME(", usage %.1f MiB, anon-rss %.1f MiB", 19.6, 0.049999);
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
		cmocka_unit_test(test_fixed_point_matches_snprintf),
		cmocka_unit_test(test_a_full_buffer_takes_nothing_more),
		cmocka_unit_test(test_append_cuts_and_keeps_the_terminator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
