// SPDX-License-Identifier: GPL-2.0
/* Standalone output: the exact text and JSON lines written for an emitted event. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgroup_path.h"
#include "output.h"

#define CID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID  "1b4c3a2e-0000-4000-8000-000000000001"
#define PATH "/kubepods/burstable/pod" UID "/" CID
/* 2023-11-14T22:13:20.123456789Z */
#define WALL_NS 1700000000123456789LL

struct scene {
	struct pt_event ev;
	struct pt_placement where;
	struct pt_report report;
	struct pt_pod_ref pod;
	struct pt_emitted e;
};

/* A container's main process that exited with code 3, as the pipeline emits it. */
static void main_exit(struct scene *s, const char *cgroup_path)
{
	memset(s, 0, sizeof(*s));
	s->ev.kind = PT_RECORD_EXIT;
	s->ev.pid = 4242;
	s->ev.tid = 4242;
	s->ev.ppid = 4200;
	s->ev.ns_pid = 1;
	s->ev.ns_level = 1;
	s->ev.exited = true;
	s->ev.exit_code = 3;
	s->ev.lifetime_ns = 10000000;
	s->ev.flags = PT_FLAG_PIDNS_INIT;
	strcpy(s->ev.comm, "sh");
	strcpy(s->ev.parent_comm, "containerd-shim");
	s->ev.cgroup.known = true;
	s->ev.cgroup.id = 77;
	snprintf(s->ev.cgroup.path, sizeof(s->ev.cgroup.path), "%s", cgroup_path);
	assert_int_equal(pt_cgroup_parse(cgroup_path, &s->where.cgroup), 0);
	s->where.who.role = PT_ROLE_MAIN;
	s->where.who.source = PT_SOURCE_RUNTIME;
	s->report.reason = PT_REASON_CONTAINER_EXITED;
	s->report.warning = true;
	strcpy(s->report.message, "main process 4242 (sh) in container app exited with code 3");
	s->e.ev = &s->ev;
	s->e.where = &s->where;
	s->e.report = &s->report;
	s->e.wall_ns = WALL_NS;
	s->e.node = "node-1";
}

static void name_pod(struct scene *s)
{
	strcpy(s->pod.namespace_, "shop");
	strcpy(s->pod.name, "web-0");
	strcpy(s->pod.uid, UID);
	strcpy(s->pod.container_name, "app");
	strcpy(s->pod.field_path, "spec.containers{app}");
	s->where.container_name = s->pod.container_name;
	s->e.pod = &s->pod;
}

/* What pt_output_write() wrote for @s, malloc'ed. */
static char *written(enum pt_output_format fmt, const struct scene *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(pt_output_write(f, fmt, &s->e), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_text_header(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	pt_output_header(f, PT_OUTPUT_TEXT);
	pt_output_header(f, PT_OUTPUT_JSON); /* JSON lines have no header */
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "TIME                     TYPE     REASON           OBJECT"
				 "                                    MESSAGE\n");
	free(buf);
}

static void test_text_names_pod_and_container(void **state)
{
	struct scene s;
	char *out;

	main_exit(&s, PATH);
	name_pod(&s);
	out = written(PT_OUTPUT_TEXT, &s);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z  Warning  ContainerExited  "
				 "pod/shop/web-0/app                        "
				 "main process 4242 (sh) in container app exited with code 3\n");
	free(out);
}

static void test_text_without_pod_names_uid_and_short_id(void **state)
{
	struct scene s;
	char *out;

	main_exit(&s, PATH);
	s.report.warning = false;
	out = written(PT_OUTPUT_TEXT, &s);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z  Normal   ContainerExited  "
				 "pod/" UID "/0123456789ab  "
				 "main process 4242 (sh) in container app exited with code 3\n");
	free(out);
}

static void test_text_host_process_names_its_unit(void **state)
{
	struct scene s;
	char *out;

	main_exit(&s, "/system.slice/cron.service");
	s.report.reason = PT_REASON_NODE_COMPONENT_EXITED;
	strcpy(s.report.message, "cron exited");
	out = written(PT_OUTPUT_TEXT, &s);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z  Warning  NodeComponentExited  "
				 "unit/cron.service                         cron exited\n");
	free(out);
}

static void test_text_control_bytes_become_question_marks(void **state)
{
	struct scene s;
	char *out;

	main_exit(&s, PATH);
	name_pod(&s);
	strcpy(s.pod.name, "we\nb");
	strcpy(s.report.message, "process 1 (a\tb\x1b[2J) died\x7f");
	out = written(PT_OUTPUT_TEXT, &s);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z  Warning  ContainerExited  "
				 "pod/shop/we?b/app                         "
				 "process 1 (a?b?[2J) died?\n");
	free(out);
}

static void test_json_line_has_every_field(void **state)
{
	struct scene s;
	char *out;

	main_exit(&s, PATH);
	name_pod(&s);
	out = written(PT_OUTPUT_JSON, &s);
	assert_string_equal(
	    out,
	    "{\"time\":\"2023-11-14T22:13:20.123456789Z\",\"type\":\"Warning\","
	    "\"reason\":\"ContainerExited\","
	    "\"message\":\"main process 4242 (sh) in container app exited with code 3\","
	    "\"node\":\"node-1\","
	    "\"pod\":{\"uid\":\"" UID "\",\"namespace\":\"shop\",\"name\":\"web-0\","
	    "\"qos\":\"Burstable\"},"
	    "\"container\":{\"id\":\"" CID "\",\"name\":\"app\",\"runtime\":null},"
	    "\"cgroup\":{\"id\":77,\"path\":\"" PATH "\",\"hierarchy\":\"v2\","
	    "\"scope\":\"container\",\"driver\":\"cgroupfs\",\"unit\":null,\"truncated\":false},"
	    "\"process\":{\"pid\":4242,\"tid\":4242,\"ppid\":4200,\"ns_pid\":1,\"ns_level\":1,"
	    "\"comm\":\"sh\",\"parent_comm\":\"containerd-shim\",\"main\":true,\"role\":\"main\","
	    "\"role_source\":\"runtime\",\"exec_command\":null,\"pidns_init\":true,"
	    "\"sandbox\":false,\"lifetime_ns\":10000000},"
	    "\"exit\":{\"code\":3,\"signal\":0,\"signal_name\":null,\"core_dumped\":false},"
	    "\"killer\":null,\"oom\":null}\n");
	free(out);
}

static void test_json_escapes_quotes_backslashes_and_control_bytes(void **state)
{
	struct scene s;
	char *out;

	main_exit(&s, PATH);
	strcpy(s.ev.comm, "a\"b\\c\x01\n");
	strcpy(s.report.message, "bad \xff byte, tab\t");
	out = written(PT_OUTPUT_JSON, &s);
	assert_non_null(strstr(out, "\"comm\":\"a\\\"b\\\\c\\u0001\\u000a\","));
	assert_non_null(strstr(out, "\"message\":\"bad \\ufffd byte, tab\\u0009\","));
	/* Not named: the pod's namespace and name are null. */
	assert_non_null(strstr(out, "\"namespace\":null,\"name\":null,"));
	/* One line: the newline in the name is escaped, the only one ends the line. */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}

/* The hand-made RFC 3339 time equals gmtime()'s: leap days, 2100, the last second of int64 nanoseconds. */
static void test_json_time_matches_gmtime(void **state)
{
	static const int64_t secs[] = { 0,	    951782400,	951868799, 4107542399,
					1709251199, 1735689599, 9223372036 };

	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		struct scene s;
		char expected[64], *out;
		time_t t = (time_t)secs[i];
		struct tm tm;

		main_exit(&s, PATH);
		s.e.wall_ns = secs[i] * 1000000000LL + 7;
		gmtime_r(&t, &tm);
		strftime(expected, sizeof(expected), "{\"time\":\"%Y-%m-%dT%H:%M:%S.000000007Z\"",
			 &tm);
		out = written(PT_OUTPUT_JSON, &s);
		assert_memory_equal(out, expected, strlen(expected));
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_header),
		cmocka_unit_test(test_text_names_pod_and_container),
		cmocka_unit_test(test_text_without_pod_names_uid_and_short_id),
		cmocka_unit_test(test_text_host_process_names_its_unit),
		cmocka_unit_test(test_text_control_bytes_become_question_marks),
		cmocka_unit_test(test_json_line_has_every_field),
		cmocka_unit_test(test_json_escapes_quotes_backslashes_and_control_bytes),
		cmocka_unit_test(test_json_time_matches_gmtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
