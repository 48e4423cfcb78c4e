// SPDX-License-Identifier: GPL-2.0
/* The decoder turns raw ring-buffer bytes into a pt_event, and refuses anything malformed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"

static void exit_record(struct pt_exit_record *r)
{
	memset(r, 0, sizeof(*r));
	r->hdr.kind = PT_RECORD_EXIT;
	r->hdr.version = PT_RECORD_VERSION;
	r->hdr.size = PT_EXIT_RECORD_SHORT;
	r->hdr.ktime_ns = 5000000000ULL;
	r->pid = 100;
	r->tid = 101;
	r->ppid = 1;
	r->start_ns = 2000000000ULL;
	strcpy(r->comm, "app");
	strcpy(r->parent_comm, "containerd-shim");
	r->cgroup.id = 42;
	r->cgroup.hierarchy_id = 4;
	r->cgroup.level = 4;
}

/* The size its flags give the record, set in its header. */
static size_t sized(struct pt_exit_record *r)
{
	r->hdr.size = pt_exit_record_size(r->hdr.flags);
	return r->hdr.size;
}

static void test_exit_with_code(void **state)
{
	struct pt_exit_record r;
	struct pt_event ev;

	exit_record(&r);
	r.exit_code = 7 << 8;
	assert_int_equal(pt_decode(&r, sized(&r), &ev), 0);
	assert_int_equal(ev.kind, PT_RECORD_EXIT);
	assert_int_equal(ev.pid, 100);
	assert_int_equal(ev.tid, 101);
	assert_true(ev.exited);
	assert_int_equal(ev.exit_code, 7);
	assert_int_equal(ev.signal, 0);
	assert_false(ev.core_dumped);
	assert_int_equal(ev.lifetime_ns, 3000000000ULL);
	assert_string_equal(ev.comm, "app");
	/* The id alone: its path is looked up after decode (test_cgroup_ids.c). */
	assert_int_equal(ev.cgroup.id, 42);
	assert_int_equal(ev.cgroup.hierarchy_id, 4);
	assert_int_equal(ev.cgroup.depth, 4);
	assert_false(ev.cgroup.known);
	assert_false(ev.killer.present);
	assert_false(ev.oom.present);
}

static void test_exit_by_signal_with_core(void **state)
{
	struct pt_exit_record r;
	struct pt_event ev;

	exit_record(&r);
	r.exit_code = 0x80 | 11;
	assert_int_equal(pt_decode(&r, sized(&r), &ev), 0);
	assert_false(ev.exited);
	assert_int_equal(ev.signal, 11);
	assert_true(ev.core_dumped);
}

/* A crash the kernel signalled for the process's own fault: no killer bytes, the process is it. */
static void test_own_fault_killer(void **state)
{
	struct pt_exit_record r;
	struct pt_event ev;

	exit_record(&r);
	r.exit_code = 11;
	r.hdr.flags = PT_FLAG_HAS_KILLER | PT_FLAG_KILLER_SELF;
	assert_int_equal(sized(&r), PT_EXIT_RECORD_SHORT);
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT, &ev), 0);
	assert_true(ev.killer.present);
	assert_true(ev.killer.from_kernel);
	assert_int_equal(ev.killer.code, PT_SI_KERNEL);
	assert_int_equal(ev.killer.sig, 11);
	assert_int_equal(ev.killer.pid, 101);
	assert_int_equal(ev.killer.tgid, 100);
	assert_int_equal(ev.killer.ktime_ns, 5000000000ULL);
	assert_int_equal(ev.killer.cgroup_id, 0);
	assert_string_equal(ev.killer.comm, "app");
	/* It has no killer bytes, and comes with neither a plain killer's size nor the OOM figures. */
	r.hdr.size = sizeof(r);
	assert_int_equal(pt_decode(&r, sizeof(r), &ev), -EBADMSG);
	r.hdr.flags = PT_FLAG_KILLER_SELF;
	r.hdr.size = PT_EXIT_RECORD_SHORT;
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT, &ev), -EBADMSG);
	r.hdr.flags = PT_FLAG_HAS_KILLER | PT_FLAG_KILLER_SELF | PT_FLAG_OOM_KILLED;
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT, &ev), -EBADMSG);
	/* A plain killer's record carries its bytes. */
	r.hdr.flags = PT_FLAG_HAS_KILLER;
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT, &ev), -EBADMSG);
}

static void test_killer_and_oom_sections(void **state)
{
	struct pt_exit_record_oom x;
	struct pt_exit_record *r = &x.exit;
	struct pt_event ev;

	memset(&x, 0, sizeof(x));
	exit_record(r);
	r->hdr.size = sizeof(x);
	r->hdr.flags =
	    PT_FLAG_HAS_KILLER | PT_FLAG_OOM_KILLED | PT_FLAG_OOM_MEMCG | PT_FLAG_HAS_RSS;
	r->exit_code = 9;
	r->killer.tgid = 555;
	r->killer.sig = 9;
	r->killer.code = 0x80;
	strcpy(r->killer.comm, "python3");
	x.oom.memcg_limit_bytes = 20 << 20;
	x.oom.anon_rss_kb = 20000;
	assert_int_equal(pt_decode(&x, sizeof(x), &ev), 0);
	assert_true(ev.killer.present);
	assert_true(ev.killer.from_kernel);
	assert_int_equal(ev.killer.tgid, 555);
	assert_true(ev.oom.present);
	assert_true(ev.oom.confined);
	assert_true(ev.oom.has_rss);
	assert_int_equal(ev.oom.memcg_limit_bytes, 20 << 20);

	/* The size says which record it is, and it must agree with the OOM flag. */
	assert_int_equal(pt_decode(&x, sizeof(x.exit), &ev), -EBADMSG);
	r->hdr.flags = PT_FLAG_HAS_KILLER;
	assert_int_equal(pt_decode(&x, sizeof(x), &ev), -EBADMSG);
	r->hdr.size = sizeof(x.exit);
	assert_int_equal(pt_decode(&x, sizeof(x.exit), &ev), 0);
	assert_false(ev.oom.present);
}

static void names_record(struct pt_cgroup_names_record *r, uint32_t level)
{
	memset(r, 0, sizeof(*r));
	r->hdr.kind = PT_RECORD_CGROUP_NAMES;
	r->hdr.version = PT_RECORD_VERSION;
	r->hdr.size = sizeof(*r);
	r->cgroup.id = 77;
	r->cgroup.hierarchy_id = 4;
	r->cgroup.level = level;
}

/* A cgroup userspace cannot know (older than the agent, in a pod): the kernel named it. */
static void test_cgroup_names_record(void **state)
{
	struct pt_cgroup_names_record r;
	struct pt_cgroup_change c;
	struct pt_event ev;

	names_record(&r, 4);
	strcpy(r.names[0], "0123abcd");
	strcpy(r.names[1], "pod0f0e4a8c-7a6e-4c1e-9d7e-2b1f6c3d4e5f");
	strcpy(r.names[2], "burstable");
	strcpy(r.names[3], "kubepods");
	assert_int_equal(pt_record_kind(&r, sizeof(r)), PT_RECORD_CGROUP_NAMES);
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r), &c), 0);
	assert_int_equal(c.kind, PT_RECORD_CGROUP_NAMES);
	assert_int_equal(c.id, 77);
	assert_int_equal(c.hierarchy_id, 4);
	assert_false(c.cut);
	assert_string_equal(c.path,
			    "/kubepods/burstable/pod0f0e4a8c-7a6e-4c1e-9d7e-2b1f6c3d4e5f/0123abcd");
	/* Not an event. */
	assert_int_equal(pt_decode(&r, sizeof(r), &ev), -EBADMSG);

	/* Deeper than the names sent: the top is marked as cut. */
	names_record(&r, PT_CGROUP_LEVELS + 2);
	for (int i = 0; i < PT_CGROUP_LEVELS; i++)
		snprintf(r.names[i], PT_CGROUP_NAME_LEN, "n%d", i);
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r), &c), 0);
	assert_string_equal(c.path, "/.../n5/n4/n3/n2/n1/n0");

	/* Unterminated names stay within their field; the root is "/". */
	names_record(&r, 1);
	memset(r.names[0], 'x', PT_CGROUP_NAME_LEN);
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r), &c), 0);
	assert_int_equal(strlen(c.path), PT_CGROUP_NAME_LEN + 1);
	names_record(&r, 0);
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r), &c), 0);
	assert_string_equal(c.path, "/");
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r) - 8, &c), -EBADMSG);
}

/* Kernel strings without a terminator must not run past their field. */
static void test_unterminated_strings_are_bounded(void **state)
{
	struct pt_exit_record r;
	struct pt_event ev;

	exit_record(&r);
	memset(r.comm, 'A', sizeof(r.comm));
	r.hdr.flags = PT_FLAG_HAS_KILLER;
	memset(r.killer.comm, 'C', sizeof(r.killer.comm));
	assert_int_equal(pt_decode(&r, sized(&r), &ev), 0);
	assert_int_equal(strlen(ev.comm), PT_COMM_LEN);
	assert_int_equal(strlen(ev.killer.comm), PT_COMM_LEN);
}

static void cgroup_record(struct pt_cgroup_record *r, enum pt_record_kind kind, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->hdr.kind = kind;
	r->hdr.version = PT_RECORD_VERSION;
	r->hdr.size = sizeof(*r);
	r->hdr.ktime_ns = 7000000000ULL;
	r->cgroup.id = 9001;
	r->cgroup.hierarchy_id = 4;
	r->cgroup.level = 2;
	strcpy(r->path, path);
}

static void test_cgroup_mkdir_record(void **state)
{
	struct pt_cgroup_record r;
	struct pt_cgroup_change c;

	cgroup_record(&r, PT_RECORD_CGROUP_MKDIR, "/kubepods/burstable");
	assert_int_equal(pt_record_kind(&r, sizeof(r)), PT_RECORD_CGROUP_MKDIR);
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r), &c), 0);
	assert_int_equal(c.kind, PT_RECORD_CGROUP_MKDIR);
	assert_int_equal(c.id, 9001);
	assert_int_equal(c.hierarchy_id, 4);
	assert_int_equal(c.level, 2);
	assert_int_equal(c.ktime_ns, 7000000000ULL);
	assert_string_equal(c.path, "/kubepods/burstable");
	assert_false(c.cut);
}

/* A path that fills the kernel's buffer may have been cut: never learnt as a name. */
static void test_cgroup_record_full_path_is_cut(void **state)
{
	struct pt_cgroup_record r;
	struct pt_cgroup_change c;

	cgroup_record(&r, PT_RECORD_CGROUP_RMDIR, "/");
	memset(r.path + 1, 'x', sizeof(r.path) - 1); /* and no terminator */
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r), &c), 0);
	assert_true(c.cut);
	assert_int_equal(strlen(c.path), sizeof(r.path) - 1);
}

static void test_cgroup_record_refused_by_pt_decode(void **state)
{
	struct pt_cgroup_record r;
	struct pt_cgroup_change c;
	struct pt_event ev;

	cgroup_record(&r, PT_RECORD_CGROUP_MKDIR, "/a");
	assert_int_equal(pt_decode(&r, sizeof(r), &ev), -EBADMSG);
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r) - 1, &c), -EBADMSG);
	r.hdr.kind = PT_RECORD_EXIT;
	assert_int_equal(pt_decode_cgroup(&r, sizeof(r), &c), -EBADMSG);
}

static void test_oom_record(void **state)
{
	struct pt_oom_record r;
	struct pt_event ev;

	memset(&r, 0, sizeof(r));
	r.hdr.kind = PT_RECORD_OOM;
	r.hdr.version = PT_RECORD_VERSION;
	r.hdr.size = sizeof(r);
	r.hdr.flags = PT_FLAG_OOM_KILLED | PT_FLAG_OOM_MEMCG;
	r.pid = 77;
	r.oom.trigger_pid = 78;
	r.oom.kill_id = 123456789;
	strcpy(r.comm, "victim");
	strcpy(r.oom.trigger_comm, "allocator");
	r.oom.memcg_limit_bytes = 1 << 20;
	assert_int_equal(pt_decode(&r, sizeof(r), &ev), 0);
	assert_int_equal(ev.kind, PT_RECORD_OOM);
	assert_int_equal(ev.pid, 77);
	assert_int_equal(ev.oom.trigger_pid, 78);
	assert_string_equal(ev.oom.trigger_comm, "allocator");
	assert_int_equal(ev.oom.kill_id, 123456789);
	assert_true(ev.oom.confined);
	assert_false(ev.cgroup.known);
}

/* The SIGTERM of a graceful stop rides along with the SIGKILL that ended it. */
static void test_previous_stop_signal(void **state)
{
	struct pt_exit_record r;
	struct pt_event ev;

	exit_record(&r);
	r.hdr.flags = PT_FLAG_HAS_KILLER;
	r.killer.sig = 9;
	r.killer.prev_sig = 15;
	r.killer.prev_tgid = 31;
	r.killer.prev_ktime_ns = 1000;
	memset(r.killer.prev_comm, 'R', sizeof(r.killer.prev_comm));
	assert_int_equal(pt_decode(&r, sized(&r), &ev), 0);
	assert_int_equal(ev.killer.prev_sig, 15);
	assert_int_equal(ev.killer.prev_tgid, 31);
	assert_int_equal(strlen(ev.killer.prev_comm), PT_COMM_LEN);
	/* A signal number the kernel cannot send is no signal at all. */
	r.killer.prev_sig = 99;
	assert_int_equal(pt_decode(&r, sized(&r), &ev), 0);
	assert_int_equal(ev.killer.prev_sig, 0);
}

static void test_malformed_records_are_refused(void **state)
{
	struct pt_exit_record r;
	struct pt_event ev;

	exit_record(&r);
	assert_int_equal(pt_decode(NULL, 0, &ev), -EBADMSG);
	assert_int_equal(pt_decode(&r, 3, &ev), -EBADMSG);
	/* header size disagrees with the record's size */
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT - 8, &ev), -EBADMSG);
	r.hdr.version = 99;
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT, &ev), -EBADMSG);
	exit_record(&r);
	r.hdr.kind = 99;
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT, &ev), -EBADMSG);
	/* an OOM kind with an exit record's size */
	exit_record(&r);
	r.hdr.kind = PT_RECORD_OOM;
	assert_int_equal(pt_decode(&r, PT_EXIT_RECORD_SHORT, &ev), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_with_code),
		cmocka_unit_test(test_exit_by_signal_with_core),
		cmocka_unit_test(test_own_fault_killer),
		cmocka_unit_test(test_killer_and_oom_sections),
		cmocka_unit_test(test_cgroup_names_record),
		cmocka_unit_test(test_unterminated_strings_are_bounded),
		cmocka_unit_test(test_cgroup_mkdir_record),
		cmocka_unit_test(test_cgroup_record_full_path_is_cut),
		cmocka_unit_test(test_cgroup_record_refused_by_pt_decode),
		cmocka_unit_test(test_oom_record),
		cmocka_unit_test(test_previous_stop_signal),
		cmocka_unit_test(test_malformed_records_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
