// SPDX-License-Identifier: GPL-2.0
/*
 * The option table: its defaults are what the modules start from, every
 * flag has what --help and the man page need, and values are parsed the
 * same from a flag and from the environment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "k8s/attributor.h"
#include "k8s/event_sink.h"
#include "option_table.h"
#include "options.h"

static int parse(struct pt_options *o, char **argv, char **envp)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return pt_options_parse(argc, argv, envp, o, stderr);
}

static void test_defaults_are_the_modules_defaults(void **state)
{
	char *argv[] = { "podtrail", NULL }, *envp[] = { NULL };
	struct pt_attributor_config a;
	struct pt_event_sink_config s;
	struct pt_options o;

	assert_int_equal(parse(&o, argv, envp), 0);
	pt_attributor_default_config(&a);
	pt_event_sink_default_config(&s);
	assert_int_equal(o.hold_ns, a.hold_ns);
	assert_int_equal(o.hold_max, a.hold_max);
	assert_int_equal(o.queue_size, s.queue_max);
	assert_int_equal(o.max_tries, s.max_tries);
	assert_int_equal(o.spam_burst, s.correlator.spam_burst);
	assert_true(1e9 / (double)o.spam_refill_ns == s.correlator.spam_qps);
	assert_int_equal(o.aggregate_max, s.correlator.aggregate_max_events);
	assert_int_equal(o.aggregate_window_ns / 1000000000ULL, s.correlator.aggregate_interval_s);
	assert_false(o.events_v1);
	assert_int_equal(o.ringbuf_bytes, 0); /* auto: the loader sizes it by the CPUs */
	assert_int_equal(o.nr_sandbox_names, 1);
	assert_string_equal(o.sandbox_names[0], "pause");
	assert_string_equal(o.metrics_address, "127.0.0.1:9090");
	assert_int_equal(o.help, PT_HELP_NONE);
}

static void test_every_entry_is_documented_once(void **state)
{
	for (size_t i = 0; i < pt_option_count; i++) {
		const struct pt_option *d = &pt_option_table[i];

		assert_non_null(d->name);
		assert_non_null(d->help);
		/* The default is appended by --help: the prose must not say it again. */
		assert_null(strstr(d->help, "default"));
		assert_true(d->arg || d->bare); /* a bare flag needs a value to stand for */
		/* store() writes 1, 4 or 8 bytes; the largest number must fit the field. */
		if (d->kind == PT_OPT_CHOICE || d->kind == PT_OPT_NUMBER)
			assert_true(d->size == 1 || d->size == 4 || d->size == 8);
		if (d->kind == PT_OPT_NUMBER && d->size == 4)
			assert_true(d->max * d->scale <= UINT32_MAX);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(d->name, pt_option_table[j].name);
			if (d->env && pt_option_table[j].env)
				assert_string_not_equal(d->env, pt_option_table[j].env);
		}
	}
}

static void test_flag_and_environment_parse_alike(void **state)
{
	char *argv[] = { "podtrail",
			 "--hold-time",
			 "250",
			 "--standalone",
			 "-v",
			 "2",
			 "--events-api",
			 "events.k8s.io/v1",
			 "--metrics-address",
			 "off",
			 NULL };
	char *envp[] = { "PODTRAIL_HOLD_TIME=250",	 "PODTRAIL_STANDALONE=yes",
			 "PODTRAIL_VERBOSE=2",		 "PODTRAIL_EVENTS_API=events.k8s.io/v1",
			 "PODTRAIL_METRICS_ADDRESS=off", NULL };
	char *none[] = { "podtrail", NULL }, *empty[] = { NULL };
	struct pt_options f, e;

	assert_int_equal(parse(&f, argv, empty), 0);
	assert_int_equal(parse(&e, none, envp), 0);
	assert_int_equal(f.hold_ns, 250000000ULL);
	assert_true(f.standalone);
	assert_int_equal(f.verbose, 2);
	assert_true(f.events_v1);
	assert_null(f.metrics_address);
	assert_int_equal(e.hold_ns, f.hold_ns);
	assert_true(e.standalone);
	assert_int_equal(e.verbose, f.verbose);
	assert_true(e.events_v1);
	assert_null(e.metrics_address);
}

static void test_help_takes_an_optional_format(void **state)
{
	char *bare[] = { "podtrail", "--help", NULL }, *man[] = { "podtrail", "--help=man", NULL };
	char *shrt[] = { "podtrail", "-hmarkdown", NULL },
	     *bad[] = { "podtrail", "--help=pdf", NULL };
	char *envp[] = { NULL };
	struct pt_options o;

	assert_int_equal(parse(&o, bare, envp), 0);
	assert_int_equal(o.help, PT_HELP_TEXT);
	assert_int_equal(parse(&o, man, envp), 0);
	assert_int_equal(o.help, PT_HELP_MAN);
	assert_int_equal(parse(&o, shrt, envp), 0);
	assert_int_equal(o.help, PT_HELP_MARKDOWN);
	assert_int_not_equal(parse(&o, bad, envp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_the_modules_defaults),
		cmocka_unit_test(test_every_entry_is_documented_once),
		cmocka_unit_test(test_flag_and_environment_parse_alike),
		cmocka_unit_test(test_help_takes_an_optional_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
