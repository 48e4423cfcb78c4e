/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal streaming JSON writer for the hot output path: no allocation, no
 * tree. Bytes gather in the writer's own buffer, plain stores with no stdio
 * call per character, and go to the stream when it fills and at
 * pt_json_flush(). Strings are escaped per RFC 8259; bytes that are not
 * valid UTF-8 become U+FFFD, so every line parses.
 */
#ifndef PODTRAIL_JSON_WRITER_H
#define PODTRAIL_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pt_json {
	FILE *f;
	bool first; /* no member written yet at this level */
	size_t len; /* bytes in buf not yet written to f */
	char buf[2048];
};

void pt_json_begin(struct pt_json *j, FILE *f);
/* Hands what is gathered to the stream (fwrite): call it once the value is complete. */
void pt_json_flush(struct pt_json *j);
/* A raw character after the value, such as the newline that ends a line. */
void pt_json_raw_char(struct pt_json *j, char c);
/* "key": followed by an object; close it with pt_json_end_object. NULL key at top level. */
void pt_json_object(struct pt_json *j, const char *key);
void pt_json_end_object(struct pt_json *j);
void pt_json_str(struct pt_json *j, const char *key, const char *val); /* NULL/"" -> null */
void pt_json_int(struct pt_json *j, const char *key, int64_t val);
void pt_json_uint(struct pt_json *j, const char *key, uint64_t val);
void pt_json_bool(struct pt_json *j, const char *key, bool val);
void pt_json_null(struct pt_json *j, const char *key);

#endif
