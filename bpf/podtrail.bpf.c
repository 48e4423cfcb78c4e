// SPDX-License-Identifier: GPL-2.0
/*
 * podtrail's kernel side: process exits, fatal signals, OOM kills, and the
 * cgroups made and removed (so that exit records carry ids, not names).
 *
 * Each hook has a tp_btf program and a classic tracepoint twin; userspace
 * probes the kernel and loads one of each pair. Boring exits are counted in
 * a per-CPU map and never reach the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "podtrail/record.h"
#include "maps.h"
#include "task.h"
#include "cgroups.h"
#include "senders.h"

char LICENSE[] SEC("license") = "GPL";

/* Load-time settings (rodata), written by userspace before load. */
const volatile char sandbox_names[PT_MAX_SANDBOX_NAMES][PT_COMM_LEN] = { "pause" };
const volatile __u32 nr_sandbox_names = 1;
/* Node daemons (kubelet, containerd, ...): their clean exits are news too. */
const volatile char daemon_names[PT_MAX_DAEMON_NAMES][PT_COMM_LEN] = {};
const volatile __u32 nr_daemon_names = 0;
/* Runtime shims: their exit records name their first child. */
const volatile char shim_names[PT_MAX_SHIM_NAMES][PT_COMM_LEN] = {};
const volatile __u32 nr_shim_names = 0;
/* Bit n set: remember the sender of signal n (fatal by default action). */
const volatile __u64 fatal_signal_mask = 0;
/*
 * Senders come from the kill family of system calls (the signal_generate
 * programs are not loaded): a signal death with none was the kernel's doing.
 */
const volatile bool senders_from_syscalls = false;
/* Wake the reader at most once per interval per CPU; it polls shortly after. */
const volatile __u64 wakeup_interval_ns = 5000000;
const volatile __u64 page_size = 4096;

/* Written by the reader: it polls the ring until then, so no wake-up is needed. */
volatile __u64 reader_polling_until_ns = 0;

#define SIGKILL 9
/* si_code values: the kernel's own, and those the kill family gives. */
#define SI_KERNEL PT_SI_KERNEL
#define SI_USER	  0
#define SI_QUEUE  (-1)
#define SI_TKILL  (-6)

/* SIGINT, SIGQUIT, SIGTERM: what a runtime stops a container with. */
#define STOP_SIGNALS ((1ULL << 2) | (1ULL << 3) | (1ULL << 15))
/* Signals the kernel raises for a process's own fault (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS). */
#define FAULT_SIGNALS                                                                              \
	((1ULL << 4) | (1ULL << 5) | (1ULL << 7) | (1ULL << 8) | (1ULL << 11) | (1ULL << 31))
#define PF_EXITING    0x00000004
#define PF_FORKNOEXEC 0x00000040

static __always_inline struct pt_percpu_state *percpu(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&percpu_state, &cpu);
}

static __always_inline void count(struct pt_percpu_state *st, enum pt_counter c)
{
	if (st && c < PT_CNT__MAX)
		st->counters[c]++;
}

/*
 * Whether a name whose first 8 bytes (zero-padded) are @first8 may be one
 * the programs look for. Without the state every name may be: the lists
 * decide.
 */
static __always_inline bool name_may_match(const struct pt_percpu_state *st, __u64 first8)
{
	unsigned int slot = pt_name_slot(first8);

	return !st ||
	       (st->names_filter[(slot >> 6) & (PT_NAME_FILTER_WORDS - 1)] >> (slot & 63)) & 1;
}

/*
 * Waking the reader costs far more than the program itself, so ordinary
 * records wake it at most once per wakeup_interval_ns on each CPU. The
 * reader keeps polling for a while after every wake-up, so a record
 * submitted without one is still read within about three intervals; while it
 * says it is polling, nothing wakes it. OOM kills and sandbox deaths wake it
 * at once. @now is the record's own time: a clock read costs tens of ns
 * in a VM, and the record was made a few hundred ns before.
 */
static __always_inline __u64 submit_flags(struct pt_percpu_state *st, bool urgent, __u64 now)
{
	if (!st)
		return 0;
	if (!urgent &&
	    (now < reader_polling_until_ns || now - st->last_wakeup_ns < wakeup_interval_ns))
		return BPF_RB_NO_WAKEUP;
	st->last_wakeup_ns = now;
	st->counters[PT_CNT_WAKEUPS]++;
	return BPF_RB_FORCE_WAKEUP;
}

/* @comm is zero-padded, like the rodata names, so two words compare it. */
static __always_inline bool comm_in(const char *comm, const volatile char (*names)[PT_COMM_LEN],
				    __u32 nr, __u32 max)
{
	const __u64 *c = (const __u64 *)comm;

	for (__u32 n = 0; n < max && n < nr; n++) {
		const volatile __u64 *s = (const volatile __u64 *)names[n];

		if (c[0] == s[0] && c[1] == s[1])
			return true;
	}
	return false;
}

/* The tgid of @task's first child (a shim's: pause, or a container's main process); 0 if none. */
static __always_inline __u32 first_child_tgid(struct task_struct *task)
{
	struct list_head *head = (void *)task + bpf_core_field_offset(struct task_struct, children);
	struct list_head *first = BPF_CORE_READ(task, children.next);
	struct task_struct *child;

	if (!first || first == head)
		return 0;
	child = (void *)first - bpf_core_field_offset(struct task_struct, sibling);
	return BPF_CORE_READ(child, tgid);
}

/* A process, as exited_groups and shim_children know it: a reused pid is new. */
static __always_inline struct pt_exit_key process_key(struct task_struct *task)
{
	struct pt_exit_key key = { .tgid = BPF_CORE_READ(task, tgid),
				   .start_ns = BPF_CORE_READ(task, group_leader, start_time) };

	return key;
}

/* Threads of a dying process searched for its children: a Go shim has a dozen or two. */
#define MAX_THREADS_SEARCHED 32

/*
 * The first child of any thread of @task's process. Children belong to the
 * thread that forked or adopted them, and when a whole process is killed
 * each exiting thread hands its children to one not yet exiting: the
 * thread that reports the exit may hold none, while another still does.
 */
static __always_inline __u32 first_child_tgid_of_process(struct task_struct *task)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct list_head *head =
	    (void *)sig + bpf_core_field_offset(struct signal_struct, thread_head);
	struct list_head *pos = BPF_CORE_READ(sig, thread_head.next);
	__u32 tgid = first_child_tgid(task);

	for (int i = 0; i < MAX_THREADS_SEARCHED && !tgid && pos && pos != head; i++) {
		struct task_struct *t =
		    (void *)pos - bpf_core_field_offset(struct task_struct, thread_node);

		tgid = first_child_tgid(t);
		pos = BPF_CORE_READ(t, thread_node.next);
	}
	return tgid;
}

static __always_inline void fill_header(struct pt_record_header *hdr, __u16 kind, __u32 size)
{
	hdr->kind = kind;
	hdr->version = PT_RECORD_VERSION;
	hdr->size = size;
	hdr->ktime_ns = bpf_ktime_get_ns();
	hdr->flags = 0;
	hdr->_pad = 0;
}

/* ---- process exit -------------------------------------------------------- */

/* What decides whether an exit is worth a record, read as cheaply as each hook allows. */
struct exit_facts {
	__u32 exit_code;
	__u32 ns_pid;
	__u32 ns_level;
	__u32 nr_threads; /* threads not yet released: > 1 when several exit together */
};

/*
 * The first 8 bytes of @task's name (trusted pointer: a plain load), zero
 * from its terminating NUL on: older kernels leave a longer earlier name's
 * bytes after it.
 */
static __always_inline __u64 comm_first_word(struct task_struct *task)
{
	__u64 w = *(__u64 *)task->comm;
	__u64 zero = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;

	return zero ? w & (((zero & -zero) >> 7) - 1) : w;
}

/*
 * A task's parents lead to an idle task (pid 0), which never leaves the
 * host's namespaces: its nsproxy is init_nsproxy, the kernel's static one.
 * Returns that address, or 1 (no pointer) when the chain is longer than
 * anyone's, so that the search is not repeated.
 */
#define PARENT_CHAIN_MAX 64

static __noinline __u64 find_init_nsproxy(struct task_struct *task)
{
	struct nsproxy *ns;

	for (int i = 0; i < PARENT_CHAIN_MAX && task; i++) {
		if (task->pid == 0) {
			ns = task->nsproxy;
			if (ns && ns->pid_ns_for_children->ns.inum == PID_NS_INIT_INUM)
				return (__u64)ns;
			return 1;
		}
		task = task->real_parent;
	}
	return 1;
}

/*
 * Whether @task lives in the host's pid namespace, read from the namespace
 * its children would get. The two differ only after unshare(CLONE_NEWPID),
 * which makes the answer "no" and the full check run, or after a setns()
 * into the host's pid namespace from a container, which an unprivileged
 * container cannot do: that process's clean exit is taken for a host one.
 */
static __noinline bool on_host_slow(struct task_struct *task, struct pt_percpu_state *st)
{
	if (st && !st->init_nsproxy)
		st->init_nsproxy = find_init_nsproxy(task);
	return task->nsproxy->pid_ns_for_children->ns.inum == PID_NS_INIT_INUM;
}

/*
 * A task in all of the host's namespaces points at init_nsproxy, whose pid
 * namespace is the host's: the pointer alone answers. Following it costs a
 * miss where processes fork and exit on the other CPU, since each writes
 * the count on its line (about 30 ns a boring exit, measured); the
 * pointer's own line is the task's. (The level of the task's own struct
 * pid would answer too; its line is colder still.) Other tasks take the
 * full check.
 */
static __always_inline bool on_host_btf(struct task_struct *task, struct pt_percpu_state *st)
{
	__u64 ns = (__u64)task->nsproxy;

	if (st && ns && ns == st->init_nsproxy)
		return true;
	return on_host_slow(task, st);
}

/*
 * @task's whole name, zero-padded from its terminating NUL as the compares
 * need: two plain loads where the task pointer is trusted, else the helper.
 */
static __always_inline void read_comm(struct task_struct *task, bool btf, char *comm)
{
	__u64 *out = (__u64 *)comm;
	__u64 w, zero;

	if (!btf) {
		bpf_get_current_comm(comm, PT_COMM_LEN);
		return;
	}
	w = *(__u64 *)task->comm;
	zero = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
	if (zero) {
		out[0] = w & (((zero & -zero) >> 7) - 1);
		out[1] = 0;
		return;
	}
	out[0] = w;
	w = *(__u64 *)(task->comm + 8);
	zero = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
	out[1] = zero ? w & (((zero & -zero) >> 7) - 1) : w;
}

/*
 * tp_btf: the task pointer is trusted, so plain loads (no helper calls) read
 * it. Returns false for a thread exit that does not end its process.
 */
static __always_inline bool exit_facts_btf(struct task_struct *task, struct exit_facts *f)
{
	struct pid *pid;

	if (task->signal->live.counter != 0)
		return false;
	f->nr_threads = task->signal->nr_threads;
	f->exit_code = task->exit_code;
	pid = task->group_leader->thread_pid;
	f->ns_level = pid->level;
	/* Host processes (level 0) need no look at the pid's numbers[]. */
	f->ns_pid = f->ns_level ? task_ns_tgid(task, &f->ns_level) : task->tgid;
	return true;
}

/* Classic tracepoint: only the current task, read through CO-RE helpers. */
static __always_inline bool exit_facts_core(struct task_struct *task, struct exit_facts *f)
{
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return false;
	f->nr_threads = BPF_CORE_READ(task, signal, nr_threads);
	f->exit_code = BPF_CORE_READ(task, exit_code);
	f->ns_level = 0;
	f->ns_pid = task_ns_tgid(task, &f->ns_level);
	return true;
}

/*
 * A signal death no system call explains: the kernel sent it. A fault
 * signal is the process's own fault (PT_FLAG_KILLER_SELF: userspace names
 * the process itself, no bytes needed); a SIGKILL while the init of the
 * process's pid namespace exits is that namespace's teardown, sent in the
 * init's name as the kernel does. Otherwise the sender stays unnamed.
 * Returns the flags that say which.
 */
static __always_inline __u32 kernel_sent(struct task_struct *task, int sig,
					 struct pt_exit_record *rec)
{
	struct pt_killer *k = &rec->killer;
	struct task_struct *reaper;
	struct pid_namespace *ns;
	struct pid *tg;
	__u32 level;

	if (!sig)
		return 0;
	if ((1ULL << (sig & 63)) & FAULT_SIGNALS)
		return PT_FLAG_HAS_KILLER | PT_FLAG_KILLER_SELF;
	if (sig != SIGKILL || !rec->ns_level)
		return 0;
	tg = BPF_CORE_READ(task, group_leader, thread_pid);
	level = BPF_CORE_READ(tg, level);
	if (level > 32)
		return 0;
	{
		__u64 off = bpf_core_field_offset(struct pid, numbers) +
			    (__u64)level * bpf_core_type_size(struct upid) +
			    bpf_core_field_offset(struct upid, ns);

		bpf_probe_read_kernel(&ns, sizeof(ns), (void *)tg + off);
	}
	reaper = BPF_CORE_READ(ns, child_reaper);
	if (!reaper || BPF_CORE_READ(reaper, tgid) == rec->pid ||
	    !(BPF_CORE_READ(reaper, flags) & PF_EXITING))
		return 0;
	__builtin_memset(k, 0, sizeof(*k));
	k->ktime_ns = rec->hdr.ktime_ns;
	k->sig = sig;
	k->code = SI_KERNEL;
	k->pid = BPF_CORE_READ(reaper, pid);
	k->tgid = BPF_CORE_READ(reaper, tgid);
	BPF_CORE_READ_STR_INTO(&k->comm, reaper, comm);
	return PT_FLAG_HAS_KILLER;
}

/*
 * The names of @cgrp, which userspace cannot name from its id @id (one
 * older than the agent), in a record of their own sent before the record
 * that names the id. Nothing waits on it: no wake-up.
 */
static __always_inline void send_cgroup_names(struct pt_percpu_state *st, struct cgroup *cgrp,
					      __u64 id)
{
	struct pt_cgroup_names_record *rec;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(st, PT_CNT_RINGBUF_LOST);
		return;
	}
	fill_header(&rec->hdr, PT_RECORD_CGROUP_NAMES, sizeof(*rec));
	rec->cgroup.id = id;
	rec->cgroup.hierarchy_id = cgroup_hierarchy_of(cgrp);
	rec->cgroup.level = BPF_CORE_READ(cgrp, level);
	__builtin_memset(rec->names, 0, sizeof(rec->names));
	read_cgroup_names(cgrp, rec->names);
	count(st, PT_CNT_CGROUP_SENT);
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
}

/* Marked by the OOM killer: mark_oom_victim() sets oom_mm before its tracepoint. */
static __always_inline bool task_oom_marked(struct task_struct *task, bool btf)
{
	if (btf)
		return task->signal->oom_mm != NULL;
	return BPF_CORE_READ(task, signal, oom_mm) != NULL;
}

/* The exit record being made, on this CPU (exit programs do not nest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_exit_record_oom);
} exit_scratch SEC(".maps");

/*
 * The record of an exit worth sending: a pt_exit_record, without the killer
 * when none is named or it is the process itself, or with the OOM figures
 * when the OOM killer marked the process. A cgroup userspace cannot name
 * from its id is named in a record of its own first.
 *
 * The record is made in a per-CPU buffer and copied into the ring at the
 * end, at the size its kind has, so the verifier walks the sender look-ups
 * once whatever the kind. (A reservation of either size gave it two record
 * pointers it could not merge, and the walk of everything after them on
 * 5.10 and 6.1 went past its limit of a million instructions.)
 */
static __always_inline void send_exit(struct task_struct *task, bool btf,
				      struct pt_percpu_state *st, const struct exit_facts *f,
				      const char *comm, bool named, __u32 flags)
{
	__u32 tgid = btf ? task->tgid : BPF_CORE_READ(task, tgid);
	int sig = f->exit_code & 0x7f;
	struct pt_exit_record_oom *ext;
	struct pt_cgroup cg, pcg;
	struct pt_exit_record *rec;
	struct task_struct *parent;
	struct pt_oom *oom;
	struct cgroup *cgrp;
	bool v1, pv1, oom_marked;
	__u32 zero = 0, size, killer = 0;

	/*
	 * Start loading the ring's positions now, whose lines another CPU
	 * wrote since: their misses then overlap the task's and cgroup's
	 * loads below instead of stalling the output at the end (about 100 of
	 * 1,200 ns a crash here, measured). The answer is not needed.
	 */
	(void)bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	ext = bpf_map_lookup_elem(&exit_scratch, &zero);
	if (!ext)
		return;
	rec = &ext->exit;
	cgrp = task_cgroup(task, btf, &v1);
	cgroup_fields(cgrp, btf, &cg);
	if (v1)
		flags |= PT_FLAG_CGROUP_V1;
	if (!cgroup_known_by_id(v1, cg.id))
		send_cgroup_names(st, cgrp, cg.id);
	oom_marked = task_oom_marked(task, btf);

	fill_header(&rec->hdr, PT_RECORD_EXIT, sizeof(*rec));
	rec->pid = tgid;
	rec->tid = btf ? task->pid : BPF_CORE_READ(task, pid);
	rec->ns_pid = f->ns_pid;
	rec->ns_level = f->ns_level;
	rec->exit_code = f->exit_code;
	rec->served_pid = 0;
	rec->_pad2 = 0;
	rec->_pad3 = 0;
	if (named && comm_in(comm, shim_names, nr_shim_names, PT_MAX_SHIM_NAMES)) {
		struct pt_exit_key key = process_key(task);
		__u32 *kept = bpf_map_lookup_elem(&shim_children, &key);

		rec->served_pid = first_child_tgid_of_process(task);
		if (kept) {
			if (!rec->served_pid)
				rec->served_pid = *kept;
			bpf_map_delete_elem(&shim_children, &key);
		}
	}
	__builtin_memcpy(rec->comm, comm, PT_COMM_LEN);
	if (btf) {
		rec->start_ns = task->group_leader->start_time;
		parent = task->real_parent;
		rec->ppid = parent->tgid;
		/* Bytes after its NUL may be an older name's: userspace stops at the NUL. */
		*(__u64 *)rec->parent_comm = *(__u64 *)parent->comm;
		*(__u64 *)(rec->parent_comm + 8) = *(__u64 *)(parent->comm + 8);
	} else {
		rec->start_ns = BPF_CORE_READ(task, group_leader, start_time);
		parent = BPF_CORE_READ(task, real_parent);
		rec->ppid = BPF_CORE_READ(parent, tgid);
		BPF_CORE_READ_STR_INTO(&rec->parent_comm, parent, comm);
	}

	rec->cgroup = cg;
	cgroup_fields(task_cgroup(parent, btf, &pv1), btf, &pcg);
	if (pcg.id != cg.id)
		flags |= PT_FLAG_PARENT_OTHER_CGROUP;

	if (find_sender(task, sig, rec->start_ns, STOP_SIGNALS, &rec->killer))
		killer = PT_FLAG_HAS_KILLER;
	else if (senders_from_syscalls && !oom_marked)
		killer = kernel_sent(task, sig, rec);
	flags |= killer;

	oom = oom_marked ? bpf_map_lookup_elem(&oom_victims, &tgid) : NULL;
	if (oom) {
		if (killer != PT_FLAG_HAS_KILLER)
			__builtin_memset(&rec->killer, 0, sizeof(rec->killer));
		__builtin_memcpy(&ext->oom, oom, sizeof(ext->oom));
		flags |= PT_FLAG_OOM_KILLED;
		if (oom->memcg_limit_bytes)
			flags |= PT_FLAG_OOM_MEMCG;
		if (oom->anon_rss_kb || oom->file_rss_kb || oom->total_vm_kb)
			flags |= PT_FLAG_HAS_RSS;
		/* The victim is current: its memcg says whether its group died with it. */
		ext->oom.group_memcg_id = find_oom_group(task, oom->memcg_id);
		bpf_map_delete_elem(&oom_victims, &tgid);
	}

	size = pt_exit_record_size(flags);
	rec->hdr.flags = flags;
	rec->hdr.size = size;
	if (bpf_ringbuf_output(&events, ext, size,
			       submit_flags(st, flags & (PT_FLAG_SANDBOX | PT_FLAG_OOM_KILLED),
					    rec->hdr.ktime_ns))) {
		count(st, PT_CNT_RINGBUF_LOST);
		return;
	}
	count(st, PT_CNT_EXIT_SENT);
}

/* Keeps the first child of a dying shim's thread for the report of its process. */
static __always_inline void remember_shim_child(struct task_struct *task, bool btf,
						struct pt_percpu_state *st)
{
	char comm[PT_COMM_LEN] __attribute__((aligned(8))) = {};
	struct pt_exit_key key;
	__u32 child;

	read_comm(task, btf, comm);
	if (!name_may_match(st, *(__u64 *)comm) ||
	    !comm_in(comm, shim_names, nr_shim_names, PT_MAX_SHIM_NAMES))
		return;
	child = first_child_tgid(task);
	if (!child)
		return;
	key = process_key(task);
	bpf_map_update_elem(&shim_children, &key, &child, BPF_NOEXIST);
}

/* An exit the boring test could not decide: a process that may be reported. */
static __always_inline int exit_not_boring(struct task_struct *task, bool btf,
					   struct pt_percpu_state *st)
{
	__u32 ns_level, ns_pid, exit_code, flags = 0;
	char comm[PT_COMM_LEN] __attribute__((aligned(8))) = {};
	struct exit_facts f = {};
	bool process_ends, named;

	/* Only the last thread ends the process. */
	process_ends = btf ? exit_facts_btf(task, &f) : exit_facts_core(task, &f);
	if (process_ends && f.nr_threads > 1) {
		/*
		 * Several threads saw the end: only the first reports the process.
		 * A last thread that finds the others released reads one thread and
		 * reports too: userspace reads each end once (recent_exits).
		 */
		struct pt_exit_key key = process_key(task);
		__u8 one = 1;

		process_ends = bpf_map_update_elem(&exited_groups, &key, &one, BPF_NOEXIST) == 0;
	}
	if (!process_ends) {
		/* A thread of a process ending in failure: a shim's children may leave before its end. */
		if (btf ? task->exit_code : BPF_CORE_READ(task, exit_code))
			remember_shim_child(task, btf, st);
		count(st, PT_CNT_THREAD_EXIT);
		return 0;
	}
	exit_code = f.exit_code;
	ns_pid = f.ns_pid;
	ns_level = f.ns_level;
	if (ns_level > 0 && ns_pid == 1)
		flags |= PT_FLAG_PIDNS_INIT;
	/* The thread that exec'd leads its process; any other started with the flag set. */
	if ((btf ? task->group_leader->flags : BPF_CORE_READ(task, group_leader, flags)) &
	    PF_FORKNOEXEC)
		flags |= PT_FLAG_NEVER_EXECD;
	/*
	 * Most exits are boring and have none of the names looked for: the
	 * first word of the name decides, read without a helper where the
	 * task pointer is trusted. The whole name is read only when it may
	 * matter; the helper zero-pads it, as the compares need.
	 */
	named = btf && name_may_match(st, comm_first_word(task));
	if (!btf || named || exit_code || (flags & PT_FLAG_PIDNS_INIT)) {
		read_comm(task, btf, comm);
		named = name_may_match(st, *(__u64 *)comm);
	}
	if (named && comm_in(comm, sandbox_names, nr_sandbox_names, PT_MAX_SANDBOX_NAMES))
		flags |= PT_FLAG_SANDBOX;
	if (exit_code == 0 && !(flags & (PT_FLAG_PIDNS_INIT | PT_FLAG_SANDBOX)) &&
	    !(named && !(flags & PT_FLAG_NEVER_EXECD) &&
	      comm_in(comm, daemon_names, nr_daemon_names, PT_MAX_DAEMON_NAMES))) {
		count(st, PT_CNT_EXIT_BORING);
		return 0;
	}
	count(st, PT_CNT_EXIT_SEEN);
	send_exit(task, btf, st, &f, comm, named, flags);
	return 0;
}

/*
 * Subprograms of their own, not inlined: the exit program's own code is
 * then only the boring test, a few straight cache lines, which an exec'd
 * process's exit finds cold. Inlined, the compiler put the boring count
 * after the whole slow path. With both builds attached at once, an exit in
 * an exec storm cost 60-80 ns less this way.
 */
static __noinline int exit_not_boring_btf(struct task_struct *task, struct pt_percpu_state *st)
{
	return exit_not_boring(task, true, st);
}

static __noinline int exit_not_boring_core(struct task_struct *task, struct pt_percpu_state *st)
{
	return exit_not_boring(task, false, st);
}

static __always_inline int handle_exit(struct task_struct *task, bool btf)
{
	struct pt_percpu_state *st = percpu();

	/*
	 * Start loading this CPU's counter line now: after an exec'd process
	 * it is cold, and its miss then overlaps the task's loads below
	 * (about 150 of 850 ns a boring exit in an exec storm, measured).
	 */
	if (st)
		(void)*(volatile __u64 *)&st->counters[PT_CNT_EXIT_BORING];

	/*
	 * Where the task pointer is trusted, most exits are decided by a few
	 * plain loads: a clean exit, on the host, is boring, whether it ends
	 * its process or only a thread, when none of the process's names is
	 * looked for, or when it is the main thread of a process that never
	 * exec'd (no daemon: its name is its parent's). The flags come first:
	 * do_exit() has just set PF_EXITING there, where the name's line is
	 * cold (about 20 ns a boring exit here).
	 * (A pid namespace's init cannot be told by its signal struct's
	 * SIGNAL_UNKILLABLE: exit_group() overwrites those flags.)
	 */
	if (btf && task->exit_code == 0 && on_host_btf(task, st) &&
	    (((task->flags & PF_FORKNOEXEC) && task->pid == task->tgid) ||
	     !name_may_match(st, comm_first_word(task)))) {
		count(st, task->signal->live.counter ? PT_CNT_THREAD_EXIT : PT_CNT_EXIT_BORING);
		return 0;
	}
	return btf ? exit_not_boring_btf(task, st) : exit_not_boring_core(task, st);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *task)
{
	return handle_exit(task, true);
}

SEC("tracepoint/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	return handle_exit((struct task_struct *)bpf_get_current_task(), false);
}

/* ---- fatal signals ------------------------------------------------------- */

/* The kernel's enum trace_signal_result. */
#define SIGNAL_DELIVERED 0
#define SIGNAL_IGNORED	 1

/* An earlier stop signal older than this is not the prelude of this one. */
#define PREV_SIGNAL_MAX_AGE_NS (600ULL * 1000000000ULL)

/*
 * Keeps the stop signal that came before @k (a SIGTERM the target may even
 * have ignored, then the SIGKILL after the grace period), so that the exit
 * can name both.
 */
static __always_inline void carry_prev_signal(struct pt_killer *k, const struct pt_killer *old)
{
	if (k->ktime_ns - old->ktime_ns > PREV_SIGNAL_MAX_AGE_NS)
		return;
	if (old->sig == k->sig) {
		k->prev_ktime_ns = old->prev_ktime_ns;
		k->prev_tgid = old->prev_tgid;
		k->prev_sig = old->prev_sig;
		__builtin_memcpy(k->prev_comm, old->prev_comm, sizeof(k->prev_comm));
	} else if ((1ULL << (old->sig & 63)) & STOP_SIGNALS) {
		k->prev_ktime_ns = old->ktime_ns;
		k->prev_tgid = old->tgid;
		k->prev_sig = old->sig;
		__builtin_memcpy(k->prev_comm, old->comm, sizeof(k->prev_comm));
	}
}

/* Remembers the current task as the sender of @sig to @key; returns when. */
static __always_inline __u64 remember_sender(struct pt_sender_key *key, int sig, int code,
					     bool to_itself)
{
	struct task_struct *sender = (struct task_struct *)bpf_get_current_task();
	struct pt_percpu_state *st = percpu();
	struct pt_killer s = {}, *old, *k = &s;
	bool v1;

	k->ktime_ns = bpf_ktime_get_ns();
	k->pid = BPF_CORE_READ(sender, pid);
	k->tgid = BPF_CORE_READ(sender, tgid);
	k->sig = sig;
	k->code = code;
	bpf_get_current_comm(&k->comm, sizeof(k->comm));
	/* raise(): the sender's cgroup is the target's own, already in its record. */
	if (!to_itself) {
		struct cgroup *cgrp = task_attribution_cgroup(sender, &v1);

		k->cgroup_id = cgroup_id_of(cgrp);
		k->cgroup_hierarchy_id = cgroup_hierarchy_of(cgrp);
		/* Named now, while it exists, if userspace cannot name the id. */
		if (!cgroup_known_by_id(v1, k->cgroup_id))
			send_cgroup_names(st, cgrp, k->cgroup_id);
	}
	old = bpf_map_lookup_elem(&killers, key);
	if (old)
		carry_prev_signal(k, old);
	note_signal_sent(sig);
	bpf_map_update_elem(&killers, key, &s, BPF_ANY);
	count(st, PT_CNT_SIGNAL_FATAL);
	return k->ktime_ns;
}

/* Worth remembering: signals that kill by default, the stop signals among them. */
static __always_inline bool signal_kills(int sig)
{
	return sig > 0 && sig < 64 && (fatal_signal_mask & (1ULL << sig));
}

/*
 * A kill-family call: remember its caller under the target's name, and the
 * call itself, so that its entry goes if the call fails (no such process,
 * not permitted). The target may die before the call returns: the entry is
 * there from the start.
 */
static __always_inline int sender_call(__s32 nr, int sig, int code)
{
	struct task_struct *sender = (struct task_struct *)bpf_get_current_task();
	struct pt_sender_call call = {};
	__u32 tid = BPF_CORE_READ(sender, pid);
	__u32 level = 0;

	if (!signal_kills(sig) || !sender_key(sender, nr, &call.key))
		return 0;
	call.ktime_ns = remember_sender(&call.key, sig, code,
					nr > 0 && (__u32)nr == task_ns_tgid(sender, &level));
	bpf_map_update_elem(&sender_calls, &tid, &call, BPF_ANY);
	return 0;
}

/* The call returned @ret: a failed call sent nothing, so its entry goes. */
static __always_inline int sender_call_done(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pt_sender_call *call = bpf_map_lookup_elem(&sender_calls, &tid);
	struct pt_sender_key key;
	struct pt_killer *k;

	if (!call)
		return 0;
	key = call->key;
	if (ret < 0) {
		k = bpf_map_lookup_elem(&killers, &key);
		if (k && k->ktime_ns == call->ktime_ns && k->pid == tid)
			bpf_map_delete_elem(&killers, &key);
	}
	bpf_map_delete_elem(&sender_calls, &tid);
	return 0;
}

/* kill(pid, sig): a process, a process group (pid < -1 or 0) or every process (-1). */
SEC("tracepoint/syscalls/sys_enter_kill")
int kill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return sender_call((__s32)ctx->args[0], (int)ctx->args[1], SI_USER);
}

/* tkill(tid, sig) */
SEC("tracepoint/syscalls/sys_enter_tkill")
int tkill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return sender_call((__s32)ctx->args[0], (int)ctx->args[1], SI_TKILL);
}

/* tgkill(tgid, tid, sig): a fatal signal to one thread ends its process. */
SEC("tracepoint/syscalls/sys_enter_tgkill")
int tgkill_enter(struct trace_event_raw_sys_enter *ctx)
{
	__s32 tgid = (__s32)ctx->args[0];

	return tgid > 0 ? sender_call(tgid, (int)ctx->args[2], SI_TKILL) : 0;
}

/* rt_sigqueueinfo(tgid, sig, info): sigqueue(3). */
SEC("tracepoint/syscalls/sys_enter_rt_sigqueueinfo")
int sigqueue_enter(struct trace_event_raw_sys_enter *ctx)
{
	__s32 tgid = (__s32)ctx->args[0];

	return tgid > 0 ? sender_call(tgid, (int)ctx->args[1], SI_QUEUE) : 0;
}

/* rt_tgsigqueueinfo(tgid, tid, sig, info) */
SEC("tracepoint/syscalls/sys_enter_rt_tgsigqueueinfo")
int tgsigqueue_enter(struct trace_event_raw_sys_enter *ctx)
{
	__s32 tgid = (__s32)ctx->args[0];

	return tgid > 0 ? sender_call(tgid, (int)ctx->args[2], SI_QUEUE) : 0;
}

/* PIDFD_SIGNAL_PROCESS_GROUP: the group of the pidfd's process (not followed). */
#define PIDFD_SIGNAL_PROCESS_GROUP 4

/*
 * pidfd_send_signal(pidfd, sig, info, flags): the target is a struct pid,
 * named here by its number on the host.
 */
SEC("tracepoint/syscalls/sys_enter_pidfd_send_signal")
int pidfd_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pt_sender_call call = {};
	int sig = (int)ctx->args[1];
	struct pid *pid;
	__u32 tid;

	if (!signal_kills(sig) || (ctx->args[3] & PIDFD_SIGNAL_PROCESS_GROUP))
		return 0;
	pid = pid_of_fd((int)ctx->args[0]);
	if (!pid)
		return 0;
	upid_at(pid, 0, &call.key.nr, &call.key.ns_inum);
	if (call.key.nr <= 0)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	call.ktime_ns = remember_sender(&call.key, sig, SI_USER,
					(__u32)call.key.nr == bpf_get_current_pid_tgid() >> 32);
	bpf_map_update_elem(&sender_calls, &tid, &call, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_kill")
int kill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return sender_call_done(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_tkill")
int tkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return sender_call_done(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_tgkill")
int tgkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return sender_call_done(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_rt_sigqueueinfo")
int sigqueue_exit(struct trace_event_raw_sys_exit *ctx)
{
	return sender_call_done(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_rt_tgsigqueueinfo")
int tgsigqueue_exit(struct trace_event_raw_sys_exit *ctx)
{
	return sender_call_done(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_pidfd_send_signal")
int pidfd_exit(struct trace_event_raw_sys_exit *ctx)
{
	return sender_call_done(ctx->ret);
}

/*
 * Without syscall tracepoints (CONFIG_FTRACE_SYSCALLS=n): every signal sent,
 * taken where the kernel generates it. It also runs for the SIGCHLD of every
 * exit, which is what the programs above avoid. Fatal signals that reached
 * their target, and stop signals even when the target ignored them (a
 * pid-namespace init without a handler ignores SIGTERM; the runtime's
 * SIGKILL follows), kept under the target's host pid.
 */
static __always_inline bool signal_worth_keeping(int sig, int result)
{
	if (!signal_kills(sig))
		return false;
	return result == SIGNAL_DELIVERED ||
	       (result == SIGNAL_IGNORED && ((1ULL << sig) & STOP_SIGNALS));
}

static __always_inline int remember_generated(__u32 target, int sig, int code)
{
	struct pt_sender_key key = { .ns_inum = PID_NS_INIT_INUM, .nr = (__s32)target };

	remember_sender(&key, sig, code, target == bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(signal_btf, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	int code = 0;

	/* Every exit sends SIGCHLD: leave as early as possible. */
	if (!signal_worth_keeping(sig, result))
		return 0;
	/* SEND_SIG_NOINFO/PRIV are small integers, not pointers. */
	if ((unsigned long)info > 4096)
		code = BPF_CORE_READ(info, si_code);
	else if ((unsigned long)info == 1)
		code = SI_KERNEL; /* SEND_SIG_PRIV */
	return remember_generated(BPF_CORE_READ(task, tgid), sig, code);
}

SEC("tracepoint/signal/signal_generate")
int signal_tp(struct trace_event_raw_signal_generate *ctx)
{
	int sig = ctx->sig;

	if (!signal_worth_keeping(sig, ctx->result))
		return 0;
	return remember_generated(ctx->pid, sig, ctx->code);
}

/* ---- OOM kills ----------------------------------------------------------- */

/*
 * The last mark_victim. The OOM killer runs under oom_lock, so marks never
 * interleave: the marks of one group kill come back to back from the same
 * task (the one whose allocation failed), microseconds apart, or farther
 * when the kernel log is slow. Plain globals, so the skeleton needs no type.
 */
__u64 oom_last_ns = 0;
__u64 oom_kill = 0;
__u32 oom_trigger_tid = 0;

#define OOM_KILL_GAP_NS (1000ULL * 1000000ULL)

static __always_inline __u64 oom_kill_id(__u32 trigger_tid, __u64 now)
{
	if (oom_trigger_tid != trigger_tid || now - oom_last_ns > OOM_KILL_GAP_NS)
		oom_kill = now;
	oom_trigger_tid = trigger_tid;
	oom_last_ns = now;
	return oom_kill;
}

/*
 * oom/mark_victim is taken as a classic tracepoint on every kernel: its
 * tp_btf arguments changed (pid, then task and uid) while the classic
 * record gained the rss figures, which is what the message needs.
 */
SEC("tracepoint/oom/mark_victim")
int oom_tp(struct trace_event_raw_mark_victim *ctx)
{
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();
	struct pt_percpu_state *st = percpu();
	struct pt_oom_record *rec;
	__u32 pid = BPF_CORE_READ(ctx, pid);
	__u32 flags = 0;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(st, PT_CNT_RINGBUF_LOST);
		return 0;
	}
	fill_header(&rec->hdr, PT_RECORD_OOM, sizeof(*rec));
	__builtin_memset(&rec->oom, 0, sizeof(rec->oom));
	__builtin_memset(&rec->comm, 0, sizeof(rec->comm));
	rec->pid = pid;
	rec->_pad = 0;
	rec->oom.kill_id = oom_kill_id(BPF_CORE_READ(current, pid), rec->hdr.ktime_ns);
	rec->oom.trigger_pid = BPF_CORE_READ(current, tgid);
	bpf_get_current_comm(&rec->oom.trigger_comm, sizeof(rec->oom.trigger_comm));
	if (bpf_core_field_exists(ctx->anon_rss)) {
		rec->oom.total_vm_kb = BPF_CORE_READ(ctx, total_vm);
		rec->oom.anon_rss_kb = BPF_CORE_READ(ctx, anon_rss);
		rec->oom.file_rss_kb = BPF_CORE_READ(ctx, file_rss);
		rec->oom.shmem_rss_kb = BPF_CORE_READ(ctx, shmem_rss);
		rec->oom.oom_score_adj = BPF_CORE_READ(ctx, oom_score_adj);
		flags |= PT_FLAG_HAS_RSS;
	}
	if (bpf_core_field_exists(ctx->__data_loc_comm)) {
		__u32 loc = BPF_CORE_READ(ctx, __data_loc_comm);

		bpf_probe_read_kernel_str(rec->comm, sizeof(rec->comm),
					  (void *)ctx + (loc & 0xffff));
	}
	if (find_oom_memcg(current, page_size, &rec->oom))
		flags |= PT_FLAG_OOM_MEMCG;
	{
		/* Nor a map value (before 6.2). */
		struct pt_oom copy;

		__builtin_memcpy(&copy, &rec->oom, sizeof(copy));
		bpf_map_update_elem(&oom_victims, &pid, &copy, BPF_ANY);
	}

	rec->hdr.flags = flags | PT_FLAG_OOM_KILLED;
	count(st, PT_CNT_OOM_SENT);
	bpf_ringbuf_submit(rec, submit_flags(st, true, rec->hdr.ktime_ns));
	return 0;
}

/* ---- cgroups ------------------------------------------------------------- */

/*
 * One record per cgroup made or removed in v2 or the v1 memory hierarchy
 * (cgroups.h), the hierarchies exit records name. No wake-up of its own:
 * nothing waits on it, and the exit records that need it come after it.
 */
static __always_inline int send_cgroup(__u16 kind, __u32 hierarchy_id, __u64 id, __u32 level,
				       const char *path)
{
	int slot = cgroup_slot(hierarchy_id);
	struct pt_percpu_state *st;
	struct pt_cgroup_record *rec;
	long n;

	if (slot < 0)
		return 0;
	st = percpu();
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(st, PT_CNT_RINGBUF_LOST);
		if (kind == PT_RECORD_CGROUP_MKDIR)
			cgroup_mkdir_seen(slot, id, false);
		return 0;
	}
	fill_header(&rec->hdr, kind, sizeof(*rec));
	rec->cgroup.id = id;
	rec->cgroup.hierarchy_id = hierarchy_id;
	rec->cgroup.level = level;
	n = bpf_probe_read_kernel_str(rec->path, sizeof(rec->path), path);
	if (n < 0)
		rec->path[0] = '\0';
	/* A path that fills the buffer may be cut: userspace does not learn it. */
	if (kind == PT_RECORD_CGROUP_MKDIR)
		cgroup_mkdir_seen(slot, id, n > 1 && n < (long)sizeof(rec->path));
	count(st, PT_CNT_CGROUP_SENT);
	bpf_ringbuf_submit(rec, submit_flags(st, false, rec->hdr.ktime_ns));
	return 0;
}

/* A cgroup renamed (v1 only): from now on, records of its hierarchy carry names. */
static __always_inline int cgroup_renamed_in(__u32 hierarchy_id)
{
	int slot = cgroup_slot(hierarchy_id);

	if (slot == 0 || slot == 1)
		cgroup_renamed[slot] = 1;
	return 0;
}

static __always_inline int send_cgroup_btf(__u16 kind, struct cgroup *cgrp, const char *path)
{
	return send_cgroup(kind, cgroup_hierarchy_of(cgrp), cgroup_id_of(cgrp),
			   BPF_CORE_READ(cgrp, level), path);
}

/* The classic record's path is a __data_loc: offset in the low 16 bits. */
static __always_inline int send_cgroup_tp(__u16 kind, struct trace_event_raw_cgroup *ctx)
{
	__u32 loc = ctx->__data_loc_path;

	return send_cgroup(kind, (__u32)ctx->root, ctx->id, (__u32)ctx->level,
			   (const char *)ctx + (loc & 0xffff));
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir_btf, struct cgroup *cgrp, const char *path)
{
	return send_cgroup_btf(PT_RECORD_CGROUP_MKDIR, cgrp, path);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir_btf, struct cgroup *cgrp, const char *path)
{
	return send_cgroup_btf(PT_RECORD_CGROUP_RMDIR, cgrp, path);
}

SEC("tracepoint/cgroup/cgroup_mkdir")
int cgroup_mkdir_tp(struct trace_event_raw_cgroup *ctx)
{
	return send_cgroup_tp(PT_RECORD_CGROUP_MKDIR, ctx);
}

SEC("tracepoint/cgroup/cgroup_rmdir")
int cgroup_rmdir_tp(struct trace_event_raw_cgroup *ctx)
{
	return send_cgroup_tp(PT_RECORD_CGROUP_RMDIR, ctx);
}

SEC("tp_btf/cgroup_rename")
int BPF_PROG(cgroup_rename_btf, struct cgroup *cgrp, const char *path)
{
	return cgroup_renamed_in(cgroup_hierarchy_of(cgrp));
}

SEC("tracepoint/cgroup/cgroup_rename")
int cgroup_rename_tp(struct trace_event_raw_cgroup *ctx)
{
	return cgroup_renamed_in((__u32)ctx->root);
}
