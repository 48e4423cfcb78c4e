// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "output.h"
#include "signals.h"

#define TEXT_FORMAT "%-23s  %-7s  %-15s  %-40s  %s\n"

void pt_output_header(FILE *f, enum pt_output_format fmt)
{
	if (fmt != PT_OUTPUT_TEXT)
		return;
	fprintf(f, TEXT_FORMAT, "TIME", "TYPE", "REASON", "OBJECT", "MESSAGE");
	fflush(f);
}

/* RFC 3339 in UTC with nanoseconds, or milliseconds for the text table. */
static void format_time(int64_t wall_ns, bool nanos, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / 1000000000LL);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nanos)
		snprintf(buf + n, len - n, ".%09lldZ", (long long)(wall_ns % 1000000000LL));
	else
		snprintf(buf + n, len - n, ".%03lldZ",
			 (long long)(wall_ns % 1000000000LL / 1000000));
}

/* "pod/ns/name/container", "pod/<uid>/<id12>", "unit/foo.service", "cgroup/<path>" */
static void format_object(const struct pt_emitted *e, char *buf, size_t len)
{
	const struct pt_cgroup_info *cg = &e->where->cgroup;
	const char *cname = e->where->container_name;

	if (cg->scope == PT_SCOPE_CONTAINER || cg->scope == PT_SCOPE_POD) {
		int n;

		if (e->pod)
			n = snprintf(buf, len, "pod/%s/%s", e->pod->namespace_, e->pod->name);
		else
			n = snprintf(buf, len, "pod/%s", cg->pod_uid);
		if (n < 0 || (size_t)n >= len)
			return;
		if (cname && cname[0])
			snprintf(buf + n, len - (size_t)n, "/%s", cname);
		else if (cg->scope == PT_SCOPE_CONTAINER)
			snprintf(buf + n, len - (size_t)n, "/%.12s", cg->container_id);
	} else if (cg->unit[0]) {
		snprintf(buf, len, "unit/%s", cg->unit);
	} else {
		snprintf(buf, len, "cgroup/%s", e->ev->cgroup.known ? e->ev->cgroup.path : "?");
	}
}

void pt_printable(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
}

static int write_text(FILE *f, const struct pt_emitted *e)
{
	char when[40], object[512], safe_object[512], message[PT_MESSAGE_MAX + 1];

	format_time(e->wall_ns, false, when, sizeof(when));
	format_object(e, object, sizeof(object));
	pt_printable(object, safe_object, sizeof(safe_object));
	pt_printable(e->report->message, message, sizeof(message));
	fprintf(f, TEXT_FORMAT, when, e->report->warning ? "Warning" : "Normal",
		pt_reason_name(e->report->reason), safe_object, message);
	return 0;
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, val && val[0] ? json_object_new_string(val) : NULL);
}

static void add_u64(struct json_object *o, const char *key, uint64_t val)
{
	json_object_object_add(o, key, json_object_new_uint64(val));
}

static void add_int(struct json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

static void add_bool(struct json_object *o, const char *key, bool val)
{
	json_object_object_add(o, key, json_object_new_boolean(val));
}

static struct json_object *json_pod(const struct pt_emitted *e)
{
	const struct pt_cgroup_info *cg = &e->where->cgroup;
	struct json_object *o;

	if (cg->scope != PT_SCOPE_CONTAINER && cg->scope != PT_SCOPE_POD)
		return NULL;
	o = json_object_new_object();
	add_str(o, "uid", cg->pod_uid);
	add_str(o, "namespace", e->pod ? e->pod->namespace_ : NULL);
	add_str(o, "name", e->pod ? e->pod->name : NULL);
	add_str(o, "qos", pt_qos_name(cg->qos));
	return o;
}

static struct json_object *json_container(const struct pt_emitted *e)
{
	const struct pt_cgroup_info *cg = &e->where->cgroup;
	struct json_object *o;

	if (cg->scope != PT_SCOPE_CONTAINER)
		return NULL;
	o = json_object_new_object();
	add_str(o, "id", cg->container_id);
	add_str(o, "name", e->where->container_name);
	add_str(o, "runtime", pt_runtime_name(cg->runtime));
	return o;
}

static struct json_object *json_cgroup(const struct pt_emitted *e)
{
	const struct pt_event_cgroup *c = &e->ev->cgroup;
	const struct pt_cgroup_info *cg = &e->where->cgroup;
	struct json_object *o = json_object_new_object();

	add_u64(o, "id", c->id);
	add_str(o, "path", c->known ? c->path : NULL);
	add_str(o, "hierarchy", c->v1 ? "v1" : "v2");
	add_str(o, "scope", pt_scope_name(cg->scope));
	add_str(o, "driver", pt_driver_name(cg->driver));
	add_str(o, "unit", cg->unit);
	add_bool(o, "truncated", c->truncated);
	return o;
}

static struct json_object *json_process(const struct pt_event *ev, const struct pt_cgroup_info *cg)
{
	struct json_object *o = json_object_new_object();

	add_int(o, "pid", ev->pid);
	add_int(o, "tid", ev->tid);
	add_int(o, "ppid", ev->ppid);
	add_int(o, "ns_pid", ev->ns_pid);
	add_int(o, "ns_level", ev->ns_level);
	add_str(o, "comm", ev->comm);
	add_str(o, "parent_comm", ev->parent_comm);
	add_bool(o, "main", pt_event_is_main_process(ev, cg));
	add_bool(o, "pidns_init", ev->flags & PT_FLAG_PIDNS_INIT);
	add_bool(o, "sandbox", ev->flags & PT_FLAG_SANDBOX);
	add_u64(o, "lifetime_ns", ev->lifetime_ns);
	return o;
}

static struct json_object *json_exit(const struct pt_event *ev)
{
	struct json_object *o = json_object_new_object();
	char name[16];

	json_object_object_add(o, "code", ev->exited ? json_object_new_int(ev->exit_code) : NULL);
	add_int(o, "signal", ev->signal);
	add_str(o, "signal_name", ev->signal ? pt_signal_name(ev->signal, name) : NULL);
	add_bool(o, "core_dumped", ev->core_dumped);
	return o;
}

static struct json_object *json_killer(const struct pt_event *ev, const struct pt_cgroup_info *kc)
{
	const struct pt_event_killer *k = &ev->killer;
	struct json_object *o;
	char name[16];

	if (!k->present || k->sig != ev->signal)
		return NULL;
	o = json_object_new_object();
	add_int(o, "pid", k->tgid);
	add_int(o, "tid", k->pid);
	add_str(o, "comm", k->comm);
	add_int(o, "signal", k->sig);
	add_str(o, "signal_name", pt_signal_name(k->sig, name));
	add_int(o, "si_code", k->code);
	add_bool(o, "from_kernel", k->from_kernel);
	add_bool(o, "self", k->tgid == ev->pid);
	add_u64(o, "cgroup_id", k->cgroup_id);
	add_str(o, "cgroup", k->cgroup_leaf);
	add_str(o, "container_id", kc->container_id);
	add_str(o, "pod_uid", kc->pod_uid);
	return o;
}

static struct json_object *json_oom(const struct pt_event_oom *oom)
{
	struct json_object *o;

	if (!oom->present)
		return NULL;
	o = json_object_new_object();
	add_bool(o, "confined", oom->confined);
	add_u64(o, "memcg_limit_bytes", oom->memcg_limit_bytes);
	add_u64(o, "memcg_usage_bytes", oom->memcg_usage_bytes);
	add_u64(o, "memcg_id", oom->memcg_id);
	add_str(o, "memcg", oom->memcg_name);
	json_object_object_add(o, "total_vm_bytes",
			       oom->has_rss ? json_object_new_uint64(oom->total_vm_kb * 1024)
					    : NULL);
	json_object_object_add(o, "anon_rss_bytes",
			       oom->has_rss ? json_object_new_uint64(oom->anon_rss_kb * 1024)
					    : NULL);
	json_object_object_add(o, "file_rss_bytes",
			       oom->has_rss ? json_object_new_uint64(oom->file_rss_kb * 1024)
					    : NULL);
	json_object_object_add(o, "shmem_rss_bytes",
			       oom->has_rss ? json_object_new_uint64(oom->shmem_rss_kb * 1024)
					    : NULL);
	add_int(o, "oom_score_adj", oom->oom_score_adj);
	return o;
}

static int write_json(FILE *f, const struct pt_emitted *e)
{
	struct json_object *o = json_object_new_object();
	char when[40];

	format_time(e->wall_ns, true, when, sizeof(when));
	add_str(o, "time", when);
	add_str(o, "type", e->report->warning ? "Warning" : "Normal");
	add_str(o, "reason", pt_reason_name(e->report->reason));
	add_str(o, "message", e->report->message);
	add_str(o, "node", e->node);
	json_object_object_add(o, "pod", json_pod(e));
	json_object_object_add(o, "container", json_container(e));
	json_object_object_add(o, "cgroup", json_cgroup(e));
	json_object_object_add(o, "process", json_process(e->ev, &e->where->cgroup));
	json_object_object_add(o, "exit", json_exit(e->ev));
	json_object_object_add(o, "killer", json_killer(e->ev, &e->where->killer_cgroup));
	json_object_object_add(o, "oom", json_oom(&e->ev->oom));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}

int pt_output_write(FILE *f, enum pt_output_format fmt, const struct pt_emitted *e)
{
	int err = fmt == PT_OUTPUT_JSON ? write_json(f, e) : write_text(f, e);

	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return err;
}
