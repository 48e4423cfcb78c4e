// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "components.h"
#include "errmsg.h"

static const struct pt_component builtin[] = {
	{ "kubelet", "kubelet", PT_COMPONENT_DAEMON },
	{ "containerd", "containerd", PT_COMPONENT_DAEMON },
	/* containerd-shim-runc-v2 and its kin: the kernel keeps 15 characters. */
	{ "containerd shim", "containerd-shim", PT_COMPONENT_SHIM },
	{ "CRI-O", "crio", PT_COMPONENT_DAEMON },
	{ "conmon", "conmon", PT_COMPONENT_SHIM },
	{ "dockerd", "dockerd", PT_COMPONENT_DAEMON },
	{ "cri-dockerd", "cri-dockerd", PT_COMPONENT_DAEMON },
	{ "runc", "runc", PT_COMPONENT_HELPER },
	{ "crun", "crun", PT_COMPONENT_HELPER },
	{ "kube-proxy", "kube-proxy", PT_COMPONENT_DAEMON },
	{ "flanneld", "flanneld", PT_COMPONENT_DAEMON },
	{ "calico-node", "calico-node", PT_COMPONENT_DAEMON },
	{ "cilium-agent", "cilium-agent", PT_COMPONENT_DAEMON },
	{ "kube-router", "kube-router", PT_COMPONENT_DAEMON },
};

void pt_components_default(struct pt_components *c)
{
	memset(c, 0, sizeof(*c));
	c->n = sizeof(builtin) / sizeof(builtin[0]);
	memcpy(c->list, builtin, sizeof(builtin));
}

int pt_components_add(struct pt_components *c, const char *list, char *err, size_t errlen)
{
	struct pt_components more = *c; /* all or nothing */
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		struct pt_component *e;

		if (len == 0 || len >= PT_COMM_LEN) {
			pt_seterr(err, errlen, "\"%.*s\": a process name of 1 to %d characters",
				  (int)(len < 64 ? len : 64), p, PT_COMM_LEN - 1);
			return -EINVAL;
		}
		if (more.n == PT_MAX_COMPONENTS) {
			pt_seterr(err, errlen, "more than %d node components", PT_MAX_COMPONENTS);
			return -EINVAL;
		}
		e = &more.list[more.n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->comm, p, len);
		memcpy(e->name, p, len);
		e->kind = PT_COMPONENT_DAEMON;
		p += len;
		if (*p == ',')
			p++;
	}
	*c = more;
	return 0;
}

/* A user's login: someone ran the program by hand, it is not the node's. */
static bool in_login_session(const char *unit)
{
	return !strncmp(unit, "session-", 8) || !strncmp(unit, "user@", 5);
}

const struct pt_component *pt_component_match(const struct pt_components *c, const char *comm,
					      unsigned int ns_level, bool never_execd,
					      const struct pt_cgroup_info *cg)
{
	if (!c || ns_level != 0 || cg->scope == PT_SCOPE_CONTAINER || cg->scope == PT_SCOPE_POD ||
	    in_login_session(cg->unit))
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (strncmp(comm, c->list[i].comm, PT_COMM_LEN))
			continue;
		if (never_execd && c->list[i].kind == PT_COMPONENT_DAEMON)
			return NULL;
		return &c->list[i];
	}
	return NULL;
}

/* The first @max process names of components of @kind, zero-padded as the kernel compares them. */
static size_t comms_of(const struct pt_components *c, enum pt_component_kind kind,
		       char (*out)[PT_COMM_LEN], size_t max)
{
	size_t n = 0;

	memset(out, 0, max * PT_COMM_LEN);
	for (size_t i = 0; i < c->n && n < max; i++)
		if (c->list[i].kind == kind)
			memcpy(out[n++], c->list[i].comm, PT_COMM_LEN);
	return n;
}

size_t pt_components_daemon_comms(const struct pt_components *c,
				  char out[PT_MAX_DAEMON_NAMES][PT_COMM_LEN])
{
	return comms_of(c, PT_COMPONENT_DAEMON, out, PT_MAX_DAEMON_NAMES);
}

size_t pt_components_shim_comms(const struct pt_components *c,
				char out[PT_MAX_SHIM_NAMES][PT_COMM_LEN])
{
	return comms_of(c, PT_COMPONENT_SHIM, out, PT_MAX_SHIM_NAMES);
}
