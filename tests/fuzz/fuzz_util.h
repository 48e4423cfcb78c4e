/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer harnesses: the entry-point prototypes (the
 * project builds with -Wmissing-prototypes) and an assertion that reports
 * which invariant broke before it aborts, so libFuzzer saves the input.
 */
#ifndef PODTRAIL_FUZZ_UTIL_H
#define PODTRAIL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__,       \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Whether @s is NUL-terminated within its @size bytes. */
static inline int fuzz_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#define FUZZ_ASSERT_STR(arr)                                                                       \
	FUZZ_ASSERT(fuzz_terminated((arr), sizeof(arr)), "%s is not NUL-terminated", #arr)

/* The input as a C string in a buffer of exactly size + 1 bytes (ASan sees overreads). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
