/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Asynchronous HTTP(S) client for the Kubernetes API server: libcurl's multi
 * interface driven by the daemon's epoll loop. One struct pt_http per API
 * server shares connections (keep-alive, HTTP/2 multiplexing when the server
 * offers it); each request is a struct pt_http_call that ends with exactly one
 * on_done callback. No threads, no blocking network calls.
 *
 * How it sits in the loop: curl's sockets live in a private epoll set whose fd,
 * together with a timerfd for curl's timeouts, is what the client registers
 * with pt_loop. The loop therefore never sees curl open and close sockets, so
 * a socket closed while another one's event is being handled cannot leave a
 * stale entry in the loop's batch.
 *
 * TLS: the server certificate is always verified against the configured CA
 * (file or PEM data; only that CA, not the system store) or, with no CA
 * configured, the system trust store. The cluster's tls-server-name is the
 * name verified and sent as SNI: requests are addressed to that name and
 * CURLOPT_CONNECT_TO sends the connection to the server's real host and port,
 * while the Host header keeps the real host (as client-go does).
 * insecure-skip-tls-verify is refused unless pt_http_options.allow_insecure.
 * The cluster's proxy-url is used when set; otherwise curl honours
 * HTTPS_PROXY/NO_PROXY from the environment, as client-go does.
 *
 * Authentication: a client certificate and key (file or PEM data) and/or
 * "Authorization: Bearer" with pt_kube_config_token() read afresh for every
 * request, so rotated token files take effect. The token never appears in
 * messages, in the response or in curl's error text.
 *
 * libcurl global state: pt_http_new() calls curl_global_init() and
 * pt_http_free() the matching curl_global_cleanup(). libcurl counts these
 * (7.84+ makes them thread-safe), so main may call curl_global_init() too;
 * doing it once at start-up, before any thread exists, is still best.
 *
 * Not thread-safe: use one client from the loop's thread only.
 */
#ifndef PODTRAIL_K8S_HTTP_CLIENT_H
#define PODTRAIL_K8S_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include "version.h"

struct pt_loop;
struct pt_kube_config;
struct pt_http;
struct pt_http_call;

#define PT_HTTP_USER_AGENT_DEFAULT	"podtrail/" PODTRAIL_VERSION
#define PT_HTTP_MAX_BODY_DEFAULT	((size_t)64 << 20)
#define PT_HTTP_MAX_CONNS_DEFAULT	4
#define PT_HTTP_CONNECT_TIMEOUT_DEFAULT 10000 /* ms */
/* Bound on a buffered error body (metav1.Status) of a streaming call. */
#define PT_HTTP_STREAM_ERROR_BODY_MAX ((size_t)1 << 20)

/* Zero fields take the defaults above; a NULL options pointer means all defaults. */
struct pt_http_options {
	const char *user_agent; /* "podtrail/<version>" */
	/* Largest buffered body; a bigger one fails the call with
	 * CURLE_FILESIZE_EXCEEDED. Guards memory against a huge LIST. */
	size_t max_body_bytes;
	/*
	 * Connections to the server, at most. HTTP/1.1 needs one per request in
	 * flight (a watch holds one for its whole life), so keep this above the
	 * number of concurrent watches; requests beyond it wait in curl's queue.
	 * HTTP/2 multiplexes every request over one connection.
	 */
	long max_connections;
	long connect_timeout_ms;
	/* Honour the kubeconfig's insecure-skip-tls-verify. Without it such a
	 * configuration makes pt_http_new() fail. */
	bool allow_insecure;
};

struct pt_http_response {
	/* HTTP status, 0 if none arrived. Check transport_error first: a watch
	 * that stalls after its 200 has both. */
	long status;
	int transport_error; /* 0, or the CURLcode that ended the transfer */
	const char *error; /* text for transport_error ("SSL certificate problem: ..."), or NULL */
	const char *body;  /* buffered body, NUL-terminated, "" if none; see on_data */
	size_t body_len;
	long retry_after_s; /* Retry-After as seconds (from either form), -1 if absent */
	const char *url;    /* configured server + path, for messages */
	double total_s;	    /* from submit to completion, queueing included */
};

struct pt_http_request {
	const char *method; /* GET, POST, PUT, PATCH or DELETE */
	const char *path;   /* "/api/v1/..." including any query, appended to the server URL */
	const char *content_type; /* of the request body, or NULL */
	const char *body;	  /* copied by pt_http_submit(); may be NULL */
	size_t body_len;
	long timeout_ms; /* whole request, 0 = none (watches) */
	/* Fail (CURLE_OPERATION_TIMEDOUT) when no byte moves for this long,
	 * checked about once a second; 0 = off. Catches a stalled watch. */
	long low_speed_timeout_s;
	/*
	 * Streaming (watches): if set, called with each piece of a 2xx body as it
	 * arrives, and that body is not buffered. Return 0 to go on, or < 0 to
	 * stop the transfer: on_done then follows with transport_error
	 * CURLE_ABORTED_BY_CALLBACK. Non-2xx bodies are buffered (up to
	 * PT_HTTP_STREAM_ERROR_BODY_MAX) and handed to on_done, so the caller
	 * gets the Status object.
	 */
	int (*on_data)(void *ctx, const char *buf, size_t len);
	/*
	 * Optional: called once the final response's status and headers have
	 * arrived, before any body (a watch that is established but quiet).
	 * Runs inside curl: it may only record what it learnt.
	 */
	void (*on_response)(void *ctx, long status);
	/*
	 * Called exactly once per submitted call, from the loop (never from
	 * inside pt_http_submit()), unless the call was cancelled or the client
	 * freed first. @resp and everything it points to are valid only during
	 * the callback; the call handle is freed when it returns. Any status,
	 * including 4xx/5xx, arrives here with transport_error 0.
	 */
	void (*on_done)(void *ctx, const struct pt_http_response *resp);
	void *ctx;
};

/*
 * Create a client for @cfg's server. @cfg is borrowed (the token is re-read
 * from it for every request) and must outlive the client. Returns 0, or
 * -errno with a message in @err: -EPERM for insecure-skip-tls-verify without
 * allow_insecure, -EINVAL for a server URL curl cannot use, -ENOTSUP when
 * this libcurl lacks an option the configuration needs (e.g. PEM blobs),
 * -ENOMEM.
 */
int pt_http_new(struct pt_loop *loop, struct pt_kube_config *cfg,
		const struct pt_http_options *opts, struct pt_http **out, char *err, size_t errlen);

/*
 * Start a request. Returns 0 (on_done will follow), or -EINVAL (bad method or
 * a path not starting with '/'), -ENOMEM, or the -errno of reading the token
 * file; on error nothing was started and on_done is never called. May be
 * called from any callback, on_data and on_done included. @out, if not NULL,
 * receives the call handle, valid until on_done returns or until cancelled.
 */
int pt_http_submit(struct pt_http *h, const struct pt_http_request *req, struct pt_http_call **out);

/*
 * Stop a call and free it: neither on_data nor on_done is called for it
 * afterwards, so its ctx may be freed right away. Safe from any callback,
 * including the call's own on_data; a no-op from the call's own on_done.
 */
void pt_http_cancel(struct pt_http_call *call);

/* Calls submitted and neither done nor cancelled. */
size_t pt_http_in_flight(const struct pt_http *h);

/* The configured server URL, for messages. */
const char *pt_http_server(const struct pt_http *h);

/*
 * Abort everything in flight without calling on_done, unregister from the
 * loop and free. Not from inside a callback of this client. NULL is a no-op.
 */
void pt_http_free(struct pt_http *h);

#endif /* PODTRAIL_K8S_HTTP_CLIENT_H */
