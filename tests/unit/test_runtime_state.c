// SPDX-License-Identifier: GPL-2.0
/*
 * The runtimes' records of main and exec'd processes, read as a runtime
 * writes them (a fake containerd state directory, written the way runc and
 * the shim do: a hidden file renamed into place), kept after the bundle is
 * gone, and read on demand for CRI-O.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime_state.h"

#define CID  "1111111111111111111111111111111111111111111111111111111111111111"
#define SBX  "2222222222222222222222222222222222222222222222222222222222222222"
#define EXEC "3333333333333333333333333333333333333333333333333333333333333333"
#define CRIO "4444444444444444444444444444444444444444444444444444444444444444"

struct fixture {
	char dir[PATH_MAX];
	char state[PATH_MAX]; /* containerd's state directory */
	char crio[PATH_MAX];  /* CRI-O's run root */
	char tasks[PATH_MAX]; /* <state>/io.containerd.runtime.v2.task/k8s.io */
	struct pt_loop *loop;
	struct pt_runtime_state *s;
};

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

/* As runc writes a pid file: a hidden temporary renamed into place. */
static void write_renamed(const char *dir, const char *name, const char *text)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static void write_spec(const char *dir, const char *type, const char *name)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2\",\"annotations\":{"
		 "\"io.kubernetes.cri.container-type\":\"%s\","
		 "\"io.kubernetes.cri.container-name\":\"%s\","
		 "\"io.kubernetes.cri.sandbox-name\":\"web-0\","
		 "\"io.kubernetes.cri.sandbox-namespace\":\"shop\","
		 "\"io.kubernetes.cri.sandbox-uid\":\"1b4c3a2e-0000-4000-8000-000000000001\","
		 "\"io.kubernetes.cri.sandbox-id\":\"" SBX "\"}}",
		 type, name);
	write_renamed(dir, "config.json", text);
}

/* A bundle as the shim makes it: directory, spec, then init.pid from runc create. */
static void make_bundle(struct fixture *f, const char *id, const char *type, const char *pid)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", f->tasks, id);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_spec(dir, type, !strcmp(type, "sandbox") ? "" : "app");
	if (pid)
		write_renamed(dir, "init.pid", pid);
}

static void remove_tree(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void run_loop(struct fixture *f, int ms)
{
	uint64_t end = pt_now_ns() + (uint64_t)ms * 1000000ULL;

	while (pt_now_ns() < end)
		assert_int_equal(pt_loop_run_once(f->loop, 10), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pt_runtime_dirs dirs;
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/pt-runtime-state-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/containerd", f->dir);
	snprintf(f->tasks, sizeof(f->tasks), "%s/io.containerd.runtime.v2.task/k8s.io", f->state);
	mkdirs(f->tasks);
	snprintf(f->crio, sizeof(f->crio), "%s/crio", f->dir);
	mkdirs(f->crio);
	assert_int_equal(pt_loop_new(&f->loop), 0);
	pt_runtime_dirs_default(&dirs);
	dirs.containerd_state = f->state;
	dirs.crio_state = f->crio;
	dirs.crio_storage = "";
	dirs.docker_root = "";
	assert_int_equal(pt_runtime_state_new(f->loop, &dirs, &f->s, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pt_runtime_state_free(f->s);
	pt_loop_free(f->loop);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static void test_main_pid_of_a_new_container(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_answer a;

	make_bundle(f, CID, "container", "4242\n");
	run_loop(f, 20);
	pt_runtime_state_ask(f->s, CID, PT_RUNTIME_CONTAINERD, 4242, pt_now_ns(), &a);
	assert_true(a.known);
	assert_int_equal(a.main_pid, 4242);
	assert_int_equal(a.kind, PT_KIND_CONTAINER);
	assert_false(a.exec);
	pt_runtime_state_ask(f->s, CID, PT_RUNTIME_CONTAINERD, 4300, pt_now_ns(), &a);
	assert_int_equal(a.main_pid, 4242);
	assert_false(a.exec);
}

/* Queued inotify events are read before answering: no loop turn needed. */
static void test_answer_takes_queued_news_first(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_answer a;

	make_bundle(f, SBX, "sandbox", "100");
	pt_runtime_state_ask(f->s, SBX, PT_RUNTIME_UNKNOWN, 100, pt_now_ns(), &a);
	assert_true(a.known);
	assert_int_equal(a.main_pid, 100);
	assert_int_equal(a.kind, PT_KIND_SANDBOX);
}

static void test_exec_pid_file_is_remembered_after_it_goes(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_answer a;
	char dir[PATH_MAX], path[PATH_MAX];

	make_bundle(f, CID, "container", "4242");
	snprintf(dir, sizeof(dir), "%s/%s", f->tasks, CID);
	write_renamed(dir, EXEC ".pid", "5151");
	run_loop(f, 20);
	snprintf(path, sizeof(path), "%s/%s.pid", dir, EXEC);
	assert_int_equal(unlink(path), 0); /* ExecSync returned */
	run_loop(f, 20);
	pt_runtime_state_ask(f->s, CID, PT_RUNTIME_CONTAINERD, 5151, pt_now_ns(), &a);
	assert_true(a.known);
	assert_true(a.exec);
	/* Not a process of this container: its command line is not read. */
	assert_string_equal(a.exec_command, "");
}

/* containerd removes the bundle 25-35 ms after the exit: late records still get answers. */
static void test_facts_outlive_the_bundle(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_answer a;
	struct pt_runtime_meta meta;
	char dir[PATH_MAX];

	make_bundle(f, CID, "container", "4242");
	run_loop(f, 20);
	snprintf(dir, sizeof(dir), "%s/%s", f->tasks, CID);
	remove_tree(dir);
	run_loop(f, 20);
	pt_runtime_state_ask(f->s, CID, PT_RUNTIME_CONTAINERD, 4242, pt_now_ns(), &a);
	assert_true(a.known);
	assert_int_equal(a.main_pid, 4242);
	assert_int_equal(pt_runtime_state_meta(f->s, CID, &meta, NULL, 0), 0);
	assert_string_equal(meta.pod_name, "web-0");
	assert_string_equal(meta.container_name, "app");
	assert_int_equal(pt_runtime_state_stats(f->s)->containers, 1);
}

/* A bundle that existed before the agent started is read at start. */
static void test_existing_bundles_are_read_at_start(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_dirs dirs;
	struct pt_runtime_state *s2;
	struct pt_runtime_answer a;

	make_bundle(f, CID, "container", "777");
	pt_runtime_dirs_default(&dirs);
	dirs.containerd_state = f->state;
	dirs.crio_state = dirs.crio_storage = dirs.docker_root = "";
	assert_int_equal(pt_runtime_state_new(f->loop, &dirs, &s2, NULL, 0), 0);
	pt_runtime_state_ask(s2, CID, PT_RUNTIME_CONTAINERD, 777, pt_now_ns(), &a);
	assert_int_equal(a.main_pid, 777);
	pt_runtime_state_free(s2);
}

static void test_crio_pidfile_read_on_demand(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_answer a;
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/crio/overlay-containers/%s/userdata", f->dir, CRIO);
	mkdirs(dir);
	write_renamed(dir, "pidfile", "8080");
	pt_runtime_state_ask(f->s, CRIO, PT_RUNTIME_CRIO, 8080, pt_now_ns(), &a);
	assert_true(a.known);
	assert_int_equal(a.main_pid, 8080);
}

static void test_unknown_and_garbage(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_answer a;

	pt_runtime_state_ask(f->s, "not-an-id", PT_RUNTIME_UNKNOWN, 1, pt_now_ns(), &a);
	assert_false(a.known);
	pt_runtime_state_ask(f->s, CRIO, PT_RUNTIME_UNKNOWN, 1, pt_now_ns(), &a);
	assert_false(a.known);
	make_bundle(f, CID, "container", "12abc");
	run_loop(f, 20);
	pt_runtime_state_ask(f->s, CID, PT_RUNTIME_CONTAINERD, 12, pt_now_ns(), &a);
	assert_int_equal(a.main_pid, 0);
	assert_true(pt_runtime_state_stats(f->s)->read_errors > 0);
	pt_runtime_state_ask(NULL, CID, PT_RUNTIME_CONTAINERD, 12, pt_now_ns(), &a);
	assert_false(a.known);
}

/* containerd started after the agent: its task directory is watched for as it appears. */
static void test_root_that_appears_later(void **state)
{
	struct fixture *f = *state;
	struct pt_runtime_answer a;

	remove_tree(f->state);
	run_loop(f, 20);
	mkdirs(f->tasks);
	make_bundle(f, CID, "container", "999");
	run_loop(f, 50);
	remove_tree(f->tasks); /* gone before anyone asks: only the watch can know */
	pt_runtime_state_ask(f->s, CID, PT_RUNTIME_CONTAINERD, 999, pt_now_ns(), &a);
	assert_int_equal(a.main_pid, 999);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_main_pid_of_a_new_container),
		T(test_answer_takes_queued_news_first),
		T(test_exec_pid_file_is_remembered_after_it_goes),
		T(test_facts_outlive_the_bundle),
		T(test_existing_bundles_are_read_at_start),
		T(test_crio_pidfile_read_on_demand),
		T(test_unknown_and_garbage),
		T(test_root_that_appears_later),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
