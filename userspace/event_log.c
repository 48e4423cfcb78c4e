// SPDX-License-Identifier: GPL-2.0
#include <time.h>
#include <json-c/json.h>
#include "classify.h"
#include "event_log.h"
#include "output.h"

static void object(const struct pt_emitted *e, char *buf, size_t len)
{
	const struct pt_cgroup_info *cg = &e->where->cgroup;

	if (e->pod)
		snprintf(buf, len, "Pod/%s/%s%s%s", e->pod->namespace_, e->pod->name,
			 e->pod->container_name[0] ? "/" : "", e->pod->container_name);
	else if (cg->scope == PT_SCOPE_CONTAINER || cg->scope == PT_SCOPE_POD)
		snprintf(buf, len, "pod-uid/%s", cg->pod_uid);
	else
		snprintf(buf, len, "Node/%s", e->node);
}

void pt_event_log(FILE *f, enum pt_log_format fmt, const struct pt_emitted *e)
{
	const char *type = e->report->warning ? "Warning" : "Normal";
	const char *reason = pt_reason_name(e->report->reason);
	char obj[512], safe_obj[512], ts[40], msg[PT_MESSAGE_MAX + 1];
	time_t now = time(NULL);
	struct tm tm;

	object(e, obj, sizeof(obj));
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (fmt == PT_LOG_JSON) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ts", json_object_new_string(ts));
		json_object_object_add(o, "level", json_object_new_string("info"));
		json_object_object_add(o, "msg", json_object_new_string("Event occurred"));
		json_object_object_add(o, "object", json_object_new_string(obj));
		json_object_object_add(o, "type", json_object_new_string(type));
		json_object_object_add(o, "reason", json_object_new_string(reason));
		json_object_object_add(o, "message", json_object_new_string(e->report->message));
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	pt_printable(e->report->message, msg, sizeof(msg));
	pt_printable(obj, safe_obj, sizeof(safe_obj));
	fprintf(f, "podtrail: %s Event occurred: object=%s type=%s reason=%s message=\"%s\"\n", ts,
		safe_obj, type, reason, msg);
}
