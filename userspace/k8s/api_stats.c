// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "k8s/api_stats.h"

const double pt_api_latency_bounds[PT_API_LATENCY_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

void pt_api_stats_record(struct pt_api_stats *s, const char *verb, long code, double seconds)
{
	size_t i, b;

	for (i = 0; i < s->n_requests; i++)
		if (s->requests[i].code == code && strcmp(s->requests[i].verb, verb) == 0)
			break;
	if (i == s->n_requests && s->n_requests < PT_API_STATS_MAX) {
		snprintf(s->requests[i].verb, sizeof(s->requests[i].verb), "%s", verb);
		s->requests[i].code = code;
		s->n_requests++;
	}
	if (i < s->n_requests)
		s->requests[i].count++;
	for (b = 0; b < PT_API_LATENCY_BUCKETS && seconds > pt_api_latency_bounds[b]; b++)
		;
	s->latency_buckets[b]++;
	s->latency_sum_s += seconds;
	s->latency_count++;
}
