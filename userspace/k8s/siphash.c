// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "k8s/siphash.h"

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13) ^ s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17) ^ s->v2;
	s->v2 = rotl(s->v2, 32);
}

static void compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static uint64_t finish(struct sip_state *s, uint64_t mark)
{
	s->v2 ^= mark;
	for (int i = 0; i < 4; i++)
		sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

void pt_siphash128(const uint8_t key[PT_SIPHASH_KEY_LEN], const void *in, size_t len,
		   uint64_t out[2])
{
	const unsigned char *p = in;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	struct sip_state s = {
		.v0 = k0 ^ 0x736f6d6570736575ull,
		/* The 128-bit variant marks its start here and its end in finish(). */
		.v1 = k1 ^ 0x646f72616e646f6dull ^ 0xee,
		.v2 = k0 ^ 0x6c7967656e657261ull,
		.v3 = k1 ^ 0x7465646279746573ull,
	};
	unsigned char last[8] = { 0 };
	size_t whole = len - len % 8;

	for (size_t i = 0; i < whole; i += 8)
		compress(&s, load_le64(p + i));
	/* The tail, zero-padded, with the length's low byte on top. */
	if (len % 8)
		memcpy(last, p + whole, len % 8);
	last[7] = (unsigned char)len;
	compress(&s, load_le64(last));
	out[0] = finish(&s, 0xee);
	s.v1 ^= 0xdd;
	out[1] = finish(&s, 0);
}
