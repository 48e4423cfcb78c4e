// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime-metadata fallback: read the pod a container belongs to from the
 * files containerd, CRI-O or docker wrote when they created it.
 *
 * Each runtime is described by a table row (where the string map lives in
 * the file, and which keys name what); one reader and one decoder serve all
 * of them. Every candidate file is opened without following a final symlink,
 * must be a regular file of at most PT_RUNTIME_META_FILE_MAX bytes, and is
 * parsed with a depth limit; every string is bounded and NUL-checked before
 * it is copied.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "errmsg.h"
#include "k8s/runtime_meta.h"

/* An OCI spec nests a few levels; this only bounds hostile input. */
#define JSON_MAX_DEPTH 32
/* containerd's identifiers.Validate limit for namespaces */
#define NAMESPACE_MAX 76

/* Where a runtime keeps the Kubernetes identity in its file, and under which keys. */
struct layout {
	enum pt_runtime runtime;
	const char *map_path[3]; /* the object of strings: NULL-terminated member path */
	const char *type_key;	 /* "sandbox" or "container" */
	const char *type_sandbox;
	const char *type_container;
	const char *namespace_key;
	const char *pod_name_key;
	const char *pod_uid_key;
	const char *container_name_key;
	const char *sandbox_id_key;
};

static const struct layout containerd_layout = {
	.runtime = PT_RUNTIME_CONTAINERD,
	.map_path = { "annotations", NULL },
	.type_key = "io.kubernetes.cri.container-type",
	.type_sandbox = "sandbox",
	.type_container = "container",
	.namespace_key = "io.kubernetes.cri.sandbox-namespace",
	.pod_name_key = "io.kubernetes.cri.sandbox-name",
	.pod_uid_key = "io.kubernetes.cri.sandbox-uid",
	.container_name_key = "io.kubernetes.cri.container-name",
	.sandbox_id_key = "io.kubernetes.cri.sandbox-id",
};

/* CRI-O copies the kubelet's labels into the OCI annotations. */
static const struct layout crio_layout = {
	.runtime = PT_RUNTIME_CRIO,
	.map_path = { "annotations", NULL },
	.type_key = "io.kubernetes.cri-o.ContainerType",
	.type_sandbox = "sandbox",
	.type_container = "container",
	.namespace_key = "io.kubernetes.pod.namespace",
	.pod_name_key = "io.kubernetes.pod.name",
	.pod_uid_key = "io.kubernetes.pod.uid",
	.container_name_key = "io.kubernetes.container.name",
	.sandbox_id_key = "io.kubernetes.cri-o.SandboxID",
};

/* dockershim / cri-dockerd: docker labels in the container's config.v2.json. */
static const struct layout docker_layout = {
	.runtime = PT_RUNTIME_DOCKER,
	.map_path = { "Config", "Labels", NULL },
	.type_key = "io.kubernetes.docker.type",
	.type_sandbox = "podsandbox",
	.type_container = "container",
	.namespace_key = "io.kubernetes.pod.namespace",
	.pod_name_key = "io.kubernetes.pod.name",
	.pod_uid_key = "io.kubernetes.pod.uid",
	.container_name_key = "io.kubernetes.container.name",
	.sandbox_id_key = "io.kubernetes.sandbox.id",
};

/* containerd state subdirectories holding OCI bundles, <dir>/<namespace>/<id>/ */
static const char *const containerd_bundle_dirs[] = {
	"io.containerd.runtime.v2.task",
	"io.containerd.sandbox.controller.v1.shim",
	"io.containerd.runtime.v1.linux",
};

static const char *const default_namespaces[] = { PT_RUNTIME_K8S_NAMESPACE, NULL };

/* One lookup: what it looks for, and the first failure seen on the way. */
struct lookup {
	const char *id;
	struct pt_runtime_meta *out;
	char *err;
	size_t errlen;
	int first_err;
};

/* Records a failure; only the first one's message is kept, with its code. */
static int fail(struct lookup *l, int ret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct lookup *l, int ret, const char *fmt, ...)
{
	va_list ap;

	if (l->first_err)
		return ret;
	l->first_err = ret;
	if (l->err && l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err, l->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static bool is_container_id(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < PT_CONTAINER_ID_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[i] == '\0';
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A containerd namespace: alphanumerics joined by single '.', '_' or '-'. */
static bool is_namespace(const char *s)
{
	size_t i, len;

	len = s ? strnlen(s, NAMESPACE_MAX + 1) : 0;
	if (!len || len > NAMESPACE_MAX || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (i = 1; i < len; i++) {
		if (is_alnum(s[i]))
			continue;
		if (!strchr("._-", s[i]) || !is_alnum(s[i - 1]))
			return false;
	}
	return true;
}

/*
 * Reads regular file @path, at most PT_RUNTIME_META_FILE_MAX bytes, into a
 * NUL-terminated buffer. -ENOENT when it (or a directory above it) is not
 * there; any other failure is recorded in @l.
 */
static int read_bounded(struct lookup *l, const char *path, char **out, size_t *outlen)
{
	const size_t max = PT_RUNTIME_META_FILE_MAX;
	size_t cap, len = 0;
	struct stat st;
	char *buf, *nbuf;
	int fd, ret = 0;

	/* O_NONBLOCK: a FIFO planted in the path must not hang the agent. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			return -ENOENT;
		return fail(l, ret, "%s: %s", path, strerror(-ret));
	}
	if (fstat(fd, &st) < 0) {
		ret = fail(l, -errno, "%s: %s", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(l, -EBADMSG, "%s: not a regular file", path);
		goto out_close;
	}
	if ((unsigned long long)st.st_size > max) {
		ret = fail(l, -EFBIG, "%s: %lld bytes, more than the %zu allowed", path,
			   (long long)st.st_size, max);
		goto out_close;
	}
	/* One byte past the size seen, to meet EOF without growing. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		ret = fail(l, -ENOMEM, "%s: out of memory", path);
		goto out_close;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			/* The file grew since fstat. */
			if (cap > max) {
				ret = fail(l, -EFBIG, "%s: more than the %zu bytes allowed", path,
					   max);
				break;
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				ret = fail(l, -ENOMEM, "%s: out of memory", path);
				break;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = fail(l, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (ret) {
		free(buf);
		goto out_close;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
out_close:
	close(fd);
	return ret;
}

/* Parses a whole JSON document; only whitespace may follow it. */
static int parse_json(struct lookup *l, const char *path, const char *buf, size_t len,
		      struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;
	int ret = 0;

	*out = NULL;
	if (len > INT_MAX)
		return fail(l, -EFBIG, "%s: too big to parse", path);
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok)
		return fail(l, -ENOMEM, "%s: out of memory", path);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!obj || jerr != json_tokener_success) {
		ret = fail(l, -EBADMSG, "%s: not JSON: %s at byte %zu", path,
			   jerr == json_tokener_continue ? "unexpected end of file"
							 : json_tokener_error_desc(jerr),
			   end);
		goto out;
	}
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", buf[end]) || !buf[end]) {
			ret =
			    fail(l, -EBADMSG, "%s: not JSON: trailing data at byte %zu", path, end);
			goto out;
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		ret = fail(l, -EBADMSG, "%s: expected a JSON object, got %s", path,
			   json_type_to_name(json_object_get_type(obj)));
		goto out;
	}
	*out = obj;
	obj = NULL;
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return ret;
}

/*
 * Copies string @key of @map into @dst (@size bytes with the NUL). Returns
 * 1 when copied, 0 when absent, null or empty, -EBADMSG when of another
 * type, too long or holding a NUL.
 */
static int map_str(struct lookup *l, const char *path, struct json_object *map, const char *key,
		   char *dst, size_t size)
{
	struct json_object *v;
	const char *s;
	size_t len;

	dst[0] = '\0';
	if (!json_object_object_get_ex(map, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(l, -EBADMSG, "%s: %s: expected a string, got %s", path, key,
			    json_type_to_name(json_object_get_type(v)));
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len))
		return fail(l, -EBADMSG, "%s: %s: contains a NUL character", path, key);
	if (len >= size)
		return fail(l, -EBADMSG, "%s: %s: %zu bytes, longer than the %zu allowed", path,
			    key, len, size - 1);
	memcpy(dst, s, len + 1);
	return len ? 1 : 0;
}

/* String @key of @map if it is one, without judging it; else NULL. */
static const char *map_peek(struct json_object *map, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(map, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Same, for a value that must be there. */
static int map_str_required(struct lookup *l, const char *path, struct json_object *map,
			    const char *key, char *dst, size_t size)
{
	int ret = map_str(l, path, map, key, dst, size);

	if (!ret)
		ret = fail(l, -EBADMSG, "%s: no %s: not a Kubernetes container", path, key);
	return ret < 0 ? ret : 0;
}

/* The object of strings the layout keeps its keys in. */
static int find_map(struct lookup *l, const char *path, const struct layout *lay,
		    struct json_object *root, struct json_object **map)
{
	struct json_object *cur = root, *v;
	size_t i;

	for (i = 0; lay->map_path[i]; i++) {
		if (!json_object_object_get_ex(cur, lay->map_path[i], &v) || !v)
			return fail(l, -EBADMSG, "%s: no %s: not a Kubernetes container", path,
				    lay->map_path[i]);
		if (!json_object_is_type(v, json_type_object))
			return fail(l, -EBADMSG, "%s: %s: expected an object, got %s", path,
				    lay->map_path[i], json_type_to_name(json_object_get_type(v)));
		cur = v;
	}
	*map = cur;
	return 0;
}

/* Fills @m from the parsed file @root. */
static int decode(struct lookup *l, const char *path, const struct layout *lay,
		  struct json_object *root, struct pt_runtime_meta *m)
{
	struct json_object *map = NULL;
	const char *sandbox_id;
	char type[32];
	int ret;

	ret = find_map(l, path, lay, root, &map);
	if (ret)
		return ret;
	ret = map_str_required(l, path, map, lay->type_key, type, sizeof(type));
	if (ret)
		return ret;
	if (!strcmp(type, lay->type_sandbox))
		m->sandbox = true;
	else if (strcmp(type, lay->type_container))
		return fail(l, -EBADMSG, "%s: %s: unknown container type \"%s\"", path,
			    lay->type_key, type);
	ret = map_str_required(l, path, map, lay->namespace_key, m->pod_namespace,
			       sizeof(m->pod_namespace));
	if (!ret)
		ret = map_str_required(l, path, map, lay->pod_name_key, m->pod_name,
				       sizeof(m->pod_name));
	if (!ret)
		ret = map_str(l, path, map, lay->pod_uid_key, m->pod_uid, sizeof(m->pod_uid));
	if (ret < 0)
		return ret;
	/*
	 * The sandbox id is a hint, not an identity: kept only when it is a
	 * well-formed id, never a reason to refuse the file. The sandbox's own
	 * id naming itself makes it a sandbox whatever the type says (CRI-O lets
	 * pod annotations override its keys in the sandbox's spec).
	 */
	sandbox_id = map_peek(map, lay->sandbox_id_key);
	if (is_container_id(sandbox_id))
		memcpy(m->sandbox_id, sandbox_id, sizeof(m->sandbox_id));
	if (m->sandbox_id[0] && !strcmp(m->sandbox_id, l->id))
		m->sandbox = true;
	if (m->sandbox) {
		if (!m->sandbox_id[0])
			memcpy(m->sandbox_id, l->id, sizeof(m->sandbox_id));
		return 0; /* a sandbox has no container name ("POD" for docker) */
	}
	return map_str_required(l, path, map, lay->container_name_key, m->container_name,
				sizeof(m->container_name));
}

/*
 * Tries one candidate file. 0 when it holds the container (l->out filled),
 * -ENOENT when it is not there, another -errno (recorded) when it is there
 * but unusable.
 */
static int try_file(struct lookup *l, const char *path, const struct layout *lay)
{
	struct json_object *root = NULL;
	struct pt_runtime_meta m;
	size_t len = 0;
	char *buf = NULL;
	int ret;

	ret = read_bounded(l, path, &buf, &len);
	if (ret)
		return ret;
	ret = parse_json(l, path, buf, len, &root);
	free(buf);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	m.runtime = lay->runtime;
	ret = decode(l, path, lay, root, &m);
	json_object_put(root);
	if (ret)
		return ret;
	snprintf(m.source, sizeof(m.source), "%s", path);
	*l->out = m;
	return 0;
}

/* Joins @fmt into @path; a path too long for PATH_MAX is a recorded failure. */
static int build_path(struct lookup *l, char *path, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int build_path(struct lookup *l, char *path, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return fail(l, -ENAMETOOLONG, "%.100s...: path too long (%zu bytes at most)", path,
			    size - 1);
	return 0;
}

static int lookup_containerd(struct lookup *l, const char *state, const char *const *namespaces)
{
	char path[PATH_MAX];
	size_t i, j;
	int ret;

	for (i = 0; namespaces[i]; i++) {
		for (j = 0; j < sizeof(containerd_bundle_dirs) / sizeof(containerd_bundle_dirs[0]);
		     j++) {
			ret = build_path(l, path, sizeof(path), "%s/%s/%s/%s/config.json", state,
					 containerd_bundle_dirs[j], namespaces[i], l->id);
			if (!ret)
				ret = try_file(l, path, &containerd_layout);
			if (!ret)
				return 0;
		}
	}
	return -ENOENT;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/*
 * containers/storage keeps a container's files in
 * <root>/<graph driver>-containers/<id>/userdata; overlay is by far the
 * usual driver, so it is tried before reading the directory.
 */
static int lookup_crio_root(struct lookup *l, const char *root)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int ret;

	ret = build_path(l, path, sizeof(path), "%s/overlay-containers/%s/userdata/config.json",
			 root, l->id);
	if (!ret)
		ret = try_file(l, path, &crio_layout);
	if (ret != -ENOENT)
		return ret;
	dir = opendir(root);
	if (!dir) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			return -ENOENT;
		return fail(l, ret, "%s: %s", root, strerror(-ret));
	}
	ret = -ENOENT;
	while ((de = readdir(dir))) {
		if (!has_suffix(de->d_name, "-containers") ||
		    !strcmp(de->d_name, "overlay-containers"))
			continue;
		if (build_path(l, path, sizeof(path), "%s/%s/%s/userdata/config.json", root,
			       de->d_name, l->id))
			continue;
		if (!try_file(l, path, &crio_layout)) {
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

static int lookup_docker(struct lookup *l, const char *root)
{
	char path[PATH_MAX];
	int ret;

	ret = build_path(l, path, sizeof(path), "%s/containers/%s/config.v2.json", root, l->id);
	if (!ret)
		ret = try_file(l, path, &docker_layout);
	return ret;
}

static const char *dir_or(const char *dir, const char *def)
{
	return dir ? dir : def;
}

void pt_runtime_dirs_default(struct pt_runtime_dirs *d)
{
	memset(d, 0, sizeof(*d));
	d->containerd_state = PT_RUNTIME_CONTAINERD_STATE;
	d->crio_state = PT_RUNTIME_CRIO_STATE;
	d->crio_storage = PT_RUNTIME_CRIO_STORAGE;
	d->docker_root = PT_RUNTIME_DOCKER_ROOT;
	d->containerd_namespaces = default_namespaces;
}

int pt_runtime_meta_lookup(const struct pt_runtime_dirs *dirs, const char *container_id,
			   struct pt_runtime_meta *out, char *err, size_t errlen)
{
	struct pt_runtime_dirs def;
	const char *const *namespaces;
	const char *containerd, *crio_state, *crio_storage, *docker;
	struct lookup l = {
		.id = container_id,
		.out = out,
		.err = err,
		.errlen = errlen,
	};
	size_t i;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!is_container_id(container_id)) {
		pt_seterr(err, errlen, "container id \"%.80s\": not 64 lower-case hex digits",
			  container_id ? container_id : "(null)");
		return -EINVAL;
	}
	if (!dirs) {
		pt_runtime_dirs_default(&def);
		dirs = &def;
	}
	namespaces = dirs->containerd_namespaces ? dirs->containerd_namespaces : default_namespaces;
	for (i = 0; namespaces[i]; i++) {
		if (!is_namespace(namespaces[i])) {
			pt_seterr(err, errlen, "containerd namespace \"%.80s\": not a valid name",
				  namespaces[i]);
			return -EINVAL;
		}
	}
	containerd = dir_or(dirs->containerd_state, PT_RUNTIME_CONTAINERD_STATE);
	crio_state = dir_or(dirs->crio_state, PT_RUNTIME_CRIO_STATE);
	crio_storage = dir_or(dirs->crio_storage, PT_RUNTIME_CRIO_STORAGE);
	docker = dir_or(dirs->docker_root, PT_RUNTIME_DOCKER_ROOT);

	if ((*containerd && !lookup_containerd(&l, containerd, namespaces)) ||
	    (*crio_state && !lookup_crio_root(&l, crio_state)) ||
	    (*crio_storage && !lookup_crio_root(&l, crio_storage)) ||
	    (*docker && !lookup_docker(&l, docker))) {
		if (err && errlen)
			err[0] = '\0';
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if (l.first_err)
		return l.first_err;
	pt_seterr(err, errlen,
		  "container %s: unknown to containerd (%s), CRI-O (%s, %s) and docker (%s)",
		  container_id, *containerd ? containerd : "off", *crio_state ? crio_state : "off",
		  *crio_storage ? crio_storage : "off", *docker ? docker : "off");
	return -ENOENT;
}
