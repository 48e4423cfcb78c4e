/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Incremental parser for the body of a Kubernetes watch response: JSON
 * objects {"type": "...", "object": {...}} one after the other (newline
 * separated or not), arriving in chunks cut anywhere. Each complete event is
 * handed to a callback. A bare metav1 Status as the body (an HTTP error such
 * as 410 Gone sent instead of a stream) is reported as an ERROR event, so
 * the caller handles both the same way.
 */
#ifndef PODTRAIL_K8S_WATCH_STREAM_H
#define PODTRAIL_K8S_WATCH_STREAM_H

#include <stddef.h>

struct json_object;
struct pt_watch_stream;

enum pt_watch_type {
	PT_WATCH_ADDED = 1,
	PT_WATCH_MODIFIED,
	PT_WATCH_DELETED,
	PT_WATCH_BOOKMARK,
	PT_WATCH_ERROR, /* object is a metav1 Status (see pt_status_from_json) */
};

/*
 * Called once per event. @object is borrowed: it is freed after the call
 * returns; take a json_object_get() reference to keep it. Return 0 to go on,
 * or a negative errno to stop: pt_watch_stream_feed() then returns it and
 * the stream stays stopped until reset.
 */
typedef int (*pt_watch_cb)(void *ctx, enum pt_watch_type type, struct json_object *object);

/*
 * @max_object_bytes bounds one event's JSON text (and so the memory spent
 * on it); 0 picks PT_WATCH_DEFAULT_MAX. Returns NULL on allocation failure.
 */
#define PT_WATCH_DEFAULT_MAX (16u << 20)
struct pt_watch_stream *pt_watch_stream_new(size_t max_object_bytes, pt_watch_cb cb, void *ctx);

/*
 * Feed the next @len bytes of the body. Returns 0 (events were delivered,
 * a partial one is kept for the next call), -EBADMSG when the bytes are not a
 * watch stream (see pt_watch_stream_error()), -E2BIG when one event exceeds
 * the bound, or the callback's error. After an error every feed returns the
 * same error: drop the connection, reset and start a new watch.
 */
int pt_watch_stream_feed(struct pt_watch_stream *ws, const char *buf, size_t len);

/*
 * Call at end of body. Returns 0 if the body ended between events, or
 * -EBADMSG if it ended inside one (a truncated event is never delivered).
 */
int pt_watch_stream_finish(struct pt_watch_stream *ws);

/* What went wrong, for the log: "" while all is well. */
const char *pt_watch_stream_error(const struct pt_watch_stream *ws);

/* Events delivered since the last reset. */
size_t pt_watch_stream_events(const struct pt_watch_stream *ws);

/* Forget any partial event and error, for a new connection. */
void pt_watch_stream_reset(struct pt_watch_stream *ws);

void pt_watch_stream_free(struct pt_watch_stream *ws);

/* "ADDED", ..., for logs; "?" for anything else. */
const char *pt_watch_type_name(enum pt_watch_type type);

#endif /* PODTRAIL_K8S_WATCH_STREAM_H */
