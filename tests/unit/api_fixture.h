/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local HTTPS server of the unit tests (tests/unit/http_test_server.py,
 * python3 stdlib, certificates made by the openssl CLI in a temp dir) and,
 * for stages that talk to the API server, a client whose kubeconfig points
 * at one scripted path of it: /script/<key> answers with the steps the
 * test wrote and logs every request. The script is found under
 * $PODTRAIL_SRC (default: the current directory). Needs cmocka.h first.
 */
#ifndef PODTRAIL_TEST_API_FIXTURE_H
#define PODTRAIL_TEST_API_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "k8s/http_client.h"
#include "k8s/kubeconfig.h"
#include "loop_fixture.h"

struct api_server {
	char dir[64];
	pid_t pid;
	int port;
};

/* Run @argv: wait for it (out_fd < 0), or return its pid with stdout on @out_fd. */
static inline int api_run(char *const argv[], int out_fd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return -errno;
	if (out_fd >= 0)
		return pid;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static inline int api_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

/* Certificates, then the server (tokens "tok-one" and "tok-two"); 0 or -1 with a message. */
static inline int api_server_start(struct api_server *s)
{
	const char *src = getenv("PODTRAIL_SRC");
	char script[PATH_MAX], line[64];
	char *const certs[] = { "python3", script, "certs", s->dir, NULL };
	char *const serve[] = { "python3", script, "serve", s->dir, "tok-one", "tok-two", NULL };
	int pfd[2], pid;
	FILE *fp;

	s->pid = -1;
	snprintf(script, sizeof(script), "%s/tests/unit/http_test_server.py",
		 src && *src ? src : ".");
	if (access(script, R_OK)) {
		fprintf(stderr, "%s not found; set PODTRAIL_SRC\n", script);
		return -1;
	}
	strcpy(s->dir, "/tmp/podtrail-http-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	if (api_run(certs, -1)) {
		fprintf(stderr, "making test certificates failed\n");
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = api_run(serve, pfd[1]);
	close(pfd[1]);
	if (pid < 0)
		return -1;
	s->pid = pid;
	fp = fdopen(pfd[0], "r");
	if (!fp || !fgets(line, sizeof(line), fp) || sscanf(line, "PORT %d", &s->port) != 1) {
		fprintf(stderr, "the test HTTP server did not start\n");
		return -1;
	}
	fclose(fp);
	return 0;
}

static inline void api_server_stop(struct api_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	if (s->dir[0])
		nftw(s->dir, api_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The server of a test group, for cmocka's group setup and teardown. */
static struct api_server api_srv = { .pid = -1 };

static inline int api_group_setup(void **state)
{
	return api_server_start(&api_srv);
}

static inline int api_group_teardown(void **state)
{
	api_server_stop(&api_srv);
	return 0;
}

/* Write @name in the server's dir (a new file renamed over the old, as the kubelet does). */
static inline void api_write(const struct api_server *s, const char *name, const char *text)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", s->dir, name);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", s->dir, name);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, p), 0);
}

/* What /script/@key answers, step by step (a JSON list). */
static inline void api_script(const struct api_server *s, const char *key, const char *steps)
{
	char name[128];

	snprintf(name, sizeof(name), "script-%s.json", key);
	api_write(s, name, steps);
}

/* A client of /script/@key: the test CA, token file "token" holding tok-one. */
static inline void api_client(const struct api_server *s, const char *key, struct pt_loop *loop,
			      struct pt_kube_config *cfg, struct pt_http **out)
{
	char kubeconfig[PATH_MAX], text[2048], name[128], err[512];

	api_write(s, "token", "tok-one\n");
	snprintf(name, sizeof(name), "kubeconfig-%s", key);
	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		 "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%d/script/%s\n"
		 "    certificate-authority: %s/ca.crt\n"
		 "users:\n- name: u\n  user:\n    tokenFile: %s/token\n"
		 "contexts:\n- name: t\n  context:\n    cluster: c\n    user: u\n",
		 s->port, key, s->dir, s->dir);
	api_write(s, name, text);
	snprintf(kubeconfig, sizeof(kubeconfig), "%s/%s", s->dir, name);
	if (pt_kubeconfig_load(kubeconfig, NULL, cfg, err, sizeof(err)))
		fail_msg("kubeconfig: %s", err);
	if (pt_http_new(loop, cfg, NULL, out, err, sizeof(err)))
		fail_msg("pt_http_new: %s", err);
}

/* A stage under test in its own loop, with a client of /script/<key>. */
struct api_stage {
	const char *key;
	struct test_loop t;
	struct pt_kube_config kube;
	struct pt_http *http;
	struct json_object *reqs; /* what the server received, once read */
};

static inline void api_stage_open(struct api_stage *st, const char *key, const char *steps)
{
	st->key = key;
	api_script(&api_srv, key, steps);
	test_loop_init(&st->t);
	api_client(&api_srv, key, st->t.loop, &st->kube, &st->http);
}

/* After the stage itself is freed. */
static inline void api_stage_close(struct api_stage *st)
{
	pt_http_free(st->http);
	pt_kube_config_free(&st->kube);
	test_loop_free(&st->t);
	json_object_put(st->reqs);
}

/* The requests /script/@key received, oldest first: a JSON array (put it when done). */
static inline struct json_object *api_requests(const struct api_server *s, const char *key)
{
	struct json_object *all = json_object_new_array();
	char p[PATH_MAX], line[65536];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/log-%s.jsonl", s->dir, key);
	fp = fopen(p, "r");
	while (fp && fgets(line, sizeof(line), fp)) {
		struct json_object *o = json_tokener_parse(line);

		assert_non_null(o);
		json_object_array_add(all, o);
	}
	if (fp)
		fclose(fp);
	return all;
}

/* Field @field of request @i as a string ("" for null). */
static inline const char *api_field(struct json_object *reqs, size_t i, const char *field)
{
	struct json_object *r = json_object_array_get_idx(reqs, i), *v;

	assert_non_null(r);
	if (!json_object_object_get_ex(r, field, &v) || json_object_is_type(v, json_type_null))
		return "";
	return json_object_get_string(v);
}

/* Seconds between requests @i - 1 and @i, as the server saw them. */
static inline double api_gap_s(struct json_object *reqs, size_t i)
{
	struct json_object *a = json_object_array_get_idx(reqs, i - 1);
	struct json_object *b = json_object_array_get_idx(reqs, i), *ta, *tb;

	assert_true(a && b && json_object_object_get_ex(a, "t", &ta) &&
		    json_object_object_get_ex(b, "t", &tb));
	return json_object_get_double(tb) - json_object_get_double(ta);
}

#endif
