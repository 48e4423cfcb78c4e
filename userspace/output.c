// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "classify.h"
#include "json_writer.h"
#include "message.h"
#include "output.h"
#include "signals.h"

/* @v as exactly @width decimal digits at @out. */
static char *put_digits(char *out, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return out + width;
}

/*
 * The proleptic Gregorian date of @days since 1970-01-01, by the
 * era-of-400-years method: no libc time functions (and their time zone
 * lock) on the hot path.
 */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	uint64_t doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;

	*day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int64_t)yoe + era * 400 + (*month <= 2);
}

/* RFC 3339 in UTC with nanoseconds, or milliseconds for the text table; @buf holds 40. */
static void format_time(int64_t wall_ns, bool nanos, char *buf, size_t len)
{
	int64_t secs = wall_ns / 1000000000LL, frac = wall_ns % 1000000000LL;
	int64_t days, year;
	unsigned month, day, sod;
	char *p = buf;

	if (frac < 0) {
		frac += 1000000000LL;
		secs--;
	}
	days = secs / 86400;
	if (secs % 86400 < 0)
		days--;
	sod = (unsigned)(secs - days * 86400);
	civil_from_days(days, &year, &month, &day);
	if (len < 40 || year < 0 || year > 9999) {
		snprintf(buf, len, "%lld.%09lld", (long long)secs, (long long)frac);
		return;
	}
	p = put_digits(p, (uint64_t)year, 4);
	*p++ = '-';
	p = put_digits(p, month, 2);
	*p++ = '-';
	p = put_digits(p, day, 2);
	*p++ = 'T';
	p = put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sod % 60, 2);
	*p++ = '.';
	p = nanos ? put_digits(p, (uint64_t)frac, 9) : put_digits(p, (uint64_t)frac / 1000000, 3);
	*p++ = 'Z';
	*p = '\0';
}

/* "pod/ns/name/container", "pod/<uid>/<id12>", "unit/foo.service", "cgroup/<path>" */
static void format_object(const struct pt_emitted *e, char *buf, size_t len)
{
	const struct pt_cgroup_info *cg = &e->where->cgroup;
	const char *cname = e->where->container_name;
	struct pt_msg m = { buf, 0, len };

	buf[0] = '\0';
	if (cg->scope == PT_SCOPE_CONTAINER || cg->scope == PT_SCOPE_POD) {
		if (e->pod)
			pt_msg_add(&m, "pod/%s/%s", e->pod->namespace_, e->pod->name);
		else
			pt_msg_add(&m, "pod/%s", cg->pod_uid);
		if (cname && cname[0])
			pt_msg_add(&m, "/%s", cname);
		else if (cg->scope == PT_SCOPE_CONTAINER)
			pt_msg_add(&m, "/%.12s", cg->container_id);
	} else if (cg->unit[0]) {
		pt_msg_add(&m, "unit/%s", cg->unit);
	} else {
		pt_msg_add(&m, "cgroup/%s", e->ev->cgroup.known ? e->ev->cgroup.path : "?");
	}
}

void pt_printable(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
}

/* @s and spaces to @width (at most 40) like printf's "%-*s", which never cuts; then the gap. */
static void put_column(struct pt_msg *m, const char *s, size_t width)
{
	static const char spaces[] = "                                        ";
	size_t n = strlen(s);

	pt_msg_append(m, s, n);
	if (n < width)
		pt_msg_append(m, spaces, width - n);
	pt_msg_append(m, "  ", 2);
}

/* One line of the text columns, built without printf: this runs for every event. */
static void text_line(FILE *f, const char *when, const char *type, const char *reason,
		      const char *object, const char *message)
{
	char line[3 * 40 + 512 + PT_MESSAGE_MAX + 4 * 2 + 2];
	struct pt_msg m = { line, 0, sizeof(line) };

	put_column(&m, when, 23);
	put_column(&m, type, 7);
	put_column(&m, reason, 15);
	put_column(&m, object, 40);
	pt_msg_append(&m, message, strlen(message));
	pt_msg_append(&m, "\n", 1);
	fwrite(line, 1, m.len, f);
}

void pt_output_header(FILE *f, enum pt_output_format fmt)
{
	if (fmt != PT_OUTPUT_TEXT)
		return;
	text_line(f, "TIME", "TYPE", "REASON", "OBJECT", "MESSAGE");
	fflush(f);
}

static int write_text(FILE *f, const struct pt_emitted *e)
{
	char when[40], object[512], safe_object[512], message[PT_MESSAGE_MAX + 1];

	format_time(e->wall_ns, false, when, sizeof(when));
	format_object(e, object, sizeof(object));
	pt_printable(object, safe_object, sizeof(safe_object));
	pt_printable(e->report->message, message, sizeof(message));
	text_line(f, when, e->report->warning ? "Warning" : "Normal",
		  pt_reason_name(e->report->reason), safe_object, message);
	return 0;
}

static void json_pod(struct pt_json *j, const struct pt_emitted *e)
{
	const struct pt_cgroup_info *cg = &e->where->cgroup;

	if (cg->scope != PT_SCOPE_CONTAINER && cg->scope != PT_SCOPE_POD) {
		pt_json_null(j, "pod");
		return;
	}
	pt_json_object(j, "pod");
	pt_json_str(j, "uid", cg->pod_uid);
	pt_json_str(j, "namespace", e->pod ? e->pod->namespace_ : NULL);
	pt_json_str(j, "name", e->pod ? e->pod->name : NULL);
	pt_json_str(j, "qos", pt_qos_name(cg->qos));
	pt_json_end_object(j);
}

static void json_container(struct pt_json *j, const struct pt_emitted *e)
{
	const struct pt_cgroup_info *cg = &e->where->cgroup;

	if (cg->scope != PT_SCOPE_CONTAINER) {
		pt_json_null(j, "container");
		return;
	}
	pt_json_object(j, "container");
	pt_json_str(j, "id", cg->container_id);
	pt_json_str(j, "name", e->where->container_name);
	pt_json_str(j, "runtime", pt_runtime_name(cg->runtime));
	pt_json_end_object(j);
}

static void json_cgroup(struct pt_json *j, const struct pt_emitted *e)
{
	const struct pt_event_cgroup *c = &e->ev->cgroup;
	const struct pt_cgroup_info *cg = &e->where->cgroup;

	pt_json_object(j, "cgroup");
	pt_json_uint(j, "id", c->id);
	pt_json_str(j, "path", c->known ? c->path : NULL);
	pt_json_str(j, "hierarchy", c->v1 ? "v1" : "v2");
	pt_json_str(j, "scope", pt_scope_name(cg->scope));
	pt_json_str(j, "driver", pt_driver_name(cg->driver));
	pt_json_str(j, "unit", cg->unit);
	pt_json_bool(j, "truncated", c->truncated);
	pt_json_end_object(j);
}

static void json_process(struct pt_json *j, const struct pt_event *ev,
			 const struct pt_placement *where)
{
	const struct pt_identity *who = &where->who;

	pt_json_object(j, "process");
	pt_json_int(j, "pid", ev->pid);
	pt_json_int(j, "tid", ev->tid);
	pt_json_int(j, "ppid", ev->ppid);
	pt_json_int(j, "ns_pid", ev->ns_pid);
	pt_json_int(j, "ns_level", ev->ns_level);
	pt_json_str(j, "comm", ev->comm);
	pt_json_str(j, "parent_comm", ev->parent_comm);
	pt_json_bool(j, "main", who->role == PT_ROLE_MAIN);
	pt_json_str(j, "role", who->role == PT_ROLE_NONE ? NULL : pt_role_name(who->role));
	pt_json_str(j, "role_source",
		    who->source == PT_SOURCE_NONE ? NULL : pt_role_source_name(who->source));
	pt_json_str(j, "exec_command", who->exec_command[0] ? who->exec_command : NULL);
	pt_json_bool(j, "pidns_init", ev->flags & PT_FLAG_PIDNS_INIT);
	pt_json_bool(j, "sandbox", who->role == PT_ROLE_SANDBOX);
	pt_json_uint(j, "lifetime_ns", ev->lifetime_ns);
	pt_json_end_object(j);
}

static void json_exit(struct pt_json *j, const struct pt_event *ev)
{
	char name[16];

	pt_json_object(j, "exit");
	if (ev->exited)
		pt_json_int(j, "code", ev->exit_code);
	else
		pt_json_null(j, "code");
	pt_json_int(j, "signal", ev->signal);
	pt_json_str(j, "signal_name", ev->signal ? pt_signal_name(ev->signal, name) : NULL);
	pt_json_bool(j, "core_dumped", ev->core_dumped);
	pt_json_end_object(j);
}

static void json_killer(struct pt_json *j, const struct pt_event *ev,
			const struct pt_cgroup_info *kc)
{
	const struct pt_event_killer *k = &ev->killer;
	char name[16];

	if (!k->present || k->sig != ev->signal) {
		pt_json_null(j, "killer");
		return;
	}
	pt_json_object(j, "killer");
	pt_json_int(j, "pid", k->tgid);
	pt_json_int(j, "tid", k->pid);
	pt_json_str(j, "comm", k->comm);
	pt_json_int(j, "signal", k->sig);
	pt_json_str(j, "signal_name", pt_signal_name(k->sig, name));
	pt_json_int(j, "si_code", k->code);
	pt_json_bool(j, "from_kernel", k->from_kernel);
	pt_json_bool(j, "self", k->tgid == ev->pid);
	pt_json_uint(j, "cgroup_id", k->cgroup_id);
	pt_json_str(j, "cgroup", k->cgroup_leaf);
	pt_json_str(j, "container_id", kc->container_id);
	pt_json_str(j, "pod_uid", kc->pod_uid);
	if (k->prev_sig) {
		pt_json_object(j, "previous");
		pt_json_int(j, "pid", k->prev_tgid);
		pt_json_str(j, "comm", k->prev_comm);
		pt_json_int(j, "signal", k->prev_sig);
		pt_json_str(j, "signal_name", pt_signal_name(k->prev_sig, name));
		pt_json_uint(j, "before_ns",
			     k->ktime_ns > k->prev_ktime_ns ? k->ktime_ns - k->prev_ktime_ns : 0);
		pt_json_end_object(j);
	} else {
		pt_json_null(j, "previous");
	}
	pt_json_end_object(j);
}

static void json_rss(struct pt_json *j, const char *key, bool have, uint64_t kb)
{
	if (have)
		pt_json_uint(j, key, kb * 1024);
	else
		pt_json_null(j, key);
}

static void json_oom(struct pt_json *j, const struct pt_event_oom *oom,
		     const struct pt_oom_summary *summary)
{
	if (!oom->present) {
		pt_json_null(j, "oom");
		return;
	}
	pt_json_object(j, "oom");
	pt_json_bool(j, "confined", oom->confined);
	pt_json_uint(j, "memcg_limit_bytes", oom->memcg_limit_bytes);
	pt_json_uint(j, "memcg_usage_bytes", oom->memcg_usage_bytes);
	pt_json_uint(j, "memcg_id", oom->memcg_id);
	pt_json_str(j, "memcg", oom->memcg_name);
	json_rss(j, "total_vm_bytes", oom->has_rss, oom->total_vm_kb);
	json_rss(j, "anon_rss_bytes", oom->has_rss, oom->anon_rss_kb);
	json_rss(j, "file_rss_bytes", oom->has_rss, oom->file_rss_kb);
	json_rss(j, "shmem_rss_bytes", oom->has_rss, oom->shmem_rss_kb);
	pt_json_int(j, "oom_score_adj", oom->oom_score_adj);
	pt_json_int(j, "trigger_pid", oom->trigger_pid);
	pt_json_str(j, "trigger_comm", oom->trigger_comm);
	pt_json_bool(j, "group_kill", oom->group_memcg_id != 0);
	/* Only the OOM report counts the victims; a victim's own exit does not. */
	if (summary->killed)
		pt_json_uint(j, "processes_killed", summary->killed);
	else
		pt_json_null(j, "processes_killed");
	pt_json_end_object(j);
}

/* Written field by field, no tree: this is the hot path of standalone mode. */
static int write_json(FILE *f, const struct pt_emitted *e)
{
	struct pt_json j;
	char when[40];

	format_time(e->wall_ns, true, when, sizeof(when));
	pt_json_begin(&j, f);
	pt_json_object(&j, NULL);
	pt_json_str(&j, "time", when);
	pt_json_str(&j, "type", e->report->warning ? "Warning" : "Normal");
	pt_json_str(&j, "reason", pt_reason_name(e->report->reason));
	pt_json_str(&j, "message", e->report->message);
	pt_json_str(&j, "node", e->node);
	json_pod(&j, e);
	json_container(&j, e);
	json_cgroup(&j, e);
	json_process(&j, e->ev, e->where);
	json_exit(&j, e->ev);
	json_killer(&j, e->ev, &e->where->killer_cgroup);
	json_oom(&j, &e->ev->oom, &e->where->oom);
	pt_json_end_object(&j);
	pt_json_raw_char(&j, '\n');
	pt_json_flush(&j);
	return 0;
}

int pt_output_write(FILE *f, enum pt_output_format fmt, const struct pt_emitted *e)
{
	int err = fmt == PT_OUTPUT_JSON ? write_json(f, e) : write_text(f, e);

	return ferror(f) ? -EIO : err;
}
