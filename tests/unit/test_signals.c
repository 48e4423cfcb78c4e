// SPDX-License-Identifier: GPL-2.0
/* Signal names: glibc's for every number it names, "SIG<n>" for the rest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "signals.h"

static void test_names_are_glibcs(void **state)
{
	(void)state;
	for (int sig = -3; sig <= 70; sig++) {
		const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
		char buf[16], want[16];

		if (abbrev)
			snprintf(want, sizeof(want), "SIG%s", abbrev);
		else
			snprintf(want, sizeof(want), "SIG%d", sig);
		assert_string_equal(pt_signal_name(sig, buf), want);
	}
	assert_string_equal(pt_signal_name(SIGSEGV, (char[16]){ 0 }), "SIGSEGV");
	assert_string_equal(pt_signal_name(SIGRTMIN + 1, (char[16]){ 0 }), "SIG35");
}

static void test_any_number_fits(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(pt_signal_name(INT_MIN, buf), "SIG-2147483648");
	assert_string_equal(pt_signal_name(INT_MAX, buf), "SIG2147483647");
	assert_string_equal(pt_signal_name(0, buf), "SIG0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_are_glibcs),
		cmocka_unit_test(test_any_number_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
