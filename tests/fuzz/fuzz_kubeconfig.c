// SPDX-License-Identifier: GPL-2.0
/*
 * kubeconfig files of any content, loaded through pt_kubeconfig_load() as
 * the agent loads them (a file path), for the current context and for a
 * context named "fuzz"; and the same bytes as an in-cluster service account
 * (line 1 KUBERNETES_SERVICE_HOST, line 2 KUBERNETES_SERVICE_PORT, line 3
 * the token file, the rest the namespace file).
 *
 * Everything lives in a private temporary directory that holds a CA, a
 * client certificate and key and a token, so that relative references
 * ("ca.crt", "token") resolve. The loader's calls to open() are redirected
 * to fuzz_confined_open() (fuzz.mk renames the symbol in kubeconfig.o with
 * objcopy): it may open only files in that directory, so that no input can
 * make it open a FIFO or a device of the machine running the fuzzer;
 * anything else is ENOENT, as if it did not exist.
 *
 * Invariants: a load returns 0 or a negative errno; a failure says why,
 * naming the file, and holds nothing (LeakSanitizer checks); a success has
 * an http(s) server without a trailing '/', absolute file paths, data or
 * path never both, a client certificate only with a key, and a token (when
 * configured) that reads back without control characters, and again when
 * the file is due for a re-read, even if it has been emptied meanwhile.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include "k8s/kubeconfig.h"
#include "fuzz_util.h"

int fuzz_confined_open(const char *path, int flags, ...);

static char dir[64];
static size_t dir_len;
static char config_path[128];
static char sa_dir[128];
static char in_cluster_token[192];

int fuzz_confined_open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (strncmp(path, dir, dir_len) || path[dir_len] != '/' || strstr(path, "/..")) {
		errno = ENOENT;
		return -1;
	}
	return open(path, flags | O_NONBLOCK, mode);
}

static const char pem[] = "-----BEGIN CERTIFICATE-----\n"
			  "MIIBszCCAVmgAwIBAgIUZmFrZSBjZXJ0aWZpY2F0ZSBmb3IgZnV6emluZzAKBggq\n"
			  "-----END CERTIFICATE-----\n";
static const char key[] = "-----BEGIN EC PRIVATE KEY-----\n"
			  "MHcCAQEEIGZha2Uga2V5IGZvciBmdXp6aW5nIG9ubHkgLSBub3QgcmVhbAo=\n"
			  "-----END EC PRIVATE KEY-----\n";

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
		perror(path);
		abort();
	}
	close(fd);
}

static void put(const char *name, const char *text)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, text, strlen(text));
}

/* Removes a working directory of this harness: only the files it makes. */
static void remove_dir(const char *d)
{
	static const char *const names[] = {
		"config",   "ca.crt",	 "client.crt",	 "client.key", "token",	     "empty-token",
		"sa/token", "sa/ca.crt", "sa/namespace", "sa",	       "pki/ca.crt", "pki",
	};
	char path[192];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d, names[i]);
		if (unlink(path) < 0)
			rmdir(path);
	}
	rmdir(d);
}

static void cleanup(void)
{
	remove_dir(dir);
}

#define DIR_PREFIX "podtrail-fuzz-kc."

/* A crash exits without atexit(): sweep the directories of dead runs. */
static void sweep(const char *base)
{
	DIR *dp = opendir(base);
	struct dirent *de;
	char path[192];

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, DIR_PREFIX, strlen(DIR_PREFIX)))
			continue;
		pid = strtol(de->d_name + strlen(DIR_PREFIX), &end, 10);
		if (*end || pid <= 0)
			continue;
		/* Still running (ours or not): leave it. Our own pid: a stale leftover. */
		if (pid != getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
		remove_dir(path);
	}
	closedir(dp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char path[192];

	sweep(base);
	snprintf(dir, sizeof(dir), "%s/" DIR_PREFIX "%ld", base, (long)getpid());
	if (mkdir(dir, 0700) < 0) {
		perror(dir);
		abort();
	}
	dir_len = strlen(dir);
	atexit(cleanup);
	snprintf(config_path, sizeof(config_path), "%s/config", dir);
	snprintf(sa_dir, sizeof(sa_dir), "%s/sa", dir);
	snprintf(in_cluster_token, sizeof(in_cluster_token), "%s/token", sa_dir);
	snprintf(path, sizeof(path), "%s/pki", dir);
	if (mkdir(sa_dir, 0700) < 0 || mkdir(path, 0700) < 0) {
		perror(sa_dir);
		abort();
	}
	put("ca.crt", pem);
	put("pki/ca.crt", pem);
	put("client.crt", pem);
	put("client.key", key);
	put("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmdXp6In0.c2ln\n");
	put("empty-token", "\n");
	put("sa/ca.crt", pem);
	return 0;
}

static void check_pem(const char *what, const struct pt_kube_pem *p)
{
	FUZZ_ASSERT(!(p->path && p->data), "%s: both a path and data", what);
	if (p->path)
		FUZZ_ASSERT(p->path[0] == '/', "%s: relative path \"%s\"", what, p->path);
	if (p->data) {
		FUZZ_ASSERT(p->data[p->len] == '\0', "%s: data not terminated", what);
		FUZZ_ASSERT(memmem(p->data, p->len, "-----BEGIN ", 11), "%s: not PEM", what);
	} else {
		FUZZ_ASSERT(!p->len, "%s: length without data", what);
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A token file is re-read when due; if it has become unreadable or empty,
 * the last good token stays (client-go's behaviour).
 */
static void check_reread(const char *what, struct pt_kube_config *cfg, const char *first)
{
	char token[PT_TOKEN_MAX + 1];
	uint64_t later = mono_ms() + PT_TOKEN_REREAD_MS + 1;
	char *saved = strdup(first);
	int ret;

	if (!saved)
		abort();
	ret = pt_kube_config_token_at(cfg, later, token, sizeof(token));
	FUZZ_ASSERT(ret == 0 && !strcmp(token, saved), "%s: re-read token differs (%d)", what, ret);
	if (!strcmp(cfg->token.file, in_cluster_token)) {
		write_file(in_cluster_token, "\n", 1);
		ret = pt_kube_config_token_at(cfg, later + PT_TOKEN_REREAD_MS + 1, token,
					      sizeof(token));
		FUZZ_ASSERT(ret == 0 && !strcmp(token, saved),
			    "%s: an emptied token file lost the last good token (%d)", what, ret);
	}
	free(saved);
}

static void check_loaded(const char *what, struct pt_kube_config *cfg)
{
	char token[PT_TOKEN_MAX + 1];
	size_t len;
	int ret;

	FUZZ_ASSERT(cfg->server, "%s: no server", what);
	len = strlen(cfg->server);
	FUZZ_ASSERT(!strncmp(cfg->server, "https://", 8) || !strncmp(cfg->server, "http://", 7),
		    "%s: server \"%s\"", what, cfg->server);
	FUZZ_ASSERT(len > 8 && cfg->server[len - 1] != '/', "%s: server \"%s\"", what, cfg->server);
	FUZZ_ASSERT(cfg->origin && cfg->origin[0], "%s: no origin", what);
	check_pem("ca", &cfg->ca);
	check_pem("client certificate", &cfg->client_cert);
	check_pem("client key", &cfg->client_key);
	FUZZ_ASSERT(!(cfg->client_cert.path || cfg->client_cert.data) ==
			!(cfg->client_key.path || cfg->client_key.data),
		    "%s: certificate without key", what);
	FUZZ_ASSERT(!(cfg->insecure_skip_tls_verify && (cfg->ca.path || cfg->ca.data)),
		    "%s: insecure with a CA", what);
	if (cfg->token.file)
		FUZZ_ASSERT(cfg->token.file[0] == '/', "%s: token file \"%s\"", what,
			    cfg->token.file);

	ret = pt_kube_config_token(cfg, token, sizeof(token));
	if (!pt_kube_config_has_token(cfg)) {
		FUZZ_ASSERT(ret == -ENODATA, "%s: token without one: %d", what, ret);
		return;
	}
	FUZZ_ASSERT(ret == 0, "%s: token: %d", what, ret);
	FUZZ_ASSERT(token[0], "%s: empty token", what);
	for (const char *c = token; *c; c++)
		FUZZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f, "%s: control byte in token",
			    what);
	FUZZ_ASSERT(pt_kube_config_token(cfg, token, 1) == -ENOBUFS, "%s: token fits in 1 byte",
		    what);
	if (cfg->token.file)
		check_reread(what, cfg, token);
}

static void check_failed(const char *what, int ret, struct pt_kube_config *cfg, const char *err,
			 const char *name)
{
	static const struct pt_kube_config zero;

	FUZZ_ASSERT(ret < 0 && ret > -4096, "%s: ret %d", what, ret);
	FUZZ_ASSERT(err[0], "%s: failed (%d) without a message", what, ret);
	FUZZ_ASSERT(strstr(err, name), "%s: message \"%s\" does not name %s", what, err, name);
	FUZZ_ASSERT(!memcmp(cfg, &zero, sizeof(zero)), "%s: a failed load left the config set",
		    what);
}

static void load(const char *context)
{
	struct pt_kube_config cfg;
	char err[1024];
	int ret;

	ret = pt_kubeconfig_load(config_path, context, &cfg, err, sizeof(err));
	FUZZ_ASSERT(fuzz_terminated(err, sizeof(err)), "message not terminated");
	if (ret) {
		check_failed("kubeconfig", ret, &cfg, err, config_path);
		return;
	}
	check_loaded("kubeconfig", &cfg);
	pt_kube_config_free(&cfg);
}

/* Line @n of @s (no NUL inside), into @buf. */
static void nth_line(const char *s, size_t len, int n, char *buf, size_t size, size_t *end)
{
	size_t i = 0, start;

	for (int line = 0; line < n && i < len; i++) {
		if (s[i] == '\n')
			line++;
	}
	start = i;
	while (i < len && s[i] != '\n')
		i++;
	snprintf(buf, size, "%.*s", (int)(i - start), s + start);
	*end = i < len ? i + 1 : i;
}

static void in_cluster(const uint8_t *data, size_t size)
{
	char host[256], port[64], path[192];
	struct pt_kube_config cfg;
	size_t end, tok_start;
	char err[1024];
	int ret;

	nth_line((const char *)data, size, 0, host, sizeof(host), &end);
	nth_line((const char *)data, size, 1, port, sizeof(port), &end);
	/* Environment strings end at a NUL; so do these. */
	setenv("KUBERNETES_SERVICE_HOST", host, 1);
	setenv("KUBERNETES_SERVICE_PORT", port, 1);
	/* Line 3 is the token, the rest the namespace file (absent if empty). */
	tok_start = end;
	while (end < size && data[end] != '\n')
		end++;
	write_file(in_cluster_token, data + tok_start, end - tok_start);
	if (end < size)
		end++;
	snprintf(path, sizeof(path), "%s/namespace", sa_dir);
	if (end < size)
		write_file(path, data + end, size - end);
	else
		unlink(path);

	ret = pt_kubeconfig_in_cluster(sa_dir, &cfg, err, sizeof(err));
	FUZZ_ASSERT(fuzz_terminated(err, sizeof(err)), "message not terminated");
	if (ret) {
		check_failed("in-cluster", ret, &cfg, err, "in-cluster");
		return;
	}
	FUZZ_ASSERT(cfg.token.file && cfg.ca.path, "in-cluster without token file or CA");
	FUZZ_ASSERT(!strncmp(cfg.server, "https://", 8) && strstr(cfg.server, port),
		    "in-cluster server \"%s\"", cfg.server);
	/* Trimmed like client-go's TrimSpace; like client-go, nothing else is checked. */
	if (cfg.namespace) {
		size_t n = strlen(cfg.namespace);

		FUZZ_ASSERT(n && n <= 4096 && !isspace((unsigned char)cfg.namespace[0]) &&
				!isspace((unsigned char)cfg.namespace[n - 1]),
			    "namespace \"%s\"", cfg.namespace);
	}
	check_loaded("in-cluster", &cfg);
	pt_kube_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	write_file(config_path, data, size);
	/* A kubeconfig may name the service account's token too: same start every time. */
	put("sa/token", "c2EtdG9rZW4K\n");
	load(NULL);
	load("fuzz");
	in_cluster(data, size);
	return 0;
}
