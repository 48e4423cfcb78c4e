/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who sent the signal a process died of, learnt where signals are sent on
 * purpose: the kill family of system calls. A target is named there as its
 * sender sees it (a pid, a process group or every process, in the sender's
 * pid namespace), so that is the key; at exit the dying process looks itself
 * up under each of the names it has in its namespace and their ancestors.
 * Nothing runs for the SIGCHLD every exit sends.
 */
#ifndef PODTRAIL_BPF_SENDERS_H
#define PODTRAIL_BPF_SENDERS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "maps.h"

/* The initial pid namespace's inode number (PROC_PID_INIT_INO), the same on every kernel. */
#define PID_NS_INIT_INUM 0xEFFFFFFCU
/* Namespace levels a dying process looks itself up in: the host's, a pod's, one nested. */
#define SENDER_LEVELS 3

/* How long after it was sent a signal may still be what a process died of. */
#define SENDER_MAX_AGE_NS (10ULL * 1000000000ULL)

/* Filesystems a pidfd_send_signal() file may come from. */
#define ANON_INODE_FS_MAGIC 0x09041934
#define PIDFS_MAGIC	    0x50494446
#define PROC_SUPER_MAGIC    0x9fa0

/*
 * Signal n was ever remembered for some target: a byte each, only ever set
 * to 1, so plain stores do. Set before the entry is stored, so an exit that
 * finds it clear cannot find an entry either. Nobody sends a fault signal
 * (SIGSEGV, SIGBUS, ...) on most nodes: a crash then makes no look-up.
 */
__u8 signal_ever_sent[64] = {};

static __always_inline void note_signal_sent(int sig)
{
	signal_ever_sent[sig & 63] = 1;
}

/* Could the map hold a sender of @sig (0: of a stop signal in @stop_mask)? */
static __always_inline bool sender_possible(int sig, __u64 stop_mask)
{
	if (sig)
		return signal_ever_sent[sig & 63];
	/* Unrolled: the stop signals are SIGINT, SIGQUIT and SIGTERM. */
	return ((stop_mask & (1ULL << 2)) && signal_ever_sent[2]) ||
	       ((stop_mask & (1ULL << 3)) && signal_ever_sent[3]) ||
	       ((stop_mask & (1ULL << 15)) && signal_ever_sent[15]);
}

/* @pid's number and namespace at @level (no check that @level <= pid->level). */
static __always_inline void upid_at(struct pid *pid, unsigned int level, __s32 *nr, __u32 *ns_inum)
{
	__u64 off = bpf_core_field_offset(struct pid, numbers) +
		    (__u64)level * bpf_core_type_size(struct upid);
	struct upid u = {};

	bpf_probe_read_kernel(&u, sizeof(u), (void *)pid + off);
	*nr = u.nr;
	*ns_inum = level ? BPF_CORE_READ(u.ns, ns.inum) : PID_NS_INIT_INUM;
}

/* The key for @nr (> 0 a pid, < -1 a process group, -1 every process) as @sender sees it. */
static __always_inline bool sender_key(struct task_struct *sender, __s32 nr,
				       struct pt_sender_key *key)
{
	struct pid *own = BPF_CORE_READ(sender, thread_pid);
	unsigned int level = BPF_CORE_READ(own, level);
	__s32 ignored;

	if (level > 32)
		return false;
	if (nr == 0) {
		/*
		 * kill(0, sig): the sender's own process group, named in its
		 * innermost namespace (an inherited group may have no number
		 * in the sender's); the exit side looks there too.
		 */
		struct pid *pgrp = BPF_CORE_READ(sender, signal, pids[PIDTYPE_PGID]);
		unsigned int pgrp_level = pgrp ? BPF_CORE_READ(pgrp, level) : 33;

		if (pgrp_level > 32)
			return false;
		upid_at(pgrp, pgrp_level, &nr, &key->ns_inum);
		key->nr = -nr;
		return nr > 0;
	}
	upid_at(own, level, &ignored, &key->ns_inum);
	key->nr = nr == -1 ? PT_SENDER_ALL : nr;
	return true;
}

/* The struct pid behind @fd of the current task: a pidfd, or a /proc/<pid> directory. */
static __always_inline struct pid *pid_of_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	struct inode *inode;
	unsigned long magic;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return NULL;
	inode = BPF_CORE_READ(file, f_inode);
	magic = BPF_CORE_READ(inode, i_sb, s_magic);
	if (magic == PIDFS_MAGIC)
		return BPF_CORE_READ(inode, i_private);
	if (magic == ANON_INODE_FS_MAGIC)
		return BPF_CORE_READ(file, private_data);
	if (magic == PROC_SUPER_MAGIC) {
		struct proc_inode *pi =
		    (void *)inode - bpf_core_field_offset(struct proc_inode, vfs_inode);

		return BPF_CORE_READ(pi, pid);
	}
	return NULL;
}

/*
 * Does @k say who sent @sig to a process that started at @start_ns? A dying
 * process takes the sender of the signal it died of, sent in the last
 * SENDER_MAX_AGE_NS; one that exited by itself, a stop signal it was sent
 * (it obeyed it: the runtime's SIGTERM, however long ago).
 */
static __always_inline bool sender_matches(const struct pt_killer *k, int sig, __u64 start_ns,
					   __u64 stop_mask)
{
	if (!k || k->ktime_ns < start_ns)
		return false;
	if (!sig)
		return ((1ULL << (k->sig & 63)) & stop_mask) != 0;
	/*
	 * A signal kills within moments of being sent. An older one of the
	 * same number was handled or blocked: a later death by that signal
	 * (a fault, a parent-death signal) is not its doing.
	 */
	return k->sig == sig && bpf_ktime_get_ns() - k->ktime_ns < SENDER_MAX_AGE_NS;
}

/* Take the entry under @key when it names the sender; @consume: a process's own key, used up. */
static __always_inline bool take_sender(struct pt_sender_key *key, int sig, __u64 start_ns,
					__u64 stop_mask, bool consume, struct pt_killer *out)
{
	struct pt_killer *k = bpf_map_lookup_elem(&killers, key);

	if (!sender_matches(k, sig, start_ns, stop_mask))
		return false;
	__builtin_memcpy(out, k, sizeof(*out));
	if (consume)
		bpf_map_delete_elem(&killers, key);
	return true;
}

/*
 * The sender of @sig (0: of a stop signal) to @task, a process that started
 * at @start_ns: under its pid, then its thread's, its process group's, and
 * "every process", at each of its namespace levels (unrolled: old verifiers).
 */
static __always_inline bool find_sender(struct task_struct *task, int sig, __u64 start_ns,
					__u64 stop_mask, struct pt_killer *out)
{
	unsigned int level, pg_level;
	__u32 ns[SENDER_LEVELS] = {};
	struct pt_sender_key key;
	struct pid *tg, *th, *pg;

	if (!sender_possible(sig, stop_mask))
		return false;
	tg = BPF_CORE_READ(task, group_leader, thread_pid);
	th = BPF_CORE_READ(task, thread_pid);
	pg = BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID]);
	level = tg ? BPF_CORE_READ(tg, level) : 0;
	pg_level = pg ? BPF_CORE_READ(pg, level) : 0;
	if (!tg)
		return false;
	for (unsigned int i = 0; i < SENDER_LEVELS; i++) {
		if (i > level)
			break;
		upid_at(tg, i, &key.nr, &key.ns_inum);
		ns[i] = key.ns_inum;
		if (take_sender(&key, sig, start_ns, stop_mask, true, out))
			return true;
		if (th && th != tg) {
			upid_at(th, i, &key.nr, &key.ns_inum);
			if (take_sender(&key, sig, start_ns, stop_mask, true, out))
				return true;
		}
	}
	for (unsigned int i = 0; i < SENDER_LEVELS; i++) {
		if (!pg || i > pg_level || i > level)
			break;
		upid_at(pg, i, &key.nr, &key.ns_inum);
		key.nr = -key.nr;
		if (take_sender(&key, sig, start_ns, stop_mask, false, out))
			return true;
	}
	for (unsigned int i = 0; i < SENDER_LEVELS; i++) {
		if (i > level)
			break;
		key.ns_inum = ns[i];
		key.nr = PT_SENDER_ALL;
		if (take_sender(&key, sig, start_ns, stop_mask, false, out))
			return true;
	}
	return false;
}

#endif
