// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"

/* Kernel strings are not trusted to be terminated: copy at most @len bytes. */
static void copy_str(char *dst, const char *src, size_t len)
{
	size_t n = strnlen(src, len);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Join names[depth-1] .. names[0] into "/a/b/c", "/..." first when the
 * cgroup is deeper than the names the kernel copied; the root is "/".
 */
static void join_cgroup_path(const char (*names)[PT_CGROUP_NAME_LEN], uint32_t depth, char *out,
			     size_t outlen)
{
	uint32_t levels = depth < PT_CGROUP_LEVELS ? depth : PT_CGROUP_LEVELS;
	size_t pos = 0;

	out[0] = '\0';
	if (depth > PT_CGROUP_LEVELS)
		pos += (size_t)snprintf(out, outlen, "/...");
	for (uint32_t i = levels; i > 0; i--) {
		char name[PT_CGROUP_NAME_LEN + 1];

		copy_str(name, names[i - 1], PT_CGROUP_NAME_LEN);
		if (pos >= outlen - 1)
			break;
		pos += (size_t)snprintf(out + pos, outlen - pos, "/%s", name);
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "/");
}

/* The path is looked up later (cgroup_names.h): the record has the id alone. */
static void decode_cgroup(const struct pt_cgroup *cg, uint32_t flags, struct pt_event_cgroup *out)
{
	out->id = cg->id;
	out->hierarchy_id = cg->hierarchy_id;
	out->depth = cg->level;
	out->known = false;
	out->v1 = flags & PT_FLAG_CGROUP_V1;
}

static void decode_oom(const struct pt_oom *o, uint32_t flags, struct pt_event_oom *out)
{
	out->present = true;
	out->confined = flags & PT_FLAG_OOM_MEMCG;
	out->has_rss = flags & PT_FLAG_HAS_RSS;
	out->total_vm_kb = o->total_vm_kb;
	out->anon_rss_kb = o->anon_rss_kb;
	out->file_rss_kb = o->file_rss_kb;
	out->shmem_rss_kb = o->shmem_rss_kb;
	out->memcg_limit_bytes = o->memcg_limit_bytes;
	out->memcg_usage_bytes = o->memcg_usage_bytes;
	out->memcg_id = o->memcg_id;
	out->oom_score_adj = o->oom_score_adj;
	copy_str(out->memcg_name, o->memcg_name, PT_CGROUP_NAME_LEN);
	out->kill_id = o->kill_id;
	out->group_memcg_id = o->group_memcg_id;
	out->trigger_pid = o->trigger_pid;
	copy_str(out->trigger_comm, o->trigger_comm, PT_COMM_LEN);
}

static void decode_killer(const struct pt_killer *k, struct pt_event_killer *out)
{
	out->present = true;
	out->pid = k->pid;
	out->tgid = k->tgid;
	out->sig = k->sig;
	out->code = k->code;
	out->from_kernel = k->code > 0;
	out->ktime_ns = k->ktime_ns;
	out->cgroup_id = k->cgroup_id;
	out->cgroup_hierarchy_id = k->cgroup_hierarchy_id;
	copy_str(out->comm, k->comm, PT_COMM_LEN);
	if (k->prev_sig > 0 && k->prev_sig < 64) {
		out->prev_sig = k->prev_sig;
		out->prev_tgid = k->prev_tgid;
		out->prev_ktime_ns = k->prev_ktime_ns;
		copy_str(out->prev_comm, k->prev_comm, PT_COMM_LEN);
	}
}

/*
 * The kernel sent the signal for the process's own fault, when it died:
 * the killer the record leaves out is the process itself.
 */
static void killer_self(const struct pt_exit_record *r, struct pt_event_killer *out)
{
	out->present = true;
	out->pid = r->tid;
	out->tgid = r->pid;
	out->sig = (int)(r->exit_code & 0x7f);
	out->code = PT_SI_KERNEL;
	out->from_kernel = true;
	out->ktime_ns = r->hdr.ktime_ns;
	copy_str(out->comm, r->comm, PT_COMM_LEN);
}

/* The kernel's wait status: (code << 8) for an exit, signal | 0x80 (core) for a kill. */
static void decode_status(uint32_t status, struct pt_event *out)
{
	out->signal = status & 0x7f;
	out->core_dumped = out->signal && (status & 0x80);
	out->exited = out->signal == 0;
	out->exit_code = out->exited ? (int)((status >> 8) & 0xff) : 0;
}

/* @oom: the OOM killer's figures, NULL for a plain exit record. */
static int decode_exit(const struct pt_exit_record *r, const struct pt_oom *oom,
		       struct pt_event *out)
{
	uint32_t flags = r->hdr.flags;

	out->pid = r->pid;
	out->tid = r->tid;
	out->ppid = r->ppid;
	out->ns_pid = r->ns_pid;
	out->ns_level = r->ns_level;
	out->served_pid = r->served_pid;
	decode_status(r->exit_code, out);
	out->start_ns = r->start_ns;
	out->lifetime_ns = r->hdr.ktime_ns > r->start_ns ? r->hdr.ktime_ns - r->start_ns : 0;
	copy_str(out->comm, r->comm, PT_COMM_LEN);
	copy_str(out->parent_comm, r->parent_comm, PT_COMM_LEN);
	if (flags & PT_FLAG_KILLER_SELF)
		killer_self(r, &out->killer);
	else if (flags & PT_FLAG_HAS_KILLER)
		decode_killer(&r->killer, &out->killer);
	if (oom)
		decode_oom(oom, flags, &out->oom);
	decode_cgroup(&r->cgroup, flags, &out->cgroup);
	return 0;
}

static int decode_oom_record(const struct pt_oom_record *r, struct pt_event *out)
{
	out->pid = r->pid;
	out->tid = r->pid;
	copy_str(out->comm, r->comm, PT_COMM_LEN);
	decode_oom(&r->oom, r->hdr.flags, &out->oom);
	return 0;
}

/* Ring-buffer data is 8-byte aligned, but a fuzzer's is not: copy. */
static int read_header(const void *data, size_t size, struct pt_record_header *hdr)
{
	if (!data || size < sizeof(*hdr))
		return -EBADMSG;
	memcpy(hdr, data, sizeof(*hdr));
	if (hdr->version != PT_RECORD_VERSION || hdr->size != size)
		return -EBADMSG;
	return 0;
}

int pt_record_kind(const void *data, size_t size)
{
	struct pt_record_header hdr;

	if (!data || size < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	return hdr.kind;
}

/* What every cgroup record says: which cgroup, and when. */
static void change_of(const struct pt_record_header *hdr, const struct pt_cgroup *cg,
		      struct pt_cgroup_change *out)
{
	out->kind = hdr->kind;
	out->ktime_ns = hdr->ktime_ns;
	out->hierarchy_id = cg->hierarchy_id;
	out->id = cg->id;
	out->level = cg->level;
}

/* A cgroup named by the kernel: its path in the shape the names give. */
static int decode_cgroup_names(const void *data, size_t size, struct pt_cgroup_change *out)
{
	struct pt_cgroup_names_record r;

	if (size != sizeof(r))
		return -EBADMSG;
	memcpy(&r, data, sizeof(r));
	change_of(&r.hdr, &r.cgroup, out);
	out->cut = false;
	join_cgroup_path(r.names, r.cgroup.level, out->path, sizeof(out->path));
	return 0;
}

int pt_decode_cgroup(const void *data, size_t size, struct pt_cgroup_change *out)
{
	struct pt_cgroup_record r;
	size_t n;

	if (read_header(data, size, &r.hdr))
		return -EBADMSG;
	if (r.hdr.kind == PT_RECORD_CGROUP_NAMES)
		return decode_cgroup_names(data, size, out);
	if (size != sizeof(r) ||
	    (r.hdr.kind != PT_RECORD_CGROUP_MKDIR && r.hdr.kind != PT_RECORD_CGROUP_RMDIR))
		return -EBADMSG;
	memcpy(&r, data, sizeof(r));
	change_of(&r.hdr, &r.cgroup, out);
	n = strnlen(r.path, sizeof(r.path));
	/* The kernel cuts at its buffer's size less the NUL: a full buffer may be cut. */
	out->cut = n >= sizeof(r.path) - 1 || r.path[0] != '/';
	memcpy(out->path, r.path, n < sizeof(out->path) ? n : sizeof(out->path) - 1);
	out->path[n < sizeof(out->path) ? n : sizeof(out->path) - 1] = '\0';
	return 0;
}

int pt_decode(const void *data, size_t size, struct pt_event *out)
{
	struct pt_record_header hdr;

	if (read_header(data, size, &hdr))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->kind = hdr.kind;
	out->flags = hdr.flags;
	out->ktime_ns = hdr.ktime_ns;
	switch (hdr.kind) {
	case PT_RECORD_EXIT: {
		/* Its flags say how long: with the OOM figures, with the killer, or neither. */
		struct pt_exit_record_oom r;
		bool oom = hdr.flags & PT_FLAG_OOM_KILLED;

		if (size != pt_exit_record_size(hdr.flags))
			return -EBADMSG;
		memset(&r, 0, sizeof(r));
		memcpy(&r, data, size);
		return decode_exit(&r.exit, oom ? &r.oom : NULL, out);
	}
	case PT_RECORD_OOM: {
		struct pt_oom_record r;

		if (size != sizeof(r))
			return -EBADMSG;
		memcpy(&r, data, sizeof(r));
		return decode_oom_record(&r, out);
	}
	default:
		return -EBADMSG;
	}
}
