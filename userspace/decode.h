/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PODTRAIL_DECODE_H
#define PODTRAIL_DECODE_H

#include <stddef.h>
#include "event.h"

/*
 * Decode one ring-buffer record of @size bytes. Returns 0, or -EBADMSG when
 * the record is too short, of an unknown kind or version, or its header
 * size disagrees with @size; @out is then unspecified.
 */
int pt_decode(const void *data, size_t size, struct pt_event *out);
/* The kind of a record (enum pt_record_kind), 0 when it has no whole header. */
int pt_record_kind(const void *data, size_t size);
/*
 * Decode a cgroup mkdir, rmdir or names record (the path of a names record
 * shaped from its names); 0 or -EBADMSG, as pt_decode().
 */
int pt_decode_cgroup(const void *data, size_t size, struct pt_cgroup_change *out);

#endif
