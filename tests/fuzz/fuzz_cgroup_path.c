// SPDX-License-Identifier: GPL-2.0
/*
 * pt_cgroup_parse() on any string. Invariants: it returns 0 or -EINVAL;
 * -EINVAL is a plain host attribution; a pod or container attribution
 * carries a well-formed pod uid (and a 64-hex container id) that really
 * occur in the path; empty components and a leading or trailing '/' change
 * nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cgroup_path.h"
#include "fuzz_util.h"

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_lower_hex(s[i]))
			return false;
	}
	return true;
}

static bool valid_uid(const char *uid)
{
	size_t len = strlen(uid);

	if (len == 32)
		return all_lower_hex(uid, len);
	if (len != PT_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? uid[i] != '-' : !is_lower_hex(uid[i]))
			return false;
	}
	return true;
}

/* @path in lower case, with systemd's '_' for the uuid's '-'. */
static char *normalized(const char *path)
{
	char *s = strdup(path);

	if (!s)
		abort();
	for (char *p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (*p == '_')
			*p = '-';
	}
	return s;
}

static bool is_component(const char *path, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(path, name); p; p = strstr(p + 1, name)) {
		if ((p == path || p[-1] == '/') && (p[n] == '\0' || p[n] == '/'))
			return true;
	}
	return false;
}

static void check_info(const char *path, int ret, const struct pt_cgroup_info *info)
{
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL, "ret %d for \"%s\"", ret, path);
	FUZZ_ASSERT_STR(info->pod_uid);
	FUZZ_ASSERT_STR(info->container_id);
	FUZZ_ASSERT_STR(info->unit);
	FUZZ_ASSERT((unsigned int)info->scope <= PT_SCOPE_RUNTIME_HELPER, "scope %d", info->scope);
	FUZZ_ASSERT((unsigned int)info->driver <= PT_DRIVER_SYSTEMD, "driver %d", info->driver);
	FUZZ_ASSERT((unsigned int)info->qos <= PT_QOS_BESTEFFORT, "qos %d", info->qos);
	FUZZ_ASSERT((unsigned int)info->runtime <= PT_RUNTIME_DOCKER, "runtime %d", info->runtime);

	if (ret) {
		FUZZ_ASSERT(info->scope == PT_SCOPE_HOST && !info->pod_uid[0] &&
				!info->container_id[0] && info->driver == PT_DRIVER_NONE &&
				info->qos == PT_QOS_NONE,
			    "a malformed path must be a plain host attribution: \"%s\"", path);
	}

	switch (info->scope) {
	case PT_SCOPE_HOST:
		FUZZ_ASSERT(!info->pod_uid[0] && !info->container_id[0],
			    "host with uid \"%s\" id \"%s\" for \"%s\"", info->pod_uid,
			    info->container_id, path);
		if (info->unit[0])
			FUZZ_ASSERT(is_component(path, info->unit),
				    "unit \"%s\" is not a component of \"%s\"", info->unit, path);
		return;
	case PT_SCOPE_POD:
		FUZZ_ASSERT(!info->container_id[0], "pod scope with id \"%s\" for \"%s\"",
			    info->container_id, path);
		break;
	case PT_SCOPE_UNKNOWN:
		/* Only the pipeline says so, for an id it cannot name: never the parser. */
		FUZZ_ASSERT(0, "unknown scope from a path: \"%s\"", path);
		return;
	case PT_SCOPE_CONTAINER:
	case PT_SCOPE_RUNTIME_HELPER:
		FUZZ_ASSERT(strlen(info->container_id) == PT_CONTAINER_ID_LEN &&
				all_lower_hex(info->container_id, PT_CONTAINER_ID_LEN),
			    "container id \"%s\" for \"%s\"", info->container_id, path);
		break;
	}
	FUZZ_ASSERT(!info->unit[0], "unit \"%s\" outside the host scope", info->unit);
	FUZZ_ASSERT(valid_uid(info->pod_uid), "pod uid \"%s\" for \"%s\"", info->pod_uid, path);
	FUZZ_ASSERT(info->driver != PT_DRIVER_NONE, "pod without a driver: \"%s\"", path);
	FUZZ_ASSERT(info->qos != PT_QOS_NONE, "pod without a QoS class: \"%s\"", path);

	/* Nothing invented: the uid and the id are in the path. */
	char *norm = normalized(path);
	FUZZ_ASSERT(strstr(norm, info->pod_uid), "uid \"%s\" not in \"%s\"", info->pod_uid, path);
	FUZZ_ASSERT(strstr(norm, info->container_id), "id \"%s\" not in \"%s\"", info->container_id,
		    path);
	free(norm);
}

/* The same path spelled differently must parse the same. */
static void check_same(const char *what, const char *path, int ret,
		       const struct pt_cgroup_info *info, const char *variant)
{
	struct pt_cgroup_info other;
	int ret2 = pt_cgroup_parse(variant, &other);

	FUZZ_ASSERT(ret2 == ret && !memcmp(&other, info, sizeof(other)),
		    "\"%s\" (%s) parses differently from \"%s\": ret %d/%d, scope %s/%s, uid "
		    "\"%s\"/\"%s\", id \"%s\"/\"%s\", unit \"%s\"/\"%s\"",
		    variant, what, path, ret2, ret, pt_scope_name(other.scope),
		    pt_scope_name(info->scope), other.pod_uid, info->pod_uid, other.container_id,
		    info->container_id, other.unit, info->unit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_cgroup_info info;
	char *path = fuzz_cstr(data, size);
	size_t len = strlen(path);
	char *variant = malloc(2 * len + 2);
	int ret;

	if (!variant)
		abort();
	ret = pt_cgroup_parse(path, &info);
	check_info(path, ret, &info);
	/* Names never hold these: the strings the names print with stay short. */
	FUZZ_ASSERT(pt_scope_name(info.scope)[0] && strlen(pt_qos_name(info.qos)) < 16 &&
			strlen(pt_runtime_name(info.runtime)) < 16 &&
			strlen(pt_driver_name(info.driver)) < 16,
		    "names");

	snprintf(variant, 2 * len + 2, "/%s", path);
	check_same("leading /", path, ret, &info, variant);
	snprintf(variant, 2 * len + 2, "%s/", path);
	check_same("trailing /", path, ret, &info, variant);
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		variant[j++] = path[i];
		if (path[i] == '/')
			variant[j++] = '/';
	}
	variant[j] = '\0';
	check_same("doubled /", path, ret, &info, variant);

	/* NULL in, host out. */
	FUZZ_ASSERT(pt_cgroup_parse(NULL, &info) == -EINVAL && info.scope == PT_SCOPE_HOST,
		    "NULL path");
	free(variant);
	free(path);
	return 0;
}
