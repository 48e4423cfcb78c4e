// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "cgroup_names.h"
#include "message.h"

/* The components of @path, up to @max of them from the end: starts and lengths. */
static size_t last_components(const char *path, const char **start, size_t *len, size_t max,
			      size_t *total)
{
	size_t n = 0;

	*total = 0;
	for (const char *p = path; *p;) {
		const char *s;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && *p != '/')
			p++;
		/* A ring of the last @max. */
		start[*total % max] = s;
		len[*total % max] = (size_t)(p - s);
		(*total)++;
	}
	n = *total < max ? *total : max;
	return n;
}

bool pt_cgroup_names_shape(const char *path, char *out, size_t outlen)
{
	const char *start[PT_CGROUP_LEVELS];
	size_t len[PT_CGROUP_LEVELS], total;
	size_t n = last_components(path, start, len, PT_CGROUP_LEVELS, &total);
	bool truncated = total > PT_CGROUP_LEVELS;
	struct pt_msg m = { out, 0, outlen };

	/* Copies, not snprintf: this runs for every record that names a cgroup. */
	out[0] = '\0';
	if (truncated)
		pt_msg_append(&m, "/...", 4);
	for (size_t i = 0; i < n; i++) {
		size_t k = (total - n + i) % PT_CGROUP_LEVELS;
		size_t l = len[k] < PT_CGROUP_NAME_LEN - 1 ? len[k] : PT_CGROUP_NAME_LEN - 1;

		pt_msg_append(&m, "/", 1);
		pt_msg_append(&m, start[k], l);
	}
	if (!m.len)
		pt_msg_append(&m, "/", 1);
	return truncated;
}

static void fill_leaf(const char *path, char *leaf, size_t leaflen)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t l = strlen(name);

	if (l > PT_CGROUP_NAME_LEN - 1)
		l = PT_CGROUP_NAME_LEN - 1;
	if (l >= leaflen)
		l = leaflen - 1;
	memcpy(leaf, name, l);
	leaf[l] = '\0';
}

void pt_cgroup_names_fill(struct pt_cgroup_ids *t, struct pt_event *ev)
{
	struct pt_event_killer *k = &ev->killer;
	const char *path;

	if (ev->cgroup.id && t) {
		path = pt_cgroup_ids_find(t, ev->cgroup.hierarchy_id, ev->cgroup.id);
		if (path) {
			ev->cgroup.known = true;
			ev->cgroup.truncated =
			    pt_cgroup_names_shape(path, ev->cgroup.path, sizeof(ev->cgroup.path));
		}
	}
	/* cgroup_id 0: the target signalled itself, in its own cgroup (no leaf, as before). */
	if (k->present && k->cgroup_id && t) {
		path = pt_cgroup_ids_find(t, k->cgroup_hierarchy_id, k->cgroup_id);
		if (path) {
			k->cgroup_known = true;
			fill_leaf(path, k->cgroup_leaf, sizeof(k->cgroup_leaf));
		}
	}
}
