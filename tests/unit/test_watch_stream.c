// SPDX-License-Identifier: GPL-2.0
/* Watch stream parsing: every way a body can be cut, and every way it can be wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "k8s/watch_stream.h"

#define MAX_EVENTS 16

struct capture {
	size_t n;
	enum pt_watch_type type[MAX_EVENTS];
	char *json[MAX_EVENTS];
	int stop_at; /* return an error from event number stop_at (1-based), 0: never */
};

static int on_event(void *ctx, enum pt_watch_type type, struct json_object *object)
{
	struct capture *c = ctx;

	assert_true(c->n < MAX_EVENTS);
	c->type[c->n] = type;
	c->json[c->n] = strdup(json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN));
	c->n++;
	if (c->stop_at && (int)c->n == c->stop_at)
		return -ECANCELED;
	return 0;
}

static void capture_clear(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->json[i]);
	memset(c, 0, sizeof(*c));
}

/*
 * Four events: UTF-8 of 2, 3 and 4 bytes, escapes (including a surrogate
 * pair), different separators, and two events with none between them.
 */
static const char stream[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"
    "{\"name\":\"caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac\",\"namespace\":\"default\","
    "\"uid\":\"0f9c1d2e-aaaa-4bbb-8ccc-123456789abc\",\"resourceVersion\":\"101\","
    "\"annotations\":{\"note\":\"rocket \xf0\x9f\x9a\x80 and \\ud83d\\ude80, tab\\t, "
    "quote \\\" backslash \\\\ \\u00e9\\/\"}},\"status\":{\"phase\":\"Pending\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
    "\"resourceVersion\":\"102\"},\"spec\":{\"containers\":[{\"name\":\"app\",\"args\":"
    "[\"-x\",\"\",null,true,false,1.5e3,-7]}]}}}\r\n  \t"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"
    "{\"resourceVersion\":\"12746\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}"
    "}}}"
    "{ \"type\" : \"DELETED\" , \"object\" : { \"kind\" : \"Pod\" , \"metadata\" : "
    "{ \"name\" : \"a\" , \"resourceVersion\" : \"103\" } } }\n";

static const enum pt_watch_type stream_types[] = { PT_WATCH_ADDED, PT_WATCH_MODIFIED,
						   PT_WATCH_BOOKMARK, PT_WATCH_DELETED };
#define STREAM_EVENTS (sizeof(stream_types) / sizeof(stream_types[0]))

/* The reference: the stream in one piece. */
static void reference(struct capture *ref)
{
	struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, ref);

	assert_non_null(ws);
	assert_int_equal(pt_watch_stream_feed(ws, stream, sizeof(stream) - 1), 0);
	assert_int_equal(pt_watch_stream_finish(ws), 0);
	assert_int_equal(pt_watch_stream_events(ws), STREAM_EVENTS);
	pt_watch_stream_free(ws);
	assert_int_equal(ref->n, STREAM_EVENTS);
	for (size_t i = 0; i < STREAM_EVENTS; i++)
		assert_int_equal(ref->type[i], stream_types[i]);
}

static void assert_same(const struct capture *a, const struct capture *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->type[i], b->type[i]);
		assert_string_equal(a->json[i], b->json[i]);
	}
}

static void test_whole_stream(void **state)
{
	struct capture ref = { 0 };
	struct json_object *o, *md, *name, *ann, *note;

	(void)state;
	reference(&ref);
	o = json_tokener_parse(ref.json[0]);
	assert_true(json_object_object_get_ex(o, "metadata", &md));
	assert_true(json_object_object_get_ex(md, "name", &name));
	assert_string_equal(json_object_get_string(name), "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac");
	assert_true(json_object_object_get_ex(md, "annotations", &ann));
	assert_true(json_object_object_get_ex(ann, "note", &note));
	assert_string_equal(json_object_get_string(note),
			    "rocket \xf0\x9f\x9a\x80 and \xf0\x9f\x9a\x80, tab\t, quote \" "
			    "backslash \\ \xc3\xa9/");
	json_object_put(o);
	assert_non_null(strstr(ref.json[2], "\"resourceVersion\":\"12746\""));
	capture_clear(&ref);
}

static void test_every_split_point(void **state)
{
	const size_t len = sizeof(stream) - 1;
	struct capture ref = { 0 }, got = { 0 };

	(void)state;
	reference(&ref);
	for (size_t i = 0; i <= len; i++) {
		struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);

		assert_int_equal(pt_watch_stream_feed(ws, stream, i), 0);
		assert_int_equal(pt_watch_stream_feed(ws, stream + i, len - i), 0);
		assert_int_equal(pt_watch_stream_finish(ws), 0);
		assert_same(&ref, &got);
		capture_clear(&got);
		pt_watch_stream_free(ws);
	}
	capture_clear(&ref);
}

/* Three pieces: every pair of cut points, on one reused (reset) parser. */
static void test_every_pair_of_split_points(void **state)
{
	const size_t len = sizeof(stream) - 1;
	struct capture ref = { 0 }, got = { 0 };
	struct pt_watch_stream *ws;

	(void)state;
	reference(&ref);
	ws = pt_watch_stream_new(0, on_event, &got);
	for (size_t i = 0; i <= len; i += 5) {
		for (size_t j = i; j <= len; j++) {
			pt_watch_stream_reset(ws);
			assert_int_equal(pt_watch_stream_feed(ws, stream, i), 0);
			assert_int_equal(pt_watch_stream_feed(ws, stream + i, j - i), 0);
			assert_int_equal(pt_watch_stream_feed(ws, stream + j, len - j), 0);
			assert_int_equal(pt_watch_stream_finish(ws), 0);
			assert_same(&ref, &got);
			capture_clear(&got);
		}
	}
	pt_watch_stream_free(ws);
	capture_clear(&ref);
}

static void test_byte_by_byte(void **state)
{
	const size_t len = sizeof(stream) - 1;
	struct capture ref = { 0 }, got = { 0 };
	struct pt_watch_stream *ws;

	(void)state;
	reference(&ref);
	ws = pt_watch_stream_new(0, on_event, &got);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(pt_watch_stream_feed(ws, stream + i, 1), 0);
		/* Empty feeds in between change nothing. */
		assert_int_equal(pt_watch_stream_feed(ws, stream + i + 1, 0), 0);
	}
	assert_int_equal(pt_watch_stream_finish(ws), 0);
	assert_same(&ref, &got);
	capture_clear(&got);
	capture_clear(&ref);
	pt_watch_stream_free(ws);
}

static void test_random_chunks(void **state)
{
	const size_t len = sizeof(stream) - 1;
	struct capture ref = { 0 }, got = { 0 };
	struct pt_watch_stream *ws;

	(void)state;
	reference(&ref);
	ws = pt_watch_stream_new(0, on_event, &got);
	srand(20240607);
	for (int round = 0; round < 2000; round++) {
		size_t off = 0;

		pt_watch_stream_reset(ws);
		while (off < len) {
			size_t n = (size_t)rand() % 40;

			if (n > len - off)
				n = len - off;
			assert_int_equal(pt_watch_stream_feed(ws, stream + off, n), 0);
			off += n;
		}
		assert_int_equal(pt_watch_stream_finish(ws), 0);
		assert_same(&ref, &got);
		capture_clear(&got);
	}
	capture_clear(&ref);
	pt_watch_stream_free(ws);
}

static const char status_410[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"too old resource version: 100 (2000)\",\"reason\":\"Expired\","
    "\"code\":410}";

static int64_t code_of(const char *json)
{
	struct json_object *o = json_tokener_parse(json), *code;
	int64_t v = -1;

	if (o && json_object_object_get_ex(o, "code", &code))
		v = json_object_get_int64(code);
	json_object_put(o);
	return v;
}

static void test_error_event_410(void **state)
{
	struct capture got = { 0 };
	struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);
	char body[1024];

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
		 "{\"resourceVersion\":\"5\"}}}\n{\"type\":\"ERROR\",\"object\":%s}\n",
		 status_410);
	assert_int_equal(pt_watch_stream_feed(ws, body, strlen(body)), 0);
	assert_int_equal(pt_watch_stream_finish(ws), 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.type[0], PT_WATCH_BOOKMARK);
	assert_int_equal(got.type[1], PT_WATCH_ERROR);
	assert_int_equal(code_of(got.json[1]), 410);
	assert_string_equal(pt_watch_stream_error(ws), "");
	capture_clear(&got);
	pt_watch_stream_free(ws);
}

/* A 410 (or 403...) answered with a plain Status instead of a stream. */
static void test_bare_status_body(void **state)
{
	struct capture got = { 0 };
	struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);
	size_t len = strlen(status_410);

	(void)state;
	for (size_t i = 0; i < len; i += 7)
		assert_int_equal(
		    pt_watch_stream_feed(ws, status_410 + i, len - i < 7 ? len - i : 7), 0);
	assert_int_equal(pt_watch_stream_finish(ws), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.type[0], PT_WATCH_ERROR);
	assert_int_equal(code_of(got.json[0]), 410);
	capture_clear(&got);
	pt_watch_stream_free(ws);
}

static void expect_bad(const char *body, size_t len, size_t want_events, const char *want_msg)
{
	struct capture got = { 0 };
	struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);

	assert_int_equal(pt_watch_stream_feed(ws, body, len), -EBADMSG);
	assert_int_equal(got.n, want_events);
	assert_non_null(strstr(pt_watch_stream_error(ws), want_msg));
	/* Sticky: the caller must reconnect. */
	assert_int_equal(pt_watch_stream_feed(ws, "{}", 2), -EBADMSG);
	assert_int_equal(pt_watch_stream_finish(ws), -EBADMSG);
	capture_clear(&got);
	pt_watch_stream_free(ws);
}

static void test_garbage(void **state)
{
	static const char ok[] = "{\"type\":\"ADDED\",\"object\":{}}\n";
	char body[256];

	(void)state;
	expect_bad("<html><body>502 Bad Gateway</body></html>", 41, 0, "byte 0");
	/* Events before the garbage are still delivered. */
	snprintf(body, sizeof(body), "%s%sxyz", ok, ok);
	expect_bad(body, strlen(body), 2, "byte 58");
	expect_bad("{\"type\":\"ADDED\",\"object\":{}},", 29, 1, "byte 28");
	expect_bad("{\"type\":\"ADDED\" \"object\":{}}", 28, 0, "watch stream");
	/* Not strict JSON: comments and single quotes. */
	expect_bad("/* hi */{\"type\":\"ADDED\",\"object\":{}}", 36, 0, "byte 0");
	expect_bad("{'type':'ADDED','object':{}}", 28, 0, "unexpected character");
}

static void test_bad_envelopes(void **state)
{
	(void)state;
	expect_bad("{\"type\":\"SYNC\",\"object\":{}}", 27, 0, "unknown event type \"SYNC\"");
	expect_bad("{\"type\":\"added\",\"object\":{}}", 28, 0, "unknown event type");
	expect_bad("{\"type\":7,\"object\":{}}", 22, 0, "\"type\" is not a string");
	expect_bad("{\"type\":\"ADDED\"}", 16, 0, "ADDED event without an object");
	expect_bad("{\"type\":\"DELETED\",\"object\":[]}", 30, 0, "without an object");
	expect_bad("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}", 38, 0, "(kind Pod)");
	expect_bad("[1,2]", 5, 0, "a JSON array");
	expect_bad("\"str\"", 5, 0, "a JSON string");
	expect_bad("null\n", 5, 0, "a JSON null");
}

static void test_invalid_utf8_and_control_bytes(void **state)
{
	static const char *const bad[] = {
		"\xc3\x28",	    /* missing continuation */
		"\xc0\x80",	    /* overlong NUL */
		"\xe0\x80\xaf",	    /* overlong '/' */
		"\xed\xa0\x80",	    /* UTF-16 surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\xff",
		"\x01", /* raw control byte */
	};
	char body[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct capture got = { 0 };
		struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);
		size_t len;
		int ret = 0;

		len =
		    (size_t)snprintf(body, sizeof(body),
				     "{\"type\":\"ADDED\",\"object\":{\"a\":\"x%sy\"}}\n", bad[i]);
		/* Byte by byte, so that the bad sequence is split too. */
		for (size_t j = 0; j < len && !ret; j++)
			ret = pt_watch_stream_feed(ws, body + j, 1);
		assert_int_equal(ret, -EBADMSG);
		assert_int_equal(got.n, 0);
		assert_non_null(strstr(pt_watch_stream_error(ws), "UTF-8"));
		pt_watch_stream_free(ws);
	}
	/* A NUL byte between events. */
	expect_bad("{\"type\":\"ADDED\",\"object\":{}}\n\0{}", 32, 1, "control byte 0x00");
}

static void make_event(char *buf, size_t size, size_t total)
{
	static const char head[] = "{\"type\":\"ADDED\",\"object\":{\"pad\":\"";
	static const char tail[] = "\"}}";
	size_t pad = total - (sizeof(head) - 1) - (sizeof(tail) - 1);

	assert_true(total < size);
	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 'x', pad);
	memcpy(buf + sizeof(head) - 1 + pad, tail, sizeof(tail));
}

static void test_oversize_event(void **state)
{
	struct capture got = { 0 };
	struct pt_watch_stream *ws = pt_watch_stream_new(256, on_event, &got);
	char ev[512];

	(void)state;
	/* Exactly at the bound, with separators around: fine. */
	make_event(ev, sizeof(ev), 256);
	assert_int_equal(pt_watch_stream_feed(ws, "\n\n", 2), 0);
	assert_int_equal(pt_watch_stream_feed(ws, ev, 256), 0);
	assert_int_equal(pt_watch_stream_feed(ws, "\n", 1), 0);
	assert_int_equal(pt_watch_stream_feed(ws, ev, 256), 0);
	assert_int_equal(got.n, 2);

	/* One byte more: refused, in one piece... */
	make_event(ev, sizeof(ev), 257);
	assert_int_equal(pt_watch_stream_feed(ws, ev, 257), -E2BIG);
	assert_non_null(strstr(pt_watch_stream_error(ws), "larger than 256 bytes"));
	assert_int_equal(pt_watch_stream_feed(ws, "{}", 2), -E2BIG);
	assert_int_equal(got.n, 2);

	/* ...or byte by byte, without holding more than the bound. */
	pt_watch_stream_reset(ws);
	make_event(ev, sizeof(ev), 400);
	for (size_t i = 0; i < 400; i++) {
		int ret = pt_watch_stream_feed(ws, ev + i, 1);

		if (i < 255)
			assert_int_equal(ret, 0);
		else
			assert_int_equal(ret, -E2BIG);
	}
	assert_int_equal(got.n, 2);
	capture_clear(&got);
	pt_watch_stream_free(ws);
}

static void test_truncated_body(void **state)
{
	struct capture got = { 0 };
	struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);

	(void)state;
	assert_int_equal(pt_watch_stream_feed(ws, stream, 100), 0);
	assert_int_equal(pt_watch_stream_finish(ws), -EBADMSG);
	assert_non_null(strstr(pt_watch_stream_error(ws), "ended inside the event at byte 0"));
	assert_int_equal(got.n, 0);

	pt_watch_stream_reset(ws);
	assert_string_equal(pt_watch_stream_error(ws), "");
	assert_int_equal(pt_watch_stream_feed(ws, "  \n\r\n\t", 6), 0);
	assert_int_equal(pt_watch_stream_finish(ws), 0);
	assert_int_equal(pt_watch_stream_events(ws), 0);
	capture_clear(&got);
	pt_watch_stream_free(ws);
}

static void test_callback_stops_stream(void **state)
{
	struct capture got = { .stop_at = 2 };
	struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);

	(void)state;
	assert_int_equal(pt_watch_stream_feed(ws, stream, sizeof(stream) - 1), -ECANCELED);
	assert_int_equal(got.n, 2);
	assert_non_null(strstr(pt_watch_stream_error(ws), "MODIFIED"));
	assert_int_equal(pt_watch_stream_feed(ws, stream, 10), -ECANCELED);
	assert_int_equal(got.n, 2);
	capture_clear(&got);
	pt_watch_stream_free(ws);
}

static void test_too_deep(void **state)
{
	struct capture got = { 0 };
	struct pt_watch_stream *ws = pt_watch_stream_new(0, on_event, &got);
	char body[512];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(body, sizeof(body), "{\"type\":\"ADDED\",\"object\":");
	for (int i = 0; i < 100; i++)
		body[n++] = '[';
	assert_int_equal(pt_watch_stream_feed(ws, body, n), -EBADMSG);
	assert_non_null(strstr(pt_watch_stream_error(ws), "nesting too deep"));
	capture_clear(&got);
	pt_watch_stream_free(ws);
}

struct keeper {
	struct json_object *kept;
};

static int keep_event(void *ctx, enum pt_watch_type type, struct json_object *object)
{
	struct keeper *k = ctx;

	(void)type;
	json_object_put(k->kept);
	k->kept = json_object_get(object);
	return 0;
}

/* A callback may keep the object past the call with its own reference. */
static void test_callback_keeps_reference(void **state)
{
	struct keeper k = { 0 };
	struct pt_watch_stream *ws = pt_watch_stream_new(0, keep_event, &k);
	struct json_object *md, *rv;

	(void)state;
	assert_int_equal(pt_watch_stream_feed(ws, stream, sizeof(stream) - 1), 0);
	pt_watch_stream_free(ws);
	assert_true(json_object_object_get_ex(k.kept, "metadata", &md));
	assert_true(json_object_object_get_ex(md, "resourceVersion", &rv));
	assert_string_equal(json_object_get_string(rv), "103");
	json_object_put(k.kept);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(pt_watch_type_name(PT_WATCH_ADDED), "ADDED");
	assert_string_equal(pt_watch_type_name(PT_WATCH_ERROR), "ERROR");
	assert_string_equal(pt_watch_type_name((enum pt_watch_type)0), "?");
	assert_string_equal(pt_watch_type_name((enum pt_watch_type)99), "?");
	assert_null(pt_watch_stream_new(0, NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_stream),
		cmocka_unit_test(test_every_split_point),
		cmocka_unit_test(test_every_pair_of_split_points),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_random_chunks),
		cmocka_unit_test(test_error_event_410),
		cmocka_unit_test(test_bare_status_body),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bad_envelopes),
		cmocka_unit_test(test_invalid_utf8_and_control_bytes),
		cmocka_unit_test(test_oversize_event),
		cmocka_unit_test(test_truncated_body),
		cmocka_unit_test(test_callback_stops_stream),
		cmocka_unit_test(test_too_deep),
		cmocka_unit_test(test_callback_keeps_reference),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
