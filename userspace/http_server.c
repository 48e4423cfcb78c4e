// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "http_server.h"

struct pt_http_server {
	struct pt_loop *loop;
	struct MHD_Daemon *mhd;
	int epfd;
	int timer_fd;
	unsigned port;
	struct pt_http_server_handlers h;
};

/* Split "host:port" / "[v6]:port" / ":port" into a socket address. */
static int parse_address(const char *address, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon, *h = address, *end;
	char *pend;
	unsigned long port;

	if (!address || !address[0])
		return -EINVAL;
	if (address[0] == '[') {
		end = strchr(address, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		h = address + 1;
		colon = end + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon)
			return -EINVAL;
		end = colon;
	}
	if ((size_t)(end - h) >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &pend, 10);
	if (errno || *pend || !colon[1] || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (address[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (!host[0])
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*s4);
	}
	return 0;
}

int pt_http_server_check_address(const char *address)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_address(address, &ss, &len);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_metrics(struct pt_http_server *s, struct MHD_Connection *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int e;

	if (!f)
		return reply(c, 500, "text/plain", "out of memory\n", 14, MHD_RESPMEM_PERSISTENT);
	e = s->h.metrics(s->h.ctx, f);
	fclose(f);
	if (e) {
		free(buf);
		return reply(c, 500, "text/plain", "metrics failed\n", 15, MHD_RESPMEM_PERSISTENT);
	}
	return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len,
		     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct pt_http_server *s = cls;
	char why[256], *body;
	int n;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, 405, "text/plain", "only GET\n", 9, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics"))
		return serve_metrics(s, c);
	if (!strcmp(url, "/healthz"))
		return reply(c, 200, "text/plain", "ok\n", 3, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/readyz")) {
		why[0] = '\0';
		if (s->h.ready(s->h.ctx, why, sizeof(why)))
			return reply(c, 200, "text/plain", "ready\n", 6, MHD_RESPMEM_PERSISTENT);
		n = asprintf(&body, "not ready: %s\n", why);
		if (n < 0)
			return MHD_NO;
		return reply(c, 503, "text/plain", body, (size_t)n, MHD_RESPMEM_MUST_FREE);
	}
	return reply(c, 404, "text/plain", "not found: try /metrics, /healthz, /readyz\n", 44,
		     MHD_RESPMEM_PERSISTENT);
}

/* After each run, tell the loop when MHD next needs to look at its connections. */
static void rearm(struct pt_http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(s->mhd, &ms) == MHD_YES)
		pt_timer_arm(s->timer_fd, (ms ? ms : 1) * 1000000ULL);
	else
		pt_timer_arm(s->timer_fd, 0);
}

static void on_ready(void *ctx, int fd, uint32_t events)
{
	struct pt_http_server *s = ctx;

	if (fd == s->timer_fd)
		pt_timer_ack(fd);
	MHD_run(s->mhd);
	rearm(s);
}

int pt_http_server_new(struct pt_loop *loop, const char *address,
		       const struct pt_http_server_handlers *h, struct pt_http_server **out,
		       char *err, size_t errlen)
{
	struct pt_http_server *s;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	socklen_t len;
	int e;

	if (parse_address(address, &ss, &len)) {
		snprintf(err, errlen, "bad metrics address '%s': expected HOST:PORT", address);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->h = *h;
	s->timer_fd = -1;
	errno = 0; /* MHD sets errno on some failures only */
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0,
				  NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_CONNECTION_LIMIT,
				  16U, MHD_OPTION_END);
	if (!s->mhd) {
		e = errno ? -errno : -EADDRINUSE;
		snprintf(err, errlen, "cannot listen on %s for metrics: %s", address, strerror(-e));
		free(s);
		return e;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	s->epfd = info ? info->epoll_fd : -1;
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	s->timer_fd = pt_timer_new();
	if (s->epfd < 0 || s->timer_fd < 0) {
		e = s->timer_fd < 0 ? s->timer_fd : -EINVAL;
		goto fail;
	}
	e = pt_loop_add(loop, s->epfd, EPOLLIN, on_ready, s);
	if (!e)
		e = pt_loop_add(loop, s->timer_fd, EPOLLIN, on_ready, s);
	if (e)
		goto fail;
	*out = s;
	return 0;
fail:
	snprintf(err, errlen, "cannot serve metrics on %s: %s", address, strerror(-e));
	pt_http_server_free(s);
	return e;
}

unsigned pt_http_server_port(const struct pt_http_server *s)
{
	return s->port;
}

void pt_http_server_free(struct pt_http_server *s)
{
	if (!s)
		return;
	if (s->epfd >= 0)
		pt_loop_remove(s->loop, s->epfd);
	if (s->timer_fd >= 0) {
		pt_loop_remove(s->loop, s->timer_fd);
		close(s->timer_fd);
	}
	MHD_stop_daemon(s->mhd);
	free(s);
}
