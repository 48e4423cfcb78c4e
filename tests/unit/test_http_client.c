// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP client against a real HTTPS server (tests/unit/http_test_server.py,
 * python3 stdlib) with certificates made by the openssl CLI in a temp dir.
 * Every scenario runs in a pt_loop until its callbacks stop it. The server
 * script is found under $PODTRAIL_SRC (default: the current directory).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_fixture.h"
#include "event_loop.h"
#include "k8s/http_client.h"
#include "k8s/kubeconfig.h"

#define WATCHDOG_NS (15ULL * 1000000000ULL)

/* The server is shared by all tests: starting it and making certs takes ~1 s. */
static struct api_server srv = { .pid = -1 };

/* One request's outcome, as the callbacks saw it. */
struct res {
	struct fx *f;
	struct pt_http_call *call;
	bool done;
	int order; /* 1 for the first on_done of the test, ... */
	long status;
	int terr;
	char error[CURL_ERROR_SIZE + 64];
	bool has_error;
	char *body;
	size_t body_len;
	long retry_after;
	double total_s;
	char url[512];
	/* streaming */
	char stream[4096];
	size_t stream_len;
	int chunks;
	int data_ret;
	void (*on_first_chunk)(struct res *r);
	void (*then)(struct res *r); /* run inside on_done */
	void *arg;
};

struct fx {
	struct pt_loop *loop;
	struct pt_kube_config cfg;
	struct pt_http *h;
	char err[512];
	char kubeconfig[PATH_MAX];
	int ndone;
	int expect;
	bool timed_out;
	int watchdog;
};

/* ---- helpers ------------------------------------------------------------ */

static int group_setup(void **state)
{
	return api_server_start(&srv);
}

static int group_teardown(void **state)
{
	api_server_stop(&srv);
	return 0;
}

static void on_watchdog(void *ctx, int fd, uint32_t events)
{
	struct fx *f = ctx;

	pt_timer_ack(fd);
	f->timed_out = true;
	pt_loop_stop(f->loop);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(pt_loop_new(&f->loop), 0);
	f->watchdog = pt_timer_new();
	assert_true(f->watchdog >= 0);
	assert_int_equal(pt_loop_add(f->loop, f->watchdog, EPOLLIN, on_watchdog, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pt_http_free(f->h);
	pt_kube_config_free(&f->cfg);
	pt_loop_remove(f->loop, f->watchdog);
	close(f->watchdog);
	pt_loop_free(f->loop);
	if (f->kubeconfig[0])
		unlink(f->kubeconfig);
	free(f);
	return 0;
}

static void read_b64(const char *name, char *buf, size_t len)
{
	char p[PATH_MAX];
	FILE *fp;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s.b64", srv.dir, name);
	fp = fopen(p, "r");
	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/*
 * Write a kubeconfig whose cluster has @server (NULL: https://127.0.0.1:port)
 * plus @cluster_extra lines, and whose user has @user lines, and load it.
 */
static int load_config(struct fx *f, const char *server, const char *cluster_extra,
		       const char *user)
{
	char url[128];
	FILE *fp;

	if (!server) {
		snprintf(url, sizeof(url), "https://127.0.0.1:%d", srv.port);
		server = url;
	}
	static int seq;

	snprintf(f->kubeconfig, sizeof(f->kubeconfig), "%s/kubeconfig-%d", srv.dir, ++seq);
	fp = fopen(f->kubeconfig, "w");
	assert_non_null(fp);
	fprintf(fp,
		"apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		"clusters:\n- name: c\n  cluster:\n    server: %s\n%s"
		"users:\n- name: u\n  user:\n%s"
		"contexts:\n- name: t\n  context:\n    cluster: c\n    user: u\n",
		server, cluster_extra, user);
	assert_int_equal(fclose(fp), 0);
	return pt_kubeconfig_load(f->kubeconfig, NULL, &f->cfg, f->err, sizeof(f->err));
}

#define CA_LINE(f) "    certificate-authority: " f "\n"

/* The usual client: our CA by path, static token "tok-one". */
static void client_with(struct fx *f, const char *cluster_extra, const char *user,
			const struct pt_http_options *o)
{
	int ret = load_config(f, NULL, cluster_extra, user);

	if (ret)
		fail_msg("kubeconfig: %s", f->err);
	ret = pt_http_new(f->loop, &f->cfg, o, &f->h, f->err, sizeof(f->err));
	if (ret)
		fail_msg("pt_http_new: %s", f->err);
}

static void client(struct fx *f)
{
	char ca[256];

	snprintf(ca, sizeof(ca), "    certificate-authority: %s/ca.crt\n", srv.dir);
	client_with(f, ca, "    token: tok-one\n", NULL);
}

static void on_done(void *ctx, const struct pt_http_response *resp)
{
	struct res *r = ctx;
	struct fx *f = r->f;

	assert_false(r->done); /* exactly once */
	r->done = true;
	r->order = ++f->ndone;
	r->status = resp->status;
	r->terr = resp->transport_error;
	r->has_error = resp->error != NULL;
	if (resp->error)
		snprintf(r->error, sizeof(r->error), "%s", resp->error);
	assert_non_null(resp->body);
	assert_int_equal(resp->body[resp->body_len], '\0');
	r->body = strndup(resp->body, resp->body_len);
	r->body_len = resp->body_len;
	r->retry_after = resp->retry_after_s;
	r->total_s = resp->total_s;
	snprintf(r->url, sizeof(r->url), "%s", resp->url);
	if (r->then)
		r->then(r);
	if (f->ndone >= f->expect)
		pt_loop_stop(f->loop);
}

static int on_data(void *ctx, const char *buf, size_t len)
{
	struct res *r = ctx;

	assert_false(r->done);
	assert_true(r->stream_len + len < sizeof(r->stream));
	memcpy(r->stream + r->stream_len, buf, len);
	r->stream_len += len;
	r->stream[r->stream_len] = '\0';
	if (++r->chunks == 1 && r->on_first_chunk)
		r->on_first_chunk(r);
	return r->data_ret;
}

static void submit_full(struct fx *f, struct res *r, const char *method, const char *path,
			const char *ctype, const char *body, bool stream)
{
	struct pt_http_request req = {
		.method = method,
		.path = path,
		.content_type = ctype,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.timeout_ms = 10000,
		.on_data = stream ? on_data : NULL,
		.on_done = on_done,
		.ctx = r,
	};

	r->f = f;
	assert_int_equal(pt_http_submit(f->h, &req, &r->call), 0);
}

static void get(struct fx *f, struct res *r, const char *path)
{
	submit_full(f, r, "GET", path, NULL, NULL, false);
}

/* Run the loop until @expect calls are done (or the watchdog fires). */
static void run(struct fx *f, int expect)
{
	f->expect = expect;
	assert_int_equal(pt_timer_arm(f->watchdog, WATCHDOG_NS), 0);
	assert_int_equal(pt_loop_run(f->loop), 0);
	assert_false(f->timed_out);
}

static void res_free(struct res *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].body);
}

/* A string field of the echo server's JSON reply ("" for null). */
static void echo_field(const struct res *r, const char *key, char *buf, size_t len)
{
	struct json_object *o = json_tokener_parse(r->body), *v;

	if (!o)
		fail_msg("not JSON: %s", r->body);
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no %s in %s", key, r->body);
	snprintf(buf, len, "%s",
		 json_object_is_type(v, json_type_null) ? "" : json_object_get_string(v));
	json_object_put(o);
}

static void assert_echo(const struct res *r, const char *key, const char *want)
{
	char got[1024];

	echo_field(r, key, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("%s: got \"%s\", want \"%s\" (body %s)", key, got, want, r->body);
}

/* ---- scenarios ---------------------------------------------------------- */

static void test_get_with_ca_sends_token(void **state)
{
	struct fx *f = *state;
	struct res r[1] = { 0 };
	char url[128];

	client(f);
	get(f, &r[0], "/echo?fieldSelector=spec.nodeName%3Dn1&limit=500");
	assert_int_equal(pt_http_in_flight(f->h), 1);
	run(f, 1);
	assert_int_equal(r[0].terr, 0);
	assert_false(r[0].has_error);
	assert_int_equal(r[0].status, 200);
	assert_int_equal(r[0].retry_after, -1);
	assert_true(r[0].total_s > 0 && r[0].total_s < 5);
	snprintf(url, sizeof(url),
		 "https://127.0.0.1:%d/echo?fieldSelector=spec.nodeName%%3Dn1&limit=500", srv.port);
	assert_string_equal(r[0].url, url);
	assert_echo(&r[0], "method", "GET");
	assert_echo(&r[0], "path", "/echo?fieldSelector=spec.nodeName%3Dn1&limit=500");
	assert_echo(&r[0], "auth", "match:0");
	assert_echo(&r[0], "accept", "application/json");
	assert_echo(&r[0], "user_agent", PT_HTTP_USER_AGENT_DEFAULT);
	assert_echo(&r[0], "client_cert", "");
	assert_int_equal(pt_http_in_flight(f->h), 0);
	res_free(r, 1);
}

static void test_ca_and_client_cert_as_data(void **state)
{
	struct fx *f = *state;
	struct res r[1] = { 0 };
	static char ca[8192], crt[8192], key[8192], cluster[9000], user[17000];

	read_b64("ca.crt", ca, sizeof(ca));
	read_b64("client.crt", crt, sizeof(crt));
	read_b64("client.key", key, sizeof(key));
	snprintf(cluster, sizeof(cluster), "    certificate-authority-data: %s\n", ca);
	snprintf(user, sizeof(user), "    client-certificate-data: %s\n    client-key-data: %s\n",
		 crt, key);
	client_with(f, cluster, user, NULL);
	get(f, &r[0], "/echo");
	run(f, 1);
	assert_int_equal(r[0].terr, 0);
	assert_int_equal(r[0].status, 200);
	assert_echo(&r[0], "auth", "none");
	assert_echo(&r[0], "client_cert", "podtrail-client");
	res_free(r, 1);
}

static void test_client_cert_files_and_token(void **state)
{
	struct fx *f = *state;
	struct res r[1] = { 0 };
	char cluster[512], user[1024];

	snprintf(cluster, sizeof(cluster), "    certificate-authority: %s/ca.crt\n", srv.dir);
	snprintf(user, sizeof(user),
		 "    client-certificate: %s/client.crt\n    client-key: %s/client.key\n"
		 "    token: tok-two\n",
		 srv.dir, srv.dir);
	client_with(f, cluster, user, NULL);
	get(f, &r[0], "/echo");
	run(f, 1);
	assert_int_equal(r[0].status, 200);
	assert_echo(&r[0], "auth", "match:1");
	assert_echo(&r[0], "client_cert", "podtrail-client");
	res_free(r, 1);
}

static void test_wrong_ca_is_a_transport_error(void **state)
{
	struct fx *f = *state;
	struct res r[1] = { 0 };
	char cluster[512];

	snprintf(cluster, sizeof(cluster), "    certificate-authority: %s/other-ca.crt\n", srv.dir);
	client_with(f, cluster, "    token: tok-one\n", NULL);
	get(f, &r[0], "/echo");
	run(f, 1);
	assert_int_equal(r[0].status, 0);
	assert_int_equal(r[0].terr, CURLE_PEER_FAILED_VERIFICATION);
	assert_true(r[0].has_error);
	assert_non_null(strstr(r[0].error, "certificate"));
	assert_null(strstr(r[0].error, "tok-one"));
	assert_int_equal(r[0].body_len, 0);
	res_free(r, 1);
}

static void test_tls_server_name_is_verified(void **state)
{
	struct fx *f = *state;
	struct fx *f2 = calloc(1, sizeof(*f2));
	struct res good[1] = { 0 }, bad[1] = { 0 };
	struct pt_http_request req = {
		.method = "GET", .path = "/echo", .on_done = on_done, .ctx = &bad[0]
	};
	char cluster[512], host[64];

	/* The certificate names apiserver.podtrail.test and 127.0.0.1. */
	snprintf(cluster, sizeof(cluster),
		 "    certificate-authority: %s/ca.crt\n"
		 "    tls-server-name: apiserver.podtrail.test\n",
		 srv.dir);
	client_with(f, cluster, "    token: tok-one\n", NULL);
	/* A second client on the same loop, with a name the certificate lacks. */
	assert_non_null(f2);
	snprintf(cluster, sizeof(cluster),
		 "    certificate-authority: %s/ca.crt\n"
		 "    tls-server-name: wrong.podtrail.test\n",
		 srv.dir);
	assert_int_equal(load_config(f2, NULL, cluster, "    token: tok-one\n"), 0);
	assert_int_equal(pt_http_new(f->loop, &f2->cfg, NULL, &f2->h, f2->err, sizeof(f2->err)), 0);
	get(f, &good[0], "/echo");
	bad[0].f = f;
	assert_int_equal(pt_http_submit(f2->h, &req, NULL), 0);
	run(f, 2);
	assert_int_equal(good[0].terr, 0);
	assert_int_equal(good[0].status, 200);
	snprintf(host, sizeof(host), "127.0.0.1:%d", srv.port);
	assert_echo(&good[0], "host", host); /* Host stays the real server */
	assert_int_equal(bad[0].terr, CURLE_PEER_FAILED_VERIFICATION);
	assert_non_null(strstr(bad[0].error, "wrong.podtrail.test"));
	pt_http_free(f2->h);
	pt_kube_config_free(&f2->cfg);
	unlink(f2->kubeconfig);
	free(f2);
	res_free(good, 1);
	res_free(bad, 1);
}

static void test_server_path_prefix_is_kept(void **state)
{
	struct fx *f = *state;
	struct res r[1] = { 0 };
	char server[128], cluster[512], want[192];

	/* Rancher-style proxies put the API server under a path. */
	snprintf(server, sizeof(server), "https://127.0.0.1:%d/echo/k8s/clusters/c-1", srv.port);
	snprintf(cluster, sizeof(cluster),
		 "    certificate-authority: %s/ca.crt\n"
		 "    tls-server-name: apiserver.podtrail.test\n",
		 srv.dir);
	assert_int_equal(load_config(f, server, cluster, "    token: tok-one\n"), 0);
	assert_int_equal(pt_http_new(f->loop, &f->cfg, NULL, &f->h, f->err, sizeof(f->err)), 0);
	get(f, &r[0], "/api/v1/pods?limit=1");
	run(f, 1);
	assert_int_equal(r[0].status, 200);
	assert_echo(&r[0], "path", "/echo/k8s/clusters/c-1/api/v1/pods?limit=1");
	snprintf(want, sizeof(want), "%s/api/v1/pods?limit=1", server);
	assert_string_equal(r[0].url, want);
	res_free(r, 1);
}

static void test_insecure_needs_opt_in(void **state)
{
	struct fx *f = *state;
	struct pt_http_options o = { .allow_insecure = true };
	struct res r[1] = { 0 };
	struct pt_http *h = NULL;

	assert_int_equal(
	    load_config(f, NULL, "    insecure-skip-tls-verify: true\n", "    token: tok-one\n"),
	    0);
	assert_int_equal(pt_http_new(f->loop, &f->cfg, NULL, &h, f->err, sizeof(f->err)), -EPERM);
	assert_null(h);
	assert_non_null(strstr(f->err, "insecure-skip-tls-verify"));
	assert_int_equal(pt_http_new(f->loop, &f->cfg, &o, &f->h, f->err, sizeof(f->err)), 0);
	get(f, &r[0], "/echo");
	run(f, 1);
	assert_int_equal(r[0].terr, 0);
	assert_int_equal(r[0].status, 200);
	res_free(r, 1);
}

static void test_retry_after_is_parsed(void **state)
{
	struct fx *f = *state;
	struct res r[3] = { 0 };

	client(f);
	get(f, &r[0], "/status/429");
	get(f, &r[1], "/status/503"); /* HTTP-date 30 s ahead */
	get(f, &r[2], "/fast/1");
	run(f, 3);
	assert_int_equal(r[0].terr, 0);
	assert_false(r[0].has_error);
	assert_int_equal(r[0].status, 429);
	assert_int_equal(r[0].retry_after, 3);
	assert_non_null(strstr(r[0].body, "\"Status\""));
	assert_int_equal(r[1].status, 503);
	assert_true(r[1].retry_after >= 27 && r[1].retry_after <= 31);
	assert_int_equal(r[2].status, 200);
	assert_int_equal(r[2].retry_after, -1);
	res_free(r, 3);
}

static void test_bodies_and_content_types_arrive(void **state)
{
	struct fx *f = *state;
	struct res r[5] = { 0 };
	char *big = malloc(200001);
	char got[64];

	assert_non_null(big);
	memset(big, 'b', 200000);
	big[200000] = '\0';
	client(f);
	submit_full(f, &r[0], "POST", "/echo/events", "application/json", "{\"a\":1}", false);
	submit_full(f, &r[1], "PATCH", "/echo/events/e1", "application/strategic-merge-patch+json",
		    "{\"count\":2}", false);
	submit_full(f, &r[2], "PUT", "/echo/x", "application/json", "{}", false);
	submit_full(f, &r[3], "DELETE", "/echo/x", "application/json",
		    "{\"kind\":\"DeleteOptions\"}", false);
	submit_full(f, &r[4], "POST", "/echo/big", "text/plain", big, false);
	free(big); /* submit copied it */
	run(f, 5);
	assert_echo(&r[0], "method", "POST");
	assert_echo(&r[0], "body", "{\"a\":1}");
	assert_echo(&r[0], "content_type", "application/json");
	assert_echo(&r[0], "auth", "match:0");
	assert_echo(&r[1], "method", "PATCH");
	assert_echo(&r[1], "body", "{\"count\":2}");
	assert_echo(&r[1], "content_type", "application/strategic-merge-patch+json");
	assert_echo(&r[2], "method", "PUT");
	assert_echo(&r[2], "body", "{}");
	assert_echo(&r[3], "method", "DELETE");
	assert_echo(&r[3], "body", "{\"kind\":\"DeleteOptions\"}");
	assert_int_equal(r[4].status, 200);
	assert_true(r[4].total_s < 1.0); /* no 1 s Expect: 100-continue wait */
	echo_field(&r[4], "content_type", got, sizeof(got));
	assert_string_equal(got, "text/plain");
	assert_non_null(strstr(r[4].body, "bbbbbbbbbb"));
	res_free(r, 5);
}

static void release_stream(struct res *r)
{
	/* Submitted from inside on_data: the client defers it until curl returns. */
	get(r->f, (struct res *)r->arg, "/release/s1");
}

static void test_stream_delivers_chunks_before_the_end(void **state)
{
	struct fx *f = *state;
	struct res r[2] = { 0 };

	client(f);
	/* The server sends the second line only after /release/s1, which we send
	 * when the first line arrives: buffering until the end would deadlock. */
	r[0].on_first_chunk = release_stream;
	r[0].arg = &r[1];
	submit_full(f, &r[0], "GET", "/stream/s1", NULL, NULL, true);
	run(f, 2);
	assert_int_equal(r[0].terr, 0);
	assert_int_equal(r[0].status, 200);
	assert_true(r[0].chunks >= 2);
	assert_string_equal(r[0].stream,
			    "{\"type\":\"ADDED\",\"n\":1}\n{\"type\":\"ADDED\",\"n\":2}\n");
	assert_int_equal(r[0].body_len, 0); /* streamed, not buffered */
	assert_int_equal(r[1].status, 200);
	res_free(r, 2);
}

static void test_stream_error_status_is_buffered(void **state)
{
	struct fx *f = *state;
	struct res r[1] = { 0 };

	client(f);
	submit_full(f, &r[0], "GET", "/status/410", NULL, NULL, true);
	run(f, 1);
	assert_int_equal(r[0].terr, 0);
	assert_int_equal(r[0].status, 410);
	assert_int_equal(r[0].chunks, 0);
	assert_non_null(strstr(r[0].body, "\"code\": 410"));
	res_free(r, 1);
}

static void release_s2(struct res *r)
{
	get(r->f, (struct res *)r->arg, "/release/s2");
}

static void test_stream_stopped_by_on_data(void **state)
{
	struct fx *f = *state;
	struct res r[2] = { 0 };

	client(f);
	r[0].data_ret = -1;
	r[0].then = release_s2; /* let the server's thread go */
	r[0].arg = &r[1];
	submit_full(f, &r[0], "GET", "/stream/s2", NULL, NULL, true);
	run(f, 2);
	assert_int_equal(r[0].status, 200);
	assert_int_equal(r[0].terr, CURLE_ABORTED_BY_CALLBACK);
	assert_true(r[0].has_error);
	assert_int_equal(r[0].chunks, 1);
	assert_int_equal(r[1].status, 200);
	res_free(r, 2);
}

static void test_slow_request_does_not_delay_others(void **state)
{
	struct fx *f = *state;
	struct res r[9] = { 0 };
	char path[32];

	client(f);
	get(f, &r[0], "/slow"); /* server sleeps 2 s */
	for (int i = 1; i < 9; i++) {
		snprintf(path, sizeof(path), "/fast/%d", i);
		get(f, &r[i], path);
	}
	assert_int_equal(pt_http_in_flight(f->h), 9);
	run(f, 9);
	for (int i = 1; i < 9; i++) {
		assert_int_equal(r[i].status, 200);
		assert_true(r[i].order < r[0].order);
		assert_true(r[i].total_s < 1.5);
	}
	assert_int_equal(r[0].status, 200);
	assert_int_equal(r[0].order, 9);
	assert_true(r[0].total_s >= 1.9);
	res_free(r, 9);
}

static void test_refused_connection_fails_fast(void **state)
{
	struct fx *f = *state;
	struct res r[1] = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char server[64], cluster[512], want[128];
	int s = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was just free and nobody listens on. */
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	close(s);
	snprintf(server, sizeof(server), "https://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(cluster, sizeof(cluster), "    certificate-authority: %s/ca.crt\n", srv.dir);
	assert_int_equal(load_config(f, server, cluster, "    token: tok-one\n"), 0);
	assert_int_equal(pt_http_new(f->loop, &f->cfg, NULL, &f->h, f->err, sizeof(f->err)), 0);
	get(f, &r[0], "/api/v1/pods");
	run(f, 1);
	assert_int_equal(r[0].status, 0);
	assert_int_equal(r[0].terr, CURLE_COULDNT_CONNECT);
	assert_true(r[0].has_error);
	assert_true(r[0].total_s < 1.0);
	snprintf(want, sizeof(want), "%s/api/v1/pods", server);
	assert_string_equal(r[0].url, want);
	res_free(r, 1);
}

static void cancel_other(struct res *r)
{
	struct res *other = r->arg;

	pt_http_cancel(other->call);
	pt_http_cancel(r->call); /* own call, inside on_done: a no-op */
	assert_int_equal(pt_http_in_flight(r->f->h), 0);
	get(r->f, other + 2, "/fast/2");
	get(r->f, other + 4, "/release/s3"); /* let the server's thread go */
}

static void test_cancel(void **state)
{
	struct fx *f = *state;
	struct res r[5] = { 0 };

	client(f);
	get(f, &r[3], "/slow");
	pt_http_cancel(r[3].call); /* before the loop ever ran */
	assert_int_equal(pt_http_in_flight(f->h), 0);
	submit_full(f, &r[0], "GET", "/stream/s3", NULL, NULL, true);
	r[1].then = cancel_other; /* when /fast/1 is done, cancel the stream */
	r[1].arg = &r[0];
	get(f, &r[1], "/fast/1");
	run(f, 3); /* /fast/1 and the two calls it submits */
	assert_false(r[0].done);
	assert_false(r[3].done);
	assert_true(r[1].done);
	assert_int_equal(r[1].status, 200);
	assert_int_equal(r[2].status, 200);
	assert_int_equal(r[4].status, 200);
	assert_int_equal(pt_http_in_flight(f->h), 0);
	res_free(r, 5);
}

static void cancel_self(struct res *r)
{
	struct res *next = r->arg;

	pt_http_cancel(r->call);
	assert_int_equal(pt_http_in_flight(r->f->h), 0);
	get(r->f, next, "/release/s4");
}

static void test_cancel_from_own_on_data(void **state)
{
	struct fx *f = *state;
	struct res r[2] = { 0 };

	client(f);
	r[0].on_first_chunk = cancel_self;
	r[0].arg = &r[1];
	submit_full(f, &r[0], "GET", "/stream/s4", NULL, NULL, true);
	run(f, 1);
	assert_false(r[0].done);
	assert_int_equal(r[0].chunks, 1);
	assert_int_equal(r[1].status, 200);
	assert_int_equal(pt_http_in_flight(f->h), 0);
	res_free(r, 2);
}

static void test_timeouts(void **state)
{
	struct fx *f = *state;
	struct res r[2] = { 0 };
	struct pt_http_request slow = { .method = "GET",
					.path = "/slow",
					.timeout_ms = 300,
					.on_done = on_done,
					.ctx = &r[0] };
	struct pt_http_request stall = { .method = "GET",
					 .path = "/stall",
					 .low_speed_timeout_s = 1,
					 .on_data = on_data,
					 .on_done = on_done,
					 .ctx = &r[1] };

	client(f);
	r[0].f = r[1].f = f;
	assert_int_equal(pt_http_submit(f->h, &slow, NULL), 0);
	assert_int_equal(pt_http_submit(f->h, &stall, NULL), 0);
	run(f, 2);
	assert_int_equal(r[0].terr, CURLE_OPERATION_TIMEDOUT);
	assert_true(r[0].total_s < 1.0);
	assert_int_equal(r[1].terr, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(r[1].status, 200);
	assert_int_equal(r[1].chunks, 1);
	assert_true(r[1].total_s >= 0.9 && r[1].total_s < 3.5);
	res_free(r, 2);
}

static void test_body_bound(void **state)
{
	struct fx *f = *state;
	struct pt_http_options o = { .max_body_bytes = 1000 };
	struct res r[3] = { 0 };
	char cluster[512];

	snprintf(cluster, sizeof(cluster), "    certificate-authority: %s/ca.crt\n", srv.dir);
	client_with(f, cluster, "    token: tok-one\n", &o);
	get(f, &r[0], "/big/1000");
	get(f, &r[1], "/big/5000");	    /* refused from Content-Length */
	get(f, &r[2], "/big-chunked/5000"); /* refused while buffering */
	run(f, 3);
	assert_int_equal(r[0].terr, 0);
	assert_int_equal(r[0].body_len, 1000);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(r[i].terr, CURLE_FILESIZE_EXCEEDED);
		assert_non_null(strstr(r[i].error, "1000 bytes"));
	}
	res_free(r, 3);
}

static void rotate_and_resubmit(struct res *r)
{
	api_write(&srv, "token", "tok-two\n");
	get(r->f, (struct res *)r->arg, "/echo");
}

static void test_token_rotation_takes_effect(void **state)
{
	struct fx *f = *state;
	struct res r[2] = { 0 };
	char cluster[512], user[512];

	api_write(&srv, "token", "tok-one\n");
	snprintf(cluster, sizeof(cluster), "    certificate-authority: %s/ca.crt\n", srv.dir);
	snprintf(user, sizeof(user), "    tokenFile: %s/token\n", srv.dir);
	client_with(f, cluster, user, NULL);
	r[0].then = rotate_and_resubmit;
	r[0].arg = &r[1];
	get(f, &r[0], "/echo");
	run(f, 2);
	assert_echo(&r[0], "auth", "match:0");
	assert_echo(&r[1], "auth", "match:1");
	res_free(r, 2);
}

static void test_bad_requests_are_refused(void **state)
{
	struct fx *f = *state;
	struct res r = { 0 };
	struct pt_http_request req = {
		.method = "HEAD", .path = "/x", .on_done = on_done, .ctx = &r
	};

	client(f);
	assert_int_equal(pt_http_submit(f->h, &req, NULL), -EINVAL);
	req.method = "GET";
	req.path = "x";
	assert_int_equal(pt_http_submit(f->h, &req, NULL), -EINVAL);
	req.path = "/x";
	req.content_type = "a\r\nX-Evil: 1";
	assert_int_equal(pt_http_submit(f->h, &req, NULL), -EINVAL);
	req.content_type = NULL;
	req.on_done = NULL;
	assert_int_equal(pt_http_submit(f->h, &req, NULL), -EINVAL);
	assert_int_equal(pt_http_in_flight(f->h), 0);
}

static void test_free_with_calls_in_flight(void **state)
{
	struct fx *f = *state;
	struct res r[2] = { 0 };

	client(f);
	get(f, &r[0], "/slow");
	get(f, &r[1], "/echo");
	assert_int_equal(pt_http_in_flight(f->h), 2);
	pt_http_free(f->h); /* no callback, no leak */
	f->h = NULL;
	assert_false(r[0].done);
	assert_false(r[1].done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_with_ca_sends_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_and_client_cert_as_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_cert_files_and_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_ca_is_a_transport_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tls_server_name_is_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_path_prefix_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insecure_needs_opt_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_is_parsed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bodies_and_content_types_arrive, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stream_delivers_chunks_before_the_end, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stream_error_status_is_buffered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stream_stopped_by_on_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_request_does_not_delay_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_connection_fails_fast, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_own_on_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_rotation_takes_effect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_calls_in_flight, setup, teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int ret = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return ret;
}
