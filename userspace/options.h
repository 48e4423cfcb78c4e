/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line flags and their PODTRAIL_* environment variables. */
#ifndef PODTRAIL_OPTIONS_H
#define PODTRAIL_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "loader.h"
#include "output.h"

struct pt_options {
	enum pt_output_format output;
	const char *kubeconfig;
	const char *node_name;
	bool standalone;
	char sandbox_names_buf[256];
	const char *sandbox_names[PT_MAX_SANDBOX_NAMES];
	size_t nr_sandbox_names;
	uint32_t ringbuf_bytes;
	uint64_t wakeup_interval_ns;
	enum pt_attach_mode attach;
	int verbose;
	bool help;
	bool version;
};

/*
 * Fill @opts from the environment, then @argv (flags win). Returns 0, or
 * -EINVAL after printing "podtrail: <what is wrong>" to @err.
 */
int pt_options_parse(int argc, char **argv, char **envp, struct pt_options *opts, FILE *err);
void pt_options_usage(FILE *f);

#endif
