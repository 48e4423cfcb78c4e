// SPDX-License-Identifier: GPL-2.0
/*
 * libcurl multi interface on the daemon's epoll loop (see http_client.h).
 *
 * Re-entrancy: libcurl forbids adding or removing easy handles from inside
 * its own callbacks, and on_data runs inside curl's write callback. While
 * curl is on the stack (h->in_curl) a submit only queues the call and a
 * cancel only marks it; both are applied as soon as curl returns. on_done
 * runs after curl has returned, so there everything happens at once.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "event_loop.h"
#include "k8s/http_client.h"
#include "k8s/kubeconfig.h"

#ifndef CURL_WRITEFUNC_ERROR
#define CURL_WRITEFUNC_ERROR 0
#endif

#define AUTH_PREFIX "Authorization: Bearer "

struct pt_http {
	struct pt_loop *loop;
	struct pt_kube_config *cfg;
	CURLM *multi;
	CURLSH *share;
	int epfd;    /* curl's sockets */
	int timerfd; /* curl's timeout */
	bool in_curl;
	bool pending; /* calls to add or to cancel once curl returns */
	bool have_h2;
	size_t in_flight;
	struct pt_http_call *calls; /* every call not yet freed */
	char *base_url;		    /* scheme://host[:port][/prefix] as sent to curl */
	char *host_header;	    /* "Host: real-host[:port]" with tls_server_name, or NULL */
	struct curl_slist *connect_to;
	char *user_agent;
	size_t max_body;
	long connect_timeout_ms;
	bool insecure;
	char *auth; /* scratch for the Authorization header, wiped after use */
	size_t auth_size;
};

struct pt_http_call {
	struct pt_http *h;
	struct pt_http_call *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	char *url; /* configured server + path, for messages */
	char *req_body;
	char *body; /* response body, NUL-terminated */
	size_t body_len, body_cap;
	int (*on_data)(void *ctx, const char *buf, size_t len);
	void (*on_response)(void *ctx, long status);
	void (*on_done)(void *ctx, const struct pt_http_response *resp);
	void *ctx;
	uint64_t start_ns;
	uint64_t stall_ns;   /* low_speed_timeout_s, 0 = off */
	uint64_t last_io_ns; /* when a byte last moved */
	curl_off_t last_dl, last_ul;
	long retry_after_s;
	int stream; /* on_data call: -1 status not seen yet, 0 error body, 1 2xx stream */
	bool added;
	bool cancelled;
	bool finishing; /* inside on_done */
	bool user_abort;
	bool too_big;
	bool stalled;
	char errbuf[CURL_ERROR_SIZE];
};

/* Sets one option unless an earlier one failed; remembers which failed. */
#define SETOPT(rc, failed, easy, opt, val)                                                         \
	do {                                                                                       \
		if ((rc) == CURLE_OK) {                                                            \
			(rc) = curl_easy_setopt((easy), (opt), (val));                             \
			if ((rc) != CURLE_OK)                                                      \
				(failed) = #opt;                                                   \
		}                                                                                  \
	} while (0)

/* ---- loop integration --------------------------------------------------- */

static void process(struct pt_http *h);

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct pt_http *h = userp;
	struct epoll_event ev = { .data.fd = s };

	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, s, &ev) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(h->epfd, EPOLL_CTL_ADD, s, &ev) == 0)
		return 0;
	return -1;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct pt_http *h = userp;
	uint64_t ns;

	if (timeout_ms < 0)
		ns = 0; /* disarm */
	else if (timeout_ms == 0)
		ns = 1; /* "as soon as possible": curl must not be called from here */
	else
		ns = (uint64_t)timeout_ms * 1000000ULL;
	return pt_timer_arm(h->timerfd, ns) ? -1 : 0;
}

static void socket_action(struct pt_http *h, curl_socket_t s, int flags)
{
	int running;

	h->in_curl = true;
	curl_multi_socket_action(h->multi, s, flags, &running);
	h->in_curl = false;
}

static void on_sockets(void *ctx, int fd, uint32_t events)
{
	struct pt_http *h = ctx;
	struct epoll_event evs[32];
	int n = epoll_wait(h->epfd, evs, 32, 0);

	/*
	 * A socket closed by an earlier action in this batch is unknown to curl
	 * and ignored; a reused number gets a spurious wake-up, which is harmless.
	 */
	for (int i = 0; i < n; i++) {
		uint32_t e = evs[i].events;
		int flags = 0;

		if (e & (EPOLLIN | EPOLLHUP))
			flags |= CURL_CSELECT_IN;
		if (e & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (e & EPOLLERR)
			flags |= CURL_CSELECT_ERR;
		socket_action(h, evs[i].data.fd, flags);
	}
	process(h);
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct pt_http *h = ctx;

	pt_timer_ack(fd);
	socket_action(h, CURL_SOCKET_TIMEOUT, 0);
	process(h);
}

/* ---- calls -------------------------------------------------------------- */

static void wipe_slist(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* Unlink and free; the call's callbacks are never run again. */
static void call_destroy(struct pt_http_call *c)
{
	struct pt_http *h = c->h;

	if (c->added)
		curl_multi_remove_handle(h->multi, c->easy);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	wipe_slist(c->headers);
	free(c->url);
	free(c->req_body);
	free(c->body);
	free(c);
}

static void call_finish(struct pt_http_call *c, CURLcode result, const char *error)
{
	struct pt_http *h = c->h;
	struct pt_http_response r = {
		.transport_error = (int)result,
		.body = c->body ? c->body : "",
		.body_len = c->body_len,
		.retry_after_s = c->retry_after_s,
		.url = c->url,
		.total_s = (double)(pt_now_ns() - c->start_ns) / 1e9,
	};
	char msg[128];

	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &r.status);
	if (c->user_abort) {
		r.transport_error = CURLE_ABORTED_BY_CALLBACK;
		error = "transfer stopped by the caller's data callback";
	} else if (c->stalled) {
		r.transport_error = CURLE_OPERATION_TIMEDOUT;
		snprintf(msg, sizeof(msg), "no data received for %llu s",
			 (unsigned long long)(c->stall_ns / 1000000000ULL));
		error = msg;
	} else if (c->too_big || result == CURLE_FILESIZE_EXCEEDED) {
		r.transport_error = CURLE_FILESIZE_EXCEEDED;
		snprintf(msg, sizeof(msg), "response body larger than %zu bytes",
			 c->on_data ? PT_HTTP_STREAM_ERROR_BODY_MAX : h->max_body);
		error = msg;
	}
	if (r.transport_error)
		r.error = error ? error : c->errbuf[0] ? c->errbuf : curl_easy_strerror(result);
	if (c->added) {
		curl_multi_remove_handle(h->multi, c->easy);
		c->added = false;
	}
	h->in_flight--;
	c->finishing = true;
	c->on_done(c->ctx, &r);
	call_destroy(c);
}

/* Apply what was deferred while curl was on the stack. */
static void apply_pending(struct pt_http *h)
{
	struct pt_http_call *c, *next;

	if (!h->pending)
		return;
	h->pending = false;
	for (c = h->calls; c; c = next) {
		next = c->next;
		if (c->cancelled) {
			call_destroy(c);
		} else if (!c->added) {
			CURLMcode mc = curl_multi_add_handle(h->multi, c->easy);

			if (mc == CURLM_OK) {
				c->added = true;
			} else {
				call_finish(c, CURLE_OUT_OF_MEMORY, curl_multi_strerror(mc));
				next = h->calls; /* on_done may have changed the list */
			}
		}
	}
}

static void process(struct pt_http *h)
{
	CURLMsg *msg;
	int left;

	apply_pending(h);
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		CURLcode result = msg->data.result;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		call_finish((struct pt_http_call *)(void *)priv, result, NULL);
		/* on_done may have submitted from outside curl: nothing is pending. */
	}
}

static size_t on_header(char *buf, size_t size, size_t n, void *userp)
{
	struct pt_http_call *c = userp;
	size_t len = size * n;
	char val[128];
	size_t i, vlen;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		c->retry_after_s = -1; /* a new response (after 1xx) starts */
		return len;
	}
	if ((len == 2 && buf[0] == '\r') || (len == 1 && buf[0] == '\n')) {
		long status = 0;

		/* The end of a final response's headers: tell a caller who asked. */
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		if (c->on_response && status >= 200)
			c->on_response(c->ctx, status);
		return len;
	}
	if (len <= 12 || strncasecmp(buf, "retry-after:", 12))
		return len;
	for (i = 12; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	for (vlen = len - i; vlen && (buf[i + vlen - 1] == '\r' || buf[i + vlen - 1] == '\n' ||
				      buf[i + vlen - 1] == ' ' || buf[i + vlen - 1] == '\t');
	     vlen--)
		;
	if (!vlen || vlen >= sizeof(val))
		return len;
	memcpy(val, buf + i, vlen);
	val[vlen] = '\0';
	if (strspn(val, "0123456789") == vlen) {
		/* delta-seconds; absurd values are clamped, not wrapped */
		c->retry_after_s = vlen > 9 ? 999999999L : strtol(val, NULL, 10);
	} else {
		time_t when = curl_getdate(val, NULL); /* HTTP-date */
		time_t now = time(NULL);

		if (when != (time_t)-1)
			c->retry_after_s = when > now ? (long)(when - now) : 0;
	}
	return len;
}

static int body_append(struct pt_http_call *c, const char *buf, size_t len, size_t limit)
{
	size_t cap;
	char *nb;

	if (len > limit || c->body_len > limit - len)
		return -E2BIG;
	if (c->body_len + len + 1 > c->body_cap) {
		cap = c->body_cap ? c->body_cap : 4096;
		while (cap < c->body_len + len + 1)
			cap *= 2;
		nb = realloc(c->body, cap);
		if (!nb)
			return -ENOMEM;
		c->body = nb;
		c->body_cap = cap;
	}
	memcpy(c->body + c->body_len, buf, len);
	c->body_len += len;
	c->body[c->body_len] = '\0';
	return 0;
}

static size_t on_write(char *buf, size_t size, size_t n, void *userp)
{
	struct pt_http_call *c = userp;
	size_t len = size * n;
	size_t limit = c->h->max_body;

	if (c->cancelled)
		return CURL_WRITEFUNC_ERROR;
	if (c->on_data) {
		if (c->stream < 0) {
			long status = 0;

			curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
			c->stream = status >= 200 && status < 300;
		}
		if (c->stream) {
			if (c->on_data(c->ctx, buf, len) < 0) {
				c->user_abort = true;
				return CURL_WRITEFUNC_ERROR;
			}
			/* on_data may have cancelled this very call */
			return c->cancelled ? CURL_WRITEFUNC_ERROR : len;
		}
		if (limit > PT_HTTP_STREAM_ERROR_BODY_MAX)
			limit = PT_HTTP_STREAM_ERROR_BODY_MAX;
	}
	switch (body_append(c, buf, len, limit)) {
	case 0:
		return len;
	case -E2BIG:
		c->too_big = true;
		return CURL_WRITEFUNC_ERROR;
	default:
		snprintf(c->errbuf, sizeof(c->errbuf), "out of memory buffering the response body");
		return CURL_WRITEFUNC_ERROR;
	}
}

/*
 * Stall detection. curl's own low-speed check averages over ~5 s, so one
 * early chunk hides a stall for that long; here any byte resets the clock.
 * curl calls this at least once a second while LOW_SPEED_LIMIT is set.
 */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct pt_http_call *c = userp;
	uint64_t now = pt_now_ns();

	if (dlnow != c->last_dl || ulnow != c->last_ul) {
		c->last_dl = dlnow;
		c->last_ul = ulnow;
		c->last_io_ns = now;
		return 0;
	}
	if (now - c->last_io_ns < c->stall_ns)
		return 0;
	c->stalled = true;
	return 1;
}

/* ---- options ------------------------------------------------------------ */

/* Everything that is the same for every request: TLS, identity, limits. */
static CURLcode set_client_opts(struct pt_http *h, CURL *e, const char **failed)
{
	struct pt_kube_config *cfg = h->cfg;
	CURLcode rc = CURLE_OK;

	SETOPT(rc, *failed, e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
	SETOPT(rc, *failed, e, CURLOPT_PROTOCOLS_STR, "https,http");
#else
	SETOPT(rc, *failed, e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
	SETOPT(rc, *failed, e, CURLOPT_USERAGENT, h->user_agent);
	SETOPT(rc, *failed, e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	SETOPT(rc, *failed, e, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(rc, *failed, e, CURLOPT_TCP_KEEPIDLE, 30L);
	SETOPT(rc, *failed, e, CURLOPT_TCP_KEEPINTVL, 30L);
	SETOPT(rc, *failed, e, CURLOPT_SHARE, h->share);
	/* Wait for a connection's protocol before opening another: h2 multiplexes. */
	SETOPT(rc, *failed, e, CURLOPT_PIPEWAIT, 1L);
	if (h->have_h2)
		SETOPT(rc, *failed, e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* gzip for big LISTs; the body bound applies to the decoded bytes */
	SETOPT(rc, *failed, e, CURLOPT_ACCEPT_ENCODING, "");
	if (h->connect_to)
		SETOPT(rc, *failed, e, CURLOPT_CONNECT_TO, h->connect_to);
	if (cfg->proxy_url)
		SETOPT(rc, *failed, e, CURLOPT_PROXY, cfg->proxy_url);

	SETOPT(rc, *failed, e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(rc, *failed, e, CURLOPT_SSL_VERIFYPEER, h->insecure ? 0L : 1L);
	SETOPT(rc, *failed, e, CURLOPT_SSL_VERIFYHOST, h->insecure ? 0L : 2L);
	if (cfg->ca.path || cfg->ca.data) {
		/* Trust only the cluster's CA, not also the system's bundle. */
		SETOPT(rc, *failed, e, CURLOPT_CAPATH, NULL);
		SETOPT(rc, *failed, e, CURLOPT_CAINFO, cfg->ca.path);
	}
	if (cfg->ca.data) {
		struct curl_blob b = { cfg->ca.data, cfg->ca.len, CURL_BLOB_NOCOPY };

		SETOPT(rc, *failed, e, CURLOPT_CAINFO_BLOB, &b);
	}
	if (cfg->client_cert.path) {
		SETOPT(rc, *failed, e, CURLOPT_SSLCERTTYPE, "PEM");
		SETOPT(rc, *failed, e, CURLOPT_SSLCERT, cfg->client_cert.path);
	} else if (cfg->client_cert.data) {
		struct curl_blob b = { cfg->client_cert.data, cfg->client_cert.len,
				       CURL_BLOB_NOCOPY };

		SETOPT(rc, *failed, e, CURLOPT_SSLCERTTYPE, "PEM");
		SETOPT(rc, *failed, e, CURLOPT_SSLCERT_BLOB, &b);
	}
	if (cfg->client_key.path) {
		SETOPT(rc, *failed, e, CURLOPT_SSLKEYTYPE, "PEM");
		SETOPT(rc, *failed, e, CURLOPT_SSLKEY, cfg->client_key.path);
	} else if (cfg->client_key.data) {
		/* NOCOPY: the key is not duplicated into curl's memory */
		struct curl_blob b = { cfg->client_key.data, cfg->client_key.len,
				       CURL_BLOB_NOCOPY };

		SETOPT(rc, *failed, e, CURLOPT_SSLKEYTYPE, "PEM");
		SETOPT(rc, *failed, e, CURLOPT_SSLKEY_BLOB, &b);
	}
	return rc;
}

static bool method_ok(const char *m)
{
	static const char *const ok[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (m && !strcmp(m, ok[i]))
			return true;
	return false;
}

static int append_header(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

static int build_headers(struct pt_http *h, const struct pt_http_request *req,
			 struct curl_slist **out)
{
	size_t pre = strlen(AUTH_PREFIX);
	char *ct = NULL;
	int ret;

	ret = append_header(out, "Accept: application/json");
	/* No "Expect: 100-continue" round trip (and its 1 s wait) for bodies. */
	if (!ret)
		ret = append_header(out, "Expect:");
	if (!ret && h->host_header)
		ret = append_header(out, h->host_header);
	if (!ret && req->content_type) {
		if (strpbrk(req->content_type, "\r\n"))
			return -EINVAL;
		if (asprintf(&ct, "Content-Type: %s", req->content_type) < 0)
			return -ENOMEM;
		ret = append_header(out, ct);
		free(ct);
	}
	if (ret)
		return ret;
	memcpy(h->auth, AUTH_PREFIX, pre);
	ret = pt_kube_config_token(h->cfg, h->auth + pre, h->auth_size - pre);
	if (ret == -ENODATA)
		return 0; /* client certificate only */
	if (!ret)
		ret = append_header(out, h->auth);
	explicit_bzero(h->auth, h->auth_size);
	return ret;
}

static int setup_call(struct pt_http *h, struct pt_http_call *c, const struct pt_http_request *req)
{
	const char *failed = NULL;
	char *curl_url = NULL;
	CURLcode rc;
	int ret;

	if (asprintf(&c->url, "%s%s", h->cfg->server, req->path) < 0) {
		c->url = NULL;
		return -ENOMEM;
	}
	if (asprintf(&curl_url, "%s%s", h->base_url, req->path) < 0)
		return -ENOMEM;
	if (req->body || req->body_len || strcmp(req->method, "GET")) {
		/* PUT/PATCH/POST always send a (possibly empty) body */
		c->req_body = malloc(req->body_len + 1);
		if (!c->req_body) {
			free(curl_url);
			return -ENOMEM;
		}
		if (req->body_len)
			memcpy(c->req_body, req->body, req->body_len);
		c->req_body[req->body_len] = '\0';
	}
	ret = build_headers(h, req, &c->headers);
	if (ret) {
		free(curl_url);
		return ret;
	}
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(curl_url);
		return -ENOMEM;
	}
	rc = set_client_opts(h, c->easy, &failed);
	SETOPT(rc, failed, c->easy, CURLOPT_URL, curl_url);
	SETOPT(rc, failed, c->easy, CURLOPT_PRIVATE, c);
	SETOPT(rc, failed, c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	SETOPT(rc, failed, c->easy, CURLOPT_HTTPHEADER, c->headers);
	SETOPT(rc, failed, c->easy, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(rc, failed, c->easy, CURLOPT_HEADERDATA, c);
	SETOPT(rc, failed, c->easy, CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(rc, failed, c->easy, CURLOPT_WRITEDATA, c);
	SETOPT(rc, failed, c->easy, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	if (req->low_speed_timeout_s > 0) {
		c->stall_ns = (uint64_t)req->low_speed_timeout_s * 1000000000ULL;
		c->last_io_ns = c->start_ns;
		SETOPT(rc, failed, c->easy, CURLOPT_NOPROGRESS, 0L);
		SETOPT(rc, failed, c->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
		SETOPT(rc, failed, c->easy, CURLOPT_XFERINFODATA, c);
		/* Also a backstop, and what makes curl wake up every second. */
		SETOPT(rc, failed, c->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
		SETOPT(rc, failed, c->easy, CURLOPT_LOW_SPEED_TIME, req->low_speed_timeout_s + 10);
	}
	if (!req->on_data)
		SETOPT(rc, failed, c->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
	if (c->req_body && strcmp(req->method, "DELETE") && strcmp(req->method, "GET")) {
		SETOPT(rc, failed, c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SETOPT(rc, failed, c->easy, CURLOPT_POSTFIELDS, c->req_body);
	} else if (c->req_body && req->body_len) {
		/* DELETE with DeleteOptions */
		SETOPT(rc, failed, c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SETOPT(rc, failed, c->easy, CURLOPT_POSTFIELDS, c->req_body);
	}
	if (strcmp(req->method, "GET") && strcmp(req->method, "POST"))
		SETOPT(rc, failed, c->easy, CURLOPT_CUSTOMREQUEST, req->method);
	free(curl_url);
	return rc == CURLE_OK ? 0 : rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

int pt_http_submit(struct pt_http *h, const struct pt_http_request *req, struct pt_http_call **out)
{
	struct pt_http_call *c;
	int ret;

	if (!method_ok(req->method) || !req->path || req->path[0] != '/' || !req->on_done ||
	    (!strcmp(req->method, "GET") && req->body_len))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->h = h;
	c->on_data = req->on_data;
	c->on_response = req->on_response;
	c->on_done = req->on_done;
	c->ctx = req->ctx;
	c->retry_after_s = -1;
	c->stream = -1;
	c->start_ns = pt_now_ns();
	c->next = h->calls;
	if (h->calls)
		h->calls->prev = c;
	h->calls = c;
	ret = setup_call(h, c, req);
	if (!ret && !h->in_curl) {
		CURLMcode mc = curl_multi_add_handle(h->multi, c->easy);

		if (mc == CURLM_OK)
			c->added = true;
		else
			ret = mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	} else if (!ret) {
		h->pending = true; /* added once curl returns */
	}
	if (ret) {
		call_destroy(c);
		return ret;
	}
	h->in_flight++;
	if (out)
		*out = c;
	return 0;
}

void pt_http_cancel(struct pt_http_call *c)
{
	struct pt_http *h;

	if (!c || c->finishing || c->cancelled)
		return;
	h = c->h;
	c->cancelled = true;
	h->in_flight--;
	if (h->in_curl) {
		h->pending = true; /* removed once curl returns */
		return;
	}
	call_destroy(c);
}

size_t pt_http_in_flight(const struct pt_http *h)
{
	return h->in_flight;
}

const char *pt_http_server(const struct pt_http *h)
{
	return h->cfg->server;
}

/* ---- client ------------------------------------------------------------- */

/*
 * With tls_server_name, requests go to https://<tls_server_name>:<port> so
 * that curl sends it as SNI and verifies the certificate against it, and
 * CONNECT_TO maps that name to the real host. The Host header stays the
 * real one, as client-go sends it.
 */
static int setup_url(struct pt_http *h, char *err, size_t errlen)
{
	struct pt_kube_config *cfg = h->cfg;
	char *host = NULL, *port = NULL, *explicit_port = NULL, *url = NULL, *line = NULL;
	CURLU *u = curl_url();
	CURLUcode uc;
	int ret = -EINVAL;
	size_t len;

	if (!u)
		return -ENOMEM;
	uc = curl_url_set(u, CURLUPART_URL, cfg->server, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (uc) {
		pt_seterr(err, errlen, "API server URL %s: %s", cfg->server, curl_url_strerror(uc));
		goto out;
	}
	if (cfg->tls_server_name && *cfg->tls_server_name) {
		const char *name = cfg->tls_server_name;
		bool v6 = strchr(name, ':') && name[0] != '[';

		if (curl_url_get(u, CURLUPART_PORT, &explicit_port, 0))
			explicit_port = NULL;
		if (asprintf(&h->host_header, "Host: %s%s%s", host, explicit_port ? ":" : "",
			     explicit_port ? explicit_port : "") < 0) {
			h->host_header = NULL;
			ret = -ENOMEM;
			goto out;
		}
		if (asprintf(&line, "%s%s%s:%s:%s:%s", v6 ? "[" : "", name, v6 ? "]" : "", port,
			     host, port) < 0) {
			line = NULL;
			ret = -ENOMEM;
			goto out;
		}
		h->connect_to = curl_slist_append(NULL, line);
		if (!h->connect_to) {
			ret = -ENOMEM;
			goto out;
		}
		free(line);
		if (asprintf(&line, "%s%s%s", v6 ? "[" : "", name, v6 ? "]" : "") < 0) {
			line = NULL;
			ret = -ENOMEM;
			goto out;
		}
		uc = curl_url_set(u, CURLUPART_HOST, line, 0);
		if (uc) {
			pt_seterr(err, errlen, "tls-server-name %s: %s", name,
				  curl_url_strerror(uc));
			goto out;
		}
	}
	uc = curl_url_get(u, CURLUPART_URL, &url, 0);
	if (uc) {
		pt_seterr(err, errlen, "API server URL %s: %s", cfg->server, curl_url_strerror(uc));
		goto out;
	}
	/* Paths are appended: drop the '/' curl adds for an empty path. */
	len = strlen(url);
	while (len && url[len - 1] == '/')
		url[--len] = '\0';
	h->base_url = strdup(url);
	ret = h->base_url ? 0 : -ENOMEM;
out:
	if (ret == -ENOMEM)
		pt_seterr(err, errlen, "out of memory");
	free(line);
	curl_free(url);
	curl_free(host);
	curl_free(port);
	curl_free(explicit_port);
	curl_url_cleanup(u);
	return ret;
}

static int setup_multi(struct pt_http *h, long max_conns, char *err, size_t errlen)
{
	CURLMcode mc = CURLM_OK;

	h->multi = curl_multi_init();
	h->share = curl_share_init();
	if (!h->multi || !h->share) {
		pt_seterr(err, errlen, "curl_multi_init: out of memory");
		return -ENOMEM;
	}
	/* Resumed TLS sessions make reconnecting after a drop cheaper. */
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	mc = curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	if (!mc)
		mc = curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	if (!mc)
		mc = curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	if (!mc)
		mc = curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	if (!mc)
		mc = curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	if (!mc)
		mc = curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_conns);
	if (!mc)
		mc = curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_conns);
	if (!mc)
		mc = curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, max_conns);
	if (mc) {
		pt_seterr(err, errlen, "curl_multi_setopt: %s", curl_multi_strerror(mc));
		return -EINVAL;
	}
	return 0;
}

/* Try the per-client options once, so a bad TLS setup fails here, not per call. */
static int check_client_opts(struct pt_http *h, char *err, size_t errlen)
{
	const char *failed = "curl_easy_init";
	CURL *e = curl_easy_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	if (e) {
		failed = NULL;
		rc = set_client_opts(h, e, &failed);
		curl_easy_cleanup(e);
	}
	if (rc == CURLE_OK)
		return 0;
	pt_seterr(err, errlen, "API server %s: libcurl %s: %s", h->cfg->server,
		  failed ? failed : "setup", curl_easy_strerror(rc));
	return rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -ENOTSUP;
}

int pt_http_new(struct pt_loop *loop, struct pt_kube_config *cfg,
		const struct pt_http_options *opts, struct pt_http **out, char *err, size_t errlen)
{
	static const struct pt_http_options defaults;
	const curl_version_info_data *vi;
	struct pt_http *h;
	long max_conns;
	int ret;

	if (!opts)
		opts = &defaults;
	if (!cfg->server || !*cfg->server) {
		pt_seterr(err, errlen, "no API server URL in %s",
			  cfg->origin ? cfg->origin : "config");
		return -EINVAL;
	}
	if (cfg->insecure_skip_tls_verify && !opts->allow_insecure) {
		pt_seterr(err, errlen,
			  "%s: insecure-skip-tls-verify is set; refusing to talk to %s without "
			  "verifying its certificate (configure its CA instead)",
			  cfg->origin ? cfg->origin : "config", cfg->server);
		return -EPERM;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		pt_seterr(err, errlen, "curl_global_init failed");
		return -ENOMEM;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		curl_global_cleanup();
		pt_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	h->loop = loop;
	h->cfg = cfg;
	h->epfd = -1;
	h->timerfd = -1;
	h->insecure = cfg->insecure_skip_tls_verify;
	h->max_body = opts->max_body_bytes ? opts->max_body_bytes : PT_HTTP_MAX_BODY_DEFAULT;
	h->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
							     : PT_HTTP_CONNECT_TIMEOUT_DEFAULT;
	max_conns = opts->max_connections > 0 ? opts->max_connections : PT_HTTP_MAX_CONNS_DEFAULT;
	vi = curl_version_info(CURLVERSION_NOW);
	h->have_h2 = vi && (vi->features & CURL_VERSION_HTTP2);
	h->user_agent = strdup(opts->user_agent ? opts->user_agent : PT_HTTP_USER_AGENT_DEFAULT);
	h->auth_size = strlen(AUTH_PREFIX) + PT_TOKEN_MAX + 1;
	h->auth = malloc(h->auth_size);
	if (!h->user_agent || !h->auth) {
		pt_seterr(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	/* The fds first: curl calls back into them from curl_multi_cleanup(). */
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		ret = -errno;
		pt_seterr(err, errlen, "epoll_create1: %s", strerror(errno));
		goto fail;
	}
	h->timerfd = pt_timer_new();
	if (h->timerfd < 0) {
		ret = h->timerfd;
		pt_seterr(err, errlen, "timerfd_create: %s", strerror(-ret));
		goto fail;
	}
	ret = setup_url(h, err, errlen);
	if (!ret)
		ret = setup_multi(h, max_conns, err, errlen);
	if (!ret)
		ret = check_client_opts(h, err, errlen);
	if (ret)
		goto fail;
	ret = pt_loop_add(loop, h->epfd, EPOLLIN, on_sockets, h);
	if (!ret) {
		ret = pt_loop_add(loop, h->timerfd, EPOLLIN, on_timer, h);
		if (ret)
			pt_loop_remove(loop, h->epfd);
	}
	if (ret) {
		pt_seterr(err, errlen, "registering with the event loop: %s", strerror(-ret));
		goto fail;
	}
	*out = h;
	return 0;
fail:
	h->loop = NULL; /* not registered */
	pt_http_free(h);
	return ret;
}

void pt_http_free(struct pt_http *h)
{
	if (!h)
		return;
	while (h->calls)
		call_destroy(h->calls);
	/* curl_multi_cleanup() still calls the socket and timer callbacks. */
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->share)
		curl_share_cleanup(h->share);
	if (h->loop) {
		pt_loop_remove(h->loop, h->epfd);
		pt_loop_remove(h->loop, h->timerfd);
	}
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->timerfd >= 0)
		close(h->timerfd);
	curl_slist_free_all(h->connect_to);
	free(h->base_url);
	free(h->host_header);
	free(h->user_agent);
	if (h->auth)
		explicit_bzero(h->auth, h->auth_size);
	free(h->auth);
	free(h);
	curl_global_cleanup();
}
