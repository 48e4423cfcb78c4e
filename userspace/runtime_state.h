/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the container runtimes of this node record about each container
 * while it runs: the host pid of its main process (the one the runtime
 * started as the container), the pids of the processes it exec'd into it
 * (exec probes, kubectl exec), and the container's Kubernetes identity
 * (k8s/runtime_meta.h), which also says whether it is a pod sandbox.
 *
 * containerd removes a container's bundle 25-35 ms after its main process
 * exits, and an exec's pid file as soon as the exec ends: often before the
 * exit's record is read. So containerd's task directories are watched with
 * inotify and each file is read when the runtime writes it; a container's
 * facts are kept for a grace period after its bundle is gone, for late
 * records. CRI-O keeps its files until the container is removed: they are
 * read when a record asks for them.
 *
 *   containerd (and docker, whose containerd namespace is "moby"):
 *     <state>/io.containerd.runtime.v2.task/<namespace>/<id>/init.pid
 *     <state>/io.containerd.runtime.v2.task/<namespace>/<id>/<exec id>.pid
 *   CRI-O:
 *     <runroot>/overlay-containers/<id>/userdata/pidfile
 */
#ifndef PODTRAIL_RUNTIME_STATE_H
#define PODTRAIL_RUNTIME_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup_path.h"
#include "event_loop.h"
#include "k8s/runtime_meta.h"

#define PT_EXEC_COMMAND_MAX 128
/* A container's facts outlive its bundle by this much, for records read late. */
#define PT_RUNTIME_STATE_GRACE_NS (30ULL * 1000000000ULL)

enum pt_runtime_kind {
	PT_KIND_UNKNOWN = 0, /* the runtime's spec of the container was not read */
	PT_KIND_CONTAINER,   /* an ordinary container of a pod */
	PT_KIND_SANDBOX,     /* a pod sandbox (pause) */
};

/* The runtime's word on one process of one container. */
struct pt_runtime_answer {
	bool known;		   /* the runtime has (or had) a record of the container */
	enum pt_runtime_kind kind; /* from its spec's annotations */
	uint32_t main_pid;	   /* host pid of its main process; 0: not recorded */
	bool exec;		   /* the process was exec'd into the container by the runtime */
	char exec_command[PT_EXEC_COMMAND_MAX]; /* its command line, "" when unread */
};

struct pt_runtime_state_stats {
	uint64_t containers;  /* containers whose facts are kept now (a gauge) */
	uint64_t main_pids;   /* main pids read */
	uint64_t execs;	      /* exec'd processes seen */
	uint64_t read_errors; /* runtime files that could not be read or made no sense */
	uint64_t overflows;   /* inotify queue overflows (the directories were read again) */
	uint64_t table_full;  /* containers not tracked: the table was full */
};

struct pt_runtime_state;

/*
 * Start watching the runtimes' directories in @dirs (copied; roots that do
 * not exist yet are watched for as they appear). Returns 0 or -errno with
 * @err filled.
 */
int pt_runtime_state_new(struct pt_loop *loop, const struct pt_runtime_dirs *dirs,
			 struct pt_runtime_state **out, char *err, size_t errlen);
void pt_runtime_state_free(struct pt_runtime_state *s);

/*
 * What the runtime says about process @pid (a host pid) of container
 * @container_id (64 hex digits, from the cgroup path), which exited at
 * @exit_ns (CLOCK_MONOTONIC: what the runtime wrote before then is known).
 * @runtime narrows where to look (PT_RUNTIME_UNKNOWN: everywhere). Never
 * fails: an unknown container leaves @out->known false.
 */
void pt_runtime_state_ask(struct pt_runtime_state *s, const char *container_id,
			  enum pt_runtime runtime, uint32_t pid, uint64_t exit_ns,
			  struct pt_runtime_answer *out);

/*
 * The container's Kubernetes identity as its runtime recorded it, read once
 * and kept with the container's other facts. 0, or -errno as
 * pt_runtime_meta_lookup() with @err filled.
 */
int pt_runtime_state_meta(struct pt_runtime_state *s, const char *container_id,
			  struct pt_runtime_meta *out, char *err, size_t errlen);

/*
 * The container whose main process is host pid @pid (a shim's child: pause
 * or a container's main process): its id into @id. 0, or -ENOENT.
 */
int pt_runtime_state_container_of(struct pt_runtime_state *s, uint32_t pid,
				  char id[PT_CONTAINER_ID_LEN + 1]);

const struct pt_runtime_state_stats *pt_runtime_state_stats(const struct pt_runtime_state *s);

#endif
