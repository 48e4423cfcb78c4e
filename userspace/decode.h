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

#endif
