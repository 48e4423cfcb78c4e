/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opens, configures, loads and attaches the BPF programs. Probes the kernel:
 * tp_btf programs where they load, classic tracepoints where they do not.
 * The cgroup programs are attached with the rest, before userspace walks
 * the hierarchies, so that no cgroup falls between the walk and them.
 */
#ifndef PODTRAIL_LOADER_H
#define PODTRAIL_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "podtrail/record.h"

enum pt_attach_mode {
	PT_ATTACH_AUTO = 0,
	PT_ATTACH_BTF,	      /* tp_btf only: fail if it does not load */
	PT_ATTACH_TRACEPOINT, /* classic tracepoints only */
};

/* Where the senders of signals are learnt. */
enum pt_senders_mode {
	PT_SENDERS_AUTO = 0,	    /* the kill family where its tracepoints exist */
	PT_SENDERS_SYSCALLS,	    /* the kill family only: fail without them */
	PT_SENDERS_SIGNAL_GENERATE, /* signal_generate: also runs for every SIGCHLD */
};

struct pt_loader_config {
	const char *sandbox_names[PT_MAX_SANDBOX_NAMES];
	size_t nr_sandbox_names;
	char daemon_names[PT_MAX_DAEMON_NAMES][PT_COMM_LEN]; /* clean exits sent too */
	size_t nr_daemon_names;
	char shim_names[PT_MAX_SHIM_NAMES][PT_COMM_LEN]; /* exits name their first child */
	size_t nr_shim_names;
	uint64_t wakeup_interval_ns;
	uint32_t ringbuf_bytes; /* a power of two, at least one page; 0: by the CPUs */
	/* v1 hierarchy of the memory controller: its cgroups and v2's are sent; UINT32_MAX: all. */
	uint32_t memory_hierarchy_id;
	enum pt_attach_mode mode;
	enum pt_senders_mode senders;
};

struct pt_loader;

/*
 * Load and attach. On failure returns -errno and writes a one-line
 * diagnosis (what is missing: BTF, a privilege, tracefs) to @err.
 */
int pt_loader_open(const struct pt_loader_config *cfg, struct pt_loader **out, char *err,
		   size_t errlen);
int pt_loader_ringbuf_fd(const struct pt_loader *l);
/* The ring buffer's size in bytes, as loaded. */
uint32_t pt_loader_ringbuf_bytes(const struct pt_loader *l);
/* Which flavour was attached: "tp_btf" or "tracepoint". */
const char *pt_loader_flavour(const struct pt_loader *l);
/* Where signal senders are learnt: "kill-family system calls" or "signal_generate". */
const char *pt_loader_senders(const struct pt_loader *l);
/* Where the reader tells the programs until when it polls (CLOCK_MONOTONIC ns). */
volatile uint64_t *pt_loader_polling_until(const struct pt_loader *l);
/*
 * Userspace walked the whole of hierarchy @slot (0: v2, 1: the v1 memory
 * one) and knows the cgroups made before the programs were attached: the
 * kernel may name them by id alone (bpf/cgroups.h).
 */
void pt_loader_cgroups_walked(struct pt_loader *l, size_t slot);
/* Sum the per-CPU counters into @out (indexed by enum pt_counter). */
int pt_loader_read_counters(const struct pt_loader *l, uint64_t out[PT_CNT__MAX]);
/* Detach the programs (the ring buffer stays readable until close). */
void pt_loader_detach(struct pt_loader *l);
void pt_loader_close(struct pt_loader *l);

#endif
