/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The observer's own HTTP endpoint: /metrics (Prometheus text format),
 * /healthz and /readyz, served by libmicrohttpd from the daemon's event loop
 * (its epoll fd is one more source of work), so handlers read the counters
 * on the same thread that writes them.
 */
#ifndef PODTRAIL_HTTP_SERVER_H
#define PODTRAIL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "event_loop.h"

struct pt_http_server_handlers {
	/* Write the metrics page to @f; return 0 or -errno. */
	int (*metrics)(void *ctx, FILE *f);
	/* Ready? If not, write why to @why. */
	bool (*ready)(void *ctx, char *why, size_t len);
	void *ctx;
};

struct pt_http_server;

/*
 * Parse "HOST:PORT", "[V6]:PORT" or ":PORT" (all interfaces). Returns 0, or
 * -EINVAL when it is none of these.
 */
int pt_http_server_check_address(const char *address);
/* Listen on @address; on failure -errno and a message in @err. */
int pt_http_server_new(struct pt_loop *loop, const char *address,
		       const struct pt_http_server_handlers *h, struct pt_http_server **out,
		       char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
unsigned pt_http_server_port(const struct pt_http_server *s);
void pt_http_server_free(struct pt_http_server *s);

#endif
