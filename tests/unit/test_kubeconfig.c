// SPDX-License-Identifier: GPL-2.0
/* kubeconfig and in-cluster loading, against real files in a temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "k8s/kubeconfig.h"

#define CA_PEM "-----BEGIN CERTIFICATE-----\nMIIBfake-ca\n-----END CERTIFICATE-----\n"
/* base64 of CA_PEM */
#define CA_B64                                                                                     \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlLWNhCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define KEY_PEM "-----BEGIN EC PRIVATE KEY-----\nfake\n-----END EC PRIVATE KEY-----\n"

struct fx {
	char dir[64]; /* mkdtemp template below */
	char path[PATH_MAX];
	char err[512];
	struct pt_kube_config cfg;
};

static void write_file(struct fx *f, const char *rel, const char *content)
{
	char p[PATH_MAX * 2];
	char *slash;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	/* Create parent directories. */
	for (slash = strchr(p + strlen(f->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(p, 0700);
		*slash = '/';
	}
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
}

static const char *at(struct fx *f, const char *rel)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, rel);
	return f->path;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/pt-kubeconfig-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pt_kube_config_free(&f->cfg);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int load(struct fx *f, const char *rel, const char *context)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	return pt_kubeconfig_load(p, context, &f->cfg, f->err, sizeof(f->err));
}

static void assert_token(struct pt_kube_config *cfg, uint64_t now, const char *want)
{
	char tok[256];

	assert_int_equal(pt_kube_config_token_at(cfg, now, tok, sizeof(tok)), 0);
	assert_string_equal(tok, want);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Two contexts; files referenced relative to the kubeconfig's directory. */
static const char *const two_contexts = "apiVersion: v1\n"
					"kind: Config\n"
					"current-context: dev\n"
					"clusters:\n"
					"- name: dev-cluster\n"
					"  cluster:\n"
					"    server: https://dev.example:6443/\n"
					"    certificate-authority: certs/ca.crt\n"
					"    tls-server-name: kubernetes.default\n"
					"- name: prod-cluster\n"
					"  cluster:\n"
					"    server: https://prod.example:443\n"
					"    certificate-authority-data: " CA_B64 "\n"
					"contexts:\n"
					"- name: dev\n"
					"  context:\n"
					"    cluster: dev-cluster\n"
					"    user: dev-user\n"
					"    namespace: team-a\n"
					"- name: prod\n"
					"  context:\n"
					"    cluster: prod-cluster\n"
					"    user: prod-user\n"
					"users:\n"
					"- name: dev-user\n"
					"  user:\n"
					"    client-certificate: certs/client.crt\n"
					"    client-key: /ABS/certs/client.key\n"
					"- name: prod-user\n"
					"  user:\n"
					"    token: \"  s3cr3t-token \"\n";

static void write_two_contexts(struct fx *f)
{
	char text[4096], *p;
	const char *abs = "/ABS";

	/* Make the "absolute" client-key path point into the temp dir. */
	p = strstr(two_contexts, abs);
	snprintf(text, sizeof(text), "%.*s%s/sub%s", (int)(p - two_contexts), two_contexts, f->dir,
		 p + strlen(abs));
	write_file(f, "sub/config", text);
	write_file(f, "sub/certs/ca.crt", CA_PEM);
	write_file(f, "sub/certs/client.crt", CA_PEM);
	write_file(f, "sub/certs/client.key", KEY_PEM);
}

static void test_current_context_relative_paths(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX];

	write_two_contexts(f);
	assert_int_equal(load(f, "sub/config", NULL), 0);
	assert_string_equal(f->cfg.server, "https://dev.example:6443");
	assert_string_equal(f->cfg.tls_server_name, "kubernetes.default");
	assert_string_equal(f->cfg.namespace, "team-a");
	assert_false(f->cfg.insecure_skip_tls_verify);
	snprintf(want, sizeof(want), "%s/sub/certs/ca.crt", f->dir);
	assert_string_equal(f->cfg.ca.path, want);
	assert_null(f->cfg.ca.data);
	snprintf(want, sizeof(want), "%s/sub/certs/client.crt", f->dir);
	assert_string_equal(f->cfg.client_cert.path, want);
	snprintf(want, sizeof(want), "%s/sub/certs/client.key", f->dir);
	assert_string_equal(f->cfg.client_key.path, want);
	assert_false(pt_kube_config_has_token(&f->cfg));
	{
		char tok[64];

		assert_int_equal(pt_kube_config_token(&f->cfg, tok, sizeof(tok)), -ENODATA);
	}
	assert_non_null(strstr(f->cfg.origin, "context \"dev\""));
}

static void test_relative_kubeconfig_path_uses_cwd(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX], old[PATH_MAX];

	write_two_contexts(f);
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(pt_kubeconfig_load("sub/config", NULL, &f->cfg, f->err, sizeof(f->err)),
			 0);
	assert_int_equal(chdir(old), 0);
	snprintf(want, sizeof(want), "%s/sub/certs/ca.crt", f->dir);
	assert_string_equal(f->cfg.ca.path, want);
}

static void test_context_override_data_and_token(void **state)
{
	struct fx *f = *state;
	char small[4];

	write_two_contexts(f);
	assert_int_equal(load(f, "sub/config", "prod"), 0);
	assert_string_equal(f->cfg.server, "https://prod.example:443");
	assert_null(f->cfg.ca.path);
	assert_non_null(f->cfg.ca.data);
	assert_int_equal(f->cfg.ca.len, strlen(CA_PEM));
	assert_memory_equal(f->cfg.ca.data, CA_PEM, strlen(CA_PEM));
	assert_null(f->cfg.namespace);
	assert_null(f->cfg.client_cert.path);
	assert_null(f->cfg.client_cert.data);
	assert_true(pt_kube_config_has_token(&f->cfg));
	/* Trimmed like client-go's TrimSpace. */
	assert_token(&f->cfg, now_ms(), "s3cr3t-token");
	assert_int_equal(pt_kube_config_token(&f->cfg, small, sizeof(small)), -ENOBUFS);
}

static void test_missing_context(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX + 64];

	write_two_contexts(f);
	assert_int_equal(load(f, "sub/config", "foo"), -ENOENT);
	snprintf(want, sizeof(want), "kubeconfig %s/sub/config: context \"foo\" not found", f->dir);
	assert_string_equal(f->err, want);
}

static void test_no_current_context(void **state)
{
	struct fx *f = *state;

	write_file(f, "config",
		   "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {}\n");
	assert_int_equal(load(f, "config", NULL), -ENOENT);
	assert_non_null(strstr(f->err, "no current-context"));
	pt_kube_config_free(&f->cfg);
	/* Anonymous user, bare host:port: https is assumed. */
	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: 10.0.0.1:6443\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {}\n");
	assert_int_equal(load(f, "config", NULL), 0);
	assert_string_equal(f->cfg.server, "https://10.0.0.1:6443");
}

static void test_missing_cluster_and_user(void **state)
{
	struct fx *f = *state;

	write_file(f, "config",
		   "current-context: a\n"
		   "contexts:\n- name: a\n  context: {cluster: nope, user: u}\n"
		   "users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(load(f, "config", NULL), -ENOENT);
	assert_non_null(strstr(f->err, "cluster \"nope\" (of context \"a\") not found"));

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: ghost}\n");
	assert_int_equal(load(f, "config", NULL), -ENOENT);
	assert_non_null(strstr(f->err, "user \"ghost\" (of context \"a\") not found"));

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: false\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "cluster \"c\" has no server"));
}

static void write_user(struct fx *f, const char *user_yaml)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "current-context: a\n"
		 "clusters:\n- name: c\n  cluster:\n    server: https://x:6443\n"
		 "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		 "users:\n- name: u\n  user:\n%s",
		 user_yaml);
	write_file(f, "config", text);
}

static void test_exec_auth_is_refused(void **state)
{
	struct fx *f = *state;

	write_user(f, "    exec:\n"
		      "      apiVersion: client.authentication.k8s.io/v1beta1\n"
		      "      command: aws\n"
		      "      args: [eks, get-token]\n");
	assert_int_equal(load(f, "config", NULL), -EOPNOTSUPP);
	assert_non_null(strstr(f->err, "exec credential plugin \"aws\""));
	assert_non_null(strstr(f->err, f->dir));
}

static void test_other_unsupported_auth(void **state)
{
	struct fx *f = *state;

	write_user(f, "    auth-provider:\n      name: oidc\n      config: {}\n");
	assert_int_equal(load(f, "config", NULL), -EOPNOTSUPP);
	assert_non_null(strstr(f->err, "auth-provider \"oidc\""));

	write_user(f, "    username: admin\n    password: hunter2\n");
	assert_int_equal(load(f, "config", NULL), -EOPNOTSUPP);
	assert_non_null(strstr(f->err, "username/password"));
	assert_null(strstr(f->err, "hunter2"));

	/* Empty impersonation fields, as some tools write them, are fine. */
	write_user(f, "    token: t\n    as: \"\"\n    as-groups: []\n    as-user-extra: {}\n");
	assert_int_equal(load(f, "config", NULL), 0);
	pt_kube_config_free(&f->cfg);

	write_user(f, "    token: t\n    as: system:admin\n");
	assert_int_equal(load(f, "config", NULL), -EOPNOTSUPP);
	assert_non_null(strstr(f->err, "impersonation"));
}

static void test_json_kubeconfig(void **state)
{
	struct fx *f = *state;

	write_file(
	    f, "config.json",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"current-context\":\"j\","
	    "\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https://[fd00::1]:6443\","
	    "\"certificate-authority-data\":\"" CA_B64 "\","
	    "\"insecure-skip-tls-verify\":false}}],\n"
	    "\t\"contexts\":[{\"name\":\"j\",\"context\":{\"cluster\":\"c\",\"user\":\"u\","
	    "\"namespace\":null}}],"
	    "\"users\":[{\"name\":\"u\",\"user\":{\"client-certificate-data\":\"" CA_B64 "\","
	    "\"client-key-data\":\"" CA_B64 "\"}}]}\n");
	assert_int_equal(load(f, "config.json", NULL), 0);
	assert_string_equal(f->cfg.server, "https://[fd00::1]:6443");
	assert_memory_equal(f->cfg.client_cert.data, CA_PEM, strlen(CA_PEM));
	assert_int_equal(f->cfg.client_key.len, strlen(CA_PEM));
	assert_null(f->cfg.namespace);
}

static void test_data_and_file_both_set(void **state)
{
	struct fx *f = *state;

	write_file(f, "ca.crt", CA_PEM);
	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		   "    certificate-authority: ca.crt\n"
		   "    certificate-authority-data: " CA_B64 "\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(
	    strstr(f->err, "both certificate-authority and certificate-authority-data"));
}

static void test_bad_certificate_data(void **state)
{
	struct fx *f = *state;

	write_user(f, "    client-certificate-data: '%%%not base64'\n"
		      "    client-key-data: " CA_B64 "\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "client-certificate-data is not valid base64"));

	/* base64 of "hello", not PEM */
	write_user(f, "    client-certificate-data: aGVsbG8=\n"
		      "    client-key-data: " CA_B64 "\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "does not decode to PEM"));

	write_user(f, "    client-certificate-data: " CA_B64 "\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "client key"));
}

static void test_missing_referenced_file(void **state)
{
	struct fx *f = *state;

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		   "    certificate-authority: nowhere/ca.crt\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {}\n");
	assert_int_equal(load(f, "config", NULL), -ENOENT);
	assert_non_null(strstr(f->err, "nowhere/ca.crt"));
	assert_non_null(strstr(f->err, "No such file"));

	write_user(f, "    tokenFile: missing-token\n");
	assert_int_equal(load(f, "config", NULL), -ENOENT);
	assert_non_null(strstr(f->err, "tokenFile"));
	assert_non_null(strstr(f->err, "missing-token"));
}

static void test_missing_kubeconfig_and_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "absent", NULL), -ENOENT);
	assert_non_null(strstr(f->err, "absent"));

	write_file(f, "config", "current-context: a\nclusters: [\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "line "));

	write_file(f, "config", "current-context: a\n---\ncurrent-context: b\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "more than one YAML document"));

	write_file(f, "config", "");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "empty"));

	write_file(f, "config", "- a\n- b\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "not a mapping"));
}

static void test_insecure_recorded_and_conflicts(void **state)
{
	struct fx *f = *state;

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: https://x/\n"
		   "    insecure-skip-tls-verify: true\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(load(f, "config", NULL), 0);
	assert_true(f->cfg.insecure_skip_tls_verify);
	assert_string_equal(f->cfg.server, "https://x");
	pt_kube_config_free(&f->cfg);

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		   "    insecure-skip-tls-verify: true\n"
		   "    certificate-authority-data: " CA_B64 "\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "insecure-skip-tls-verify"));

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		   "    insecure-skip-tls-verify: maybe\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "not a boolean"));

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster:\n    server: ftp://x\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "not an http(s) URL"));
}

static void test_duplicate_names_and_wrong_types(void **state)
{
	struct fx *f = *state;

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster: {server: https://x}\n"
		   "- name: c\n  cluster: {server: https://y}\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "more than one entry in clusters named \"c\""));

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters:\n- name: c\n  cluster: {server: [https://x]}\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user: {}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "server is not a string"));

	write_file(f, "config",
		   "current-context: a\n"
		   "clusters: {c: {server: https://x}}\n"
		   "contexts:\n- name: a\n  context: {cluster: c, user: u}\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "clusters is not a list"));
}

static void test_token_with_newline_inside_is_refused(void **state)
{
	struct fx *f = *state;

	write_user(f, "    token: \"abc\\r\\nX-Evil: 1\"\n");
	assert_int_equal(load(f, "config", NULL), -EINVAL);
	assert_non_null(strstr(f->err, "control characters"));
	assert_null(strstr(f->err, "abc"));
}

static void test_token_file_wins_over_static_token(void **state)
{
	struct fx *f = *state;

	write_file(f, "tok", "from-file\n");
	write_user(f, "    token: static\n    tokenFile: tok\n");
	assert_int_equal(load(f, "config", NULL), 0);
	assert_token(&f->cfg, now_ms(), "from-file");
	assert_non_null(f->cfg.token.file);
	assert_string_equal(f->cfg.token.file, at(f, "tok"));
}

/* ---- in-cluster --------------------------------------------------------- */

static void write_sa(struct fx *f, const char *token)
{
	write_file(f, "sa/token", token);
	write_file(f, "sa/ca.crt", CA_PEM);
	write_file(f, "sa/namespace", "podtrail-system");
}

static int in_cluster(struct fx *f)
{
	char sa[PATH_MAX];

	snprintf(sa, sizeof(sa), "%s/sa", f->dir);
	return pt_kubeconfig_in_cluster(sa, &f->cfg, f->err, sizeof(f->err));
}

static void test_in_cluster(void **state)
{
	struct fx *f = *state;

	write_sa(f, "jwt-1\n");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(in_cluster(f), 0);
	assert_string_equal(f->cfg.server, "https://10.96.0.1:443");
	assert_string_equal(f->cfg.ca.path, at(f, "sa/ca.crt"));
	assert_string_equal(f->cfg.token.file, at(f, "sa/token"));
	assert_string_equal(f->cfg.namespace, "podtrail-system");
	assert_false(f->cfg.insecure_skip_tls_verify);
	assert_token(&f->cfg, now_ms(), "jwt-1");
}

static void test_in_cluster_ipv6(void **state)
{
	struct fx *f = *state;

	write_sa(f, "jwt-1");
	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	assert_int_equal(in_cluster(f), 0);
	assert_string_equal(f->cfg.server, "https://[fd00:10:96::1]:6443");
}

static void test_in_cluster_errors(void **state)
{
	struct fx *f = *state;

	unsetenv("KUBERNETES_SERVICE_HOST");
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(in_cluster(f), -ENOENT);
	assert_non_null(strstr(f->err, "KUBERNETES_SERVICE_HOST"));

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "https", 1);
	assert_int_equal(in_cluster(f), -EINVAL);

	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(in_cluster(f), -ENOENT);
	assert_non_null(strstr(f->err, "sa/token"));

	write_file(f, "sa/token", "   \n");
	assert_int_equal(in_cluster(f), -ENODATA);

	write_file(f, "sa/token", "jwt");
	assert_int_equal(in_cluster(f), -ENOENT);
	assert_non_null(strstr(f->err, "sa/ca.crt"));

	/* No namespace file: fine, it is only a hint. */
	write_file(f, "sa/ca.crt", CA_PEM);
	assert_int_equal(in_cluster(f), 0);
	assert_null(f->cfg.namespace);
}

/* The kubelet swaps the projected token in with a rename: a new inode. */
static void rotate(struct fx *f, const char *token)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/sa/..token.new", f->dir);
	write_file(f, "sa/..token.new", token);
	assert_int_equal(rename(tmp, at(f, "sa/token")), 0);
}

static void test_token_rotation_reread(void **state)
{
	struct fx *f = *state;
	struct timespec keep[2];
	struct stat st;
	uint64_t t0;

	write_sa(f, "jwt-aaaa");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(in_cluster(f), 0);
	t0 = now_ms();
	assert_token(&f->cfg, t0, "jwt-aaaa");

	/* Replaced file: picked up at once. */
	rotate(f, "jwt-bbbb");
	assert_token(&f->cfg, t0 + 1, "jwt-bbbb");

	/*
	 * Rewritten in place with the same size and mtime: undetectable by
	 * stat, so it is only picked up by the periodic re-read.
	 */
	assert_int_equal(stat(at(f, "sa/token"), &st), 0);
	keep[0] = st.st_atim;
	keep[1] = st.st_mtim;
	write_file(f, "sa/token", "jwt-cccc");
	assert_int_equal(utimensat(AT_FDCWD, at(f, "sa/token"), keep, 0), 0);
	assert_token(&f->cfg, t0 + 2, "jwt-bbbb");
	assert_token(&f->cfg, t0 + 30 * 1000, "jwt-bbbb");
	assert_token(&f->cfg, t0 + 1 + PT_TOKEN_REREAD_MS, "jwt-cccc");

	/* File gone: keep the last good token, as client-go does. */
	assert_int_equal(unlink(at(f, "sa/token")), 0);
	assert_token(&f->cfg, t0 + 3 * PT_TOKEN_REREAD_MS, "jwt-cccc");

	/* Back again: read at once, since stat now differs. */
	rotate(f, "jwt-dddd");
	assert_token(&f->cfg, t0 + 3 * PT_TOKEN_REREAD_MS + 1, "jwt-dddd");
}

static void test_free_zeroed_is_safe(void **state)
{
	struct pt_kube_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	pt_kube_config_free(&cfg);
	pt_kube_config_free(NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_current_context_relative_paths),
		T(test_relative_kubeconfig_path_uses_cwd),
		T(test_context_override_data_and_token),
		T(test_missing_context),
		T(test_no_current_context),
		T(test_missing_cluster_and_user),
		T(test_exec_auth_is_refused),
		T(test_other_unsupported_auth),
		T(test_json_kubeconfig),
		T(test_data_and_file_both_set),
		T(test_bad_certificate_data),
		T(test_missing_referenced_file),
		T(test_missing_kubeconfig_and_syntax_error),
		T(test_insecure_recorded_and_conflicts),
		T(test_duplicate_names_and_wrong_types),
		T(test_token_with_newline_inside_is_refused),
		T(test_token_file_wins_over_static_token),
		T(test_in_cluster),
		T(test_in_cluster_ipv6),
		T(test_in_cluster_errors),
		T(test_token_rotation_reread),
		cmocka_unit_test(test_free_zeroed_is_safe),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
