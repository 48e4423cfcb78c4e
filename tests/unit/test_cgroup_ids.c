// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup id -> path: the table (learn, remove, grace, expiry), the walk of a
 * hierarchy at start, the mounts found in mountinfo, and an exit record
 * named through the pipeline from the mkdir record before it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup_ids.h"
#include "cgroup_names.h"
#include "cgroup_walk.h"
#include "pipeline.h"

#define SEC	  1000000000ULL
#define CID	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD	  "pod1b4c3a2e-0000-4000-8000-000000000001"
#define CONTAINER "/kubepods/burstable/" POD "/" CID

static struct pt_cgroup_ids *new_table(void)
{
	struct pt_cgroup_ids *t;

	assert_int_equal(pt_cgroup_ids_new(60 * SEC, &t), 0);
	return t;
}

static void test_learn_and_find_per_hierarchy(void **state)
{
	struct pt_cgroup_ids *t = new_table();
	struct pt_cgroup_ids_stats st;

	assert_int_equal(pt_cgroup_ids_add(t, 0, 77, "/kubepods"), 0);
	assert_int_equal(pt_cgroup_ids_add(t, 4, 77, "/system.slice"), 0);
	assert_string_equal(pt_cgroup_ids_find(t, 0, 77), "/kubepods");
	assert_string_equal(pt_cgroup_ids_find(t, 4, 77), "/system.slice");
	assert_null(pt_cgroup_ids_find(t, 3, 77));
	pt_cgroup_ids_stats(t, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.misses, 1);
	pt_cgroup_ids_free(t);
}

/* Removed at 10 s, it is still named at 69 s and forgotten at 70 s. */
static void test_removed_cgroup_kept_for_the_grace_time(void **state)
{
	struct pt_cgroup_ids *t = new_table();
	struct pt_cgroup_ids_stats st;

	pt_cgroup_ids_add(t, 0, 5, CONTAINER);
	pt_cgroup_ids_remove(t, 0, 5, 10 * SEC);
	pt_cgroup_ids_expire(t, 69 * SEC);
	assert_string_equal(pt_cgroup_ids_find(t, 0, 5), CONTAINER);
	pt_cgroup_ids_stats(t, &st);
	assert_int_equal(st.removed, 1);
	pt_cgroup_ids_expire(t, 70 * SEC);
	assert_null(pt_cgroup_ids_find(t, 0, 5));
	pt_cgroup_ids_stats(t, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.removed, 0);
	assert_int_equal(st.expired, 1);
	pt_cgroup_ids_free(t);
}

/* Learnt again after its removal (a mkdir record after the walk saw its rmdir): it stays. */
static void test_relearnt_cgroup_is_not_forgotten(void **state)
{
	struct pt_cgroup_ids *t = new_table();

	pt_cgroup_ids_add(t, 0, 5, "/a");
	pt_cgroup_ids_remove(t, 0, 5, 1 * SEC);
	pt_cgroup_ids_add(t, 0, 5, "/a");
	pt_cgroup_ids_expire(t, 100 * SEC);
	assert_string_equal(pt_cgroup_ids_find(t, 0, 5), "/a");
	pt_cgroup_ids_free(t);
}

/*
 * Renamed (v1) while waiting in the removal queue, between two others: the
 * new name is found, and the queue still holds and expires all three.
 */
static void test_renamed_cgroup_keeps_its_place(void **state)
{
	struct pt_cgroup_ids *t = new_table();
	struct pt_cgroup_ids_stats st;

	pt_cgroup_ids_add(t, 0, 4, "/a");
	pt_cgroup_ids_add(t, 0, 5, "/b");
	pt_cgroup_ids_add(t, 0, 6, "/c");
	pt_cgroup_ids_remove(t, 0, 4, 1 * SEC);
	pt_cgroup_ids_remove(t, 0, 5, 2 * SEC);
	pt_cgroup_ids_remove(t, 0, 6, 3 * SEC);
	assert_int_equal(pt_cgroup_ids_add(t, 0, 5, "/renamed/b"), 0);
	assert_string_equal(pt_cgroup_ids_find(t, 0, 5), "/renamed/b");
	pt_cgroup_ids_remove(t, 0, 5, 4 * SEC);
	pt_cgroup_ids_expire(t, 63 * SEC);
	assert_null(pt_cgroup_ids_find(t, 0, 4));
	assert_string_equal(pt_cgroup_ids_find(t, 0, 5), "/renamed/b");
	/* Behind it in the queue: it waits for the one removed again. */
	assert_string_equal(pt_cgroup_ids_find(t, 0, 6), "/c");
	pt_cgroup_ids_expire(t, 64 * SEC);
	assert_null(pt_cgroup_ids_find(t, 0, 5));
	assert_null(pt_cgroup_ids_find(t, 0, 6));
	pt_cgroup_ids_stats(t, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.removed, 0);
	pt_cgroup_ids_free(t);
}

/* Many cgroups: the table grows, and the oldest removals expire first. */
static void test_many_cgroups_grow_and_expire_in_order(void **state)
{
	struct pt_cgroup_ids *t = new_table();
	struct pt_cgroup_ids_stats st;
	char path[64];

	for (uint64_t id = 1; id <= 5000; id++) {
		snprintf(path, sizeof(path), "/c%llu", (unsigned long long)id);
		assert_int_equal(pt_cgroup_ids_add(t, 0, id, path), 0);
	}
	for (uint64_t id = 1; id <= 4000; id++)
		pt_cgroup_ids_remove(t, 0, id, id * SEC / 100);
	pt_cgroup_ids_expire(t, 60 * SEC + 20 * SEC);
	assert_null(pt_cgroup_ids_find(t, 0, 2000));
	assert_string_equal(pt_cgroup_ids_find(t, 0, 2001), "/c2001");
	assert_string_equal(pt_cgroup_ids_find(t, 0, 4999), "/c4999");
	pt_cgroup_ids_stats(t, &st);
	assert_int_equal(st.entries, 3000);
	assert_int_equal(st.removed, 2000);
	pt_cgroup_ids_free(t);
}

/* The event gets the path the kernel used to copy: the last six names, "/..." before. */
static void test_names_shaped_as_the_kernel_copied_them(void **state)
{
	char out[PT_CGROUP_PATH_MAX];
	char longname[300];

	assert_false(pt_cgroup_names_shape(CONTAINER, out, sizeof(out)));
	assert_string_equal(out, CONTAINER);
	assert_false(pt_cgroup_names_shape("/", out, sizeof(out)));
	assert_string_equal(out, "/");
	assert_true(pt_cgroup_names_shape("/a/b/c/d/e/f/g/h", out, sizeof(out)));
	assert_string_equal(out, "/.../c/d/e/f/g/h");
	memset(longname, 'n', sizeof(longname));
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	pt_cgroup_names_shape(longname, out, sizeof(out));
	assert_int_equal(strlen(out), 1 + PT_CGROUP_NAME_LEN - 1);
}

static void test_event_named_or_left_unknown(void **state)
{
	struct pt_cgroup_ids *t = new_table();
	struct pt_event ev;

	memset(&ev, 0, sizeof(ev));
	pt_cgroup_ids_add(t, 0, 5, CONTAINER);
	pt_cgroup_ids_add(t, 4, 9, "/system.slice/containerd.service");
	ev.cgroup.id = 5;
	ev.killer.present = true;
	ev.killer.cgroup_id = 9;
	ev.killer.cgroup_hierarchy_id = 4;
	pt_cgroup_names_fill(t, &ev);
	assert_true(ev.cgroup.known);
	assert_string_equal(ev.cgroup.path, CONTAINER);
	assert_true(ev.killer.cgroup_known);
	assert_string_equal(ev.killer.cgroup_leaf, "containerd.service");

	memset(&ev, 0, sizeof(ev));
	ev.cgroup.id = 6;
	pt_cgroup_names_fill(t, &ev);
	assert_false(ev.cgroup.known);
	assert_string_equal(ev.cgroup.path, "");
	pt_cgroup_ids_free(t);
}

static char *make_tree(void)
{
	char tmpl[] = "/tmp/pt-cgroups-XXXXXX", path[512];
	char *root = strdup(mkdtemp(tmpl));
	static const char *const dirs[] = { "/kubepods", "/kubepods/burstable",
					    "/kubepods/burstable/" POD,
					    "/kubepods/burstable/" POD "/" CID };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/kubepods/cgroup.procs", root);
	fclose(fopen(path, "w")); /* files are not cgroups */
	return root;
}

static void remove_tree(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static uint64_t ino_of(const char *root, const char *sub)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, sub);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* A directory's inode number is its cgroup id; its path is relative to the mount's root. */
static void test_walk_of_a_tree(void **state)
{
	struct pt_cgroup_ids *t = new_table();
	struct pt_cgroup_mount m = { .found = true, .hierarchy_id = 0, .root = "/" };
	char *root = make_tree();
	char err[256];
	bool whole = false;

	snprintf(m.dir, sizeof(m.dir), "%s", root);
	assert_int_equal(pt_cgroup_walk(t, &m, &whole, err, sizeof(err)), 5);
	assert_true(whole);
	assert_string_equal(pt_cgroup_ids_find(t, 0, ino_of(root, "")), "/");
	assert_string_equal(
	    pt_cgroup_ids_find(t, 0, ino_of(root, "/kubepods/burstable/" POD "/" CID)), CONTAINER);
	assert_null(pt_cgroup_ids_find(t, 0, ino_of(root, "/kubepods/cgroup.procs")));

	/* A mount of a sub-tree (a bind): its root leads every path, and it is not the whole. */
	snprintf(m.root, sizeof(m.root), "/node");
	snprintf(m.dir, sizeof(m.dir), "%s/kubepods", root);
	m.hierarchy_id = 4;
	assert_int_equal(pt_cgroup_walk(t, &m, &whole, err, sizeof(err)), 4);
	assert_false(whole);
	assert_string_equal(pt_cgroup_ids_find(t, 4, ino_of(root, "/kubepods/burstable")),
			    "/node/burstable");

	snprintf(m.dir, sizeof(m.dir), "%s/missing", root);
	assert_int_equal(pt_cgroup_walk(t, &m, &whole, err, sizeof(err)), -ENOENT);
	assert_false(whole);
	assert_non_null(strstr(err, "/missing"));
	remove_tree(root);
	free(root);
	pt_cgroup_ids_free(t);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A hybrid host: v2 at .../unified, memory in v1 hierarchy 4. */
static void test_mounts_of_a_hybrid_host(void **state)
{
	char mi[] = "/tmp/pt-mountinfo-XXXXXX", pc[] = "/tmp/pt-cgroups-XXXXXX", err[256];
	struct pt_cgroup_mounts m;

	close(mkstemp(mi));
	close(mkstemp(pc));
	write_file(mi, "24 30 0:22 / /sys rw - sysfs sysfs rw\n"
		       "27 24 0:25 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
		       "28 27 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		       "31 27 0:29 / /sys/fs/cgroup/cpu rw shared:9 - cgroup cgroup rw,cpu\n"
		       "33 27 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
	write_file(pc, "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
		       "cpu\t1\t10\t1\nmemory\t4\t12\t1\n");
	assert_int_equal(pt_cgroup_mounts_find(mi, pc, &m, err, sizeof(err)), 0);
	assert_true(m.v2.found);
	assert_string_equal(m.v2.dir, "/sys/fs/cgroup/unified");
	assert_int_equal(m.v2.hierarchy_id, 0);
	assert_true(m.memory.found);
	assert_string_equal(m.memory.dir, "/sys/fs/cgroup/memory");
	assert_int_equal(m.memory.hierarchy_id, 4);
	assert_int_equal(m.memory_hierarchy_id, 4);

	/* Pure v2: memory in hierarchy 0, no v1 mount; no /proc/cgroups: "all". */
	write_file(mi, "28 27 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
	write_file(pc, "memory\t0\t12\t1\n");
	assert_int_equal(pt_cgroup_mounts_find(mi, pc, &m, err, sizeof(err)), 0);
	assert_string_equal(m.v2.dir, "/sys/fs/cgroup");
	assert_false(m.memory.found);
	assert_int_equal(m.memory_hierarchy_id, 0);
	unlink(pc);
	assert_int_equal(pt_cgroup_mounts_find(mi, pc, &m, err, sizeof(err)), 0);
	assert_int_equal(m.memory_hierarchy_id, UINT32_MAX);
	unlink(mi);
	assert_int_equal(pt_cgroup_mounts_find(mi, pc, &m, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, mi));
}

struct sunk {
	int n;
	char path[PT_CGROUP_PATH_MAX];
	enum pt_cgroup_scope scope;
};

static int sink(void *ctx, const struct pt_emitted *e)
{
	struct sunk *s = ctx;

	s->n++;
	snprintf(s->path, sizeof(s->path), "%s", e->ev->cgroup.path);
	s->scope = e->where->cgroup.scope;
	return 0;
}

static void cgroup_rec(struct pt_pipeline *p, enum pt_record_kind kind, uint64_t id, uint64_t now,
		       const char *path)
{
	struct pt_cgroup_record r;

	memset(&r, 0, sizeof(r));
	r.hdr = (struct pt_record_header){
		.kind = kind, .version = PT_RECORD_VERSION, .size = sizeof(r), .ktime_ns = now
	};
	r.cgroup.id = id;
	snprintf(r.path, sizeof(r.path), "%s", path);
	pt_pipeline_on_record(p, &r, sizeof(r));
}

static void crash_rec(struct pt_pipeline *p, uint64_t id, uint64_t now)
{
	struct pt_exit_record r;

	memset(&r, 0, sizeof(r));
	r.hdr = (struct pt_record_header){ .kind = PT_RECORD_EXIT,
					   .version = PT_RECORD_VERSION,
					   .size = PT_EXIT_RECORD_SHORT,
					   .ktime_ns = now };
	r.pid = r.tid = 300;
	r.start_ns = now - 1000; /* each call a process of its own */
	r.exit_code = 11;	 /* SIGSEGV */
	strcpy(r.comm, "app");
	r.cgroup.id = id;
	r.cgroup.level = 4;
	pt_pipeline_on_record(p, &r, PT_EXIT_RECORD_SHORT);
}

/* A cgroup made, crashed in and removed within 50 ms is still named; one never seen is not. */
static void test_pipeline_names_a_short_lived_cgroup(void **state)
{
	struct pt_cgroup_ids *t = new_table();
	struct sunk s = { 0 };
	struct pt_pipeline p;

	pt_pipeline_init(&p, "node", (struct pt_sink){ sink, &s });
	p.cgroup_ids = t;
	cgroup_rec(&p, PT_RECORD_CGROUP_MKDIR, 55, 1 * SEC, CONTAINER);
	crash_rec(&p, 55, 1 * SEC + 20000000);
	cgroup_rec(&p, PT_RECORD_CGROUP_RMDIR, 55, 1 * SEC + 50000000, CONTAINER);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.path, CONTAINER);
	assert_int_equal(s.scope, PT_SCOPE_CONTAINER);
	assert_int_equal(p.stats.cgroup_records, 2);

	crash_rec(&p, 56, 2 * SEC);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.scope, PT_SCOPE_UNKNOWN);
	pt_cgroup_ids_free(t);
}

/* Two threads of one process can both report its end: the second record makes nothing. */
static void test_pipeline_reads_a_process_end_once(void **state)
{
	struct pt_exit_record r;
	struct sunk s = { 0 };
	struct pt_pipeline p;

	pt_pipeline_init(&p, "node", (struct pt_sink){ sink, &s });
	memset(&r, 0, sizeof(r));
	r.hdr = (struct pt_record_header){ .kind = PT_RECORD_EXIT,
					   .version = PT_RECORD_VERSION,
					   .size = PT_EXIT_RECORD_SHORT,
					   .ktime_ns = 2 * SEC };
	r.pid = r.tid = 400;
	r.start_ns = 1 * SEC;
	r.exit_code = 11; /* SIGSEGV */
	strcpy(r.comm, "threaded");
	pt_pipeline_on_record(&p, &r, PT_EXIT_RECORD_SHORT);
	r.tid = 401; /* the other thread */
	pt_pipeline_on_record(&p, &r, PT_EXIT_RECORD_SHORT);
	assert_int_equal(s.n, 1);
	assert_int_equal(p.stats.ignored, 1);

	/* The same pid, reused by a later process: its own end. */
	r.start_ns = 3 * SEC;
	pt_pipeline_on_record(&p, &r, PT_EXIT_RECORD_SHORT);
	assert_int_equal(s.n, 2);

	/* Far older ends are forgotten: the window is for the moments between two threads. */
	for (uint32_t pid = 1000; pid < 1000 + PT_RECENT_EXITS; pid++) {
		r.pid = r.tid = pid;
		pt_pipeline_on_record(&p, &r, PT_EXIT_RECORD_SHORT);
	}
	r.pid = r.tid = 400;
	r.start_ns = 1 * SEC;
	pt_pipeline_on_record(&p, &r, PT_EXIT_RECORD_SHORT);
	assert_int_equal(s.n, 2 + PT_RECENT_EXITS + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_and_find_per_hierarchy),
		cmocka_unit_test(test_removed_cgroup_kept_for_the_grace_time),
		cmocka_unit_test(test_relearnt_cgroup_is_not_forgotten),
		cmocka_unit_test(test_renamed_cgroup_keeps_its_place),
		cmocka_unit_test(test_many_cgroups_grow_and_expire_in_order),
		cmocka_unit_test(test_names_shaped_as_the_kernel_copied_them),
		cmocka_unit_test(test_event_named_or_left_unknown),
		cmocka_unit_test(test_walk_of_a_tree),
		cmocka_unit_test(test_mounts_of_a_hybrid_host),
		cmocka_unit_test(test_pipeline_names_a_short_lived_cgroup),
		cmocka_unit_test(test_pipeline_reads_a_process_end_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
