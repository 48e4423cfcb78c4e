/* SPDX-License-Identifier: GPL-2.0 */
/* Counters of API requests by verb and status, and a latency histogram, for /metrics. */
#ifndef PODTRAIL_K8S_API_STATS_H
#define PODTRAIL_K8S_API_STATS_H

#include <stddef.h>
#include <stdint.h>

#define PT_API_STATS_MAX       64
#define PT_API_LATENCY_BUCKETS 12

struct pt_api_request_count {
	char verb[8]; /* GET, LIST, WATCH, POST, PATCH, ... */
	long code;    /* HTTP status, 0 for a transport error */
	uint64_t count;
};

struct pt_api_stats {
	struct pt_api_request_count requests[PT_API_STATS_MAX];
	size_t n_requests;
	/* Upper bounds in seconds: pt_api_latency_bounds[]; the last bucket is +Inf. */
	uint64_t latency_buckets[PT_API_LATENCY_BUCKETS + 1];
	double latency_sum_s;
	uint64_t latency_count;
};

extern const double pt_api_latency_bounds[PT_API_LATENCY_BUCKETS];

void pt_api_stats_record(struct pt_api_stats *s, const char *verb, long code, double seconds);

#endif
