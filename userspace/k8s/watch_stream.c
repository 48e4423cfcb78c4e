// SPDX-License-Identifier: GPL-2.0
/*
 * Watch stream parsing on json-c's incremental tokener. json-c keeps the
 * partial object between calls; we add what it lacks for a long-lived
 * stream: a byte bound per event, UTF-8 validation that survives chunk
 * boundaries (JSON_TOKENER_VALIDATE_UTF8 fails on a sequence split between
 * two calls), and the watch envelope rules.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "k8s/watch_stream.h"

/* Deeper than any Pod (managedFields nest ~15 levels), and still bounded. */
#define WATCH_MAX_DEPTH 64
/* json_tokener_parse_ex() takes an int length. */
#define SLICE_MAX (1u << 30)

struct utf8_state {
	unsigned int need;    /* continuation bytes still expected */
	unsigned char lo, hi; /* allowed range of the next continuation byte */
};

struct pt_watch_stream {
	struct json_tokener *tok;
	size_t max;
	pt_watch_cb cb;
	void *ctx;
	bool in_event;	    /* the tokener holds part of an event */
	size_t event_bytes; /* bytes of the current event so far */
	uint64_t offset;    /* bytes of the body consumed, for messages */
	uint64_t event_start;
	struct utf8_state utf8;
	size_t events;
	int err; /* sticky until reset */
	char msg[256];
};

static const char *const type_names[] = {
	[PT_WATCH_ADDED] = "ADDED",	[PT_WATCH_MODIFIED] = "MODIFIED",
	[PT_WATCH_DELETED] = "DELETED", [PT_WATCH_BOOKMARK] = "BOOKMARK",
	[PT_WATCH_ERROR] = "ERROR",
};

const char *pt_watch_type_name(enum pt_watch_type type)
{
	if ((unsigned int)type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
		return type_names[type];
	return "?";
}

static int fail(struct pt_watch_stream *ws, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct pt_watch_stream *ws, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ws->msg, sizeof(ws->msg), fmt, ap);
	va_end(ap);
	ws->err = err;
	return err;
}

struct pt_watch_stream *pt_watch_stream_new(size_t max_object_bytes, pt_watch_cb cb, void *ctx)
{
	struct pt_watch_stream *ws;

	if (!cb)
		return NULL;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return NULL;
	ws->tok = json_tokener_new_ex(WATCH_MAX_DEPTH);
	if (!ws->tok) {
		free(ws);
		return NULL;
	}
	/* Strict JSON, and more than one object per buffer. */
	json_tokener_set_flags(ws->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	ws->max = max_object_bytes ? max_object_bytes : PT_WATCH_DEFAULT_MAX;
	ws->cb = cb;
	ws->ctx = ctx;
	return ws;
}

void pt_watch_stream_reset(struct pt_watch_stream *ws)
{
	json_tokener_reset(ws->tok);
	ws->in_event = false;
	ws->event_bytes = 0;
	ws->offset = 0;
	ws->event_start = 0;
	memset(&ws->utf8, 0, sizeof(ws->utf8));
	ws->events = 0;
	ws->err = 0;
	ws->msg[0] = '\0';
}

void pt_watch_stream_free(struct pt_watch_stream *ws)
{
	if (!ws)
		return;
	json_tokener_free(ws->tok);
	free(ws);
}

const char *pt_watch_stream_error(const struct pt_watch_stream *ws)
{
	return ws->msg;
}

size_t pt_watch_stream_events(const struct pt_watch_stream *ws)
{
	return ws->events;
}

/*
 * Checks @len bytes as a continuation of everything before them (RFC 3629:
 * no overlongs, surrogates or code points past U+10FFFF). Also refuses
 * control bytes, which JSON never allows raw. Returns the offset of the
 * first bad byte, or @len.
 */
static size_t utf8_scan(struct utf8_state *u, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (u->need) {
			if (c < u->lo || c > u->hi)
				return i;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			continue;
		}
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return i;
			continue;
		}
		u->lo = 0x80;
		u->hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			u->need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			u->need = 2;
			if (c == 0xe0)
				u->lo = 0xa0; /* overlong */
			else if (c == 0xed)
				u->hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			u->need = 3;
			if (c == 0xf0)
				u->lo = 0x90; /* overlong */
			else if (c == 0xf4)
				u->hi = 0x8f; /* past U+10FFFF */
		} else {
			return i;
		}
	}
	return len;
}

static bool is_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int parse_type(const char *s, enum pt_watch_type *out)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (type_names[i] && !strcmp(s, type_names[i])) {
			*out = (enum pt_watch_type)i;
			return 0;
		}
	}
	return -EBADMSG;
}

/* The "kind" of an object, or NULL. */
static const char *kind_of(struct json_object *obj)
{
	struct json_object *kind;

	if (!json_object_object_get_ex(obj, "kind", &kind) ||
	    !json_object_is_type(kind, json_type_string))
		return NULL;
	return json_object_get_string(kind);
}

/* Checks the envelope of one complete top-level value and delivers it. */
static int dispatch(struct pt_watch_stream *ws, struct json_object *ev)
{
	struct json_object *type, *object;
	const char *kind;
	enum pt_watch_type t;
	int ret;

	if (!json_object_is_type(ev, json_type_object))
		return fail(ws, -EBADMSG, "watch stream: byte %" PRIu64 ": a JSON %s, not an event",
			    ws->event_start, json_type_to_name(json_object_get_type(ev)));
	if (!json_object_object_get_ex(ev, "type", &type)) {
		kind = kind_of(ev);
		/* Not an event: a Status body (HTTP error) is reported as ERROR. */
		if (kind && !strcmp(kind, "Status")) {
			t = PT_WATCH_ERROR;
			object = ev;
			goto deliver;
		}
		return fail(ws, -EBADMSG,
			    "watch stream: byte %" PRIu64 ": object has no \"type\" (kind %.64s): "
			    "not a watch event",
			    ws->event_start, kind ? kind : "unknown");
	}
	if (!json_object_is_type(type, json_type_string))
		return fail(ws, -EBADMSG,
			    "watch stream: byte %" PRIu64 ": \"type\" is not a string",
			    ws->event_start);
	if (parse_type(json_object_get_string(type), &t))
		return fail(ws, -EBADMSG,
			    "watch stream: byte %" PRIu64 ": unknown event type \"%.32s\"",
			    ws->event_start, json_object_get_string(type));
	if (!json_object_object_get_ex(ev, "object", &object) ||
	    !json_object_is_type(object, json_type_object))
		return fail(ws, -EBADMSG,
			    "watch stream: byte %" PRIu64 ": %s event without an object",
			    ws->event_start, pt_watch_type_name(t));
deliver:
	ws->events++;
	ret = ws->cb(ws->ctx, t, object);
	if (ret < 0)
		return fail(ws, ret, "watch stream: stopped by the event handler after %s (%s)",
			    pt_watch_type_name(t), strerror(-ret));
	return 0;
}

/* Hands bytes of one event to the tokener; delivers the event if complete. */
static int feed_event(struct pt_watch_stream *ws, const char *buf, size_t len, size_t *used)
{
	size_t room = ws->max - ws->event_bytes;
	size_t n = len < room ? len : room;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t bad, check;
	int ret;

	if (n > SLICE_MAX)
		n = SLICE_MAX;
	obj = json_tokener_parse_ex(ws->tok, buf, (int)n);
	jerr = json_tokener_get_error(ws->tok);
	*used = json_tokener_get_parse_end(ws->tok);

	/*
	 * Validate what the tokener consumed and, on a syntax error, the byte
	 * it stopped at, so that binary junk is reported as such.
	 */
	check = *used;
	if (jerr != json_tokener_success && jerr != json_tokener_continue && check < n)
		check++;
	bad = utf8_scan(&ws->utf8, (const unsigned char *)buf, check);
	if (bad < check) {
		json_object_put(obj);
		return fail(ws, -EBADMSG,
			    "watch stream: byte %" PRIu64 ": invalid UTF-8 or control byte 0x%02x",
			    ws->offset + bad, (unsigned char)buf[bad]);
	}
	ws->offset += *used;
	ws->event_bytes += *used;

	if (obj) {
		ws->in_event = false;
		ret = dispatch(ws, obj);
		json_object_put(obj);
		return ret;
	}
	/* json-c gives a top-level null as NULL with success. */
	if (jerr == json_tokener_success)
		return fail(ws, -EBADMSG,
			    "watch stream: byte %" PRIu64 ": a JSON null, not an event",
			    ws->event_start);
	if (jerr != json_tokener_continue || *used != n)
		return fail(ws, -EBADMSG, "watch stream: byte %" PRIu64 ": %s (byte 0x%02x)",
			    ws->offset, json_tokener_error_desc(jerr),
			    *used < n ? (unsigned char)buf[*used] : 0);
	if (ws->event_bytes >= ws->max)
		return fail(ws, -E2BIG,
			    "watch stream: event at byte %" PRIu64 " is larger than %zu bytes",
			    ws->event_start, ws->max);
	return 0;
}

int pt_watch_stream_feed(struct pt_watch_stream *ws, const char *buf, size_t len)
{
	while (!ws->err && len) {
		size_t used;
		int ret;

		if (!ws->in_event) {
			/* Skip separators ourselves so they never count as an event. */
			while (len && is_json_ws(*buf)) {
				buf++;
				len--;
				ws->offset++;
			}
			if (!len)
				break;
			ws->in_event = true;
			ws->event_bytes = 0;
			ws->event_start = ws->offset;
		}
		ret = feed_event(ws, buf, len, &used);
		if (ret)
			return ret;
		buf += used;
		len -= used;
	}
	return ws->err;
}

int pt_watch_stream_finish(struct pt_watch_stream *ws)
{
	if (ws->err)
		return ws->err;
	if (ws->in_event)
		return fail(ws, -EBADMSG,
			    "watch stream: body ended inside the event at byte %" PRIu64
			    " (%zu bytes of it)",
			    ws->event_start, ws->event_bytes);
	return 0;
}
