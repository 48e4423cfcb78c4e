/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line flags and their PODTRAIL_* environment variables. */
#ifndef PODTRAIL_OPTIONS_H
#define PODTRAIL_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "k8s/runtime_meta.h"
#include "components.h"
#include "loader.h"
#include "output.h"

enum pt_help_format {
	PT_HELP_NONE = 0,
	PT_HELP_TEXT,	  /* --help */
	PT_HELP_MAN,	  /* --help=man: docs/podtrail.8 */
	PT_HELP_MARKDOWN, /* --help=markdown: README's table of flags */
};

struct pt_options {
	enum pt_output_format output;
	const char *kubeconfig;
	const char *node_name;
	bool standalone;
	char sandbox_names_buf[256];
	const char *node_components; /* more daemons, by process name; NULL: the table alone */
	const char *sandbox_names[PT_MAX_SANDBOX_NAMES];
	size_t nr_sandbox_names;
	uint32_t ringbuf_bytes;
	uint64_t wakeup_interval_ns;
	enum pt_attach_mode attach;
	enum pt_senders_mode senders;
	/* Kubernetes */
	const char *context;
	bool events_v1; /* events.k8s.io/v1 instead of core/v1 */
	uint64_t hold_ns;
	uint32_t hold_max;
	uint64_t pod_tombstone_ns; /* a deleted pod is kept this long for late events */
	uint32_t queue_size;
	uint32_t max_tries;
	uint32_t spam_burst;
	uint64_t spam_refill_ns; /* one token per ... */
	uint32_t aggregate_max;
	uint64_t aggregate_window_ns;
	uint64_t shutdown_grace_ns;
	const char *containerd_state;
	const char *crio_state;
	const char *crio_storage;
	const char *docker_root;
	bool no_runtime_metadata;
	bool insecure_skip_tls_verify;
	int verbose;
	int log_json;		     /* --log-format json */
	const char *metrics_address; /* NULL: off */
	enum pt_help_format help;
	bool version;
};

/*
 * Fill @opts from the environment, then @argv (flags win). Returns 0, or
 * -EINVAL after printing "podtrail: <what is wrong>" to @err.
 */
int pt_options_parse(int argc, char **argv, char **envp, struct pt_options *opts, FILE *err);
/* The option table as --help text, a man page or a Markdown table. */
void pt_options_usage(FILE *f, enum pt_help_format format);
/* The runtimes' state directories the flags name (defaults where they name none). */
void pt_options_runtime_dirs(const struct pt_options *o, struct pt_runtime_dirs *dirs);

#endif
