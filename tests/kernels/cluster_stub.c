// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode left out: the static podtrail that runs inside the kernel
 * matrix's qemu guests is linked without userspace/cluster.c, userspace/k8s/
 * and libcurl (whose static library drags in OpenSSL, Kerberos, LDAP, ...).
 * The guest has no cluster; this build says so if one is configured.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cluster.h"
#include "http_server.h"

bool pt_cluster_configured(const struct pt_options *o, char **envp)
{
	if (o->standalone)
		return false;
	if (o->kubeconfig)
		return true;
	for (char **e = envp; e && *e; e++)
		if (!strncmp(*e, "KUBERNETES_SERVICE_HOST=", 24) && (*e)[24])
			return true;
	return false;
}

int pt_cluster_start(struct pt_loop *loop, const struct pt_options *o,
		     const struct pt_cluster_links *links, struct pt_cluster **out, char *err,
		     size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen,
		 "this static test build has no cluster support (tests/kernels/cluster_stub.c); "
		 "run with --standalone");
	return -EOPNOTSUPP;
}

void pt_cluster_attribute(void *ctx, const struct pt_event *ev, const struct pt_placement *where)
{
}

struct pt_sink pt_cluster_sink(struct pt_cluster *c)
{
	return (struct pt_sink){ 0 };
}

void pt_cluster_shutdown(struct pt_cluster *c, struct pt_loop *loop, uint64_t grace_ns)
{
}

bool pt_cluster_ready(const struct pt_cluster *c)
{
	return false;
}

void pt_cluster_free(struct pt_cluster *c)
{
}

void pt_cluster_metrics(const struct pt_cluster *c, struct pt_cluster_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

/* libmicrohttpd's static library needs GnuTLS's: the guest serves no metrics. */
int pt_http_server_check_address(const char *address)
{
	return 0;
}

int pt_http_server_new(struct pt_loop *loop, const char *address,
		       const struct pt_http_server_handlers *h, struct pt_http_server **out,
		       char *err, size_t errlen)
{
	snprintf(err, errlen, "this static build serves no metrics");
	return -ENOTSUP;
}

unsigned pt_http_server_port(const struct pt_http_server *s)
{
	return 0;
}

void pt_http_server_free(struct pt_http_server *s)
{
}
