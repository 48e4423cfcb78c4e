// SPDX-License-Identifier: GPL-2.0
/*
 * SipHash-2-4-128 against known answers (key 00..0f, input 00..n-1, as in
 * the authors' test vectors; these were computed with OpenSSL's SIPHASH
 * MAC, an implementation independent of ours), and the LRU's use of it:
 * long keys that differ in one byte stay distinct entries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "k8s/lru.h"
#include "k8s/siphash.h"

static void hex_of(const uint64_t out[2], char hex[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", (unsigned)((out[i / 8] >> (8 * (i % 8))) & 0xff));
}

static void test_known_answers(void **state)
{
	static const struct {
		size_t len;
		const char *hex;
	} vectors[] = {
		{ 0, "A3817F04BA25A8E66DF67214C7550293" },
		{ 1, "DA87C1D86B99AF44347659119B22FC45" },
		{ 7, "A1F1EBBED8DBC153C0B84AA61FF08239" },
		{ 8, "3B62A9BA6258F5610F83E264F31497B4" },
		{ 15, "5493E99933B0A8117E08EC0F97CFC3D9" },
		{ 16, "6EE2A4CA67B054BBFD3315BF85230577" },
		{ 63, "5150D1772F50834A503E069A973FBD7C" },
	};
	uint8_t key[PT_SIPHASH_KEY_LEN], in[64];
	uint64_t out[2];
	char hex[33];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t)i;
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		pt_siphash128(key, in, vectors[v].len, out);
		hex_of(out, hex);
		assert_string_equal(hex, vectors[v].hex);
	}
}

/* The whole key counts, to its last byte: messages share long prefixes. */
static void test_lru_long_keys_differing_at_the_end(void **state)
{
	enum { N = 4096, LEN = 1000 };
	static char key[LEN];
	struct pt_lru *lru;
	bool found;
	void *v;

	memset(key, 'm', sizeof(key));
	assert_int_equal(pt_lru_new(N, sizeof(int), &lru), 0);
	for (int i = 0; i < N; i++) {
		snprintf(key + LEN - 8, 8, "%07d", i);
		assert_int_equal(pt_lru_upsert(lru, key, LEN, &v, &found), 0);
		assert_false(found);
		memcpy(v, &i, sizeof(i));
	}
	assert_int_equal(pt_lru_len(lru), N);
	for (int i = 0; i < N; i++) {
		int got;

		snprintf(key + LEN - 8, 8, "%07d", i);
		v = pt_lru_get(lru, key, LEN);
		assert_non_null(v);
		memcpy(&got, v, sizeof(got));
		assert_int_equal(got, i);
	}
	pt_lru_free(lru);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_lru_long_keys_differing_at_the_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
