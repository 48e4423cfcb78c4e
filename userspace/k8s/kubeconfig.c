// SPDX-License-Identifier: GPL-2.0
/*
 * kubeconfig and in-cluster configuration. The YAML is loaded with libyaml's
 * document API and walked by hand: only the one context in use is resolved,
 * following client-go's rules (relative paths against the file's directory,
 * data and file never both, the token file's value winning over a static
 * token).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "errmsg.h"
#include "k8s/kubeconfig.h"

/* A kubeconfig with embedded certificates is a few KiB; bound the read. */
#define KUBECONFIG_MAX (16u << 20)
#define NAMESPACE_MAX  4096

struct kc {
	yaml_document_t doc;
	const char *path;
	char *dir; /* absolute directory of path, for relative references */
	char *err;
	size_t errlen;
};

static void wipe_free(char *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

/* Moves @len bytes into a larger buffer, wiping the old one (it may hold keys). */
static int grow(char **buf, size_t len, size_t *cap, size_t newcap)
{
	char *nbuf = malloc(newcap);

	if (!nbuf)
		return -ENOMEM;
	if (*buf)
		memcpy(nbuf, *buf, len);
	wipe_free(*buf, *cap);
	*buf = nbuf;
	*cap = newcap;
	return 0;
}

/* Reads a whole regular file of at most @max bytes, NUL-terminated. */
static int read_small_file(const char *path, size_t max, char **out, size_t *outlen,
			   struct stat *st_out)
{
	struct stat st;
	size_t cap = 0, len = 0;
	char *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	/* Room for the NUL and one byte more, to see EOF without growing. */
	ret = grow(&buf, 0, &cap, (size_t)st.st_size + 2);
	for (; !ret;) {
		ssize_t n;

		if (len + 1 == cap) {
			/* The file grew since fstat. */
			if (len > max) {
				ret = -EFBIG;
				break;
			}
			ret = grow(&buf, len, &cap, cap * 2);
			if (ret)
				break;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	if (!ret && len > max)
		ret = -EFBIG;
	if (ret)
		goto out;
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
	if (st_out)
		*st_out = st;
out:
	wipe_free(buf, cap);
	close(fd);
	return ret;
}

static int check_readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim in place, like Go's strings.TrimSpace for ASCII. */
static size_t trim(char *s, size_t len)
{
	size_t start = 0;

	while (start < len && is_space(s[start]))
		start++;
	while (len > start && is_space(s[len - 1]))
		len--;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return len - start;
}

/* A token goes into an HTTP header: no control characters, no line breaks. */
static bool token_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return len > 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 (Go's []byte in JSON); line breaks are skipped as Go does. */
static int b64_decode(const char *in, size_t inlen, char **out, size_t *outlen)
{
	char *buf = malloc(inlen / 4 * 3 + 4);
	uint32_t acc = 0;
	size_t n = 0, pad = 0;
	int bits = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || pad) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* 6 leftover bits cannot encode a byte; padding beyond "==" is junk. */
	if (bits >= 6 || pad > 2 || (pad && (bits / 2) != (int)pad)) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

/* ---- YAML document helpers ---------------------------------------------- */

static yaml_node_t *node_at(struct kc *kc, int id)
{
	return yaml_document_get_node(&kc->doc, id);
}

static bool is_scalar_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* YAML null (or a missing node) reads as absent, like Go's zero value. */
static bool node_absent(const yaml_node_t *n)
{
	return !n || (n->type == YAML_SCALAR_NODE && is_scalar_null(n));
}

static yaml_node_t *map_get(struct kc *kc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(kc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return node_at(kc, p->value);
	}
	return NULL;
}

/* Set to something: not null, "", [] or {} (Go's len() > 0). */
static bool map_has(struct kc *kc, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = map_get(kc, map, key);

	if (node_absent(n))
		return false;
	if (n->type == YAML_SEQUENCE_NODE)
		return n->data.sequence.items.top > n->data.sequence.items.start;
	if (n->type == YAML_MAPPING_NODE)
		return n->data.mapping.pairs.top > n->data.mapping.pairs.start;
	return n->data.scalar.length > 0;
}

/*
 * Reads string @key of @map into *@out (malloc'd; NULL when absent or
 * empty). @where names the map for the error message.
 */
static int get_str(struct kc *kc, yaml_node_t *map, const char *key, const char *where, char **out)
{
	yaml_node_t *n = map_get(kc, map, key);
	size_t len;

	*out = NULL;
	if (node_absent(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s: %s is not a string", kc->path,
			  where, key);
		return -EINVAL;
	}
	len = n->data.scalar.length;
	if (strlen((const char *)n->data.scalar.value) != len) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s: %s contains a NUL byte",
			  kc->path, where, key);
		return -EINVAL;
	}
	if (!len)
		return 0;
	*out = strndup((const char *)n->data.scalar.value, len);
	return *out ? 0 : -ENOMEM;
}

static int get_bool(struct kc *kc, yaml_node_t *map, const char *key, const char *where, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
					   "YES",  "on",   "On",   "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No",
					  "NO",	   "off",   "Off",   "OFF" };
	yaml_node_t *n = map_get(kc, map, key);
	const char *v;

	*out = false;
	if (node_absent(n))
		return 0;
	if (n->type == YAML_SCALAR_NODE) {
		v = (const char *)n->data.scalar.value;
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (!strcmp(v, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(v, no[i]))
				return 0;
		}
	}
	pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s: %s is not a boolean", kc->path, where,
		  key);
	return -EINVAL;
}

/*
 * Finds the entry named @name in the top-level list @list ("clusters",
 * "contexts", "users") and returns its @inner mapping ("cluster", ...).
 */
static int find_named(struct kc *kc, yaml_node_t *root, const char *list, const char *inner,
		      const char *name, yaml_node_t **out)
{
	yaml_node_t *seq = map_get(kc, root, list);
	yaml_node_t *found = NULL;
	yaml_node_item_t *it;

	*out = NULL;
	if (!node_absent(seq) && seq->type != YAML_SEQUENCE_NODE) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s is not a list", kc->path, list);
		return -EINVAL;
	}
	if (!node_absent(seq)) {
		for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
			yaml_node_t *entry = node_at(kc, *it);
			yaml_node_t *n = map_get(kc, entry, "name");

			if (!n || n->type != YAML_SCALAR_NODE ||
			    strcmp((const char *)n->data.scalar.value, name))
				continue;
			if (found) {
				/* client-go refuses duplicate names too. */
				pt_seterr(kc->err, kc->errlen,
					  "kubeconfig %s: more than one entry in %s named \"%s\"",
					  kc->path, list, name);
				return -EINVAL;
			}
			found = entry;
		}
	}
	if (!found)
		return -ENOENT;
	*out = map_get(kc, found, inner);
	if (node_absent(*out) || (*out)->type != YAML_MAPPING_NODE) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s entry \"%s\" has no %s mapping",
			  kc->path, list, name, inner);
		return -EINVAL;
	}
	return 0;
}

/* Relative paths are relative to the kubeconfig's directory (client-go). */
static int resolve_path(struct kc *kc, const char *p, char **out)
{
	size_t dlen = strlen(kc->dir);

	if (p[0] == '/')
		*out = strdup(p);
	else if (asprintf(out, "%s%s%s", kc->dir, dlen && kc->dir[dlen - 1] == '/' ? "" : "/", p) <
		 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

/*
 * Fills @pem from "<file_key>" (a path) or "<data_key>" (base64 PEM). Both
 * set is an error, as in client-go's validation.
 */
static int get_pem(struct kc *kc, yaml_node_t *map, const char *file_key, const char *data_key,
		   const char *where, struct pt_kube_pem *pem)
{
	char *file = NULL, *data = NULL;
	int ret;

	ret = get_str(kc, map, file_key, where, &file);
	if (ret)
		return ret;
	ret = get_str(kc, map, data_key, where, &data);
	if (ret)
		goto out;
	if (file && data) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s: both %s and %s are set; use one",
			  kc->path, where, file_key, data_key);
		ret = -EINVAL;
		goto out;
	}
	if (data) {
		ret = b64_decode(data, strlen(data), &pem->data, &pem->len);
		if (ret == -EINVAL) {
			pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s: %s is not valid base64",
				  kc->path, where, data_key);
			goto out;
		}
		if (ret)
			goto out;
		if (!memmem(pem->data, pem->len, "-----BEGIN ", 11)) {
			pt_seterr(
			    kc->err, kc->errlen,
			    "kubeconfig %s: %s: %s does not decode to PEM (no -----BEGIN line)",
			    kc->path, where, data_key);
			ret = -EINVAL;
		}
		goto out;
	}
	if (file) {
		ret = resolve_path(kc, file, &pem->path);
		if (ret)
			goto out;
		ret = check_readable(pem->path);
		if (ret)
			pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s: %s %s: %s", kc->path,
				  where, file_key, pem->path, strerror(-ret));
	}
out:
	free(file);
	wipe_free(data, data ? strlen(data) : 0);
	return ret;
}

static int normalize_server(struct kc *kc, const char *where, char *server, char **out)
{
	size_t len = strlen(server);
	const char *sep = strstr(server, "://");

	while (len > 0 && server[len - 1] == '/')
		server[--len] = '\0';
	if (sep && strncmp(server, "https://", 8) && strncmp(server, "http://", 7)) {
		pt_seterr(kc->err, kc->errlen,
			  "kubeconfig %s: %s: server \"%s\" is not an http(s) URL", kc->path, where,
			  server);
		return -EINVAL;
	}
	if (!len || (sep && !sep[3])) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s has no server", kc->path, where);
		return -EINVAL;
	}
	/* client-go defaults a bare host:port to https when TLS is configured. */
	if (!sep) {
		if (asprintf(out, "https://%s", server) < 0)
			return -ENOMEM;
		return 0;
	}
	*out = strdup(server);
	return *out ? 0 : -ENOMEM;
}

static int load_cluster(struct kc *kc, yaml_node_t *cl, const char *name,
			struct pt_kube_config *out)
{
	char where[320];
	char *server = NULL;
	int ret;

	snprintf(where, sizeof(where), "cluster \"%s\"", name);
	ret = get_str(kc, cl, "server", where, &server);
	if (ret)
		return ret;
	if (!server) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s has no server", kc->path, where);
		return -EINVAL;
	}
	ret = normalize_server(kc, where, server, &out->server);
	free(server);
	if (ret)
		return ret;
	ret = get_str(kc, cl, "tls-server-name", where, &out->tls_server_name);
	if (!ret)
		ret = get_str(kc, cl, "proxy-url", where, &out->proxy_url);
	if (!ret)
		ret = get_bool(kc, cl, "insecure-skip-tls-verify", where,
			       &out->insecure_skip_tls_verify);
	if (!ret)
		ret = get_pem(kc, cl, "certificate-authority", "certificate-authority-data", where,
			      &out->ca);
	if (ret)
		return ret;
	if (out->insecure_skip_tls_verify && (out->ca.path || out->ca.data)) {
		/* client-go's transport refuses this combination as well. */
		pt_seterr(kc->err, kc->errlen,
			  "kubeconfig %s: %s: insecure-skip-tls-verify cannot be combined with a "
			  "certificate authority",
			  kc->path, where);
		return -EINVAL;
	}
	return 0;
}

/* A scalar's text for a message, or "?". */
static const char *scalar_or_what(struct kc *kc, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = map_get(kc, map, key);

	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "?";
}

/* Auth methods that need code podtrail does not carry: name them, refuse. */
static int check_unsupported_auth(struct kc *kc, yaml_node_t *user, const char *where)
{
	yaml_node_t *n;

	n = map_get(kc, user, "exec");
	if (!node_absent(n)) {
		const char *c = scalar_or_what(kc, n, "command");

		pt_seterr(
		    kc->err, kc->errlen,
		    "kubeconfig %s: %s uses exec credential plugin \"%s\", which podtrail does "
		    "not support; use a token, tokenFile or client certificate",
		    kc->path, where, c);
		return -EOPNOTSUPP;
	}
	n = map_get(kc, user, "auth-provider");
	if (!node_absent(n)) {
		const char *p = scalar_or_what(kc, n, "name");

		pt_seterr(kc->err, kc->errlen,
			  "kubeconfig %s: %s uses auth-provider \"%s\", which podtrail does not "
			  "support; use a token, tokenFile or client certificate",
			  kc->path, where, p);
		return -EOPNOTSUPP;
	}
	if (map_has(kc, user, "username") || map_has(kc, user, "password")) {
		pt_seterr(kc->err, kc->errlen,
			  "kubeconfig %s: %s uses basic auth (username/password), which podtrail "
			  "does not support; use a token, tokenFile or client certificate",
			  kc->path, where);
		return -EOPNOTSUPP;
	}
	if (map_has(kc, user, "as") || map_has(kc, user, "as-uid") ||
	    map_has(kc, user, "as-groups") || map_has(kc, user, "as-user-extra")) {
		pt_seterr(kc->err, kc->errlen,
			  "kubeconfig %s: %s uses impersonation (as, as-groups, ...), which "
			  "podtrail does not support",
			  kc->path, where);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int token_read_file(struct pt_kube_token *t, uint64_t now_ms);

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int load_user(struct kc *kc, yaml_node_t *user, const char *name, struct pt_kube_config *out)
{
	char where[320];
	char *token = NULL, *token_file = NULL;
	int ret;

	snprintf(where, sizeof(where), "user \"%s\"", name);
	ret = check_unsupported_auth(kc, user, where);
	if (ret)
		return ret;
	ret = get_pem(kc, user, "client-certificate", "client-certificate-data", where,
		      &out->client_cert);
	if (!ret)
		ret = get_pem(kc, user, "client-key", "client-key-data", where, &out->client_key);
	if (ret)
		return ret;
	if (!!(out->client_cert.path || out->client_cert.data) !=
	    !!(out->client_key.path || out->client_key.data)) {
		pt_seterr(
		    kc->err, kc->errlen,
		    "kubeconfig %s: %s: a client certificate needs a client key and the other "
		    "way round",
		    kc->path, where);
		return -EINVAL;
	}

	ret = get_str(kc, user, "token", where, &token);
	if (ret)
		return ret;
	ret = get_str(kc, user, "tokenFile", where, &token_file);
	if (ret)
		goto out;
	if (token) {
		size_t len = trim(token, strlen(token));

		if (!token_chars_ok(token, len)) {
			pt_seterr(kc->err, kc->errlen,
				  "kubeconfig %s: %s: token contains control characters", kc->path,
				  where);
			ret = -EINVAL;
			goto out;
		}
		out->token.value = token;
		out->token.len = len;
		token = NULL;
	}
	if (token_file) {
		ret = resolve_path(kc, token_file, &out->token.file);
		if (ret)
			goto out;
		/* Read now so that a bad path fails at start-up, not at first request. */
		ret = token_read_file(&out->token, mono_ms());
		if (ret) {
			pt_seterr(kc->err, kc->errlen, "kubeconfig %s: %s: tokenFile %s: %s",
				  kc->path, where, out->token.file, strerror(-ret));
			goto out;
		}
	}
out:
	wipe_free(token, token ? strlen(token) : 0);
	free(token_file);
	return ret;
}

static int load_root(struct kc *kc, const char *context, struct pt_kube_config *out)
{
	yaml_node_t *root = yaml_document_get_root_node(&kc->doc);
	yaml_node_t *ctx, *cl, *user;
	char *current = NULL, *cluster_name = NULL, *user_name = NULL;
	const char *ctx_name = context;
	char where[320];
	int ret;

	if (node_absent(root)) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: file is empty", kc->path);
		return -EINVAL;
	}
	if (root->type != YAML_MAPPING_NODE) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: top level is not a mapping",
			  kc->path);
		return -EINVAL;
	}
	if (!ctx_name || !*ctx_name) {
		ret = get_str(kc, root, "current-context", "top level", &current);
		if (ret)
			return ret;
		if (!current) {
			pt_seterr(kc->err, kc->errlen,
				  "kubeconfig %s: no current-context set and no context given",
				  kc->path);
			return -ENOENT;
		}
		ctx_name = current;
	}

	ret = find_named(kc, root, "contexts", "context", ctx_name, &ctx);
	if (ret == -ENOENT)
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: context \"%s\" not found", kc->path,
			  ctx_name);
	if (ret)
		goto out;
	snprintf(where, sizeof(where), "context \"%s\"", ctx_name);
	ret = get_str(kc, ctx, "cluster", where, &cluster_name);
	if (!ret)
		ret = get_str(kc, ctx, "user", where, &user_name);
	if (!ret)
		ret = get_str(kc, ctx, "namespace", where, &out->namespace);
	if (ret)
		goto out;
	if (!cluster_name || !user_name) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: context \"%s\" names no %s",
			  kc->path, ctx_name, cluster_name ? "user" : "cluster");
		ret = -EINVAL;
		goto out;
	}

	ret = find_named(kc, root, "clusters", "cluster", cluster_name, &cl);
	if (ret == -ENOENT)
		pt_seterr(kc->err, kc->errlen,
			  "kubeconfig %s: cluster \"%s\" (of context \"%s\") not found", kc->path,
			  cluster_name, ctx_name);
	if (ret)
		goto out;
	ret = find_named(kc, root, "users", "user", user_name, &user);
	if (ret == -ENOENT)
		pt_seterr(kc->err, kc->errlen,
			  "kubeconfig %s: user \"%s\" (of context \"%s\") not found", kc->path,
			  user_name, ctx_name);
	if (ret)
		goto out;

	ret = load_cluster(kc, cl, cluster_name, out);
	if (!ret)
		ret = load_user(kc, user, user_name, out);
	if (!ret && asprintf(&out->origin, "kubeconfig %s context \"%s\"", kc->path, ctx_name) < 0)
		ret = -ENOMEM;
out:
	free(current);
	free(cluster_name);
	free(user_name);
	return ret;
}

static int dir_of(const char *path, char **out)
{
	char *copy = strdup(path), *slash;
	char cwd[PATH_MAX];

	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(copy, ".");
	if (copy[0] == '/') {
		*out = copy;
		return 0;
	}
	/* Like filepath.Abs: relative to the working directory at load time. */
	if (!getcwd(cwd, sizeof(cwd))) {
		free(copy);
		return -errno;
	}
	if (!strcmp(copy, "."))
		*out = strdup(cwd);
	else if (asprintf(out, "%s/%s", cwd, copy) < 0)
		*out = NULL;
	free(copy);
	return *out ? 0 : -ENOMEM;
}

static int parse_yaml(struct kc *kc, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	int ret = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &kc->doc)) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: line %zu column %zu: %s", kc->path,
			  parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			  parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	/* A second document, or junk after the first, is a broken file. */
	if (!yaml_parser_load(&parser, &extra)) {
		pt_seterr(kc->err, kc->errlen, "kubeconfig %s: line %zu column %zu: %s", kc->path,
			  parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			  parser.problem ? parser.problem : "YAML syntax error");
		ret = -EINVAL;
	} else {
		if (yaml_document_get_root_node(&extra)) {
			pt_seterr(kc->err, kc->errlen, "kubeconfig %s: more than one YAML document",
				  kc->path);
			ret = -EINVAL;
		}
		yaml_document_delete(&extra);
	}
	if (ret)
		yaml_document_delete(&kc->doc);
	yaml_parser_delete(&parser);
	return ret;
}

int pt_kubeconfig_load(const char *path, const char *context, struct pt_kube_config *out, char *err,
		       size_t errlen)
{
	struct kc kc = { .path = path, .err = err, .errlen = errlen };
	char *text = NULL;
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	pt_seterr(err, errlen, "%s", "");
	if (!path || !*path) {
		pt_seterr(err, errlen, "kubeconfig: no path given");
		return -EINVAL;
	}
	ret = read_small_file(path, KUBECONFIG_MAX, &text, &len, NULL);
	if (ret) {
		pt_seterr(err, errlen, "kubeconfig %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = dir_of(path, &kc.dir);
	if (ret) {
		pt_seterr(err, errlen, "kubeconfig %s: %s", path, strerror(-ret));
		goto out_text;
	}
	ret = parse_yaml(&kc, text, len);
	if (ret)
		goto out_dir;
	ret = load_root(&kc, context, out);
	if (ret == -ENOMEM)
		pt_seterr(err, errlen, "kubeconfig %s: out of memory", path);
	if (ret)
		pt_kube_config_free(out);
	yaml_document_delete(&kc.doc);
out_dir:
	free(kc.dir);
out_text:
	/* The text holds tokens and keys. */
	wipe_free(text, len);
	return ret;
}

/* ---- in-cluster --------------------------------------------------------- */

static bool port_ok(const char *p)
{
	unsigned long v = 0;

	if (!*p || strlen(p) > 5)
		return false;
	for (const char *c = p; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	return v >= 1 && v <= 65535;
}

static bool host_ok(const char *h)
{
	if (!*h)
		return false;
	for (const char *c = h; *c; c++) {
		if (is_space(*c) || *c == '/' || *c == '@' || *c == '?' || *c == '#')
			return false;
	}
	return true;
}

static int sa_file(const char *dir, const char *name, char **out)
{
	if (asprintf(out, "%s/%s", dir, name) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int read_namespace(const char *path, char **out)
{
	char *ns = NULL;
	size_t len;
	int ret;

	*out = NULL;
	ret = read_small_file(path, NAMESPACE_MAX, &ns, &len, NULL);
	if (ret == -ENOENT)
		return 0; /* only a hint; client-go falls back to "default" */
	if (ret)
		return ret;
	len = trim(ns, len);
	if (!len || strlen(ns) != len) {
		free(ns);
		return len ? -EINVAL : 0;
	}
	*out = ns;
	return 0;
}

int pt_kubeconfig_in_cluster(const char *sa_dir, struct pt_kube_config *out, char *err,
			     size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char *ns_path = NULL;
	bool v6;
	int ret;

	memset(out, 0, sizeof(*out));
	pt_seterr(err, errlen, "%s", "");
	if (!sa_dir || !*sa_dir)
		sa_dir = PT_SA_DIR_DEFAULT;
	if (!host || !*host || !port || !*port) {
		pt_seterr(err, errlen,
			  "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
			  "must be set (not running in a pod?)");
		return -ENOENT;
	}
	if (!host_ok(host) || !port_ok(port)) {
		pt_seterr(err, errlen,
			  "in-cluster config: KUBERNETES_SERVICE_HOST \"%s\" / "
			  "KUBERNETES_SERVICE_PORT \"%s\" do not form a host:port",
			  host, port);
		return -EINVAL;
	}
	/* net.JoinHostPort: an IPv6 literal goes in brackets. */
	v6 = strchr(host, ':') && host[0] != '[';
	if (asprintf(&out->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port) <
	    0) {
		out->server = NULL;
		ret = -ENOMEM;
		goto fail;
	}

	ret = sa_file(sa_dir, "token", &out->token.file);
	if (ret)
		goto fail;
	ret = token_read_file(&out->token, mono_ms());
	if (ret) {
		pt_seterr(err, errlen, "in-cluster config: token %s: %s", out->token.file,
			  strerror(-ret));
		goto fail;
	}
	ret = sa_file(sa_dir, "ca.crt", &out->ca.path);
	if (ret)
		goto fail;
	/* client-go would fall back to the system roots; a pod must not need that. */
	ret = check_readable(out->ca.path);
	if (ret) {
		pt_seterr(err, errlen, "in-cluster config: CA %s: %s", out->ca.path,
			  strerror(-ret));
		goto fail;
	}
	ret = sa_file(sa_dir, "namespace", &ns_path);
	if (ret)
		goto fail;
	ret = read_namespace(ns_path, &out->namespace);
	if (ret) {
		pt_seterr(err, errlen, "in-cluster config: namespace %s: %s", ns_path,
			  strerror(-ret));
		goto fail;
	}
	if (asprintf(&out->origin, "in-cluster service account %s", sa_dir) < 0) {
		out->origin = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	free(ns_path);
	return 0;
fail:
	if (ret == -ENOMEM)
		pt_seterr(err, errlen, "in-cluster config: out of memory");
	free(ns_path);
	pt_kube_config_free(out);
	return ret;
}

/* ---- bearer token ------------------------------------------------------- */

static int token_read_file(struct pt_kube_token *t, uint64_t now_ms)
{
	struct stat st;
	char *buf;
	size_t len;
	int ret;

	ret = read_small_file(t->file, PT_TOKEN_MAX, &buf, &len, &st);
	if (ret)
		return ret;
	len = trim(buf, len);
	if (!token_chars_ok(buf, len)) {
		/* Empty, or not fit for an Authorization header. */
		wipe_free(buf, len);
		return len ? -EINVAL : -ENODATA;
	}
	wipe_free(t->value, t->len);
	t->value = buf;
	t->len = len;
	t->have_stat = true;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = st.st_size;
	t->mtime = st.st_mtim;
	t->read_ms = now_ms;
	return 0;
}

static bool token_file_changed(const struct pt_kube_token *t)
{
	struct stat st;

	if (stat(t->file, &st) < 0)
		return true; /* let the read report it; the old token stays */
	return st.st_dev != t->dev || st.st_ino != t->ino || st.st_size != t->size ||
	       st.st_mtim.tv_sec != t->mtime.tv_sec || st.st_mtim.tv_nsec != t->mtime.tv_nsec;
}

bool pt_kube_config_has_token(const struct pt_kube_config *cfg)
{
	return cfg->token.value || cfg->token.file;
}

int pt_kube_config_token_at(struct pt_kube_config *cfg, uint64_t now_ms, char *buf, size_t len)
{
	struct pt_kube_token *t = &cfg->token;

	if (!pt_kube_config_has_token(cfg))
		return -ENODATA;
	if (t->file) {
		bool due = !t->have_stat || now_ms < t->read_ms ||
			   now_ms - t->read_ms >= PT_TOKEN_REREAD_MS || token_file_changed(t);

		if (due) {
			int ret = token_read_file(t, now_ms);

			/* client-go keeps using the last good token; so do we. */
			if (ret && !t->value)
				return ret;
			if (ret)
				t->read_ms = now_ms; /* retry at the next period */
		}
	}
	if (t->len + 1 > len)
		return -ENOBUFS;
	memcpy(buf, t->value, t->len + 1);
	return 0;
}

int pt_kube_config_token(struct pt_kube_config *cfg, char *buf, size_t len)
{
	return pt_kube_config_token_at(cfg, mono_ms(), buf, len);
}

/* ---- free --------------------------------------------------------------- */

static void pem_free(struct pt_kube_pem *p)
{
	free(p->path);
	wipe_free(p->data, p->len);
	memset(p, 0, sizeof(*p));
}

void pt_kube_config_free(struct pt_kube_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server);
	free(cfg->tls_server_name);
	free(cfg->proxy_url);
	free(cfg->namespace);
	free(cfg->origin);
	pem_free(&cfg->ca);
	pem_free(&cfg->client_cert);
	pem_free(&cfg->client_key);
	wipe_free(cfg->token.value, cfg->token.len);
	free(cfg->token.file);
	memset(cfg, 0, sizeof(*cfg));
}
